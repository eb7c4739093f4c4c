"""The frozen results of chapter 4's experiments, and :class:`Results`, what ``run_all`` returns.

Each ``run_*`` of :mod:`~theorybook.ntk.experiments` returns one of these; the figures and the
claims table read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorybook.boundary import record

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


@record
@dataclass(frozen=True)
class ExactChecks:
    """Identities that hold by construction, each as a worst-case error."""

    dual_at_one_error: float
    mc_max_z_dual: float
    mc_max_z_slope: float
    hermite_series_error: float
    polynomial_coefficient_error: float
    exponents: dict[str, float]
    exponent_error: float
    relu_angle_form_error: float
    unrolled_error: float
    numpy_error: float
    diagonal_error_fixed: float
    diagonal_error_naive: float
    diagonal_depth: int


@record
@dataclass(frozen=True)
class LimitSweep:
    """Agreement, per seed and depth, of a deep kernel classifier with its predicted limit."""

    activation: str
    kernel: str
    limit: str
    depths: tuple[int, ...]
    seeds: tuple[int, ...]
    agreement: tuple[tuple[float, ...], ...]  # [seed][depth]
    n_train: int
    n_test: int

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
    alpha: float
    dim: int
    n_train: int
    depths: tuple[int, ...]
    deep_from: int
    agreement: tuple[float, ...]
    nn_agreement: tuple[float, ...]
    accuracy: tuple[float, ...]
    hilbert_accuracy: float
    nn_accuracy: float

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
    alpha: float
    exponents: tuple[float, ...]
    nngp_depth: int
    ntk_depth: int
    nngp_agreement: tuple[float, ...]
    ntk_agreement: tuple[float, ...]

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

    dim: int
    activation: str
    depth: int
    alpha: float
    ns: tuple[int, ...]
    seeds: tuple[int, ...]
    n_test: int
    accuracy: dict[str, tuple[tuple[float, ...], ...]]
    kernel_hilbert_agreement: tuple[tuple[float, ...], ...]

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

    dims: tuple[int, ...]
    activations: tuple[str, ...]
    n: int
    n_test: int
    depth: int
    accuracy: dict[str, tuple[float, ...]]  # method -> per dim
    kernel_hilbert_agreement: tuple[float, ...]


@record
@dataclass(frozen=True)
class WidthResult:
    """RMS error of the empirical NNGP of random networks against the analytic one."""

    activation: str
    depth: int
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    rms_error: tuple[tuple[float, ...], ...]  # [seed][width]

    @property
    def slope(self) -> float:
        """Least-squares slope of log(mean error) against log(width) (−1/2 in theory)."""
        mean = np.mean(np.asarray(self.rms_error), axis=0)
        return float(np.polyfit(np.log(self.widths), np.log(mean), 1)[0])


@record
@dataclass(frozen=True)
class TrainingResult:
    """Trained finite networks against the NTK gradient-descent prediction on test points."""

    activation: str
    n: int
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    steps: int
    learning_rate: float
    relative_error: tuple[tuple[float, ...], ...]  # [seed][width]
    sign_agreement: tuple[tuple[float, ...], ...]  # [seed][width]
    final_loss: tuple[tuple[float, ...], ...]  # [seed][width]

    @property
    def slope(self) -> float:
        """Slope of log(mean relative error) against log(width) (−1/2 expected)."""
        mean = np.mean(np.asarray(self.relative_error), axis=0)
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

    n: int
    depth: int
    activation: str
    jax_seconds: float
    numpy_seconds: float

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
