"""Result types of chapter 5 (*Self-distillation with ground-truth guidance*).

Every experiment of :mod:`~theorybook.distill.experiments` returns one of these frozen
dataclasses; :class:`Results` gathers them all (what
:func:`~theorybook.distill.experiments.run_all` returns and
:func:`~theorybook.distill.claims.chapter_claims` reads). :func:`deep_numbers` turns the digits
run into plain numbers for a manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from jaxtyping import Float64
from numpy.typing import NDArray

from theorybook.boundary import (
    FiniteReal,
    NonNegativeReal,
    PositiveInt,
    Probability,
    Seed,
    checked,
    record,
)
from theorybook.distill.alpha import AlphaSearch
from theorybook.distill.data import ToyProblem

__all__ = [
    "ESTIMATE",
    "HALF_CELL",
    "AlphaSearchResult",
    "ConvergenceResult",
    "DeepResult",
    "DeepSeedResult",
    "ExactnessResult",
    "Results",
    "SparsificationResult",
    "ToyResult",
    "TrainingProjectionResult",
    "deep_numbers",
]

Array = NDArray[np.float64]

#: chain label of the estimate of :eq:`distill-alpha-hat` (held-out projection, unconstrained).
ESTIMATE = "α̂"


# --------------------------------------------------------------------------- kernel part


@record
@dataclass(frozen=True)
class ToyResult:
    """Loss against sin 2πx on the grid, per α (rows) and step (columns), and the limits."""

    problem: ToyProblem
    alphas: tuple[Probability, ...]
    losses: Float64[np.ndarray, "a steps"]
    limit_losses: Float64[np.ndarray, " a"]
    predictions: Float64[np.ndarray, "a steps m"]  # m = 101 grid points
    limit_predictions: Float64[np.ndarray, "a m"]

    def row(self, alpha: float) -> int:
        """The row of ``alpha`` in :attr:`losses` (``KeyError`` if it was not run)."""
        for i, a in enumerate(self.alphas):
            if abs(a - alpha) < 1e-12:
                return i
        raise KeyError(f"α = {alpha} was not run; alphas: {self.alphas}")


@record
@dataclass(frozen=True)
class ExactnessResult:
    """Largest ``|closed form − explicit refit|`` over α, steps and points, per problem."""

    alphas: tuple[Probability, ...]
    steps: PositiveInt
    max_abs_diff_toy: NonNegativeReal
    max_abs_diff_random: NonNegativeReal
    n_random: PositiveInt
    max_abs_diff_sum_vs_recursion: NonNegativeReal

    @property
    def max_abs_diff(self) -> float:
        """The larger of the two problems' differences."""
        return max(self.max_abs_diff_toy, self.max_abs_diff_random)


@record
@dataclass(frozen=True)
class ConvergenceResult:
    """Distance of step t to the limit, per α, and the α = 0 collapse on the toy.

    ``geometric_excess``: the largest ``(|B⁽ᵗ⁾ − B⁽∞⁾| − (1 − α)^{t−1}|B⁽¹⁾ − B⁽∞⁾|)`` over
    ``α < 1``, ``t`` and ``k``, relative to the largest step-1 gap (``≤ 0`` when the bound holds).
    ``limit_vs_sklearn[i]``: ``max |limit_fit − KernelRidge(λ/α)|`` for ``alphas[i]`` (the closed
    form of the limit, no iteration); ``fixed_point_residual[i]``: ``max |A((1−α)B⁽∞⁾ + α) −
    B⁽∞⁾|``; ``fit_vs_sklearn[i]``: ``max |ŷ⁽ᵀ⁾ − KernelRidge(λ/α)|`` after ``T`` steps.
    """

    alphas: tuple[Probability, ...]
    weight_errors: Float64[np.ndarray, "a steps"]  # max_k |B_k⁽ᵗ⁾ − B_k⁽∞⁾|
    geometric_excess: FiniteReal  # ≤ 0 when the bound holds
    fit_vs_sklearn: Float64[np.ndarray, " a"]
    limit_vs_sklearn: Float64[np.ndarray, " a"]
    fixed_point_residual: Float64[np.ndarray, " a"]
    zero_alpha_norms: Float64[np.ndarray, " steps"]  # ‖ŷ⁽ᵗ⁾‖ / ‖y‖ for α = 0
    zero_alpha_bound: Float64[np.ndarray, " steps"]  # a_max^t, the bound on that ratio
    zero_alpha_loss: Float64[np.ndarray, " steps"]  # toy loss for α = 0


@record
@dataclass(frozen=True)
class SparsificationResult:
    """Ratios ``B_k⁽ᵗ⁾ / B_{k+1}⁽ᵗ⁾`` on the toy for α = 0 and α = ``alpha``, and their limits."""

    alpha: Probability
    ratios_zero: Float64[np.ndarray, "steps k"]  # k = n − 1
    ratios_alpha: Float64[np.ndarray, "steps k"]
    ratios_alpha_limit: Float64[np.ndarray, " k"]
    eigenvalues: Float64[np.ndarray, " n"]

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

    @property
    def last_ratio_shape(self) -> str:
        """How the last ratio at α > 0 reaches its limit, in words (for the prose)."""
        last = self.ratios_alpha[:, -1]
        peak = int(np.argmax(last))
        if self.alpha_monotone:
            return "rises monotonically to its limit"
        return (
            f"overshoots its limit ({last[peak]:.4f} at step {peak + 1} against "
            f"{self.ratios_alpha_limit[-1]:.4f}) and comes back down"
        )


@record
@dataclass(frozen=True)
class AlphaSearchResult:
    """Closed-form α* against a grid at ``step`` (previous steps α = 0), and greedy α* sequences."""

    step: PositiveInt
    search: AlphaSearch
    greedy_alphas_clipped: Float64[np.ndarray, " later"]  # steps 2..T
    greedy_losses_clipped: Float64[np.ndarray, " steps"]  # steps 1..T
    greedy_alphas_free: Float64[np.ndarray, " later"]
    greedy_losses_free: Float64[np.ndarray, " steps"]

    @property
    def free_step2_side(self) -> Literal["below", "inside", "above"]:
        """Where the unconstrained greedy α* of step 2 lies with respect to ``[0, 1]``."""
        free = float(self.greedy_alphas_free[0])
        return "below" if free < 0 else "inside" if free <= 1 else "above"


@record
@dataclass(frozen=True)
class TrainingProjectionResult:
    """The step-2 projection on the training targets in kernel ridge regression, per problem.

    ``alphas[i]`` is the projection of :eq:`distill-alpha-train` on problem ``i`` and
    ``floors[i]`` its floor ``1 + 1/a₁`` (:eq:`distill-alpha-train-bound`); ``problems`` says
    what the problems were.
    """

    alphas: Float64[np.ndarray, " p"]
    floors: Float64[np.ndarray, " p"]
    problems: str

    @property
    def min_relative_excess(self) -> float:
        """The smallest ``(α̃ − floor)/floor`` over the problems (``≥ 0`` when the bound holds)."""
        return float(np.min((self.alphas - self.floors) / self.floors))


# --------------------------------------------------------------------------- digits network


@record
@dataclass(frozen=True)
class DeepSeedResult:
    """One seed of the digits experiment.

    ``chains[label]`` holds test accuracy for steps 1..T (step 1 is the shared teacher); labels
    are ``"α=0.5"`` for a fixed weight and :data:`ESTIMATE` for the chain run with the held-out
    estimate ``α̂`` of :eq:`distill-alpha-hat` (unconstrained) at every step. ``alpha_hat``
    holds ``α̂`` at steps 2..T; ``alpha_train`` the step-2 projection on the training targets
    (:eq:`distill-alpha-train`, the negative control). ``grid_val_loss`` and ``grid_test_acc``
    score the step-2 students trained from the shared teacher with each grid weight, and
    ``grid_best_interval`` is the bootstrap interval of the grid's best weight over the
    validation points (:func:`~theorybook.distill.estimate.grid_optimum_interval`).
    ``seconds_estimate`` is the training time of the students the estimate needs at step 2
    (the ``α = 0`` student and the ``α̂`` student), ``seconds_grid`` that of the grid's students
    (every grid weight but ``α = 1``, whose student is the teacher): like for like, neither
    counts the shared teacher.
    """

    seed: Seed
    chains: Mapping[str, tuple[Probability, ...]]
    chain_val_loss: Mapping[str, tuple[NonNegativeReal, ...]]
    alpha_hat: tuple[FiniteReal, ...]
    alpha_train: FiniteReal
    grid: Float64[np.ndarray, " g"]
    grid_val_loss: Float64[np.ndarray, " g"]
    grid_test_acc: Float64[np.ndarray, " g"]
    alpha_grid_best: Probability
    grid_best_interval: tuple[Probability, Probability]
    seconds_estimate: NonNegativeReal
    seconds_grid: NonNegativeReal

    def __post_init__(self) -> None:
        low, high = self.grid_best_interval
        if not low <= self.alpha_grid_best <= high:
            raise ValueError(
                f"grid_best_interval {self.grid_best_interval} must contain the grid's best "
                f"weight {self.alpha_grid_best}"
            )

    @property
    def cell(self) -> float:
        """The grid step."""
        return float(self.grid[1] - self.grid[0])

    def miss(self, alpha: float) -> float:
        """How far ``alpha`` lies outside :attr:`grid_best_interval`, in grid cells (0 inside)."""
        low, high = self.grid_best_interval
        return max(low - alpha, alpha - high, 0.0) / self.cell

    @property
    def miss_cells(self) -> float:
        """How far the step-2 estimate ``α̂`` lies outside the grid optimum's interval (cells)."""
        return self.miss(self.alpha_hat[0])

    @property
    def best_interior(self) -> bool:
        """Whether the grid's best α lies strictly inside ``(0, 1)``."""
        return 0.0 < self.alpha_grid_best < 1.0

    @property
    def students_estimate(self) -> int:
        """Students the estimate trains at step 2 beyond the teacher (α = 0 and α̂)."""
        return 2

    @property
    def students_grid(self) -> int:
        """Students the grid trains beyond the teacher."""
        return int(np.sum(self.grid < 1.0))


#: a weight rounded to the grid lands inside an interval of grid values when it lies at most
#: half a cell outside it.
HALF_CELL = 0.5


@record
@dataclass(frozen=True)
class DeepResult:
    """All seeds of the digits experiment, the device and the wall time."""

    seeds: tuple[DeepSeedResult, ...]
    steps: PositiveInt
    device: str
    seconds: NonNegativeReal
    noisy_fraction: Probability

    @property
    def max_miss_cells(self) -> float:
        """The largest miss of ``α̂`` from the grid optimum's interval over seeds, in cells."""
        return max(s.miss_cells for s in self.seeds)

    @property
    def best_constant(self) -> float:
        """The challenger of the estimate: the one grid weight, the same for every seed, whose
        largest miss over seeds is smallest (an oracle: it is chosen on the seeds it is scored
        on; ties go to the weight nearest 0.5)."""
        grid = self.seeds[0].grid
        worst = np.asarray([max(s.miss(float(c)) for s in self.seeds) for c in grid])
        ties = np.flatnonzero(worst == worst.min())
        return float(grid[ties[np.argmin(np.abs(grid[ties] - 0.5))]])

    @property
    def constant_miss_cells(self) -> float:
        """The largest miss over seeds of :attr:`best_constant`, in cells."""
        return max(s.miss(self.best_constant) for s in self.seeds)

    @property
    def interior_fraction(self) -> float:
        """Fraction of seeds whose grid optimum lies strictly inside ``(0, 1)``."""
        return float(np.mean([s.best_interior for s in self.seeds]))

    @property
    def fraction_inside(self) -> float:
        """Fraction of seeds whose ``α̂``, rounded to the grid, lies in the grid optimum's
        interval."""
        return float(np.mean([s.miss_cells <= HALF_CELL + 1e-9 for s in self.seeds]))

    @property
    def estimate_speedup(self) -> float:
        """Training time of the grid over that of the estimate (like for like, summed over seeds)."""
        est = sum(s.seconds_estimate for s in self.seeds)
        return sum(s.seconds_grid for s in self.seeds) / est if est > 0 else float("nan")

    def chain(self, label: str) -> Array:
        """Test accuracies of one chain, shape ``(seeds, steps)``."""
        return np.asarray([s.chains[label] for s in self.seeds], dtype=float)

    def mean_chain(self, label: str) -> Array:
        """Mean test accuracy of one chain over seeds, per step."""
        return np.asarray(self.chain(label).mean(axis=0))

    def std_chain(self, label: str) -> Array:
        """Standard deviation of one chain's test accuracy over seeds, per step."""
        return np.asarray(self.chain(label).std(axis=0, ddof=1 if len(self.seeds) > 1 else 0))


@checked
def deep_numbers(result: DeepResult) -> dict[str, Any]:
    """Plain, JSON-ready numbers of a :class:`DeepResult` (accuracies, estimates, grid losses)."""
    labels = list(result.seeds[0].chains)
    return {
        "device": result.device,
        "seconds": result.seconds,
        "noisy_fraction": result.noisy_fraction,
        "steps": result.steps,
        "grid": [float(g) for g in result.seeds[0].grid],
        "mean_accuracy": {k: result.mean_chain(k).tolist() for k in labels},
        "std_accuracy": {k: result.std_chain(k).tolist() for k in labels},
        "estimate_speedup": result.estimate_speedup,
        "per_seed": [
            {
                "seed": s.seed,
                "test_accuracy": {k: list(v) for k, v in s.chains.items()},
                "val_mse": {k: list(v) for k, v in s.chain_val_loss.items()},
                "alpha_hat": list(s.alpha_hat),
                "alpha_train": s.alpha_train,
                "alpha_grid_best": s.alpha_grid_best,
                "grid_best_interval": list(s.grid_best_interval),
                "grid_val_mse": s.grid_val_loss.tolist(),
                "grid_test_accuracy": s.grid_test_acc.tolist(),
                "seconds_estimate": s.seconds_estimate,
                "seconds_grid": s.seconds_grid,
            }
            for s in result.seeds
        ],
    }


# --------------------------------------------------------------------------- the chapter


@checked
@dataclass(frozen=True)
class Results:
    """Every experiment's result: what :func:`~theorybook.distill.experiments.run_all` returns.

    ``deep`` is ``None`` only for a table of the kernel rows alone (every preset runs it). The
    notebook builds one from the experiments it ran; each field's type is checked.
    """

    toy: ToyResult
    exactness: ExactnessResult
    convergence: ConvergenceResult
    sparsification: SparsificationResult
    alpha_search: AlphaSearchResult
    training_projection: TrainingProjectionResult
    deep: DeepResult | None = None
