"""Hyperparameters of the AR-Net chapter (chapter 6), one preset per scale.

The AR-Net constants (``lr``, ``c_lambda``, ``reg_eps``, the quadratic ramp) are the same at every
scale and in every experiment; they were chosen on seeds 100–104 of the small-data problem, which
the chapter never reports (its seeds start at 0). See the chapter's "Which constants" note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from theorybook.runtime import ScaledConfig

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``*_n`` are training lengths; test series are ``test_n`` long. Orders are AR model orders ``p``.
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
    # small data (paper Figs. 6-7)
    small_seeds: int = 10
    small_n: int = 1000
    small_order: int = 20
    small_epochs: int = 100
    small_batch: int = 32
    # timing (paper §4.1.2, Fig. 8)
    timing_orders: tuple[int, ...] = (10, 30, 100, 300)
    timing_n: int = 20_000
    timing_repeats: int = 3
    timing_max_epochs: int = 10
    # real series
    sunspots_order: int = 12
    sunspots_epochs: int = 500
    # AR-Net constants shared by all experiments
    batch_size: int = 128
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
            "timing_n",
            "sunspots_order",
            "timing_repeats",
            "batch_size",
            "small_batch",
            "dense_epochs",
            "sparse_epochs",
            "small_epochs",
            "timing_max_epochs",
            "sunspots_epochs",
        )
        for name in ("dense_orders", "sparse_orders", "timing_orders"):
            orders = getattr(self, name)
            if not orders or any(not isinstance(p, int) or p < 1 for p in orders):
                raise ValueError(f"Config.{name} must be a non-empty tuple of positive ints")
        if min(self.sparse_orders) < 3:
            raise ValueError("sparse_orders must be >= 3 (the true process is AR(3))")
        if self.small_order < 10:
            raise ValueError("small_order must be >= 10 (the sparse process has lag 10)")
        if not (self.lr > 0 and self.c_lambda >= 0 and self.reg_eps >= 0):
            raise ValueError("lr must be > 0, c_lambda and reg_eps >= 0")

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
                small_seeds=5,
                small_epochs=50,
                timing_orders=(10, 30, 100),
                timing_n=10_000,
                timing_max_epochs=3,
                timing_repeats=1,
                sunspots_epochs=300,
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
                timing_orders=(3, 10, 30, 100, 300, 1000),
                timing_n=100_000,
                timing_repeats=1,
            ),
        }
