"""Hyperparameters of the AR-Net chapter (chapter 6), one preset per scale.

The AR-Net constants (``batch_size``, ``lr``, ``c_lambda``, ``reg_eps``, the quadratic ramp) are
the same at every scale and in every experiment, and they are the defaults of
:func:`~theorybook.arnet.fit_arnet` (which reads them from this class: one place). ``c_lambda =
0.05`` is the value that :func:`~theorybook.arnet.experiments.run_c_lambda_sweep` picks on the
held-out seeds ``tune_seed0, tune_seed0 + 1, ...`` (100–104) of the small-data problem, disjoint
from the seeds the chapter measures on (which start at 0); the chapter reruns that choice. The
reproduction rows use the paper's own rule :math:`c_\\lambda = \\sqrt{\\hat L}/100` instead
(``c_lambda="paper"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from theorybook.scales import ScaledConfig
from theorybook.validation import int_sequence, positive_int, real

__all__ = ["TUNED_ON", "Config"]

TUNED_ON = "c_λ = 0.05 chosen on seeds 100–104 of the small-data problem"
"""What the chapter's constant ``c_lambda`` was tuned on (for ``Claim(calibrated_on=...)``)."""


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``*_n`` are training lengths; test series are ``test_n`` long. Orders are AR model orders
    ``p``. ``lr``, ``batch_size``, ``c_lambda`` and ``reg_eps`` are also
    :func:`~theorybook.arnet.fit_arnet`'s defaults: ``batch_size=None`` picks
    :func:`~theorybook.arnet.model.auto_batch_size` of the series length (128 at ``N = 10^4``,
    2048 at ``10^5``), and ``lr`` is the peak rate up to batch 128, scaled up by
    :func:`~theorybook.arnet.model.scaled_lr` above it.
    """

    seeds: int = 5
    test_n: int = 10_000
    # dense AR(p), p known (paper §4.1, Fig. 2)
    dense_orders: tuple[int, ...] = (3, 5, 10, 20)
    dense_n: int = 10_000
    dense_epochs: int = 10
    # sparse AR(3) at unknown order (paper §4.1.1, Fig. 4)
    sparse_orders: tuple[int, ...] = (3, 10, 30, 100, 300)
    sparse_n: int = 10_000
    sparse_epochs: int = 10
    # small data (paper §4.1.1 "Small Datasets", Figs. 6-7)
    small_seeds: int = 10
    small_n: int = 1000
    small_order: int = 20
    small_epochs: int = 100
    small_batch: int = 32
    sweep_seeds: int = 5
    tune_seed0: int = 100
    # timing (paper §4.1.2, Fig. 8)
    timing_orders: tuple[int, ...] = (10, 30, 100, 300)
    timing_n: int = 20_000
    timing_repeats: int = 3
    timing_max_epochs: int = 10
    # real series
    sunspots_order: int = 12
    sunspots_epochs: int = 500
    sunspots_seeds: int = 3
    # AR-Net constants shared by all experiments (and fit_arnet's defaults)
    batch_size: int | None = None
    lr: float = 1e-2
    c_lambda: float = 0.05
    reg_eps: float = 1e-4

    def validate(self) -> None:
        self.require_positive_ints(
            "seeds",
            "test_n",
            "dense_n",
            "sparse_n",
            "small_seeds",
            "small_n",
            "small_order",
            "sweep_seeds",
            "tune_seed0",
            "timing_n",
            "sunspots_order",
            "sunspots_seeds",
            "timing_repeats",
            "small_batch",
            "dense_epochs",
            "sparse_epochs",
            "small_epochs",
            "timing_max_epochs",
            "sunspots_epochs",
        )
        self.require_positive_reals("lr")
        name = type(self).__name__
        if self.batch_size is not None:
            object.__setattr__(
                self, "batch_size", positive_int(f"{name}.batch_size", self.batch_size)
            )
        object.__setattr__(self, "c_lambda", real(f"{name}.c_lambda", self.c_lambda, low=0.0))
        object.__setattr__(self, "reg_eps", real(f"{name}.reg_eps", self.reg_eps, low=0.0))
        for field in ("dense_orders", "sparse_orders", "timing_orders"):
            object.__setattr__(
                self, field, int_sequence(f"{name}.{field}", getattr(self, field), low=1)
            )
        if self.tune_seed0 < self.small_seeds:
            raise ValueError(
                f"{name}.tune_seed0 = {self.tune_seed0} overlaps the measured seeds "
                f"0..{self.small_seeds - 1}: tuning seeds must be disjoint from them"
            )
        if min(self.sparse_orders) < 3:
            raise ValueError(
                f"{name}.sparse_orders must be >= 3 (the true process is AR(3)), "
                f"got {self.sparse_orders}"
            )
        if self.small_order < 10:
            raise ValueError(
                f"{name}.small_order must be >= 10 (the sparse process has lag 10), "
                f"got {self.small_order}"
            )
        # every series must be long enough for a fit (train) and a one-step test (test) at its order
        longest = max(max(self.dense_orders), max(self.sparse_orders), self.small_order)
        if self.test_n < 2 * longest + 1:
            raise ValueError(
                f"{name}.test_n = {self.test_n} is too short to test an AR({longest}) fit "
                f"(need at least 2p + 1 = {2 * longest + 1})"
            )
        for n_field, orders in (
            ("dense_n", self.dense_orders),
            ("sparse_n", self.sparse_orders),
            ("small_n", (self.small_order,)),
            ("timing_n", self.timing_orders),
        ):
            n = getattr(self, n_field)
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
                dense_orders=(3, 10),
                dense_n=10_000,
                dense_epochs=5,
                sparse_orders=(3, 20, 60),
                sparse_n=5_000,
                sparse_epochs=5,
                small_seeds=3,
                small_epochs=40,
                sweep_seeds=2,
                timing_orders=(10, 30, 100),
                timing_n=5_000,
                timing_max_epochs=3,
                timing_repeats=1,
                sunspots_epochs=150,
                sunspots_seeds=2,
            ),
            "book": cls(),
            "paper": cls(
                seeds=10,
                test_n=25_000,
                dense_orders=(3, 5, 10, 15, 20, 25),
                dense_n=100_000,
                sparse_orders=(3, 5, 10, 15, 20, 25, 30, 50, 100, 200, 500, 1000),
                sparse_n=100_000,
                small_seeds=20,
                sweep_seeds=10,
                timing_orders=(3, 10, 30, 100, 300, 1000),
                timing_n=100_000,
                timing_repeats=3,
                sunspots_seeds=5,
            ),
        }
