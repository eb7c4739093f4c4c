"""How the AR-Net chapter (chapter 6) scores a fit: coefficient error, forecast error, support.

The paper (§3.4) compares coefficients by the symmetric total percentage error :func:`stpe`
(:eq:`arnet-stpe`) and forecasts by the one-step-ahead mean squared error :func:`one_step_mse`,
whose floor is the noise variance.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from theorybook.arnet.data import check_series, lag_matrix
from theorybook.validation import array, int_in_range, real

__all__ = ["one_step_mse", "stpe", "top_k_lags"]


def stpe(estimated: ArrayLike, true: ArrayLike) -> float:
    """Symmetric total percentage error of coefficients (:eq:`arnet-stpe`, paper §3.4):
    :math:`100 \\sum_i |\\hat w_i - w_i| / \\sum_i (|\\hat w_i| + |w_i|)`.

    ``true`` shorter than ``estimated`` is zero-padded (a model order above the true order).
    Ranges over [0, 100] (triangle inequality); 0 means exact, 100 means no overlap
    (e.g. all-zero estimates, or every sign wrong).
    """
    est = array("estimated", estimated, ndim=1)
    tru = array("true", true, ndim=1)
    if tru.size > est.size:
        raise ValueError(f"true has {tru.size} lags, more than the {est.size} estimated")
    tru = np.pad(tru, (0, est.size - tru.size))
    denom = np.abs(est).sum() + np.abs(tru).sum()
    if denom == 0:
        return 0.0
    return float(100.0 * np.abs(est - tru).sum() / denom)


def one_step_mse(series: ArrayLike, coef: ArrayLike, intercept: float = 0.0) -> float:
    """One-step-ahead mean squared error of eq. (1) on ``series``:
    :math:`\\frac1{n-p}\\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2`.

    Arguments:
        series: the 1-D series to predict, at least ``2p + 1`` long.
        coef: the ``p`` AR coefficients, lag 1 first, finite.
        intercept: the constant ``c``, finite.

    Returns:
        The mean squared one-step error over ``series[p:]``.
    """
    w = array("coef", coef, ndim=1)
    intercept = real("intercept", intercept)
    y = check_series(series, w.size)
    resid = y[w.size :] - intercept - lag_matrix(y, w.size) @ w
    return float(np.mean(resid**2))


def top_k_lags(coef: ArrayLike, k: int = 3) -> tuple[int, ...]:
    """The ``k`` lags (1-based, sorted) of the largest ``|coef|``; ``coef`` must be finite."""
    w = array("coef", coef, ndim=1)
    k = int_in_range("k", k, low=1, high=w.size)
    return tuple(sorted(int(i) + 1 for i in np.argsort(-np.abs(w), kind="stable")[:k]))
