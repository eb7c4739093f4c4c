"""Input checks of chapter 5's kernel maths (*Self-distillation with ground-truth guidance*).

A kernel must be square, finite, symmetric and, wherever the maths needs it, positive
semi-definite (PSD); labels and fits are vectors of the kernel's size; a result may not exceed
:data:`MAX_ELEMENTS` values. Shapes, dtypes and finiteness are declared in the annotations and
checked by :func:`~theorybook.boundary.checked`; what they cannot say (symmetry, PSD, a length
given as a number) is checked here. Every check raises ``ValueError``/``TypeError`` naming the
argument.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray
from scipy.linalg import eigvalsh

from theorybook.boundary import NonNegativeInt, PositiveInt, checked

__all__ = [
    "MAX_ELEMENTS",
    "PSD_RTOL",
    "SYMMETRY_RTOL",
    "check_cross_kernel",
    "check_kernel",
    "check_psd_spectrum",
    "check_steps",
    "check_targets",
    "check_weights",
]

Array = NDArray[np.float64]

#: relative asymmetry ``max|K − Kᵀ| / max|K|`` above which ``K`` is rejected.
SYMMETRY_RTOL = 1e-10
#: relative negative eigenvalue ``−d_min / d_max`` above which ``K`` is rejected as not PSD.
PSD_RTOL = 1e-8


#: the most float64 elements a result may hold (2**27, 1 GiB) before we refuse to allocate it.
MAX_ELEMENTS = 2**27


@checked
def check_kernel(K: Float[np.ndarray, "n n"], name: str = "K", *, psd: bool = False) -> Array:
    """``K`` as a float64 array after checking it is a square, finite, symmetric matrix.

    With ``psd=True`` it must also be positive semi-definite (smallest eigenvalue above
    ``−PSD_RTOL · max(d_max, 1)``), the same test
    :class:`~theorybook.distill.kernel.KernelEigen` applies.

    Raises ``TypeError`` for a non-square or non-floating ``K`` and ``ValueError`` naming
    ``name`` for an asymmetric or indefinite one.

    Arguments:
        K: the matrix to check
        name: its name in error messages
        psd: also require it to be positive semi-definite

    Returns:
        ``K`` as a float64 array.
    """
    arr = np.asarray(K, dtype=np.float64)
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


@checked
def check_psd_spectrum(d: Float[np.ndarray, " n"], name: str = "K") -> None:
    """Raise ``ValueError`` if the eigenvalues ``d`` of ``name`` show it is not PSD."""
    d_max, d_min = float(np.max(d)), float(np.min(d))
    if d_min < -PSD_RTOL * max(d_max, 1.0):
        raise ValueError(
            f"{name} must be positive semi-definite: smallest eigenvalue {d_min:.3e} "
            f"(largest {d_max:.3e})"
        )


@checked
def check_targets(name: str, value: Float[np.ndarray, " n"], n: PositiveInt) -> Array:
    """``value`` as a finite float64 vector of length ``n`` (labels or fits at n points).

    Arguments:
        name: the vector's name in error messages
        value: the vector
        n: the length it must have (the kernel's size)

    Returns:
        ``value`` as a float64 vector.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of shape ({n},) to match K, got {arr.shape}")
    return arr


@checked
def check_cross_kernel(name: str, value: Float[np.ndarray, "m n"], n: PositiveInt) -> Array:
    """``value`` as a finite float64 ``(m, n)`` kernel between m new points and n training points.

    Arguments:
        name: the matrix's name in error messages
        value: the matrix
        n: the number of training points (its columns)

    Returns:
        ``value`` as a float64 ``(m, n)`` array.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape[1] != n:
        raise ValueError(
            f"{name} must have shape (m, {n}) (new points × training points), got {arr.shape}"
        )
    return arr


@checked
def check_steps(steps: PositiveInt, n: NonNegativeInt = 1) -> int:
    """``steps`` as an int ≥ 1, refusing a ``steps × n`` result above :data:`MAX_ELEMENTS`."""
    T = steps
    if T * max(n, 1) > MAX_ELEMENTS:
        raise ValueError(
            f"steps × n = {T} × {n} would allocate {T * n * 8 / 2**30:.1f} GiB of results "
            f"(limit {MAX_ELEMENTS} values); ask for fewer steps (the limit t → ∞ has its "
            "own function, limit_fit)"
        )
    return T


@checked
def check_weights(name: str, values: Float[np.ndarray, " a"]) -> Array:
    """``values`` (a vector of weights ``α``) as float64, or ``ValueError`` naming the first
    entry outside ``[0, 1]`` (``name[i]``): one vectorised comparison, not one check per weight.

    Arguments:
        name: the vector's name in error messages
        values: the weights

    Returns:
        ``values`` as a float64 vector.
    """
    arr = np.asarray(values, dtype=np.float64)
    outside = np.flatnonzero((arr < 0.0) | (arr > 1.0) | ~np.isfinite(arr))
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"{name} must hold weights in [0, 1]; {name}[{i}] = {arr[i]!r} is outside "
            f"({outside.size} of {arr.size} entries are)"
        )
    return arr
