"""Closed-form test densities with exact log-densities, scores and (for mixtures) Hessians.

Every density takes points of shape ``(n, d)``, as a NumPy array or a torch tensor, and returns
the same kind: NumPy in, NumPy out (float64); a tensor in, a tensor out (same dtype and device,
differentiable). ``sample(n, seed)`` returns a NumPy array of shape ``(n, d)``.

* :class:`GaussianMixture` -- isotropic Gaussian mixture in any dimension. Its Gaussian smoothing
  ``p_σ = p * N(0, σ²I)`` is again a mixture (:meth:`GaussianMixture.smoothed`), so the finite-σ
  target of a denoising auto-encoder, ``∇log p_σ``, is known in closed form, and so is the
  posterior mean ``E[x | x̃]`` (:meth:`GaussianMixture.posterior_mean`, eq. :eq:`rae-tweedie`).
* :class:`NinjaStar` -- the 2-D energy ``E(x, y) = (√(x²+y²) − 2)² + (x² − y²)² +
  ½ log(x² + y² + 1)`` with density ``∝ exp(−E)``; normalised and sampled on a fine grid.
* :func:`sample_spiral` and :func:`distance_to_spiral` -- a 1-D manifold (a spiral) in the plane.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import numpy as np
import torch
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import (
    FiniteReal,
    IntRange,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
    checked,
)
from theorybook.rae._limits import sigma_power
from theorybook.validation import array, positive_int, positive_real, real, seed

if TYPE_CHECKING:  # pragma: no cover
    from scipy.spatial import cKDTree

__all__ = [
    "GaussianMixture",
    "NinjaStar",
    "SPIRAL_T_RANGE",
    "SPIRAL_SCALE",
    "distance_to_spiral",
    "sample_spiral",
    "spiral_curve",
]

Points = TypeVar("Points", NDArray[np.float64], torch.Tensor)

Means = Float[np.ndarray, "k d"] | Sequence[Sequence[FiniteReal]] | Sequence[FiniteReal]
"""Component means: an array ``(k, d)``, ``k`` lists of ``d`` numbers, or a list of ``k`` numbers
(``d = 1``)."""
PerComponent = Float[np.ndarray, " k"] | Sequence[FiniteReal]
"""One number per component: an array ``(k,)`` or a list."""


def _as_tensor(name: str, x: object, dim: int) -> tuple[torch.Tensor, bool]:
    """``x`` as a (n, dim) tensor and whether it came in as a tensor."""
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
        if x.ndim != 2 or x.shape[1] != dim:
            raise ValueError(f"{name} must have shape (n, {dim}), got {tuple(x.shape)}")
        if x.shape[0] < 1:
            raise ValueError(f"{name} must hold at least one point, got shape {tuple(x.shape)}")
        if not bool(torch.isfinite(x.detach()).all()):
            raise ValueError(f"{name} must hold only finite values; it contains NaN or inf")
        return x, True
    out = array(name, x, shape=(None, dim))
    return torch.from_numpy(out), False


def _back(value: torch.Tensor, was_tensor: bool) -> Any:
    return value if was_tensor else value.detach().numpy()


@checked
class GaussianMixture:
    """``p(x) = Σ_j w_j N(x; μ_j, s_j² I)`` on ℝ^d.

    Arguments
    ---------
    means:
        an array of shape ``(k, d)``, or a list of ``k`` lists of ``d`` numbers (a flat list of
        ``k`` numbers means ``d = 1``).
    stds:
        ``k`` positive standard deviations, one isotropic std per component; each ``s_j²`` must
        be a normal float64 number (``s_j`` between about 1.5e-154 and 1.3e154), since the
        density divides by it.
    weights:
        ``k`` non-negative weights summing to one (within 1e-6; they are renormalised).

    Raises
    ------
    ValueError
        on mismatched lengths, a non-positive std (or one whose square under- or overflows),
        negative weights or weights not summing to 1.
    """

    def __init__(self, means: Means, stds: PerComponent, weights: PerComponent) -> None:
        m = array("means", means, ndim=(1, 2))
        if m.ndim == 1:
            m = m[:, None]
        s = array("stds", stds, ndim=1)
        w = array("weights", weights, ndim=1)
        if not (len(m) == len(s) == len(w)):
            raise ValueError(
                f"means, stds and weights must have one entry per component, got "
                f"{len(m)}, {len(s)} and {len(w)}"
            )
        if np.any(s <= 0):
            raise ValueError(f"stds must be > 0, got {s.tolist()}")
        with np.errstate(over="ignore", under="ignore"):
            variances = s**2
        if np.any(variances < sys.float_info.min) or not np.all(np.isfinite(variances)):
            raise ValueError(
                f"stds must have squares that are normal float64 numbers (about 1.5e-154 to "
                f"1.3e154), got {s.tolist()}"
            )
        if np.any(w < 0) or abs(float(w.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1, got {w.tolist()}")
        self.means: NDArray[np.float64] = m
        self.stds: NDArray[np.float64] = s
        self.weights: NDArray[np.float64] = w / w.sum()

    @property
    def dim(self) -> int:
        """The dimension ``d``."""
        return int(self.means.shape[1])

    def __repr__(self) -> str:
        return (
            f"GaussianMixture(means={self.means.tolist()}, stds={self.stds.tolist()}, "
            f"weights={self.weights.tolist()})"
        )

    def _params(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        kw: dict[str, Any] = {"dtype": like.dtype, "device": like.device}
        return (
            torch.as_tensor(self.means, **kw),
            torch.as_tensor(self.stds, **kw),
            torch.as_tensor(self.weights, **kw),
        )

    def _log_components(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``log w_j + log N(x; μ_j, s_j²I)`` of shape (n, k) and ``(μ_j − x)/s_j²`` (n, k, d)."""
        mu, s, w = self._params(x)
        diff = mu[None, :, :] - x[:, None, :]
        sq = (diff**2).sum(-1)
        d = self.dim
        logn = -0.5 * sq / s**2 - d * torch.log(s) - 0.5 * d * math.log(2 * math.pi)
        return torch.log(w) + logn, diff / (s**2)[None, :, None]

    def log_prob(self, x: Points) -> Points:
        """``log p(x)`` for points of shape ``(n, d)``; shape ``(n,)``."""
        t, was = _as_tensor("x", x, self.dim)
        logc, _ = self._log_components(t)
        return _back(torch.logsumexp(logc, dim=1), was)

    def score(self, x: Points) -> Points:
        """``∇log p(x) = Σ_j γ_j(x) (μ_j − x)/s_j²`` with responsibilities γ; shape ``(n, d)``."""
        t, was = _as_tensor("x", x, self.dim)
        logc, a = self._log_components(t)
        gamma = torch.softmax(logc, dim=1)
        return _back((gamma[:, :, None] * a).sum(1), was)

    def hessian(self, x: Points) -> Points:
        """``∇²log p(x) = Σ_j γ_j (a_j a_jᵀ − I/s_j²) − ∇log p ∇log pᵀ``; shape ``(n, d, d)``."""
        t, was = _as_tensor("x", x, self.dim)
        logc, a = self._log_components(t)
        _, s, _ = self._params(t)
        gamma = torch.softmax(logc, dim=1)
        score = (gamma[:, :, None] * a).sum(1)
        eye = torch.eye(self.dim, dtype=t.dtype, device=t.device)
        outer = a[:, :, :, None] * a[:, :, None, :] - eye / (s**2)[None, :, None, None]
        h = (gamma[:, :, None, None] * outer).sum(1) - score[:, :, None] * score[:, None, :]
        return _back(h, was)

    def smoothed(self, sigma: float) -> GaussianMixture:
        """The density of ``x + σε``, ``p_σ = p * N(0, σ²I)``: the same mixture with stds
        ``√(s_j² + σ²)`` (eq. :eq:`rae-smoothed`); ``ValueError`` if σ² overflows."""
        sigma = real("sigma", sigma, low=0.0)
        var = sigma_power("sigma", sigma, 2, allow_underflow=True)
        return GaussianMixture(self.means, np.sqrt(self.stds**2 + var), self.weights)

    def posterior_mean(self, x_noisy: Points, sigma: float) -> Points:
        """``E[x | x + σε = x̃]`` in closed form, from Bayes' rule over components.

        Component ``j`` is chosen with probability ∝ ``w_j N(x̃; μ_j, (s_j² + σ²)I)``, and given
        ``j`` the posterior mean is ``μ_j + s_j²/(s_j² + σ²) (x̃ − μ_j)``. This formula does not
        use the score; eq. :eq:`rae-tweedie` says it equals ``x̃ + σ²∇log p_σ(x̃)``.
        """
        sigma = positive_real("sigma", sigma)
        sigma_power("sigma", sigma, 2, allow_underflow=True)
        t, was = _as_tensor("x_noisy", x_noisy, self.dim)
        logc, _ = self.smoothed(sigma)._log_components(t)
        gamma = torch.softmax(logc, dim=1)
        mu, s, _ = self._params(t)
        shrink = (s**2 / (s**2 + sigma**2))[None, :, None]
        cond = mu[None, :, :] + shrink * (t[:, None, :] - mu[None, :, :])
        return _back((gamma[:, :, None] * cond).sum(1), was)

    def sample(self, n: int, seed: int) -> NDArray[np.float64]:
        """``n`` independent draws, shape ``(n, d)``, from ``numpy.random.default_rng(seed)``."""
        n = positive_int("n", n)
        rng = np.random.default_rng(_seed(seed))
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        eps = rng.standard_normal((n, self.dim))
        return self.means[comp] + self.stds[comp, None] * eps


def _seed(value: object) -> int:
    return seed("seed", value)


@checked
class NinjaStar:
    """The 2-D "ninja star" density ``p ∝ exp(−E)`` with
    ``E(x, y) = (√(x²+y²) − 2)² + (x² − y²)² + ½ log(x² + y² + 1)``.

    A ring of radius 2 pinched into four points along the diagonals. ``log_prob`` is normalised
    by quadrature on a ``grid`` × ``grid`` lattice over ``[−half_width, half_width]²`` (computed
    once, lazily); ``sample`` draws lattice cells with probability ∝ ``exp(−E)`` at their centre
    and a uniform position inside the cell.

    ``grid`` must be at least 50 (an accurate normaliser). ``half_width`` must keep the lattice's
    cell area ``(2·half_width/grid)²`` a normal float64 number and ``E`` finite on the box
    (roughly ``1e-150 < half_width < 1e77``); otherwise the normaliser would be ``−inf`` or NaN and
    the constructor raises ``ValueError``. The normaliser is accurate only when the box holds the
    ring (``half_width ≳ 3``) and the cells are small against it.
    """

    dim = 2

    def __init__(
        self,
        *,
        half_width: PositiveReal = 5.0,
        grid: Annotated[int, IntRange(low=50)] = 1000,
    ) -> None:
        self.half_width = half_width
        self.grid = grid
        cell = 2 * half_width / grid
        if cell * cell < sys.float_info.min:
            raise ValueError(
                f"half_width = {half_width:g} is too small for a grid of {grid}: the cell area "
                f"(2·half_width/grid)² underflows float64"
            )
        corner = torch.tensor([[half_width, 0.0]], dtype=torch.float64)
        if not bool(torch.isfinite(self._energy(corner)).all()):
            raise ValueError(
                f"half_width = {half_width:g} is too large: the energy overflows float64 on the box"
            )

    def __repr__(self) -> str:
        return f"NinjaStar(half_width={self.half_width}, grid={self.grid})"

    @staticmethod
    def _energy(t: torch.Tensor) -> torch.Tensor:
        x, y = t[:, 0], t[:, 1]
        r2 = x**2 + y**2
        return (torch.sqrt(r2) - 2.0) ** 2 + (x**2 - y**2) ** 2 + 0.5 * torch.log(r2 + 1.0)

    def energy(self, x: Points) -> Points:
        """``E(x)``, shape ``(n,)``."""
        t, was = _as_tensor("x", x, 2)
        return _back(self._energy(t), was)

    @cached_property
    def _lattice(self) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
        h = 2 * self.half_width / self.grid
        c = -self.half_width + h * (np.arange(self.grid) + 0.5)
        xx, yy = np.meshgrid(c, c, indexing="ij")
        centres = np.stack([xx.ravel(), yy.ravel()], axis=1)
        e = self._energy(torch.from_numpy(centres)).numpy()
        unnorm = np.exp(-(e - e.min()))
        log_z = float(np.log(unnorm.sum() * h * h) - e.min())
        return centres, unnorm / unnorm.sum(), h, log_z

    @property
    def log_normalizer(self) -> float:
        """``log ∫ exp(−E)`` by midpoint quadrature on the lattice."""
        return self._lattice[3]

    def log_prob(self, x: Points) -> Points:
        """``log p(x) = −E(x) − log Z``, shape ``(n,)``."""
        t, was = _as_tensor("x", x, 2)
        return _back(-self._energy(t) - self.log_normalizer, was)

    def score(self, x: Points) -> Points:
        """``∇log p = −∇E`` in closed form, shape ``(n, 2)`` (the ring term's gradient is
        taken as 0 at the origin, where it is undefined)."""
        t, was = _as_tensor("x", x, 2)
        xs, ys = t[:, 0], t[:, 1]
        r2 = xs**2 + ys**2
        r = torch.sqrt(r2)
        ring = torch.where(r > 0, 2.0 * (r - 2.0) / torch.clamp(r, min=1e-300), 0.0)
        cross = 4.0 * (xs**2 - ys**2)
        log_term = 1.0 / (r2 + 1.0)
        gx = ring * xs + cross * xs + log_term * xs
        gy = ring * ys - cross * ys + log_term * ys
        return _back(-torch.stack([gx, gy], dim=1), was)

    def smoothed_kl(self, sigma: float) -> float:
        """``KL(p ‖ p_σ)`` for ``p_σ = p * N(0, σ²I)`` (eq. :eq:`rae-smoothed`), by quadrature on
        the lattice: ``p_σ`` is the lattice density convolved with a Gaussian of σ
        (``scipy.ndimage.gaussian_filter``, zero outside the box)."""
        from scipy.ndimage import gaussian_filter

        sigma = positive_real("sigma", sigma)
        _, prob, h, _ = self._lattice
        p = prob.reshape(self.grid, self.grid)
        p_sigma = gaussian_filter(p, sigma / h, mode="constant")
        inside = p > 0
        ratio = p[inside] / np.maximum(p_sigma[inside], sys.float_info.min)
        return float(max((p[inside] * np.log(ratio)).sum(), 0.0))

    def sample(self, n: int, seed: int) -> NDArray[np.float64]:
        """``n`` reference draws, shape ``(n, 2)`` (lattice cells ∝ density, uniform inside)."""
        n = positive_int("n", n)
        rng = np.random.default_rng(_seed(seed))
        centres, prob, h, _ = self._lattice
        idx = rng.choice(len(prob), size=n, p=prob)
        return centres[idx] + h * (rng.random((n, 2)) - 0.5)


SPIRAL_T_RANGE: tuple[float, float] = (3.0, 15.0)
"""The curve parameter range of the spiral ``t ↦ 0.04 t (sin t, cos t)``."""
SPIRAL_SCALE: float = 0.04
"""The spiral's radial scale: radius ``0.04 t`` for ``t`` in :data:`SPIRAL_T_RANGE`."""


@checked
def spiral_curve(n: PositiveInt = 20_000) -> Float[np.ndarray, "n 2"]:
    """``n`` points evenly spaced in ``t`` along the noiseless spiral, shape ``(n, 2)``."""
    t = np.linspace(*SPIRAL_T_RANGE, n)
    return SPIRAL_SCALE * t[:, None] * np.stack([np.sin(t), np.cos(t)], axis=1)


@checked
def sample_spiral(
    n: PositiveInt, seed: Seed, *, noise: NonNegativeReal = 0.0
) -> Float[np.ndarray, "n 2"]:
    """``n`` points ``0.04 t (sin t, cos t)`` with ``t ~ U(3, 15)``, plus ``N(0, noise²I)``.

    The spiral spans radii 0.12 to 0.6: a 1-D manifold in the plane.

    Arguments:
        n: the number of points.
        seed: the seed of ``numpy.random.default_rng`` (curve parameters, then noise).
        noise: the std of the isotropic Gaussian noise (≥ 0; 0 puts the points on the curve).
            A noise so large that a point overflows raises
            :class:`~theorybook.boundary.NonFiniteResult`.

    Returns:
        The points, shape ``(n, 2)``.
    """
    rng = np.random.default_rng(seed)
    t = rng.uniform(*SPIRAL_T_RANGE, size=n)
    pts = SPIRAL_SCALE * t[:, None] * np.stack([np.sin(t), np.cos(t)], axis=1)
    return pts + noise * rng.standard_normal((n, 2))


_TREE: list[cKDTree] = []


@checked
def distance_to_spiral(points: Float[np.ndarray, "n 2"]) -> Float[np.ndarray, " n"]:
    """Euclidean distance from each point ``(n, 2)`` to the noiseless spiral, shape ``(n,)``
    (to a 20 000-point polyline: error below 1e-4). Points so far away that the distance
    overflows raise :class:`~theorybook.boundary.NonFiniteResult`."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=np.float64)
    if not _TREE:
        _TREE.append(cKDTree(spiral_curve()))
    dist, _ = _TREE[0].query(pts)
    return np.asarray(dist, dtype=np.float64)
