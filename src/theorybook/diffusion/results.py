"""The frozen result types of the diffusion chapter, and :class:`Results`, what ``run_all`` returns.

* :class:`SamplerCheckResult`: the sampler driven by an exact MMSE denoiser;
* :class:`TransitionResult` (one :class:`NResult` per training-set size N): memorization →
  generalization;
* :class:`JacobianResult`: the Jacobian view of the largest-N model;
* :class:`CAlphaResult`, :class:`DiskResult`: the synthetic-image experiments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import Tensor

from theorybook.boundary import (
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    record,
)
from theorybook.diffusion._types import Float3264, check_tuples
from theorybook.diffusion.data import PatchSplit
from theorybook.diffusion.denoisers import BiasFreeUNet
from theorybook.diffusion.generalization import PairResult
from theorybook.training import TrainingHistory

__all__ = [
    "CAlphaResult",
    "DiskResult",
    "JacobianResult",
    "NResult",
    "Results",
    "SamplerCheckResult",
    "TransitionResult",
]


@record
@dataclass(frozen=True)
class SamplerCheckResult:
    """σ_t of the sampler driven by an exact MMSE denoiser, against ``σ_1 ∏_{s<t}(1 − β h_s)``.

    ``sigma_rms`` and ``predicted`` (T,) over the steps where every sample is still running;
    ``max_rel_dev`` the largest ``|σ_rms/predicted − 1|``; ``gamma_max_beta1`` the largest injected
    noise with β = 1 (zero by construction); ``steps_beta1`` its number of steps.
    """

    sigma_rms: tuple[NonNegativeReal, ...]
    predicted: tuple[NonNegativeReal, ...]
    max_rel_dev: NonNegativeReal
    gamma_max_beta1: NonNegativeReal
    steps_mean: NonNegativeReal
    steps_beta1: NonNegativeInt

    def __post_init__(self) -> None:
        check_tuples(self, ("sigma_rms", "predicted"))


@record
@dataclass(frozen=True)
class NResult:
    """Everything measured at one training-set size N (similarities are per sample)."""

    n: PositiveInt
    pair: PairResult
    memorizer: PairResult
    heldout_nearest: Float3264[Tensor, " samples"]
    psnr_train: tuple[float, ...]
    psnr_test: tuple[float, ...]
    memorizer_psnr_train: tuple[float, ...]
    memorizer_psnr_test: tuple[float, ...]
    histories: tuple[TrainingHistory, TrainingHistory]

    def __post_init__(self) -> None:
        check_tuples(
            self, ("psnr_train", "psnr_test", "memorizer_psnr_train", "memorizer_psnr_test")
        )
        if not (len(self.heldout_nearest) == len(self.pair.paired) == len(self.memorizer.paired)):
            raise ValueError(
                "NResult: heldout_nearest, pair and memorizer must hold one number of samples; "
                f"got {len(self.heldout_nearest)}, {len(self.pair.paired)} and "
                f"{len(self.memorizer.paired)}"
            )


@record
@dataclass(frozen=True)
class TransitionResult:
    """The memorization → generalization experiment: one :class:`NResult` per N.

    ``models`` maps N to its trained pair (eval mode); ``split`` is the data; ``train_seconds``
    the total training time; ``images_per_second`` the sampler's throughput with a trained model.
    """

    ns: tuple[PositiveInt, ...]
    results: tuple[NResult, ...]
    models: dict[int, tuple[BiasFreeUNet, BiasFreeUNet]]
    split: PatchSplit
    psnr_sigmas: tuple[PositiveReal, ...]
    train_seconds: NonNegativeReal
    images_per_second: NonNegativeReal

    def __post_init__(self) -> None:
        check_tuples(self, ("ns", "results"))
        for n, r in zip(self.ns, self.results, strict=True):
            if r.n != n or len(r.psnr_train) != len(self.psnr_sigmas):
                raise ValueError(
                    f"TransitionResult: the result at N = {n} has n = {r.n} and "
                    f"{len(r.psnr_train)} PSNRs for {len(self.psnr_sigmas)} psnr_sigmas"
                )

    def median(self, what: str) -> tuple[float, ...]:
        """The median over samples of ``paired``, ``nearest_a``, ``memorizer_nearest``,
        ``memorizer_paired`` or ``heldout`` at each N."""
        out = []
        for r in self.results:
            values = {
                "paired": r.pair.paired,
                "nearest_a": r.pair.nearest_a,
                "nearest_b": r.pair.nearest_b,
                "memorizer_nearest": r.memorizer.nearest_a,
                "memorizer_paired": r.memorizer.paired,
                "heldout": r.heldout_nearest,
            }
            if what not in values:
                raise ValueError(f"what must be one of {sorted(values)}, got {what!r}")
            out.append(float(values[what].median()))
        return tuple(out)


@record
@dataclass(frozen=True)
class JacobianResult:
    """The Jacobian view of the largest-N model A of a :class:`TransitionResult`.

    ``sigmas`` with the mean and standard deviation over test patches of ``tr J`` (``trace``,
    ``trace_sd``); the SURE estimate and the true MSE per pixel at each σ (means, with
    ``sure_se`` the standard error of their per-image difference); at ``eig_sigma`` one test
    patch (``clean``, ``noisy``, ``denoised``) and the eigen-decomposition of J there
    (``eigenvalues``, ``eigenvectors`` (d, d)); ``spectra`` the eigenvalues of J at every σ for
    that patch; ``linearity``: max ``‖J y − f(y)‖/‖f(y)‖``; ``homogeneity``: max relative
    ``‖f(ay) − a f(y)‖`` for a in [0.1, 10] in eval mode, ``homogeneity_train_mode`` the same in
    training mode (batch statistics, not homogeneous); ``asymmetry`` of J; ``jacobian_ms`` the
    time of one Jacobian (median) for each side in ``jacobian_sizes``.
    """

    n: PositiveInt
    sigmas: tuple[PositiveReal, ...]
    trace: tuple[float, ...]
    trace_sd: tuple[NonNegativeReal, ...]
    sure: tuple[float, ...]
    mse: tuple[NonNegativeReal, ...]
    sure_se: tuple[NonNegativeReal, ...]
    eig_sigma: PositiveReal
    clean: Float3264[Tensor, "c h w"]
    noisy: Float3264[Tensor, "c h w"]
    denoised: Float3264[Tensor, "c h w"]
    eigenvalues: Float3264[Tensor, " d"]
    eigenvectors: Float3264[Tensor, "d d"]
    spectra: tuple[tuple[float, ...], ...]
    linearity: NonNegativeReal
    homogeneity: NonNegativeReal
    homogeneity_train_mode: NonNegativeReal
    asymmetry: NonNegativeReal
    jacobian_sizes: tuple[PositiveInt, ...]
    jacobian_ms: tuple[NonNegativeReal, ...]

    def __post_init__(self) -> None:
        check_tuples(
            self,
            ("sigmas", "trace", "trace_sd", "sure", "mse", "sure_se", "spectra"),
            ("jacobian_sizes", "jacobian_ms"),
        )
        d = self.clean.numel()
        if len(self.eigenvalues) != d or any(len(s) != d for s in self.spectra):
            raise ValueError(
                f"JacobianResult: eigenvalues and each spectrum must hold d = {d} values (the "
                f"pixels of clean {tuple(self.clean.shape)}); eigenvalues has "
                f"{len(self.eigenvalues)}"
            )


@record
@dataclass(frozen=True)
class CAlphaResult:
    """Per α: the test MSE per pixel at each σ of ``sigmas`` (``mse``, (A, S)), the fitted
    slope, the optimum α/(α+1), and a few test images (``examples``, (A, k, 1, H, W))."""

    alphas: tuple[PositiveReal, ...]
    sigmas: tuple[PositiveReal, ...]
    mse: Float3264[np.ndarray, "alpha sigma"]
    slopes: tuple[float, ...]
    optimal: tuple[Probability, ...]
    examples: Float3264[Tensor, "alpha k 1 h w"]

    def __post_init__(self) -> None:
        check_tuples(self, ("alphas", "slopes", "optimal"))
        if self.mse.shape != (len(self.alphas), len(self.sigmas)):
            raise ValueError(
                f"CAlphaResult: mse must be (alphas, sigmas) = ({len(self.alphas)}, "
                f"{len(self.sigmas)}), got {self.mse.shape}"
            )

    @property
    def error_floor(self) -> float:
        """The smallest test MSE at the lowest noise level σ₀ over the α, in units of σ₀²."""
        return float((self.mse[:, 0] / self.sigmas[0] ** 2).min())

    @property
    def worse_than_identity(self) -> bool:
        """Whether every α's test MSE at σ₀ exceeds σ₀², the error of returning the noisy
        image."""
        return bool((self.mse[:, 0] > self.sigmas[0] ** 2).all())


@record
@dataclass(frozen=True)
class DiskResult:
    """Disks: for the exact MMSE denoiser and the trained UNet, at each σ of ``sigmas``, the
    mean ``tr J`` over test disks (``trace_exact``, ``trace_net``) and the test MSE in units of
    σ² per image (``dims_exact``, ``dims_net``: MSE·d/σ², → 5 for the optimum); at
    ``eig_sigma`` the eigenvalues (k, d) of both Jacobians per test disk (descending) and, for
    the first disk, the clean and noisy images and both Jacobians' top eigenvectors (d, 10)."""

    size: PositiveInt
    sigmas: tuple[PositiveReal, ...]
    trace_exact: tuple[float, ...]
    trace_net: tuple[float, ...]
    dims_exact: tuple[NonNegativeReal, ...]
    dims_net: tuple[NonNegativeReal, ...]
    eig_sigma: PositiveReal
    eig_exact: Float3264[Tensor, "k d"]
    eig_net: Float3264[Tensor, "k d"]
    clean: Float3264[Tensor, "c size size"]
    noisy: Float3264[Tensor, "c size size"]
    vectors_exact: Float3264[Tensor, "d top"]
    vectors_net: Float3264[Tensor, "d top"]

    def __post_init__(self) -> None:
        check_tuples(self, ("sigmas", "trace_exact", "trace_net", "dims_exact", "dims_net"))
        if self.clean.shape[-1] != self.size or self.eig_exact.shape[-1] != self.size**2:
            raise ValueError(
                f"DiskResult: clean must be {self.size}×{self.size} and eig_exact hold "
                f"{self.size**2} eigenvalues per disk; got {tuple(self.clean.shape)} and "
                f"{tuple(self.eig_exact.shape)}"
            )

    def count_above(self, which: str, level: float = 0.5) -> np.ndarray:
        """Number of eigenvalues above ``level`` per test disk at ``eig_sigma``."""
        ev = {"exact": self.eig_exact, "net": self.eig_net}
        if which not in ev:
            raise ValueError(f"which must be 'exact' or 'net', got {which!r}")
        return (ev[which] > level).sum(1).numpy()

    @property
    def net_worse_than_identity(self) -> bool:
        """Whether the UNet's error at the smallest σ exceeds ``d σ²``, the error of returning
        the noisy image (``dims_net[0] > d``)."""
        return self.dims_net[0] > self.size**2


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of the chapter (what :func:`~theorybook.diffusion.run_all` returns).

    ``calpha`` and ``disks`` may be ``None`` (their claims are then unmeasured).
    """

    check: SamplerCheckResult
    transition: TransitionResult
    jacobian: JacobianResult
    calpha: CAlphaResult | None = None
    disks: DiskResult | None = None
