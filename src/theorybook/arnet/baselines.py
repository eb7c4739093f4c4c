"""The classic-AR baselines of the AR-Net chapter (chapter 6): least squares and statsmodels.

Ordinary least squares with an intercept (NumPy ``lstsq``, :eq:`arnet-ls`) and statsmodels'
``AutoReg`` (conditional OLS) solve the same problem; AR-Net (:mod:`theorybook.arnet.fit`) is
compared with both.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from jaxtyping import Float64
from numpy.typing import NDArray

from theorybook.arnet.data import (
    Series,
    _lag_matrix,
    _series,
    _standardise,
    _standardised_intercept,
    lag_matrix,
)
from theorybook.boundary import NonNegativeReal, PositiveInt, checked, record

__all__ = [
    "ARFit",
    "fit_autoreg",
    "fit_least_squares",
    "fit_top_k_least_squares",
    "require_variation",
]


@record
@dataclass(frozen=True)
class ARFit:
    """A fitted AR(p): ``coef`` (lag 1 first), ``intercept``, the method's name and fit time."""

    coef: Float64[np.ndarray, " p"]
    intercept: float
    method: str
    seconds: NonNegativeReal

    def predict(self, series: Series) -> NDArray[np.float64]:
        """One-step predictions of ``series[p:]``."""
        return self.intercept + lag_matrix(series, self.coef.size) @ self.coef


def require_variation(y: NDArray[np.float64], name: str = "series") -> None:
    """Raise ``ValueError`` if ``y`` is constant (AR coefficients are then not identifiable)."""
    if not np.ptp(y) > 0:
        raise ValueError(f"{name} is constant; AR coefficients are not identifiable")


@checked
def fit_least_squares(series: Series, p: PositiveInt) -> ARFit:
    """Classic AR(p) by ordinary least squares with an intercept (``numpy.linalg.lstsq``).

    Solves :math:`\\min_{c, w} \\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2` through the SVD of the
    ``(n - p) × (p + 1)`` design matrix (:eq:`arnet-ls`): :math:`O(n p^2)` time. A constant
    series raises ``ValueError``.

    Degenerate limits: when the design matrix is rank-deficient at the series' own scale (a series
    of values near ``1e-300`` or ``1e300``, whose lag columns the SVD cannot tell from zero beside
    the intercept's column of ones), the fit is redone on the standardised series
    (:func:`~theorybook.arnet.standardise`; AR coefficients are scale-free) and the intercept
    mapped back, instead of returning the zero coefficients of the truncated SVD. If the
    standardised design is rank-deficient too (a noiseless periodic series, whose lags are
    collinear), the result is the minimum-norm solution.
    """
    return _fit_least_squares(_series(series, p), p)


def _lstsq_ar(y: NDArray[np.float64], p: int) -> tuple[NDArray[np.float64], int]:
    """Least-squares ``[c, w_1, ..., w_p]`` of an AR(p) with intercept, and the design's rank."""
    design = np.empty((y.size - p, p + 1))
    design[:, 0] = 1.0
    design[:, 1:] = _lag_matrix(y, p)
    beta, _, rank, _ = np.linalg.lstsq(design, y[p:], rcond=None)
    return np.asarray(beta, dtype=np.float64), int(rank)


def _fit_least_squares(y: NDArray[np.float64], p: int) -> ARFit:
    """:func:`fit_least_squares` of a checked series (the timing loop's twin: no checks)."""
    require_variation(y)
    start = time.perf_counter()
    beta, rank = _lstsq_ar(y, p)
    coef = np.asarray(beta[1:], dtype=np.float64).copy()
    intercept = float(beta[0])
    if rank < p + 1:  # rank-deficient at this scale: solve on the standardised series
        z, mean, std = _standardise(y)
        beta, _ = _lstsq_ar(z, p)
        coef = np.asarray(beta[1:], dtype=np.float64).copy()
        intercept = _standardised_intercept(float(beta[0]), coef, mean=mean, std=std)
    return ARFit(
        coef=coef,
        intercept=intercept,
        method="least squares",
        seconds=time.perf_counter() - start,
    )


@checked
def fit_top_k_least_squares(series: Series, p: PositiveInt, k: PositiveInt) -> ARFit:
    """Least squares at order ``p``, then refitted on the lags of its ``k`` largest ``|ŵ|`` only
    (hard thresholding; the other weights are zero).

    The simple competitor of sparse AR-Net when both are told how many weights are non-zero:
    AR-Net's sparsity estimate ``s`` at order ``p`` is ``k / p``.

    Arguments:
        series: the 1-D series, at least ``2p + 1`` long.
        p: the model order of the first fit.
        k: how many lags to keep; ``k >= p`` keeps every lag (plain least squares).

    Returns:
        The refitted AR(p): ``coef`` zero off the kept lags, its intercept and fit time (of the
        refit).
    """
    y = _series(series, p)
    return _refit_top_k(y, _fit_least_squares(y, p).coef, k)


def _refit_top_k(y: NDArray[np.float64], coef: NDArray[np.float64], k: int) -> ARFit:
    """:func:`fit_top_k_least_squares` from a least-squares fit's ``coef`` (lag 1 first)."""
    start = time.perf_counter()
    p = coef.size
    keep = np.sort(np.argsort(-np.abs(coef), kind="stable")[: min(k, p)])
    design = np.empty((y.size - p, keep.size + 1))
    design[:, 0] = 1.0
    design[:, 1:] = _lag_matrix(y, p)[:, keep]
    beta, *_ = np.linalg.lstsq(design, y[p:], rcond=None)
    out = np.zeros(p)
    out[keep] = beta[1:]
    return ARFit(
        coef=out,
        intercept=float(beta[0]),
        method=f"least squares, top {keep.size} lags refitted",
        seconds=time.perf_counter() - start,
    )


@checked
def fit_autoreg(series: Series, p: PositiveInt) -> ARFit:
    """Classic AR(p) with statsmodels ``AutoReg(series, lags=p, trend="c")`` (conditional OLS).

    A constant series raises ``ValueError``. When statsmodels finds the design rank-deficient at
    the series' own scale (``SingularMatrixWarning``: values near ``1e-300`` or ``1e300``), the
    fit is redone on the standardised series and the intercept mapped back, as
    :func:`fit_least_squares` does.
    """
    return _fit_autoreg(_series(series, p), p)


def _autoreg_params(y: NDArray[np.float64], p: int) -> NDArray[np.float64]:
    from statsmodels.tsa.ar_model import AutoReg

    return np.asarray(AutoReg(y, lags=p, trend="c").fit().params, dtype=np.float64)


def _fit_autoreg(y: NDArray[np.float64], p: int) -> ARFit:
    """:func:`fit_autoreg` of a checked series (the timing loop's twin: no checks)."""
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    require_variation(y)
    start = time.perf_counter()
    singular = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingularMatrixWarning)
        try:
            params = _autoreg_params(y, p)
        except SingularMatrixWarning:
            singular = True
    if singular:  # rank-deficient at this scale: fit the standardised series
        z, mean, std = _standardise(y)
        params = _autoreg_params(z, p)
        coef = params[1:].copy()
        intercept = _standardised_intercept(float(params[0]), coef, mean=mean, std=std)
    else:
        coef, intercept = params[1:].copy(), float(params[0])
    return ARFit(
        coef=coef,
        intercept=intercept,
        method="statsmodels AutoReg",
        seconds=time.perf_counter() - start,
    )
