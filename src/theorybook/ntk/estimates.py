"""Duals estimated numerically: Hermite coefficients by quadrature, duals by Monte Carlo.

The exact checks of :mod:`~theorybook.ntk.checks` compare the closed-form duals of
:mod:`~theorybook.ntk.dual` with these estimates: ``a_i = E[φ(u) h_i(u)]`` by Gauss–Hermite
quadrature (:func:`hermite_coefficients`), and ``E[φ(u) φ(v)]`` over correlated standard normals
(:func:`monte_carlo_dual`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import IntRange, Seed, checked
from theorybook.validation import int_in_range

__all__ = ["hermite_coefficients", "monte_carlo_dual"]


@checked
def hermite_coefficients(
    phi: Callable[..., Any],
    degree: Annotated[int, IntRange(low=0, high=150)],
    *,
    nodes: Annotated[int, IntRange(low=1, high=2000)] = 200,
) -> NDArray[np.float64]:
    """The coefficients ``a_i = E[φ(u) h_i(u)]``, ``i = 0..degree``, by Gauss–Hermite quadrature.

    ``h_i = He_i/√(i!)``; the quadrature (NumPy's ``hermegauss``) is exact for polynomial ``φ``
    of degree below ``2·nodes − degree`` and converges fast for smooth ``φ``.

    Arguments:
        phi: the activation, mapping an array of points to values of the same shape.
        degree: the highest coefficient's index (0 to 150).
        nodes: the number of quadrature nodes (more than ``degree``).

    Returns:
        ``(a_0, …, a_degree)``.

    Raises:
        ValueError: if ``nodes ≤ degree``, or if ``phi`` does not map the nodes to finite values
            of their shape.
        NonFiniteResult: if a coefficient overflows (``phi`` of order 1e300 at the nodes).
    """
    from numpy.polynomial.hermite_e import hermegauss

    nodes = int_in_range("nodes", nodes, low=degree + 1, high=2000)
    x, w = hermegauss(nodes)
    w = w / math.sqrt(2.0 * math.pi)
    values = _phi_values(phi, x)
    out = np.empty(degree + 1)
    prev, cur = np.ones_like(x), x.copy()
    for i in range(degree + 1):
        he = prev if i == 0 else cur
        out[i] = np.sum(w * values * he) / math.sqrt(math.factorial(i))
        if i >= 1:
            prev, cur = cur, x * cur - i * prev
    return out


@checked
def monte_carlo_dual(
    phi: Callable[..., Any],
    xi: Float[np.ndarray, " k"],
    *,
    samples: Annotated[int, IntRange(low=2)] = 200_000,
    seed: Seed = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Monte-Carlo estimate of ``E[φ(u) φ(v)]`` at each correlation ``ξ`` and its standard error.

    ``u = z_1``, ``v = ξ z_1 + √(1 − ξ²) z_2`` with independent standard normals; the same
    ``samples`` draws serve every ``ξ``.

    Arguments:
        phi: the activation (or its derivative), vectorised over NumPy arrays.
        xi: the correlations, in ``[−1, 1]``.
        samples: the number of draws (≥ 2).
        seed: the seed of the draws.

    Returns:
        ``(means, standard_errors)``, one entry per correlation.

    Raises:
        ValueError: for correlations outside ``[−1, 1]``, or a ``phi`` that does not map the
            draws to finite real values of their shape.
        NonFiniteResult: if the products ``φ(u)φ(v)`` overflow (``phi`` of order 1e154).
    """
    grid = np.asarray(xi, dtype=np.float64)
    if np.any(np.abs(grid) > 1.0):
        raise ValueError("correlations xi must lie in [-1, 1]")
    rng = np.random.default_rng(seed)
    z1, z2 = rng.standard_normal(samples), rng.standard_normal(samples)
    fu = _phi_values(phi, z1)
    means, errors = np.empty(grid.size), np.empty(grid.size)
    for j, r in enumerate(grid):
        prod = fu * _phi_values(phi, r * z1 + math.sqrt(1.0 - r * r) * z2)
        means[j] = prod.mean()
        errors[j] = prod.std(ddof=1) / math.sqrt(samples)
    return means, errors


def _phi_values(phi: Callable[[Any], Any], points: NDArray[np.float64]) -> NDArray[np.float64]:
    """``phi(points)`` as float64, or ``ValueError`` naming ``phi`` if it is not a finite real
    array of the points' shape."""
    try:
        values = np.asarray(phi(points))
    except (TypeError, ValueError) as err:
        raise ValueError(f"phi failed on an array of {points.size} points: {err}") from None
    if values.shape != points.shape or values.dtype.kind not in "biuf":
        raise ValueError(
            f"phi must map an array of shape {points.shape} to real values of the same shape, "
            f"got shape {values.shape} and dtype {values.dtype}"
        )
    out = values.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"phi returned NaN or inf on {points.size} points")
    return out
