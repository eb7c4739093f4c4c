"""Losses of every distillation step for many weights ``α`` from one eigendecomposition.

Chapter 5 (*Self-distillation with ground-truth guidance*): with ``K = V D Vᵀ`` computed once
(:class:`~theorybook.distill.kernel.KernelEigen`), each ``(α, t)`` costs ``O(n)`` for the
training loss and one ``(m × n)`` product per block of weights for the test loss, where refitting
would cost ``T`` solves of ``K + λI`` per ``α`` (:eq:`distill-b-recursion`,
:eq:`distill-closed-form`, :eq:`distill-limit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float, Float64
from numpy.typing import NDArray

from theorybook.boundary import PositiveInt, PositiveReal, checked, record
from theorybook.distill.checks import (
    MAX_ELEMENTS,
    check_cross_kernel,
    check_steps,
    check_targets,
    check_weights,
)
from theorybook.distill.kernel import KernelEigen
from theorybook.distill.solve import check_condition

__all__ = ["AlphaSweep", "alpha_sweep"]

Array = NDArray[np.float64]


@record
@dataclass(frozen=True)
class AlphaSweep:
    """Losses of every step for many weights ``α`` from one eigendecomposition.

    ``train_mse[i, t − 1]``: mean of ``(ŷ⁽ᵗ⁾ − y)²`` over the training points for ``alphas[i]``;
    ``test_mse`` the same for the predictions against ``reference`` at the test points (``None``
    without ``K_test``); ``limit_*`` the ``t → ∞`` values (:eq:`distill-limit`).
    """

    alphas: Float64[np.ndarray, " a"]
    train_mse: Float64[np.ndarray, "a steps"]
    limit_train_mse: Float64[np.ndarray, " a"]
    test_mse: Float64[np.ndarray, "a steps"] | None = None
    limit_test_mse: Float64[np.ndarray, " a"] | None = None


@checked
def alpha_sweep(
    K: Float[np.ndarray, "n n"] | KernelEigen,
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alphas: Float[np.ndarray, " a"],
    steps: PositiveInt,
    K_test: Float[np.ndarray, "m n"] | None = None,
    reference: Float[np.ndarray, " m"] | None = None,
    block: PositiveInt = 64,
) -> AlphaSweep:
    """Training (and test) losses of steps ``1 … T`` and the limit for every ``α`` in ``alphas``.

    One ``eigh`` serves every ``α``: with ``u = Vᵀ y`` and the eigen-weights ``B⁽ᵗ⁾`` of
    :eq:`distill-b-recursion`, the training loss is ``Σ_k (B_k⁽ᵗ⁾ − 1)² u_k² / n`` (``V`` is
    orthogonal), ``O(n)`` per ``(α, t)``; test predictions are ``(K_test V)(D + λI)⁻¹
    [αI + (1 − α)B⁽ᵗ⁻¹⁾] u`` (:eq:`distill-closed-form`), one ``(m × n)`` product with
    ``K_test V`` per block of ``block`` weights, and the limit uses ``B⁽∞⁾`` of
    :eq:`distill-limit`. Refitting would cost ``T`` solves of ``K + λI`` per ``α``.

    ``K`` is a kernel matrix (validated, PSD) or its :class:`KernelEigen`; ``alphas`` a vector of
    weights in ``[0, 1]`` (``ValueError`` names the first outsider, ``alphas[i]``); ``K_test``
    ``(m, n)`` and ``reference`` ``(m,)`` go together. The training losses use weights in
    ``[0, 1]`` and hold for any ``λ > 0``; the test losses need ``(D + λI)⁻¹``, and a ``λ`` too
    small to lift a singular ``K`` (condition number above
    :data:`~theorybook.distill.solve.MAX_CONDITION`) raises ``ValueError`` naming ``lam``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD), or its :class:`~theorybook.distill.kernel.KernelEigen`
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alphas: the weights to sweep, a vector in ``[0, 1]``
        steps: the number of distillation steps ``T ≥ 1``
        K_test: the kernel ``(m, n)`` between m new points and the n training points (with ``reference``)
        reference: the values ``(m,)`` the test loss compares against
        block: how many weights share one product with ``K_test V``

    Returns:
        The :class:`AlphaSweep` of losses.
    """
    av = check_weights("alphas", alphas)
    eig = K if isinstance(K, KernelEigen) else KernelEigen(K)
    n = eig.n
    yv = check_targets("y", y, n)
    T = check_steps(steps, n)
    if av.shape[0] * T > MAX_ELEMENTS:
        raise ValueError(f"len(alphas) × steps = {av.shape[0]} × {T} exceeds {MAX_ELEMENTS}")
    if (K_test is None) != (reference is None):
        raise ValueError("K_test and reference go together: pass both or neither")
    W: Array | None = None
    z: Array = np.zeros(0)
    if K_test is not None:
        check_condition(eig.d, lam)
        W = check_cross_kernel("K_test", K_test, n) @ eig.V
        z = np.asarray(reference, dtype=np.float64)
        if z.shape != (W.shape[0],):
            raise ValueError(f"reference must have shape ({W.shape[0]},) to match K_test")
    d, u = eig.d, eig.V.T @ yv
    A = d / (d + lam)
    u2 = u**2
    train = np.empty((av.shape[0], T))
    test = None if W is None else np.empty((av.shape[0], T))
    for lo in range(0, av.shape[0], block):
        a = av[lo : lo + block, None]
        prev = np.ones((a.shape[0], n))  # B⁽⁰⁾ = I
        for t in range(T):
            mix = a + (1.0 - a) * prev
            B = A * mix
            train[lo : lo + block, t] = ((B - 1.0) ** 2) @ u2 / n
            if W is not None and test is not None:
                pred = (mix * (u / (d + lam))) @ W.T
                test[lo : lo + block, t] = np.mean((pred - z) ** 2, axis=1)
            prev = B
    binf = av[:, None] * d / (av[:, None] * d + lam)
    lim_train = ((binf - 1.0) ** 2) @ u2 / n
    lim_test = None
    if W is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = np.where(av[:, None] > 0, av[:, None] / (av[:, None] * d + lam), 0.0)
        lim_test = np.mean(((coef * u) @ W.T - z) ** 2, axis=1)
    return AlphaSweep(av, train, lim_train, test, lim_test)
