"""The frozen result types of the diffusion chapter, and :class:`Results`, what ``run_all`` returns.

* :class:`SamplerCheckResult`: the sampler driven by an exact MMSE denoiser;
* :class:`TransitionResult` (one :class:`NResult` per training-set size N, and the
  :class:`ShuffledResult` control): memorization → generalization;
* :class:`JacobianResult`: the Jacobian view of the largest-N model;
* :class:`CAlphaResult`, :class:`DiskResult`: the synthetic-image experiments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Int
from torch import Tensor, nn

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
from theorybook.diffusion.generalization import PairResult
from theorybook.diffusion.slopes import loglog_slope
from theorybook.training import TrainingHistory

__all__ = [
    "CAlphaResult",
    "DiskResult",
    "JacobianResult",
    "NResult",
    "Results",
    "SamplerCheckResult",
    "ShuffledResult",
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


def _decibels(errors: np.ndarray) -> tuple[float, ...]:
    """``10 log10(1/MSE)`` per row of per-image errors (S, n), the MSE floored at 1e-20."""
    return tuple(float(10 * np.log10(1 / max(float(e.mean()), 1e-20))) for e in errors)


@record
@dataclass(frozen=True)
class NResult:
    """Everything measured at one training-set size N (similarities are per sample).

    ``pair``: model A (trained on S1) and model B (on S2) sampled from the same seeds;
    ``memorizer``: the same for the empirical-optimal denoisers of S1 and S2;
    ``heldout_nearest``: fresh held-out patches' similarity to their nearest patch of S1;
    ``other_nearest``: B's samples' similarity to their nearest patch of S1 (a set B never saw);
    ``still_nearest``: the same for a sampler that never moves (the identity denoiser: its
    samples are the initial noise images, identical for both models of a pair).
    Errors are per image (S, n) at each σ of the transition's ``psnr_sigmas``: A on S1
    (``train_errors``) and on the test patches (``test_errors``), B on S1 and on the test
    patches (``other_train_errors``, ``other_test_errors``), the memorizer of S1 and the identity
    denoiser on both.
    """

    n: PositiveInt
    pair: PairResult
    memorizer: PairResult
    heldout_nearest: Float3264[Tensor, " samples"]
    other_nearest: Float3264[Tensor, " samples"]
    still_nearest: Float3264[Tensor, " samples"]
    train_errors: Float3264[np.ndarray, "sigma n"]
    test_errors: Float3264[np.ndarray, "sigma n_test"]
    other_train_errors: Float3264[np.ndarray, "sigma n"]
    other_test_errors: Float3264[np.ndarray, "sigma n_test"]
    memorizer_train_errors: Float3264[np.ndarray, "sigma n"]
    memorizer_test_errors: Float3264[np.ndarray, "sigma n_test"]
    identity_train_errors: Float3264[np.ndarray, "sigma n"]
    identity_test_errors: Float3264[np.ndarray, "sigma n_test"]
    histories: tuple[TrainingHistory, TrainingHistory]

    def __post_init__(self) -> None:
        sizes = {
            len(self.heldout_nearest),
            len(self.other_nearest),
            len(self.still_nearest),
            len(self.pair.paired),
        }
        if len(sizes | {len(self.memorizer.paired)}) != 1:
            raise ValueError(
                "NResult: heldout_nearest, other_nearest, pair and memorizer must hold one "
                f"number of samples; got {len(self.heldout_nearest)}, {len(self.other_nearest)}, "
                f"{len(self.pair.paired)} and {len(self.memorizer.paired)}"
            )

    def near_copies(self, threshold: float = 0.95) -> float:
        """The fraction of model A's samples whose similarity to their nearest training patch
        exceeds ``threshold`` (default 0.95, the paper's deduplication threshold, App. B.1)."""
        return float((self.pair.nearest_a > threshold).double().mean())

    @property
    def psnr_train(self) -> tuple[float, ...]:
        """Model A's PSNR (dB) on its training set S1 at each σ."""
        return _decibels(self.train_errors)

    @property
    def psnr_test(self) -> tuple[float, ...]:
        """Model A's PSNR (dB) on the held-out test patches at each σ."""
        return _decibels(self.test_errors)

    @property
    def memorizer_psnr_train(self) -> tuple[float, ...]:
        """The memorizer's PSNR (dB) on S1 at each σ (capped at 200 dB where it is exact)."""
        return _decibels(self.memorizer_train_errors)

    @property
    def memorizer_psnr_test(self) -> tuple[float, ...]:
        """The memorizer's PSNR (dB) on the test patches at each σ."""
        return _decibels(self.memorizer_test_errors)


@record
@dataclass(frozen=True)
class ShuffledResult:
    """The shuffled-pixel control (paper App. C.3) at the largest N: a network trained on S1
    with one fixed permutation ``permutation`` of its pixels, and the Wiener filters of S1 and of
    its shuffled copy. Errors per test image (S, n_test) at each σ: the shuffled network on the
    shuffled test patches (the same noise, shuffled), and both Wiener filters on theirs."""

    permutation: Int[Tensor, " d"]
    errors: Float3264[np.ndarray, "sigma n_test"]
    wiener_errors: Float3264[np.ndarray, "sigma n_test"]
    wiener_shuffled_errors: Float3264[np.ndarray, "sigma n_test"]
    history: TrainingHistory


@record
@dataclass(frozen=True)
class TransitionResult:
    """The memorization → generalization experiment: one :class:`NResult` per N.

    ``models`` maps N to its trained pair (eval mode); ``split`` is the data; ``shuffled`` the
    shuffled-pixel control (or ``None``); ``train_seconds`` the total training time;
    ``images_per_second`` the sampler's throughput with a trained model.
    """

    ns: tuple[PositiveInt, ...]
    results: tuple[NResult, ...]
    models: dict[int, tuple[nn.Module, nn.Module]]
    split: PatchSplit
    psnr_sigmas: tuple[PositiveReal, ...]
    shuffled: ShuffledResult | None
    train_seconds: NonNegativeReal
    images_per_second: NonNegativeReal

    def __post_init__(self) -> None:
        check_tuples(self, ("ns", "results"))
        for n, r in zip(self.ns, self.results, strict=True):
            if r.n != n or len(r.train_errors) != len(self.psnr_sigmas):
                raise ValueError(
                    f"TransitionResult: the result at N = {n} has n = {r.n} and "
                    f"{len(r.train_errors)} error rows for {len(self.psnr_sigmas)} psnr_sigmas"
                )

    def median(self, what: str) -> tuple[float, ...]:
        """The median over samples of ``paired``, ``nearest_a``, ``nearest_b``, ``other``,
        ``still``, ``memorizer_nearest``, ``memorizer_paired`` or ``heldout`` at each N."""
        out = []
        for r in self.results:
            values = {
                "paired": r.pair.paired,
                "nearest_a": r.pair.nearest_a,
                "nearest_b": r.pair.nearest_b,
                "other": r.other_nearest,
                "still": r.still_nearest,
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

    ``sigmas`` with ``tr J`` per test patch (``traces``, (S, k): one noise pattern per patch,
    scaled by each σ) and ``trace_wiener``, the trace of the Wiener filter of the model's
    training set (the same for every patch); the SURE estimate and the true MSE per pixel at
    each σ (means, with ``sure_se`` the standard error of their per-image difference); at
    ``eig_sigma`` one test patch (``clean``, ``noisy``, ``denoised``) and the
    eigen-decomposition of J there (``eigenvalues``, ``eigenvectors`` (d, d)); ``spectra`` the
    eigenvalues of J at every σ for that patch; ``linearity``: max ``‖J y − f(y)‖/‖f(y)‖``;
    ``homogeneity``: max relative ``‖f(ay) − a f(y)‖`` for a in [0.1, 10] in eval mode,
    ``homogeneity_train_mode`` the same in training mode (batch statistics, not homogeneous);
    ``asymmetry`` of J; ``jacobian_ms`` the time of one Jacobian (median) for each side in
    ``jacobian_sizes``.
    """

    n: PositiveInt
    sigmas: tuple[PositiveReal, ...]
    traces: Float3264[np.ndarray, "sigma images"]
    trace_wiener: tuple[float, ...]
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
            ("sigmas", "trace_wiener", "sure", "mse", "sure_se", "spectra"),
            ("jacobian_sizes", "jacobian_ms"),
        )
        if len(self.traces) != len(self.sigmas):
            raise ValueError(
                f"JacobianResult: traces must hold one row per σ ({len(self.sigmas)}), got "
                f"{len(self.traces)}"
            )
        d = self.clean.numel()
        if len(self.eigenvalues) != d or any(len(s) != d for s in self.spectra):
            raise ValueError(
                f"JacobianResult: eigenvalues and each spectrum must hold d = {d} values (the "
                f"pixels of clean {tuple(self.clean.shape)}); eigenvalues has "
                f"{len(self.eigenvalues)}"
            )

    @property
    def trace(self) -> tuple[float, ...]:
        """The mean ``tr J`` over the test patches at each σ."""
        return tuple(float(t) for t in self.traces.mean(axis=1))

    @property
    def trace_sd(self) -> tuple[float, ...]:
        """The standard deviation of ``tr J`` over the test patches at each σ."""
        return tuple(float(t) for t in self.traces.std(axis=1))

    def decreasing(self, which: str = "network") -> np.ndarray:
        """Per test patch, whether ``tr J`` falls at every step up the σ grid (booleans, (k,));
        ``which="wiener"`` for the Wiener filter (one trace for all patches)."""
        traces = {"network": self.traces, "wiener": np.asarray(self.trace_wiener)[:, None]}
        if which not in traces:
            raise ValueError(f"which must be 'network' or 'wiener', got {which!r}")
        t = np.broadcast_to(traces[which], self.traces.shape)
        return np.asarray((np.diff(t, axis=0) < 0).all(axis=0))


@record
@dataclass(frozen=True)
class CAlphaResult:
    """Per α and σ, the squared error per pixel of each test image for the trained network
    (``errors``, (A, S, n)) and for the DCT oracle on the same noisy images (``oracle_errors``);
    the optimum α/(α+1); a few test images (``examples``, (A, k, 1, H, W)).

    The slopes are fitted where the network does better than returning its input (its mean
    error below σ², :attr:`fit`): below that noise level its error floor, not the image class,
    sets the curve. The oracle's slope is fitted on the same noise levels.
    """

    alphas: tuple[PositiveReal, ...]
    sigmas: tuple[PositiveReal, ...]
    errors: Float3264[np.ndarray, "alpha sigma image"]
    oracle_errors: Float3264[np.ndarray, "alpha sigma image"]
    optimal: tuple[Probability, ...]
    examples: Float3264[Tensor, "alpha k 1 h w"]

    def __post_init__(self) -> None:
        check_tuples(self, ("alphas", "optimal"))
        shape = (len(self.alphas), len(self.sigmas))
        if self.errors.shape[:2] != shape or self.oracle_errors.shape != self.errors.shape:
            raise ValueError(
                f"CAlphaResult: errors and oracle_errors must be (alphas, sigmas, images) = "
                f"{shape + self.errors.shape[2:]}, got {self.errors.shape} and "
                f"{self.oracle_errors.shape}"
            )

    @property
    def mse(self) -> np.ndarray:
        """The network's mean test error per pixel (A, S)."""
        return self.errors.mean(axis=-1)

    @property
    def oracle_mse(self) -> np.ndarray:
        """The DCT oracle's mean test error per pixel (A, S)."""
        return self.oracle_errors.mean(axis=-1)

    @property
    def fit(self) -> np.ndarray:
        """(A, S) booleans: the noise levels where the network's mean error is below σ²."""
        return self.mse < np.asarray(self.sigmas) ** 2

    def slope(
        self,
        k: int,
        *,
        which: str = "network",
        images: np.ndarray | None = None,
        levels: np.ndarray | None = None,
    ) -> float:
        """The log–log slope of α number ``k``'s mean error against σ² over the noise levels
        ``levels`` (booleans (S,), default ``fit[k]``; NaN with fewer than two), for the
        ``"network"`` or the ``"oracle"``, on the test images ``images`` (indices, default all:
        a bootstrap passes resamples)."""
        table = {"network": self.errors, "oracle": self.oracle_errors}
        if which not in table:
            raise ValueError(f"which must be 'network' or 'oracle', got {which!r}")
        err = table[which][k]
        if images is not None:
            err = err[:, np.asarray(images, dtype=int)]
        mask = self.fit[k] if levels is None else np.asarray(levels, dtype=bool)
        if mask.sum() < 2:
            return float("nan")
        return loglog_slope(np.asarray(self.sigmas)[mask], err[mask].mean(axis=1))

    @property
    def slopes(self) -> tuple[float, ...]:
        """The network's fitted slope per α."""
        return tuple(self.slope(k) for k in range(len(self.alphas)))

    @property
    def oracle_slopes(self) -> tuple[float, ...]:
        """The DCT oracle's slope per α, on the network's noise levels."""
        return tuple(self.slope(k, which="oracle") for k in range(len(self.alphas)))

    @property
    def worse_than_identity(self) -> bool:
        """Whether every α's network does worse than returning the noisy image at the smallest
        noise level (mean error above σ₀²)."""
        return bool((self.mse[:, 0] > self.sigmas[0] ** 2).all())

    @property
    def common_fit(self) -> np.ndarray:
        """The noise levels where every α's network beats the identity: the range on which
        slopes of different α are compared."""
        return np.asarray(self.fit.all(axis=0))

    def rise(
        self,
        *,
        which: str = "network",
        images_first: np.ndarray | None = None,
        images_last: np.ndarray | None = None,
    ) -> float:
        """The slope of the last α minus that of the first, both fitted on :attr:`common_fit`
        (on resampled test images for a bootstrap)."""
        levels = self.common_fit
        last = self.slope(len(self.alphas) - 1, which=which, images=images_last, levels=levels)
        first = self.slope(0, which=which, images=images_first, levels=levels)
        return last - first


@record
@dataclass(frozen=True)
class DiskResult:
    """Disks: for the exact MMSE denoiser, the trained UNet and the Wiener filter of the
    training disks, at each σ of ``sigmas``, the mean ``tr J`` over test disks
    (``trace_exact``, ``trace_net``, ``trace_wiener``) and the test MSE in units of σ² per image
    (``dims_exact``, ``dims_net``: MSE·d/σ², → 5 for the optimum); at ``eig_sigma`` the
    eigenvalues (k, d) of the exact and the network's Jacobians per test disk (descending),
    the Wiener filter's (d,), the overlap of each disk's tangent space (the exact J's top five
    eigenvectors) with the network's top five and with the Wiener filter's
    (:func:`~theorybook.diffusion.synthetic.subspace_overlap`, (k,)), and, for the first disk,
    the clean and noisy images and both Jacobians' top eigenvectors (d, 10)."""

    size: PositiveInt
    sigmas: tuple[PositiveReal, ...]
    trace_exact: tuple[float, ...]
    trace_net: tuple[float, ...]
    trace_wiener: tuple[float, ...]
    dims_exact: tuple[NonNegativeReal, ...]
    dims_net: tuple[NonNegativeReal, ...]
    eig_sigma: PositiveReal
    eig_exact: Float3264[Tensor, "k d"]
    eig_net: Float3264[Tensor, "k d"]
    eig_wiener: Float3264[Tensor, " d"]
    overlap_net: Float3264[np.ndarray, " k"]
    overlap_wiener: Float3264[np.ndarray, " k"]
    clean: Float3264[Tensor, "c size size"]
    noisy: Float3264[Tensor, "c size size"]
    vectors_exact: Float3264[Tensor, "d top"]
    vectors_net: Float3264[Tensor, "d top"]

    def __post_init__(self) -> None:
        check_tuples(
            self,
            ("sigmas", "trace_exact", "trace_net", "trace_wiener", "dims_exact", "dims_net"),
        )
        if self.clean.shape[-1] != self.size or self.eig_exact.shape[-1] != self.size**2:
            raise ValueError(
                f"DiskResult: clean must be {self.size}×{self.size} and eig_exact hold "
                f"{self.size**2} eigenvalues per disk; got {tuple(self.clean.shape)} and "
                f"{tuple(self.eig_exact.shape)}"
            )

    def count_above(self, which: str, level: float = 0.5) -> np.ndarray:
        """Number of eigenvalues above ``level`` per test disk at ``eig_sigma`` (the Wiener
        filter's count repeated for each disk)."""
        k = len(self.eig_exact)
        ev = {
            "exact": self.eig_exact,
            "net": self.eig_net,
            "wiener": self.eig_wiener.expand(k, -1),
        }
        if which not in ev:
            raise ValueError(f"which must be 'exact', 'net' or 'wiener', got {which!r}")
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
