"""Hyperparameters of the regularized auto-encoder chapter (chapter 1), one preset per scale.

Options are grouped by concept in :class:`~theorybook.scales.Settings` blocks, each validating its
own fields: the network (:class:`Network`), a training run (:class:`Training`: Adam steps per σ
level, batch, learning rate), a Metropolis–Hastings sampler (:class:`Sampler`), and one block per
experiment (:class:`Mixture`, :class:`LinearGaussian`, :class:`Spiral`, :class:`Star`,
:class:`Digits`) holding its data sizes, noise levels and its own training and sampler blocks.
The network and optimiser constants (width 64, two tanh layers, Adam at 3e-3 with a cosine decay,
batch 512) are the same at every scale; the presets change the numbers of steps, samples, chains
and repeated runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from theorybook.boundary import (
    IntRange,
    NonNegativeInt,
    PositiveInt,
    PositiveReal,
    Seed,
)
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import real_sequence

__all__ = [
    "Config",
    "Digits",
    "LinearGaussian",
    "Mixture",
    "Network",
    "Sampler",
    "Spiral",
    "Star",
    "Training",
    "check_config",
]

GridSize = Annotated[int, IntRange(low=3)]
"""A grid of at least three points per axis."""


def _sigmas(block: Settings, name: str) -> None:
    values = real_sequence(
        f"{type(block).__name__}.{name}", getattr(block, name), low=0.0, low_open=True
    )
    object.__setattr__(block, name, values)


@dataclass(frozen=True)
class Network(Settings):
    """The MLP ``h`` of ``r = x + σ²h`` (eq. :eq:`rae-param`): ``depth`` tanh layers of width
    ``hidden``."""

    hidden: PositiveInt = 64
    depth: PositiveInt = 2


@dataclass(frozen=True)
class Training(Settings):
    """One training run of :func:`~theorybook.rae.training.train_autoencoder`: ``steps`` Adam
    steps at each σ level on mini-batches of ``batch_size`` (drawn with replacement), the learning
    rate ``lr`` cosine-decayed to 0 within each level."""

    steps: PositiveInt = 1000
    batch_size: PositiveInt = 512
    lr: PositiveReal = 3e-3


@dataclass(frozen=True)
class Sampler(Settings):
    """Metropolis–Hastings chains on a (learned) score: ``chains`` chains of ``steps`` steps, the
    first ``burn_in`` discarded where samples are pooled; random-walk proposals of std
    ``proposal_std``, Langevin proposals of step ``langevin_step``, and ``n_points`` trapezoid
    nodes for the energy difference (eq. :eq:`rae-delta`)."""

    chains: PositiveInt = 500
    steps: PositiveInt = 1500
    burn_in: NonNegativeInt = 0
    proposal_std: PositiveReal = 2.0
    langevin_step: PositiveReal = 0.02
    n_points: PositiveInt = 5

    def validate(self) -> None:
        if self.burn_in >= self.steps:
            raise ValueError(f"Sampler.burn_in must be < steps = {self.steps}, got {self.burn_in}")


@dataclass(frozen=True)
class Mixture(Settings):
    """The 1-D Gaussian mixture: Tweedie's formula at ``tweedie_sigma``, the score against σ at
    each of ``sigmas`` (``n_train`` samples, a grid of ``grid`` points on [−2, 2]), the Hessian,
    "not an energy", and approximate MH on the learned score (``sampler``). The smallest-σ RCAE,
    which the Hessian, "not an energy", the energy difference and the 1-D sampler read, is
    trained on ``seeds`` seeds. The exact RCAE optimum (no training) is also solved at each of
    ``limit_sigmas``, where its limit σ → 0 is measured."""

    sigmas: tuple[PositiveReal, ...] = (0.3, 0.1, 0.03)
    limit_sigmas: tuple[PositiveReal, ...] = (0.3, 0.1, 0.03, 0.01)
    seeds: Annotated[int, IntRange(low=2)] = 3
    n_train: PositiveInt = 20_000
    grid: GridSize = 401
    tweedie_sigma: PositiveReal = 0.3
    training: Training = Training(steps=1500)
    sampler: Sampler = Sampler(chains=500, steps=1500, burn_in=500, proposal_std=2.0)

    def validate(self) -> None:
        _sigmas(self, "sigmas")
        _sigmas(self, "limit_sigmas")
        if len(self.sigmas) < 2:
            raise ValueError("Mixture.sigmas needs at least two noise levels")
        if len(set(self.limit_sigmas)) < 2:
            raise ValueError("Mixture.limit_sigmas needs at least two distinct noise levels")


@dataclass(frozen=True)
class LinearGaussian(Settings):
    """Linear auto-encoders on ``n_train`` samples of the 2-D Gaussian, at noise level ``sigma``."""

    sigma: PositiveReal = 0.5
    n_train: PositiveInt = 50_000
    training: Training = Training(steps=1500, batch_size=2048, lr=1e-2)


@dataclass(frozen=True)
class Spiral(Settings):
    """A DAE on ``n_train`` spiral points with σ annealed through ``sigmas``; its field on a
    ``grid`` × ``grid`` lattice, and the fraction of points within ``near_distance`` of the curve
    that move closer."""

    n_train: PositiveInt = 10_000
    sigmas: tuple[PositiveReal, ...] = (0.3, 0.1, 0.05)
    grid: GridSize = 25
    near_distance: PositiveReal = 0.1
    training: Training = Training(steps=1000, lr=1e-2)

    def validate(self) -> None:
        _sigmas(self, "sigmas")


@dataclass(frozen=True)
class Star(Settings):
    """MH on the ninja-star energy over ``runs`` independent runs, compared by a k-NN KL
    (``knn`` neighbours) with ``reference`` reference samples; the learned score is a DAE trained
    on ``n_train`` samples with σ annealed through ``sigmas``. The exact-energy and one-point
    chains also run at ``small_step``, the proposal std of the authors' ninja-star runs."""

    runs: Annotated[int, IntRange(low=2)] = 10
    small_step: PositiveReal = 0.1
    reference: PositiveInt = 2000
    knn: PositiveInt = 5
    n_train: PositiveInt = 10_000
    sigmas: tuple[PositiveReal, ...] = (0.3, 0.1)
    training: Training = Training(steps=1000)
    sampler: Sampler = Sampler(chains=1000, steps=400, proposal_std=0.5, langevin_step=0.02)

    def validate(self) -> None:
        _sigmas(self, "sigmas")
        if self.reference <= self.knn or self.sampler.chains <= self.knn:
            raise ValueError("Star.reference and Star.sampler.chains must exceed Star.knn")


@dataclass(frozen=True)
class Digits(Settings):
    """A DAE on the 64-d digits with σ annealed through ``sigmas``, chains on its score started
    from uniform noise (``n_shown`` evenly spaced states of each are kept), compared with the
    held-out digits against ``reference_draws`` sets of noised and denoised training digits,
    and a timing of the RCAE loss on ``timing_batch`` digits."""

    sigmas: tuple[PositiveReal, ...] = (0.5, 0.3, 0.2)
    network: Network = Network(hidden=256)
    training: Training = Training(steps=1000, lr=1e-3)
    sampler: Sampler = Sampler(
        chains=32, steps=400, proposal_std=0.02, langevin_step=0.002, n_points=3
    )
    n_shown: PositiveInt = 10
    reference_draws: Annotated[int, IntRange(low=20)] = 200
    timing_batch: PositiveInt = 32

    def validate(self) -> None:
        _sigmas(self, "sigmas")


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments, one block per experiment.

    ``network``: the MLP of the mixture, spiral and star experiments (the digits have their own);
    ``mixture``: the 1-D Gaussian mixture (Tweedie, score against σ, Hessian, "not an energy",
    1-D MH); ``linear``: the Gaussian closed form; ``spiral``: the 2-D manifold; ``star``: MH on
    the ninja-star energy; ``digits``: the 64-dimensional digits.
    """

    seed: Seed = 0
    network: Network = Network()
    mixture: Mixture = Mixture()
    linear: LinearGaussian = LinearGaussian()
    spiral: Spiral = Spiral()
    star: Star = Star()
    digits: Digits = Digits()

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                mixture=Mixture(
                    sigmas=(0.3, 0.03),
                    seeds=2,
                    n_train=10_000,
                    training=Training(steps=500),
                    sampler=Sampler(chains=200, steps=600, burn_in=200, proposal_std=2.0),
                ),
                linear=LinearGaussian(
                    n_train=20_000, training=Training(steps=500, batch_size=2048, lr=1e-2)
                ),
                spiral=Spiral(n_train=5000, grid=15, training=Training(steps=300, lr=1e-2)),
                star=Star(
                    runs=3,
                    reference=600,
                    n_train=3000,
                    training=Training(steps=300),
                    sampler=Sampler(chains=300, steps=150, proposal_std=0.5, langevin_step=0.02),
                ),
                digits=Digits(
                    sigmas=(0.5, 0.2),
                    network=Network(hidden=128),
                    training=Training(steps=150, lr=1e-3),
                    sampler=Sampler(
                        chains=8, steps=100, proposal_std=0.02, langevin_step=0.002, n_points=3
                    ),
                ),
            ),
            "book": cls(),
            "paper": cls(
                network=Network(hidden=256, depth=3),
                mixture=Mixture(
                    sigmas=(0.3, 0.1, 0.03, 0.01),
                    seeds=5,
                    n_train=100_000,
                    training=Training(steps=6000, batch_size=1024),
                    sampler=Sampler(chains=2000, steps=5000, burn_in=1000, proposal_std=2.0),
                ),
                linear=LinearGaussian(
                    n_train=200_000, training=Training(steps=5000, batch_size=2048, lr=1e-2)
                ),
                spiral=Spiral(
                    n_train=50_000,
                    sigmas=(0.3, 0.1, 0.05, 0.03, 0.01),
                    grid=40,
                    training=Training(steps=4000, batch_size=1024, lr=1e-2),
                ),
                star=Star(
                    runs=51,
                    reference=10_000,
                    n_train=50_000,
                    sigmas=(0.3, 0.1, 0.05),
                    training=Training(steps=4000, batch_size=1024),
                    sampler=Sampler(chains=5000, steps=2000, proposal_std=0.5, langevin_step=0.02),
                ),
                digits=Digits(
                    sigmas=(1.0, 0.5, 0.3, 0.2, 0.1),
                    network=Network(hidden=1024, depth=3),
                    training=Training(steps=5000, batch_size=1024, lr=1e-3),
                    sampler=Sampler(
                        chains=32, steps=5000, proposal_std=0.02, langevin_step=0.002, n_points=3
                    ),
                ),
            ),
        }


def check_config(cfg: object) -> Config:
    """``cfg`` if it is the chapter's :class:`Config`, else ``TypeError`` naming what it got."""
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.rae.Config, got {type(cfg).__name__}")
    return cfg
