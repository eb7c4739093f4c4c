"""Synthetic image classes of the paper's §3.2: C^α images and disks.

C^α images (paper App. E, Eq. (34) and Alg. 2; generated as the official code's
``make_C_alpha_images`` in ``code/synthetic_data_generators.py`` does, with the blur factor
(2, 2) of ``code/generate_c_alpha_dataset.py``): two regular backgrounds separated by a regular
contour. The contour is i.i.d. noise, uniform on [−1, 1], filtered by ``|k|^−α`` (integer
frequency ``k``, the zero frequency kept with weight 1), scaled by the image side and centred;
the backgrounds are 2-D noise filtered by ``|k|^−β`` (β = α by default, as in the official
generator), one rescaled to span ``[u, 1]`` and the other ``[0, v]`` (``u, v ~ U[0, 1]``, which
one is brighter at random). The mask ``M = 1{row ≥ contour}`` is blurred by a stride-1 2×2 box
(reflect padding) and the image is ``M·B₁ + (1 − M)·B₂``, at full resolution: nothing else is
downsampled or normalised. For such images the optimal denoiser's MSE decays as
``σ^{2α/(α+1)}`` (:eq:`diffusion-calpha`).

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


def _power_filter(shape: tuple[int, ...], exponent: float) -> np.ndarray:
    """``|k|^−exponent`` on the FFT grid of ``shape`` (integer frequencies ``k``), with the zero
    frequency given the weight of ``|k| = 1`` (the official ``make_fft_filter_1d/2d``)."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) * n for n in shape], indexing="ij")
    radius = np.sqrt(sum(g**2 for g in grids))
    radius[(0,) * len(shape)] = 1.0
    return radius ** (-exponent)


def _filtered_noise(rng: np.random.Generator, n: int, shape: tuple[int, ...], exponent: float):
    """``n`` draws of uniform noise on [−1, 1] of ``shape``, filtered by ``|k|^−exponent``."""
    axes = tuple(range(1, len(shape) + 1))
    noise = rng.uniform(-1.0, 1.0, size=(n, *shape))
    spec = np.fft.fftn(noise, axes=axes) * _power_filter(shape, exponent)
    return np.fft.ifftn(spec, axes=axes).real


def _span(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each image of ``x`` (n, h, w) affinely rescaled to span ``[low, high]`` (official
    ``rescale_image_range``)."""
    lo = x.min(axis=(1, 2), keepdims=True)
    hi = x.max(axis=(1, 2), keepdims=True)
    unit = (x - lo) / np.where(hi > lo, hi - lo, 1.0)
    return unit * (high - low)[:, None, None] + low[:, None, None]


@checked
def c_alpha_images(
    n: PositiveInt,
    size: Side,
    alpha: Regularity,
    seed: Seed = 0,
    *,
    beta: Regularity | None = None,
) -> Float[Tensor, "n 1 h w"]:
    """``n`` C^α images of ``size × size`` in [0, 1] (paper App. E, Alg. 2; the official
    ``make_C_alpha_images`` with ``factor=(2, 2)``, see the module docstring).

    The contour row of column ``j`` is ``round(size·c_j) + size // 2`` with ``c`` the filtered
    noise; it is clipped to ``[0, size]`` (the official slice ``mask[0:c_j, j]`` wraps around
    for a negative ``c_j``, a quirk not kept). For such images the optimal denoiser's MSE decays
    as ``σ^{2α/(α+1)}`` (:eq:`diffusion-calpha`).

    Arguments:
        n: the number of images.
        size: the image side (≥ 4).
        alpha: the contour's regularity (0 < α ≤ 20).
        seed: seeds the contours, the backgrounds and their intensity ranges.
        beta: the backgrounds' regularity (0 < β ≤ 20; default ``alpha``).

    Returns:
        The images (n, 1, size, size), float32.
    """
    beta = alpha if beta is None else beta
    mask, b1, b2 = _c_alpha_parts(np.random.default_rng(seed), n, size, alpha, beta)
    x = mask * b1 + (1 - mask) * b2
    return torch.from_numpy(x[:, None].astype(np.float32))


def _c_alpha_parts(
    rng: np.random.Generator, n: int, size: int, alpha: float, beta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blurred masks and the two backgrounds (each (n, size, size)) of
    :func:`c_alpha_images`."""
    contour = _filtered_noise(rng, n, (size,), alpha)
    rows_at = np.clip(np.round(contour * size).astype(int) + size // 2, 0, size)
    mask = (np.arange(size)[None, :, None] >= rows_at[:, None, :]).astype(np.float64)
    padded = np.pad(mask, ((0, 0), (1, 0), (1, 0)), mode="reflect")
    blurred = (
        padded[:, :-1, :-1] + padded[:, 1:, :-1] + padded[:, :-1, 1:] + padded[:, 1:, 1:]
    ) / 4
    b1 = _filtered_noise(rng, n, (size, size), beta)
    b2 = _filtered_noise(rng, n, (size, size), beta)
    u, v = rng.uniform(size=n), rng.uniform(size=n)
    first_bright = rng.integers(0, 2, size=n) == 0
    ones, zeros = np.ones(n), np.zeros(n)
    b1 = _span(b1, np.where(first_bright, u, zeros), np.where(first_bright, ones, u))
    b2 = _span(b2, np.where(first_bright, zeros, v), np.where(first_bright, v, ones))
    return blurred, b1, b2


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
