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

from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import non_negative_int, real_sequence, seed

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


def _sigmas(block: Settings, name: str) -> None:
    values = real_sequence(
        f"{type(block).__name__}.{name}", getattr(block, name), low=0.0, low_open=True
    )
    object.__setattr__(block, name, values)


@dataclass(frozen=True)
class Network(Settings):
    """The MLP ``h`` of ``r = x + σ²h`` (eq. :eq:`rae-param`): ``depth`` tanh layers of width
    ``hidden``."""

    hidden: int = 64
    depth: int = 2

    def validate(self) -> None:
        self.require_positive_ints("hidden", "depth")


@dataclass(frozen=True)
class Training(Settings):
    """One training run of :func:`~theorybook.rae.training.train_autoencoder`: ``steps`` Adam
    steps at each σ level on mini-batches of ``batch_size`` (drawn with replacement), the learning
    rate ``lr`` cosine-decayed to 0 within each level."""

    steps: int = 1000
    batch_size: int = 512
    lr: float = 3e-3

    def validate(self) -> None:
        self.require_positive_ints("steps", "batch_size")
        self.require_positive_reals("lr")


@dataclass(frozen=True)
class Sampler(Settings):
    """Metropolis–Hastings chains on a (learned) score: ``chains`` chains of ``steps`` steps, the
    first ``burn_in`` discarded where samples are pooled; random-walk proposals of std
    ``proposal_std``, Langevin proposals of step ``langevin_step``, and ``n_points`` trapezoid
    nodes for the energy difference (eq. :eq:`rae-delta`)."""

    chains: int = 500
    steps: int = 1500
    burn_in: int = 0
    proposal_std: float = 2.0
    langevin_step: float = 0.02
    n_points: int = 5

    def validate(self) -> None:
        self.require_positive_ints("chains", "steps", "n_points")
        self.require_positive_reals("proposal_std", "langevin_step")
        burn = non_negative_int("Sampler.burn_in", self.burn_in)
        if burn >= self.steps:
            raise ValueError(f"Sampler.burn_in must be < steps = {self.steps}, got {burn}")
        object.__setattr__(self, "burn_in", burn)


@dataclass(frozen=True)
class Mixture(Settings):
    """The 1-D Gaussian mixture: Tweedie's formula at ``tweedie_sigma``, the score against σ at
    each of ``sigmas`` (``n_train`` samples, a grid of ``grid`` points on [−2, 2]), the Hessian,
    "not an energy", and approximate MH on the learned score (``sampler``)."""

    sigmas: tuple[float, ...] = (0.3, 0.1, 0.03)
    n_train: int = 20_000
    grid: int = 401
    tweedie_sigma: float = 0.3
    training: Training = Training(steps=1500)
    sampler: Sampler = Sampler(chains=500, steps=1500, burn_in=500, proposal_std=2.0)

    def validate(self) -> None:
        self.require_positive_ints("n_train", "grid")
        self.require_positive_reals("tweedie_sigma")
        _sigmas(self, "sigmas")
        if len(self.sigmas) < 2:
            raise ValueError("Mixture.sigmas needs at least two noise levels")
        if self.grid < 3:
            raise ValueError(f"Mixture.grid must be >= 3, got {self.grid}")


@dataclass(frozen=True)
class LinearGaussian(Settings):
    """Linear auto-encoders on ``n_train`` samples of the 2-D Gaussian, at noise level ``sigma``."""

    sigma: float = 0.5
    n_train: int = 50_000
    training: Training = Training(steps=1500, batch_size=2048, lr=1e-2)

    def validate(self) -> None:
        self.require_positive_ints("n_train")
        self.require_positive_reals("sigma")


@dataclass(frozen=True)
class Spiral(Settings):
    """A DAE on ``n_train`` spiral points with σ annealed through ``sigmas``; its field on a
    ``grid`` × ``grid`` lattice, and the fraction of points within ``near_distance`` of the curve
    that move closer."""

    n_train: int = 10_000
    sigmas: tuple[float, ...] = (0.3, 0.1, 0.05)
    grid: int = 25
    near_distance: float = 0.1
    training: Training = Training(steps=1000, lr=1e-2)

    def validate(self) -> None:
        self.require_positive_ints("n_train", "grid")
        self.require_positive_reals("near_distance")
        _sigmas(self, "sigmas")
        if self.grid < 3:
            raise ValueError(f"Spiral.grid must be >= 3, got {self.grid}")


@dataclass(frozen=True)
class Star(Settings):
    """MH on the ninja-star energy over ``runs`` independent runs, compared by a k-NN KL
    (``knn`` neighbours) with ``reference`` reference samples; the learned score is a DAE trained
    on ``n_train`` samples with σ annealed through ``sigmas``."""

    runs: int = 10
    reference: int = 2000
    knn: int = 5
    n_train: int = 10_000
    sigmas: tuple[float, ...] = (0.3, 0.1)
    training: Training = Training(steps=1000)
    sampler: Sampler = Sampler(chains=1000, steps=400, proposal_std=0.5, langevin_step=0.02)

    def validate(self) -> None:
        self.require_positive_ints("runs", "reference", "knn", "n_train")
        _sigmas(self, "sigmas")
        if self.runs < 2:
            raise ValueError(f"Star.runs must be >= 2 (a spread), got {self.runs}")
        if self.reference <= self.knn or self.sampler.chains <= self.knn:
            raise ValueError("Star.reference and Star.sampler.chains must exceed Star.knn")


@dataclass(frozen=True)
class Digits(Settings):
    """A DAE on the 64-d digits with σ annealed through ``sigmas``, chains on its score
    (``n_shown`` evenly spaced states of each are kept), and a timing of the RCAE loss on
    ``timing_batch`` digits."""

    sigmas: tuple[float, ...] = (0.5, 0.3, 0.2)
    network: Network = Network(hidden=256)
    training: Training = Training(steps=1000, lr=1e-3)
    sampler: Sampler = Sampler(
        chains=8, steps=400, proposal_std=0.02, langevin_step=0.002, n_points=3
    )
    n_shown: int = 10
    timing_batch: int = 32

    def validate(self) -> None:
        self.require_positive_ints("n_shown", "timing_batch")
        _sigmas(self, "sigmas")


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments, one block per experiment.

    ``network``: the MLP of the mixture, spiral and star experiments (the digits have their own);
    ``mixture``: the 1-D Gaussian mixture (Tweedie, score against σ, Hessian, "not an energy",
    1-D MH); ``linear``: the Gaussian closed form; ``spiral``: the 2-D manifold; ``star``: MH on
    the ninja-star energy; ``digits``: the 64-dimensional digits.
    """

    seed: int = 0
    network: Network = Network()
    mixture: Mixture = Mixture()
    linear: LinearGaussian = LinearGaussian()
    spiral: Spiral = Spiral()
    star: Star = Star()
    digits: Digits = Digits()

    def validate(self) -> None:
        object.__setattr__(self, "seed", seed("Config.seed", self.seed))
        blocks = {
            "network": Network,
            "mixture": Mixture,
            "linear": LinearGaussian,
            "spiral": Spiral,
            "star": Star,
            "digits": Digits,
        }
        for name, cls in blocks.items():
            if not isinstance(getattr(self, name), cls):
                raise TypeError(
                    f"Config.{name} must be a {cls.__name__}, got {type(getattr(self, name))}"
                )

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                mixture=Mixture(
                    sigmas=(0.3, 0.03),
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
                        chains=4, steps=100, proposal_std=0.02, langevin_step=0.002, n_points=3
                    ),
                ),
            ),
            "book": cls(),
            "paper": cls(
                network=Network(hidden=256, depth=3),
                mixture=Mixture(
                    sigmas=(0.3, 0.1, 0.03, 0.01),
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
