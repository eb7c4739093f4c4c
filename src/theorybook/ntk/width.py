"""Finite-width networks: the empirical NNGP of a random network and its infinite-width limit.

A network with ``L`` hidden layers of width ``w`` and i.i.d. ``N(0, 1)`` weights,
``g¹ = W¹x``, ``gˡ = Wˡ φ(gˡ⁻¹)/√w``, has last-layer features ``φ(gᴸ(x))``; their empirical
inner product ``Σ̂ᴸ(x, z) = φ(gᴸ(x))·φ(gᴸ(z))/w`` converges to the NNGP ``Σᴸ(x, z)`` of
:func:`~theorybook.ntk.kernels.nngp_kernel` as ``w → ∞``, with fluctuations of order ``1/√w``
(chapter 4, :eq:`ntk-width`).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

from theorybook.boundary import PositiveInt, Seed, checked
from theorybook.ntk.dual import ActivationLike, resolve_activation
from theorybook.ntk.kernels import check_unit_rows

__all__ = ["empirical_nngp"]


@checked
def empirical_nngp(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"],
    depth: PositiveInt,
    activation: ActivationLike,
    *,
    width: PositiveInt,
    seed: Seed = 0,
) -> Float[np.ndarray, "n m"]:
    """``Σ̂ᴸ(X, Z)`` of one random network of the given width (NumPy weights, float64), :eq:`ntk-width`.

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: the number of hidden layers ``L ≥ 1``.
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        width: the width ``w`` of every hidden layer.
        seed: the seed of the weights.

    Returns:
        ``Σ̂ᴸ(X, Z)``, shape ``(n, m)``.

    Raises:
        ValueError: on rows that are not unit-norm, mismatched dimensions, or a non-positive
            depth or width.
        NonFiniteResult: if the features overflow float64 (a polynomial activation of high
            degree, composed over many layers).
    """
    x = check_unit_rows("X", X)
    z = check_unit_rows("Z", Z)
    if x.shape[1] != z.shape[1]:
        raise ValueError(f"X and Z must have the same dimension, got {x.shape[1]} and {z.shape[1]}")
    act = resolve_activation(activation)
    rng = np.random.default_rng(seed)
    g = np.concatenate([x, z]) @ rng.standard_normal((x.shape[1], width))
    for _ in range(1, depth):
        g = act.phi_numpy(g) @ rng.standard_normal((width, width)) / np.sqrt(width)
    features = act.phi_numpy(g)
    gram: np.ndarray = features[: x.shape[0]] @ features[x.shape[0] :].T / width
    return gram
