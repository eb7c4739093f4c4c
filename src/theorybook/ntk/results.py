"""The frozen results of chapter 4's experiments, and :class:`Results`, what ``run_all`` returns.

Each ``run_*`` of :mod:`~theorybook.ntk.experiments` returns one of these; the figures and the
claims table read them.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorybook.boundary import (
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    Seed,
    record,
)
from theorybook.declared import number_rule

__all__ = [
    "ConsistencyResult",
    "ExactChecks",
    "ExponentScan",
    "HilbertLimit",
    "LimitSweep",
    "Results",
    "SettingsResult",
    "TimingResult",
    "TrainingResult",
    "WidthResult",
]


def _check_elements(where: str, value: object, hint: Any) -> None:
    """Check each number inside a tuple or dict field against its declared range (NaN passes).

    The record's own check (:func:`~theorybook.boundary.record`) checks a number field's range
    and every field's type; the ranges of numbers *inside* tuples and dicts are checked here.
    """
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple and isinstance(value, tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            for i, item in enumerate(value):
                _check_element(f"{where}[{i}]", item, args[0])
        elif len(args) == len(value):
            for i, (item, item_hint) in enumerate(zip(value, args, strict=True)):
                _check_element(f"{where}[{i}]", item, item_hint)
    elif origin is dict and isinstance(value, dict):
        for key, item in value.items():
            _check_element(f"{where}[{key!r}]", item, args[1])


def _check_element(where: str, value: object, hint: Any) -> None:
    rule = number_rule(hint)
    if rule is None:
        _check_elements(where, value, hint)
    elif not (isinstance(value, float | np.floating) and np.isnan(value)):
        rule.check(where, value)


def _check_shape(where: str, value: object, dims: list[tuple[str, int]]) -> None:
    if not dims or not isinstance(value, tuple):
        return  # a wrong type is the record check's to report
    name, size = dims[0]
    if len(value) != size:
        raise ValueError(
            f"{where} must hold one entry per element of {name} ({size}), got {len(value)}"
        )
    for i, item in enumerate(value):
        _check_shape(f"{where}[{i}]", item, dims[1:])


def _check_record(obj: Any, shapes: dict[str, tuple[str, ...]]) -> None:
    """The ranges of the numbers inside ``obj``'s tuples and dicts, and the tuples' lengths.

    ``shapes`` maps a field to the fields whose lengths its nesting must have: ``{"agreement":
    ("seeds", "depths")}`` says ``agreement[seed][depth]``; a dict field's every value must.
    """
    cls = type(obj)
    hints = typing.get_type_hints(cls, include_extras=True)
    for field in dataclasses.fields(obj):
        _check_elements(f"{cls.__name__}.{field.name}", getattr(obj, field.name), hints[field.name])
    for name, dims in shapes.items():
        value = getattr(obj, name)
        sizes = [(d, len(getattr(obj, d))) for d in dims]
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, item in items:
            where = f"{cls.__name__}.{name}" + ("" if key is None else f"[{key!r}]")
            _check_shape(where, item, sizes)


@record
@dataclass(frozen=True)
class ExactChecks:
    """Identities that hold by construction, each as a worst-case error."""

    dual_at_one_error: NonNegativeReal
    mc_max_z_dual: NonNegativeReal
    mc_max_z_slope: NonNegativeReal
    hermite_series_error: NonNegativeReal
    polynomial_coefficient_error: NonNegativeReal
    exponents: dict[str, PositiveReal]
    exponent_error: NonNegativeReal
    relu_angle_form_error: NonNegativeReal
    unrolled_error: NonNegativeReal
    numpy_error: NonNegativeReal
    diagonal_error_fixed: NonNegativeReal
    diagonal_error_naive: NonNegativeReal
    diagonal_depth: PositiveInt

    def __post_init__(self) -> None:
        _check_record(self, {})


@record
@dataclass(frozen=True)
class LimitSweep:
    """Agreement, per seed and depth, of a deep kernel classifier with its predicted limit."""

    activation: str
    kernel: str
    limit: str
    depths: tuple[PositiveInt, ...]
    seeds: tuple[Seed, ...]
    agreement: tuple[tuple[Probability, ...], ...]  # [seed][depth]
    n_train: PositiveInt
    n_test: PositiveInt
    label_sums: tuple[int, ...] = ()  # [seed]: Σ y of each draw (ReLU sweep), else empty

    def __post_init__(self) -> None:
        _check_record(self, {"agreement": ("seeds", "depths")})
        if self.label_sums and len(self.label_sums) != len(self.seeds):
            raise ValueError(
                f"LimitSweep.label_sums must hold one entry per seed ({len(self.seeds)}), got "
                f"{len(self.label_sums)}"
            )

    @property
    def mean_agreement(self) -> tuple[float, ...]:
        """Agreement per depth, averaged over seeds."""
        return tuple(float(v) for v in np.mean(np.asarray(self.agreement), axis=0))

    @property
    def min_agreement(self) -> tuple[float, ...]:
        """The worst seed's agreement per depth."""
        return tuple(float(v) for v in np.min(np.asarray(self.agreement), axis=0))


@record
@dataclass(frozen=True)
class HilbertLimit:
    """The designed activation's NNGP classifier against the Hilbert classifier of exponent ``α``.

    ``deep_from`` is the depth from which the classifier is expected to be the Hilbert
    classifier (:attr:`~theorybook.ntk.config.Hilbert.deep_from`).
    """

    activation: str
    alpha: PositiveReal
    dim: PositiveInt
    n_train: PositiveInt
    depths: tuple[PositiveInt, ...]
    deep_from: PositiveInt
    agreement: tuple[Probability, ...]  # [depth]
    nn_agreement: tuple[Probability, ...]  # [depth]
    accuracy: tuple[Probability, ...]  # [depth]
    hilbert_accuracy: Probability
    nn_accuracy: Probability

    def __post_init__(self) -> None:
        _check_record(
            self,
            {name: ("depths",) for name in ("agreement", "nn_agreement", "accuracy")},
        )

    @property
    def deep_agreement(self) -> float | None:
        """The worst agreement with the Hilbert classifier over depths ≥ ``deep_from``."""
        deep = [a for d, a in zip(self.depths, self.agreement, strict=True) if d >= self.deep_from]
        return min(deep) if deep else None

    @property
    def deep_nn_agreement(self) -> float | None:
        """The best agreement with 1-NN over depths ≥ ``deep_from``."""
        deep = [
            a for d, a in zip(self.depths, self.nn_agreement, strict=True) if d >= self.deep_from
        ]
        return max(deep) if deep else None


@record
@dataclass(frozen=True)
class ExponentScan:
    """Agreement of the NNGP and NTK classifiers with Hilbert classifiers of exponent ``p``."""

    activation: str
    alpha: PositiveReal
    exponents: tuple[PositiveReal, ...]
    nngp_depth: PositiveInt
    ntk_depth: PositiveInt
    nngp_agreement: tuple[Probability, ...]  # [exponent]
    ntk_agreement: tuple[Probability, ...]  # [exponent]
    eps_min: PositiveReal  # the smallest 1 − ξ between a test and a training point
    eps_median: PositiveReal  # the median over test points of 1 − ξ to the nearest training point
    seeds: tuple[Seed, ...]  # the data draws of the per-seed best exponents (0: the one above)
    nngp_best_per_seed: tuple[PositiveReal, ...]  # [seed]
    ntk_best_per_seed: tuple[PositiveReal, ...]  # [seed]

    def __post_init__(self) -> None:
        _check_record(
            self,
            {
                "nngp_agreement": ("exponents",),
                "ntk_agreement": ("exponents",),
                "nngp_best_per_seed": ("seeds",),
                "ntk_best_per_seed": ("seeds",),
            },
        )

    @property
    def nngp_best(self) -> float:
        """The exponent the NNGP classifier agrees with most."""
        return self.exponents[int(np.argmax(self.nngp_agreement))]

    @property
    def ntk_best(self) -> float:
        """The exponent the NTK classifier agrees with most."""
        return self.exponents[int(np.argmax(self.ntk_agreement))]


@record
@dataclass(frozen=True)
class ConsistencyResult:
    """Test accuracy per method, seed and training-set size (``[method][seed][n]``)."""

    dim: PositiveInt
    activation: str
    depth: PositiveInt
    alpha: PositiveReal
    ns: tuple[PositiveInt, ...]
    seeds: tuple[Seed, ...]
    n_test: PositiveInt
    accuracy: dict[str, tuple[tuple[Probability, ...], ...]]  # method -> [seed][n]
    kernel_hilbert_agreement: tuple[tuple[Probability, ...], ...]  # [seed][n]
    off_exponents: tuple[PositiveReal, ...]
    kernel_off_agreement: tuple[tuple[Probability, ...], ...]  # [seed][n]
    limit_bayes: Probability
    limit_one_nn: Probability

    def __post_init__(self) -> None:
        _check_record(
            self,
            {
                "accuracy": ("seeds", "ns"),
                "kernel_hilbert_agreement": ("seeds", "ns"),
                "kernel_off_agreement": ("seeds", "ns"),
            },
        )

    def gaps(self, method: str) -> np.ndarray:
        """Accuracy of ``method`` minus the Bayes rule's, per seed and ``n`` (same test points)."""
        return np.asarray(self.accuracy[method]) - np.asarray(self.accuracy["Bayes"])

    def gap_slopes(self, method: str) -> tuple[float, ...]:
        """Per seed, the least-squares slope of the gap to the Bayes accuracy against
        ``log₂ n``: the accuracy points (as fractions) the method gains on the Bayes rule per
        doubling of ``n`` (positive when the gap closes)."""
        x = np.log2(np.asarray(self.ns, float))
        return tuple(float(np.polyfit(x, row, 1)[0]) for row in self.gaps(method))

    def mean(self, method: str) -> tuple[float, ...]:
        """Accuracy of ``method`` per ``n``, averaged over seeds."""
        return tuple(float(v) for v in np.mean(np.asarray(self.accuracy[method]), axis=0))

    def gap_to_bayes(self, method: str) -> tuple[float, ...]:
        """Mean accuracy of ``method`` minus the Bayes rule's, per ``n`` (same test points)."""
        diff = np.asarray(self.accuracy[method]) - np.asarray(self.accuracy["Bayes"])
        return tuple(float(v) for v in diff.mean(axis=0))

    @property
    def min_kernel_hilbert_agreement(self) -> float:
        """The worst agreement of the kernel and Hilbert classifiers over seeds and ``n``."""
        return min(min(row) for row in self.kernel_hilbert_agreement)


@record
@dataclass(frozen=True)
class SettingsResult:
    """Accuracy of each method on the official ``D = 3, 5, 9`` settings (one ``n``)."""

    dims: tuple[PositiveInt, ...]
    activations: tuple[str, ...]  # [dim]
    n: PositiveInt
    n_test: PositiveInt
    depth: PositiveInt
    accuracy: dict[str, tuple[Probability, ...]]  # method -> [dim]
    kernel_hilbert_agreement: tuple[Probability, ...]  # [dim]
    kernel_off_agreement: tuple[Probability, ...]  # [dim]

    def __post_init__(self) -> None:
        _check_record(
            self,
            {
                "activations": ("dims",),
                "accuracy": ("dims",),
                "kernel_hilbert_agreement": ("dims",),
                "kernel_off_agreement": ("dims",),
            },
        )


@record
@dataclass(frozen=True)
class WidthResult:
    """RMS error of the empirical NNGP of random networks against the analytic one."""

    activation: str
    depth: PositiveInt
    widths: tuple[PositiveInt, ...]
    seeds: tuple[Seed, ...]
    rms_error: tuple[tuple[NonNegativeReal, ...], ...]  # [seed][width]
    rms_error_deeper: tuple[tuple[NonNegativeReal, ...], ...]  # [seed][width], vs depth + 1

    def __post_init__(self) -> None:
        _check_record(
            self, {"rms_error": ("seeds", "widths"), "rms_error_deeper": ("seeds", "widths")}
        )

    @property
    def slope(self) -> float:
        """Least-squares slope of log(mean error) against log(width) (−1/2 in theory)."""
        mean = np.mean(np.asarray(self.rms_error), axis=0)
        return float(np.polyfit(np.log(self.widths), np.log(mean), 1)[0])

    @property
    def slope_against_deeper(self) -> float:
        """:attr:`slope` with the analytic NNGP one layer deeper as the target (a null model:
        the error levels off at the distance between the two kernels)."""
        mean = np.mean(np.asarray(self.rms_error_deeper), axis=0)
        return float(np.polyfit(np.log(self.widths), np.log(mean), 1)[0])


@record
@dataclass(frozen=True)
class TrainingResult:
    """Trained finite networks against the NTK gradient-descent prediction on test points."""

    activation: str
    n: PositiveInt
    widths: tuple[PositiveInt, ...]
    seeds: tuple[Seed, ...]
    steps: PositiveInt
    learning_rate: PositiveReal
    relative_error: tuple[tuple[NonNegativeReal, ...], ...]  # [seed][width]
    relative_error_null: tuple[tuple[NonNegativeReal, ...], ...]  # [seed][width]
    null_activation: str
    sign_agreement: tuple[tuple[Probability, ...], ...]  # [seed][width]
    final_loss: tuple[tuple[NonNegativeReal, ...], ...]  # [seed][width]

    def __post_init__(self) -> None:
        _check_record(
            self,
            {
                name: ("seeds", "widths")
                for name in (
                    "relative_error",
                    "relative_error_null",
                    "sign_agreement",
                    "final_loss",
                )
            },
        )

    @property
    def slope(self) -> float:
        """Slope of log(mean relative error) against log(width) (−1/2 expected)."""
        mean = np.mean(np.asarray(self.relative_error), axis=0)
        return float(np.polyfit(np.log(self.widths), np.log(mean), 1)[0])

    @property
    def null_slope(self) -> float:
        """:attr:`slope` against the kernel dynamics of ``null_activation`` (a null model)."""
        mean = np.mean(np.asarray(self.relative_error_null), axis=0)
        return float(np.polyfit(np.log(self.widths), np.log(mean), 1)[0])

    @property
    def widest_error(self) -> float:
        """The relative error at the largest width, averaged over seeds."""
        return float(sum(r[-1] for r in self.relative_error) / len(self.seeds))

    @property
    def narrowest_error(self) -> float:
        """The relative error at the smallest width, averaged over seeds."""
        return float(sum(r[0] for r in self.relative_error) / len(self.seeds))

    @property
    def widest_sign_agreement(self) -> float:
        """The worst seed's sign agreement with the kernel dynamics at the largest width."""
        return min(r[-1] for r in self.sign_agreement)


@record
@dataclass(frozen=True)
class TimingResult:
    """Median wall-clock seconds of the jitted recursion and of the NumPy loop."""

    n: PositiveInt
    depth: PositiveInt
    activation: str
    jax_seconds: NonNegativeReal
    numpy_seconds: NonNegativeReal

    @property
    def speedup(self) -> float:
        """NumPy time over JAX time."""
        return self.numpy_seconds / self.jax_seconds


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of chapter 4, as :func:`~theorybook.ntk.experiments.run_all` returns."""

    exact: ExactChecks
    relu: LimitSweep
    hermite: LimitSweep
    hilbert: HilbertLimit
    scan: ExponentScan
    consistency: ConsistencyResult
    settings: SettingsResult
    width: WidthResult
    training: TrainingResult
    timing: TimingResult
