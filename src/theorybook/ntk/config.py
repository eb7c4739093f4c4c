"""Hyperparameters of chapter 4 (deep kernel classifiers), one preset per scale.

The options are grouped by experiment, one :class:`~theorybook.scales.Settings` block each:
:class:`Taxonomy` (the ReLU and ``ξ²`` limits), :class:`Hilbert` (the designed activation against
the Hilbert classifier, and the exponent scan), :class:`Consistency` (accuracy against ``n``),
:class:`OfficialSettings` (the ``D = 3, 5, 9`` settings), :class:`Width` (random finite networks),
:class:`Training` (trained finite networks) and :class:`Timing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from theorybook.boundary import Interval, IntRange, NonNegativeInt, PositiveInt, Seed
from theorybook.ntk.data import DIRICHLET_SETTINGS, OFFICIAL_PRIOR, OFFICIAL_SEED, ClassPrior
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import int_sequence, one_of

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
    ``hermite_depths`` are the depths swept. The deep ReLU score tends to
    ``Σ_i y_i / (n + 3)``, so the depth at which its sign settles grows like
    ``((n + 3) / Σ_i y_i)²``: the ReLU sweep uses as many draws as ``seeds``, the first data
    seeds from 0 up whose labels have ``|Σ_i y_i| ≥ relu_min_margin`` (a majority of at least
    60 % of 50 labels by default).
    """

    dim: PositiveInt = 3
    n_train: PositiveInt = 50
    n_test: PositiveInt = 200
    seeds: tuple[Seed, ...] = (0, 1, 2)
    relu_min_margin: NonNegativeInt = 10
    relu_depths: tuple[PositiveInt, ...] = (10, 100, 1000, 5000, 20000)
    hermite_depths: tuple[PositiveInt, ...] = (1, 2, 4, 6, 8, 10, 12, 14)

    def validate(self) -> None:
        """The dimension official, depths increasing, seeds distinct."""
        _dim(self)
        _increasing(self, "relu_depths", "hermite_depths")
        _seeds(self)
        if self.relu_min_margin > self.n_train:
            raise ValueError(
                f"Taxonomy.relu_min_margin ({self.relu_min_margin}) cannot exceed n_train "
                f"({self.n_train}): |Σ y| is at most n_train"
            )


@dataclass(frozen=True)
class Hilbert(Settings):
    """The designed activation's NNGP against the Hilbert classifier, and the exponent scan.

    ``depths``: the NNGP depths swept (the scan uses the deepest); ``deep_from``: the depth from
    which the classifier is expected to be the Hilbert classifier; ``ntk_depth``: the NTK's depth
    in the exponent scan; ``scan_seeds``: the data draws on which the scan's best exponents are
    found (0 is the experiment's own data set, ``s`` the draw of data seed ``seed + s``).
    """

    activation: str = "3d_opt"
    n_train: PositiveInt = 1000
    n_test: PositiveInt = 1000
    depths: tuple[PositiveInt, ...] = (10, 30, 60, 100, 300)
    deep_from: PositiveInt = 60
    ntk_depth: PositiveInt = 50
    scan_seeds: tuple[Seed, ...] = (0, 1, 2)

    def validate(self) -> None:
        """Depths increasing with at least one from ``deep_from`` on."""
        _activation(self)
        _increasing(self, "depths")
        _seeds(self, "scan_seeds")
        if self.depths[-1] < self.deep_from:
            raise ValueError(
                f"Hilbert.depths must reach Hilbert.deep_from = {self.deep_from}, got {self.depths}"
            )


@dataclass(frozen=True)
class Consistency(Settings):
    """Accuracy against the number of training points ``ns`` on ``D = dim`` data.

    The test set is large (``n_test``) because the gap to the Bayes accuracy is a few points and
    its trend over ``ns`` a fraction of a point per doubling; a test point costs one row of the
    kernel (linear in ``n_test``).
    """

    dim: PositiveInt = 2
    activation: str = "2d_opt"
    depth: PositiveInt = 100
    ns: tuple[PositiveInt, ...] = (125, 250, 500, 1000, 2000)
    n_test: PositiveInt = 5000
    seeds: tuple[Seed, ...] = (0, 1, 2)

    def validate(self) -> None:
        """``ns`` increasing, seeds distinct, names known."""
        _dim(self)
        _activation(self)
        _increasing(self, "ns")
        _seeds(self)


@dataclass(frozen=True)
class OfficialSettings(Settings):
    """The designed ``Nd_opt`` activations on the official ``D = 3, 5, 9`` settings (one ``n``)."""

    dims: tuple[PositiveInt, ...] = (3, 5, 9)
    n: PositiveInt = 1000
    n_test: PositiveInt = 1000
    depth: PositiveInt = 100

    def validate(self) -> None:
        """Dimensions among 3, 5, 9 and increasing."""
        _increasing(self, "dims")
        for dim in self.dims:
            one_of("OfficialSettings.dims", dim, (3, 5, 9))


@dataclass(frozen=True)
class Width(Settings):
    """Empirical NNGP of random networks of growing width on ``points`` random unit vectors."""

    activation: str = "sine_2.676"
    depth: PositiveInt = 3
    points: Annotated[int, IntRange(low=2)] = 20
    widths: tuple[PositiveInt, ...] = (64, 256, 1024, 4096)
    seeds: tuple[Seed, ...] = (0, 1, 2)

    def validate(self) -> None:
        """Widths increasing, seeds distinct, the activation known."""
        _activation(self)
        _increasing(self, "widths")
        _seeds(self)


@dataclass(frozen=True)
class Training(Settings):
    """One-hidden-layer networks trained by gradient descent against the NTK dynamics.

    ``lr_scale`` is the step in units of ``n / λ_max(K)``, the largest stable step of
    :eq:`ntk-gd` being 2 in these units: it lies in ``(0, 2)`` (gradient descent diverges
    beyond).
    """

    dim: PositiveInt = 3
    n: PositiveInt = 100
    n_test: PositiveInt = 200
    activation: str = "erf"
    widths: tuple[PositiveInt, ...] = (64, 256, 1024, 4096)
    seeds: tuple[Seed, ...] = (0, 1, 2)
    steps: PositiveInt = 200
    lr_scale: Annotated[float, Interval(low=0.0, high=2.0, low_open=True, high_open=True)] = 1.0

    def validate(self) -> None:
        """Widths increasing, seeds distinct, names known."""
        _dim(self)
        _activation(self)
        _increasing(self, "widths")
        _seeds(self)


@dataclass(frozen=True)
class Timing(Settings):
    """The jitted recursion against a NumPy loop: an ``n × n`` NNGP at ``depth``."""

    n: PositiveInt = 1000
    depth: PositiveInt = 100
    repeats: PositiveInt = 3


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Sizes of the chapter's experiments, one settings block per experiment.

    ``seed`` and ``prior``: the official data seed and class prior (in ``(0, 1)``);
    ``mc_samples``: Monte-Carlo samples per dual in the exact checks (at least 2).
    """

    seed: Seed = OFFICIAL_SEED
    prior: ClassPrior = OFFICIAL_PRIOR
    mc_samples: Annotated[int, IntRange(low=2)] = 100_000
    taxonomy: Taxonomy = Taxonomy()
    hilbert: Hilbert = Hilbert()
    consistency: Consistency = Consistency()
    official: OfficialSettings = OfficialSettings()
    width: Width = Width()
    training: Training = Training()
    timing: Timing = Timing()

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
                hilbert=Hilbert(n_train=300, n_test=300, depths=(10, 60, 100), scan_seeds=(0, 1)),
                consistency=Consistency(ns=(100, 200, 400), n_test=1000, seeds=(0, 1)),
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
                hilbert=Hilbert(
                    n_train=10000,
                    n_test=10000,
                    depths=(10, 30, 60, 100, 200, 900),
                    scan_seeds=(0, 1, 2, 3, 4),
                ),
                consistency=Consistency(
                    ns=(250, 500, 1000, 2000, 5000, 10000),
                    n_test=20000,
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
