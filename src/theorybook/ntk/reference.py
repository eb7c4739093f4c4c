"""Reference implementations of the depth recursion, in plain NumPy.

The checks and the timing baseline of :mod:`theorybook.ntk.kernels`: the NNGP and NTK of
:eq:`ntk-recursion` as a Python loop over layers, and the NTK from its unrolled sum
(:eq:`ntk-unrolled`). Same inputs, same analytic diagonal, no JAX.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

from theorybook.boundary import NonNegativeInt, checked
from theorybook.ntk.dual import Activation, ActivationLike, resolve_activation
from theorybook.ntk.kernels import COINCIDE_TOL, _ntk_diagonal, correlations

__all__ = ["nngp_kernel_numpy", "ntk_kernel_numpy", "ntk_kernel_unrolled"]


@checked
def nngp_kernel_numpy(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"],
    depth: NonNegativeInt,
    activation: ActivationLike,
) -> Float[np.ndarray, "n m"]:
    """:func:`~theorybook.ntk.kernels.nngp_kernel` as a plain NumPy loop over layers (the reference and timing baseline).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Σᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, act = correlations(X, Z), resolve_activation(activation)
    sigma = xi.copy()
    for _ in range(depth):
        sigma = np.clip(act.dual(sigma), -1.0, 1.0)
    out = np.array(sigma, dtype=np.float64)
    out[xi >= 1.0 - COINCIDE_TOL] = 1.0
    return out


@checked
def ntk_kernel_numpy(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"],
    depth: NonNegativeInt,
    activation: ActivationLike,
) -> Float[np.ndarray, "n m"]:
    """:func:`~theorybook.ntk.kernels.ntk_kernel` as a plain NumPy loop over layers (reference implementation).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Kᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, act = correlations(X, Z), resolve_activation(activation)
    diag = _diagonal(depth, act)  # before the loop: it raises where the values overflow
    sigma, k = xi.copy(), xi.copy()
    for _ in range(depth):
        new_sigma = np.clip(act.dual(sigma), -1.0, 1.0)
        k = new_sigma + k * act.dual_prime(sigma)
        sigma = new_sigma
    out = np.array(k, dtype=np.float64)
    out[xi >= 1.0 - COINCIDE_TOL] = diag
    return out


@checked
def ntk_kernel_unrolled(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"],
    depth: NonNegativeInt,
    activation: ActivationLike,
) -> Float[np.ndarray, "n m"]:
    """The NTK from the unrolled sum ``Kᴸ = Σ_{l=0}^{L} Σˡ Π_{j=l}^{L−1} ǎ′(Σʲ)`` (:eq:`ntk-unrolled`).

    Quadratic in the depth: a check of :func:`~theorybook.ntk.kernels.ntk_kernel`, not a replacement.

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Kᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, act = correlations(X, Z), resolve_activation(activation)
    diag = _diagonal(depth, act)
    sigmas = [xi.copy()]
    for _ in range(depth):
        sigmas.append(np.clip(act.dual(sigmas[-1]), -1.0, 1.0))
    slopes = [act.dual_prime(s) for s in sigmas[:-1]]
    total = np.zeros_like(xi)
    for layer in range(depth + 1):
        term = sigmas[layer].copy()
        for j in range(layer, depth):
            term = term * slopes[j]
        total += term
    total[xi >= 1.0 - COINCIDE_TOL] = diag
    return total


def _diagonal(depth: int, act: Activation) -> float:
    """The analytic NTK diagonal, or ``ValueError`` naming ``depth`` where it overflows."""
    diag = _ntk_diagonal(depth, act)
    if not np.isfinite(diag):
        raise ValueError(f"the NTK diagonal of {act.name} overflows float64 at depth {depth}")
    return diag
