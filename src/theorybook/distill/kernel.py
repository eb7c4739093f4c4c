"""Closed forms of iterated kernel-ridge self-distillation with ground-truth guidance.

Chapter 5 (*Self-distillation with ground-truth guidance*) of the book, after
Borup & Andersen (NeurIPS 2021) and Mobahi, Farajtabar & Bartlett (NeurIPS 2020).

Setting. Kernel matrix ``K = V D Vᵀ`` of the n training inputs, ridge ``λ > 0``,
``A = D (D + λI)⁻¹`` (:eq:`distill-krr-fit`). Step 1 fits the labels ``y``; step ``t ≥ 2`` fits
kernel ridge regression to the mixed targets ``ỹ⁽ᵗ⁾ = α y + (1 − α) ŷ⁽ᵗ⁻¹⁾``
(:eq:`distill-mixed-targets`; ``α`` weights the ground truth, ``α = 0`` is Mobahi's pure
self-distillation). Every fit is diagonal in the kernel eigenbasis: ``ŷ⁽ᵗ⁾ = V B⁽ᵗ⁾ Vᵀ y`` with
``B⁽¹⁾ = A``, ``B⁽ᵗ⁾ = A [(1 − α) B⁽ᵗ⁻¹⁾ + α I]`` (:eq:`distill-b-recursion`), equivalently the
geometric sum of :eq:`distill-b-sum`, and, for ``α ∈ (0, 1]``, ``B⁽ᵗ⁾ → α D (α D + λ I)⁻¹``:
kernel ridge regression with ridge ``λ/α`` (:eq:`distill-limit`).

Functions of this module take NumPy floating arrays (computing in float64) and declare their
inputs in their signatures, checked by :func:`~theorybook.boundary.checked`: shapes shared by
name (``K`` is ``(n, n)``, ``y`` ``(n,)``, ``K_test`` ``(m, n)``), finite non-empty arrays,
``λ > 0``, ``α ∈ [0, 1]``, ``steps ≥ 1``; a kernel must also be symmetric and positive
semi-definite (PSD) wherever the maths needs it (:mod:`~theorybook.distill.checks`). The losses
of many ``α`` from one eigendecomposition are in :mod:`~theorybook.distill.sweep`.

Degenerate limits. A tiny ridge ``λ`` with a (numerically) singular ``K`` makes ``K + λI``
ill-conditioned: a linear solve with it keeps no correct digit once its condition number passes
:data:`~theorybook.distill.solve.MAX_CONDITION` (``1/ε``). Fits at the training points stay well defined (their
eigen-weights ``B`` lie in ``[0, 1]``): :func:`distill_fits` (``method="auto"``) and
:func:`limit_fit` then switch to the eigenbasis. What needs the solve itself (dual
coefficients, predictions at new points, the explicit refits) raises ``ValueError`` naming
``lam``. Results that still overflow raise :class:`~theorybook.boundary.NonFiniteResult`
instead of returning ``inf``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray
from scipy.linalg import cho_solve, eigh, eigvalsh

from theorybook.boundary import PositiveInt, PositiveReal, Probability, checked
from theorybook.distill.checks import (
    check_cross_kernel,
    check_kernel,
    check_psd_spectrum,
    check_steps,
    check_targets,
)
from theorybook.distill.solve import check_condition, check_psd_by_cholesky, ridge_cholesky

__all__ = [
    "KernelEigen",
    "distill_coefficients",
    "distill_fits",
    "distill_fits_by_refitting",
    "distill_predict",
    "eigen_weights",
    "kernel_eigen",
    "limit_fit",
    "limit_predict",
    "limit_weights",
    "sparsification_ratios",
]

Array = NDArray[np.float64]


def _eigenvalues(d: Float[np.ndarray, " n"]) -> Array:
    dv = np.asarray(d, dtype=np.float64)
    if np.any(dv < 0):
        raise ValueError(
            f"eigenvalues d must be >= 0 (K positive semi-definite), got min {dv.min():.3g}"
        )
    return dv


# --------------------------------------------------------------------------- eigenbasis


@checked
class KernelEigen:
    """Eigendecomposition ``K = V diag(d) Vᵀ`` with eigenvalues sorted in decreasing order.

    Computed once with :func:`scipy.linalg.eigh`; all distillation steps reuse it. Raises
    ``TypeError`` unless ``K`` is a square floating array and ``ValueError`` unless it is finite,
    symmetric and PSD.
    """

    def __init__(self, K: Float[np.ndarray, "n n"]) -> None:
        Kc = check_kernel(K)
        d, V = eigh(Kc)
        order = np.argsort(d)[::-1]
        d, V = d[order], V[:, order]
        check_psd_spectrum(d)
        self.K = Kc
        self.d: Array = np.clip(d, 0.0, None)
        self.V: Array = V

    @property
    def n(self) -> int:
        """The number of training points."""
        return int(self.d.shape[0])


@checked
def kernel_eigen(K: Float[np.ndarray, "n n"]) -> KernelEigen:
    """The :class:`KernelEigen` of ``K`` (validates ``K``: square, symmetric, PSD)."""
    return KernelEigen(K)


@checked
def eigen_weights(
    d: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
    steps: PositiveInt,
    method: Literal["recursion", "sum"] = "recursion",
) -> Float[np.ndarray, "t n"]:
    """Diagonals of ``B⁽¹⁾ … B⁽ᵀ⁾``, shape ``(steps, n)``, for eigenvalues ``d`` of ``K``.

    ``method="recursion"`` iterates :eq:`distill-b-recursion`,
    ``B⁽ᵗ⁾ = A[(1 − α)B⁽ᵗ⁻¹⁾ + αI]``; ``method="sum"`` evaluates the explicit geometric sum of
    :eq:`distill-b-sum`. Both are exact; the tests check they agree.

    Raises ``ValueError`` for negative eigenvalues, ``λ ≤ 0``, ``α ∉ [0, 1]``, ``steps < 1``,
    an unknown ``method`` or a result of more than :data:`~theorybook.distill.checks.MAX_ELEMENTS` values.

    Arguments:
        d: the eigenvalues of ``K`` (non-negative)
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)
        steps: the number of distillation steps ``T ≥ 1``
        method: ``"recursion"`` or ``"sum"``

    Returns:
        The weights ``B⁽ᵗ⁾_k``, shape ``(steps, n)``.
    """
    dv = _eigenvalues(d)
    T = check_steps(steps, dv.shape[0])
    A = dv / (dv + lam)
    B = np.empty((T, dv.shape[0]))
    if method == "recursion":
        B[0] = A
        for t in range(1, T):
            B[t] = A * ((1.0 - alpha) * B[t - 1] + alpha)
    else:
        q = (1.0 - alpha) * A
        for t in range(1, T + 1):
            geo = sum(q**i for i in range(t - 1)) if t >= 2 else np.zeros_like(A)
            B[t - 1] = alpha * A * geo + (1.0 - alpha) ** (t - 1) * A**t
    return B


@checked
def limit_weights(
    d: Float[np.ndarray, " n"], *, lam: PositiveReal, alpha: Probability
) -> Float[np.ndarray, " n"]:
    """Diagonal of ``B⁽∞⁾ = α D (α D + λ I)⁻¹`` (:eq:`distill-limit`); zero for ``α = 0``.

    ``d`` are eigenvalues of a PSD kernel: negative entries raise ``ValueError``, as in
    :func:`eigen_weights` (they would put poles at ``d = −λ/α``).

    Arguments:
        d: the eigenvalues of ``K`` (non-negative)
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)

    Returns:
        The weights ``B⁽∞⁾_k``, shape ``(n,)``.
    """
    dv = _eigenvalues(d)
    if alpha == 0.0:
        return np.zeros_like(dv)
    return alpha * dv / (alpha * dv + lam)


@checked
def sparsification_ratios(B: Float[np.ndarray, "*steps n"]) -> Float[np.ndarray, "*steps k"]:
    """Ratios ``R_k = B_k / B_{k+1}`` of consecutive eigen-weights (eigenvalues decreasing).

    ``B`` is one weight vector ``(n,)`` or a stack ``(steps, n)``; returns ``(..., n − 1)``.
    A ratio grows when the fit concentrates on the leading eigenfunctions (Mobahi's
    sparsification). Raises ``ValueError`` for a scalar, fewer than two weights, or a weight
    ``≤ 0`` after the first (drop zero eigenvalues first). Weights so small that a ratio
    overflows (a leading weight above ``10³⁰⁸`` times its neighbour) raise
    :class:`~theorybook.boundary.NonFiniteResult`.
    """
    arr = np.asarray(B, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"B must be a vector (n,) or a stack (steps, n), got shape {arr.shape}")
    if arr.shape[-1] < 2:
        raise ValueError(f"B needs at least two eigen-weights to form ratios, got {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError("eigen-weights must be > 0 to form ratios (drop zero eigenvalues first)")
    with np.errstate(over="ignore"):  # an overflow is reported as NonFiniteResult
        return arr[..., :-1] / arr[..., 1:]


# --------------------------------------------------------------------------- fits


@checked
def distill_coefficients(
    K: Float[np.ndarray, "n n"] | KernelEigen,
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
    steps: PositiveInt,
) -> Float[np.ndarray, "t n"]:
    """Dual coefficients ``c⁽ᵗ⁾`` (so that ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``), shape ``(steps, n)``.

    ``c⁽ᵗ⁾ = (K + λI)⁻¹ ỹ⁽ᵗ⁾ = V (D + λI)⁻¹ [α I + (1 − α) B⁽ᵗ⁻¹⁾] Vᵀ y`` with ``B⁽⁰⁾ = I``
    (:eq:`distill-closed-form`): the paper's ``V D⁻¹ B⁽ᵗ⁾ Vᵀ y`` written without ``D⁻¹``, so
    it also holds for a singular ``K``, as long as ``λ`` lifts it: when the condition number
    ``(d_max + λ)/(d_min + λ)`` of ``K + λI`` exceeds :data:`~theorybook.distill.solve.MAX_CONDITION` the coefficients
    are round-off amplified past any meaning, and ``ValueError`` names ``lam``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD), or its :class:`KernelEigen`
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)
        steps: the number of distillation steps ``T ≥ 1``

    Returns:
        The coefficients ``c⁽ᵗ⁾``, shape ``(steps, n)``.
    """
    eig = K if isinstance(K, KernelEigen) else KernelEigen(K)
    yv = check_targets("y", y, eig.n)
    T = check_steps(steps, eig.n)
    check_condition(eig.d, lam)
    B = eigen_weights(eig.d, lam=lam, alpha=alpha, steps=T)
    prev = np.vstack([np.ones((1, eig.n)), B[:-1]])
    C = (alpha + (1.0 - alpha) * prev) / (eig.d + lam)
    return (C * (eig.V.T @ yv)) @ eig.V.T


@checked
def distill_fits(
    K: Float[np.ndarray, "n n"],
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
    steps: PositiveInt,
    method: Literal["auto", "cholesky", "eigh"] = "auto",
) -> Float[np.ndarray, "t n"]:
    """Fitted values ``ŷ⁽¹⁾ … ŷ⁽ᵀ⁾`` at the training points, shape ``(steps, n)``.

    Two exact paths, the same numbers to round-off:

    - ``"cholesky"`` (what ``"auto"`` picks for one ``α``): one Cholesky factorisation of
      ``K + λI``, then per step two triangular solves, since
      ``ŷ = K (K + λI)⁻¹ ỹ = ỹ − λ (K + λI)⁻¹ ỹ`` (:eq:`distill-krr-fit`) for the mixed targets
      ``ỹ⁽ᵗ⁾`` of :eq:`distill-mixed-targets`: ``n³/3 + 2Tn²`` flops.
    - ``"eigh"``: one eigendecomposition, ``ŷ⁽ᵗ⁾ = V B⁽ᵗ⁾ Vᵀ y`` (:eq:`distill-closed-form`),
      about ten times the factorisation's cost, which pays off when many ``α`` share it
      (:func:`~theorybook.distill.sweep.alpha_sweep`).

    Both check that ``K`` is positive semi-definite: the eigh path from its eigenvalues, the
    Cholesky path by factorising ``K + δI`` with ``δ = PSD_RTOL · max(max diag K, 1)`` (it exists
    exactly when no eigenvalue lies below ``−δ``, the test :class:`KernelEigen` applies).

    A ``λ`` too small to lift a singular ``K`` (``K + λI`` without a Cholesky factor, or with a
    condition number above :data:`~theorybook.distill.solve.MAX_CONDITION`) leaves the Cholesky path no correct digit:
    ``"auto"`` then takes the eigh path, whose weights ``B⁽ᵗ⁾ ∈ [0, 1]`` stay exact for any
    ``λ > 0``, and ``"cholesky"`` raises ``ValueError`` naming ``lam``.

    Raises ``ValueError`` for a non-symmetric or indefinite ``K``, ``λ ≤ 0``, ``α ∉ [0, 1]``,
    ``steps < 1``, a result of more than :data:`~theorybook.distill.checks.MAX_ELEMENTS` values
    (checked before any work) or an unknown ``method``; ``TypeError`` for a non-square ``K``, a
    ``y`` whose length differs from ``K``'s, or non-numeric arguments.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)
        steps: the number of distillation steps ``T ≥ 1``
        method: ``"auto"``, ``"cholesky"`` or ``"eigh"``

    Returns:
        The fits ``ŷ⁽ᵗ⁾``, shape ``(steps, n)``.
    """
    Kc = check_kernel(K)
    T = check_steps(steps, Kc.shape[0])
    yv = check_targets("y", y, Kc.shape[0])
    factor = None
    if method != "eigh":
        check_psd_by_cholesky(Kc)
        try:
            factor = ridge_cholesky(Kc, lam)
        except ValueError:
            if method == "cholesky":
                raise
    if factor is None:
        eig = KernelEigen(Kc)
        B = eigen_weights(eig.d, lam=lam, alpha=alpha, steps=T)
        return (B * (eig.V.T @ yv)) @ eig.V.T
    fits = np.empty((T, Kc.shape[0]))
    target = yv
    for t in range(T):
        fits[t] = target - lam * cho_solve(factor, target)
        target = alpha * yv + (1.0 - alpha) * fits[t]
    return fits


@checked
def distill_predict(
    K: Float[np.ndarray, "n n"],
    K_test: Float[np.ndarray, "m n"],
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
    steps: PositiveInt,
) -> Float[np.ndarray, "t m"]:
    """Predictions ``f⁽ᵗ⁾(x_j)`` at m new points for steps ``1 … T``, shape ``(steps, m)``.

    ``K_test[j, i] = k(x_j, x_i)`` (new points × training points); ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``
    with the coefficients of :func:`distill_coefficients`. Validates like :func:`distill_fits`.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        K_test: the kernel ``(m, n)`` between m new points and the n training points
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)
        steps: the number of distillation steps ``T ≥ 1``

    Returns:
        The predictions ``f⁽ᵗ⁾(x_j)``, shape ``(steps, m)``.
    """
    Kc = check_kernel(K)
    Kt = check_cross_kernel("K_test", K_test, Kc.shape[0])
    T = check_steps(steps, max(Kc.shape[0], Kt.shape[0]))
    yv = check_targets("y", y, Kc.shape[0])
    return distill_coefficients(KernelEigen(Kc), yv, lam=lam, alpha=alpha, steps=T) @ Kt.T


@checked
def distill_fits_by_refitting(
    K: Float[np.ndarray, "n n"],
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
    steps: PositiveInt,
    K_test: Float[np.ndarray, "m n"] | None = None,
) -> Float[np.ndarray, "t n"] | tuple[Float[np.ndarray, "t n"], Float[np.ndarray, "t m"]]:
    """Reference: refit kernel ridge regression explicitly at every step (no eigenbasis).

    Each step fits :class:`sklearn.kernel_ridge.KernelRidge` (``kernel="precomputed"``,
    ``alpha=λ``, i.e. it solves ``(K + λI) c = ỹ⁽ᵗ⁾`` afresh) to the mixed targets of
    :eq:`distill-mixed-targets`. Returns the training fits ``(steps, n)``, and with ``K_test``
    also the predictions ``(steps, m)``. ``K`` must be PSD, as for :func:`distill_fits` (an
    indefinite ``K`` raises ``ValueError`` instead of refitting a meaningless problem), and
    ``K + λI`` solvable: a condition number above :data:`~theorybook.distill.solve.MAX_CONDITION` raises ``ValueError``
    naming ``lam`` (scikit-learn would fall back to a least-squares solution with a warning).

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)
        steps: the number of distillation steps ``T ≥ 1``
        K_test: the kernel ``(m, n)`` between m new points and the n training points, or ``None``

    Returns:
        The fits ``(steps, n)``, or ``(fits, predictions)`` with ``K_test``.
    """
    from sklearn.kernel_ridge import KernelRidge

    Kc = check_kernel(K)
    d = eigvalsh(Kc)
    check_psd_spectrum(d)
    check_condition(d, lam)
    n = Kc.shape[0]
    yv = check_targets("y", y, n)
    Kt = None if K_test is None else check_cross_kernel("K_test", K_test, n)
    T = check_steps(steps, max(n, 0 if Kt is None else Kt.shape[0]))
    fits = np.empty((T, n))
    preds = None if Kt is None else np.empty((T, Kt.shape[0]))
    target = yv
    for t in range(T):
        model = KernelRidge(alpha=lam, kernel="precomputed").fit(Kc, target)
        fits[t] = model.predict(Kc)
        if preds is not None:
            preds[t] = model.predict(Kt)
        target = alpha * yv + (1.0 - alpha) * fits[t]
    return fits if preds is None else (fits, preds)


@checked
def limit_fit(
    K: Float[np.ndarray, "n n"],
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
) -> Float[np.ndarray, " n"]:
    """The ``t → ∞`` fit at the training points (:eq:`distill-limit`).

    For ``α ∈ (0, 1]`` it is kernel ridge regression with ridge ``λ/α``, solved directly with a
    Cholesky factorisation of ``K + (λ/α) I``; for ``α = 0`` the fits collapse to zero. ``K``
    must be PSD, as for :func:`distill_fits` (checked from its eigenvalues). As ``α → 0⁺`` the
    ridge ``λ/α`` may overflow; the fit is then computed as ``α K (αK + λI)⁻¹ y``, which tends
    to zero continuously. A ridge ``λ/α`` too small to lift a singular ``K`` (no Cholesky
    factor, or a condition number above :data:`~theorybook.distill.solve.MAX_CONDITION`) is handled in the eigenbasis:
    ``V B⁽∞⁾ Vᵀ y`` with the weights of :func:`limit_weights`, which lie in ``[0, 1]``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)

    Returns:
        The limit fit at the training points, shape ``(n,)``.
    """
    Kc = check_kernel(K, psd=True)
    yv = check_targets("y", y, Kc.shape[0])
    try:
        return Kc @ _limit_coef(Kc, yv, lam, alpha)
    except ValueError:  # K + (λ/α)I too ill-conditioned for a solve: the eigenbasis
        eig = KernelEigen(Kc)
        return eig.V @ (limit_weights(eig.d, lam=lam, alpha=alpha) * (eig.V.T @ yv))


@checked
def limit_predict(
    K: Float[np.ndarray, "n n"],
    K_test: Float[np.ndarray, "m n"],
    y: Float[np.ndarray, " n"],
    *,
    lam: PositiveReal,
    alpha: Probability,
) -> Float[np.ndarray, " m"]:
    """The ``t → ∞`` predictions at new points: ``k(x)ᵀ (K + (λ/α) I)⁻¹ y`` (zero if ``α = 0``).

    ``K`` must be PSD (checked), as for :func:`distill_fits`; a small ``α`` is handled as in
    :func:`limit_fit`. A ridge ``λ/α`` too small to lift a singular ``K`` (the solve would keep
    no correct digit: see :data:`~theorybook.distill.solve.MAX_CONDITION`) raises ``ValueError`` naming ``lam``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        K_test: the kernel ``(m, n)`` between m new points and the n training points
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``
        alpha: the weight of the labels ``α ∈ [0, 1]`` (``α = 0``: pure self-distillation)

    Returns:
        The limit predictions, shape ``(m,)``.
    """
    Kc = check_kernel(K, psd=True)
    yv = check_targets("y", y, Kc.shape[0])
    Kt = check_cross_kernel("K_test", K_test, Kc.shape[0])
    return Kt @ _limit_coef(Kc, yv, lam, alpha)


def _limit_coef(K: Array, y: Array, lam: float, alpha: float) -> Array:
    """``(K + (λ/α) I)⁻¹ y``, zero for ``α = 0``; ``α (αK + λI)⁻¹ y`` where ``λ/α`` overflows."""
    if alpha == 0.0:
        return np.zeros_like(y)
    ridge = lam / alpha
    if not np.isfinite(ridge):
        factor = ridge_cholesky(alpha * K, lam)
        return alpha * np.asarray(cho_solve(factor, y))
    factor = ridge_cholesky(K, ridge)
    return np.asarray(cho_solve(factor, y))
