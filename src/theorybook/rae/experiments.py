"""The experiments of the regularized auto-encoder chapter (chapter 1).

Each ``run_*`` takes the chapter's :class:`~theorybook.rae.config.Config`, seeds itself from
``cfg.seed`` and returns a frozen dataclass that the figures and the claims read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from numpy.typing import NDArray

from theorybook.rae.config import Config
from theorybook.rae.criteria import (
    linear_criterion_gradient,
    optimal_linear_reconstruction,
    rcae_loss,
)
from theorybook.rae.data import GAUSSIAN_COV, bimodal_mixture, load_digits_split
from theorybook.rae.densities import NinjaStar, distance_to_spiral, sample_spiral
from theorybook.rae.models import (
    LinearAutoencoder,
    ScoreAutoencoder,
    estimated_hessian,
    estimated_score,
)
from theorybook.rae.sampling import (
    approximate_mh,
    exact_mh,
    integrated_log_ratio,
    knn_kl_divergence,
    langevin_mh,
)
from theorybook.rae.training import train_autoencoder
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of
from theorybook.validation import array, positive_int, positive_real, same_length

__all__ = [
    "DigitsResult",
    "EnergyResult",
    "LinearResult",
    "MH1DResult",
    "ScoreSigmaResult",
    "SpiralResult",
    "StarResult",
    "TweedieResult",
    "run_digits",
    "run_linear",
    "run_mh_1d",
    "run_not_an_energy",
    "run_score_vs_sigma",
    "run_spiral",
    "run_star",
    "run_tweedie",
    "SMALL_MODEL_THREADS",
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


def _check_cfg(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.rae.Config, got {type(cfg).__name__}")
    return cfg


def _check_scores(scores: object) -> ScoreSigmaResult:
    if not isinstance(scores, ScoreSigmaResult):
        raise TypeError(
            f"scores must be the ScoreSigmaResult of run_score_vs_sigma, got {type(scores).__name__}"
        )
    return scores


# --------------------------------------------------------------------------- Tweedie (exact)


@dataclass(frozen=True)
class TweedieResult:
    """``E[x | x̃]`` three ways on a grid of noisy points ``x̃`` (1-D mixture, one σ)."""

    sigma: float
    x_noisy: Array
    by_quadrature: Array
    by_bayes: Array
    by_tweedie: Array
    max_error_quadrature: float
    max_error_bayes: float


def run_tweedie(cfg: Config, *, sigma: float = 0.3, progress: bool = False) -> TweedieResult:
    """Compare ``x̃ + σ²∇log p_σ(x̃)`` (eq. :eq:`rae-tweedie`) with the posterior mean computed
    by quadrature of ``∫ x p(x) N(x̃; x, σ²) dx / ∫ p(x) N(x̃; x, σ²) dx`` and by Bayes' rule over
    the mixture components. ``progress`` is accepted for a uniform interface (this is instant)."""
    cfg = _check_cfg(cfg)
    sigma = positive_real("sigma", sigma)
    p = bimodal_mixture()
    xt = np.linspace(-2.5, 2.5, cfg.mix_grid)[:, None]
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


@dataclass(frozen=True)
class LinearResult:
    """The optimal linear map ``Σ(Σ + σ²I)⁻¹`` and linear auto-encoders trained by each criterion."""

    sigma: float
    cov: Array
    optimum: Array
    trained: dict[str, Array]
    errors: dict[str, float]
    gradient_at_optimum: float


@torch_threads(SMALL_MODEL_THREADS)
def run_linear(cfg: Config, *, progress: bool = False) -> LinearResult:
    """Train ``r(x) = Wx + b`` by the DAE and the RCAE criteria on ``N(0, Σ)`` samples."""
    cfg = _check_cfg(cfg)
    seed_everything(cfg.seed)
    sigma = cfg.linear_sigma
    rng = np.random.default_rng(cfg.seed)
    data = rng.multivariate_normal(np.zeros(2), GAUSSIAN_COV, size=cfg.linear_n)
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
            steps=cfg.linear_steps,
            batch_size=2048,
            lr=1e-2,
            seed=cfg.seed,
            progress=progress,
        )
        trained[crit] = model.matrix
        errors[crit] = float(np.abs(model.matrix - w_star).max())
    return LinearResult(sigma, GAUSSIAN_COV.copy(), w_star, trained, errors, grad)


# --------------------------------------------------------------------------- 1-D score vs σ


@dataclass(frozen=True)
class ScoreSigmaResult:
    """DAE and RCAE score estimates on the 1-D mixture at each σ (no annealing), a DAE
    annealed down to the smallest σ (key ``"dae_annealed"``) and an RCAE with the unscaled
    parameterisation ``r = x + g`` at the smallest σ (key ``"rcae_unscaled"``).

    ``scores[(criterion, σ)]`` is ``(r − x)/σ²`` on ``x``; ``error_true`` / ``error_smoothed`` the
    p-weighted relative errors against ``∇log p`` and ``∇log p_σ``. ``hessian`` is the RCAE's
    ``(∂r/∂x − 1)/σ²`` at the smallest σ. ``models`` holds the trained networks.
    """

    sigmas: tuple[float, ...]
    x: Array
    density: Array
    true_score: Array
    smoothed_scores: dict[float, Array]
    scores: dict[tuple[str, float], Array]
    error_true: dict[tuple[str, float], float]
    error_smoothed: dict[tuple[str, float], float]
    true_hessian: Array
    hessian: Array
    hessian_error: float
    models: dict[tuple[str, float], ScoreAutoencoder]


def _mlp(
    cfg: Config, dim: int, sigma: float, hidden: int | None = None, *, scaled: bool = True
) -> ScoreAutoencoder:
    return ScoreAutoencoder(
        dim, hidden=hidden or cfg.hidden, depth=cfg.depth, sigma=sigma, scaled=scaled
    )


@torch_threads(SMALL_MODEL_THREADS)
def run_score_vs_sigma(cfg: Config, *, progress: bool = False) -> ScoreSigmaResult:
    """Train DAE and RCAE (``r = x + σ²h``) at each σ of ``cfg.mix_sigmas`` on the bimodal
    mixture, plus a DAE annealed through all levels (``mix_steps`` steps in total) and an RCAE
    with the unscaled parameterisation ``r = x + g`` at the smallest σ."""
    cfg = _check_cfg(cfg)
    p = bimodal_mixture()
    data = p.sample(cfg.mix_n_train, cfg.seed)
    x = np.linspace(-2.0, 2.0, cfg.mix_grid)[:, None]
    dens = np.exp(p.log_prob(x))
    true = p.score(x)
    sigmas = tuple(sorted(cfg.mix_sigmas, reverse=True))
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
        model = _mlp(cfg, 1, schedule[0], scaled=name != "rcae_unscaled")
        steps = cfg.mix_steps if len(schedule) == 1 else max(1, cfg.mix_steps // len(schedule))
        train_autoencoder(
            model,
            data,
            criterion="dae" if name.startswith("dae") else "rcae",
            sigma_schedule=schedule,
            steps=steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
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


@dataclass(frozen=True)
class EnergyResult:
    """Reconstruction error against the log-density integrated from the learned score (1-D).

    ``reconstruction_error`` is ``(r(x) − x)²``; ``log_density`` is ``∫ ŝ`` from ``x = 0``
    (trapezoid), ``true_log_density`` the exact ``log p − log p(0)``. ``at`` maps the points
    −1, 0, 1 to their reconstruction error divided by its maximum over the grid;
    ``local_minima`` lists the grid's local minima of the reconstruction error and
    ``minimum_offset`` the largest distance from one of −1, 0, 1 to the nearest of them.
    """

    sigma: float
    x: Array
    reconstruction_error: Array
    log_density: Array
    true_log_density: Array
    at: dict[float, float]
    local_minima: Array
    minimum_offset: float
    delta_learned: float
    delta_true: float
    delta_reconstruction: float


def run_not_an_energy(scores: ScoreSigmaResult, *, progress: bool = False) -> EnergyResult:
    """Read the "reconstruction error is not an energy" picture off the smallest-σ RCAE
    (``progress`` is accepted for a uniform interface; this is instant)."""
    scores = _check_scores(scores)
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


# --------------------------------------------------------------------------- 1-D MH


@dataclass(frozen=True)
class MH1DResult:
    """Approximate MH on the learned score (smallest-σ RCAE) and exact MH, 1-D mixture."""

    samples: Array
    acceptance_rate: float
    chain_steps_per_second: float
    mode_fraction: float
    std: float
    exact_mode_fraction: float
    exact_std: float
    true_std: float


@torch_threads(SMALL_MODEL_THREADS)
def run_mh_1d(cfg: Config, scores: ScoreSigmaResult, *, progress: bool = False) -> MH1DResult:
    """Chains started at 0, ``cfg.mh_steps`` steps, the first ``cfg.mh_burn_in`` discarded
    (``progress`` is accepted for a uniform interface; the chains take seconds)."""
    cfg = _check_cfg(cfg)
    scores = _check_scores(scores)
    model = scores.models[("rcae", scores.sigmas[-1])]
    x0 = np.zeros((cfg.mh_chains, 1))
    approx = approximate_mh(
        partial(estimated_score, model),
        x0,
        cfg.mh_steps,
        cfg.mh_proposal_std,
        cfg.seed,
        n_points=cfg.mh_points,
    )
    p = bimodal_mixture()
    exact = exact_mh(p.log_prob, x0, cfg.mh_steps, cfg.mh_proposal_std, cfg.seed)
    s = approx.samples(burn_in=cfg.mh_burn_in)[:, 0]
    e = exact.samples(burn_in=cfg.mh_burn_in)[:, 0]
    true_std = float(np.sqrt((p.weights * (p.stds**2 + p.means[:, 0] ** 2)).sum()))
    return MH1DResult(
        samples=s,
        acceptance_rate=approx.acceptance_rate,
        chain_steps_per_second=approx.chain_steps_per_second,
        mode_fraction=float((s > 0).mean()),
        std=float(s.std()),
        exact_mode_fraction=float((e > 0).mean()),
        exact_std=float(e.std()),
        true_std=true_std,
    )


# --------------------------------------------------------------------------- spiral


@dataclass(frozen=True)
class SpiralResult:
    """A DAE trained on the spiral with annealed σ; its field ``r(x) − x`` on a grid.

    ``band`` marks grid points at distance ``2σ`` to ``4σ`` from the curve (σ the final training
    level) and ``moved_closer`` is the fraction of those whose distance shrinks under
    ``x ← r(x)``; ``moved_closer_within`` is the same fraction over all grid points closer than
    ``near_distance``. Closer than about σ the move is smaller than the network's error and the
    curvature bias of ``E[x | x̃]``.
    """

    data: Array
    grid: Array
    field: Array
    distance_before: Array
    distance_after: Array
    band: NDArray[np.bool_]
    moved_closer: float
    near_distance: float
    moved_closer_within: float
    sigma: float


@torch_threads(SMALL_MODEL_THREADS)
def run_spiral(cfg: Config, *, progress: bool = False, near_distance: float = 0.1) -> SpiralResult:
    """Train on ``cfg.spiral_n`` noiseless spiral points through ``cfg.spiral_sigmas``."""
    cfg = _check_cfg(cfg)
    near_distance = positive_real("near_distance", near_distance)
    seed_everything(cfg.seed)
    data = sample_spiral(cfg.spiral_n, cfg.seed)
    model = _mlp(cfg, 2, cfg.spiral_sigmas[0])
    train_autoencoder(
        model,
        data,
        criterion="dae",
        sigma_schedule=cfg.spiral_sigmas,
        steps=cfg.spiral_steps,
        batch_size=cfg.batch_size,
        lr=1e-2,
        seed=cfg.seed,
        progress=progress,
    )
    g = np.linspace(-0.8, 0.8, cfg.spiral_grid)
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


# --------------------------------------------------------------------------- ninja star


@dataclass(frozen=True)
class StarResult:
    """MH on the ninja-star energy over ``runs`` independent runs per method.

    Methods: ``"exact"`` (exact ``log p``), ``"one-point"`` (Δ ≈ ``s(x)·(x* − x)``),
    ``"trapezoid"`` (5-node rule on the exact score), ``"langevin"`` (:func:`langevin_mh` on the
    exact score) and ``"learned"`` (5-node rule on the score of a DAE trained on samples of the
    density with σ annealed through ``cfg.star_sigmas``; it targets the smoothed ``p_σ``).
    ``kl[m]`` holds the k-NN estimate of KL(reference ‖ chain) per run; ``samples[m]`` the final
    states of the first run; ``reference_kl`` the same estimator between two reference samples.
    """

    kl: dict[str, Array]
    acceptance: dict[str, float]
    chain_steps_per_second: dict[str, float]
    samples: dict[str, Array]
    reference: Array
    reference_kl: Array
    learned_sigma: float


@torch_threads(SMALL_MODEL_THREADS)
def run_star(cfg: Config, *, progress: bool = False) -> StarResult:
    """Chains start uniform on ``[−3, 3]²`` and run ``cfg.star_steps`` steps; their final states
    are compared with an independent reference sample of the same density."""
    cfg = _check_cfg(cfg)
    star = NinjaStar()
    methods = ("exact", "one-point", "trapezoid", "langevin", "learned")
    seed_everything(cfg.seed)
    dae = _mlp(cfg, 2, cfg.star_sigmas[0])
    train_autoencoder(
        dae,
        star.sample(cfg.star_train_n, cfg.seed + 7),
        criterion="dae",
        sigma_schedule=cfg.star_sigmas,
        steps=cfg.star_train_steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        seed=cfg.seed,
    )
    learned = partial(estimated_score, dae)
    kl: dict[str, list[float]] = {m: [] for m in methods}
    acc: dict[str, list[float]] = {m: [] for m in methods}
    speed: dict[str, list[float]] = {m: [] for m in methods}
    samples: dict[str, Array] = {}
    ref_kl = []
    reference = star.sample(cfg.star_reference, cfg.seed)
    for run in progress_bar(range(cfg.star_runs), desc="star runs", disable=not progress):
        rs = cfg.seed + 1000 * (run + 1)
        rng = np.random.default_rng(rs)
        x0 = rng.uniform(-3, 3, size=(cfg.star_chains, 2))
        ref = star.sample(cfg.star_reference, rs + 1)
        ref_kl.append(knn_kl_divergence(ref, star.sample(cfg.star_chains, rs + 2), k=cfg.star_knn))
        tau, n = cfg.star_proposal_std, cfg.star_steps
        results = {
            "exact": exact_mh(star.log_prob, x0, n, tau, rs),
            "one-point": approximate_mh(star.score, x0, n, tau, rs, n_points=1),
            "trapezoid": approximate_mh(star.score, x0, n, tau, rs, n_points=5),
            "langevin": langevin_mh(star.score, x0, n, cfg.star_langevin_step, rs),
            "learned": approximate_mh(learned, x0, n, tau, rs, n_points=5),
        }
        for m, r in results.items():
            final = r.chains[-1]
            kl[m].append(knn_kl_divergence(ref, final, k=cfg.star_knn))
            acc[m].append(r.acceptance_rate)
            speed[m].append(r.chain_steps_per_second)
            if run == 0:
                samples[m] = final
    return StarResult(
        kl={m: np.asarray(v) for m, v in kl.items()},
        acceptance={m: float(np.mean(v)) for m, v in acc.items()},
        chain_steps_per_second={m: float(np.median(v)) for m, v in speed.items()},
        samples=samples,
        reference=reference,
        reference_kl=np.asarray(ref_kl),
        learned_sigma=dae.sigma,
    )


# --------------------------------------------------------------------------- digits


@dataclass(frozen=True)
class DigitsResult:
    """A DAE (``r = x + σ²h``) on the 64-d digits, trained with annealed σ, and chains on its score.

    The chains sample (approximately) the smoothed density ``p_σ``, whose points carry noise of
    size σ; every state reported here is denoised once, ``x ↦ r(x) = E[x | x̃]``
    (eq. :eq:`rae-tweedie`), and clipped to ``[0, 1]``. ``chains[m]`` has shape
    ``(n_shown, n_chains, 64)`` (evenly spaced states of each chain); ``class_histogram[m]`` the
    fraction of final states per class under a logistic-regression classifier of the training
    digits; ``nearest_train[m]`` the distance from each final state to its nearest training
    digit, ``nearest_train_heldout`` the same for held-out digits; ``moved[m]`` the distance of
    each final state from its (denoised) starting digit.
    ``jacobian_seconds`` times one RCAE loss evaluation with the exact and the Hutchinson norm.
    """

    sigma: float
    chains: dict[str, Array]
    acceptance: dict[str, float]
    chain_steps_per_second: dict[str, float]
    class_histogram: dict[str, Array]
    nearest_train: dict[str, Array]
    nearest_train_heldout: Array
    moved: dict[str, Array]
    classifier_accuracy: float
    jacobian_seconds: dict[str, float]


@torch_threads(SMALL_MODEL_THREADS)
def run_digits(cfg: Config, *, progress: bool = False, n_shown: int = 10) -> DigitsResult:
    """Train on the digits' training part, then run approximate MH and Langevin MH chains."""
    cfg = _check_cfg(cfg)
    n_shown = positive_int("n_shown", n_shown)
    from scipy.spatial import cKDTree
    from sklearn.linear_model import LogisticRegression

    seed_everything(cfg.seed)
    split = load_digits_split(seed=cfg.seed)
    model = _mlp(cfg, 64, cfg.digits_sigmas[0], hidden=cfg.digits_hidden)
    train_autoencoder(
        model,
        split.train,
        criterion="dae",
        sigma_schedule=cfg.digits_sigmas,
        steps=cfg.digits_steps,
        batch_size=cfg.batch_size,
        lr=1e-3,
        seed=cfg.seed,
        progress=progress,
    )
    sigma = model.sigma
    score = partial(estimated_score, model)
    rng = np.random.default_rng(cfg.seed)
    x0 = split.test[rng.choice(len(split.test), cfg.digits_chains, replace=False)]
    n = cfg.digits_steps_mcmc
    runs = {
        "approximate MH": approximate_mh(
            score, x0, n, cfg.digits_proposal_std, cfg.seed, n_points=3
        ),
        "Langevin MH": langevin_mh(score, x0, n, cfg.digits_langevin_step, cfg.seed, n_points=3),
    }
    clf = LogisticRegression(max_iter=2000).fit(split.train, split.train_labels)
    tree = cKDTree(split.train)
    idx = np.linspace(0, n, n_shown).round().astype(int)
    chains, acc, speed, hist, near, moved = {}, {}, {}, {}, {}, {}

    def denoise(states: Array) -> Array:
        flat = states.reshape(-1, 64)
        with torch.no_grad():
            out = model(torch.as_tensor(flat, dtype=torch.float32)).double().numpy()
        return np.clip(out, 0.0, 1.0).reshape(states.shape)

    for m, r in runs.items():
        final = denoise(r.chains[-1])
        chains[m] = denoise(r.chains[idx])
        acc[m] = r.acceptance_rate
        speed[m] = r.chain_steps_per_second
        hist[m] = np.bincount(clf.predict(final), minlength=10) / len(final)
        near[m] = tree.query(final)[0]
        moved[m] = np.sqrt(((final - denoise(r.chains[0])) ** 2).sum(1))
    xb = torch.as_tensor(split.train[: cfg.digits_timing_batch], dtype=torch.float32)

    def loss_and_gradient(jacobian: str) -> None:
        rcae_loss(model, xb, sigma, jacobian=jacobian).backward()

    timing = {j: best_of(partial(loss_and_gradient, j), repeats=3) for j in ("exact", "hutchinson")}
    return DigitsResult(
        sigma=sigma,
        chains=chains,
        acceptance=acc,
        chain_steps_per_second=speed,
        class_histogram=hist,
        nearest_train=near,
        nearest_train_heldout=tree.query(split.test)[0],
        moved=moved,
        classifier_accuracy=float(clf.score(split.test, split.test_labels)),
        jacobian_seconds={j: t.median for j, t in timing.items()},
    )
