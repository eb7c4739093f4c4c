"""Synthetic image classes of the paper's §3.2: C^α images and disks.

C^α images (paper App. E, Alg. 2): two regular backgrounds separated by a regular contour.
A contour is a random 1-D function of the horizontal coordinate with spectrum ``|ω|^−α``, the
backgrounds random 2-D fields with spectrum ``(ω₁² + ω₂²)^−β/2`` (β = α by default, as in the
official generator); the image is ``M·B₁ + (1 − M)·B₂`` with ``M = 1{row > contour}``, drawn at
twice the size and averaged 2×2 (the official ``blurredx2``). For such images the optimal
denoiser's MSE decays as ``σ^{2α/(α+1)}`` (:eq:`diffusion-calpha`).

Disks (paper Fig. 5): a disk of random centre, radius, foreground and background intensities:
a 5-dimensional manifold of images.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import Interval, PositiveInt, Seed, checked
from theorybook.diffusion.disks import Side, _render_disks, disk_parameters

Regularity = Annotated[float, Interval(low=0.0, high=20.0, low_open=True)]
"""A regularity exponent α or β of the C^α images, in (0, 20]."""

__all__ = ["c_alpha_images", "disk_images"]


def _filtered_noise(
    rng: np.random.Generator, shape: tuple[int, ...], exponent: float, axes: tuple[int, ...]
) -> np.ndarray:
    noise = rng.uniform(-0.5, 0.5, size=shape)
    freqs = np.meshgrid(*[np.fft.fftfreq(shape[a]) for a in axes], indexing="ij")
    radius = np.sqrt(sum(f**2 for f in freqs))
    radius[(0,) * len(axes)] = np.inf  # remove the mean
    spec = np.fft.fftn(noise, axes=axes) * radius ** (-exponent)
    out = np.fft.ifftn(spec, axes=axes).real
    scale = out.std(axis=axes, keepdims=True)
    return out / np.where(scale > 0, scale, 1.0)


@checked
def c_alpha_images(
    n: PositiveInt,
    size: Side,
    alpha: Regularity,
    seed: Seed = 0,
    *,
    beta: Regularity | None = None,
) -> Float[Tensor, "n 1 h w"]:
    """``n`` C^α images of ``size × size`` in [0, 1] (paper App. E, Alg. 2).

    For such images the optimal denoiser's MSE decays as ``σ^{2α/(α+1)}``
    (:eq:`diffusion-calpha`).

    Arguments:
        n: the number of images.
        size: the image side (≥ 4).
        alpha: the contour's regularity (0 < α ≤ 20).
        seed: seeds the contours and the backgrounds.
        beta: the backgrounds' regularity (0 < β ≤ 20; default ``alpha``).

    Returns:
        The images (n, 1, size, size), float32.
    """
    beta = alpha if beta is None else beta
    rng = np.random.default_rng(seed)
    big = 2 * size
    contour = _filtered_noise(rng, (n, big), alpha, axes=(1,))
    contour = big / 2 + contour * big / 8 + rng.uniform(-big / 4, big / 4, size=(n, 1))
    rows = np.arange(big)[None, :, None]
    mask = rows > contour[:, None, :]
    b1 = _filtered_noise(rng, (n, big, big), beta, axes=(1, 2))
    b2 = _filtered_noise(rng, (n, big, big), beta, axes=(1, 2))
    b1 = 0.5 + 0.1 * b1 + rng.uniform(-0.3, 0.3, size=(n, 1, 1))
    b2 = 0.5 + 0.1 * b2 + rng.uniform(-0.3, 0.3, size=(n, 1, 1))
    x = np.where(mask, b1, b2)
    x = x.reshape(n, size, 2, size, 2).mean(axis=(2, 4))
    return torch.from_numpy(np.clip(x, 0.0, 1.0)[:, None].astype(np.float32))


@checked
def disk_images(n: PositiveInt, size: Side, seed: Seed = 0) -> Float[Tensor, "n 1 h w"]:
    """``n`` anti-aliased disks of ``size × size`` in [0, 1].

    Five parameters per image (:func:`~theorybook.diffusion.disks.disk_parameters`): centre
    (two), radius, foreground and background intensity.

    Arguments:
        n: the number of images.
        size: the image side (≥ 4).
        seed: seeds the parameters.

    Returns:
        The images (n, 1, size, size), float32.
    """
    return _render_disks(disk_parameters(n, size, seed=seed), size)
