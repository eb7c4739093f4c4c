"""Closed forms of iterated kernel-ridge self-distillation with ground-truth guidance.

Chapter 5 (*Self-distillation with ground-truth guidance*) of the book, after
Borup & Andersen (NeurIPS 2021) and Mobahi, Farajtabar & Bartlett (NeurIPS 2020).

Setting (the chapter's equations in brackets). Kernel matrix ``K = V D Vᵀ`` of the n training
inputs, ridge ``λ > 0``, ``A = D (D + λI)⁻¹`` [eq. ``krr-fit``]. Step 1 fits the labels ``y``; step
``t ≥ 2`` fits kernel ridge regression to the mixed targets

    ỹ⁽ᵗ⁾ = α y + (1 − α) ŷ⁽ᵗ⁻¹⁾                                    [eq. ``mixed-targets``]

(``α`` weights the ground truth; ``α = 0`` is Mobahi's pure self-distillation). Every fit is
diagonal in the kernel eigenbasis: ``ŷ⁽ᵗ⁾ = V B⁽ᵗ⁾ Vᵀ y`` with

    B⁽¹⁾ = A,   B⁽ᵗ⁾ = A [(1 − α) B⁽ᵗ⁻¹⁾ + α I]                        [eq. ``b-recursion``]
    B⁽ᵗ⁾ = α A Σ_{i=0}^{t−2} ((1 − α) A)^i + (1 − α)^{t−1} Aᵗ           [eq. ``b-sum``]

and, for ``α ∈ (0, 1]``, ``B⁽ᵗ⁾ → α D (α D + λ I)⁻¹``: kernel ridge regression with ridge ``λ/α``
[eq. ``limit``]. Functions of this module work on NumPy float64 arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cho_factor, cho_solve, eigh

__all__ = [
    "KernelEigen",
    "check_kernel",
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


def _as_float_array(name: str, value: ArrayLike) -> Array:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as err:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be array-like: {err}") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_kernel(K: ArrayLike, name: str = "K") -> Array:
    """``K`` as a float64 array after checking it is a square, finite, symmetric matrix."""
    arr = _as_float_array(name, K)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) kernel matrix, got shape {arr.shape}")
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must have at least one row, got shape {arr.shape}")
    scale_ = float(np.max(np.abs(arr))) or 1.0
    asym = float(np.max(np.abs(arr - arr.T))) / scale_
    if asym > SYMMETRY_RTOL:
        raise ValueError(
            f"{name} must be symmetric: max|K − Kᵀ|/max|K| = {asym:.2e} > {SYMMETRY_RTOL:.0e}"
        )
    return arr


def _check_lam(lam: float) -> float:
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(f"lam must be a real number, got {type(lam).__name__}")
    lam_f = float(lam)
    if not np.isfinite(lam_f) or lam_f <= 0:
        raise ValueError(f"lam (the ridge λ) must be a finite number > 0, got {lam}")
    return lam_f


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a real number, got {type(alpha).__name__}")
    a = float(alpha)
    if not np.isfinite(a) or not 0.0 <= a <= 1.0:
        raise ValueError(f"alpha (the weight of the ground truth) must lie in [0, 1], got {alpha}")
    return a


def _check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1 (step 1 is the teacher), got {steps}")
    return int(steps)


def _check_y(y: ArrayLike, n: int) -> Array:
    arr = _as_float_array("y", y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"y must be a vector of shape ({n},) to match K, got shape {arr.shape}")
    return arr


def _check_k_test(K_test: ArrayLike, n: int) -> Array:
    arr = _as_float_array("K_test", K_test)
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(
            f"K_test must have shape (m, {n}) (test points × training points), got {arr.shape}"
        )
    return arr


# --------------------------------------------------------------------------- eigenbasis


class KernelEigen:
    """Eigendecomposition ``K = V diag(d) Vᵀ`` with eigenvalues sorted in decreasing order.

    Computed once with :func:`scipy.linalg.eigh`; all distillation steps reuse it.
    """

    def __init__(self, K: ArrayLike) -> None:
        Kc = check_kernel(K)
        d, V = eigh(Kc)
        order = np.argsort(d)[::-1]
        d, V = d[order], V[:, order]
        d_max = max(float(d[0]), 0.0)
        if d[-1] < -PSD_RTOL * max(d_max, 1.0):
            raise ValueError(
                f"K must be positive semi-definite: smallest eigenvalue {d[-1]:.3e} "
                f"(largest {d[0]:.3e})"
            )
        self.K = Kc
        self.d: Array = np.clip(d, 0.0, None)
        self.V: Array = V

    @property
    def n(self) -> int:
        return int(self.d.shape[0])


def kernel_eigen(K: ArrayLike) -> KernelEigen:
    """The :class:`KernelEigen` of ``K`` (validates ``K``: square, symmetric, PSD)."""
    return KernelEigen(K)


def eigen_weights(
    d: ArrayLike,
    lam: float,
    alpha: float,
    steps: int,
    *,
    method: Literal["recursion", "sum"] = "recursion",
) -> Array:
    """Diagonals of ``B⁽¹⁾ … B⁽ᵀ⁾``, shape ``(steps, n)``, for eigenvalues ``d`` of ``K``.

    ``method="recursion"`` iterates eq. ``b-recursion`` ``B⁽ᵗ⁾ = A[(1 − α)B⁽ᵗ⁻¹⁾ + αI]``;
    ``method="sum"`` evaluates the explicit geometric sum of eq. ``b-sum``. Both are exact; the
    tests check they agree.
    """
    lam_f, a_f, T = _check_lam(lam), _check_alpha(alpha), _check_steps(steps)
    dv = _as_float_array("d", d)
    if dv.ndim != 1:
        raise ValueError(f"d must be a vector of eigenvalues, got shape {dv.shape}")
    if np.any(dv < 0):
        raise ValueError("eigenvalues d must be >= 0 (K positive semi-definite)")
    A = dv / (dv + lam_f)
    B = np.empty((T, dv.shape[0]))
    if method == "recursion":
        B[0] = A
        for t in range(1, T):
            B[t] = A * ((1.0 - a_f) * B[t - 1] + a_f)
    elif method == "sum":
        q = (1.0 - a_f) * A
        for t in range(1, T + 1):
            geo = sum(q**i for i in range(t - 1)) if t >= 2 else np.zeros_like(A)
            B[t - 1] = a_f * A * geo + (1.0 - a_f) ** (t - 1) * A**t
    else:
        raise ValueError(f"method must be 'recursion' or 'sum', got {method!r}")
    return B


def limit_weights(d: ArrayLike, lam: float, alpha: float) -> Array:
    """Diagonal of ``B⁽∞⁾ = α D (α D + λ I)⁻¹`` (eq. ``limit``); zero for ``α = 0`` (collapse)."""
    lam_f, a_f = _check_lam(lam), _check_alpha(alpha)
    dv = _as_float_array("d", d)
    if a_f == 0.0:
        return np.zeros_like(dv)
    return a_f * dv / (a_f * dv + lam_f)


def sparsification_ratios(B: ArrayLike) -> Array:
    """Ratios ``R_k = B_k / B_{k+1}`` of consecutive eigen-weights (eigenvalues decreasing).

    ``B`` is one weight vector ``(n,)`` or a stack ``(steps, n)``; returns ``(..., n − 1)``.
    A ratio grows when the fit concentrates on the leading eigenfunctions (Mobahi's
    sparsification).
    """
    arr = _as_float_array("B", B)
    if arr.shape[-1] < 2:
        raise ValueError("need at least two eigen-weights to form ratios")
    if np.any(arr[..., 1:] <= 0):
        raise ValueError("eigen-weights must be > 0 to form ratios (drop zero eigenvalues first)")
    return arr[..., :-1] / arr[..., 1:]


# --------------------------------------------------------------------------- fits


def distill_coefficients(
    K: ArrayLike | KernelEigen, y: ArrayLike, lam: float, alpha: float, steps: int
) -> Array:
    """Dual coefficients ``c⁽ᵗ⁾`` (so that ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``), shape ``(steps, n)``.

    ``c⁽ᵗ⁾ = (K + λI)⁻¹ ỹ⁽ᵗ⁾ = V (D + λI)⁻¹ [α I + (1 − α) B⁽ᵗ⁻¹⁾] Vᵀ y`` with ``B⁽⁰⁾ = I``:
    the paper's ``V D⁻¹ B⁽ᵗ⁾ Vᵀ y`` written without ``D⁻¹``, so it also holds for singular ``K``.
    """
    eig = K if isinstance(K, KernelEigen) else KernelEigen(K)
    yv = _check_y(y, eig.n)
    lam_f, a_f, T = _check_lam(lam), _check_alpha(alpha), _check_steps(steps)
    B = eigen_weights(eig.d, lam_f, a_f, T)
    prev = np.vstack([np.ones((1, eig.n)), B[:-1]])
    C = (a_f + (1.0 - a_f) * prev) / (eig.d + lam_f)
    return (C * (eig.V.T @ yv)) @ eig.V.T


def distill_fits(K: ArrayLike, y: ArrayLike, lam: float, alpha: float, steps: int) -> Array:
    """Fitted values ``ŷ⁽¹⁾ … ŷ⁽ᵀ⁾`` at the training points, shape ``(steps, n)``.

    One eigendecomposition of ``K`` serves all steps: ``ŷ⁽ᵗ⁾ = V B⁽ᵗ⁾ Vᵀ y`` (eq. ``closed-form``).

    Raises ``ValueError`` for a non-square, non-symmetric or indefinite ``K``, ``λ ≤ 0``,
    ``α ∉ [0, 1]``, ``steps < 1`` or a ``y`` whose length differs from ``K``'s.
    """
    eig = KernelEigen(K)
    yv = _check_y(y, eig.n)
    B = eigen_weights(eig.d, lam, alpha, steps)
    return (B * (eig.V.T @ yv)) @ eig.V.T


def distill_predict(
    K: ArrayLike, K_test: ArrayLike, y: ArrayLike, lam: float, alpha: float, steps: int
) -> Array:
    """Predictions ``f⁽ᵗ⁾(x_j)`` at m new points for steps ``1 … T``, shape ``(steps, m)``.

    ``K_test[j, i] = k(x_j, x_i)`` (new points × training points); ``f⁽ᵗ⁾(x) = k(x)ᵀ c⁽ᵗ⁾``
    with the coefficients of :func:`distill_coefficients`.
    """
    eig = KernelEigen(K)
    Kt = _check_k_test(K_test, eig.n)
    return distill_coefficients(eig, y, lam, alpha, steps) @ Kt.T


def distill_fits_by_refitting(
    K: ArrayLike,
    y: ArrayLike,
    lam: float,
    alpha: float,
    steps: int,
    K_test: ArrayLike | None = None,
) -> Array | tuple[Array, Array]:
    """Reference: refit kernel ridge regression explicitly at every step (no eigenbasis).

    Each step fits :class:`sklearn.kernel_ridge.KernelRidge` (``kernel="precomputed"``,
    ``alpha=λ``, i.e. it solves ``(K + λI) c = ỹ⁽ᵗ⁾`` afresh) to the mixed targets of eq.
    ``mixed-targets``. Returns the training fits ``(steps, n)``, and with ``K_test`` also the
    predictions ``(steps, m)``.
    """
    from sklearn.kernel_ridge import KernelRidge

    Kc = check_kernel(K)
    n = Kc.shape[0]
    yv = _check_y(y, n)
    lam_f, a_f, T = _check_lam(lam), _check_alpha(alpha), _check_steps(steps)
    Kt = None if K_test is None else _check_k_test(K_test, n)
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


def limit_fit(K: ArrayLike, y: ArrayLike, lam: float, alpha: float) -> Array:
    """The ``t → ∞`` fit at the training points (eq. ``limit``).

    For ``α ∈ (0, 1]`` it is kernel ridge regression with ridge ``λ/α``, solved directly with a
    Cholesky factorisation of ``K + (λ/α) I``; for ``α = 0`` the fits collapse to zero.
    """
    Kc = check_kernel(K)
    yv = _check_y(y, Kc.shape[0])
    return Kc @ _limit_coef(Kc, yv, _check_lam(lam), _check_alpha(alpha))


def limit_predict(K: ArrayLike, K_test: ArrayLike, y: ArrayLike, lam: float, alpha: float) -> Array:
    """The ``t → ∞`` predictions at new points: ``k(x)ᵀ (K + (λ/α) I)⁻¹ y`` (zero if ``α = 0``)."""
    Kc = check_kernel(K)
    yv = _check_y(y, Kc.shape[0])
    Kt = _check_k_test(K_test, Kc.shape[0])
    return Kt @ _limit_coef(Kc, yv, _check_lam(lam), _check_alpha(alpha))


def _limit_coef(K: Array, y: Array, lam: float, alpha: float) -> Array:
    if alpha == 0.0:
        return np.zeros_like(y)
    factor = cho_factor(K + (lam / alpha) * np.eye(K.shape[0]))
    return np.asarray(cho_solve(factor, y))
