"""The classic-AR baselines of the AR-Net chapter (chapter 6): least squares and statsmodels.

Ordinary least squares with an intercept (NumPy ``lstsq``, :eq:`arnet-ls`) and statsmodels'
``AutoReg`` (conditional OLS) solve the same problem; AR-Net (:mod:`theorybook.arnet.fit`) is
compared with both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theorybook.arnet.data import Series, _lag_matrix, _series, lag_matrix
from theorybook.boundary import PositiveInt, checked, record

__all__ = ["ARFit", "fit_autoreg", "fit_least_squares", "require_variation"]


@record
@dataclass(frozen=True)
class ARFit:
    """A fitted AR(p): ``coef`` (lag 1 first), ``intercept``, the method's name and fit time."""

    coef: NDArray[np.float64]
    intercept: float
    method: str
    seconds: float

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
    series raises ``ValueError``; a series whose scale makes the solve overflow (values near the
    largest float) raises ``NonFiniteResult`` (:mod:`theorybook.boundary`) instead of returning
    inf or NaN coefficients.
    """
    return _fit_least_squares(_series(series, p), p)


def _fit_least_squares(y: NDArray[np.float64], p: int) -> ARFit:
    """:func:`fit_least_squares` of a checked series (the timing loop's twin: no checks)."""
    require_variation(y)
    start = time.perf_counter()
    design = np.empty((y.size - p, p + 1))
    design[:, 0] = 1.0
    design[:, 1:] = _lag_matrix(y, p)
    beta, *_ = np.linalg.lstsq(design, y[p:], rcond=None)
    return ARFit(
        coef=np.asarray(beta[1:], dtype=np.float64).copy(),
        intercept=float(beta[0]),
        method="least squares",
        seconds=time.perf_counter() - start,
    )


@checked
def fit_autoreg(series: Series, p: PositiveInt) -> ARFit:
    """Classic AR(p) with statsmodels ``AutoReg(series, lags=p, trend="c")`` (conditional OLS).

    A constant series raises ``ValueError``."""
    return _fit_autoreg(_series(series, p), p)


def _fit_autoreg(y: NDArray[np.float64], p: int) -> ARFit:
    """:func:`fit_autoreg` of a checked series (the timing loop's twin: no checks)."""
    from statsmodels.tsa.ar_model import AutoReg

    require_variation(y)
    start = time.perf_counter()
    res = AutoReg(y, lags=p, trend="c").fit()
    params = np.asarray(res.params, dtype=np.float64)
    return ARFit(
        coef=params[1:].copy(),
        intercept=float(params[0]),
        method="statsmodels AutoReg",
        seconds=time.perf_counter() - start,
    )
