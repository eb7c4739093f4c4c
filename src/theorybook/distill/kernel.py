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

Functions of this module work on NumPy float64 arrays and check their inputs with
:mod:`theorybook.validation`: a kernel must be square, finite, symmetric and positive
semi-definite (PSD) wherever the maths needs it, ``λ > 0``, ``α ∈ [0, 1]``, ``steps ≥ 1``.
The losses of many ``α`` from one eigendecomposition are in :mod:`~theorybook.distill.sweep`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cho_factor, cho_solve, eigh, eigvalsh

from theorybook.validation import array, one_of, positive_int, positive_real, probability

__all__ = [
    "MAX_ELEMENTS",
    "KernelEigen",
    "check_cross_kernel",
    "check_kernel",
    "check_psd_spectrum",
    "check_steps",
    "check_targets",
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

#: relative asymmetry ``max|K − Kᵀ| / max|K|`` above which ``K`` is rejected.
SYMMETRY_RTOL = 1e-10
#: relative negative eigenvalue ``−d_min / d_max`` above which ``K`` is rejected as not PSD.
PSD_RTOL = 1e-8


# --------------------------------------------------------------------------- validation

#: the most float64 elements a result may hold (2**27, 1 GiB) before we refuse to allocate it.
MAX_ELEMENTS = 2**27


def check_kernel(K: ArrayLike, name: str = "K", *, psd: bool = False) -> Array:
    """``K`` as a float64 array after checking it is a square, finite, symmetric matrix.

    With ``psd=True`` it must also be positive semi-definite (smallest eigenvalue above
    ``−PSD_RTOL · max(d_max, 1)``), the same test :class:`KernelEigen` applies.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` naming ``name`` otherwise.
    """
    arr = array(name, K, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) kernel matrix, got shape {arr.shape}")
    scale_ = float(np.max(np.abs(arr))) or 1.0
    asym = float(np.max(np.abs(arr - arr.T))) / scale_
    if asym > SYMMETRY_RTOL:
        raise ValueError(
            f"{name} must be symmetric: max|K − Kᵀ|/max|K| = {asym:.2e} > {SYMMETRY_RTOL:.0e}"
        )
    if psd:
        d = eigvalsh(arr)
        check_psd_spectrum(d, name)
    return arr


def check_psd_spectrum(d: Array, name: str = "K") -> None:
    """Raise ``ValueError`` if the eigenvalues ``d`` of ``name`` show it is not PSD."""
    d_max, d_min = float(np.max(d)), float(np.min(d))
    if d_min < -PSD_RTOL * max(d_max, 1.0):
        raise ValueError(
            f"{name} must be positive semi-definite: smallest eigenvalue {d_min:.3e} "
            f"(largest {d_max:.3e})"
        )


def check_targets(name: str, value: ArrayLike, n: int) -> Array:
    """``value`` as a finite float64 vector of length ``n`` (labels or fits at n points)."""
    arr = array(name, value, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of shape ({n},) to match K, got {arr.shape}")
    return arr


def check_cross_kernel(name: str, value: ArrayLike, n: int) -> Array:
    """``value`` as a finite float64 ``(m, n)`` kernel between m new points and n training points."""
    arr = array(name, value, ndim=2)
    if arr.shape[1] != n:
        raise ValueError(
            f"{name} must have shape (m, {n}) (new points × training points), got {arr.shape}"
        )
    return arr


def _lam(lam: object) -> float:
    return positive_real("lam", lam)


def _alpha(alpha: object) -> float:
    return probability("alpha", alpha)


def check_steps(steps: object, n: int = 1) -> int:
    """``steps`` as an int ≥ 1, refusing a ``steps × n`` result above :data:`MAX_ELEMENTS`."""
    T = positive_int("steps", steps)
    if T * max(n, 1) > MAX_ELEMENTS:
        raise ValueError(
            f"steps × n = {T} × {n} would allocate {T * n * 8 / 2**30:.1f} GiB of results "
            f"(limit {MAX_ELEMENTS} values); ask for fewer steps (the limit t → ∞ has its "
            "own function, limit_fit)"
        )
    return T


def _eigenvalues(d: ArrayLike) -> Array:
    dv = array("d", d, ndim=1)
    if np.any(dv < 0):
        raise ValueError(
            f"eigenvalues d must be >= 0 (K positive semi-definite), got min {dv.min():.3g}"
        )
    return dv


# --------------------------------------------------------------------------- eigenbasis


class KernelEigen:
    """Eigendecomposition ``K = V diag(d) Vᵀ`` with eigenvalues sorted in decreasing order.

    Computed once with :func:`scipy.linalg.eigh`; all distillation steps reuse it. Raises
    ``ValueError`` unless ``K`` is square, finite, symmetric and PSD.
    """

    def __init__(self, K: ArrayLike) -> None:
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


def kernel_eigen(K: ArrayLike) -> KernelEigen:
    """The :class:`KernelEigen` of ``K`` (validates ``K``: square, symmetric, PSD)."""
    return KernelEigen(K)


def eigen_weights(
    d: ArrayLike,
    *,
    lam: float,
    alpha: float,
    steps: int,
    method: Literal["recursion", "sum"] = "recursion",
) -> Array:
    """Diagonals of ``B⁽¹⁾ … B⁽ᵀ⁾``, shape ``(steps, n)``, for eigenvalues ``d`` of ``K``.

    ``method="recursion"`` iterates :eq:`distill-b-recursion`,
    ``B⁽ᵗ⁾ = A[(1 − α)B⁽ᵗ⁻¹⁾ + αI]``; ``method="sum"`` evaluates the explicit geometric sum of
    :eq:`distill-b-sum`. Both are exact; the tests check they agree.

    Raises ``ValueError`` for negative eigenvalues, ``λ ≤ 0``, ``α ∉ [0, 1]``, ``steps < 1``,
    an unknown ``method`` or a result of more than :data:`MAX_ELEMENTS` values.
    """
    one_of("method", method, ("recursion", "sum"))
    lam_f, a_f = _lam(lam), _alpha(alpha)
    dv = _eigenvalues(d)
    T = check_steps(steps, dv.shape[0])
    A = dv / (dv + lam_f)
    B = np.empty((T, dv.shape[0]))
    if method == "recursion":
        B[0] = A
        for t in range(1, T):
            B[t] = A * ((1.0 - a_f) * B[t - 1] + a_f)
    else:
        q = (1.0 - a_f) * A
        for t in range(1, T + 1):
            geo = sum(q**i for i in range(t - 1)) if t >= 2 else np.zeros_like(A)
            B[t - 1] = a_f * A * geo + (1.0 - a_f) ** (t - 1) * A**t
    return B


def limit_weights(d: ArrayLike, *, lam: float, alpha: float) -> Array:
    """Diagonal of ``B⁽∞⁾ = α D (α D + λ I)⁻¹`` (:eq:`distill-limit`); zero for ``α = 0``.

    ``d`` are eigenvalues of a PSD kernel: negative entries raise ``ValueError``, as in
    :func:`eigen_weights` (they would put poles at ``d = −λ/α``).
    """
    lam_f, a_f = _lam(lam), _alpha(alpha)
    dv = _eigenvalues(d)
    if a_f == 0.0:
        return np.zeros_like(dv)
    return a_f * dv / (a_f * dv + lam_f)


def sparsification_ratios(B: ArrayLike) -> Array:
    """Ratios ``R_k = B_k / B_{k+1}`` of consecutive eigen-weights (eigenvalues decreasing).

    ``B`` is one weight vector ``(n,)`` or a stack ``(steps, n)``; returns ``(..., n − 1)``.
    A ratio grows when the fit concentrates on the leading eigenfunctions (Mobahi's
    sparsification). Raises ``ValueError`` for a scalar, fewer than two weights, or a weight
    ``≤ 0`` after the first (drop zero eigenvalues first).
    """
    arr = array("B", B, ndim=(1, 2))
    if arr.shape[-1] < 2:
        raise ValueError(f"B needs at least two eigen-weights to form ratios, got {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError("eigen-weights must be > 0 to form ratios (drop zero eigenvalues first)")
    return arr[..., :-1] / arr[..., 1:]


# --------------------------------------------------------------------------- fits


def distill_coefficients(
    K: ArrayLike | KernelEigen, y: ArrayLike, *, lam: float, alpha: float, steps: int
) -> Array:
    """Dual coefficients ``c⁽ᵗ⁾`` (so that ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``), shape ``(steps, n)``.

    ``c⁽ᵗ⁾ = (K + λI)⁻¹ ỹ⁽ᵗ⁾ = V (D + λI)⁻¹ [α I + (1 − α) B⁽ᵗ⁻¹⁾] Vᵀ y`` with ``B⁽⁰⁾ = I``
    (:eq:`distill-closed-form`): the paper's ``V D⁻¹ B⁽ᵗ⁾ Vᵀ y`` written without ``D⁻¹``, so
    it also holds for a singular ``K``.
    """
    lam_f, a_f = _lam(lam), _alpha(alpha)
    positive_int("steps", steps)
    eig = K if isinstance(K, KernelEigen) else KernelEigen(K)
    yv = check_targets("y", y, eig.n)
    T = check_steps(steps, eig.n)
    B = eigen_weights(eig.d, lam=lam_f, alpha=a_f, steps=T)
    prev = np.vstack([np.ones((1, eig.n)), B[:-1]])
    C = (a_f + (1.0 - a_f) * prev) / (eig.d + lam_f)
    return (C * (eig.V.T @ yv)) @ eig.V.T


def distill_fits(
    K: ArrayLike,
    y: ArrayLike,
    *,
    lam: float,
    alpha: float,
    steps: int,
    method: Literal["auto", "cholesky", "eigh"] = "auto",
) -> Array:
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

    Raises ``ValueError`` for a non-square, non-symmetric or indefinite ``K``, ``λ ≤ 0``,
    ``α ∉ [0, 1]``, ``steps < 1``, a result of more than :data:`MAX_ELEMENTS` values (checked
    before any work), an unknown ``method`` or a ``y`` whose length differs from ``K``'s;
    ``TypeError`` for non-numeric arguments.
    """
    one_of("method", method, ("auto", "cholesky", "eigh"))
    lam_f, a_f = _lam(lam), _alpha(alpha)
    positive_int("steps", steps)
    Kc = check_kernel(K)
    T = check_steps(steps, Kc.shape[0])
    yv = check_targets("y", y, Kc.shape[0])
    if method == "eigh":
        eig = KernelEigen(Kc)
        B = eigen_weights(eig.d, lam=lam_f, alpha=a_f, steps=T)
        return (B * (eig.V.T @ yv)) @ eig.V.T
    factor = _psd_cholesky(Kc, lam_f)
    fits = np.empty((T, Kc.shape[0]))
    target = yv
    for t in range(T):
        fits[t] = target - lam_f * cho_solve(factor, target)
        target = a_f * yv + (1.0 - a_f) * fits[t]
    return fits


def _psd_cholesky(K: Array, lam: float) -> tuple[Array, bool]:
    """Cholesky factor of ``K + λI`` after checking ``K`` is PSD (:func:`distill_fits`)."""
    n = K.shape[0]
    scale_ = max(float(np.max(np.diag(K))), 1.0)
    shifted = K + PSD_RTOL * scale_ * np.eye(n)
    try:
        cho_factor(shifted, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise ValueError(
            "K must be positive semi-definite: K + δI has no Cholesky factor for "
            f"δ = {PSD_RTOL * scale_:.1e}, so K has an eigenvalue below −δ"
        ) from None
    return cho_factor(K + lam * np.eye(n), check_finite=False)


def distill_predict(
    K: ArrayLike, K_test: ArrayLike, y: ArrayLike, *, lam: float, alpha: float, steps: int
) -> Array:
    """Predictions ``f⁽ᵗ⁾(x_j)`` at m new points for steps ``1 … T``, shape ``(steps, m)``.

    ``K_test[j, i] = k(x_j, x_i)`` (new points × training points); ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``
    with the coefficients of :func:`distill_coefficients`. Validates like :func:`distill_fits`.
    """
    lam_f, a_f = _lam(lam), _alpha(alpha)
    positive_int("steps", steps)
    Kc = check_kernel(K)
    Kt = check_cross_kernel("K_test", K_test, Kc.shape[0])
    T = check_steps(steps, max(Kc.shape[0], Kt.shape[0]))
    yv = check_targets("y", y, Kc.shape[0])
    return distill_coefficients(KernelEigen(Kc), yv, lam=lam_f, alpha=a_f, steps=T) @ Kt.T


def distill_fits_by_refitting(
    K: ArrayLike,
    y: ArrayLike,
    *,
    lam: float,
    alpha: float,
    steps: int,
    K_test: ArrayLike | None = None,
) -> Array | tuple[Array, Array]:
    """Reference: refit kernel ridge regression explicitly at every step (no eigenbasis).

    Each step fits :class:`sklearn.kernel_ridge.KernelRidge` (``kernel="precomputed"``,
    ``alpha=λ``, i.e. it solves ``(K + λI) c = ỹ⁽ᵗ⁾`` afresh) to the mixed targets of
    :eq:`distill-mixed-targets`. Returns the training fits ``(steps, n)``, and with ``K_test``
    also the predictions ``(steps, m)``. ``K`` must be PSD, as for :func:`distill_fits` (an
    indefinite ``K`` raises ``ValueError`` instead of refitting a meaningless problem).
    """
    from sklearn.kernel_ridge import KernelRidge

    lam_f, a_f = _lam(lam), _alpha(alpha)
    positive_int("steps", steps)
    Kc = check_kernel(K, psd=True)
    n = Kc.shape[0]
    yv = check_targets("y", y, n)
    Kt = None if K_test is None else check_cross_kernel("K_test", K_test, n)
    T = check_steps(steps, max(n, 0 if Kt is None else Kt.shape[0]))
    fits = np.empty((T, n))
    preds = None if Kt is None else np.empty((T, Kt.shape[0]))
    target = yv
    for t in range(T):
        model = KernelRidge(alpha=lam_f, kernel="precomputed").fit(Kc, target)
        fits[t] = model.predict(Kc)
        if preds is not None:
            preds[t] = model.predict(Kt)
        target = a_f * yv + (1.0 - a_f) * fits[t]
    return fits if preds is None else (fits, preds)


def limit_fit(K: ArrayLike, y: ArrayLike, *, lam: float, alpha: float) -> Array:
    """The ``t → ∞`` fit at the training points (:eq:`distill-limit`).

    For ``α ∈ (0, 1]`` it is kernel ridge regression with ridge ``λ/α``, solved directly with a
    Cholesky factorisation of ``K + (λ/α) I``; for ``α = 0`` the fits collapse to zero. ``K``
    must be PSD, as for :func:`distill_fits` (checked from its eigenvalues).
    """
    lam_f, a_f = _lam(lam), _alpha(alpha)
    Kc = check_kernel(K, psd=True)
    yv = check_targets("y", y, Kc.shape[0])
    return Kc @ _limit_coef(Kc, yv, lam_f, a_f)


def limit_predict(
    K: ArrayLike, K_test: ArrayLike, y: ArrayLike, *, lam: float, alpha: float
) -> Array:
    """The ``t → ∞`` predictions at new points: ``k(x)ᵀ (K + (λ/α) I)⁻¹ y`` (zero if ``α = 0``).

    ``K`` must be PSD (checked), as for :func:`distill_fits`.
    """
    lam_f, a_f = _lam(lam), _alpha(alpha)
    Kc = check_kernel(K, psd=True)
    yv = check_targets("y", y, Kc.shape[0])
    Kt = check_cross_kernel("K_test", K_test, Kc.shape[0])
    return Kt @ _limit_coef(Kc, yv, lam_f, a_f)


def _limit_coef(K: Array, y: Array, lam: float, alpha: float) -> Array:
    if alpha == 0.0:
        return np.zeros_like(y)
    factor = cho_factor(K + (lam / alpha) * np.eye(K.shape[0]))
    return np.asarray(cho_solve(factor, y))
