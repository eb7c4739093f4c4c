"""What a trained reconstruction knows: the experiments on the score (chapter 1).

Tweedie's formula at finite σ (:func:`run_tweedie`), the Gaussian closed form
(:func:`run_linear`), the score and Hessian as σ shrinks (:func:`run_score_vs_sigma`), the
reconstruction error read as an energy (:func:`run_not_an_energy`) and the reconstruction field
around a spiral (:func:`run_spiral`); what they are measured against is in
:mod:`theorybook.rae.references`. Each ``run_*`` takes the chapter's
:class:`~theorybook.rae.config.Config` first, seeds itself from ``cfg.seed`` and returns a frozen
result of :mod:`theorybook.rae.results`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from numpy.typing import NDArray

from theorybook.rae.config import Config, Network, check_config
from theorybook.rae.criteria import optimal_linear_reconstruction, rcae_optimum_1d
from theorybook.rae.data import GAUSSIAN_COV, bimodal_mixture
from theorybook.rae.densities import distance_to_spiral, sample_spiral
from theorybook.rae.models import (
    LinearAutoencoder,
    ScoreAutoencoder,
    estimated_hessian,
    estimated_score,
)
from theorybook.rae.references import (
    DETUNING,
    TARGET_MINIMA,
    criterion_excess,
    criterion_gradients,
    kde_score,
    linear_score,
    local_minima,
    minima_distance,
    solver_check,
    target_position,
    weighted_relative_error,
)
from theorybook.rae.results import (
    EnergyResult,
    LinearResult,
    ScoreSigmaResult,
    SpiralResult,
    TweedieResult,
)
from theorybook.rae.sampling import integrated_log_ratio
from theorybook.rae.training import train_autoencoder
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads

__all__ = [
    "SMALL_MODEL_THREADS",
    "check_scores",
    "run_linear",
    "run_not_an_energy",
    "run_score_vs_sigma",
    "run_spiral",
    "run_tweedie",
    "score_network",
]

Array = NDArray[np.float64]

SMALL_MODEL_THREADS = 1
"""Torch threads for this chapter's experiments: its networks (width 64 to 256, batches of 512)
run fastest on one thread, and a second thread slows them down badly on a busy machine."""


def check_scores(scores: object) -> ScoreSigmaResult:
    """``scores`` if it is the :class:`~theorybook.rae.results.ScoreSigmaResult` of
    :func:`run_score_vs_sigma`, else ``TypeError``."""
    if not isinstance(scores, ScoreSigmaResult):
        raise TypeError(
            f"scores must be the ScoreSigmaResult of run_score_vs_sigma, got {type(scores).__name__}"
        )
    return scores


def score_network(
    network: Network, dim: int, sigma: float, *, scaled: bool = True
) -> ScoreAutoencoder:
    """The chapter's :class:`~theorybook.rae.models.ScoreAutoencoder` of shape ``network`` on
    ``ℝ^dim`` at noise level ``sigma`` (``scaled=False``: ``r = x + g``).

    Arguments:
        network: width and depth of the MLP ``h``.
        dim: the data dimension.
        sigma: the initial noise level.
        scaled: ``r = x + σ²h`` (eq. :eq:`rae-param`) or, if False, ``r = x + g``.

    Returns:
        The untrained model (initialised from torch's global generator).
    """
    return ScoreAutoencoder(
        dim, hidden=network.hidden, depth=network.depth, sigma=sigma, scaled=scaled
    )


# --------------------------------------------------------------------------- Tweedie (exact)


def run_tweedie(cfg: Config, *, progress: bool = False) -> TweedieResult:
    """Compare ``x̃ + σ²∇log p_σ(x̃)`` (eq. :eq:`rae-tweedie`) with the posterior mean computed
    by quadrature of ``∫ x p(x) N(x̃; x, σ²) dx / ∫ p(x) N(x̃; x, σ²) dx`` and by Bayes' rule over
    the mixture components, at ``σ = cfg.mixture.tweedie_sigma``. ``progress`` is accepted for a
    uniform interface (this is instant)."""
    cfg = check_config(cfg)
    sigma = cfg.mixture.tweedie_sigma
    p = bimodal_mixture()
    xt = np.linspace(-2.5, 2.5, cfg.mixture.grid)[:, None]
    x = np.linspace(-8.0, 8.0, 8_001)
    logp = p.log_prob(x[:, None])
    logk = -0.5 * (xt - x[None, :]) ** 2 / sigma**2
    lw = logp[None, :] + logk
    w = np.exp(lw - lw.max(1, keepdims=True))
    quad = (w * x[None, :]).sum(1) / w.sum(1)
    bayes = p.posterior_mean(xt, sigma)[:, 0]
    tweedie = (xt + sigma**2 * p.smoothed(sigma).score(xt))[:, 0]
    return TweedieResult(
        sigma=sigma,
        x_noisy=xt[:, 0],
        by_quadrature=quad,
        by_bayes=bayes,
        by_tweedie=tweedie,
        max_error_quadrature=float(np.abs(quad - tweedie).max()),
        max_error_bayes=float(np.abs(bayes - tweedie).max()),
    )


# --------------------------------------------------------------------------- linear, Gaussian


@torch_threads(SMALL_MODEL_THREADS)
def run_linear(cfg: Config, *, progress: bool = False) -> LinearResult:
    """Check that ``W* = Σ(Σ + σ²I)⁻¹`` zeroes the gradient of both criteria
    (:func:`criterion_gradients`), and train ``r(x) = Wx + b`` by the DAE and the RCAE criteria
    on ``N(0, Σ)`` samples. With ``b`` trained, the optimum of either criterion on the training
    sample is ``W*(Ĉ) = Ĉ(Ĉ + σ²I)⁻¹`` for the sample's covariance ``Ĉ``; the trained maps are
    measured against it, and against ``W*(Σ)``; the closed forms ``W*(Ĉ, cσ)`` at the detuned
    noise levels of :data:`DETUNING` are measured against ``W*(Ĉ)`` alike."""
    cfg = check_config(cfg)
    seed_everything(cfg.seed)
    sigma = cfg.linear.sigma
    rng = np.random.default_rng(cfg.seed)
    data = rng.multivariate_normal(np.zeros(2), GAUSSIAN_COV, size=cfg.linear.n_train)
    w_star = optimal_linear_reconstruction(GAUSSIAN_COV, sigma).numpy()
    sample_cov = np.cov(data.T, bias=True)
    w_sample = optimal_linear_reconstruction(sample_cov, sigma).numpy()
    gradients = criterion_gradients(GAUSSIAN_COV, sigma, w_star, seed=cfg.seed)
    detuned_w = optimal_linear_reconstruction(GAUSSIAN_COV, DETUNING[-1] * sigma).numpy()
    detuned_gradients = criterion_gradients(GAUSSIAN_COV, sigma, detuned_w, seed=cfg.seed)
    trained, errors, population_errors = {}, {}, {}
    for crit in ("dae", "rcae"):
        model = LinearAutoencoder(2, sigma=sigma).double()
        train_autoencoder(
            model,
            data,
            criterion=crit,
            sigma_schedule=(sigma,),
            training=cfg.linear.training,
            seed=cfg.seed,
            progress=progress,
        )
        trained[crit] = model.matrix
        errors[crit] = float(np.abs(model.matrix - w_sample).max())
        population_errors[crit] = float(np.abs(model.matrix - w_star).max())
    detuned = {
        c: float(
            np.abs(optimal_linear_reconstruction(sample_cov, c * sigma).numpy() - w_sample).max()
        )
        for c in DETUNING
    }
    return LinearResult(
        sigma=sigma,
        cov=GAUSSIAN_COV.copy(),
        optimum=w_star,
        sample_optimum=w_sample,
        trained=trained,
        errors=errors,
        population_errors=population_errors,
        detuned_errors=detuned,
        sample_optimum_error=float(np.abs(w_sample - w_star).max()),
        gradients=gradients,
        gradient_at_optimum=max(gradients.values()),
        detuned_gradient=max(detuned_gradients.values()),
    )


# --------------------------------------------------------------------------- 1-D score vs σ


def _train_1d(
    cfg: Config,
    data: Array,
    name: str,
    schedule: tuple[float, ...],
    seed: int,
) -> ScoreAutoencoder:
    """One network of :func:`run_score_vs_sigma`: ``name`` is ``dae``, ``rcae``,
    ``dae_annealed`` or ``rcae_unscaled``; an annealed run takes the same number of steps in
    total as a single-σ run."""
    seed_everything(seed)
    model = score_network(cfg.network, 1, schedule[0], scaled=name != "rcae_unscaled")
    training = cfg.mixture.training
    if len(schedule) > 1:
        training = training.replace(steps=max(1, training.steps // len(schedule)))
    train_autoencoder(
        model,
        data,
        criterion="dae" if name.startswith("dae") else "rcae",
        sigma_schedule=schedule,
        training=training,
        seed=seed,
    )
    return model


@torch_threads(SMALL_MODEL_THREADS)
def run_score_vs_sigma(cfg: Config, *, progress: bool = False) -> ScoreSigmaResult:
    """Train DAE and RCAE (``r = x + σ²h``) at each σ of ``cfg.mixture.sigmas`` on the bimodal
    mixture, plus a DAE annealed through all levels (``cfg.mixture.training.steps`` steps in
    total), an RCAE with the unscaled parameterisation ``r = x + g`` at the smallest σ, and the
    smallest-σ RCAE again on ``cfg.mixture.seeds − 1`` further seeds (each its own training
    sample, initialisation and batches). Every network is compared with ``∇log p``, with
    ``∇log p_σ`` (eq. :eq:`rae-tweedie`) and with the exact RCAE optimum at its σ
    (:func:`~theorybook.rae.criteria.rcae_optimum_1d`).

    The exact optimum is also solved at each of ``cfg.mixture.limit_sigmas`` (its error against
    ``∇log p``, beside that of ``∇log p_σ``), the solver is checked on a manufactured solution
    there (:func:`solver_check`), and at each training σ the RCAE criterion
    (:func:`~theorybook.rae.criteria.rcae_criterion_1d`) of ``∇log p_σ`` is compared with the
    optimum's, with the quadrature's own resolution (the optimum's criterion on the grid against
    the same on a grid twice as fine). At the largest σ the DAE, the RCAE and the score of a
    kernel density estimate of the training sample (:func:`kde_score`) are placed on the segment
    from ``∇log p_σ`` to the RCAE optimum (:func:`~theorybook.rae.references.target_position`)."""
    cfg = check_config(cfg)
    mix = cfg.mixture
    p = bimodal_mixture()
    data = p.sample(mix.n_train, cfg.seed)
    x = np.linspace(-2.0, 2.0, mix.grid)[:, None]
    dens = np.exp(p.log_prob(x))
    true = p.score(x)
    sigmas = tuple(sorted(mix.sigmas, reverse=True))
    smallest = sigmas[-1]
    runs: list[tuple[str, tuple[float, ...]]] = [
        (crit, (s,)) for s in sigmas for crit in ("dae", "rcae")
    ]
    runs.append(("dae_annealed", sigmas))
    runs.append(("rcae_unscaled", (smallest,)))
    smoothed = {s: p.smoothed(s).score(x) for s in sigmas}
    solved = {s: rcae_optimum_1d(p, s) for s in {*sigmas, *mix.limit_sigmas}}
    optimum = {s: np.interp(x[:, 0], *solved[s])[:, None] for s in sigmas}
    limit_sigmas = tuple(sorted(set(mix.limit_sigmas), reverse=True))
    criterion = {s: criterion_excess(p, s, *solved[s]) for s in sigmas}
    scores, e_true, e_smooth, e_opt, models = {}, {}, {}, {}, {}
    for name, schedule in progress_bar(runs, desc="1-D fits", disable=not progress):
        model = _train_1d(cfg, data, name, schedule, cfg.seed)
        key = (name, schedule[-1])
        s_hat = estimated_score(model, x)
        scores[key] = s_hat
        e_true[key] = weighted_relative_error(s_hat, true, dens)
        e_smooth[key] = weighted_relative_error(s_hat, smoothed[schedule[-1]], dens)
        e_opt[key] = weighted_relative_error(s_hat, optimum[schedule[-1]], dens)
        models[key] = model
    hess_true = p.hessian(x)[:, 0, 0]
    seed_models = [models[("rcae", smallest)]]
    for k in range(1, mix.seeds):
        seed = cfg.seed + k
        seed_models.append(_train_1d(cfg, p.sample(mix.n_train, seed), "rcae", (smallest,), seed))
    seed_scores = [estimated_score(m, x) for m in seed_models]
    seed_hessians = [estimated_hessian(m, x)[:, 0, 0] for m in seed_models]
    hess = seed_hessians[0]
    annealed_hessian = estimated_hessian(models[("dae_annealed", smallest)], x)[:, 0, 0]

    def errors(estimates: list[Array], target: Array) -> Array:
        return np.array([weighted_relative_error(e, target, dens) for e in estimates])

    big = sigmas[0]
    between = (smoothed[big][:, 0], optimum[big][:, 0], dens)
    position = {
        name: target_position(scores[(name, big)][:, 0], *between) for name in ("dae", "rcae")
    }
    kde_big = kde_score(data, big, x)
    position["kde"] = target_position(kde_big[:, 0], *between)

    return ScoreSigmaResult(
        sigmas=sigmas,
        x=x[:, 0],
        density=dens,
        true_score=true[:, 0],
        smoothed_scores={s: v[:, 0] for s, v in smoothed.items()},
        optimum_scores={s: v[:, 0] for s, v in optimum.items()},
        optimum_error_true={s: weighted_relative_error(v, true, dens) for s, v in optimum.items()},
        optimum_error_smoothed={
            s: weighted_relative_error(v, smoothed[s], dens) for s, v in optimum.items()
        },
        limit_sigmas=limit_sigmas,
        limit_error_true={
            s: weighted_relative_error(np.interp(x[:, 0], *solved[s])[:, None], true, dens)
            for s in limit_sigmas
        },
        limit_smoothed_error_true={
            s: weighted_relative_error(p.smoothed(s).score(x), true, dens) for s in limit_sigmas
        },
        solver_error={s: solver_check(s) for s in limit_sigmas},
        criterion_excess={s: c[0] for s, c in criterion.items()},
        criterion_resolution={s: c[1] for s, c in criterion.items()},
        target_position=position,
        kde_error_smoothed=weighted_relative_error(kde_big, smoothed[big], dens),
        linear_error_smoothed={
            s: weighted_relative_error(linear_score(data, s, x), smoothed[s], dens) for s in sigmas
        },
        scores={k: v[:, 0] for k, v in scores.items()},
        error_true=e_true,
        error_smoothed=e_smooth,
        error_optimum=e_opt,
        true_hessian=hess_true,
        hessian=hess,
        hessian_error=weighted_relative_error(hess, hess_true, dens),
        annealed_hessian_error=weighted_relative_error(annealed_hessian, hess_true, dens),
        seed_error_true=errors(seed_scores, true),
        seed_error_optimum=errors(seed_scores, optimum[smallest]),
        seed_hessian_error=errors(seed_hessians, hess_true),
        models=models,
        seed_models=tuple(seed_models),
    )


# --------------------------------------------------------------------------- not an energy


def _log_ratio(score_fn: Callable[[Array], Array]) -> float:
    """``log p(0) − log p(1)`` as the integral of ``score_fn`` from 1 to 0 (201 nodes)."""
    one, zero = np.array([[1.0]]), np.array([[0.0]])
    return float(integrated_log_ratio(score_fn, one, zero, n_points=201)[0])


def run_not_an_energy(
    cfg: Config, scores: ScoreSigmaResult, *, progress: bool = False
) -> EnergyResult:
    """Read the "reconstruction error is not an energy" picture off the smallest-σ RCAE of
    ``scores`` (the result of :func:`run_score_vs_sigma` on ``cfg``; ``progress`` is accepted for
    a uniform interface: this is instant), on every training seed: the local minima of
    ``‖r − x‖²`` (:func:`minima_distance`), also for three null models (the best linear
    reconstruction, :func:`linear_score`; the untrained network; a white-noise field), and
    ``log p(0) − log p(1)`` integrated along the learned score, against the same integral of the
    exact RCAE optimum at that σ and of two challengers: ``∇log p_σ`` at the next σ up, and the
    score of a kernel density estimate of the training sample at the network's σ
    (:func:`kde_score`, the DAE's exact empirical optimum)."""
    cfg = check_config(cfg)
    scores = check_scores(scores)
    sigma = scores.sigmas[-1]
    model = scores.models[("rcae", sigma)]
    x = scores.x
    s_hat = estimated_score(model, x[:, None])[:, 0]
    rec = (sigma**2 * s_hat) ** 2
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (s_hat[1:] + s_hat[:-1]) * np.diff(x))])
    i0 = int(np.argmin(np.abs(x)))
    p = bimodal_mixture()
    true = p.log_prob(x[:, None])
    at = {}
    for point in TARGET_MINIMA:
        i = int(np.argmin(np.abs(x - point)))
        at[point] = float(rec[i] / rec.max())
    one, zero = np.array([[1.0]]), np.array([[0.0]])
    d_true = float(p.log_prob(zero)[0] - p.log_prob(one)[0])
    # reconstruction error read as an energy E = ‖r − x‖² / (2σ⁴) = ‖ŝ‖²/2
    e = lambda z: float(((estimated_score(model, z)) ** 2).sum() / 2)
    d_rec = -(e(zero) - e(one))
    seed_recs = [(sigma**2 * estimated_score(m, x[:, None])[:, 0]) ** 2 for m in scores.seed_models]
    data = p.sample(cfg.mixture.n_train, cfg.seed)
    seed_everything(cfg.seed)
    untrained = score_network(cfg.network, 1, sigma)
    untrained_rec = (sigma**2 * estimated_score(untrained, x[:, None])[:, 0]) ** 2
    linear_rec = (sigma**2 * linear_score(data, sigma, x[:, None])[:, 0]) ** 2
    white_noise = np.random.default_rng(cfg.seed).random(len(x))
    nodes, h = rcae_optimum_1d(p, sigma)
    next_up = scores.sigmas[-2]
    return EnergyResult(
        sigma=sigma,
        x=x,
        reconstruction_error=rec,
        log_density=cum - cum[i0],
        true_log_density=true - true[i0],
        at=at,
        local_minima=local_minima(rec, x),
        minimum_distance=minima_distance(rec, x),
        seed_minimum_distance=np.array([minima_distance(r, x) for r in seed_recs]),
        seed_minimum_count=np.array([float(len(local_minima(r, x))) for r in seed_recs]),
        null_minimum_distance={
            "best linear reconstruction": minima_distance(linear_rec, x),
            "untrained network": minima_distance(untrained_rec, x),
            "white noise": minima_distance(white_noise, x),
        },
        delta_learned=_log_ratio(partial(estimated_score, model)),
        seed_delta_learned=np.array(
            [_log_ratio(partial(estimated_score, m)) for m in scores.seed_models]
        ),
        delta_true=d_true,
        delta_optimum=_log_ratio(lambda z: np.interp(z[:, 0], nodes, h)[:, None]),
        delta_reconstruction=d_rec,
        delta_null={
            f"∇log p_σ at σ = {next_up:g}": _log_ratio(p.smoothed(next_up).score),
            f"kernel density estimate at σ = {sigma:g}": _log_ratio(
                partial(kde_score, data, sigma)
            ),
        },
    )


# --------------------------------------------------------------------------- spiral


@torch_threads(SMALL_MODEL_THREADS)
def run_spiral(cfg: Config, *, progress: bool = False) -> SpiralResult:
    """Train on ``cfg.spiral.n_train`` noiseless spiral points through ``cfg.spiral.sigmas``, and
    measure how far ``x ← r(x)`` brings grid points towards the curve: for the points at distance
    2σ to 4σ (σ the last level) the ratio of their distances after and before, for the trained
    DAE and for the null model, the best linear reconstruction ``μ + Σ(Σ + σ²I)⁻¹(x − μ)``
    (eq. :eq:`rae-linear` for the data's mean and covariance)."""
    cfg = check_config(cfg)
    spiral = cfg.spiral
    near_distance = spiral.near_distance
    seed_everything(cfg.seed)
    data = sample_spiral(spiral.n_train, cfg.seed)
    model = score_network(cfg.network, 2, spiral.sigmas[0])
    train_autoencoder(
        model,
        data,
        criterion="dae",
        sigma_schedule=spiral.sigmas,
        training=spiral.training,
        seed=cfg.seed,
        progress=progress,
    )
    g = np.linspace(-0.8, 0.8, spiral.grid)
    xx, yy = np.meshgrid(g, g, indexing="xy")
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
    with torch.no_grad():
        t = torch.as_tensor(grid, dtype=torch.float32)
        field = (model(t) - t).double().numpy()
    mean = data.mean(0)
    w = optimal_linear_reconstruction(np.cov(data.T), model.sigma).numpy()
    linear = mean + (grid - mean) @ w.T
    before = distance_to_spiral(grid)
    after = distance_to_spiral(grid + field)
    after_linear = distance_to_spiral(linear)
    near = before <= near_distance
    band = (before >= 2 * model.sigma) & (before <= 4 * model.sigma)
    ratios = after[band] / before[band]
    return SpiralResult(
        data=data,
        grid=grid,
        field=field,
        distance_before=before,
        distance_after=after,
        band=band,
        band_ratios=ratios,
        shrink=float(np.median(ratios)),
        linear_shrink=float(np.median(after_linear[band] / before[band])),
        moved_closer=float((after[band] < before[band]).mean()),
        linear_moved_closer=float((after_linear[band] < before[band]).mean()),
        near_distance=near_distance,
        moved_closer_within=float((after[near] < before[near]).mean()),
        sigma=model.sigma,
    )
