"""Hyperparameters of the regularized auto-encoder chapter (chapter 1), one preset per scale.

The network and optimiser constants (width 64, two tanh layers, Adam at 3e-3 with a cosine decay,
batch 512) are the same at every scale; the presets change the numbers of steps, samples, chains
and repeated runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from theorybook.scales import ScaledConfig
from theorybook.validation import positive_real, real_sequence

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments.

    ``mix_*``: the 1-D Gaussian mixture (score against σ, Hessian, "not an energy", 1-D MH);
    ``linear_*``: the Gaussian closed form; ``spiral_*``: the 2-D manifold; ``star_*``: MH on the
    ninja-star energy; ``digits_*``: the 64-dimensional digits.
    """

    seed: int = 0
    # network and optimiser, shared by every experiment
    hidden: int = 64
    depth: int = 2
    lr: float = 3e-3
    batch_size: int = 512
    # 1-D mixture
    mix_sigmas: tuple[float, ...] = (0.3, 0.1, 0.03)
    mix_n_train: int = 20_000
    mix_steps: int = 1500
    mix_grid: int = 401
    # 1-D Metropolis-Hastings on the learned score
    mh_chains: int = 500
    mh_steps: int = 1500
    mh_burn_in: int = 500
    mh_proposal_std: float = 2.0
    mh_points: int = 5
    # Gaussian data, linear auto-encoder
    linear_sigma: float = 0.5
    linear_n: int = 50_000
    linear_steps: int = 1500
    # spiral
    spiral_n: int = 10_000
    spiral_sigmas: tuple[float, ...] = (0.3, 0.1, 0.05)
    spiral_steps: int = 1000
    spiral_grid: int = 25
    # ninja star
    star_runs: int = 10
    star_chains: int = 1000
    star_steps: int = 400
    star_reference: int = 2000
    star_proposal_std: float = 0.5
    star_langevin_step: float = 0.02
    star_knn: int = 5
    star_train_n: int = 10_000
    star_sigmas: tuple[float, ...] = (0.3, 0.1)
    star_train_steps: int = 1000
    # digits
    digits_sigmas: tuple[float, ...] = (0.5, 0.3, 0.2)
    digits_hidden: int = 256
    digits_steps: int = 1000
    digits_chains: int = 8
    digits_steps_mcmc: int = 400
    digits_proposal_std: float = 0.02
    digits_langevin_step: float = 0.002
    digits_timing_batch: int = 32

    def validate(self) -> None:
        self.require_positive_ints(
            "hidden",
            "depth",
            "batch_size",
            "mix_n_train",
            "mix_steps",
            "mix_grid",
            "mh_chains",
            "mh_steps",
            "mh_points",
            "linear_n",
            "linear_steps",
            "spiral_n",
            "spiral_steps",
            "spiral_grid",
            "star_runs",
            "star_chains",
            "star_steps",
            "star_reference",
            "star_knn",
            "star_train_n",
            "star_train_steps",
            "digits_hidden",
            "digits_steps",
            "digits_chains",
            "digits_steps_mcmc",
            "digits_timing_batch",
        )
        self.require_positive_reals(
            "lr",
            "mh_proposal_std",
            "linear_sigma",
            "star_proposal_std",
            "star_langevin_step",
            "digits_langevin_step",
            "digits_proposal_std",
        )
        from theorybook.validation import non_negative_int, seed

        object.__setattr__(self, "seed", seed("Config.seed", self.seed))
        burn = non_negative_int("Config.mh_burn_in", self.mh_burn_in)
        if burn >= self.mh_steps:
            raise ValueError(f"Config.mh_burn_in must be < mh_steps = {self.mh_steps}, got {burn}")
        for name in ("mix_sigmas", "spiral_sigmas", "digits_sigmas", "star_sigmas"):
            vals = real_sequence(f"Config.{name}", getattr(self, name), low=0.0, low_open=True)
            object.__setattr__(self, name, vals)
        if len(self.mix_sigmas) < 2:
            raise ValueError("Config.mix_sigmas needs at least two noise levels")
        if self.star_runs < 2:
            raise ValueError(f"Config.star_runs must be >= 2 (a spread), got {self.star_runs}")
        if self.star_reference <= self.star_knn or self.star_chains <= self.star_knn:
            raise ValueError("Config.star_reference and star_chains must exceed star_knn")
        if self.mix_grid < 3 or self.spiral_grid < 3:
            raise ValueError("Config.mix_grid and spiral_grid must be >= 3")
        positive_real("Config.mh_proposal_std", self.mh_proposal_std)

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                mix_sigmas=(0.3, 0.03),
                mix_n_train=10_000,
                mix_steps=500,
                mh_chains=200,
                mh_steps=600,
                mh_burn_in=200,
                linear_n=20_000,
                linear_steps=500,
                spiral_n=5000,
                spiral_steps=300,
                spiral_grid=15,
                star_runs=3,
                star_chains=300,
                star_steps=150,
                star_reference=600,
                star_train_n=3000,
                star_train_steps=300,
                digits_sigmas=(0.5, 0.2),
                digits_hidden=128,
                digits_steps=150,
                digits_steps_mcmc=100,
                digits_chains=4,
            ),
            "book": cls(),
            "paper": cls(
                hidden=256,
                depth=3,
                batch_size=1024,
                mix_sigmas=(0.3, 0.1, 0.03, 0.01),
                mix_n_train=100_000,
                mix_steps=6000,
                mh_chains=2000,
                mh_steps=5000,
                mh_burn_in=1000,
                linear_n=200_000,
                linear_steps=5000,
                spiral_n=50_000,
                spiral_sigmas=(0.3, 0.1, 0.05, 0.03, 0.01),
                spiral_steps=4000,
                spiral_grid=40,
                star_runs=51,
                star_chains=5000,
                star_steps=2000,
                star_reference=10_000,
                star_train_n=50_000,
                star_sigmas=(0.3, 0.1, 0.05),
                star_train_steps=4000,
                digits_sigmas=(1.0, 0.5, 0.3, 0.2, 0.1),
                digits_hidden=1024,
                digits_steps=5000,
                digits_chains=32,
                digits_steps_mcmc=5000,
            ),
        }
