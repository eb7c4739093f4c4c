"""Hyperparameters of the AR-Net chapter (chapter 6), one preset per scale.

The settings come in blocks:

* :class:`Training` and :class:`Regularizer` hold the AR-Net constants (batch size, peak learning
  rate and schedule; :math:`c_1, c_2, \\varepsilon`, :math:`c_\\lambda` and the ramp of
  :math:`\\lambda`). They are the same at every scale and in every experiment, and they are the
  defaults of :func:`~theorybook.arnet.fit_arnet` (one place).
* :class:`Dense`, :class:`SparseOrder`, :class:`SmallData`, :class:`Sweeps`, :class:`Timing` and
  :class:`Sunspots` size one experiment each.

``c_lambda = 0.05`` is the value that :func:`~theorybook.arnet.experiments.run_c_lambda_sweep`
picks on the held-out seeds ``tune_seed0, tune_seed0 + 1, ...`` (100–104) of the small-data
problem, disjoint from the seeds the chapter measures on (which start at 0); the chapter reruns
that choice. The reproduction rows use the paper's own rule :math:`c_\\lambda = \\sqrt{\\hat L}/100`
instead (``c_lambda="paper"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from theorybook.boundary import (
    Interval,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
)
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import int_sequence, real, real_sequence

__all__ = [
    "INDEPENDENT_DEFAULTS",
    "RAMPS",
    "SCHEDULES",
    "TUNED_ON",
    "Config",
    "Dense",
    "Density",
    "Ramp",
    "Regularizer",
    "Schedule",
    "SmallData",
    "SparseOrder",
    "Sunspots",
    "Sweeps",
    "Timing",
    "Training",
]

INDEPENDENT_DEFAULTS: dict[str, str] = {
    "run_sparse_order.c_lambda": "the unknown-order grid is a reproduction: it runs the paper's "
    "rule, not the chapter's constant tuned on the small-data problem",
    "run_sparsity_sweep.c_lambda": "the sparsity sweep is a reproduction at the paper's size: it "
    "runs the paper's rule, not the chapter's constant tuned on the small-data problem",
}
"""Parameters that share a name with a setting but default to something else, and why."""

TUNED_ON = "c_λ = 0.05 chosen on seeds 100–104 of the small-data problem"
"""What the chapter's constant ``c_lambda`` was tuned on (for ``Claim(calibrated_on=...)``)."""

Ramp = Literal["quadratic", "linear", "none"]
Schedule = Literal["one-cycle", "constant"]
SCHEDULES: tuple[str, ...] = ("one-cycle", "constant")
RAMPS: tuple[str, ...] = ("quadratic", "linear", "none")
Density = Annotated[float, Interval(low=0.0, high=1.0, low_open=True)]
"""A density of non-zero weights (AR-Net's sparsity estimate ``s``, the end of a ramp): a real in
``(0, 1]``."""


@dataclass(frozen=True)
class Training(Settings):
    """How AR-Net is optimised (:func:`~theorybook.arnet.fit_arnet`).

    ``batch_size=None`` picks :func:`~theorybook.arnet.auto_batch_size` of the series length
    (32 at ``N = 10^3``, 128 at ``10^4``, 512 at ``10^5``); ``lr`` is the peak learning rate up to
    batch 128, scaled up by :func:`~theorybook.arnet.scaled_lr` above it; ``schedule`` is
    ``"one-cycle"`` (the official v1.2 code's) or ``"constant"``.
    """

    batch_size: PositiveInt | None = None
    lr: PositiveReal = 1e-2
    schedule: Schedule = "one-cycle"


@dataclass(frozen=True)
class Regularizer(Settings):
    """The sparsity regulariser :eq:`arnet-reg` and its weight :eq:`arnet-lambda`.

    ``c1``, ``c2``: the shape constants of ``R`` (the paper's 3 and 3). ``eps`` is added to
    ``|θ|`` before the root during training, so the gradient at zero is finite (see the chapter's
    *Which constants*). ``c_lambda``: the constant of :math:`\\lambda(s) = c_\\lambda (1/s - 1)`,
    a number or ``"paper"`` for the paper's rule :math:`\\sqrt{\\hat L}/100`. ``ramp`` and
    ``ramp_end``: the warm-up of :math:`\\lambda` (:func:`~theorybook.arnet.lambda_ramp`).
    """

    c1: PositiveReal = 3.0
    c2: PositiveReal = 3.0
    eps: NonNegativeReal = 1e-4
    c_lambda: NonNegativeReal | Literal["paper"] = 0.05
    ramp: Ramp = "quadratic"
    ramp_end: Density = 0.5

    def validate(self) -> None:
        # a number or "paper": the annotation checks the type and the choice, this the range
        if not isinstance(self.c_lambda, str):
            object.__setattr__(
                self, "c_lambda", real("Regularizer.c_lambda", self.c_lambda, low=0.0)
            )


def _orders(owner: str, orders: object, *, low: int = 1) -> tuple[int, ...]:
    return int_sequence(f"{owner}.orders", orders, low=low)


Orders = tuple[PositiveInt, ...]
"""Model orders: a non-empty tuple of ints ≥ 1 (their range is checked in ``validate``)."""


@dataclass(frozen=True)
class Dense(Settings):
    """Dense AR(p) with ``p`` known (paper §4.1, Fig. 2): model orders, training length and
    epochs."""

    orders: Orders = (3, 5, 10, 20)
    n_train: PositiveInt = 10_000
    epochs: PositiveInt = 10

    def validate(self) -> None:
        object.__setattr__(self, "orders", _orders("Dense", self.orders))


@dataclass(frozen=True)
class SparseOrder(Settings):
    """Sparse AR(3) fitted at unknown orders (paper §4.1.1, Fig. 4); every order is ``>= 3``.

    The sweep of the sparsity estimate (paper §5) fits order ``sweep_order`` with
    ``s = factor · 3/p`` for each of ``sweep_factors`` (a decade either side of the true density),
    on the first ``sweep_seeds`` series of the same length.
    """

    orders: Orders = (3, 10, 30, 100)
    n_train: PositiveInt = 100_000
    epochs: PositiveInt = 10
    sweep_order: PositiveInt = 100
    sweep_factors: tuple[PositiveReal, ...] = (0.1, 0.3, 1.0, 3.0, 10.0)
    sweep_seeds: PositiveInt = 3

    def validate(self) -> None:
        orders = int_sequence("SparseOrder.orders", self.orders, low=1)
        if min(orders) < 3:
            raise ValueError(
                f"SparseOrder.orders must be >= 3 (the true process is AR(3)), got {orders}"
            )
        object.__setattr__(self, "orders", orders)
        factors = real_sequence(
            "SparseOrder.sweep_factors", self.sweep_factors, low=0.0, low_open=True
        )
        if 1.0 not in factors:
            raise ValueError(
                f"SparseOrder.sweep_factors must contain 1 (the true s), got {factors}"
            )
        if self.sweep_order < 4 or max(factors) * 3 / self.sweep_order > 1:
            raise ValueError(
                f"SparseOrder.sweep_order = {self.sweep_order} leaves no room for s = "
                f"{max(factors):g} · 3/p (need 3 < p and s <= 1)"
            )
        object.__setattr__(self, "sweep_factors", factors)


@dataclass(frozen=True)
class SmallData(Settings):
    """The small-data problem (paper §4.1.1 "Small Datasets", Figs. 6–7): measured seeds
    ``0 .. seeds - 1``, training length, model order (``>= 10``: the process has lag 10), epochs
    and AR-Net's mini-batch size."""

    seeds: PositiveInt = 10
    n_train: PositiveInt = 1000
    order: PositiveInt = 20
    epochs: PositiveInt = 100
    batch: PositiveInt = 32

    def validate(self) -> None:
        if self.order < 10:
            raise ValueError(
                f"SmallData.order must be >= 10 (the sparse process has lag 10), got {self.order}"
            )


@dataclass(frozen=True)
class Sweeps(Settings):
    """The sweeps on the small-data problem: ``seeds`` series each; the ``c_lambda`` sweep runs
    on the held-out seeds ``tune_seed0, tune_seed0 + 1, ...``, the others on ``0, 1, ...``.
    ``c_values`` and ``lrs`` are the grids of :math:`c_\\lambda` and of the peak learning
    rate."""

    seeds: PositiveInt = 5
    tune_seed0: PositiveInt = 100
    c_values: tuple[NonNegativeReal, ...] = (0.005, 0.02, 0.05, 0.2)
    lrs: tuple[PositiveReal, ...] = (1e-3, 3e-3, 1e-2, 1e-1)

    def validate(self) -> None:
        # the annotations check the tuples' types; the entries' ranges are checked here
        object.__setattr__(
            self, "c_values", real_sequence("Sweeps.c_values", self.c_values, low=0.0)
        )
        object.__setattr__(
            self, "lrs", real_sequence("Sweeps.lrs", self.lrs, low=0.0, low_open=True)
        )


@dataclass(frozen=True)
class Timing(Settings):
    """Fit time against the order (paper §4.1.2, Fig. 8): orders, series length, repeats per
    time (the median is reported), AR-Net's fixed number of epochs, and whether to time
    statsmodels ``AutoReg`` too."""

    orders: Orders = (10, 30, 100, 300)
    n: PositiveInt = 20_000
    repeats: PositiveInt = 3
    epochs: PositiveInt = 10
    autoreg: bool = True

    def validate(self) -> None:
        object.__setattr__(self, "orders", _orders("Timing", self.orders))


@dataclass(frozen=True)
class Sunspots(Settings):
    """The yearly sunspot numbers: model order, AR-Net epochs and seeds, held-out years, the
    sparse variant's density estimate ``s`` and AR-Net's mini-batch size."""

    order: PositiveInt = 12
    epochs: PositiveInt = 500
    seeds: PositiveInt = 3
    n_test: PositiveInt = 50
    sparsity: Density = 0.25
    batch: PositiveInt = 32


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``seeds`` series per setting in the dense and unknown-order experiments; test series are
    ``test_n`` long. ``training`` and ``regularizer`` are AR-Net's constants (also
    :func:`~theorybook.arnet.fit_arnet`'s defaults); the other blocks size one experiment each.
    """

    seeds: PositiveInt = 5
    test_n: PositiveInt = 10_000
    training: Training = Training()
    regularizer: Regularizer = Regularizer()
    dense: Dense = Dense()
    sparse: SparseOrder = SparseOrder()
    small: SmallData = SmallData()
    sweeps: Sweeps = Sweeps()
    timing: Timing = Timing()
    sunspots: Sunspots = Sunspots()

    def validate(self) -> None:
        name = type(self).__name__
        if self.sweeps.tune_seed0 < self.small.seeds:
            raise ValueError(
                f"{name}.sweeps.tune_seed0 = {self.sweeps.tune_seed0} overlaps the measured seeds "
                f"0..{self.small.seeds - 1}: tuning seeds must be disjoint from them"
            )
        # every series must be long enough for a fit (train) and a one-step test (test) at its order
        longest = max(
            max(self.dense.orders),
            max(self.sparse.orders),
            self.sparse.sweep_order,
            self.small.order,
        )
        if self.test_n < 2 * longest + 1:
            raise ValueError(
                f"{name}.test_n = {self.test_n} is too short to test an AR({longest}) fit "
                f"(need at least 2p + 1 = {2 * longest + 1})"
            )
        for n_field, n, orders in (
            ("dense.n_train", self.dense.n_train, self.dense.orders),
            ("sparse.n_train", self.sparse.n_train, (*self.sparse.orders, self.sparse.sweep_order)),
            ("small.n_train", self.small.n_train, (self.small.order,)),
            ("timing.n", self.timing.n, self.timing.orders),
        ):
            if n < 2 * max(orders) + 1:
                raise ValueError(
                    f"{name}.{n_field} = {n} is too short for an AR({max(orders)}) fit "
                    f"(need at least 2p + 1 = {2 * max(orders) + 1})"
                )

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                seeds=2,
                test_n=10_000,
                dense=Dense(orders=(3, 10), n_train=10_000, epochs=5),
                sparse=SparseOrder(
                    orders=(3, 20, 60),
                    n_train=5_000,
                    epochs=5,
                    sweep_order=60,
                    sweep_factors=(0.1, 1.0, 10.0),
                    sweep_seeds=2,
                ),
                small=SmallData(seeds=3, epochs=40),
                sweeps=Sweeps(seeds=2, c_values=(0.01, 0.05), lrs=(3e-3, 1e-1)),
                timing=Timing(orders=(10, 30, 100), n=5_000, epochs=3, repeats=1),
                sunspots=Sunspots(epochs=150, seeds=2),
            ),
            "book": cls(),
            "paper": cls(
                seeds=10,
                test_n=25_000,
                dense=Dense(orders=(3, 5, 10, 15, 20, 25), n_train=100_000),
                sparse=SparseOrder(
                    orders=(3, 5, 10, 15, 20, 25, 30, 50, 100, 200, 500, 1000),
                    n_train=100_000,
                    sweep_seeds=10,
                ),
                small=SmallData(seeds=20),
                sweeps=Sweeps(seeds=10),
                timing=Timing(orders=(3, 10, 30, 100, 300, 1000), n=100_000, repeats=3),
                sunspots=Sunspots(seeds=5),
            ),
        }
