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
from typing import Literal

from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import (
    int_sequence,
    one_of,
    positive_int,
    real,
    real_sequence,
)

__all__ = [
    "RAMPS",
    "SCHEDULES",
    "TUNED_ON",
    "Config",
    "Dense",
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

TUNED_ON = "c_λ = 0.05 chosen on seeds 100–104 of the small-data problem"
"""What the chapter's constant ``c_lambda`` was tuned on (for ``Claim(calibrated_on=...)``)."""

Ramp = Literal["quadratic", "linear", "none"]
Schedule = Literal["one-cycle", "constant"]
SCHEDULES: tuple[str, ...] = ("one-cycle", "constant")
RAMPS: tuple[str, ...] = ("quadratic", "linear", "none")


@dataclass(frozen=True)
class Training(Settings):
    """How AR-Net is optimised (:func:`~theorybook.arnet.fit_arnet`).

    ``batch_size=None`` picks :func:`~theorybook.arnet.auto_batch_size` of the series length
    (32 at ``N = 10^3``, 128 at ``10^4``, 512 at ``10^5``); ``lr`` is the peak learning rate up to
    batch 128, scaled up by :func:`~theorybook.arnet.scaled_lr` above it; ``schedule`` is
    ``"one-cycle"`` (the official v1.2 code's) or ``"constant"``.
    """

    batch_size: int | None = None
    lr: float = 1e-2
    schedule: Schedule = "one-cycle"

    def validate(self) -> None:
        self.require_positive_reals("lr")
        if self.batch_size is not None:
            object.__setattr__(
                self, "batch_size", positive_int("Training.batch_size", self.batch_size)
            )
        one_of("Training.schedule", self.schedule, SCHEDULES)


@dataclass(frozen=True)
class Regularizer(Settings):
    """The sparsity regulariser :eq:`arnet-reg` and its weight :eq:`arnet-lambda`.

    ``c1``, ``c2``: the shape constants of ``R`` (the paper's 3 and 3). ``eps`` is added to
    ``|θ|`` before the root during training, so the gradient at zero is finite (see the chapter's
    *Which constants*). ``c_lambda``: the constant of :math:`\\lambda(s) = c_\\lambda (1/s - 1)`,
    a number or ``"paper"`` for the paper's rule :math:`\\sqrt{\\hat L}/100`. ``ramp`` and
    ``ramp_end``: the warm-up of :math:`\\lambda` (:func:`~theorybook.arnet.lambda_ramp`).
    """

    c1: float = 3.0
    c2: float = 3.0
    eps: float = 1e-4
    c_lambda: float | Literal["paper"] = 0.05
    ramp: Ramp = "quadratic"
    ramp_end: float = 0.5

    def validate(self) -> None:
        self.require_positive_reals("c1", "c2")
        object.__setattr__(self, "eps", real("Regularizer.eps", self.eps, low=0.0))
        if isinstance(self.c_lambda, str):
            one_of("Regularizer.c_lambda", self.c_lambda, ("paper",))
        else:
            object.__setattr__(
                self, "c_lambda", real("Regularizer.c_lambda", self.c_lambda, low=0.0)
            )
        one_of("Regularizer.ramp", self.ramp, RAMPS)
        object.__setattr__(
            self,
            "ramp_end",
            real("Regularizer.ramp_end", self.ramp_end, low=0.0, high=1.0, low_open=True),
        )


def _orders(owner: str, orders: object, *, low: int = 1) -> tuple[int, ...]:
    return int_sequence(f"{owner}.orders", orders, low=low)


@dataclass(frozen=True)
class Dense(Settings):
    """Dense AR(p) with ``p`` known (paper §4.1, Fig. 2): model orders, training length and
    epochs."""

    orders: tuple[int, ...] = (3, 5, 10, 20)
    n_train: int = 10_000
    epochs: int = 10

    def validate(self) -> None:
        self.require_positive_ints("n_train", "epochs")
        object.__setattr__(self, "orders", _orders("Dense", self.orders))


@dataclass(frozen=True)
class SparseOrder(Settings):
    """Sparse AR(3) fitted at unknown orders (paper §4.1.1, Fig. 4); every order is ``>= 3``."""

    orders: tuple[int, ...] = (3, 10, 30, 100, 300)
    n_train: int = 10_000
    epochs: int = 10

    def validate(self) -> None:
        self.require_positive_ints("n_train", "epochs")
        orders = int_sequence("SparseOrder.orders", self.orders, low=1)
        if min(orders) < 3:
            raise ValueError(
                f"SparseOrder.orders must be >= 3 (the true process is AR(3)), got {orders}"
            )
        object.__setattr__(self, "orders", orders)


@dataclass(frozen=True)
class SmallData(Settings):
    """The small-data problem (paper §4.1.1 "Small Datasets", Figs. 6–7): measured seeds
    ``0 .. seeds - 1``, training length, model order (``>= 10``: the process has lag 10), epochs
    and AR-Net's mini-batch size."""

    seeds: int = 10
    n_train: int = 1000
    order: int = 20
    epochs: int = 100
    batch: int = 32

    def validate(self) -> None:
        self.require_positive_ints("seeds", "n_train", "order", "epochs", "batch")
        if self.order < 10:
            raise ValueError(
                f"SmallData.order must be >= 10 (the sparse process has lag 10), got {self.order}"
            )


@dataclass(frozen=True)
class Sweeps(Settings):
    """The sweeps on the small-data problem: ``seeds`` series each; the ``c_lambda`` sweep runs
    on the held-out seeds ``tune_seed0, tune_seed0 + 1, ...``, the others on ``0, 1, ...``.
    ``c_values``, ``sparsities`` and ``lrs`` are the grids of :math:`c_\\lambda`, of AR-Net's
    sparsity estimate ``s`` and of the peak learning rate."""

    seeds: int = 5
    tune_seed0: int = 100
    c_values: tuple[float, ...] = (0.005, 0.02, 0.05, 0.2)
    sparsities: tuple[float, ...] = (0.015, 0.05, 0.15, 0.5)
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 1e-1)

    def validate(self) -> None:
        self.require_positive_ints("seeds", "tune_seed0")
        object.__setattr__(
            self, "c_values", real_sequence("Sweeps.c_values", self.c_values, low=0.0)
        )
        object.__setattr__(
            self,
            "sparsities",
            real_sequence("Sweeps.sparsities", self.sparsities, low=0.0, high=1.0, low_open=True),
        )
        object.__setattr__(
            self, "lrs", real_sequence("Sweeps.lrs", self.lrs, low=0.0, low_open=True)
        )


@dataclass(frozen=True)
class Timing(Settings):
    """Fit time against the order (paper §4.1.2, Fig. 8): orders, series length, repeats per
    time (the median is reported), AR-Net's fixed number of epochs, and whether to time
    statsmodels ``AutoReg`` too."""

    orders: tuple[int, ...] = (10, 30, 100, 300)
    n: int = 20_000
    repeats: int = 3
    epochs: int = 10
    autoreg: bool = True

    def validate(self) -> None:
        self.require_positive_ints("n", "repeats", "epochs")
        object.__setattr__(self, "orders", _orders("Timing", self.orders))
        if not isinstance(self.autoreg, bool):
            raise TypeError(f"Timing.autoreg must be a bool, got {type(self.autoreg).__name__}")


@dataclass(frozen=True)
class Sunspots(Settings):
    """The yearly sunspot numbers: model order, AR-Net epochs and seeds, held-out years, the
    sparse variant's density estimate ``s`` and AR-Net's mini-batch size."""

    order: int = 12
    epochs: int = 500
    seeds: int = 3
    n_test: int = 50
    sparsity: float = 0.25
    batch: int = 32

    def validate(self) -> None:
        self.require_positive_ints("order", "epochs", "seeds", "n_test", "batch")
        object.__setattr__(
            self,
            "sparsity",
            real("Sunspots.sparsity", self.sparsity, low=0.0, high=1.0, low_open=True),
        )


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``seeds`` series per setting in the dense and unknown-order experiments; test series are
    ``test_n`` long. ``training`` and ``regularizer`` are AR-Net's constants (also
    :func:`~theorybook.arnet.fit_arnet`'s defaults); the other blocks size one experiment each.
    """

    seeds: int = 5
    test_n: int = 10_000
    training: Training = Training()
    regularizer: Regularizer = Regularizer()
    dense: Dense = Dense()
    sparse: SparseOrder = SparseOrder()
    small: SmallData = SmallData()
    sweeps: Sweeps = Sweeps()
    timing: Timing = Timing()
    sunspots: Sunspots = Sunspots()

    def validate(self) -> None:
        self.require_positive_ints("seeds", "test_n")
        name = type(self).__name__
        for field, cls in (
            ("training", Training),
            ("regularizer", Regularizer),
            ("dense", Dense),
            ("sparse", SparseOrder),
            ("small", SmallData),
            ("sweeps", Sweeps),
            ("timing", Timing),
            ("sunspots", Sunspots),
        ):
            if not isinstance(getattr(self, field), cls):
                raise TypeError(
                    f"{name}.{field} must be a {cls.__name__}, "
                    f"got {type(getattr(self, field)).__name__}"
                )
        if self.sweeps.tune_seed0 < self.small.seeds:
            raise ValueError(
                f"{name}.sweeps.tune_seed0 = {self.sweeps.tune_seed0} overlaps the measured seeds "
                f"0..{self.small.seeds - 1}: tuning seeds must be disjoint from them"
            )
        # every series must be long enough for a fit (train) and a one-step test (test) at its order
        longest = max(max(self.dense.orders), max(self.sparse.orders), self.small.order)
        if self.test_n < 2 * longest + 1:
            raise ValueError(
                f"{name}.test_n = {self.test_n} is too short to test an AR({longest}) fit "
                f"(need at least 2p + 1 = {2 * longest + 1})"
            )
        for n_field, n, orders in (
            ("dense.n_train", self.dense.n_train, self.dense.orders),
            ("sparse.n_train", self.sparse.n_train, self.sparse.orders),
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
                sparse=SparseOrder(orders=(3, 20, 60), n_train=5_000, epochs=5),
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
                    orders=(3, 5, 10, 15, 20, 25, 30, 50, 100, 200, 500, 1000), n_train=100_000
                ),
                small=SmallData(seeds=20),
                sweeps=Sweeps(seeds=10),
                timing=Timing(orders=(3, 10, 30, 100, 300, 1000), n=100_000, repeats=3),
                sunspots=Sunspots(seeds=5),
            ),
        }
