"""Hyperparameters of chapter 4 (deep kernel classifiers), one preset per scale.

The options are grouped by experiment, one :class:`~theorybook.scales.Settings` block each:
:class:`Taxonomy` (the ReLU and ``ξ²`` limits), :class:`Hilbert` (the designed activation against
the Hilbert classifier, and the exponent scan), :class:`Consistency` (accuracy against ``n``),
:class:`OfficialSettings` (the ``D = 3, 5, 9`` settings), :class:`Width` (random finite networks),
:class:`Training` (trained finite networks) and :class:`Timing`.
"""

from __future__ import annotations

from dataclasses import dataclass

from theorybook.ntk.data import DIRICHLET_SETTINGS, OFFICIAL_PRIOR, OFFICIAL_SEED
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import int_sequence, one_of, positive_int, probability, seed

__all__ = [
    "Config",
    "Consistency",
    "Hilbert",
    "OfficialSettings",
    "Taxonomy",
    "Timing",
    "Training",
    "Width",
]


def _increasing(block: Settings, *fields: str) -> None:
    """Store each named field back as a tuple of ints ≥ 1, strictly increasing."""
    name = type(block).__name__
    for field in fields:
        values = int_sequence(f"{name}.{field}", getattr(block, field), low=1)
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            raise ValueError(f"{name}.{field} must be strictly increasing, got {values}")
        object.__setattr__(block, field, values)


def _seeds(block: Settings, field: str = "seeds") -> None:
    """Store the field back as a tuple of distinct ints ≥ 0."""
    name = type(block).__name__
    values = int_sequence(f"{name}.{field}", getattr(block, field), low=0, unique=True)
    object.__setattr__(block, field, values)


def _activation(block: Settings, field: str = "activation") -> None:
    """Raise unless the field names a known activation."""
    from theorybook.ntk.dual import resolve_activation

    resolve_activation(getattr(block, field))


def _dim(block: Settings, field: str = "dim") -> None:
    """Raise unless the field is an ambient dimension of the official data settings."""
    one_of(f"{type(block).__name__}.{field}", getattr(block, field), tuple(DIRICHLET_SETTINGS))


@dataclass(frozen=True)
class Taxonomy(Settings):
    """The deep ReLU NTK (→ majority vote) and ``hermite_2`` NNGP (→ 1-NN) limits.

    Few training points (``n_train``) on ``D = dim`` data, one draw per seed; ``relu_depths`` and
    ``hermite_depths`` are the depths swept.
    """

    dim: int = 3
    n_train: int = 50
    n_test: int = 200
    seeds: tuple[int, ...] = (0, 1, 2)
    relu_depths: tuple[int, ...] = (10, 100, 1000, 5000, 20000)
    hermite_depths: tuple[int, ...] = (1, 2, 4, 6, 8, 10, 12, 14)

    def validate(self) -> None:
        """Counts positive, the dimension official, depths increasing, seeds distinct."""
        _dim(self)
        self.require_positive_ints("n_train", "n_test")
        _increasing(self, "relu_depths", "hermite_depths")
        _seeds(self)


@dataclass(frozen=True)
class Hilbert(Settings):
    """The designed activation's NNGP against the Hilbert classifier, and the exponent scan.

    ``depths``: the NNGP depths swept (the scan uses the deepest); ``deep_from``: the depth from
    which the classifier is expected to be the Hilbert classifier; ``ntk_depth``: the NTK's depth
    in the exponent scan.
    """

    activation: str = "3d_opt"
    n_train: int = 1000
    n_test: int = 1000
    depths: tuple[int, ...] = (10, 30, 60, 100, 300)
    deep_from: int = 60
    ntk_depth: int = 50

    def validate(self) -> None:
        """Counts positive, depths increasing with at least one from ``deep_from`` on."""
        _activation(self)
        self.require_positive_ints("n_train", "n_test", "deep_from", "ntk_depth")
        _increasing(self, "depths")
        if self.depths[-1] < self.deep_from:
            raise ValueError(
                f"Hilbert.depths must reach Hilbert.deep_from = {self.deep_from}, got {self.depths}"
            )


@dataclass(frozen=True)
class Consistency(Settings):
    """Accuracy against the number of training points ``ns`` on ``D = dim`` data."""

    dim: int = 2
    activation: str = "2d_opt"
    depth: int = 100
    ns: tuple[int, ...] = (125, 250, 500, 1000, 2000)
    n_test: int = 2000
    seeds: tuple[int, ...] = (0, 1, 2)

    def validate(self) -> None:
        """Counts positive, ``ns`` increasing, seeds distinct, names known."""
        _dim(self)
        _activation(self)
        self.require_positive_ints("depth", "n_test")
        _increasing(self, "ns")
        _seeds(self)


@dataclass(frozen=True)
class OfficialSettings(Settings):
    """The designed ``Nd_opt`` activations on the official ``D = 3, 5, 9`` settings (one ``n``)."""

    dims: tuple[int, ...] = (3, 5, 9)
    n: int = 1000
    n_test: int = 1000
    depth: int = 100

    def validate(self) -> None:
        """Dimensions among 3, 5, 9 and increasing; counts positive."""
        _increasing(self, "dims")
        for dim in self.dims:
            one_of("OfficialSettings.dims", dim, (3, 5, 9))
        self.require_positive_ints("n", "n_test", "depth")


@dataclass(frozen=True)
class Width(Settings):
    """Empirical NNGP of random networks of growing width on ``points`` random unit vectors."""

    activation: str = "sine_2.676"
    depth: int = 3
    points: int = 20
    widths: tuple[int, ...] = (64, 256, 1024, 4096)
    seeds: tuple[int, ...] = (0, 1, 2)

    def validate(self) -> None:
        """Depth positive, at least two points, widths increasing, seeds distinct."""
        _activation(self)
        self.require_positive_ints("depth", "points")
        if self.points < 2:
            raise ValueError(f"Width.points must be at least 2, got {self.points}")
        _increasing(self, "widths")
        _seeds(self)


@dataclass(frozen=True)
class Training(Settings):
    """One-hidden-layer networks trained by gradient descent against the NTK dynamics.

    ``lr_scale`` is the step in units of ``n / λ_max(K)``, the largest stable step of
    :eq:`ntk-gd` being 2 in these units.
    """

    dim: int = 3
    n: int = 100
    n_test: int = 200
    activation: str = "erf"
    widths: tuple[int, ...] = (64, 256, 1024, 4096)
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 200
    lr_scale: float = 1.0

    def validate(self) -> None:
        """Counts positive, widths increasing, seeds distinct, ``0 < lr_scale < 2``."""
        _dim(self)
        _activation(self)
        self.require_positive_ints("n", "n_test", "steps")
        self.require_positive_reals("lr_scale")
        if self.lr_scale >= 2.0:
            raise ValueError(
                "Training.lr_scale must be below 2 (gradient descent diverges beyond), "
                f"got {self.lr_scale}"
            )
        _increasing(self, "widths")
        _seeds(self)


@dataclass(frozen=True)
class Timing(Settings):
    """The jitted recursion against a NumPy loop: an ``n × n`` NNGP at ``depth``."""

    n: int = 1000
    depth: int = 100
    repeats: int = 3

    def validate(self) -> None:
        """Counts positive."""
        self.require_positive_ints("n", "depth", "repeats")


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments, one settings block per experiment.

    ``seed`` and ``prior``: the official data seed and class prior; ``mc_samples``: Monte-Carlo
    samples per dual in the exact checks.
    """

    seed: int = OFFICIAL_SEED
    prior: float = OFFICIAL_PRIOR
    mc_samples: int = 100_000
    taxonomy: Taxonomy = Taxonomy()
    hilbert: Hilbert = Hilbert()
    consistency: Consistency = Consistency()
    official: OfficialSettings = OfficialSettings()
    width: Width = Width()
    training: Training = Training()
    timing: Timing = Timing()

    def validate(self) -> None:
        """Check the seed, the prior and the sample count (the blocks check themselves)."""
        name = type(self).__name__
        object.__setattr__(self, "seed", seed(f"{name}.seed", self.seed))
        object.__setattr__(self, "prior", probability(f"{name}.prior", self.prior))
        if not 0.0 < self.prior < 1.0:
            raise ValueError(f"{name}.prior must lie strictly between 0 and 1, got {self.prior}")
        object.__setattr__(self, "mc_samples", positive_int(f"{name}.mc_samples", self.mc_samples))

    @classmethod
    def presets(cls) -> dict[str, Config]:
        """``smoke`` (seconds), ``book`` (the rendered chapter), ``paper`` (one GPU)."""
        return {
            "smoke": cls(
                mc_samples=20_000,
                taxonomy=Taxonomy(
                    n_test=100,
                    seeds=(0,),
                    relu_depths=(10, 100, 1000, 3000),
                    hermite_depths=(1, 2, 6, 10, 14),
                ),
                hilbert=Hilbert(n_train=300, n_test=300, depths=(10, 60, 100)),
                consistency=Consistency(ns=(100, 200, 400), n_test=500, seeds=(0,)),
                official=OfficialSettings(dims=(3,), n=200, n_test=300),
                width=Width(widths=(64, 256, 1024), seeds=(0, 1)),
                training=Training(widths=(64, 1024), seeds=(0,), steps=50),
                timing=Timing(n=400, depth=50, repeats=2),
            ),
            "book": cls(),
            "paper": cls(
                mc_samples=1_000_000,
                taxonomy=Taxonomy(
                    n_test=1000,
                    seeds=(0, 1, 2, 3, 4),
                    relu_depths=(10, 100, 1000, 10000, 50000),
                ),
                hilbert=Hilbert(n_train=10000, n_test=10000, depths=(10, 30, 60, 100, 200, 900)),
                consistency=Consistency(
                    ns=(250, 500, 1000, 2000, 5000, 10000),
                    n_test=10000,
                    seeds=(0, 1, 2, 3, 4),
                ),
                official=OfficialSettings(n=10000, n_test=10000),
                width=Width(widths=(64, 256, 1024, 4096, 16384), seeds=(0, 1, 2, 3, 4, 5, 6, 7)),
                training=Training(
                    n=500,
                    n_test=1000,
                    widths=(256, 1024, 4096, 16384, 65536),
                    seeds=(0, 1, 2, 3, 4),
                    steps=2000,
                ),
                timing=Timing(n=4000, depth=200, repeats=5),
            ),
        }
