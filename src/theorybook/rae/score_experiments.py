"""What a trained reconstruction knows: the experiments on the score (chapter 1).

Tweedie's formula at finite σ (:func:`run_tweedie`), the Gaussian closed form
(:func:`run_linear`), the score and Hessian as σ shrinks (:func:`run_score_vs_sigma`), the
reconstruction error read as an energy (:func:`run_not_an_energy`) and the reconstruction field
around a spiral (:func:`run_spiral`). Each ``run_*`` takes the chapter's
:class:`~theorybook.rae.config.Config` first, seeds itself from ``cfg.seed`` and returns a frozen
result of :mod:`theorybook.rae.results`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from numpy.typing import NDArray

from theorybook.rae.config import Config, Network, check_config
from theorybook.rae.criteria import linear_criterion_gradient, optimal_linear_reconstruction
from theorybook.rae.data import GAUSSIAN_COV, bimodal_mixture
from theorybook.rae.densities import distance_to_spiral, sample_spiral
from theorybook.rae.models import (
    LinearAutoencoder,
    ScoreAutoencoder,
    estimated_hessian,
    estimated_score,
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
from theorybook.validation import array, same_length

__all__ = [
    "SMALL_MODEL_THREADS",
    "check_scores",
    "run_linear",
    "run_not_an_energy",
    "run_score_vs_sigma",
    "run_spiral",
    "run_tweedie",
    "score_network",
    "weighted_relative_error",
]

Array = NDArray[np.float64]

SMALL_MODEL_THREADS = 1
"""Torch threads for this chapter's experiments: its networks (width 64 to 256, batches of 512)
run fastest on one thread, and a second thread slows them down badly on a busy machine."""


def weighted_relative_error(estimate: object, target: object, weight: object) -> float:
    """``√(Σ w ‖estimate − target‖² / Σ w ‖target‖²)``: the p-weighted relative L² error."""
    w = array("weight", weight, ndim=1)
    e = array("estimate", estimate, ndim=(1, 2))
    t = array("target", target, shape=e.shape)
    e, t = e.reshape(len(e), -1), t.reshape(len(t), -1)
    same_length(estimate=e, weight=w)
    if np.any(w < 0):
        raise ValueError("weight must be >= 0 everywhere")
    num = float((w * ((e - t) ** 2).sum(1)).sum())
    den = float((w * (t**2).sum(1)).sum())
    if den <= 0:
        raise ValueError("the target is zero wherever the weight is positive")
    return float(np.sqrt(num / den))


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
    x = np.linspace(-8.0, 8.0, 40_001)
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
    """Train ``r(x) = Wx + b`` by the DAE and the RCAE criteria on ``N(0, Σ)`` samples."""
    cfg = check_config(cfg)
    seed_everything(cfg.seed)
    sigma = cfg.linear.sigma
    rng = np.random.default_rng(cfg.seed)
    data = rng.multivariate_normal(np.zeros(2), GAUSSIAN_COV, size=cfg.linear.n_train)
    w_star = optimal_linear_reconstruction(GAUSSIAN_COV, sigma).numpy()
    grad = float(np.abs(linear_criterion_gradient(w_star, GAUSSIAN_COV, sigma).numpy()).max())
    trained, errors = {}, {}
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
        errors[crit] = float(np.abs(model.matrix - w_star).max())
    return LinearResult(sigma, GAUSSIAN_COV.copy(), w_star, trained, errors, grad)


# --------------------------------------------------------------------------- 1-D score vs σ


@torch_threads(SMALL_MODEL_THREADS)
def run_score_vs_sigma(cfg: Config, *, progress: bool = False) -> ScoreSigmaResult:
    """Train DAE and RCAE (``r = x + σ²h``) at each σ of ``cfg.mixture.sigmas`` on the bimodal
    mixture, plus a DAE annealed through all levels (``cfg.mixture.training.steps`` steps in
    total) and an RCAE with the unscaled parameterisation ``r = x + g`` at the smallest σ."""
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
    scores, e_true, e_smooth, models = {}, {}, {}, {}
    smoothed = {s: p.smoothed(s).score(x) for s in sigmas}
    for name, schedule in progress_bar(runs, desc="1-D fits", disable=not progress):
        seed_everything(cfg.seed)
        model = score_network(cfg.network, 1, schedule[0], scaled=name != "rcae_unscaled")
        training = mix.training
        if len(schedule) > 1:  # the annealed DAE: the same number of steps in total
            training = training.replace(steps=max(1, training.steps // len(schedule)))
        train_autoencoder(
            model,
            data,
            criterion="dae" if name.startswith("dae") else "rcae",
            sigma_schedule=schedule,
            training=training,
            seed=cfg.seed,
        )
        key = (name, schedule[-1])
        s_hat = estimated_score(model, x)
        scores[key] = s_hat
        e_true[key] = weighted_relative_error(s_hat, true, dens)
        e_smooth[key] = weighted_relative_error(s_hat, smoothed[schedule[-1]], dens)
        models[key] = model
    hess_true = p.hessian(x)[:, 0, 0]
    hess = estimated_hessian(models[("rcae", smallest)], x)[:, 0, 0]
    return ScoreSigmaResult(
        sigmas=sigmas,
        x=x[:, 0],
        density=dens,
        true_score=true[:, 0],
        smoothed_scores={s: v[:, 0] for s, v in smoothed.items()},
        scores={k: v[:, 0] for k, v in scores.items()},
        error_true=e_true,
        error_smoothed=e_smooth,
        true_hessian=hess_true,
        hessian=hess,
        hessian_error=weighted_relative_error(hess, hess_true, dens),
        models=models,
    )


# --------------------------------------------------------------------------- not an energy


def run_not_an_energy(
    cfg: Config, scores: ScoreSigmaResult, *, progress: bool = False
) -> EnergyResult:
    """Read the "reconstruction error is not an energy" picture off the smallest-σ RCAE of
    ``scores`` (the result of :func:`run_score_vs_sigma` on ``cfg``; ``progress`` is accepted for
    a uniform interface: this is instant)."""
    check_config(cfg)
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
    for point in (-1.0, 0.0, 1.0):
        i = int(np.argmin(np.abs(x - point)))
        at[point] = float(rec[i] / rec.max())
    inner = (rec[1:-1] < rec[:-2]) & (rec[1:-1] <= rec[2:])
    minima = x[1:-1][inner]
    offset = max(float(np.abs(minima - c).min()) if len(minima) else np.inf for c in (-1, 0, 1))
    one, zero = np.array([[1.0]]), np.array([[0.0]])
    score_fn = partial(estimated_score, model)
    d_learned = float(integrated_log_ratio(score_fn, one, zero, n_points=201)[0])
    d_true = float(p.log_prob(zero)[0] - p.log_prob(one)[0])
    # reconstruction error read as an energy E = ‖r − x‖² / (2σ⁴) = ‖ŝ‖²/2
    e = lambda z: float(((estimated_score(model, z)) ** 2).sum() / 2)
    d_rec = -(e(zero) - e(one))
    return EnergyResult(
        sigma=sigma,
        x=x,
        reconstruction_error=rec,
        log_density=cum - cum[i0],
        true_log_density=true - true[i0],
        at=at,
        local_minima=minima,
        minimum_offset=offset,
        delta_learned=d_learned,
        delta_true=d_true,
        delta_reconstruction=d_rec,
    )


# --------------------------------------------------------------------------- spiral


@torch_threads(SMALL_MODEL_THREADS)
def run_spiral(cfg: Config, *, progress: bool = False) -> SpiralResult:
    """Train on ``cfg.spiral.n_train`` noiseless spiral points through ``cfg.spiral.sigmas``."""
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
    before = distance_to_spiral(grid)
    after = distance_to_spiral(grid + field)
    near = before <= near_distance
    band = (before >= 2 * model.sigma) & (before <= 4 * model.sigma)
    return SpiralResult(
        data=data,
        grid=grid,
        field=field,
        distance_before=before,
        distance_after=after,
        band=band,
        moved_closer=float((after[band] < before[band]).mean()),
        near_distance=near_distance,
        moved_closer_within=float((after[near] < before[near]).mean()),
        sigma=model.sigma,
    )
