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

import numpy as np
import torch

from theorybook import validation as v

__all__ = ["GEOMETRY_BOX", "DiskMMSEDenoiser", "disk_masks", "disk_parameters", "render_disks"]

GEOMETRY_BOX = ((0.3, 0.7), (0.3, 0.7), (0.15, 0.3))
"""Prior ranges of the centre (row, column) and radius, in units of the image side."""


def disk_parameters(n: int, size: int, seed: int = 0) -> np.ndarray:
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
    n = v.positive_int("n", n)
    size = v.int_in_range("size", size, low=4)
    rng = np.random.default_rng(v.seed("seed", seed))
    (c_lo, c_hi), _, (r_lo, r_hi) = GEOMETRY_BOX
    centre = rng.uniform(c_lo * size, c_hi * size, size=(n, 2))
    radius = rng.uniform(r_lo * size, r_hi * size, size=n)
    fg = rng.uniform(0.0, 1.0, size=n)
    bg = rng.uniform(0.0, 1.0, size=n)
    return np.column_stack([centre, radius, fg, bg])


def disk_masks(geometry: torch.Tensor, size: int) -> torch.Tensor:
    """Anti-aliased masks ``clip(r − ‖p − c‖ + 1/2, 0, 1)`` of geometries (G, 3), shape
    (G, size, size), in the dtype of ``geometry``."""
    geometry = v.tensor("geometry", geometry, ndim=2)
    if geometry.shape[1] != 3:
        raise ValueError(f"geometry must have shape (G, 3), got {tuple(geometry.shape)}")
    size = v.int_in_range("size", size, low=4)
    grid = torch.arange(size, dtype=geometry.dtype, device=geometry.device) + 0.5
    dist = torch.sqrt(
        (grid[None, :, None] - geometry[:, 0, None, None]) ** 2
        + (grid[None, None, :] - geometry[:, 1, None, None]) ** 2
    )
    return (geometry[:, 2, None, None] - dist + 0.5).clamp(0.0, 1.0)


def render_disks(params: object, size: int) -> torch.Tensor:
    """Disk images (n, 1, size, size), float32, from parameters (n, 5) as in
    :func:`disk_parameters`."""
    p = torch.as_tensor(np.asarray(params, dtype=np.float64))
    if p.ndim != 2 or p.shape[1] != 5:
        raise ValueError(f"params must have shape (n, 5), got {tuple(p.shape)}")
    masks = disk_masks(p[:, :3], size)
    x = p[:, 4, None, None] + (p[:, 3] - p[:, 4])[:, None, None] * masks
    return x[:, None].float()


@dataclass(frozen=True)
class _Posterior:
    weights: torch.Tensor  # (G,)
    means: torch.Tensor  # (G, d): P_g y
    q2: torch.Tensor  # (G, d): unit vector of m_g − mean(m_g)
    geometry: torch.Tensor  # (G, 3)


class DiskMMSEDenoiser:
    """The MMSE denoiser ``(y, σ) → E[x | y]`` of :func:`~theorybook.diffusion.disk_images`
    at side ``size`` (module docstring), by grid integration over the geometry.

    ``coarse`` points per axis on the prior box, then ``passes`` refinements of ``points`` per
    axis over the posterior mean ± ``width`` standard deviations (float64 throughout).
    """

    def __init__(
        self,
        size: int,
        *,
        coarse: int = 24,
        points: int = 17,
        passes: int = 3,
        width: float = 6.0,
    ) -> None:
        self.size = v.int_in_range("size", size, low=4, high=64)
        self.coarse = v.int_in_range("coarse", coarse, low=3, high=200)
        self.points = v.int_in_range("points", points, low=3, high=100)
        self.passes = v.int_in_range("passes", passes, low=0, high=20)
        self.width = v.real("width", width, low=1.0, high=50.0)
        self.box = torch.tensor(GEOMETRY_BOX, dtype=torch.float64) * size  # (3, 2)

    def _check(self, y: object, sigma: float) -> tuple[torch.Tensor, float]:
        t = v.tensor("y", y, ndim=(3, 4))
        t = t[None] if t.ndim == 3 else t
        if tuple(t.shape[1:]) != (1, self.size, self.size):
            raise ValueError(
                f"y must hold images of shape (1, {self.size}, {self.size}), got {tuple(t.shape)}"
            )
        return t, v.positive_real("sigma", sigma)

    def _grid(self, lo: torch.Tensor, hi: torch.Tensor, n: int) -> torch.Tensor:
        lo, hi = lo.detach(), hi.detach()  # the grid is a quadrature rule, not a function of y
        axes = [torch.linspace(float(a), float(b), n, dtype=torch.float64) for a, b in zip(lo, hi)]
        return torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)

    def _posterior(self, y: torch.Tensor, sigma: float, geometry: torch.Tensor) -> _Posterior:
        m = disk_masks(geometry, self.size).reshape(len(geometry), -1)
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

    def __call__(self, y: object, sigma: float) -> torch.Tensor:
        """``E[x | y]`` for images (B, 1, size, size) or (1, size, size) at noise ``sigma``."""
        batch, sigma = self._check(y, sigma)
        out = []
        for img in batch.double().reshape(len(batch), -1):
            post = self.posterior(img, sigma)
            out.append(post.weights @ post.means)
        return torch.stack(out).reshape(batch.shape).to(batch.dtype)

    def moments(self, y: object, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean (B, 1, size, size) and ``J(y) = Cov[x | y]/σ²`` (B, d, d), float64,
        from one grid integration: ``J = Σ w_g P_g + Cov_w(P_g y)/σ²``."""
        batch, sigma = self._check(y, sigma)
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

    def jacobian(self, y: object, sigma: float) -> torch.Tensor:
        """``J(y) = Cov[x | y]/σ²`` (B, d, d), float64 (see :meth:`moments`)."""
        return self.moments(y, sigma)[1]
