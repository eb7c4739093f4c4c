"""AR-Net and the classic-AR baselines (chapter 6, {cite}`triebe2019arnet`).

AR-Net is the auto-regression :eq:`arnet-ar` read as a neural network: one linear layer from the ``p`` lags to the next value,
trained by stochastic gradient descent on the mean squared error (paper §3.2). The sparse variant
(paper §3.3.1) adds the regulariser

.. math::  R(\\theta) = \\frac1p \\sum_{i=1}^p \\Big[\\frac{2}{1 + \\exp(-c_1 |\\theta_i|^{1/c_2})} - 1\\Big]
           \\qquad (c_1 = c_2 = 3)

(:eq:`arnet-reg`) weighted by :math:`\\lambda(s) = c_\\lambda (1/s - 1)` (:eq:`arnet-lambda`),
where ``s`` is the user's estimate of the
fraction of non-zero coefficients. The baselines are ordinary least squares (NumPy ``lstsq``)
and statsmodels ``AutoReg``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional as F

from theorybook.arnet.config import Config
from theorybook.arnet.data import check_series, lag_matrix
from theorybook.runtime import device as resolve_device
from theorybook.runtime import torch_threads
from theorybook.training import TrainingDiverged, check_finite_loss
from theorybook.validation import (
    array,
    int_in_range,
    one_of,
    positive_int,
    positive_real,
    real,
    tensor,
)
from theorybook.validation import seed as seed_check

__all__ = [
    "ARFit",
    "ARNetHistory",
    "ARNetResult",
    "LR_REFERENCE_BATCH",
    "MAX_AUTO_BATCH",
    "MIN_AUTO_BATCH",
    "TrainingDiverged",
    "auto_batch_size",
    "fit_arnet",
    "fit_autoreg",
    "fit_least_squares",
    "lambda_max",
    "lambda_ramp",
    "one_step_mse",
    "paper_c_lambda",
    "regularizer_derivative",
    "regularizer_terms",
    "scaled_lr",
    "sparsity_regularizer",
    "standardised_intercept",
    "stpe",
    "top_k_lags",
]

Ramp = Literal["quadratic", "linear", "none"]
Schedule = Literal["one-cycle", "constant"]
SCHEDULES: tuple[str, ...] = ("one-cycle", "constant")
RAMPS: tuple[str, ...] = ("quadratic", "linear", "none")

STEP_GROWTH_LIMIT = 100.0
"""A step whose data loss exceeds this many times the first step's (and 100: the mean predictor
scores 1 on the standardised series) counts as divergence, named at that step."""
GROWTH_LIMIT = 10.0
"""An epoch whose mean data loss exceeds this many times the first step's loss (and 10, the
mean predictor's score times 10) counts as divergence: training made the fit much worse."""
MIN_ONE_CYCLE_STEPS = 8
"""Schedules shorter than this run at the constant learning rate ``lr``: torch's ``OneCycleLR``
needs at least one warm-up and one annealing step (with ``pct_start = 0.25``, 8 steps)."""
MIN_AUTO_BATCH = 32
"""Smallest batch :func:`auto_batch_size` picks (the small-data problem's, ``n = 10^3``)."""
MAX_AUTO_BATCH = 4096
"""Largest batch :func:`auto_batch_size` picks."""
LR_REFERENCE_BATCH = 128
"""Batch size up to which ``lr`` is the peak learning rate itself (:func:`scaled_lr`)."""


# ----------------------------------------------------------------------------------------------
# The regulariser, eq. (R) of the chapter (paper §3.3.1)
# ----------------------------------------------------------------------------------------------


def _check_c(c1: float, c2: float) -> tuple[float, float]:
    return positive_real("c1", c1), positive_real("c2", c2)


def regularizer_terms(theta: ArrayLike, c1: float = 3.0, c2: float = 3.0) -> NDArray[np.float64]:
    """Per-weight penalty :math:`r(\\theta) = 2/(1 + e^{-c_1 |\\theta|^{1/c_2}}) - 1 = \\tanh(c_1|\\theta|^{1/c_2}/2)`.

    The summand of :eq:`arnet-reg`; NumPy version for plots and tables
    (:func:`sparsity_regularizer` is the differentiable mean). ``theta`` must be finite.
    """
    c1, c2 = _check_c(c1, c2)
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    return 2.0 / (1.0 + np.exp(-c1 * x ** (1.0 / c2))) - 1.0


def regularizer_derivative(
    theta: ArrayLike, c1: float = 3.0, c2: float = 3.0
) -> NDArray[np.float64]:
    """:math:`r'(|\\theta|) = 2\\sigma(1-\\sigma)\\,\\frac{c_1}{c_2}\\,|\\theta|^{1/c_2 - 1}` with
    :math:`\\sigma = 1/(1 + e^{-c_1|\\theta|^{1/c_2}})` (:eq:`arnet-dreg`); infinite at 0 when
    ``c2 > 1``. ``theta`` must be finite."""
    c1, c2 = _check_c(c1, c2)
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    with np.errstate(divide="ignore"):
        u = x ** (1.0 / c2)
        sig = 1.0 / (1.0 + np.exp(-c1 * u))
        return 2.0 * sig * (1.0 - sig) * (c1 / c2) * x ** (1.0 / c2 - 1.0)


def sparsity_regularizer(
    theta: torch.Tensor, c1: float = 3.0, c2: float = 3.0, eps: float = 1e-12
) -> torch.Tensor:
    """The paper's sparsity regulariser :math:`R(\\theta)`, the mean of :func:`regularizer_terms`.

    ``theta`` is any tensor of weights (the mean runs over all entries, ``p`` of them for AR-Net's
    single layer). ``eps`` is added to ``|theta|`` before the root so that the gradient at exactly
    zero is large but finite (as NeuralProphet's port does); ``eps=0`` gives the paper's formula
    :eq:`arnet-reg`.

    Raises ``TypeError`` unless ``theta`` is a floating-point tensor, ``ValueError`` if it is
    empty or holds NaN/inf, or for non-positive ``c1``, ``c2`` or negative ``eps``.
    """
    tensor("theta", theta)
    c1, c2 = _check_c(c1, c2)
    eps = real("eps", eps, low=0.0)
    return _penalty(theta, c1, c2, eps)


def _penalty(theta: torch.Tensor, c1: float, c2: float, eps: float) -> torch.Tensor:
    u = (theta.abs() + eps) ** (1.0 / c2)
    return (2.0 * torch.sigmoid(c1 * u) - 1.0).mean()


def lambda_max(sparsity: float | None, c_lambda: float) -> float:
    """:math:`\\lambda(s) = c_\\lambda (1/s - 1)` (:eq:`arnet-lambda`, paper §3.3.1); 0 when
    ``sparsity`` is ``None`` or 1.

    ``sparsity`` is the estimated density of non-zero weights, in (0, 1]; ``c_lambda >= 0``.
    """
    c_lambda = real("c_lambda", c_lambda, low=0.0)
    if sparsity is None:
        return 0.0
    sparsity = real("sparsity", sparsity, low=0.0, high=1.0, low_open=True)
    return c_lambda * (1.0 / sparsity - 1.0)


def lambda_ramp(
    progress: float,
    lam: float,
    ramp: Literal["quadratic", "linear", "none"] = "quadratic",
    ramp_end: float = 0.5,
) -> float:
    """Regularisation weight at training ``progress`` in [0, 1] (the warm-up of the official code).

    ``"quadratic"`` (AR-Net v1.2): :math:`\\lambda \\min(1, t/t_e)^2`, reaching ``lam`` at
    ``ramp_end`` (default half of training). ``"linear"`` (v0.1, NeuralProphet): :math:`\\lambda
    \\min(1, t/t_e)`. ``"none"``: ``lam`` throughout. ``lam`` must be finite and ``>= 0``.
    """
    progress = real("progress", progress, low=0.0, high=1.0 + 1e-9)
    lam = real("lam", lam, low=0.0)
    ramp_end = real("ramp_end", ramp_end, low=0.0, high=1.0, low_open=True)
    one_of("ramp", ramp, RAMPS)
    frac = min(1.0, progress / ramp_end)
    if ramp == "quadratic":
        return lam * frac**2
    if ramp == "linear":
        return lam * frac
    if ramp == "none":
        return lam


# ----------------------------------------------------------------------------------------------
# Metrics (paper §3.4)
# ----------------------------------------------------------------------------------------------


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
    :math:`\\frac1{n-p}\\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2`; ``coef`` and
    ``intercept`` must be finite."""
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


def _require_variation(y: NDArray[np.float64], name: str = "series") -> None:
    if not np.ptp(y) > 0:
        raise ValueError(f"{name} is constant; AR coefficients are not identifiable")


# ----------------------------------------------------------------------------------------------
# Classic AR baselines
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ARFit:
    """A fitted AR(p): ``coef`` (lag 1 first), ``intercept``, the method's name and fit time."""

    coef: NDArray[np.float64]
    intercept: float
    method: str
    seconds: float

    def predict(self, series: ArrayLike) -> NDArray[np.float64]:
        """One-step predictions of ``series[p:]``."""
        return self.intercept + lag_matrix(series, self.coef.size) @ self.coef


def fit_least_squares(series: ArrayLike, p: int) -> ARFit:
    """Classic AR(p) by ordinary least squares with an intercept (``numpy.linalg.lstsq``).

    Solves :math:`\\min_{c, w} \\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2` through the SVD of the
    ``(n - p) × (p + 1)`` design matrix (:eq:`arnet-ls`): :math:`O(n p^2)` time. A constant
    series raises ``ValueError``.
    """
    y = check_series(series, p)
    _require_variation(y)
    start = time.perf_counter()
    design = np.empty((y.size - p, p + 1))
    design[:, 0] = 1.0
    design[:, 1:] = lag_matrix(y, p)
    beta, *_ = np.linalg.lstsq(design, y[p:], rcond=None)
    return ARFit(
        coef=np.asarray(beta[1:], dtype=np.float64).copy(),
        intercept=float(beta[0]),
        method="least squares",
        seconds=time.perf_counter() - start,
    )


def fit_autoreg(series: ArrayLike, p: int) -> ARFit:
    """Classic AR(p) with statsmodels ``AutoReg(series, lags=p, trend="c")`` (conditional OLS).

    A constant series raises ``ValueError``."""
    from statsmodels.tsa.ar_model import AutoReg

    y = check_series(series, p)
    _require_variation(y)
    start = time.perf_counter()
    res = AutoReg(y, lags=p, trend="c").fit()
    params = np.asarray(res.params, dtype=np.float64)
    return ARFit(
        coef=params[1:].copy(),
        intercept=float(params[0]),
        method="statsmodels AutoReg",
        seconds=time.perf_counter() - start,
    )


# ----------------------------------------------------------------------------------------------
# AR-Net
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ARNetHistory:
    """Per-epoch training record: mean data loss (MSE on the standardised series), mean
    regulariser value, the λ used at the epoch's end and the learning rate at its end."""

    mse: NDArray[np.float64]
    reg: NDArray[np.float64]
    lam: NDArray[np.float64]
    lr: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.mse.size)


@dataclass(frozen=True)
class ARNetResult:
    """A fitted AR-Net.

    ``coef`` (length ``p``, lag 1 first) and ``intercept`` are in the units of the input series.
    With hidden layers, ``coef`` is the network's gradient averaged over the training rows (the
    coefficients of the linear model it behaves like on the data) and ``intercept`` that linear
    model's intercept; ``model`` (on the standardised series) holds the network itself. ``lambda_max`` is :math:`\\lambda(s)`, ``sparsity`` the ``s`` used,
    ``batch_size`` and ``peak_lr`` the mini-batch size and peak learning rate used. The fit always
    runs its whole schedule; ``converged`` (always ``True``) remains only as a deprecated alias.
    """

    coef: NDArray[np.float64]
    intercept: float
    history: ARNetHistory
    lambda_max: float
    sparsity: float | None
    epochs: int
    seconds: float
    model: nn.Module
    c_lambda: float = math.nan
    batch_size: int = 0
    peak_lr: float = math.nan

    @property
    def converged(self) -> bool:
        """Deprecated: always ``True`` (the fit has no early stop since ``tol`` was removed)."""
        warnings.warn(
            "ARNetResult.converged is always True and will be removed",
            DeprecationWarning,
            stacklevel=2,
        )
        return True

    def predict(self, series: ArrayLike) -> NDArray[np.float64]:
        """One-step predictions of ``series[p:]`` by the linear part (exact for ``hidden=()``)."""
        return self.intercept + lag_matrix(series, self.coef.size) @ self.coef


def _build_net(p: int, hidden: Sequence[int]) -> nn.Module:
    if not hidden:
        return nn.Linear(p, 1)
    layers: list[nn.Module] = []
    width = p
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def _first_linear(net: nn.Module) -> nn.Linear:
    for m in net.modules():
        if isinstance(m, nn.Linear):
            return m
    raise AssertionError("no linear layer")  # pragma: no cover


def _standardise(y: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, float]:
    """``(y - m)/σ``, ``m`` and ``σ``, computed without overflow for huge-scale series."""
    scale = float(np.max(np.abs(y)))
    if not np.ptp(y) > 0:
        raise ValueError("series is constant; AR coefficients are not identifiable")
    u = y / scale
    mean_u, std_u = float(u.mean()), float(u.std())
    if not std_u > 0:
        raise ValueError("series is constant; AR coefficients are not identifiable")
    return (u - mean_u) / std_u, mean_u * scale, std_u * scale


def paper_c_lambda(series: ArrayLike, p: int) -> float:
    r"""The paper's rule :math:`c_\lambda = \sqrt{\hat L}/100` (§3.3.1) on the standardised series.

    :math:`\hat L` is the estimated noise variance of the data, taken as the residual mean square
    of a least-squares AR fit of order ``min(p, 100)`` to the standardised series (the loss
    AR-Net is trained on). This is what ``fit_arnet(..., c_lambda="paper")`` uses.
    """
    y = check_series(series, p)
    z, _, _ = _standardise(y)
    q = min(positive_int("p", p), 100)
    design = np.empty((z.size - q, q + 1))
    design[:, 0] = 1.0
    design[:, 1:] = lag_matrix(z, q)
    beta, *_ = np.linalg.lstsq(design, z[q:], rcond=None)
    loss = float(np.mean((z[q:] - design @ beta) ** 2))
    return math.sqrt(loss) / 100.0


def auto_batch_size(n_rows: int) -> int:
    r"""The default mini-batch size for ``n_rows`` training rows:
    :math:`B = 2^{\mathrm{round}(\log_2 \sqrt{2n})}`, clipped to
    [:data:`MIN_AUTO_BATCH`, :data:`MAX_AUTO_BATCH`].

    About :math:`\sqrt{n/2}` steps per epoch: batch 32 at ``n = 10^3`` (the small-data problem),
    128 at ``10^4`` and 512 at ``10^5``. The batch grows with ``n``, so the loop's per-step
    overhead is spread over more rows, but more slowly than ``n``: the sparse fit needs a few
    thousand steps to settle its near-zero weights (with 2048 rows per step, 490 steps, it left
    off-support weights of 0.02 at ``p = 100``).
    """
    n_rows = positive_int("n_rows", n_rows)
    b = 2 ** round(math.log2(math.sqrt(2.0 * n_rows)))
    return int(min(MAX_AUTO_BATCH, max(MIN_AUTO_BATCH, b)))


def scaled_lr(lr: float, batch_size: int) -> float:
    r"""The peak learning rate for a batch of ``batch_size``:
    :math:`\eta\,\max(1, \sqrt{B / B_0})` with :math:`B_0 =` :data:`LR_REFERENCE_BATCH`.

    ``lr`` is the peak rate at batches up to :math:`B_0`; above it the rate grows with the square
    root of the batch, which keeps the variance of a step's gradient noise times the rate squared
    constant (the usual rule for Adam-type optimisers).
    """
    lr = positive_real("lr", lr)
    batch_size = positive_int("batch_size", batch_size)
    return lr * max(1.0, math.sqrt(batch_size / LR_REFERENCE_BATCH))


def fit_arnet(
    series: ArrayLike,
    p: int,
    sparsity: float | None = None,
    epochs: int = 10,
    *,
    batch_size: int | None = Config.batch_size,
    lr: float = Config.lr,
    c_lambda: float | Literal["paper"] = Config.c_lambda,
    c1: float = 3.0,
    c2: float = 3.0,
    reg_eps: float = Config.reg_eps,
    ramp: Ramp = "quadratic",
    ramp_end: float = 0.5,
    schedule: Schedule = "one-cycle",
    hidden: Sequence[int] = (),
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    threads: int | None = 1,
) -> ARNetResult:
    r"""Fit AR-Net (paper §3.3, :eq:`arnet-reg`) to ``series`` with model order ``p``.

    Loss per mini-batch: :math:`\mathrm{MSE} + \lambda(t)\,R(\theta)` with ``R`` from
    :func:`sparsity_regularizer` on the first layer's weights and :math:`\lambda(t)` from
    :func:`lambda_ramp` rising to :func:`lambda_max`\ ``(sparsity, c_lambda)``; ``sparsity=None``
    fits the plain (dense) AR-Net. ``c_lambda="paper"`` applies the paper's rule
    :math:`c_\lambda = \sqrt{\hat L}/100` (:func:`paper_c_lambda`); the numeric default is the
    chapter's :attr:`Config.c_lambda`, as are ``batch_size``, ``lr`` and ``reg_eps``.

    The series is standardised before training (AR coefficients are invariant to scale, and the
    paper's constants assume normalised data); the intercept is mapped back. Optimiser:
    ``torch.optim.AdamW`` (no weight decay, fused step) with a ``OneCycleLR`` schedule, as the
    official v1.2 code (one-cycle) does, peaking at :func:`scaled_lr`\ ``(lr, batch_size)``; a
    schedule shorter than :data:`MIN_ONE_CYCLE_STEPS` steps runs at that constant rate. The fit
    always runs the whole schedule (``epochs`` epochs): stopping early would take the weights
    mid-anneal, at a high learning rate. ``schedule="constant"`` trains at the constant rate
    instead (the baseline of the chapter's learning-rate sweep).

    ``batch_size=None`` (the default) picks :func:`auto_batch_size` of the number of rows. The
    loop is lean: the ``(n - p) × p`` design matrix is a strided view of the (reversed) series,
    never copied; a mini-batch gathers its rows from it; the shuffles of every epoch are drawn
    before training.

    ``device`` defaults to the CPU, which is faster than a GPU for one linear layer at these
    sizes; pass ``theorybook.runtime.device()`` to use a GPU. ``threads``: torch's intra-op
    threads during training (through :func:`theorybook.runtime.torch_threads`, restored
    afterwards; ``None`` leaves the count alone). The default 1 is fastest: each step's tensors
    are too small to gain from threads, and on a loaded machine a second thread made a
    ``p = 300`` epoch about ten times slower.

    Raises
    ------
    TypeError
        for a non-integer count or seed, or a non-numeric series or constant.
    ValueError
        for a bad series (too short, constant, NaN/inf, not 1-D) or parameter, or an unknown
        device.
    TrainingDiverged
        when a step's loss is NaN/inf or above :data:`STEP_GROWTH_LIMIT` times the first
        step's (naming that step), or
        when an epoch's mean data loss grows past :data:`GROWTH_LIMIT` times the first step's
        (training made the fit much worse: lower ``lr``).
    """
    y = check_series(series, p)
    p = positive_int("p", p)
    epochs = positive_int("epochs", epochs)
    n_rows = y.size - p
    batch = (
        auto_batch_size(n_rows) if batch_size is None else positive_int("batch_size", batch_size)
    )
    batch = min(batch, n_rows)
    peak_lr = scaled_lr(lr, batch)
    c1, c2 = _check_c(c1, c2)
    reg_eps = real("reg_eps", reg_eps, low=0.0)
    one_of("schedule", schedule, SCHEDULES)
    ramp_end = real("ramp_end", ramp_end, low=0.0, high=1.0, low_open=True)
    one_of("ramp", ramp, RAMPS)
    hidden_t = tuple(positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden))
    seed_value = seed_check("seed", seed)
    if isinstance(c_lambda, str):
        one_of("c_lambda", c_lambda, ("paper",))
        c_value = paper_c_lambda(y, p)
    else:
        c_value = real("c_lambda", c_lambda, low=0.0)
    lam_top = lambda_max(sparsity, c_value)
    if device is None:
        dev = torch.device("cpu")
    elif isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        try:
            dev = resolve_device(device)
        except ValueError as err:
            raise ValueError(
                f"device={device!r} is not usable here: use 'cpu', or 'cuda'/'cuda:N' when "
                f"CUDA is available ({err})"
            ) from None
    else:
        raise TypeError(f"device must be a torch.device, a string or None, got {device!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    if threads is not None:
        threads = positive_int("threads", threads)
    with torch_threads(threads):
        return _train(
            y,
            p,
            sparsity,
            epochs=epochs,
            batch_size=batch,
            lr=peak_lr,
            c_value=c_value,
            lam_top=lam_top,
            c1=c1,
            c2=c2,
            reg_eps=reg_eps,
            ramp=ramp,
            ramp_end=ramp_end,
            schedule=schedule,
            hidden_t=hidden_t,
            seed_value=seed_value,
            dev=dev,
            dtype=dtype,
        )


def _lambda_schedule(
    total_steps: int, lam_top: float, ramp: Ramp, ramp_end: float
) -> NDArray[np.float64]:
    """:func:`lambda_ramp` at every step ``t / total_steps``, vectorised."""
    frac = np.minimum(1.0, np.arange(total_steps) / total_steps / ramp_end)
    if ramp == "quadratic":
        return lam_top * frac**2
    if ramp == "linear":
        return lam_top * frac
    return np.full(total_steps, lam_top)


def _train(
    y: NDArray[np.float64],
    p: int,
    sparsity: float | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    c_value: float,
    lam_top: float,
    c1: float,
    c2: float,
    reg_eps: float,
    ramp: Ramp,
    ramp_end: float,
    schedule: Schedule,
    hidden_t: tuple[int, ...],
    seed_value: int,
    dev: torch.device,
    dtype: torch.dtype,
) -> ARNetResult:
    """The training loop of :func:`fit_arnet`, on validated arguments (``lr`` is the peak)."""

    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed_value)
    torch.manual_seed(seed_value)
    zs, mean, std = _standardise(y)
    # reversed series r: its window k is (z[N-1-k], ..., z[N-p-k]), the lags of target z[N-k];
    # row j of the design (target z[N-1-j] = r[j]) is window j + 1: a strided view, no copy
    r = torch.as_tensor(zs[::-1].copy(), dtype=dtype, device=dev)
    n_rows = y.size - p
    design = r.unfold(0, p, 1)[1 : n_rows + 1]
    target = r[:n_rows]
    steps_per_epoch = math.ceil(n_rows / batch_size)
    total_steps = steps_per_epoch * epochs
    perms = torch.stack([torch.randperm(n_rows, generator=gen) for _ in range(epochs)]).to(dev)
    lam_steps = _lambda_schedule(total_steps, lam_top, ramp, ramp_end).tolist()

    net = _build_net(p, hidden_t).to(device=dev, dtype=dtype)
    first = _first_linear(net)
    opt = _adamw(net, lr, dev)
    sched: torch.optim.lr_scheduler.LRScheduler | None = None
    if schedule == "one-cycle" and total_steps >= MIN_ONE_CYCLE_STEPS:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=lr,
            total_steps=total_steps,
            pct_start=0.25,
            div_factor=25.0,
            final_div_factor=1e4,
        )
    forward = (lambda x: F.linear(x, first.weight, first.bias)) if not hidden_t else net
    mse_hist: list[float] = []
    reg_hist: list[float] = []
    lam_hist: list[float] = []
    lr_hist: list[float] = []
    step = 0
    first_loss = math.inf
    where = f"AR-Net (peak lr = {lr:g})"
    for epoch in range(epochs):
        perm = perms[epoch]
        sum_mse = 0.0
        sum_reg = 0.0
        lam = 0.0
        for b in range(steps_per_epoch):
            idx = perm[b * batch_size : (b + 1) * batch_size]
            pred = forward(design[idx]).squeeze(-1)
            mse = torch.mean((pred - target[idx]) ** 2)
            lam = lam_steps[step]
            if lam_top > 0:
                reg = _penalty(first.weight, c1, c2, reg_eps)
                loss = mse + lam * reg
            else:
                reg = None
                loss = mse
            step += 1
            value = check_finite_loss(loss, step=step, where=f"{where}, epoch {epoch + 1}")
            mse_value = value if reg is None else float(mse.detach())
            if step == 1:
                first_loss = mse_value
            elif value > STEP_GROWTH_LIMIT * max(first_loss, 1.0):
                raise TrainingDiverged(
                    f"{where} diverged at step {step} (epoch {epoch + 1}): loss = {value:.3g} "
                    f"on the standardised series, over {STEP_GROWTH_LIMIT:g}× the first "
                    f"step's {first_loss:.3g}; lower lr"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            sum_mse += mse_value * idx.numel()
            if reg is not None:
                sum_reg += float(reg.detach())
        epoch_mse = sum_mse / n_rows
        if epoch_mse > GROWTH_LIMIT * max(first_loss, 1.0):
            raise TrainingDiverged(
                f"{where} diverged in epoch {epoch + 1} (by step {step}): mean data loss "
                f"{epoch_mse:.3g} on the standardised series, over {GROWTH_LIMIT:g}× the "
                f"first step's {first_loss:.3g}; lower lr"
            )
        mse_hist.append(epoch_mse)
        reg_hist.append(sum_reg / steps_per_epoch)
        lam_hist.append(lam)
        lr_hist.append(float(opt.param_groups[0]["lr"]))
    net.eval()
    if not hidden_t:
        w = first.weight.detach().double().cpu().numpy().ravel()
        b0 = float(first.bias.detach().double().cpu())
    else:
        w, b0 = _mean_linearisation(net, design)
    intercept = standardised_intercept(b0, w, mean=mean, std=std)
    hist = ARNetHistory(
        mse=np.asarray(mse_hist),
        reg=np.asarray(reg_hist),
        lam=np.asarray(lam_hist),
        lr=np.asarray(lr_hist),
    )
    return ARNetResult(
        coef=w,
        intercept=intercept,
        history=hist,
        lambda_max=lam_top,
        sparsity=sparsity,
        epochs=len(mse_hist),
        seconds=time.perf_counter() - start,
        model=net.cpu(),
        c_lambda=c_value,
        batch_size=batch_size,
        peak_lr=lr,
    )


def _mean_linearisation(net: nn.Module, design: torch.Tensor) -> tuple[NDArray[np.float64], float]:
    r"""The network's average local AR coefficients over the training rows,
    :math:`\bar w = \frac1n \sum_t \nabla f(x_t)`, and the intercept
    :math:`b_0 = \overline{f(x)} - \bar w^\top \bar x` of the matching linear model.

    A ReLU network's gradient at one point (say the mean) jumps at its kinks; the average over
    the data is the coefficient vector of the linear model it behaves like on the data.
    """
    x = design.detach().clone().requires_grad_(True)
    out = net(x).squeeze(-1)
    out.sum().backward()
    assert x.grad is not None
    w = x.grad.double().mean(dim=0).cpu().numpy()
    x_mean = x.detach().double().mean(dim=0).cpu().numpy()
    b0 = float(out.detach().double().mean()) - float(x_mean @ w)
    return w, b0


def _adamw(net: nn.Module, lr: float, dev: torch.device) -> torch.optim.AdamW:
    """AdamW without weight decay, with the fused step where torch has one for ``dev``."""
    try:
        return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0, fused=True)
    except (RuntimeError, ValueError):  # pragma: no cover - no fused kernel for this device
        return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0, foreach=True)


def standardised_intercept(b0: float, coef: ArrayLike, *, mean: float, std: float) -> float:
    r"""The intercept in series units of a fit on the standardised series ``z = (y - m)/σ``.

    :math:`z_t = b_0 + \sum_i w_i z_{t-i}` is :math:`y_t = \sigma b_0 + m(1 - \sum_i w_i) +
    \sum_i w_i y_{t-i}`: the coefficients are unchanged, the intercept is
    :math:`\sigma b_0 + m (1 - \sum_i w_i)`.
    """
    w = array("coef", coef, ndim=1)
    b0 = real("b0", b0)
    std = positive_real("std", std)
    mean = real("mean", mean)
    return std * b0 + mean * (1.0 - float(w.sum()))
