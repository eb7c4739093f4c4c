"""Hyperparameters of chapter 4 (deep kernel classifiers), one preset per scale."""

from __future__ import annotations

from dataclasses import dataclass

from theorybook.ntk.data import DIRICHLET_SETTINGS, OFFICIAL_PRIOR, OFFICIAL_SEED
from theorybook.scales import ScaledConfig
from theorybook.validation import int_sequence, one_of, probability, seed

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``taxonomy_*``: the three deep limits (ReLU NTK → majority vote, ``hermite_2`` NNGP → 1-NN)
    on a few training points; ``hilbert_*``: the designed activation against the Hilbert
    classifier; ``consistency_*``: accuracy against ``n`` on data with a known Bayes risk;
    ``settings_*``: the designed activations on the official ``D = 3, 5, 9`` settings;
    ``width_*``: empirical NNGP of random finite networks; ``train_*``: one-hidden-layer
    networks trained by gradient descent against the NTK dynamics (``train_lr_scale`` is the
    step in units of ``n / λ_max(K)``); ``timing_*``: the jitted recursion
    against a NumPy loop.
    """

    seed: int = OFFICIAL_SEED
    prior: float = OFFICIAL_PRIOR
    taxonomy_dim: int = 3
    taxonomy_n_train: int = 50
    taxonomy_n_test: int = 200
    taxonomy_seeds: tuple[int, ...] = (0, 1, 2)
    relu_depths: tuple[int, ...] = (10, 100, 1000, 5000, 20000)
    hermite_depths: tuple[int, ...] = (1, 2, 4, 6, 8, 10, 12, 14)
    hilbert_activation: str = "3d_opt"
    hilbert_n_train: int = 1000
    hilbert_n_test: int = 1000
    hilbert_depths: tuple[int, ...] = (10, 30, 60, 100, 300)
    ntk_depth: int = 50
    consistency_dim: int = 2
    consistency_activation: str = "2d_opt"
    consistency_depth: int = 100
    consistency_ns: tuple[int, ...] = (125, 250, 500, 1000, 2000)
    consistency_n_test: int = 2000
    consistency_seeds: tuple[int, ...] = (0, 1, 2)
    settings_dims: tuple[int, ...] = (3, 5, 9)
    settings_n: int = 1000
    settings_n_test: int = 1000
    settings_depth: int = 100
    width_activation: str = "sine_2.676"
    width_depth: int = 3
    width_points: int = 20
    widths: tuple[int, ...] = (64, 256, 1024, 4096)
    width_seeds: tuple[int, ...] = (0, 1, 2)
    train_dim: int = 3
    train_n: int = 100
    train_n_test: int = 200
    train_activation: str = "erf"
    train_widths: tuple[int, ...] = (64, 256, 1024, 4096)
    train_seeds: tuple[int, ...] = (0, 1, 2)
    train_steps: int = 200
    train_lr_scale: float = 1.0
    mc_samples: int = 100_000
    timing_n: int = 1000
    timing_depth: int = 100
    timing_repeats: int = 3

    def validate(self) -> None:
        """Check every field (counts positive, depths increasing, names known)."""
        from theorybook.ntk.dual import resolve_activation

        name = type(self).__name__
        object.__setattr__(self, "seed", seed(f"{name}.seed", self.seed))
        object.__setattr__(self, "prior", probability(f"{name}.prior", self.prior))
        if not 0.0 < self.prior < 1.0:
            raise ValueError(f"{name}.prior must lie strictly between 0 and 1, got {self.prior}")
        self.require_positive_ints(
            "taxonomy_n_train",
            "taxonomy_n_test",
            "hilbert_n_train",
            "hilbert_n_test",
            "ntk_depth",
            "consistency_depth",
            "consistency_n_test",
            "width_depth",
            "width_points",
            "timing_n",
            "mc_samples",
            "settings_n",
            "settings_n_test",
            "settings_depth",
            "train_n",
            "train_n_test",
            "train_steps",
            "timing_depth",
            "timing_repeats",
        )
        self.require_positive_reals("train_lr_scale")
        if self.train_lr_scale >= 2.0:
            raise ValueError(
                f"{name}.train_lr_scale must be below 2 (gradient descent diverges beyond), "
                f"got {self.train_lr_scale}"
            )
        for field in ("taxonomy_dim", "consistency_dim", "train_dim"):
            one_of(f"{name}.{field}", getattr(self, field), tuple(DIRICHLET_SETTINGS))
        for field in (
            "relu_depths",
            "hermite_depths",
            "hilbert_depths",
            "consistency_ns",
            "widths",
            "train_widths",
            "settings_dims",
        ):
            values = int_sequence(f"{name}.{field}", getattr(self, field), low=1)
            if field == "settings_dims":
                for dim in values:
                    one_of(f"{name}.settings_dims", dim, (3, 5, 9))
            if any(b <= a for a, b in zip(values, values[1:], strict=False)):
                raise ValueError(f"{name}.{field} must be strictly increasing, got {values}")
            object.__setattr__(self, field, values)
        for field in ("taxonomy_seeds", "consistency_seeds", "width_seeds", "train_seeds"):
            values = int_sequence(f"{name}.{field}", getattr(self, field), low=0, unique=True)
            object.__setattr__(self, field, values)
        for field in (
            "hilbert_activation",
            "consistency_activation",
            "width_activation",
            "train_activation",
        ):
            resolve_activation(getattr(self, field))
        if self.width_points < 2:
            raise ValueError(f"{name}.width_points must be at least 2, got {self.width_points}")

    @classmethod
    def presets(cls) -> dict[str, Config]:
        """``smoke`` (seconds), ``book`` (the rendered chapter), ``paper`` (one GPU)."""
        return {
            "smoke": cls(
                taxonomy_n_test=100,
                taxonomy_seeds=(0,),
                relu_depths=(10, 100, 1000, 3000),
                hermite_depths=(1, 2, 6, 10, 14),
                hilbert_n_train=300,
                hilbert_n_test=300,
                hilbert_depths=(10, 60, 100),
                consistency_ns=(100, 200, 400),
                consistency_n_test=500,
                consistency_seeds=(0,),
                widths=(64, 256, 1024),
                width_seeds=(0, 1),
                settings_dims=(3,),
                settings_n=200,
                settings_n_test=300,
                train_widths=(64, 1024),
                train_seeds=(0,),
                train_steps=50,
                mc_samples=20_000,
                timing_n=400,
                timing_depth=50,
                timing_repeats=2,
            ),
            "book": cls(),
            "paper": cls(
                taxonomy_n_test=1000,
                taxonomy_seeds=(0, 1, 2, 3, 4),
                relu_depths=(10, 100, 1000, 10000, 50000),
                hilbert_n_train=10000,
                hilbert_n_test=10000,
                hilbert_depths=(10, 30, 60, 100, 200, 900),
                consistency_ns=(250, 500, 1000, 2000, 5000, 10000),
                consistency_n_test=10000,
                consistency_seeds=(0, 1, 2, 3, 4),
                widths=(64, 256, 1024, 4096, 16384),
                width_seeds=(0, 1, 2, 3, 4, 5, 6, 7),
                settings_n=10000,
                settings_n_test=10000,
                train_n=500,
                train_n_test=1000,
                train_widths=(256, 1024, 4096, 16384, 65536),
                train_seeds=(0, 1, 2, 3, 4),
                train_steps=2000,
                mc_samples=1_000_000,
                timing_n=4000,
                timing_depth=200,
                timing_repeats=5,
            ),
        }
