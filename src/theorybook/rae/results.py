"""The frozen result types of the regularized auto-encoder chapter (chapter 1).

One type per experiment of :mod:`theorybook.rae.experiments`, and :class:`Results`, what
:func:`~theorybook.rae.experiments.run_all` returns and
:func:`~theorybook.rae.claims.chapter_claims` reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theorybook.boundary import record
from theorybook.rae.models import ScoreAutoencoder

__all__ = [
    "DigitsResult",
    "EnergyResult",
    "LinearResult",
    "MH1DResult",
    "Results",
    "ScoreSigmaResult",
    "SpiralResult",
    "StarResult",
    "TweedieResult",
]

Array = NDArray[np.float64]


@record
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


@record
@dataclass(frozen=True)
class LinearResult:
    """The optimal linear map ``Σ(Σ + σ²I)⁻¹`` and linear auto-encoders trained by each criterion."""

    sigma: float
    cov: Array
    optimum: Array
    trained: dict[str, Array]
    errors: dict[str, float]
    gradient_at_optimum: float


@record
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


@record
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


@record
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


@record
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


@record
@dataclass(frozen=True)
class StarResult:
    """MH on the ninja-star energy over ``runs`` independent runs per method.

    Methods: ``"exact"`` (exact ``log p``), ``"one-point"`` (Δ ≈ ``s(x)·(x* − x)``),
    ``"trapezoid"`` (5-node rule on the exact score), ``"langevin"`` (Langevin MH on the
    exact score) and ``"learned"`` (5-node rule on the score of a DAE trained on samples of the
    density with σ annealed through ``cfg.star.sigmas``; it targets the smoothed ``p_σ``).
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


@record
@dataclass(frozen=True)
class DigitsResult:
    """A DAE (``r = x + σ²h``) on the 64-d digits, trained with annealed σ, and chains on its score.

    The chains sample (approximately) the smoothed density ``p_σ``, whose points carry noise of
    size σ; every state reported here is denoised once, ``x ↦ r(x) = E[x | x̃]``
    (eq. :eq:`rae-tweedie`), and clipped to ``[0, 1]``. ``chains[m]`` has shape
    ``(n_shown, n_chains, 64)`` (evenly spaced states of each chain); ``class_histogram[m]`` the
    fraction of final states per class under a logistic-regression classifier of the training
    digits, and ``classes_reached[m]`` the number of classes with at least one final state;
    ``nearest_train[m]`` the distance from each final state to its nearest training
    digit, ``nearest_train_heldout`` the same for held-out digits; ``moved[m]`` the distance of
    each final state from its (denoised) starting digit.
    ``jacobian_seconds`` times one RCAE loss evaluation with the exact and the Hutchinson norm.
    """

    sigma: float
    chains: dict[str, Array]
    acceptance: dict[str, float]
    chain_steps_per_second: dict[str, float]
    class_histogram: dict[str, Array]
    classes_reached: dict[str, int]
    nearest_train: dict[str, Array]
    nearest_train_heldout: Array
    moved: dict[str, Array]
    classifier_accuracy: float
    jacobian_seconds: dict[str, float]


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of the chapter, as :func:`~theorybook.rae.experiments.run_all` returns
    them (the notebook builds the same from the ``run_*`` it calls one at a time)."""

    tweedie: TweedieResult
    linear: LinearResult
    scores: ScoreSigmaResult
    energy: EnergyResult
    mh: MH1DResult
    spiral: SpiralResult
    star: StarResult
    digits: DigitsResult
