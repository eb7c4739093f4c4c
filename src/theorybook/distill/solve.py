"""Linear solves with ``K + λI`` in chapter 5 (*Self-distillation with ground-truth guidance*).

Kernel ridge regression solves ``(K + λI) c = ỹ``. For a PSD kernel ``K`` that is singular to
round-off (repeated or nearly repeated points) and a ridge ``λ`` below round-off of ``K``'s
scale, ``K + λI`` has no Cholesky factor, or one whose solves keep no correct digit: its
condition number ``(d_max + λ)/(d_min + λ)`` exceeds :data:`MAX_CONDITION` = ``1/ε``. The
functions here refuse such a solve with ``ValueError`` naming ``lam`` (the argument that lifts
``K``), so that no caller returns round-off amplified by ``1/λ``;
:mod:`~theorybook.distill.kernel` says, function by function, where the eigenbasis takes over
instead.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray
from scipy.linalg import cho_factor

from theorybook.boundary import PositiveReal, checked
from theorybook.distill.checks import PSD_RTOL

__all__ = ["MAX_CONDITION", "check_condition", "check_psd_by_cholesky", "ridge_cholesky"]

Array = NDArray[np.float64]

#: the largest condition number of ``K + λI`` a linear solve is trusted with: ``1/ε`` (about
#: ``4.5·10¹⁵``); beyond it the solve keeps no correct digit.
MAX_CONDITION = 1.0 / float(np.finfo(np.float64).eps)


def _too_small(ridge: float, detail: str) -> ValueError:
    return ValueError(
        f"lam is too small for this K: K + {ridge:.3g}·I {detail}, so a linear solve with it "
        "keeps no correct digit (K is singular to round-off and the ridge does not lift it); "
        "raise lam"
    )


@checked
def check_psd_by_cholesky(K: Float[np.ndarray, "n n"]) -> None:
    """``ValueError`` unless ``K + δI`` has a Cholesky factor, ``δ = PSD_RTOL · max(max diag K,
    1)``: it exists exactly when no eigenvalue of ``K`` lies below ``−δ`` (the test of
    :func:`~theorybook.distill.checks.check_psd_spectrum`, at the cost of a factorisation).

    Arguments:
        K: a symmetric matrix
    """
    n = K.shape[0]
    scale_ = max(float(np.max(np.diag(K))), 1.0)
    shifted = np.asarray(K, dtype=np.float64) + PSD_RTOL * scale_ * np.eye(n)
    try:
        cho_factor(shifted, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise ValueError(
            "K must be positive semi-definite: K + δI has no Cholesky factor for "
            f"δ = {PSD_RTOL * scale_:.1e}, so K has an eigenvalue below −δ"
        ) from None


@checked
def check_condition(d: Float[np.ndarray, " n"], ridge: PositiveReal) -> None:
    """``ValueError`` naming ``lam`` when ``K + ridge·I`` is too ill-conditioned to solve with.

    Arguments:
        d: the eigenvalues of a PSD ``K``, in any order (negatives from round-off count as
            zero)
        ridge: the ridge ``λ`` (or ``λ/α``); the condition number
            ``(d_max + ridge)/(d_min + ridge)`` is refused above :data:`MAX_CONDITION`
    """
    d_max, d_min = max(float(np.max(d)), 0.0), max(float(np.min(d)), 0.0)
    cond = (d_max + ridge) / (d_min + ridge)
    if not cond <= MAX_CONDITION:
        raise _too_small(ridge, f"has condition number {cond:.1e} > {MAX_CONDITION:.1e} (1/ε)")


@checked
def ridge_cholesky(K: Float[np.ndarray, "n n"], ridge: PositiveReal) -> tuple[Array, bool]:
    """The Cholesky factor of ``K + ridge·I`` for a PSD ``K``, as :func:`scipy.linalg.cho_factor`
    returns it (for :func:`scipy.linalg.cho_solve`).

    Raises ``ValueError`` naming ``lam`` when the factor does not exist or the condition number
    exceeds :data:`MAX_CONDITION`, estimated from the factor's diagonal (``(max L_ii /
    min L_ii)²`` is a lower bound of it).

    Arguments:
        K: a PSD matrix
        ridge: the ridge added to its diagonal

    Returns:
        ``(factor, lower)``.
    """
    try:
        factor = cho_factor(K + ridge * np.eye(K.shape[0]), check_finite=False)
    except np.linalg.LinAlgError:
        raise _too_small(ridge, "is not positive definite") from None
    diag = np.abs(np.diag(factor[0]))
    with np.errstate(over="ignore", divide="ignore"):
        cond = float((np.max(diag) / np.min(diag)) ** 2)
    if not cond <= MAX_CONDITION:
        raise _too_small(ridge, f"has condition number above {cond:.1e} > {MAX_CONDITION:.1e}")
    return factor
