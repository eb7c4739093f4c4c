"""How the AR-Net chapter (chapter 6) scores a fit: coefficient error, forecast error, support.

The paper (§3.4) compares coefficients by the symmetric total percentage error :func:`stpe`
(:eq:`arnet-stpe`) and forecasts by the one-step-ahead mean squared error :func:`one_step_mse`,
whose floor is the noise variance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Real

from theorybook.arnet.data import Coefficients, Series, _lag_matrix, _series
from theorybook.boundary import FiniteReal, PositiveInt, checked
from theorybook.validation import array, int_in_range

__all__ = ["one_step_mse", "stpe", "top_k_lags"]


@checked
def stpe(
    estimated: Real[np.ndarray, " p"] | Sequence[FiniteReal],
    true: Real[np.ndarray, " q"] | Sequence[FiniteReal],
) -> float:
    """Symmetric total percentage error of coefficients (:eq:`arnet-stpe`, paper §3.4):
    :math:`100 \\sum_i |\\hat w_i - w_i| / \\sum_i (|\\hat w_i| + |w_i|)`.

    ``true`` shorter than ``estimated`` is zero-padded (a model order above the true order).
    Ranges over [0, 100] (triangle inequality); 0 means exact, 100 means no overlap
    (e.g. all-zero estimates, or every sign wrong). Coefficients so large that the sums overflow
    are divided by the largest entry first (the ratio is scale-free).
    """
    est = array("estimated", estimated, ndim=1)
    tru = array("true", true, ndim=1)
    if tru.size > est.size:
        raise ValueError(f"true has {tru.size} lags, more than the {est.size} estimated")
    tru = np.pad(tru, (0, est.size - tru.size))
    with np.errstate(over="ignore"):
        denom = np.abs(est).sum() + np.abs(tru).sum()
        diff = np.abs(est - tru).sum()
    if denom == 0:
        return 0.0
    if not (np.isfinite(denom) and np.isfinite(diff)):
        # a sum overflowed (entries near the largest float): the ratio is scale-free, so
        # divide by the largest entry first
        scale = max(float(np.max(np.abs(est))), float(np.max(np.abs(tru))))
        est, tru = est / scale, tru / scale
        denom = np.abs(est).sum() + np.abs(tru).sum()
        diff = np.abs(est - tru).sum()
    return float(100.0 * diff / denom)


@checked
def one_step_mse(series: Series, coef: Coefficients, intercept: FiniteReal = 0.0) -> float:
    """One-step-ahead mean squared error of eq. (1) on ``series``:
    :math:`\\frac1{n-p}\\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2`.

    Arguments:
        series: the 1-D series to predict, at least ``2p + 1`` long.
        coef: the ``p`` AR coefficients, lag 1 first, finite.
        intercept: the constant ``c``, finite.

    Returns:
        The mean squared one-step error over ``series[p:]``.

    Raises:
        NonFiniteResult: (:mod:`theorybook.boundary`) when the errors are so large (a series or
            coefficients near the largest float) that their squares overflow.
    """
    w = array("coef", coef, ndim=1)
    y = _series(series, w.size)
    resid = y[w.size :] - intercept - _lag_matrix(y, w.size) @ w
    with np.errstate(over="ignore"):  # an overflow is refused by @checked (NonFiniteResult)
        return float(np.mean(resid**2))


@checked
def top_k_lags(coef: Coefficients, k: PositiveInt = 3) -> tuple[int, ...]:
    """The ``k`` lags (1-based, sorted) of the largest ``|coef|``; ``coef`` must be finite and
    hold at least ``k`` entries."""
    w = array("coef", coef, ndim=1)
    k = int_in_range("k", k, low=1, high=w.size)
    return tuple(sorted(int(i) + 1 for i in np.argsort(-np.abs(w), kind="stable")[:k]))
