"""Input checks of chapter 5's kernel maths (*Self-distillation with ground-truth guidance*).

A kernel must be square, finite, symmetric and, wherever the maths needs it, positive
semi-definite (PSD); labels and fits are vectors of the kernel's size; a result may not exceed
:data:`MAX_ELEMENTS` values. Every check raises ``ValueError``/``TypeError`` naming the argument
(:mod:`theorybook.validation`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import eigvalsh

from theorybook.validation import array, positive_int

__all__ = [
    "MAX_ELEMENTS",
    "PSD_RTOL",
    "SYMMETRY_RTOL",
    "check_cross_kernel",
    "check_kernel",
    "check_psd_spectrum",
    "check_steps",
    "check_targets",
]

Array = NDArray[np.float64]

#: relative asymmetry ``max|K − Kᵀ| / max|K|`` above which ``K`` is rejected.
SYMMETRY_RTOL = 1e-10
#: relative negative eigenvalue ``−d_min / d_max`` above which ``K`` is rejected as not PSD.
PSD_RTOL = 1e-8


#: the most float64 elements a result may hold (2**27, 1 GiB) before we refuse to allocate it.
MAX_ELEMENTS = 2**27


def check_kernel(K: ArrayLike, name: str = "K", *, psd: bool = False) -> Array:
    """``K`` as a float64 array after checking it is a square, finite, symmetric matrix.

    With ``psd=True`` it must also be positive semi-definite (smallest eigenvalue above
    ``−PSD_RTOL · max(d_max, 1)``), the same test
    :class:`~theorybook.distill.kernel.KernelEigen` applies.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` naming ``name`` otherwise.

    Arguments:
        K: the matrix to check
        name: its name in error messages
        psd: also require it to be positive semi-definite

    Returns:
        ``K`` as a float64 array.
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
    """``value`` as a finite float64 vector of length ``n`` (labels or fits at n points).

    Arguments:
        name: the vector's name in error messages
        value: the vector
        n: the length it must have (the kernel's size)

    Returns:
        ``value`` as a float64 vector.
    """
    arr = array(name, value, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of shape ({n},) to match K, got {arr.shape}")
    return arr


def check_cross_kernel(name: str, value: ArrayLike, n: int) -> Array:
    """``value`` as a finite float64 ``(m, n)`` kernel between m new points and n training points.

    Arguments:
        name: the matrix's name in error messages
        value: the matrix
        n: the number of training points (its columns)

    Returns:
        ``value`` as a float64 ``(m, n)`` array.
    """
    arr = array(name, value, ndim=2)
    if arr.shape[1] != n:
        raise ValueError(
            f"{name} must have shape (m, {n}) (new points × training points), got {arr.shape}"
        )
    return arr


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
