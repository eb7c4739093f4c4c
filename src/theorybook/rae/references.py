"""What the trained reconstructions are measured against (chapter 1).

Closed forms and exact optima, the checks of the solvers that compute them, and the simple
scores that challenge a trained network:

* :func:`weighted_relative_error` -- the p-weighted relative L² error every 1-D row reads;
* :func:`criterion_gradients` -- the gradient of both criteria at a linear map, by autograd of
  the criteria themselves (zero at ``W*``, eq. :eq:`rae-linear`);
* :func:`solver_check` and :func:`criterion_excess` -- the Euler–Lagrange solver on a
  manufactured solution, and the RCAE criterion at its answer against ``∇log p_σ``;
* :func:`linear_score` and :func:`kde_score` -- the score of a Gaussian fit (no capacity for the
  density's shape) and of a kernel density estimate (the DAE's exact optimum on a sample);
* :func:`target_position` -- where an estimate lies between two finite-σ targets;
* :func:`minima_distance` -- how far the local minima of a reconstruction error are from the
  mixture's modes and trough.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import IntRange, PositiveReal, Seed, checked
from theorybook.rae.criteria import (
    dae_loss,
    rcae_criterion_1d,
    rcae_loss,
    rcae_optimum_1d,
)
from theorybook.rae.data import bimodal_mixture
from theorybook.rae.densities import GaussianMixture
from theorybook.rae.models import LinearAutoencoder
from theorybook.validation import array, same_length

__all__ = [
    "DETUNING",
    "TARGET_MINIMA",
    "criterion_excess",
    "criterion_gradients",
    "kde_score",
    "linear_score",
    "local_minima",
    "minima_distance",
    "solver_check",
    "target_position",
    "weighted_relative_error",
]

Array = NDArray[np.float64]


def weighted_relative_error(estimate: object, target: object, weight: object) -> float:
    """``√(Σ w ‖estimate − target‖² / Σ w ‖target‖²)``: the p-weighted relative L² error."""
    w = array("weight", weight, ndim=1)
    e = array("estimate", estimate, ndim=(1, 2))
    t = array("target", target, shape=e.shape)
    e, t = e.reshape(len(e), -1), t.reshape(len(t), -1)
    same_length(estimate=e, weight=w)
    if np.any(w < 0):
        raise ValueError("weight must be >= 0 everywhere")
    num = float((w * ((e - t) ** 2).sum(1)).sum())
    den = float((w * (t**2).sum(1)).sum())
    if den <= 0:
        raise ValueError("the target is zero wherever the weight is positive")
    return float(np.sqrt(num / den))


DETUNING = (0.95, 1.05)
"""Factors of σ for the detuned closed forms ``W*(Ĉ, cσ)`` that challenge the trained linear maps."""


def _whitened_sample(cov: np.ndarray, n: int, seed: int) -> NDArray[np.float64]:
    """``n`` points whose mean is 0 and whose (biased) covariance is exactly ``cov``: a Gaussian
    sample, centred, whitened by its own Cholesky factor and coloured by that of ``cov``."""
    z = np.random.default_rng(seed).standard_normal((n, len(cov)))
    z -= z.mean(0)
    chol = np.linalg.cholesky(z.T @ z / n)
    white = np.linalg.solve(chol, z.T).T
    return np.asarray(white @ np.linalg.cholesky(cov).T, dtype=np.float64)


@checked
def criterion_gradients(
    cov: Float[np.ndarray, "d d"],
    sigma: PositiveReal,
    w: Float[np.ndarray, "d d"],
    *,
    n: Annotated[int, IntRange(low=10)] = 10_000,
    seed: Seed = 0,
) -> dict[str, float]:
    """The largest entry of the gradient, with respect to ``W`` and ``b``, of each criterion at
    the linear map ``r(x) = Wx`` (``b = 0``), by autograd of :func:`~theorybook.rae.criteria.dae_loss`
    and :func:`~theorybook.rae.criteria.rcae_loss` themselves, on ``n`` points whose mean is 0 and
    whose covariance is exactly ``cov`` (so the sample criteria are the expected ones).

    The DAE criterion is taken in exact expectation over its noise: each point is repeated with
    the ``2d`` noise vectors ``±√d e_j``, whose mean is 0 and whose second moment is ``I``, which
    is all a quadratic in ``ε`` depends on. Zero at ``W* = Σ(Σ + σ²I)⁻¹`` (eq. :eq:`rae-linear`).

    Arguments:
        cov: the covariance ``Σ``, shape ``(d, d)`` (symmetric positive definite).
        sigma: the noise level σ (> 0).
        w: the linear map ``W``, shape ``(d, d)``.
        n: the number of points.
        seed: the seed of the sample before whitening.

    Returns:
        ``{"dae": ..., "rcae": ...}``, each the largest ``|entry|`` of ``∂/∂W`` and ``∂/∂b``.
    """
    c = np.asarray(cov, dtype=np.float64)
    d = len(c)
    data = torch.from_numpy(_whitened_sample(c, n, seed))
    design = np.sqrt(d) * np.concatenate([np.eye(d), -np.eye(d)])
    noise = torch.from_numpy(np.repeat(design[None], n, axis=0).reshape(-1, d))
    repeated = data.repeat_interleave(2 * d, dim=0)
    out = {}
    for crit in ("dae", "rcae"):
        model = LinearAutoencoder(d, sigma=sigma).double()
        with torch.no_grad():
            model.linear.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float64)))
            model.linear.bias.zero_()
        if crit == "dae":
            loss = dae_loss(model, repeated, sigma, noise=noise)
        else:
            loss = rcae_loss(model, data, sigma)
        grads = torch.autograd.grad(loss, [model.linear.weight, model.linear.bias])
        out[crit] = max(float(g.abs().max()) for g in grads)
    return out


@checked
def linear_score(
    data: Float[np.ndarray, "n 1"], sigma: PositiveReal, x: Float[np.ndarray, "m 1"]
) -> Float[np.ndarray, "m 1"]:
    """The score read off the best *linear* reconstruction at noise level ``sigma``:
    ``r(x) = μ + v/(v + σ²)(x − μ)`` (eq. :eq:`rae-linear` for the data's mean ``μ`` and
    variance ``v``), so ``(r − x)/σ² = −(x − μ)/(v + σ²)``, the score of a Gaussian fit to the
    data smoothed by σ. The null model of the 1-D rows: an auto-encoder with no capacity for the
    density's shape. ``data`` has shape ``(n, 1)``, ``x`` shape ``(m, 1)``; returns ``(m, 1)``."""
    d = np.asarray(data, dtype=np.float64)
    pts = np.asarray(x, dtype=np.float64)
    mean, var = float(d.mean()), float(d.var())
    return np.asarray(-(pts - mean) / (var + sigma**2), dtype=np.float64)


def criterion_excess(
    p: GaussianMixture, sigma: float, nodes: Array, h: Array
) -> tuple[float, float]:
    """How much higher the RCAE criterion (:func:`~theorybook.rae.criteria.rcae_criterion_1d`) is
    at ``∇log p_σ``, the DAE's optimum, than at the RCAE optimum ``h`` on ``nodes`` (as
    :func:`~theorybook.rae.criteria.rcae_optimum_1d` returns it), relative; and the quadrature's
    resolution: the optimum's criterion against the same solved and integrated on a grid twice as
    fine, relative. Returns ``(excess, resolution)``."""
    j_opt = rcae_criterion_1d(p, sigma, nodes, h)
    j_smooth = rcae_criterion_1d(p, sigma, nodes, p.smoothed(sigma).score(nodes[:, None])[:, 0])
    fine_nodes, fine_h = rcae_optimum_1d(p, sigma, nodes=2 * len(nodes) - 1)
    j_fine = rcae_criterion_1d(p, sigma, fine_nodes, fine_h)
    return j_smooth / j_opt - 1.0, abs(j_fine / j_opt - 1.0)


def target_position(estimate: Array, smoothed: Array, optimum: Array, weight: Array) -> float:
    """Where ``estimate`` lies on the segment from ``smoothed`` (0) to ``optimum`` (1): the
    ``weight``-weighted projection ``⟨e − s, o − s⟩ / ‖o − s‖²``."""
    gap = optimum - smoothed
    return float((weight * (estimate - smoothed) * gap).sum() / (weight * gap * gap).sum())


def _manufactured(x: Array) -> tuple[Array, Array, Array]:
    """The manufactured solution ``h_m = sin 2x + 0.3x²`` of :func:`solver_check` and its first
    two derivatives."""
    return np.sin(2 * x) + 0.3 * x**2, 2 * np.cos(2 * x) + 0.6 * x, -4 * np.sin(2 * x) + 0.6


@checked
def solver_check(sigma: PositiveReal) -> float:
    """The Euler–Lagrange solver on a manufactured solution for the bimodal mixture ``p``: with
    the right side ``p f``, ``f = h_m − σ²(h_m'' + (p'/p) h_m')``, the exact solution of
    ``−σ²(p h')' + p h = p f`` (eq. :eq:`rae-euler-lagrange` with another source) is the chosen
    ``h_m(x) = sin 2x + 0.3x²``. Solved by
    :func:`~theorybook.rae.criteria.rcae_optimum_1d` with that ``source``, on its own grid.

    Returns the largest error on ``[−2, 2]``, relative to the largest ``|h_m|`` there; a solver
    that returned anything but the solution of the equation it was given (the score of the
    smoothed density, say, which the RCAE optimum resembles) would miss ``h_m`` by order one."""
    p = bimodal_mixture()
    var = sigma**2

    def source(x: Array) -> Array:
        h, dh, d2h = _manufactured(x)
        return np.asarray(h - var * (d2h + p.score(x[:, None])[:, 0] * dh), dtype=np.float64)

    nodes, h = rcae_optimum_1d(p, sigma, source=source)
    inside = np.abs(nodes) <= 2.0
    exact = _manufactured(nodes[inside])[0]
    return float(np.abs(h[inside] - exact).max() / np.abs(exact).max())


@checked
def kde_score(
    data: Float[np.ndarray, "n 1"], bandwidth: PositiveReal, x: Float[np.ndarray, "m 1"]
) -> Float[np.ndarray, "m 1"]:
    """The score of a Gaussian kernel density estimate of ``data`` at ``bandwidth`` σ, on the
    points ``x``: ``∇log p̂_σ(x) = Σ_i w_i (x_i − x)/σ²`` with ``w_i ∝ N(x; x_i, σ²)``. By
    eq. :eq:`rae-tweedie` applied to the empirical distribution, ``x + σ²∇log p̂_σ`` is the exact
    minimiser of the DAE criterion on the sample ``data`` over all functions: what a DAE of
    unlimited capacity learns from these points. ``data`` has shape ``(n, 1)``, ``x`` shape
    ``(m, 1)``; returns ``(m, 1)``."""
    d = np.asarray(data, dtype=np.float64)[:, 0]
    pts = np.asarray(x, dtype=np.float64)[:, 0]
    out = np.empty_like(pts)
    for start in range(0, len(pts), 64):  # blocks of 64 points keep the weights small
        block = pts[start : start + 64, None]
        log_w = -0.5 * ((block - d[None, :]) / bandwidth) ** 2
        w = np.exp(log_w - log_w.max(1, keepdims=True))
        out[start : start + 64] = (w * (d[None, :] - block)).sum(1) / w.sum(1) / bandwidth**2
    return out[:, None]


TARGET_MINIMA = (-1.0, 0.0, 1.0)
"""Where the reconstruction error of the 1-D mixture has its zeros: the modes and the trough."""


@checked(finite_result=False)
def minima_distance(rec: Float[np.ndarray, " g"], x: Float[np.ndarray, " g"]) -> float:
    """The Hausdorff distance between the local minima of ``rec`` on the grid ``x`` and the
    points −1, 0, 1 (the modes and the trough of the mixture): small only when every one of the
    three has a minimum nearby *and* every minimum is near one of them, so a field with minima
    everywhere (noise) is as far off as one with a single minimum. ``inf`` when ``rec`` has no
    local minimum."""
    r = np.asarray(rec, dtype=np.float64)
    g = np.asarray(x, dtype=np.float64)
    minima = local_minima(r, g)
    if not len(minima):
        return float("inf")
    gaps = np.abs(minima[:, None] - np.asarray(TARGET_MINIMA)[None, :])
    return float(max(gaps.min(0).max(), gaps.min(1).max()))


def local_minima(rec: Array, x: Array) -> Array:
    """The interior grid points where ``rec`` has a local minimum."""
    inner = (rec[1:-1] < rec[:-2]) & (rec[1:-1] <= rec[2:])
    return np.asarray(x[1:-1][inner], dtype=np.float64)
