"""The result types of the AR-Net chapter (chapter 6): what each experiment returns, and
:class:`Results`, what :func:`~theorybook.arnet.experiments.run_all` returns.

Every type is a frozen dataclass; arrays are ``(settings, seeds)`` unless a docstring says
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from jaxtyping import Bool, Float64

from theorybook.arnet.baselines import ARFit
from theorybook.arnet.config import Density
from theorybook.arnet.fit import ARNetResult
from theorybook.boundary import (
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
    record,
)
from theorybook.validation import positive_real

__all__ = [
    "KEPT_TOL",
    "OFF_SUPPORT_TOL",
    "CLambdaSweep",
    "DenseResult",
    "HighOrderRecord",
    "LearningRateSweep",
    "RegularizerShape",
    "Results",
    "SmallDataResult",
    "SparseOrderResult",
    "SparsitySweep",
    "SunspotsResult",
    "TimingRecord",
    "TimingResult",
]

OFF_SUPPORT_TOL = 0.05
"""Support recovery means every off-support ``|ŵ|`` below this (the small-data experiment)."""
KEPT_TOL = 0.01
"""A sparse fit *keeps* a lag whose ``|ŵ|`` exceeds this (the sunspots experiment)."""


@record
@dataclass(frozen=True)
class RegularizerShape:
    """``R`` and ``R'`` per weight on a grid of ``|θ|`` from 0 (where ``R' = ∞``)."""

    theta: Float64[np.ndarray, " grid"]
    r: Float64[np.ndarray, " grid"]
    dr: Float64[np.ndarray, " grid"]
    c1: PositiveReal
    c2: PositiveReal


@record
@dataclass(frozen=True)
class DenseResult:
    """Dense AR(p) with known ``p``; arrays are ``(len(orders), seeds)``.

    ``max_gap`` is ``max_i |ŵ_i(AR-Net) − ŵ_i(LS)|`` and ``ls_error`` least squares' own error
    ``max_i |ŵ_i(LS) − w_i|`` (the true coefficients' gap from it); MSEs are one-step on the test
    series, whose noise variance is 1. ``example`` holds (truth, LS, AR-Net) coefficients at the largest order,
    seed 0.
    """

    orders: tuple[PositiveInt, ...]
    n_train: PositiveInt
    stpe_ls: Float64[np.ndarray, "orders seeds"]
    stpe_arnet: Float64[np.ndarray, "orders seeds"]
    mse_ls: Float64[np.ndarray, "orders seeds"]
    mse_arnet: Float64[np.ndarray, "orders seeds"]
    max_gap: Float64[np.ndarray, "orders seeds"]
    ls_error: Float64[np.ndarray, "orders seeds"]
    example: tuple[Float64[np.ndarray, " p"], Float64[np.ndarray, " p"], Float64[np.ndarray, " p"]]

    def ls_error_max(self, order: int) -> float:
        """Least squares' largest coefficient error over seeds at ``order`` (NaN when the order
        was not run)."""
        if order not in self.orders:
            return float("nan")
        return float(self.ls_error[self.orders.index(order)].max())


@record
@dataclass(frozen=True)
class SparseOrderResult:
    """AR(3) data fitted at model orders ``orders`` (density ``s = 3/p``); arrays
    ``(orders, seeds)``.

    ``c_lambda`` is AR-Net's setting (a number or ``"paper"`` for the paper's rule);
    ``stpe_topk`` the sTPE of least squares refitted on its three largest weights
    (:func:`~theorybook.arnet.fit_top_k_least_squares`, told the same density as AR-Net; ``None``
    in a record made without it).
    """

    orders: tuple[PositiveInt, ...]
    n_train: PositiveInt
    stpe_ls: Float64[np.ndarray, "orders seeds"]
    stpe_arnet: Float64[np.ndarray, "orders seeds"]
    mse_ls: Float64[np.ndarray, "orders seeds"]
    mse_arnet: Float64[np.ndarray, "orders seeds"]
    seconds_ls: Float64[np.ndarray, "orders seeds"]
    seconds_arnet: Float64[np.ndarray, "orders seeds"]
    c_lambda: NonNegativeReal | Literal["paper"] = "paper"
    stpe_topk: Float64[np.ndarray, "orders seeds"] | None = None


@record
@dataclass(frozen=True)
class HighOrderRecord:
    """A recorded run of the paper's high-order grid (the sweep ``arnet-high-order``).

    ``result`` holds the numbers as a :class:`SparseOrderResult` (arrays ``(orders, seeds)``);
    ``commit``, ``recorded_on`` and ``wall_seconds`` say what produced them, and when.
    """

    result: SparseOrderResult
    commit: str
    recorded_on: str
    wall_seconds: NonNegativeReal
    cpu: str


@record
@dataclass(frozen=True)
class SmallDataResult:
    """Small-data sparse case (paper §4.1.1 "Small Datasets", Figs. 6–7): lags 1, 3, 10, order 20.

    Arrays have one entry per seed; ``coef_*`` are ``(seeds, p)``. ``support_ok[k]`` says whether
    the three largest ``|ŵ|`` of AR-Net sit exactly at lags 1, 3, 10 (``support_ok_ls`` the same
    for least squares); ``max_off_support*`` is the largest off-support ``|ŵ|``. ``c_lambda`` is
    the setting used (a number or ``"paper"``) and ``c_lambda_used`` the value per seed.
    ``stpe_topk``: least squares refitted on its ``round(s·p)`` largest weights, told AR-Net's
    ``s`` (whose off-support weights are zero by construction).
    """

    seeds: tuple[Seed, ...]
    c_lambda: NonNegativeReal | Literal["paper"]
    c_lambda_used: Float64[np.ndarray, " seeds"]
    true_coef: Float64[np.ndarray, " p"]
    coef_ls: Float64[np.ndarray, "seeds p"]
    coef_arnet: Float64[np.ndarray, "seeds p"]
    stpe_ls: Float64[np.ndarray, " seeds"]
    stpe_arnet: Float64[np.ndarray, " seeds"]
    mse_ls: Float64[np.ndarray, " seeds"]
    mse_arnet: Float64[np.ndarray, " seeds"]
    support_ok: Bool[np.ndarray, " seeds"]
    support_ok_ls: Bool[np.ndarray, " seeds"]
    max_off_support: Float64[np.ndarray, " seeds"]
    max_off_support_ls: Float64[np.ndarray, " seeds"]
    stpe_topk: Float64[np.ndarray, " seeds"] | None = None

    def off_support_clean(self, tol: float = OFF_SUPPORT_TOL) -> tuple[float, float]:
        """Fractions of seeds whose every off-support ``|ŵ|`` is below ``tol``: (AR-Net, LS)."""
        tol = positive_real("tol", tol)
        return (
            float(np.mean(self.max_off_support < tol)),
            float(np.mean(self.max_off_support_ls < tol)),
        )


@record
@dataclass(frozen=True)
class CLambdaSweep:
    """The small-data problem over a grid of ``c_lambda`` values (same seeds for each).

    ``stpe`` and ``max_off_support`` are ``(len(c_values), len(seeds))``; ``paper_rule`` holds
    the paper's rule :math:`\\sqrt{\\hat L}/100` per seed, ``stpe_paper`` the sTPE with it.
    """

    c_values: tuple[NonNegativeReal, ...]
    seeds: tuple[Seed, ...]
    stpe: Float64[np.ndarray, "c_values seeds"]
    max_off_support: Float64[np.ndarray, "c_values seeds"]
    paper_rule: Float64[np.ndarray, " seeds"]
    stpe_paper: Float64[np.ndarray, " seeds"]
    stpe_ls: Float64[np.ndarray, " seeds"]

    @property
    def best(self) -> float:
        """The value of ``c_values`` with the lowest median sTPE over the seeds (first on ties)."""
        return self.c_values[int(np.argmin(np.median(self.stpe, axis=1)))]

    def describe(self) -> str:
        """What the choice :attr:`best` was made on, for ``Claim(calibrated_on=...)``."""
        grid = ", ".join(f"{c:g}" for c in self.c_values)
        return (
            f"c_λ = {self.best:g} chosen from {{{grid}}} by median sTPE on seeds "
            f"{', '.join(map(str, self.seeds))} of the small-data problem"
        )


@record
@dataclass(frozen=True)
class SparsitySweep:
    """Sparse AR(3) data fitted at order ``order`` on ``n_train`` samples with AR-Net's sparsity
    estimate ``s`` off by up to a factor of ten (paper §5).

    ``stpe`` (AR-Net) and ``stpe_topk`` (least squares refitted on its ``round(s·p)`` largest
    weights, :func:`~theorybook.arnet.fit_top_k_least_squares`, told the same ``s``) are
    ``(len(sparsities), len(seeds))``; ``stpe_ls`` (plain least squares, which has no ``s``) has
    one entry per seed. ``true_sparsity`` is the true density ``3/p``.
    """

    order: PositiveInt
    n_train: PositiveInt
    sparsities: tuple[Density, ...]
    true_sparsity: Density
    seeds: tuple[Seed, ...]
    c_lambda: NonNegativeReal | Literal["paper"]
    stpe: Float64[np.ndarray, "sparsities seeds"]
    stpe_topk: Float64[np.ndarray, "sparsities seeds"]
    stpe_ls: Float64[np.ndarray, " seeds"]

    @property
    def true_index(self) -> int:
        """The index of the true density in :attr:`sparsities`."""
        return int(np.argmin(np.abs(np.log(np.asarray(self.sparsities) / self.true_sparsity))))

    def within_factor(self, factor: float) -> Bool[np.ndarray, " sparsities"]:
        """Which estimates lie within ``factor`` of the true density, either way (1 % slack for
        the grid's rounding)."""
        ratio = np.abs(np.log(np.asarray(self.sparsities) / self.true_sparsity))
        return ratio <= np.log(factor * 1.0034)

    def worst_median_within(self, factor: float) -> float:
        """The worst median sTPE over the estimates within ``factor`` of the true density."""
        return float(np.median(self.stpe, axis=1)[self.within_factor(factor)].max())


@record
@dataclass(frozen=True)
class LearningRateSweep:
    """The small-data problem over a grid of peak learning rates, with the one-cycle schedule and
    with a constant rate (same seeds, same epochs). ``stpe[schedule]`` is ``(len(lrs), seeds)``;
    a fit that diverged (``TrainingDiverged``) counts as sTPE 100, the metric's maximum."""

    lrs: tuple[PositiveReal, ...]
    seeds: tuple[Seed, ...]
    c_lambda: NonNegativeReal | Literal["paper"]
    stpe: dict[str, Float64[np.ndarray, "lrs seeds"]]
    diverged: dict[str, NonNegativeInt]

    def spread(self, schedule: str, *, low: float = 0.0) -> float:
        """Worst over best median sTPE across the learning rates ``>= low`` (1 = insensitive)."""
        keep = np.asarray(self.lrs) >= low
        if not keep.any():
            raise ValueError(f"no learning rate >= {low:g} in the sweep {self.lrs}")
        med = np.median(self.stpe[schedule][keep], axis=1)
        return float(med.max() / med.min())


@record
@dataclass(frozen=True)
class TimingResult:
    """Fit times (seconds, median of ``repeats`` after one warm-up) against ``p`` at ``n``
    samples, all in one run (least squares after one warm-up call).

    ``arnet_full`` is AR-Net's time for its full ``epochs``-epoch one-cycle schedule;
    ``arnet_epoch`` that time divided by the epochs. ``*_spread`` hold (max − min) / median over
    the repeats.
    """

    orders: tuple[PositiveInt, ...]
    n: PositiveInt
    epochs: PositiveInt
    repeats: PositiveInt
    lstsq: Float64[np.ndarray, " orders"]
    autoreg: Float64[np.ndarray, " orders"]
    arnet_epoch: Float64[np.ndarray, " orders"]
    arnet_full: Float64[np.ndarray, " orders"]
    lstsq_spread: Float64[np.ndarray, " orders"]
    arnet_spread: Float64[np.ndarray, " orders"]

    def ratio(self, name: str) -> float:
        """Time at the largest order over time at the smallest, for ``name`` in the fields above."""
        t = getattr(self, name)
        return float(t[-1] / t[0])

    def slope(self, name: str) -> float:
        """Log-log slope of time against ``p`` between the two largest orders (2 for O(p²))."""
        t = getattr(self, name)
        if len(self.orders) < 2:
            raise ValueError("slope needs at least two orders")
        return float(np.log(t[-1] / t[-2]) / np.log(self.orders[-1] / self.orders[-2]))

    @property
    def crossover(self) -> int | None:
        """The smallest order timed at which a full AR-Net fit is no slower than least squares
        (``None`` if it is slower at every order)."""
        for p, full, ls in zip(self.orders, self.arnet_full, self.lstsq, strict=True):
            if full <= ls:
                return int(p)
        return None


@record
@dataclass(frozen=True)
class TimingRecord:
    """The recorded timing benchmark at the paper's size (``benchmarks/bench_arnet.py``,
    ``results/06_ar_net/bench_n1e5.json``), every fit on one pinned core.

    ``timing`` holds the times against the order; at ``ratio_order`` (``p = 100``) the default fit
    took ``arnet_over_lstsq`` times least squares' time (median of the repeats; its coefficients
    within ``max_abs_dw`` of least squares'), the eager torch trainer it replaces
    ``torch_over_lstsq`` (``None`` if not timed), and the first fit in the process, which starts JAX
    and compiles the scan, ``first_fit_seconds``. ``load_average`` is the 1-minute load average
    at the start of the run.
    """

    timing: TimingResult
    ratio_order: PositiveInt
    arnet_over_lstsq: NonNegativeReal
    torch_over_lstsq: NonNegativeReal | None
    first_fit_seconds: NonNegativeReal
    max_abs_dw: NonNegativeReal
    load_average: NonNegativeReal
    cpu: str
    recorded_on: str


@record
@dataclass(frozen=True)
class SunspotsResult:
    """Yearly sunspot numbers (statsmodels' bundled data, 1700–2008): AR(p) fits compared.

    ``fits`` maps a method name to its fit (AR-Net: seed 0); ``test_mse`` to its one-step MSE on
    the last ``n_test`` years (fits use the years before). ``coef_seeds`` and ``mse_seeds`` hold,
    for the two AR-Net variants, the coefficients ``(seeds, p)`` and test MSEs of every seed.
    """

    years: Float64[np.ndarray, " years"]
    series: Float64[np.ndarray, " years"]
    n_test: PositiveInt
    fits: dict[str, ARFit | ARNetResult]
    test_mse: dict[str, NonNegativeReal]
    coef_seeds: dict[str, Float64[np.ndarray, "seeds p"]]
    mse_seeds: dict[str, Float64[np.ndarray, " seeds"]]

    @property
    def sparse_name(self) -> str:
        """The name of the sparse AR-Net variant in :attr:`fits`."""
        return next(k for k in self.coef_seeds if k.startswith("sparse"))

    def kept_lags(self, name: str, tol: float = KEPT_TOL) -> tuple[int, ...]:
        """The lags (1-based) whose ``|ŵ|`` in the fit ``name`` exceeds ``tol``."""
        tol = positive_real("tol", tol)
        coef = np.abs(self.fits[name].coef)
        return tuple(int(i) + 1 for i in np.flatnonzero(coef > tol))


@record
@dataclass(frozen=True)
class Results:
    """Everything :func:`~theorybook.arnet.experiments.run_all` runs, one field per experiment.

    ``small`` is the small-data run with the paper's rule for :math:`c_\\lambda` (the
    reproduction rows); ``sweep`` the :math:`c_\\lambda` sweep on held-out seeds, ``tuned`` the
    small-data run with the constant it picked, and ``sparsity_sweep`` and ``lr_sweep`` use that
    constant too. ``record`` is the recorded paper-size high-order grid, ``None`` when there is no
    record. Fields other than ``dense`` and ``small`` may be ``None`` (not run): the claims they
    decide are then left out, or pending.
    """

    dense: DenseResult
    small: SmallDataResult
    shape: RegularizerShape | None = None
    sparse: SparseOrderResult | None = None
    record: HighOrderRecord | None = None
    sweep: CLambdaSweep | None = None
    tuned: SmallDataResult | None = None
    sparsity_sweep: SparsitySweep | None = None
    lr_sweep: LearningRateSweep | None = None
    timing: TimingResult | None = None
    sunspots: SunspotsResult | None = None
