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
import torch

from theorybook.boundary import record
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

    sigma_rms: tuple[float, ...]
    predicted: tuple[float, ...]
    max_rel_dev: float
    gamma_max_beta1: float
    steps_mean: float
    steps_beta1: int


@record
@dataclass(frozen=True)
class NResult:
    """Everything measured at one training-set size N (similarities are per sample)."""

    n: int
    pair: PairResult
    memorizer: PairResult
    heldout_nearest: torch.Tensor
    psnr_train: tuple[float, ...]
    psnr_test: tuple[float, ...]
    memorizer_psnr_train: tuple[float, ...]
    memorizer_psnr_test: tuple[float, ...]
    histories: tuple[TrainingHistory, TrainingHistory]


@record
@dataclass(frozen=True)
class TransitionResult:
    """The memorization → generalization experiment: one :class:`NResult` per N.

    ``models`` maps N to its trained pair (eval mode); ``split`` is the data; ``train_seconds``
    the total training time; ``images_per_second`` the sampler's throughput with a trained model.
    """

    ns: tuple[int, ...]
    results: tuple[NResult, ...]
    models: dict[int, tuple[BiasFreeUNet, BiasFreeUNet]]
    split: PatchSplit
    psnr_sigmas: tuple[float, ...]
    train_seconds: float
    images_per_second: float

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

    n: int
    sigmas: tuple[float, ...]
    trace: tuple[float, ...]
    trace_sd: tuple[float, ...]
    sure: tuple[float, ...]
    mse: tuple[float, ...]
    sure_se: tuple[float, ...]
    eig_sigma: float
    clean: torch.Tensor
    noisy: torch.Tensor
    denoised: torch.Tensor
    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    spectra: tuple[tuple[float, ...], ...]
    linearity: float
    homogeneity: float
    homogeneity_train_mode: float
    asymmetry: float
    jacobian_sizes: tuple[int, ...]
    jacobian_ms: tuple[float, ...]


@record
@dataclass(frozen=True)
class CAlphaResult:
    """Per α: the test MSE per pixel at each σ of ``sigmas`` (``mse``, (A, S)), the fitted
    slope, the optimum α/(α+1), and a few test images (``examples``, (A, k, 1, H, W))."""

    alphas: tuple[float, ...]
    sigmas: tuple[float, ...]
    mse: np.ndarray
    slopes: tuple[float, ...]
    optimal: tuple[float, ...]
    examples: torch.Tensor

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

    size: int
    sigmas: tuple[float, ...]
    trace_exact: tuple[float, ...]
    trace_net: tuple[float, ...]
    dims_exact: tuple[float, ...]
    dims_net: tuple[float, ...]
    eig_sigma: float
    eig_exact: torch.Tensor
    eig_net: torch.Tensor
    clean: torch.Tensor
    noisy: torch.Tensor
    vectors_exact: torch.Tensor
    vectors_net: torch.Tensor

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
