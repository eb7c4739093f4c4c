"""The frozen result types of the regularized auto-encoder chapter (chapter 1).

One type per experiment of :mod:`theorybook.rae.experiments`, and :class:`Results`, what
:func:`~theorybook.rae.experiments.run_all` returns and
:func:`~theorybook.rae.claims.chapter_claims` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from jaxtyping import Bool, Float64

from theorybook.boundary import (
    Interval,
    NonNegativeInt,
    NonNegativeReal,
    PositiveReal,
    Probability,
    record,
)
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

Grid = Float64[np.ndarray, " g"]
"""Values on the chapter's 1-D grid (one per grid point; every such field of a record agrees)."""
Matrix = Float64[np.ndarray, "d d"]
Seeds = Float64[np.ndarray, " seeds"]
"""One value per training seed (every such field of a record agrees on the number)."""
NonNegativeOrInf = Annotated[float, Interval(low=0.0, finite=False)]
"""A real ≥ 0, or +inf (a distance to a set that may be empty)."""


@record
@dataclass(frozen=True)
class TweedieResult:
    """``E[x | x̃]`` three ways on a grid of noisy points ``x̃`` (1-D mixture, one σ)."""

    sigma: PositiveReal
    x_noisy: Grid
    by_quadrature: Grid
    by_bayes: Grid
    by_tweedie: Grid
    max_error_quadrature: NonNegativeReal
    max_error_bayes: NonNegativeReal


@record
@dataclass(frozen=True)
class LinearResult:
    """The optimal linear map ``Σ(Σ + σ²I)⁻¹`` and linear auto-encoders trained by each criterion.

    ``gradients[c]`` is the largest entry of criterion ``c``'s gradient at ``W*`` by autograd on a
    sample of covariance exactly ``Σ`` (``gradient_at_optimum`` their maximum;
    ``detuned_gradient`` the same at the optimum for a σ detuned by 5 %). ``sample_optimum`` is
    ``W*`` for the training sample's covariance, the optimum of either criterion on that sample;
    ``errors[c]`` is the largest entry error of the map trained by ``c`` against it and
    ``population_errors[c]`` against ``W*``; ``detuned_errors[f]`` the same error of the sample's
    closed form at ``fσ``, ``sample_optimum_error`` that of the sample optimum against ``W*``."""

    sigma: PositiveReal
    cov: Matrix
    optimum: Matrix
    sample_optimum: Matrix
    trained: dict[str, Matrix]
    errors: dict[str, NonNegativeReal]
    population_errors: dict[str, NonNegativeReal]
    detuned_errors: dict[float, NonNegativeReal]
    sample_optimum_error: NonNegativeReal
    gradients: dict[str, NonNegativeReal]
    gradient_at_optimum: NonNegativeReal
    detuned_gradient: NonNegativeReal


@record
@dataclass(frozen=True)
class ScoreSigmaResult:
    """DAE and RCAE score estimates on the 1-D mixture at each σ (no annealing), a DAE
    annealed down to the smallest σ (key ``"dae_annealed"``) and an RCAE with the unscaled
    parameterisation ``r = x + g`` at the smallest σ (key ``"rcae_unscaled"``).

    ``scores[(criterion, σ)]`` is ``(r − x)/σ²`` on ``x``; ``error_true`` / ``error_smoothed`` /
    ``error_optimum`` the p-weighted relative errors against ``∇log p``, ``∇log p_σ`` and the
    exact RCAE optimum at that σ (``optimum_scores[σ]``, eq. :eq:`rae-euler-lagrange`), whose own
    errors are ``optimum_error_true`` and ``optimum_error_smoothed``. At each of
    ``limit_sigmas`` (no training) ``limit_error_true`` holds the optimum's error against
    ``∇log p`` and ``limit_smoothed_error_true`` that of ``∇log p_σ``; ``solver_error`` the
    solver's relative error on a manufactured solution. At each training σ,
    ``criterion_excess`` is the RCAE criterion of ``∇log p_σ`` relative to the optimum's, minus
    one, and ``criterion_resolution`` the quadrature's relative resolution of that criterion.
    ``target_position`` places the DAE, the RCAE and a kernel density estimate's score at the
    largest σ on the segment from ``∇log p_σ`` (0) to the RCAE optimum (1);
    ``kde_error_smoothed`` is that estimate's error against ``∇log p_σ``.
    ``linear_error_smoothed[σ]`` is the error of the best linear reconstruction's score (a
    Gaussian fit) against ``∇log p_σ``.
    ``hessian`` is the RCAE's ``(∂r/∂x − 1)/σ²`` at the smallest σ, ``annealed_hessian_error``
    the same error for the annealed DAE. The smallest-σ RCAE is trained on several seeds
    (``seed_models``, the first being ``models[("rcae", σ)]``); ``seed_error_true``,
    ``seed_error_optimum`` and ``seed_hessian_error`` hold its errors per seed.
    """

    sigmas: tuple[PositiveReal, ...]
    x: Grid
    density: Grid
    true_score: Grid
    smoothed_scores: dict[float, Grid]
    optimum_scores: dict[float, Grid]
    optimum_error_true: dict[float, NonNegativeReal]
    optimum_error_smoothed: dict[float, NonNegativeReal]
    limit_sigmas: tuple[PositiveReal, ...]
    limit_error_true: dict[float, NonNegativeReal]
    limit_smoothed_error_true: dict[float, NonNegativeReal]
    solver_error: dict[float, NonNegativeReal]
    criterion_excess: dict[float, float]
    criterion_resolution: dict[float, NonNegativeReal]
    target_position: dict[str, float]
    kde_error_smoothed: NonNegativeReal
    linear_error_smoothed: dict[float, NonNegativeReal]
    scores: dict[tuple[str, float], Grid]
    error_true: dict[tuple[str, float], NonNegativeReal]
    error_smoothed: dict[tuple[str, float], NonNegativeReal]
    error_optimum: dict[tuple[str, float], NonNegativeReal]
    true_hessian: Grid
    hessian: Grid
    hessian_error: NonNegativeReal
    annealed_hessian_error: NonNegativeReal
    seed_error_true: Seeds
    seed_error_optimum: Seeds
    seed_hessian_error: Seeds
    models: dict[tuple[str, float], ScoreAutoencoder]
    seed_models: tuple[ScoreAutoencoder, ...]


@record
@dataclass(frozen=True)
class EnergyResult:
    """Reconstruction error against the log-density integrated from the learned score (1-D).

    ``reconstruction_error`` is ``(r(x) − x)²``; ``log_density`` is ``∫ ŝ`` from ``x = 0``
    (trapezoid), ``true_log_density`` the exact ``log p − log p(0)``. ``at`` maps the points
    −1, 0, 1 to their reconstruction error divided by its maximum over the grid;
    ``local_minima`` lists the grid's local minima of the reconstruction error and
    ``minimum_distance`` their Hausdorff distance to {−1, 0, 1} (``seed_minimum_distance`` and
    ``seed_minimum_count``, the number of minima, per training seed; ``null_minimum_distance``
    for the null models). ``delta_learned`` (per seed: ``seed_delta_learned``) is
    ``log p(0) − log p(1)`` integrated from the learned score, ``delta_optimum`` the same from
    the exact RCAE optimum at the network's σ, ``delta_null`` from two challengers' scores,
    ``delta_reconstruction`` the same read off the reconstruction error as an energy,
    ``delta_true`` the exact value.
    """

    sigma: PositiveReal
    x: Grid
    reconstruction_error: Grid
    log_density: Grid
    true_log_density: Grid
    at: dict[float, Probability]
    local_minima: Float64[np.ndarray, " minima"]
    minimum_distance: NonNegativeOrInf
    seed_minimum_distance: Float64[np.ndarray, " seeds"]
    seed_minimum_count: Float64[np.ndarray, " seeds"]
    null_minimum_distance: dict[str, NonNegativeOrInf]
    delta_learned: float
    seed_delta_learned: Float64[np.ndarray, " seeds"]
    delta_true: float
    delta_optimum: float
    delta_reconstruction: float
    delta_null: dict[str, float]


@record
@dataclass(frozen=True)
class MH1DResult:
    """Approximate MH on the learned score of the smallest-σ RCAE of every training seed, and
    exact MH, on the 1-D mixture.

    ``seed_ks_distance`` holds the Kolmogorov–Smirnov distance between each seed's pooled samples
    and ``p`` (on a grid), ``ks_distance`` their mean; ``samples``, ``acceptance_rate``,
    ``chain_steps_per_second``, ``mode_fraction`` and ``std`` describe the first seed's chains.
    ``exact_ks_distance`` is the same distance for the exact-MH chains;
    ``smoothed_ks_distance[σ]`` the distance from ``p`` of the density smoothed at σ and
    ``null_ks_distance`` that of a Gaussian of the same variance (both computed exactly).
    """

    samples: Float64[np.ndarray, " samples"]
    acceptance_rate: Probability
    chain_steps_per_second: PositiveReal
    mode_fraction: Probability
    std: NonNegativeReal
    exact_mode_fraction: Probability
    exact_std: NonNegativeReal
    true_std: PositiveReal
    ks_distance: Probability
    seed_ks_distance: Float64[np.ndarray, " seeds"]
    exact_ks_distance: Probability
    smoothed_ks_distance: dict[float, Probability]
    null_ks_distance: dict[str, Probability]


@record
@dataclass(frozen=True)
class SpiralResult:
    """A DAE trained on the spiral with annealed σ; its field ``r(x) − x`` on a grid.

    ``band`` marks grid points at distance ``2σ`` to ``4σ`` from the curve (σ the final training
    level), ``band_ratios`` their distance after ``x ← r(x)`` divided by the distance before and
    ``shrink`` the median of those ratios; ``linear_shrink`` is the same median for the best
    linear reconstruction. ``moved_closer`` is the fraction of band points whose distance
    shrinks at all (``linear_moved_closer`` for the linear reconstruction);
    ``moved_closer_within`` the same fraction over all grid points closer than
    ``near_distance``. Closer than about σ the move is smaller than the network's error and the
    curvature bias of ``E[x | x̃]``.
    """

    data: Float64[np.ndarray, "n 2"]
    grid: Float64[np.ndarray, "p 2"]
    field: Float64[np.ndarray, "p 2"]
    distance_before: Float64[np.ndarray, " p"]
    distance_after: Float64[np.ndarray, " p"]
    band: Bool[np.ndarray, " p"]
    band_ratios: Float64[np.ndarray, " band"]
    shrink: NonNegativeReal
    linear_shrink: NonNegativeReal
    moved_closer: Probability
    linear_moved_closer: Probability
    near_distance: PositiveReal
    moved_closer_within: Probability
    sigma: PositiveReal


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
    ``kl_small_step`` holds the exact-energy and one-point chains run again at the authors'
    proposal std ``small_step``; ``kl_null`` null models scored alike in every run
    (``"never moves"``: the starting states; ``"smoothed"``: exact samples of the density
    smoothed at the first σ of the DAE's schedule; ``"smoothed final"``: the same at its last σ,
    the DAE's own target). ``smoothing_kl[σ]`` is ``KL(p ‖ p_σ)`` by quadrature on the density's
    lattice.

    The trapezoid rule is also checked directly on one proposal from each final state of every
    run's exact-energy chains: ``quadrature_flips`` holds, per proposal, ``|min(1, e^Δ̂) −
    min(1, e^Δ)|``, the probability that Δ̂ changes the accept decision (for a shared uniform
    draw), and ``flip_rate[m]`` its mean for the 5-node rule (``"trapezoid"``) and for
    challengers (the same rule on the score of a mis-tempered star ``p^β``, and rules with fewer
    nodes).
    """

    kl: dict[str, Float64[np.ndarray, " runs"]]
    kl_small_step: dict[str, Float64[np.ndarray, " runs"]]
    kl_null: dict[str, Float64[np.ndarray, " runs"]]
    small_step: PositiveReal
    acceptance: dict[str, Probability]
    chain_steps_per_second: dict[str, PositiveReal]
    samples: dict[str, Float64[np.ndarray, "chains 2"]]
    reference: Float64[np.ndarray, "reference 2"]
    reference_kl: Float64[np.ndarray, " runs"]
    learned_sigma: PositiveReal
    smoothing_kl: dict[float, NonNegativeReal]
    quadrature_flips: Float64[np.ndarray, " proposals"]
    flip_rate: dict[str, Probability]


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
    digit, ``nearest_train_heldout`` the same for held-out digits and ``nearest_train_null`` for
    the null models (``"never moves"``: the starting noise denoised once; ``"iterated
    denoiser"``: ``x ← r(x)`` repeated as many times as the chains step); ``moved[m]`` the
    distance of each final state from its (denoised) starting state. ``energy_distance`` holds
    the energy distance of each sampler's and null model's final states to the held-out digits,
    ``energy_distance_reference`` the same for sets of as many training digits, noised at σ and
    denoised once.
    ``jacobian_seconds`` times one RCAE loss evaluation with the exact and the Hutchinson norm.
    """

    sigma: PositiveReal
    chains: dict[str, Float64[np.ndarray, "shown chains 64"]]
    acceptance: dict[str, Probability]
    chain_steps_per_second: dict[str, PositiveReal]
    class_histogram: dict[str, Float64[np.ndarray, " 10"]]
    classes_reached: dict[str, NonNegativeInt]
    nearest_train: dict[str, Float64[np.ndarray, " chains"]]
    nearest_train_heldout: Float64[np.ndarray, " heldout"]
    nearest_train_null: dict[str, Float64[np.ndarray, " chains"]]
    energy_distance: dict[str, NonNegativeReal]
    energy_distance_reference: Float64[np.ndarray, " draws"]
    moved: dict[str, Float64[np.ndarray, " chains"]]
    classifier_accuracy: Probability
    jacobian_seconds: dict[str, NonNegativeReal]


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
