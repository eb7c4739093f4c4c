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
    "ESTIMATE_VAL",
    "AlphaSearchResult",
    "ConvergenceResult",
    "DeepResult",
    "DeepSeedResult",
    "ExactnessResult",
    "Results",
    "SparsificationResult",
    "ToyResult",
    "deep_numbers",
]

Array = NDArray[np.float64]

#: chain label of the estimate of :eq:`distill-alpha-hat` (training targets, unconstrained).
ESTIMATE = "α̂"
#: chain label of the variant scored on validation outputs and clipped to [0, 1].
ESTIMATE_VAL = "α̂ val"


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


# --------------------------------------------------------------------------- digits network


@record
@dataclass(frozen=True)
class DeepSeedResult:
    """One seed of the digits experiment.

    ``chains[label]`` holds test accuracy for steps 1..T (step 1 is the shared teacher); labels
    are ``"α=0.5"`` for a fixed weight, :data:`ESTIMATE` for the chain run with ``α̂`` of
    :eq:`distill-alpha-hat` and :data:`ESTIMATE_VAL` for the validation variant.
    ``alpha_hat`` holds ``α̂`` at steps 2..T; ``alpha_hat_val`` the variant (clipped) and
    ``alpha_hat_val_free`` its projection before clipping. ``grid_val_loss`` and
    ``grid_test_acc`` score the step-2 students trained from the shared teacher with each grid
    weight. ``seconds_estimate`` is the training time of the students the estimate needs at
    step 2 (the ``α = 0`` student and the ``α̂`` student), ``seconds_grid`` that of the grid's
    students (every grid weight but ``α = 1``, whose student is the teacher): like for like,
    neither counts the shared teacher.
    """

    seed: Seed
    chains: Mapping[str, tuple[Probability, ...]]
    chain_val_loss: Mapping[str, tuple[NonNegativeReal, ...]]
    alpha_hat: tuple[FiniteReal, ...]
    alpha_hat_val: tuple[Probability, ...]
    alpha_hat_val_free: tuple[FiniteReal, ...]
    grid: Float64[np.ndarray, " g"]
    grid_val_loss: Float64[np.ndarray, " g"]
    grid_test_acc: Float64[np.ndarray, " g"]
    alpha_grid_best: Probability
    seconds_estimate: NonNegativeReal
    seconds_grid: NonNegativeReal

    @property
    def cell(self) -> float:
        """The grid step."""
        return float(self.grid[1] - self.grid[0])

    @property
    def cells_off(self) -> float:
        """``|α̂₂ − grid-best α|`` in grid cells (step 2, from the shared teacher)."""
        return abs(self.alpha_hat[0] - self.alpha_grid_best) / self.cell

    @property
    def cells_off_val(self) -> float:
        """The same for the validation variant."""
        return abs(self.alpha_hat_val[0] - self.alpha_grid_best) / self.cell

    @property
    def boundary_cells_off(self) -> float:
        """Cells between the grid's best α and the nearer boundary (0 or 1): how far a constant
        boundary guess lands, the trivial baseline of the α̂ rows."""
        best = self.alpha_grid_best
        return min(best, 1.0 - best) / self.cell

    @property
    def best_interior(self) -> bool:
        """Whether the grid's best α lies strictly inside ``(0, 1)``."""
        return 0.0 < self.alpha_grid_best < 1.0

    @property
    def on_boundary(self) -> bool:
        """Whether the grid's best α and the (clipped) variant both sit on one boundary."""
        a, b = self.alpha_hat_val[0], self.alpha_grid_best
        return (a == b == 1.0) or (a == b == 0.0)

    @property
    def students_estimate(self) -> int:
        """Students the estimate trains at step 2 beyond the teacher (α = 0 and α̂)."""
        return 2

    @property
    def students_grid(self) -> int:
        """Students the grid trains beyond the teacher."""
        return int(np.sum(self.grid < 1.0))


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
    def max_cells_off(self) -> float:
        """The largest ``|α̂ − grid best|`` over seeds, in grid cells."""
        return max(s.cells_off for s in self.seeds)

    @property
    def max_cells_off_val(self) -> float:
        """The same for the validation variant."""
        return max(s.cells_off_val for s in self.seeds)

    @property
    def max_boundary_cells_off(self) -> float:
        """The same for the trivial baseline (the boundary nearer the grid's best)."""
        return max(s.boundary_cells_off for s in self.seeds)

    @property
    def interior_fraction(self) -> float:
        """Fraction of seeds whose grid optimum lies strictly inside ``(0, 1)``."""
        return float(np.mean([s.best_interior for s in self.seeds]))

    @property
    def all_on_boundary(self) -> bool:
        """Whether the variant and the grid's best share a boundary for every seed."""
        return all(s.on_boundary for s in self.seeds)

    @property
    def fraction_within_one_cell(self) -> float:
        """Fraction of seeds whose estimate α̂ lies within one grid cell of the grid's best."""
        return float(np.mean([s.cells_off <= 1.0 + 1e-9 for s in self.seeds]))

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
                "alpha_hat_val": list(s.alpha_hat_val),
                "alpha_hat_val_free": list(s.alpha_hat_val_free),
                "alpha_grid_best": s.alpha_grid_best,
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
    deep: DeepResult | None = None
