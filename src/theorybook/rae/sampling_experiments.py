"""Sampling with the learned score: the Metropolis–Hastings experiments (chapter 1).

Approximate MH on the 1-D mixture's learned score (:func:`run_mh_1d`), five samplers on the
ninja-star energy over independent runs (:func:`run_star`) and chains on the score of a DAE of the
64-d digits (:func:`run_digits`). Each ``run_*`` takes the chapter's
:class:`~theorybook.rae.config.Config` first, seeds itself from ``cfg.seed`` and returns a frozen
result of :mod:`theorybook.rae.results`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import checked
from theorybook.rae.config import Config, check_config
from theorybook.rae.criteria import _rcae_loss
from theorybook.rae.data import bimodal_mixture, load_digits_split
from theorybook.rae.densities import GaussianMixture, NinjaStar
from theorybook.rae.models import _estimated_score
from theorybook.rae.results import DigitsResult, MH1DResult, ScoreSigmaResult, StarResult
from theorybook.rae.sampling import (
    approximate_mh,
    energy_distance,
    exact_mh,
    integrated_log_ratio,
    knn_kl_divergence,
    langevin_mh,
)
from theorybook.rae.score_experiments import SMALL_MODEL_THREADS, check_scores, score_network
from theorybook.rae.training import train_autoencoder
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of

__all__ = [
    "KS_GRID",
    "QUADRATURE_CHALLENGERS",
    "SMOOTHED_NULLS",
    "mixture_cdf",
    "run_digits",
    "run_mh_1d",
    "run_star",
]

Array = NDArray[np.float64]


# --------------------------------------------------------------------------- 1-D MH

KS_GRID = np.linspace(-2.5, 2.5, 1201)
"""The points at which :func:`run_mh_1d` compares distribution functions (spacing 0.004)."""


@checked
def mixture_cdf(p: GaussianMixture, x: Float[np.ndarray, " m"]) -> Float[np.ndarray, " m"]:
    """The distribution function of a 1-D Gaussian mixture at the points ``x`` (shape ``(m,)``)."""
    from scipy.stats import norm

    z = (np.asarray(x, dtype=np.float64)[:, None] - p.means[None, :, 0]) / p.stds[None, :]
    return np.asarray(norm.cdf(z) @ p.weights, dtype=np.float64)


def _chain_cdfs(chains: Array) -> Array:
    """Per-chain empirical distribution functions on :data:`KS_GRID`: ``chains`` has shape
    ``(steps, n_chains)``, the result ``(n_chains, len(KS_GRID))``."""
    ordered = np.sort(chains, axis=0)
    counts = np.stack([np.searchsorted(c, KS_GRID, side="right") for c in ordered.T])
    return counts / len(chains)


SMOOTHED_NULLS = (0.1, 0.15, 0.2, 0.3)
"""The σ at which :func:`run_mh_1d` scores the smoothed density ``p_σ`` as a null model."""


def _ks_to(chains: Array, target: Array) -> float:
    """The KS distance on :data:`KS_GRID` between the pooled chains ``(steps, n_chains)`` and the
    distribution function ``target``."""
    return float(np.abs(_chain_cdfs(chains).mean(0) - target).max())


@torch_threads(SMALL_MODEL_THREADS)
def run_mh_1d(cfg: Config, scores: ScoreSigmaResult, *, progress: bool = False) -> MH1DResult:
    """Chains on the smallest-σ RCAE of every training seed of ``scores`` (its ``seed_models``),
    started at 0: ``cfg.mixture.sampler.steps`` steps, the first ``burn_in`` discarded; each
    seed's chains have their own proposals (seed ``cfg.seed + k``). The pooled samples of each
    seed are compared with ``p`` by the Kolmogorov–Smirnov distance ``sup |F_n − F|`` on
    :data:`KS_GRID`; the null models, compared exactly, are the density smoothed at each σ of
    :data:`SMOOTHED_NULLS` and a Gaussian of the same variance. ``progress`` shows a bar over the
    seeds."""
    cfg = check_config(cfg)
    scores = check_scores(scores)
    sampler = cfg.mixture.sampler
    x0 = np.zeros((sampler.chains, 1))
    p = bimodal_mixture()
    target = mixture_cdf(p, KS_GRID)
    runs = [
        approximate_mh(
            partial(_estimated_score, model),
            x0,
            sampler.steps,
            sampler.proposal_std,
            cfg.seed + k,
            n_points=sampler.n_points,
        )
        for k, model in enumerate(
            progress_bar(scores.seed_models, desc="1-D chains", disable=not progress)
        )
    ]
    approx = runs[0]
    exact = exact_mh(p.log_prob, x0, sampler.steps, sampler.proposal_std, cfg.seed)
    s = approx.samples(burn_in=sampler.burn_in)[:, 0]
    e = exact.samples(burn_in=sampler.burn_in)[:, 0]
    true_std = float(np.sqrt((p.weights * (p.stds**2 + p.means[:, 0] ** 2)).sum()))
    seed_ks = np.array([_ks_to(r.chains[sampler.burn_in :, :, 0], target) for r in runs])
    gaussian = GaussianMixture([[0.0]], [true_std], [1.0])
    return MH1DResult(
        samples=s,
        acceptance_rate=approx.acceptance_rate,
        chain_steps_per_second=approx.chain_steps_per_second,
        mode_fraction=float((s > 0).mean()),
        std=float(s.std()),
        exact_mode_fraction=float((e > 0).mean()),
        exact_std=float(e.std()),
        true_std=true_std,
        ks_distance=float(seed_ks.mean()),
        seed_ks_distance=seed_ks,
        exact_ks_distance=_ks_to(exact.chains[sampler.burn_in :, :, 0], target),
        smoothed_ks_distance={
            sigma: float(np.abs(mixture_cdf(p.smoothed(sigma), KS_GRID) - target).max())
            for sigma in SMOOTHED_NULLS
        },
        null_ks_distance={
            "a Gaussian of the same variance": float(
                np.abs(mixture_cdf(gaussian, KS_GRID) - target).max()
            ),
        },
    )


# --------------------------------------------------------------------------- ninja star

QUADRATURE_CHALLENGERS: dict[str, tuple[float, int | None]] = {
    "p^0.95, same rule": (0.95, None),
    "p^1.05, same rule": (1.05, None),
    "3-node rule": (1.0, 3),
    "one-point rule": (1.0, 1),
}
"""Challengers of the trapezoid rule in :func:`run_star`: ``(β, nodes)`` for Δ̂ from the score of
``p^β`` on ``nodes`` nodes (``None``: the sampler's own ``n_points``): a 5 % mis-tempered target
with the same rule, and cruder rules on the exact score."""


def _flips(delta_hat: Array, delta: Array) -> Array:
    """``|min(1, e^Δ̂) − min(1, e^Δ)|`` per proposal: the probability that a shared uniform draw
    accepts under one and rejects under the other."""
    return np.asarray(
        np.abs(np.exp(np.minimum(delta_hat, 0.0)) - np.exp(np.minimum(delta, 0.0))),
        dtype=np.float64,
    )


@torch_threads(SMALL_MODEL_THREADS)
def run_star(cfg: Config, *, progress: bool = False) -> StarResult:
    """Chains start uniform on ``[−3, 3]²`` and run ``cfg.star.sampler.steps`` steps; their final
    states are compared with an independent reference sample of the same density.

    At the proposal std ``cfg.star.sampler.proposal_std`` five samplers run (exact energy,
    one-point and trapezoid Δ on the exact score, Langevin MH, trapezoid Δ on the learned score);
    at the authors' smaller step ``cfg.star.small_step`` the exact-energy and one-point chains run
    again. Three null models are scored by the same estimator in every run: the chains' starting
    states (a sampler that never moves), and exact samples of the density smoothed at the first
    and at the last σ of the DAE's schedule (a perfect sampler of what the DAE knew before
    annealing, and of the smoothed density it is trained to know in the end).

    The 5-node rule is also checked directly: from each final state of every run's exact-energy
    chains one proposal is drawn, and the accept probability ``min(1, e^Δ̂)`` of the rule is
    compared with the exact one (:data:`QUADRATURE_CHALLENGERS` alike)."""
    cfg = check_config(cfg)
    settings, sampler = cfg.star, cfg.star.sampler
    star = NinjaStar()
    methods = ("exact", "one-point", "trapezoid", "langevin", "learned")
    seed_everything(cfg.seed)
    dae = score_network(cfg.network, 2, settings.sigmas[0])
    train_autoencoder(
        dae,
        star.sample(settings.n_train, cfg.seed + 7),
        criterion="dae",
        sigma_schedule=settings.sigmas,
        training=settings.training,
        seed=cfg.seed,
    )
    learned = partial(_estimated_score, dae)
    first = settings.sigmas[0]
    last = settings.sigmas[-1]
    nulls = ("never moves", "smoothed", "smoothed final")
    flips: list[Array] = []
    challenger_flips: dict[str, list[Array]] = {m: [] for m in QUADRATURE_CHALLENGERS}
    kl: dict[str, list[float]] = {m: [] for m in methods}
    kl_small: dict[str, list[float]] = {m: [] for m in ("exact", "one-point")}
    kl_null: dict[str, list[float]] = {m: [] for m in nulls}
    acc: dict[str, list[float]] = {m: [] for m in methods}
    speed: dict[str, list[float]] = {m: [] for m in methods}
    samples: dict[str, Array] = {}
    ref_kl = []
    reference = star.sample(settings.reference, cfg.seed)
    k = settings.knn
    tau, tau_small = sampler.proposal_std, settings.small_step
    n, nodes = sampler.steps, sampler.n_points
    for run in progress_bar(range(settings.runs), desc="star runs", disable=not progress):
        rs = cfg.seed + 1000 * (run + 1)
        rng = np.random.default_rng(rs)
        x0 = rng.uniform(-3, 3, size=(sampler.chains, 2))
        ref = star.sample(settings.reference, rs + 1)
        ref_kl.append(knn_kl_divergence(ref, star.sample(sampler.chains, rs + 2), k=k))
        results = {
            "exact": exact_mh(star.log_prob, x0, n, tau, rs),
            "one-point": approximate_mh(star.score, x0, n, tau, rs, n_points=1),
            "trapezoid": approximate_mh(star.score, x0, n, tau, rs, n_points=nodes),
            "langevin": langevin_mh(star.score, x0, n, sampler.langevin_step, rs),
            "learned": approximate_mh(learned, x0, n, tau, rs, n_points=nodes),
        }
        for m, r in results.items():
            final = r.chains[-1]
            kl[m].append(knn_kl_divergence(ref, final, k=k))
            acc[m].append(r.acceptance_rate)
            speed[m].append(r.chain_steps_per_second)
            if run == 0:
                samples[m] = final
        small = {
            "exact": exact_mh(star.log_prob, x0, n, tau_small, rs),
            "one-point": approximate_mh(star.score, x0, n, tau_small, rs, n_points=1),
        }
        for m, r in small.items():
            kl_small[m].append(knn_kl_divergence(ref, r.chains[-1], k=k))
        noise = np.random.default_rng(rs + 3).standard_normal((sampler.chains, 2))
        blurred = star.sample(sampler.chains, rs + 4) + first * noise
        noise_last = np.random.default_rng(rs + 5).standard_normal((sampler.chains, 2))
        blurred_last = star.sample(sampler.chains, rs + 6) + last * noise_last
        kl_null[nulls[0]].append(knn_kl_divergence(ref, x0, k=k))
        kl_null[nulls[1]].append(knn_kl_divergence(ref, blurred, k=k))
        kl_null[nulls[2]].append(knn_kl_divergence(ref, blurred_last, k=k))
        a = results["exact"].chains[-1]
        b = a + tau * np.random.default_rng(rs + 7).standard_normal(a.shape)
        delta = star.log_prob(b) - star.log_prob(a)
        flips.append(_flips(integrated_log_ratio(star.score, a, b, n_points=nodes), delta))
        for m, (beta, m_nodes) in QUADRATURE_CHALLENGERS.items():
            tempered = partial(_tempered_score, star, beta)
            estimate = integrated_log_ratio(tempered, a, b, n_points=m_nodes or nodes)
            challenger_flips[m].append(_flips(estimate, delta))
    return StarResult(
        kl={m: np.asarray(v) for m, v in kl.items()},
        kl_small_step={m: np.asarray(v) for m, v in kl_small.items()},
        kl_null={m: np.asarray(v) for m, v in kl_null.items()},
        small_step=tau_small,
        acceptance={m: float(np.mean(v)) for m, v in acc.items()},
        chain_steps_per_second={m: float(np.median(v)) for m, v in speed.items()},
        samples=samples,
        reference=reference,
        reference_kl=np.asarray(ref_kl),
        learned_sigma=dae.sigma,
        smoothing_kl={s: star.smoothed_kl(s) for s in (dae.sigma, first)},
        quadrature_flips=np.concatenate(flips),
        flip_rate={"trapezoid": float(np.concatenate(flips).mean())}
        | {m: float(np.concatenate(v).mean()) for m, v in challenger_flips.items()},
    )


def _tempered_score(star: NinjaStar, beta: float, x: Array) -> Array:
    """The score of ``p^β``: ``β ∇log p``."""
    return np.asarray(beta * star.score(x), dtype=np.float64)


# --------------------------------------------------------------------------- digits


@torch_threads(SMALL_MODEL_THREADS)
def run_digits(cfg: Config, *, progress: bool = False) -> DigitsResult:
    """Train on the digits' training part, then run approximate MH and Langevin MH chains from
    uniform noise in ``[0, 1]⁶⁴``. Two null models start from the same noise: a sampler that
    never moves, and the denoiser iterated as many times as the chains take steps
    (``x ← r(x)``, no sampling). Final states, denoised once, are compared with the held-out
    digits by their distance to the nearest training digit and by the energy distance
    (:func:`~theorybook.rae.sampling.energy_distance`); the reference for the latter is
    ``reference_draws`` sets of as many training digits, noised at σ and denoised once (what a
    perfect sampler of ``p_σ`` would give through the same denoising)."""
    cfg = check_config(cfg)
    settings, sampler = cfg.digits, cfg.digits.sampler
    n_shown = settings.n_shown
    from scipy.spatial import cKDTree
    from sklearn.linear_model import LogisticRegression

    seed_everything(cfg.seed)
    split = load_digits_split(seed=cfg.seed)
    model = score_network(settings.network, 64, settings.sigmas[0])
    train_autoencoder(
        model,
        split.train,
        criterion="dae",
        sigma_schedule=settings.sigmas,
        training=settings.training,
        seed=cfg.seed,
        progress=progress,
    )
    sigma = model.sigma
    score = partial(_estimated_score, model)
    rng = np.random.default_rng(cfg.seed)
    x0 = rng.uniform(0.0, 1.0, size=(sampler.chains, 64))
    n, nodes = sampler.steps, sampler.n_points
    runs = {
        "approximate MH": approximate_mh(
            score, x0, n, sampler.proposal_std, cfg.seed, n_points=nodes
        ),
        "Langevin MH": langevin_mh(score, x0, n, sampler.langevin_step, cfg.seed, n_points=nodes),
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
    with torch.no_grad():
        iterated = torch.as_tensor(x0, dtype=torch.float32)
        for _ in range(n):
            iterated = model(iterated)
    nulls = {"never moves": denoise(x0), "iterated denoiser": denoise(iterated.double().numpy())}
    finals = {m: denoise(r.chains[-1]) for m, r in runs.items()} | nulls
    reference = []
    for _ in range(settings.reference_draws):
        pick = split.train[rng.choice(len(split.train), sampler.chains, replace=False)]
        reference.append(
            energy_distance(denoise(pick + sigma * rng.standard_normal(pick.shape)), split.test)
        )
    xb = torch.as_tensor(split.train[: settings.timing_batch], dtype=torch.float32)

    params = list(model.parameters())

    def loss_and_gradient(jacobian: str) -> None:
        # one loss and its gradient, as a training step computes them (no parameter update)
        torch.autograd.grad(_rcae_loss(model, xb, sigma, jacobian, 1, None), params)

    timing = {j: best_of(partial(loss_and_gradient, j), repeats=3) for j in ("exact", "hutchinson")}
    return DigitsResult(
        sigma=sigma,
        chains=chains,
        acceptance=acc,
        chain_steps_per_second=speed,
        class_histogram=hist,
        classes_reached={m: int(np.count_nonzero(h)) for m, h in hist.items()},
        nearest_train=near,
        nearest_train_heldout=tree.query(split.test)[0],
        nearest_train_null={m: tree.query(v)[0] for m, v in nulls.items()},
        energy_distance={m: energy_distance(v, split.test) for m, v in finals.items()},
        energy_distance_reference=np.asarray(reference),
        moved=moved,
        classifier_accuracy=float(clf.score(split.test, split.test_labels)),
        jacobian_seconds={j: t.median for j, t in timing.items()},
    )
