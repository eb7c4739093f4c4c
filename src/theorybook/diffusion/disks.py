"""The exact MMSE denoiser of the disk images (paper §3.2, "Low-dimensional manifolds", Fig. 5).

A disk image is ``x(g, θ) = θ_fg·m_g + θ_bg·(1 − m_g)`` with geometry ``g = (c_row, c_col, r)``
and the anti-aliased mask ``m_g = clip(r − ‖p − c‖ + 1/2, 0, 1)`` at pixel centres ``p``: a
5-dimensional manifold. :func:`~theorybook.diffusion.disk_images` draws ``g`` uniformly on the
box of :data:`GEOMETRY_BOX` (in units of the image side) and the intensities uniformly on
[0, 1]².

The posterior mean ``E[x | y]`` under ``y = x + σz`` is computed here with the intensity
prior widened to the whole plane (flat), which makes the intensities integrable in closed form:
given ``g``, ``x`` ranges over the plane ``span{1, m_g}`` with projector ``P_g``, and

* the marginal likelihood is ``p(y | g) ∝ exp(−‖(I − P_g) y‖²/2σ²) / √det(B_gᵀB_g)``,
  ``B_g = [m_g, 1 − m_g]``;
* the posterior mean given ``g`` is ``P_g y``.

The geometry is integrated on a product grid, refined around the posterior mass (each pass
keeps the posterior mean ± ``width`` posterior standard deviations), so that
``x̂(y) = Σ_g w_g P_g y`` with ``w_g ∝ p(y | g)``. The Jacobian of the MMSE denoiser is the
posterior covariance over σ² (the second-order Miyasawa/Tweedie identity), here

    J(y) = Σ_g w_g P_g + Cov_w(P_g y)/σ²,

symmetric and positive semi-definite, and a rank-5 projector onto the tangent space of the
manifold as σ → 0 (two intensity directions from the first term, three geometry directions
from the second). With intensities inside [0, 1]² by more than a few posterior standard
deviations (small σ), the flat intensity prior changes nothing measurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import Interval, IntRange, PositiveInt, PositiveReal, Seed, checked

__all__ = ["GEOMETRY_BOX", "DiskMMSEDenoiser", "disk_masks", "disk_parameters", "render_disks"]

GEOMETRY_BOX = ((0.3, 0.7), (0.3, 0.7), (0.15, 0.3))
"""Prior ranges of the centre (row, column) and radius, in units of the image side."""

Side = Annotated[int, IntRange(low=4)]
"""An image side of the disk images (≥ 4 pixels)."""


@checked
def disk_parameters(n: PositiveInt, size: Side, seed: Seed = 0) -> Float[np.ndarray, "n 5"]:
    """``n`` disks' parameters ``(c_row, c_col, r, fg, bg)`` (pixels and intensities).

    The centre and radius are uniform on :data:`GEOMETRY_BOX` (in units of ``size``), the
    foreground and background intensities uniform on [0, 1].

    Arguments:
        n: the number of disks.
        size: the image side (≥ 4).
        seed: seeds the draws.

    Returns:
        The parameters, an (n, 5) float64 array.
    """
    rng = np.random.default_rng(seed)
    (c_lo, c_hi), _, (r_lo, r_hi) = GEOMETRY_BOX
    centre = rng.uniform(c_lo * size, c_hi * size, size=(n, 2))
    radius = rng.uniform(r_lo * size, r_hi * size, size=n)
    fg = rng.uniform(0.0, 1.0, size=n)
    bg = rng.uniform(0.0, 1.0, size=n)
    return np.column_stack([centre, radius, fg, bg])


@checked
def disk_masks(geometry: Float[Tensor, "g 3"], size: Side) -> Float[Tensor, "g h w"]:
    """Anti-aliased masks ``clip(r − ‖p − c‖ + 1/2, 0, 1)`` of geometries (G, 3) (centre row,
    centre column, radius, in pixels), shape (G, size, size), in the dtype of ``geometry``."""
    return _disk_masks(geometry, size)


def _disk_masks(geometry: torch.Tensor, size: int) -> torch.Tensor:
    grid = torch.arange(size, dtype=geometry.dtype, device=geometry.device) + 0.5
    dist = torch.sqrt(
        (grid[None, :, None] - geometry[:, 0, None, None]) ** 2
        + (grid[None, None, :] - geometry[:, 1, None, None]) ** 2
    )
    return (geometry[:, 2, None, None] - dist + 0.5).clamp(0.0, 1.0)


@checked
def render_disks(params: Float[np.ndarray, "n 5"], size: Side) -> Float[Tensor, "n 1 h w"]:
    """Disk images (n, 1, size, size), float32, from parameters (n, 5) as in
    :func:`disk_parameters`."""
    return _render_disks(params, size)


def _render_disks(params: np.ndarray, size: int) -> torch.Tensor:
    p = torch.as_tensor(np.asarray(params, dtype=np.float64))
    masks = _disk_masks(p[:, :3], size)
    x = p[:, 4, None, None] + (p[:, 3] - p[:, 4])[:, None, None] * masks
    return x[:, None].float()


@dataclass(frozen=True)
class _Posterior:
    weights: torch.Tensor  # (G,)
    means: torch.Tensor  # (G, d): P_g y
    q2: torch.Tensor  # (G, d): unit vector of m_g − mean(m_g)
    geometry: torch.Tensor  # (G, 3)


@checked
class DiskMMSEDenoiser:
    """The MMSE denoiser ``(y, σ) → E[x | y]`` of :func:`~theorybook.diffusion.disk_images`
    at side ``size`` (module docstring), by grid integration over the geometry.

    ``coarse`` points per axis on the prior box, then ``passes`` refinements of ``points`` per
    axis over the posterior mean ± ``width`` standard deviations (float64 throughout).

    Its methods take ``y``, images (B, 1, size, size) or one image (1, size, size), and the
    noise level ``sigma`` > 0. As σ → 0 the posterior concentrates on one grid point; a σ so
    small that ``1/σ²`` overflows float64 (σ below about 1e-154) raises
    :class:`~theorybook.boundary.NonFiniteResult` instead of returning NaN.
    """

    def __init__(
        self,
        size: Annotated[int, IntRange(low=4, high=64)],
        *,
        coarse: Annotated[int, IntRange(low=3, high=200)] = 24,
        points: Annotated[int, IntRange(low=3, high=100)] = 17,
        passes: Annotated[int, IntRange(low=0, high=20)] = 3,
        width: Annotated[float, Interval(low=1.0, high=50.0)] = 6.0,
    ) -> None:
        self.size = size
        self.coarse = coarse
        self.points = points
        self.passes = passes
        self.width = width
        self.box = torch.tensor(GEOMETRY_BOX, dtype=torch.float64) * size  # (3, 2)

    def _check(self, y: torch.Tensor) -> torch.Tensor:
        if y.ndim > 4:
            raise ValueError(f"y must be (B, 1, H, W) or (1, H, W), got shape {tuple(y.shape)}")
        t = y[None] if y.ndim == 3 else y
        if tuple(t.shape[1:]) != (1, self.size, self.size):
            raise ValueError(
                f"y must hold images of shape (1, {self.size}, {self.size}), got {tuple(t.shape)}"
            )
        return t

    def _grid(self, lo: torch.Tensor, hi: torch.Tensor, n: int) -> torch.Tensor:
        lo, hi = lo.detach(), hi.detach()  # the grid is a quadrature rule, not a function of y
        axes = [torch.linspace(float(a), float(b), n, dtype=torch.float64) for a, b in zip(lo, hi)]
        return torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)

    def _posterior(self, y: torch.Tensor, sigma: float, geometry: torch.Tensor) -> _Posterior:
        m = _disk_masks(geometry, self.size).reshape(len(geometry), -1)
        d = m.shape[1]
        centred = m - m.mean(1, keepdim=True)
        norm = centred.norm(dim=1)
        keep = norm > 1e-9  # a mask constant on the image carries no geometry
        q2 = centred / norm.clamp_min(1e-12)[:, None]
        proj = y.mean() + (q2 @ y)[:, None] * q2  # P_g y = mean·1 + (q2ᵀy) q2
        resid = (y.square().sum() - d * y.mean() ** 2) - (q2 @ y) ** 2
        a = m.square().sum(1)
        b = (m * (1 - m)).sum(1)
        c = (1 - m).square().sum(1)
        logdet = torch.log((a * c - b * b).clamp_min(1e-300))
        logp = -resid / (2 * sigma**2) - 0.5 * logdet
        logp = torch.where(keep, logp, torch.full_like(logp, -torch.inf))
        return _Posterior(torch.softmax(logp, 0), proj, q2, geometry)

    def posterior(self, y: torch.Tensor, sigma: float) -> _Posterior:
        """The weighted geometry grid for one flattened image ``y`` (d,), float64."""
        lo, hi = self.box[:, 0], self.box[:, 1]
        grid = self._grid(lo, hi, self.coarse)
        post = self._posterior(y, sigma, grid)
        step = (hi - lo) / (self.coarse - 1)
        for _ in range(self.passes):
            mean = post.weights @ post.geometry
            sd = (post.weights @ (post.geometry - mean).square()).sqrt()
            half = self.width * sd + step
            new_lo, new_hi = torch.maximum(mean - half, lo), torch.minimum(mean + half, hi)
            step = (new_hi - new_lo) / (self.points - 1)
            post = self._posterior(y, sigma, self._grid(new_lo, new_hi, self.points))
        return post

    @checked
    def __call__(
        self, y: Float[Tensor, "*batch 1 h w"], sigma: PositiveReal
    ) -> Float[Tensor, "b 1 h w"]:
        """``E[x | y]`` for images (B, 1, size, size) or (1, size, size) at noise ``sigma``."""
        batch = self._check(y)
        out = []
        for img in batch.double().reshape(len(batch), -1):
            post = self.posterior(img, sigma)
            out.append(post.weights @ post.means)
        return torch.stack(out).reshape(batch.shape).to(batch.dtype)

    @checked
    def moments(
        self, y: Float[Tensor, "*batch 1 h w"], sigma: PositiveReal
    ) -> tuple[Float[Tensor, "b 1 h w"], Float[Tensor, "b d d"]]:
        """Posterior mean (B, 1, size, size) and ``J(y) = Cov[x | y]/σ²`` (B, d, d), float64,
        from one grid integration: ``J = Σ w_g P_g + Cov_w(P_g y)/σ²``."""
        batch = self._check(y)
        d = self.size**2
        means, jacs = [], []
        ones = torch.full((d,), d**-0.5, dtype=torch.float64)
        for img in batch.double().reshape(len(batch), -1):
            post = self.posterior(img, sigma)
            w = post.weights
            mean = w @ post.means
            sq = w.sqrt()[:, None]
            j = torch.outer(ones, ones) + (sq * post.q2).T @ (sq * post.q2)
            dev = sq * (post.means - mean)
            means.append(mean)
            jacs.append(j + dev.T @ dev / sigma**2)
        return torch.stack(means).reshape(batch.shape), torch.stack(jacs)

    @checked
    def jacobian(
        self, y: Float[Tensor, "*batch 1 h w"], sigma: PositiveReal
    ) -> Float[Tensor, "b d d"]:
        """``J(y) = Cov[x | y]/σ²`` (B, d, d), float64 (see :meth:`moments`)."""
        return self.moments(y, sigma)[1]
