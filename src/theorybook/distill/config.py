"""Presets of chapter 5 (*Self-distillation with ground-truth guidance*) for each scale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from theorybook.runtime import ScaledConfig

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of every experiment in the chapter.

    The kernel part (toy, exactness, convergence, sparsification, α*) is the paper's own setting
    at every scale: it costs milliseconds. Only the digits network grows with the scale.
    """

    # Mobahi's toy (Borup & Andersen's toy_example): RBF exp(-γ(x − x')²), ridge λ.
    toy_gamma: float = 80.0
    toy_lam: float = 0.2
    toy_steps: int = 6
    toy_alphas: tuple[float, ...] = (0.0, 0.25, 0.35, 0.7)
    # Claim 1: closed form vs explicit refitting.
    exact_alphas: tuple[float, ...] = (0.0, 0.3, 0.7)
    exact_steps: int = 30
    exact_n: int = 200
    # Claim 2: convergence to KRR with λ/α, collapse at α = 0.
    conv_alphas: tuple[float, ...] = (0.1, 0.35, 0.7, 1.0)
    conv_steps: int = 60
    # Sparsification ratios.
    sparse_alpha: float = 0.35
    sparse_steps: int = 30
    # Claim 4: closed-form α* against a grid.
    search_step: int = 3
    search_grid_step: float = 1e-3
    # Digits network (claim 5).
    deep_seeds: tuple[int, ...] = (0, 1, 2)
    deep_steps: int = 4
    deep_fixed_alphas: tuple[float, ...] = (0.0, 0.5)
    deep_grid_step: float = 0.1
    n_train: int = 800
    n_val: int = 400
    label_noise: float = 0.3
    hidden: int = 256
    depth: int = 2
    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 2e-4
    cpu_threads: int = 1

    def validate(self) -> None:
        self.require_positive_ints(
            "toy_steps",
            "exact_steps",
            "exact_n",
            "conv_steps",
            "sparse_steps",
            "deep_steps",
            "n_train",
            "n_val",
            "hidden",
            "depth",
            "epochs",
            "batch_size",
            "cpu_threads",
        )
        if self.search_step < 2:
            raise ValueError(
                f"Config.search_step must be >= 2 (step 1 has no α), got {self.search_step}"
            )
        if self.deep_steps < 2:
            raise ValueError(f"Config.deep_steps must be >= 2, got {self.deep_steps}")
        for name in ("toy_alphas", "exact_alphas", "conv_alphas", "deep_fixed_alphas"):
            vals = getattr(self, name)
            if not vals or any(not 0.0 <= a <= 1.0 for a in vals):
                raise ValueError(f"Config.{name} must be non-empty values in [0, 1], got {vals}")
        if any(a == 0.0 for a in self.conv_alphas):
            raise ValueError("Config.conv_alphas must be > 0 (α = 0 is checked separately)")
        if not 0.0 < self.sparse_alpha <= 1.0:
            raise ValueError(f"Config.sparse_alpha must lie in (0, 1], got {self.sparse_alpha}")
        for name in ("search_grid_step", "deep_grid_step"):
            v = getattr(self, name)
            if not 0.0 < v <= 0.5 or abs(round(1 / v) * v - 1) > 1e-9:
                raise ValueError(f"Config.{name} must divide 1 and lie in (0, 0.5], got {v}")
        if self.toy_gamma <= 0 or self.toy_lam <= 0 or self.lr <= 0 or self.weight_decay < 0:
            raise ValueError("toy_gamma, toy_lam and lr must be > 0, weight_decay >= 0")
        if not 0.0 <= self.label_noise < 0.9:
            raise ValueError(f"Config.label_noise must lie in [0, 0.9), got {self.label_noise}")
        if not self.deep_seeds:
            raise ValueError("Config.deep_seeds must name at least one seed")

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                exact_n=120,
                deep_seeds=(0,),
                deep_steps=3,
                deep_fixed_alphas=(0.0,),
                deep_grid_step=0.25,
                n_train=400,
                n_val=300,
                hidden=128,
                epochs=20,
            ),
            "book": cls(),
            "paper": cls(
                deep_seeds=tuple(range(10)),
                deep_steps=6,
                deep_fixed_alphas=(0.0, 0.25, 0.5, 0.75),
                deep_grid_step=0.05,
                n_train=1000,
                n_val=397,
                hidden=1024,
                depth=3,
                epochs=150,
            ),
        }
