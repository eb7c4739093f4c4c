"""AR(p) processes and data of the AR-Net chapter (chapter 6): coefficients, series, lag
matrices, the published constants of the paper's processes and the sunspot numbers.

The generating model is the auto-regression of {cite}`triebe2019arnet`, eq. (1),

.. math::  y_t = c + \\sum_{i=1}^{p} w_i\\, y_{t-i} + e_t, \\qquad e_t \\sim \\mathcal N(0, \\sigma^2),

stationary when every root of the AR polynomial :math:`1 - \\sum_i w_i z^i` lies outside the
unit circle (:eq:`arnet-ar`). Coefficient vectors are always ordered lag 1 first: ``coef[0]``
is :math:`w_1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import numpy as np
from jaxtyping import Float, Real
from numpy.typing import NDArray
from scipy.signal import lfilter
from statsmodels.tsa.arima_process import ArmaProcess

from theorybook.boundary import (
    FiniteReal,
    IntRange,
    NonNegativeInt,
    PositiveInt,
    PositiveReal,
    Seed,
    checked,
)
from theorybook.data import offline
from theorybook.validation import array, int_sequence, real_sequence

__all__ = [
    "AR3_WEIGHTS",
    "Coefficients",
    "SPARSE_LAGS",
    "SPARSE_WEIGHTS",
    "Series",
    "check_series",
    "generate_ar",
    "is_stationary",
    "lag_matrix",
    "load_sunspots",
    "random_stationary_coef",
    "sparse_coef",
    "standardise",
    "train_test_split",
]

SPARSE_LAGS: tuple[int, ...] = (1, 3, 10)
"""Lags of the paper's sparse process (small-data example, Fig. 6 of the paper)."""
SPARSE_WEIGHTS: tuple[float, ...] = (0.2, 0.3, -0.5)
"""Weights of the paper's sparse process, at :data:`SPARSE_LAGS` (paper §3.1 and Fig. 6)."""
AR3_WEIGHTS: tuple[float, ...] = (0.2, 0.3, -0.5)
"""The AR(3) process of the unknown-order experiment (paper §3.1: "AR parameters fixed to
[0.2, 0.3, −0.5]"): these weights at lags 1, 2, 3."""


Coefficients = Real[np.ndarray, " p"] | Sequence[FiniteReal]
"""AR coefficients, lag 1 first: a 1-D NumPy array or a sequence of numbers."""
Series = Real[np.ndarray, " n"]
"""A time series: a 1-D NumPy array of real numbers."""


def _as_coef(coef: object, name: str = "coef") -> NDArray[np.float64]:
    return array(name, coef, ndim=1)


def _series(series: object, p: int | None = None, *, name: str = "series") -> NDArray[np.float64]:
    """:func:`check_series` without the annotation checks (for callers that made them)."""
    y = array(name, series, ndim=1, finite=False)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or inf")
    if p is not None and y.size < 2 * p + 1:
        raise ValueError(
            f"{name} has {y.size} samples, too short for an AR({p}) fit "
            f"(need at least 2p + 1 = {2 * p + 1})"
        )
    return y


@checked
def check_series(
    series: Series, p: PositiveInt | None = None, *, name: str = "series"
) -> Float[np.ndarray, " n"]:
    """Return ``series`` as a finite 1-D float64 array long enough for an AR(``p``) fit.

    Arguments:
        series: the values, a 1-D NumPy array of real numbers (integers included).
        p: the model order the series must be long enough for (``None``: no length check).
        name: the parameter's name, for the messages.

    Returns:
        The series as a float64 array.

    Raises:
        ValueError: for an empty series, NaN/inf values, or fewer than ``2 p + 1`` samples (an
            AR(p) fit needs at least ``p + 1`` equations for ``p + 1`` unknowns after losing
            ``p`` values to the lags).
        TypeError: for anything but a 1-D real NumPy array, or a non-integer ``p``.
    """
    return _series(series, p, name=name)


@checked
def is_stationary(coef: Coefficients) -> bool:
    """Whether AR coefficients (lag 1 first) define a stationary process.

    Uses statsmodels' ``ArmaProcess.from_coeffs(coef).isstationary``: all roots of
    :math:`1 - \\sum_i w_i z^i` outside the unit circle.
    """
    return _is_stationary(_as_coef(coef))


def _is_stationary(w: NDArray[np.float64]) -> bool:
    return bool(ArmaProcess.from_coeffs(w).isstationary)


@checked
def random_stationary_coef(p: PositiveInt, seed: Seed) -> Float[np.ndarray, " p"]:
    """Random stationary AR(p) coefficients for the dense experiment (paper §3.1).

    The paper (§3.1) says only that random coefficients are sampled and scaled so that
    :math:`\\sum_i |w_i| \\le 1`; we follow its official code's draw without its last step.
    The code (``arnet/create_ar_data.py``) divides by :math:`\\sum_i |w_i| + 10^{-5}` and then
    subtracts the coefficients' mean, which the paper does not state; for ``p = 1`` that leaves
    :math:`w_1 = 0`, consistent with the "exception of p = 1" in the caption of the paper's
    Fig. 2a. It also draws the series with statsmodels' ``ArmaProcess`` without a burn-in.
    Draw :math:`w_i \\sim U(-1, 1)`; when :math:`\\sum_i |w_i| > 1`, rescale so that
    :math:`\\sum_i |w_i| = u` with :math:`u \\sim U(0.5, 1)`; redraw until the AR polynomial's roots
    lie outside the unit circle (:func:`is_stationary`). Rescaled draws are always stationary
    (:math:`|\\sum_i w_i z^i| \\le \\sum_i |w_i| < 1` on the closed unit disc), so the redraw only
    matters for small ``p``.
    """
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        w = rng.uniform(-1.0, 1.0, size=p)
        total = np.abs(w).sum()
        if total > 1.0:
            w *= rng.uniform(0.5, 1.0) / total
        if _is_stationary(w):
            return w
    raise RuntimeError(
        f"no stationary AR({p}) draw in 1000 tries (seed {seed})"
    )  # pragma: no cover


@checked
def sparse_coef(
    p: PositiveInt = 20,
    lags: Sequence[PositiveInt] = SPARSE_LAGS,
    weights: Sequence[FiniteReal] = SPARSE_WEIGHTS,
) -> Float[np.ndarray, " p"]:
    """Length-``p`` coefficients that are zero except ``weights`` at ``lags`` (1-based).

    The default is the paper's sparse process: 0.2, 0.3, −0.5 at lags 1, 3, 10, model order 20.

    Arguments:
        p: the model order (the length of the vector).
        lags: the 1-based lags of the non-zero weights, distinct, in ``1..p``.
        weights: the weights at ``lags``, finite.

    Returns:
        The ``p`` coefficients, lag 1 first.

    Raises:
        TypeError: for a non-integer ``p`` or lag.
        ValueError: for ``p < 1``, repeated lags, lags outside ``1..p``, non-finite weights, or
            ``lags`` and ``weights`` of different lengths.
    """
    lag_t = int_sequence("lags", lags, low=1, unique=True)
    w_t = real_sequence("weights", weights)
    if len(lag_t) != len(w_t):
        raise ValueError(f"lags and weights differ in length: {len(lag_t)} vs {len(w_t)}")
    if max(lag_t) > p:
        raise ValueError(f"lags must lie in 1..p={p}, got {lag_t}")
    w = np.zeros(p)
    w[np.asarray(lag_t, dtype=int) - 1] = w_t
    return w


@checked
def generate_ar(
    coef: Coefficients,
    n: Annotated[int, IntRange(low=2)],
    noise_std: PositiveReal = 1.0,
    seed: Seed = 0,
    burn_in: NonNegativeInt | None = None,
) -> Float[np.ndarray, " n"]:
    """A zero-mean sample of length ``n`` of the AR process with coefficients ``coef`` (lag 1 first).

    Gaussian noise :math:`e_t \\sim \\mathcal N(0, \\sigma^2)` is filtered by
    :math:`1 / (1 - \\sum_i w_i B^i)` (``scipy.signal.lfilter``), i.e. eq. (1) with :math:`c = 0`;
    the first ``burn_in`` values (default ``max(1000, 10 p)``) are dropped so that the start-up
    transient is gone, and the sample mean is subtracted (as the official code does; the paper
    does not say).

    Arguments:
        coef: the AR coefficients, lag 1 first; they must define a stationary process.
        n: the sample's length, at least 2 (a single value minus its mean is always 0).
        noise_std: the noise's standard deviation :math:`\\sigma > 0`.
        seed: seeds the noise.
        burn_in: values dropped at the start (default ``max(1000, 10 p)``).

    Returns:
        The ``n`` values, mean zero.

    Raises:
        TypeError: for a non-integer ``n``, ``seed`` or ``burn_in``.
        ValueError: for non-stationary or non-finite coefficients, ``n < 2``, a negative seed or
            burn-in, a non-positive ``noise_std``, or a ``noise_std`` so large (near the largest
            float) that the series overflows: the degenerate limit is refused, never returned as
            inf or NaN.
    """
    w = _as_coef(coef)
    if not _is_stationary(w):
        raise ValueError(
            "coef defines a non-stationary process (a root of the AR polynomial "
            "lies on or inside the unit circle)"
        )
    burn = max(1000, 10 * w.size) if burn_in is None else burn_in
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        e = rng.normal(0.0, noise_std, size=n + burn)
        y = lfilter([1.0], np.concatenate(([1.0], -w)), e)[burn:]
        out = y - y.mean()
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"noise_std = {noise_std:g} is too large: the series overflows the float range"
        )
    return out


@checked
def lag_matrix(series: Series, p: PositiveInt) -> Float[np.ndarray, "rows p"]:
    """The ``(n - p, p)`` design matrix of an AR(p) fit, lag 1 first, as a read-only strided view.

    Row ``t`` holds the ``p`` values before ``series[p + t]``: ``X[t, j] = series[p + t - 1 - j]``,
    so that the target vector is ``series[p:]`` and ``X @ coef`` is the one-step prediction of
    eq. (1). Built with ``numpy.lib.stride_tricks.as_strided`` (no copy, no row loop); call
    ``np.ascontiguousarray`` if you need to write to it. ``series`` must hold at least
    ``2p + 1`` finite values.
    """
    return _lag_matrix(_series(series, p), p)


def _lag_matrix(y: NDArray[np.float64], p: int) -> NDArray[np.float64]:
    """:func:`lag_matrix` of a checked float64 series."""
    y = np.ascontiguousarray(y)
    step = y.strides[0]
    view = np.lib.stride_tricks.as_strided(
        y[p - 1 :], shape=(y.size - p, p), strides=(step, -step), writeable=False
    )
    return view


@checked
def standardise(
    series: Series,
) -> tuple[Float[np.ndarray, " n"], float, float]:
    """``(z, m, σ)``: the series standardised, ``z = (y - m)/σ``, with its mean and standard
    deviation, computed without overflow for huge-scale series (AR coefficients are invariant to
    the scale, and the paper's constants assume normalised data).

    Raises ``ValueError`` for a constant series (AR coefficients are not identifiable) or a bad
    series (:func:`check_series`).
    """
    return _standardise(_series(series))


def _standardise(y: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, float]:
    """:func:`standardise` of a checked float64 series."""
    if not np.ptp(y) > 0:
        raise ValueError("series is constant; AR coefficients are not identifiable")
    scale = float(np.max(np.abs(y)))
    u = y / scale
    mean_u, std_u = float(u.mean()), float(u.std())
    if not std_u > 0:
        raise ValueError("series is constant; AR coefficients are not identifiable")
    return (u - mean_u) / std_u, mean_u * scale, std_u * scale


def _standardised_intercept(b0: float, w: NDArray[np.float64], *, mean: float, std: float) -> float:
    """The intercept in series units of a fit on the standardised series
    (:func:`~theorybook.arnet.standardised_intercept` on checked arguments)."""
    return std * b0 + mean * (1.0 - float(w.sum()))


@checked
def train_test_split(
    series: Series, n_train: PositiveInt
) -> tuple[Real[np.ndarray, " train"], Real[np.ndarray, " test"]]:
    """The first ``n_train`` values and the rest (the paper's split: train first, test last).

    Arguments:
        series: the whole series, a 1-D NumPy array.
        n_train: how many values go to training, below the series' length.

    Returns:
        ``(series[:n_train], series[n_train:])``, views of ``series``.
    """
    if not n_train < len(series):
        raise ValueError(f"n_train must be below the series length {len(series)}, got {n_train}")
    return series[:n_train], series[n_train:]


@checked
def load_sunspots() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Years and yearly mean sunspot numbers, 1700–2008, from ``statsmodels.datasets.sunspots``.

    The data ship with statsmodels; the loader runs under :func:`theorybook.data.offline`.
    """
    with offline("the sunspots loader"):
        from statsmodels.datasets import sunspots

        data = sunspots.load_pandas().data
    return data["YEAR"].to_numpy(float), data["SUNACTIVITY"].to_numpy(float)
