"""AR(p) processes for the AR-Net chapter (chapter 6): coefficients, series and lag matrices.

The generating model is the auto-regression of {cite}`triebe2019arnet`, eq. (1),

.. math::  y_t = c + \\sum_{i=1}^{p} w_i\\, y_{t-i} + e_t, \\qquad e_t \\sim \\mathcal N(0, \\sigma^2),

stationary when every root of the AR polynomial :math:`1 - \\sum_i w_i z^i` lies outside the
unit circle. Coefficient vectors are always ordered lag 1 first: ``coef[0]`` is :math:`w_1`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import lfilter
from statsmodels.tsa.arima_process import ArmaProcess

__all__ = [
    "SPARSE_LAGS",
    "SPARSE_WEIGHTS",
    "check_series",
    "generate_ar",
    "is_stationary",
    "lag_matrix",
    "random_stationary_coef",
    "sparse_coef",
]

SPARSE_LAGS: tuple[int, ...] = (1, 3, 10)
"""Lags of the paper's sparse process (small-data example, Fig. 6 of the paper)."""
SPARSE_WEIGHTS: tuple[float, ...] = (0.2, 0.3, -0.5)
"""Weights of the paper's sparse process, at :data:`SPARSE_LAGS`."""


def _as_coef(coef: ArrayLike, name: str = "coef") -> NDArray[np.float64]:
    w = np.asarray(coef, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (lag 1 first), got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or inf")
    return w


def check_series(
    series: ArrayLike, p: int | None = None, *, name: str = "series"
) -> NDArray[np.float64]:
    """Return ``series`` as a finite 1-D float64 array long enough for an AR(``p``) fit.

    Raises ``ValueError`` for a non-1-D input, NaN/inf values, or fewer than ``2 p + 1`` samples
    (an AR(p) fit needs at least ``p + 1`` equations for ``p + 1`` unknowns after losing ``p``
    values to the lags). ``TypeError`` for a non-integer ``p``.
    """
    y = np.asarray(series)
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {y.dtype}")
    y = y.astype(np.float64, copy=False)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or inf")
    if p is not None:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"p must be an int, got {type(p).__name__}")
        if p < 1:
            raise ValueError(f"p must be >= 1, got {p}")
        if y.size < 2 * p + 1:
            raise ValueError(
                f"{name} has {y.size} samples, too short for an AR({p}) fit "
                f"(need at least 2p + 1 = {2 * p + 1})"
            )
    return y


def is_stationary(coef: ArrayLike) -> bool:
    """Whether AR coefficients (lag 1 first) define a stationary process.

    Uses statsmodels' ``ArmaProcess.from_coeffs(coef).isstationary``: all roots of
    :math:`1 - \\sum_i w_i z^i` outside the unit circle.
    """
    w = _as_coef(coef)
    return bool(ArmaProcess.from_coeffs(w).isstationary)


def random_stationary_coef(p: int, seed: int) -> NDArray[np.float64]:
    """Random stationary AR(p) coefficients, as in the paper's §3.1 (chapter 6).

    Draw :math:`w_i \\sim U(-1, 1)`; when :math:`\\sum_i |w_i| > 1`, rescale so that
    :math:`\\sum_i |w_i| = u` with :math:`u \\sim U(0.5, 1)`; redraw until the AR polynomial's roots
    lie outside the unit circle (:func:`is_stationary`). Rescaled draws are always stationary
    (:math:`|\\sum_i w_i z^i| \\le \\sum_i |w_i| < 1` on the closed unit disc), so the redraw only
    matters for small ``p``.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"p must be an int, got {type(p).__name__}")
    if p < 1:
        raise ValueError(f"p must be >= 1, got {p}")
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        w = rng.uniform(-1.0, 1.0, size=p)
        total = np.abs(w).sum()
        if total > 1.0:
            w *= rng.uniform(0.5, 1.0) / total
        if is_stationary(w):
            return w
    raise RuntimeError(
        f"no stationary AR({p}) draw in 1000 tries (seed {seed})"
    )  # pragma: no cover


def sparse_coef(
    p: int = 20, lags: Sequence[int] = SPARSE_LAGS, weights: Sequence[float] = SPARSE_WEIGHTS
) -> NDArray[np.float64]:
    """Length-``p`` coefficients that are zero except ``weights`` at ``lags`` (1-based).

    The default is the paper's sparse process: 0.2, 0.3, −0.5 at lags 1, 3, 10, model order 20.
    """
    if len(lags) != len(weights):
        raise ValueError(f"lags and weights differ in length: {len(lags)} vs {len(weights)}")
    if any(lag < 1 or lag > p for lag in lags):
        raise ValueError(f"lags must lie in 1..p={p}, got {tuple(lags)}")
    w = np.zeros(p)
    w[np.asarray(lags, dtype=int) - 1] = weights
    return w


def generate_ar(
    coef: ArrayLike, n: int, noise_std: float = 1.0, seed: int = 0, burn_in: int | None = None
) -> NDArray[np.float64]:
    """A zero-mean sample of length ``n`` of the AR process with coefficients ``coef`` (lag 1 first).

    Gaussian noise :math:`e_t \\sim \\mathcal N(0, \\sigma^2)` is filtered by
    :math:`1 / (1 - \\sum_i w_i B^i)` (``scipy.signal.lfilter``), i.e. eq. (1) with :math:`c = 0`;
    the first ``burn_in`` values (default ``max(1000, 10 p)``) are dropped so that the start-up
    transient is gone, and the sample mean is subtracted (as the paper's generator does).
    Non-stationary coefficients raise ``ValueError``.
    """
    w = _as_coef(coef)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not (np.isfinite(noise_std) and noise_std > 0):
        raise ValueError(f"noise_std must be positive and finite, got {noise_std}")
    if not is_stationary(w):
        raise ValueError(
            "coef defines a non-stationary process (a root of the AR polynomial "
            "lies on or inside the unit circle)"
        )
    burn = max(1000, 10 * w.size) if burn_in is None else int(burn_in)
    if burn < 0:
        raise ValueError(f"burn_in must be >= 0, got {burn}")
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, noise_std, size=n + burn)
    y = lfilter([1.0], np.concatenate(([1.0], -w)), e)[burn:]
    return y - y.mean()


def lag_matrix(series: ArrayLike, p: int) -> NDArray[np.float64]:
    """The ``(n - p, p)`` design matrix of an AR(p) fit, lag 1 first, as a read-only strided view.

    Row ``t`` holds the ``p`` values before ``series[p + t]``: ``X[t, j] = series[p + t - 1 - j]``,
    so that the target vector is ``series[p:]`` and ``X @ coef`` is the one-step prediction of
    eq. (1). Built with ``numpy.lib.stride_tricks.as_strided`` (no copy, no row loop); call
    ``np.ascontiguousarray`` if you need to write to it.
    """
    y = np.ascontiguousarray(check_series(series, p))
    step = y.strides[0]
    view = np.lib.stride_tricks.as_strided(
        y[p - 1 :], shape=(y.size - p, p), strides=(step, -step), writeable=False
    )
    return view
