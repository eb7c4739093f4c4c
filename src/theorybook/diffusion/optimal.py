"""Closed-form denoisers: the empirical-optimal memorizer and the Gaussian (Wiener) MMSE denoiser.

For a training set ``{x_1, …, x_N}`` taken as the whole distribution, the MMSE denoiser at noise
level σ is the softmax-weighted average of the training images, :eq:`diffusion-empirical`:
``x̂(y) = Σ_n w_n(y) x_n`` with ``w ∝ exp(−‖y − x_n‖² / 2σ²)``. It is the optimum of the training
loss, so a network that reaches it has memorized: the diffusion sampler driven by it returns
training images. :func:`blind` turns it into a blind denoiser (no σ input) by estimating σ
self-consistently from its own residual, like the trained networks do implicitly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import torch
from jaxtyping import Float
from torch import Tensor

from theorybook import validation as v
from theorybook.boundary import (
    FiniteReal,
    IntRange,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    checked,
)
from theorybook.diffusion.denoisers import check_images, check_output
from theorybook.training import check_iterates

__all__ = [
    "EmpiricalOptimalDenoiser",
    "GaussianDenoiser",
    "blind",
    "empirical_optimal_denoiser",
    "gaussian_denoiser",
    "wiener_denoiser",
]


def _sigma_tensor(sigma: object, batch: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(sigma, torch.Tensor):
        s = v.tensor("sigma", sigma, ndim=(0, 1)).to(like)
        if s.ndim == 1 and len(s) != batch:
            raise ValueError(
                f"sigma must be a scalar or hold one value per image ({batch}), got {len(s)}"
            )
        if bool((s <= 0).any()):
            raise ValueError("sigma must be > 0")
        return s.expand(batch) if s.ndim == 0 else s
    return torch.full(
        (batch,), v.positive_real("sigma", sigma), dtype=like.dtype, device=like.device
    )


def _small_sigma_limit(logits: torch.Tensor, d2: torch.Tensor) -> torch.Tensor:
    """``logits = −d2/2σ²`` (B, N), except in rows where σ² is so small that they overflow
    (σ² underflows to 0: −inf or NaN everywhere): there, the σ → 0 limit, 0 on the nearest
    training image(s) and −inf elsewhere (equal weights on the nearest after the softmax)."""
    degenerate = ~torch.isfinite(logits.max(1).values) | torch.isnan(logits).any(1)
    if not bool(degenerate.any()):
        return logits
    nearest = d2 == d2.min(1, keepdim=True).values
    limit = torch.where(nearest, 0.0, -torch.inf).to(logits)
    return torch.where(degenerate[:, None], limit, logits)


@checked
@dataclass(frozen=True)
class EmpiricalOptimalDenoiser:
    """The MMSE denoiser of the empirical distribution of ``train`` (N, C, H, W).

    Call it as ``denoiser(y, sigma)`` with ``y`` (B, C, H, W) and ``sigma`` a positive number or
    one per image; it returns x̂ (B, C, H, W) of :eq:`diffusion-empirical`. As σ → 0 the weights
    tend to the nearest training image (equal weights on ties); a σ so small that ``σ²``
    underflows (below about 1e-19 in float32) returns that limit exactly instead of NaN.
    """

    train: Float[Tensor, "n c h w"]

    def weights(self, y: torch.Tensor, sigma: object) -> torch.Tensor:
        """The posterior weights ``w_n(y)`` (B, N): a softmax over training images."""
        y = check_images("y", y, channels=self.train.shape[1], finite=False)
        if y.shape[1:] != self.train.shape[1:]:
            raise ValueError(
                f"y has images of shape {tuple(y.shape[1:])}, the training set "
                f"{tuple(self.train.shape[1:])}"
            )
        s = _sigma_tensor(sigma, len(y), y)
        flat_y, flat_x = y.flatten(1), self.train.flatten(1).to(y)
        d2 = torch.cdist(flat_y, flat_x).square()
        logits = -d2 / (2 * s[:, None] ** 2)
        return torch.softmax(_small_sigma_limit(logits, d2), dim=1)

    def __call__(self, y: torch.Tensor, sigma: object) -> torch.Tensor:
        w = self.weights(y, sigma)
        return (w @ self.train.flatten(1).to(y)).reshape(y.shape)


@checked
def empirical_optimal_denoiser(
    train_images: Float[Tensor, "n c h w"],
) -> EmpiricalOptimalDenoiser:
    """The empirical-optimal (memorizing) denoiser of ``train_images`` (N, C, H, W).

    Raises ``TypeError`` unless a floating tensor of four axes, ``ValueError`` on NaN or an
    empty set.
    """
    return EmpiricalOptimalDenoiser(train=train_images.detach())


@checked
def blind(
    denoiser: Callable[[Tensor, Tensor], Tensor],
    *,
    iterations: PositiveInt = 3,
    sigma_min: PositiveReal = 1e-3,
) -> Callable[[Tensor], Tensor]:
    """A blind version ``y ↦ x̂`` of a denoiser that needs σ.

    σ is estimated per image from the residual, σ ← ‖y − x̂_σ(y)‖/√d, starting from the
    distance of ``y`` to its own mean (``iterations`` fixed-point steps; ``sigma_min`` floors
    it). This is the estimate the sampler itself uses (:eq:`diffusion-sigma-t`).

    Arguments:
        denoiser: a denoiser ``(y, σ) ↦ x̂`` with σ one value per image.
        iterations: the number of fixed-point steps (≥ 1).
        sigma_min: the floor of the estimated σ (> 0).

    Returns:
        The blind denoiser ``y ↦ x̂`` on (B, C, H, W) tensors. It raises ``ValueError`` when
        ``denoiser`` returns a tensor of another shape, and
        :class:`~theorybook.training.SolverDiverged` naming the fixed-point step when the σ
        estimate stops being finite or blows up.
    """

    def f(y: torch.Tensor) -> torch.Tensor:
        y = check_images("y", y)
        d = y[0].numel()
        sigma = (y - y.mean(dim=(1, 2, 3), keepdim=True)).flatten(1).norm(dim=1) / d**0.5
        sigma = sigma.clamp_min(sigma_min)
        for k in range(1, iterations + 1):
            xhat = check_output("denoiser", denoiser(y, sigma), y)
            sigma = ((y - xhat).flatten(1).norm(dim=1) / d**0.5).clamp_min(sigma_min)
            check_iterates(sigma, step=k, where="blind (the σ estimate)")
        return denoiser(y, sigma)

    return f


@checked
@dataclass(frozen=True)
class GaussianDenoiser:
    """The exact MMSE (Wiener) denoiser of Gaussian images ``x ~ N(mean, cov)``.

    ``x̂(y) = m + C (C + σ² I)⁻¹ (y − m)``; ``sigma`` is a number or one per image. ``cov`` has
    the eigenvalues ``evals`` (≥ 0) and eigenvectors ``evecs`` (columns); images have shape
    ``shape`` (C, H, W) with ``C·H·W = d``. The shrinkage factor of an eigenvalue λ is
    ``λ / (λ + σ²)``; when σ² underflows it is its σ → 0 limit (1 for λ > 0, 0 for λ = 0).
    """

    mean: Float[Tensor, " d"]
    cov: Float[Tensor, "d d"]
    shape: tuple[PositiveInt, PositiveInt, PositiveInt]
    evals: Float[Tensor, " d"]
    evecs: Float[Tensor, "d d"]

    def __post_init__(self) -> None:
        c, h, w = self.shape
        if c * h * w != len(self.mean):
            raise ValueError(
                f"shape {self.shape} holds {c * h * w} values but mean has {len(self.mean)}"
            )
        if bool((self.evals < 0).any()):
            raise ValueError("evals must be >= 0 (the eigenvalues of a covariance)")

    def __call__(self, y: torch.Tensor, sigma: object) -> torch.Tensor:
        y = check_images("y", y, channels=self.shape[0], finite=False)
        if tuple(y.shape[1:]) != self.shape:
            raise ValueError(f"y must hold images of shape {self.shape}, got {tuple(y.shape[1:])}")
        s = _sigma_tensor(sigma, len(y), y)
        evals, evecs = self.evals.to(y), self.evecs.to(y)
        m = self.mean.to(y)
        coef = (y.flatten(1) - m) @ evecs
        lam = evals[None, :]
        denom = lam + s[:, None] ** 2
        shrink = torch.where(denom > 0, lam / denom.clamp_min(torch.finfo(denom.dtype).tiny), 0.0)
        return (m + (coef * shrink) @ evecs.T).reshape(y.shape)

    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """``n`` images from ``N(mean, cov)``, of shape ``(n, *shape)``."""
        n = v.positive_int("n", n)
        g = torch.Generator().manual_seed(v.seed("seed", seed))
        z = torch.randn(n, len(self.evals), generator=g, dtype=self.cov.dtype)
        x = self.mean + (z * self.evals.clamp_min(0).sqrt()) @ self.evecs.T
        return x.reshape(n, *self.shape)


@checked
def gaussian_denoiser(
    size: Annotated[int, IntRange(low=2, high=64)],
    *,
    exponent: NonNegativeReal = 2.0,
    mean: FiniteReal = 0.5,
    std: PositiveReal = 0.2,
) -> GaussianDenoiser:
    """Stationary Gaussian images of ``size × size`` with spectrum ``∝ 1/(1 + |ω|)^exponent``.

    The covariance is circulant (periodic boundaries), built from the 2-D spectrum.

    Arguments:
        size: the image side (2 to 64: the covariance has ``size⁴`` entries).
        exponent: the spectrum's decay exponent (≥ 0).
        mean: the pixel mean.
        std: the pixel standard deviation (> 0). A ``std`` whose square underflows gives the
            zero covariance (the denoiser returns ``mean``); one whose square overflows raises
            ``ValueError``.

    Returns:
        The images' exact MMSE (Wiener) denoiser, a :class:`GaussianDenoiser`.
    """
    if not math.isfinite(std * std):
        raise ValueError(f"std = {std:g} is too large: its square overflows")
    k = torch.fft.fftfreq(size, d=1.0 / size, dtype=torch.float64)
    radius = torch.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    spectrum = 1.0 / (1.0 + radius) ** exponent
    kernel = torch.fft.ifft2(spectrum).real  # autocovariance of a periodic stationary field
    idx = torch.arange(size)
    dr = (idx[:, None] - idx[None, :]) % size
    cov = kernel[dr[:, None, :, None], dr[None, :, None, :]].reshape(size * size, size * size)
    cov = cov * (std**2 / cov.diagonal().mean())
    cov = (cov + cov.T) / 2
    evals, evecs = torch.linalg.eigh(cov)
    return GaussianDenoiser(
        mean=torch.full((size * size,), mean, dtype=torch.float64),
        cov=cov,
        shape=(1, size, size),
        evals=evals.clamp_min(0.0),
        evecs=evecs,
    )


@checked
def wiener_denoiser(images: Float[Tensor, "n c h w"]) -> GaussianDenoiser:
    """The Wiener filter fitted on ``images`` (N, C, H, W): the exact MMSE denoiser of the
    Gaussian with their empirical mean and covariance, ``x̂ = m + C (C + σ² I)⁻¹ (y − m)``.

    The best denoiser that is linear (affine) in ``y`` for these second-order statistics: a
    fixed basis (the principal components) with fixed shrinkage factors ``λ/(λ + σ²)``, the
    same for every image. It is the null model of an *adaptive* basis: its Jacobian
    ``C (C + σ² I)⁻¹`` does not depend on ``y``, and permuting the pixels of the data permutes
    its basis without changing its error.

    Arguments:
        images: the training images (N ≥ 2), at most 4096 values each.

    Returns:
        A :class:`GaussianDenoiser` (float64).
    """
    if len(images) < 2:
        raise ValueError(f"a covariance needs at least 2 images, got {len(images)}")
    c, h, w = images.shape[1:]
    if c * h * w > 4096:
        raise ValueError(f"images of {c * h * w} values exceed the 4096 this function allows")
    flat = images.flatten(1).double().cpu()
    mean = flat.mean(0)
    centred = flat - mean
    cov = centred.T @ centred / (len(flat) - 1)
    cov = (cov + cov.T) / 2
    evals, evecs = torch.linalg.eigh(cov)
    return GaussianDenoiser(
        mean=mean, cov=cov, shape=(c, h, w), evals=evals.clamp_min(0.0), evecs=evecs
    )
