"""Experiments of chapter 5 (*Self-distillation with ground-truth guidance*).

Each ``run_*(cfg, *, progress=False)`` takes the chapter's
:class:`~theorybook.distill.config.Config` and returns a frozen dataclass of results; the figures
(:mod:`~theorybook.distill.figures`) draw them and :func:`~theorybook.distill.claims.chapter_claims`
turns them into the chapter's *What we reproduced* table. The data (toy, published numbers,
digits split) live in :mod:`~theorybook.distill.data` and the digits-network experiment in
:mod:`~theorybook.distill.deep_experiments`; the names this module exported before the split are
still importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.kernel_ridge import KernelRidge

from theorybook.distill.alpha import (
    AlphaSearch,
    alpha_grid,
    greedy_optimal_alphas,
    krr_step_alpha_search,
)
from theorybook.distill.config import Config
from theorybook.distill.data import (
    PUBLISHED_TOY_ALPHA0,
    PUBLISHED_TOY_ALPHA0_LIMIT,
    PUBLISHED_TOY_ALPHA025,
    PUBLISHED_TOY_ALPHA025_LIMIT,
    PUBLISHED_TOY_ALPHA035,
    PUBLISHED_TOY_ALPHA035_LIMIT,
    TOY_X,
    TOY_Y,
    ToyProblem,
    mobahi_toy,
    random_problem,
)
from theorybook.distill.deep_experiments import DeepResult, DeepSeedResult, run_deep_digits
from theorybook.distill.kernel import (
    distill_fits,
    distill_fits_by_refitting,
    distill_predict,
    eigen_weights,
    kernel_eigen,
    limit_fit,
    limit_predict,
    limit_weights,
    sparsification_ratios,
)

__all__ = [
    "PUBLISHED_TOY_ALPHA0",
    "PUBLISHED_TOY_ALPHA0_LIMIT",
    "PUBLISHED_TOY_ALPHA025",
    "PUBLISHED_TOY_ALPHA025_LIMIT",
    "PUBLISHED_TOY_ALPHA035",
    "PUBLISHED_TOY_ALPHA035_LIMIT",
    "TOY_X",
    "TOY_Y",
    "AlphaSearchResult",
    "ConvergenceResult",
    "DeepResult",
    "DeepSeedResult",
    "ExactnessResult",
    "SparsificationResult",
    "ToyProblem",
    "ToyResult",
    "build_claims",
    "mobahi_toy",
    "run_alpha_search",
    "run_convergence",
    "run_deep_digits",
    "run_exactness",
    "run_sparsification",
    "run_toy",
]

Array = NDArray[np.float64]


def _config(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a theorybook.distill.Config (e.g. Config.preset('smoke')), "
            f"got {type(cfg).__name__}"
        )
    return cfg


def _mse(pred: Array, truth: Array) -> Array:
    return np.asarray(np.mean((pred - truth) ** 2, axis=-1))


# --------------------------------------------------------------------------- toy


@dataclass(frozen=True)
class ToyResult:
    """Loss against sin 2πx on the grid, per α (rows) and step (columns), and the limits."""

    problem: ToyProblem
    alphas: tuple[float, ...]
    losses: Array  # (n_alpha, steps)
    limit_losses: Array  # (n_alpha,)
    predictions: Array  # (n_alpha, steps, 101)
    limit_predictions: Array  # (n_alpha, 101)

    def row(self, alpha: float) -> int:
        """The row of ``alpha`` in :attr:`losses` (``KeyError`` if it was not run)."""
        for i, a in enumerate(self.alphas):
            if abs(a - alpha) < 1e-12:
                return i
        raise KeyError(f"α = {alpha} was not run; alphas: {self.alphas}")


def run_toy(cfg: Config, *, progress: bool = False) -> ToyResult:
    """Losses of the toy for each ``cfg.toy_alphas`` over ``cfg.toy_steps`` steps, and t → ∞.

    Milliseconds: ``progress`` is accepted for a uniform signature and shows nothing.
    """
    cfg = _config(cfg)
    prob = mobahi_toy(gamma=cfg.toy_gamma, lam=cfg.toy_lam)
    preds = np.stack(
        [
            distill_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=a, steps=cfg.toy_steps)
            for a in cfg.toy_alphas
        ]
    )
    lim = np.stack(
        [limit_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=a) for a in cfg.toy_alphas]
    )
    return ToyResult(
        prob, tuple(cfg.toy_alphas), _mse(preds, prob.truth), _mse(lim, prob.truth), preds, lim
    )


# --------------------------------------------------------------------------- exactness


@dataclass(frozen=True)
class ExactnessResult:
    """Largest ``|closed form − explicit refit|`` over α, steps and points, per problem."""

    alphas: tuple[float, ...]
    steps: int
    max_abs_diff_toy: float
    max_abs_diff_random: float
    n_random: int
    max_abs_diff_sum_vs_recursion: float

    @property
    def max_abs_diff(self) -> float:
        """The larger of the two problems' differences."""
        return max(self.max_abs_diff_toy, self.max_abs_diff_random)


def run_exactness(cfg: Config, seed: int = 0, *, progress: bool = False) -> ExactnessResult:
    """Compare :func:`distill_fits`/:func:`distill_predict` with scikit-learn refits.

    Two problems: the toy, and ``cfg.exact_n`` random points in ``[0, 1]³``
    (:func:`~theorybook.distill.data.random_problem`), both in float64.
    """
    cfg = _config(cfg)
    prob = mobahi_toy(gamma=cfg.toy_gamma, lam=cfg.toy_lam)
    rp = random_problem(cfg.exact_n, seed=seed)
    diffs_toy: list[float] = []
    diffs_rand: list[float] = []
    diffs_sum: list[float] = []
    d = kernel_eigen(prob.K).d
    T = cfg.exact_steps
    for a in cfg.exact_alphas:
        for K, Kt, y, lam, out in (
            (prob.K, prob.K_grid, prob.y, prob.lam, diffs_toy),
            (rp.K, rp.K_test, rp.y, rp.lam, diffs_rand),
        ):
            fits_ref, preds_ref = distill_fits_by_refitting(
                K, y, lam=lam, alpha=a, steps=T, K_test=Kt
            )
            out.append(
                float(np.max(np.abs(distill_fits(K, y, lam=lam, alpha=a, steps=T) - fits_ref)))
            )
            out.append(
                float(
                    np.max(np.abs(distill_predict(K, Kt, y, lam=lam, alpha=a, steps=T) - preds_ref))
                )
            )
        rec = eigen_weights(d, lam=prob.lam, alpha=a, steps=T)
        diffs_sum.append(
            float(
                np.max(np.abs(rec - eigen_weights(d, lam=prob.lam, alpha=a, steps=T, method="sum")))
            )
        )
    return ExactnessResult(
        tuple(cfg.exact_alphas), T, max(diffs_toy), max(diffs_rand), cfg.exact_n, max(diffs_sum)
    )


# --------------------------------------------------------------------------- convergence


@dataclass(frozen=True)
class ConvergenceResult:
    """Distance of step t to the limit, per α, and the α = 0 collapse on the toy.

    ``geometric_excess``: the largest ``(|B⁽ᵗ⁾ − B⁽∞⁾| − (1 − α)^{t−1}|B⁽¹⁾ − B⁽∞⁾|)`` over
    ``α < 1``, ``t`` and ``k``, relative to the largest step-1 gap (``≤ 0`` when the bound holds).
    ``limit_vs_sklearn[i]``: ``max |limit_fit − KernelRidge(λ/α)|`` for ``alphas[i]`` (the closed
    form of the limit, no iteration); ``fixed_point_residual[i]``: ``max |A((1−α)B⁽∞⁾ + α) −
    B⁽∞⁾|``; ``fit_vs_sklearn[i]``: ``max |ŷ⁽ᵀ⁾ − KernelRidge(λ/α)|`` after ``T`` steps.
    """

    alphas: tuple[float, ...]
    weight_errors: Array  # (n_alpha, steps): max_k |B_k⁽ᵗ⁾ − B_k⁽∞⁾|
    geometric_excess: float
    fit_vs_sklearn: Array  # (n_alpha,)
    limit_vs_sklearn: Array  # (n_alpha,)
    fixed_point_residual: Array  # (n_alpha,)
    zero_alpha_norms: Array  # (steps,): ‖ŷ⁽ᵗ⁾‖ / ‖y‖ for α = 0
    zero_alpha_bound: Array  # (steps,): a_max^t, the bound on that ratio
    zero_alpha_loss: Array  # (steps,): toy loss for α = 0


def run_convergence(cfg: Config, *, progress: bool = False) -> ConvergenceResult:
    """On the toy: geometric convergence to KRR with λ/α, and the collapse at α = 0."""
    cfg = _config(cfg)
    prob = mobahi_toy(gamma=cfg.toy_gamma, lam=cfg.toy_lam)
    d = kernel_eigen(prob.K).d
    A = d / (d + prob.lam)
    T = cfg.conv_steps
    errs, ratios, vs_sk, lim_sk, fixed = [], [], [], [], []
    for a in cfg.conv_alphas:
        B = eigen_weights(d, lam=prob.lam, alpha=a, steps=T)
        Binf = limit_weights(d, lam=prob.lam, alpha=a)
        gap = np.abs(B - Binf)
        errs.append(gap.max(axis=1))
        fixed.append(float(np.max(np.abs(A * ((1 - a) * Binf + a) - Binf))))
        if a < 1.0:
            bound = (1.0 - a) ** np.arange(T)[:, None] * gap[0]
            ratios.append(float(np.max(gap - bound)) / max(float(gap[0].max()), 1e-300))
        sk = KernelRidge(alpha=prob.lam / a, kernel="precomputed").fit(prob.K, prob.y)
        sk_fit = sk.predict(prob.K)
        vs_sk.append(
            float(
                np.max(
                    np.abs(
                        distill_fits(prob.K, prob.y, lam=prob.lam, alpha=a, steps=T)[-1] - sk_fit
                    )
                )
            )
        )
        lim_sk.append(
            float(np.max(np.abs(limit_fit(prob.K, prob.y, lam=prob.lam, alpha=a) - sk_fit)))
        )
    fits0 = distill_fits(prob.K, prob.y, lam=prob.lam, alpha=0.0, steps=T)
    norms = np.linalg.norm(fits0, axis=1) / np.linalg.norm(prob.y)
    a_max = d[0] / (d[0] + prob.lam)
    loss0 = _mse(
        distill_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=0.0, steps=T), prob.truth
    )
    return ConvergenceResult(
        tuple(cfg.conv_alphas),
        np.stack(errs),
        max(ratios) if ratios else 0.0,
        np.asarray(vs_sk),
        np.asarray(lim_sk),
        np.asarray(fixed),
        norms,
        a_max ** np.arange(1, T + 1),
        loss0,
    )


# --------------------------------------------------------------------------- sparsification


@dataclass(frozen=True)
class SparsificationResult:
    """Ratios ``B_k⁽ᵗ⁾ / B_{k+1}⁽ᵗ⁾`` on the toy for α = 0 and α = ``alpha``, and their limits."""

    alpha: float
    ratios_zero: Array  # (steps, n − 1)
    ratios_alpha: Array  # (steps, n − 1)
    ratios_alpha_limit: Array  # (n − 1,)
    eigenvalues: Array

    @property
    def zero_monotone(self) -> bool:
        """α = 0: every ratio non-decreasing in t."""
        return bool(np.all(np.diff(self.ratios_zero, axis=0) >= -1e-12))

    @property
    def zero_min_increase(self) -> float:
        """α = 0: the smallest step-to-step change of any ratio (≥ 0 when monotone)."""
        return float(np.min(np.diff(self.ratios_zero, axis=0)))

    @property
    def alpha_above_first(self) -> bool:
        """α > 0: every ratio at least its step-1 value."""
        return bool(np.all(self.ratios_alpha >= self.ratios_alpha[0] - 1e-12))

    @property
    def alpha_min_excess(self) -> float:
        """α > 0: the smallest ``R_k⁽ᵗ⁾ − R_k⁽¹⁾`` over k and t ≥ 2 (≥ 0 when above step 1)."""
        return float(np.min(self.ratios_alpha[1:] - self.ratios_alpha[0]))

    @property
    def alpha_monotone(self) -> bool:
        """α > 0: whether every ratio happens to be non-decreasing (not claimed)."""
        return bool(np.all(np.diff(self.ratios_alpha, axis=0) >= -1e-12))


def run_sparsification(cfg: Config, *, progress: bool = False) -> SparsificationResult:
    """Eigen-weight ratios across steps (Mobahi's sparsification), α = 0 vs ``cfg.sparse_alpha``."""
    cfg = _config(cfg)
    prob = mobahi_toy(gamma=cfg.toy_gamma, lam=cfg.toy_lam)
    d = kernel_eigen(prob.K).d
    r0 = sparsification_ratios(eigen_weights(d, lam=prob.lam, alpha=0.0, steps=cfg.sparse_steps))
    ra = sparsification_ratios(
        eigen_weights(d, lam=prob.lam, alpha=cfg.sparse_alpha, steps=cfg.sparse_steps)
    )
    rl = sparsification_ratios(limit_weights(d, lam=prob.lam, alpha=cfg.sparse_alpha))
    return SparsificationResult(cfg.sparse_alpha, r0, ra, rl, d)


# --------------------------------------------------------------------------- alpha search


@dataclass(frozen=True)
class AlphaSearchResult:
    """Closed-form α* against a grid at ``step`` (previous steps α = 0), and greedy α* sequences."""

    step: int
    search: AlphaSearch
    greedy_alphas_clipped: Array
    greedy_losses_clipped: Array
    greedy_alphas_free: Array
    greedy_losses_free: Array


def run_alpha_search(cfg: Config, *, progress: bool = False) -> AlphaSearchResult:
    """α* on the toy, with the truth sin 2πx on the grid as reference.

    The teacher of step ``cfg.search_step`` comes from pure self-distillation (α = 0 at the
    earlier steps); α* is clipped to [0, 1] and compared with a grid of step
    ``cfg.search_grid_step``; both are timed ``cfg.search_repeats`` times (medians).
    """
    cfg = _config(cfg)
    prob = mobahi_toy(gamma=cfg.toy_gamma, lam=cfg.toy_lam)
    prev = distill_fits(prob.K, prob.y, lam=prob.lam, alpha=0.0, steps=cfg.search_step - 1)[-1]
    search = krr_step_alpha_search(
        prob.K,
        prob.K_grid,
        prob.y,
        prob.truth,
        prob.lam,
        prev,
        grid=alpha_grid(cfg.search_grid_step),
        repeats=cfg.search_repeats,
    )
    ac, lc = greedy_optimal_alphas(
        prob.K, prob.K_grid, prob.y, prob.truth, prob.lam, cfg.toy_steps, clip=True
    )
    af, lf = greedy_optimal_alphas(
        prob.K, prob.K_grid, prob.y, prob.truth, prob.lam, cfg.toy_steps, clip=False
    )
    return AlphaSearchResult(cfg.search_step, search, ac, lc, af, lf)


def build_claims(*args: Any, **kwargs: Any) -> Any:
    """Deprecated alias of :func:`theorybook.distill.claims.chapter_claims`."""
    import warnings

    from theorybook.distill.claims import chapter_claims

    warnings.warn(
        "theorybook.distill.experiments.build_claims is deprecated; use "
        "theorybook.distill.chapter_claims",
        DeprecationWarning,
        stacklevel=2,
    )
    return chapter_claims(*args, **kwargs)
