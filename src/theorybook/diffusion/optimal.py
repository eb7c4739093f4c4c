"""Closed-form denoisers: the empirical-optimal memorizer and the Gaussian (Wiener) MMSE denoiser.

For a training set ``{x_1, …, x_N}`` taken as the whole distribution, the MMSE denoiser at noise
level σ is the softmax-weighted average of the training images, :eq:`diffusion-empirical`:
``x̂(y) = Σ_n w_n(y) x_n`` with ``w ∝ exp(−‖y − x_n‖² / 2σ²)``. It is the optimum of the training
loss, so a network that reaches it has memorized: the diffusion sampler driven by it returns
training images. :func:`blind` turns it into a blind denoiser (no σ input) by estimating σ
self-consistently from its own residual, like the trained networks do implicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from theorybook import validation as v
from theorybook.diffusion.denoisers import check_images

__all__ = [
    "EmpiricalOptimalDenoiser",
    "GaussianDenoiser",
    "blind",
    "empirical_optimal_denoiser",
    "gaussian_denoiser",
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


@dataclass(frozen=True)
class EmpiricalOptimalDenoiser:
    """The MMSE denoiser of the empirical distribution of ``train`` (N, C, H, W).

    Call it as ``denoiser(y, sigma)`` with ``y`` (B, C, H, W) and ``sigma`` a positive number or
    one per image; it returns x̂ (B, C, H, W) of :eq:`diffusion-empirical`.
    """

    train: torch.Tensor

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
        return torch.softmax(-d2 / (2 * s[:, None] ** 2), dim=1)

    def __call__(self, y: torch.Tensor, sigma: object) -> torch.Tensor:
        w = self.weights(y, sigma)
        return (w @ self.train.flatten(1).to(y)).reshape(y.shape)


def empirical_optimal_denoiser(train_images: object) -> EmpiricalOptimalDenoiser:
    """The empirical-optimal (memorizing) denoiser of ``train_images`` (N, C, H, W).

    Raises ``TypeError`` unless a floating tensor, ``ValueError`` on NaN or a wrong shape.
    """
    train = check_images("train_images", train_images)
    return EmpiricalOptimalDenoiser(train=train.detach())


def blind(
    denoiser: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    iterations: int = 3,
    sigma_min: float = 1e-3,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A blind version ``y ↦ x̂`` of a denoiser that needs σ.

    σ is estimated per image from the residual, σ ← ‖y − x̂_σ(y)‖/√d, starting from the
    distance of ``y`` to its own mean (``iterations`` fixed-point steps; ``sigma_min`` floors
    it). This is the estimate the sampler itself uses (:eq:`diffusion-sigma-t`).

    Arguments:
        denoiser: a denoiser ``(y, σ) ↦ x̂`` with σ one value per image.
        iterations: the number of fixed-point steps (≥ 1).
        sigma_min: the floor of the estimated σ (> 0).

    Returns:
        The blind denoiser ``y ↦ x̂`` on (B, C, H, W) tensors.
    """
    v.callable_("denoiser", denoiser)
    iterations = v.positive_int("iterations", iterations)
    sigma_min = v.positive_real("sigma_min", sigma_min)

    def f(y: torch.Tensor) -> torch.Tensor:
        y = check_images("y", y)
        d = y[0].numel()
        sigma = (y - y.mean(dim=(1, 2, 3), keepdim=True)).flatten(1).norm(dim=1) / d**0.5
        sigma = sigma.clamp_min(sigma_min)
        for _ in range(iterations):
            xhat = denoiser(y, sigma)
            sigma = ((y - xhat).flatten(1).norm(dim=1) / d**0.5).clamp_min(sigma_min)
        return denoiser(y, sigma)

    return f


@dataclass(frozen=True)
class GaussianDenoiser:
    """The exact MMSE (Wiener) denoiser of Gaussian images ``x ~ N(mean, cov)``.

    ``x̂(y) = m + C (C + σ² I)⁻¹ (y − m)``; ``sigma`` is a number or one per image.
    """

    mean: torch.Tensor
    cov: torch.Tensor
    shape: tuple[int, int, int]
    evals: torch.Tensor
    evecs: torch.Tensor

    def __call__(self, y: torch.Tensor, sigma: object) -> torch.Tensor:
        y = check_images("y", y, channels=self.shape[0], finite=False)
        if tuple(y.shape[1:]) != self.shape:
            raise ValueError(f"y must hold images of shape {self.shape}, got {tuple(y.shape[1:])}")
        s = _sigma_tensor(sigma, len(y), y)
        evals, evecs = self.evals.to(y), self.evecs.to(y)
        m = self.mean.to(y)
        coef = (y.flatten(1) - m) @ evecs
        shrink = evals[None, :] / (evals[None, :] + s[:, None] ** 2)
        return (m + (coef * shrink) @ evecs.T).reshape(y.shape)

    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """``n`` images from ``N(mean, cov)``, of shape ``(n, *shape)``."""
        n = v.positive_int("n", n)
        g = torch.Generator().manual_seed(v.seed("seed", seed))
        z = torch.randn(n, len(self.evals), generator=g, dtype=self.cov.dtype)
        x = self.mean + (z * self.evals.clamp_min(0).sqrt()) @ self.evecs.T
        return x.reshape(n, *self.shape)


def gaussian_denoiser(
    size: int, *, exponent: float = 2.0, mean: float = 0.5, std: float = 0.2
) -> GaussianDenoiser:
    """Stationary Gaussian images of ``size × size`` with spectrum ``∝ 1/(1 + |ω|)^exponent``.

    The covariance is circulant (periodic boundaries), built from the 2-D spectrum.

    Arguments:
        size: the image side (≥ 2).
        exponent: the spectrum's decay exponent (≥ 0).
        mean: the pixel mean.
        std: the pixel standard deviation (> 0).

    Returns:
        The images' exact MMSE (Wiener) denoiser, a :class:`GaussianDenoiser`.
    """
    size = v.int_in_range("size", size, low=2)
    exponent = v.real("exponent", exponent, low=0.0)
    mean = v.real("mean", mean)
    std = v.positive_real("std", std)
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
