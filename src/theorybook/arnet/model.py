"""AR-Net and the classic-AR baselines (chapter 6, {cite}`triebe2019arnet`).

AR-Net is eq. (1) read as a neural network: one linear layer from the ``p`` lags to the next value,
trained by stochastic gradient descent on the mean squared error (paper §3.2). The sparse variant
(paper §3.3.1) adds the regulariser

.. math::  R(\\theta) = \\frac1p \\sum_{i=1}^p \\Big[\\frac{2}{1 + \\exp(-c_1 |\\theta_i|^{1/c_2})} - 1\\Big]
           \\qquad (c_1 = c_2 = 3)

weighted by :math:`\\lambda(s) = c_\\lambda (1/s - 1)`, where ``s`` is the user's estimate of the
fraction of non-zero coefficients. The baselines are ordinary least squares (NumPy ``lstsq``)
and statsmodels ``AutoReg``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from theorybook.arnet.data import check_series, lag_matrix
from theorybook.runtime import TrainingDiverged

__all__ = [
    "ARFit",
    "ARNetHistory",
    "ARNetResult",
    "TrainingDiverged",
    "fit_arnet",
    "fit_autoreg",
    "fit_least_squares",
    "lambda_max",
    "lambda_ramp",
    "one_step_mse",
    "regularizer_derivative",
    "regularizer_terms",
    "sparsity_regularizer",
    "stpe",
]


# ----------------------------------------------------------------------------------------------
# The regulariser, eq. (R) of the chapter (paper §3.3.1)
# ----------------------------------------------------------------------------------------------


def _check_c(c1: float, c2: float) -> None:
    for name, c in (("c1", c1), ("c2", c2)):
        if not (isinstance(c, (int, float)) and math.isfinite(c) and c > 0):
            raise ValueError(f"{name} must be a positive finite number, got {c!r}")


def regularizer_terms(theta: ArrayLike, c1: float = 3.0, c2: float = 3.0) -> NDArray[np.float64]:
    """Per-weight penalty :math:`r(\\theta) = 2/(1 + e^{-c_1 |\\theta|^{1/c_2}}) - 1 = \\tanh(c_1|\\theta|^{1/c_2}/2)`.

    NumPy version for plots and tables; :func:`sparsity_regularizer` is the differentiable mean.
    """
    _check_c(c1, c2)
    x = np.abs(np.asarray(theta, dtype=np.float64))
    return 2.0 / (1.0 + np.exp(-c1 * x ** (1.0 / c2))) - 1.0


def regularizer_derivative(
    theta: ArrayLike, c1: float = 3.0, c2: float = 3.0
) -> NDArray[np.float64]:
    """:math:`r'(|\\theta|) = 2\\sigma(1-\\sigma)\\,\\frac{c_1}{c_2}\\,|\\theta|^{1/c_2 - 1}` with
    :math:`\\sigma = 1/(1 + e^{-c_1|\\theta|^{1/c_2}})`; infinite at 0 when ``c2 > 1``."""
    _check_c(c1, c2)
    x = np.abs(np.asarray(theta, dtype=np.float64))
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
    zero is large but finite (as NeuralProphet's port does); ``eps=0`` gives the paper's formula.
    """
    if not isinstance(theta, torch.Tensor):
        raise TypeError(f"theta must be a torch.Tensor, got {type(theta).__name__}")
    if theta.numel() == 0:
        raise ValueError("theta is empty")
    _check_c(c1, c2)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    u = (theta.abs() + eps) ** (1.0 / c2)
    return (2.0 * torch.sigmoid(c1 * u) - 1.0).mean()


def lambda_max(sparsity: float | None, c_lambda: float) -> float:
    """:math:`\\lambda(s) = c_\\lambda (1/s - 1)` (paper §3.3.1); 0 when ``sparsity`` is ``None`` or 1."""
    if sparsity is None:
        return 0.0
    if not (0.0 < sparsity <= 1.0):
        raise ValueError(
            f"sparsity (estimated density of non-zero weights) must lie in (0, 1], got {sparsity}"
        )
    if not (math.isfinite(c_lambda) and c_lambda >= 0):
        raise ValueError(f"c_lambda must be finite and >= 0, got {c_lambda}")
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
    \\min(1, t/t_e)`. ``"none"``: ``lam`` throughout.
    """
    if not 0.0 <= progress <= 1.0 + 1e-9:
        raise ValueError(f"progress must lie in [0, 1], got {progress}")
    if not 0.0 < ramp_end <= 1.0:
        raise ValueError(f"ramp_end must lie in (0, 1], got {ramp_end}")
    frac = min(1.0, progress / ramp_end)
    if ramp == "quadratic":
        return lam * frac**2
    if ramp == "linear":
        return lam * frac
    if ramp == "none":
        return lam
    raise ValueError(f"ramp must be 'quadratic', 'linear' or 'none', got {ramp!r}")


# ----------------------------------------------------------------------------------------------
# Metrics (paper §3.4)
# ----------------------------------------------------------------------------------------------


def stpe(estimated: ArrayLike, true: ArrayLike) -> float:
    """Symmetric total percentage error of coefficients (paper §3.4):
    :math:`100 \\sum_i |\\hat w_i - w_i| / \\sum_i (|\\hat w_i| + |w_i|)`.

    ``true`` shorter than ``estimated`` is zero-padded (a model order above the true order).
    Ranges over [0, 100] (triangle inequality); 0 means exact, 100 means no overlap
    (e.g. all-zero estimates, or every sign wrong).
    """
    est = np.asarray(estimated, dtype=np.float64)
    tru = np.asarray(true, dtype=np.float64)
    if est.ndim != 1 or tru.ndim != 1:
        raise ValueError(f"stpe needs 1-D arrays, got shapes {est.shape} and {tru.shape}")
    if tru.size > est.size:
        raise ValueError(f"true has {tru.size} lags, more than the {est.size} estimated")
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(tru))):
        raise ValueError("stpe got NaN or inf")
    tru = np.pad(tru, (0, est.size - tru.size))
    denom = np.abs(est).sum() + np.abs(tru).sum()
    if denom == 0:
        return 0.0
    return float(100.0 * np.abs(est - tru).sum() / denom)


def one_step_mse(series: ArrayLike, coef: ArrayLike, intercept: float = 0.0) -> float:
    """One-step-ahead mean squared error of eq. (1) on ``series``:
    :math:`\\frac1{n-p}\\sum_{t>p} (y_t - c - \\sum_i w_i y_{t-i})^2`."""
    w = np.asarray(coef, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"coef must be 1-D, got shape {w.shape}")
    y = check_series(series, w.size)
    resid = y[w.size :] - intercept - lag_matrix(y, w.size) @ w
    return float(np.mean(resid**2))


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
    ``(n - p) × (p + 1)`` design matrix: :math:`O(n p^2)` time.
    """
    y = check_series(series, p)
    start = time.perf_counter()
    design = np.empty((y.size - p, p + 1))
    design[:, 0] = 1.0
    design[:, 1:] = lag_matrix(y, p)
    beta, *_ = np.linalg.lstsq(design, y[p:], rcond=None)
    return ARFit(
        coef=beta[1:].copy(),
        intercept=float(beta[0]),
        method="least squares",
        seconds=time.perf_counter() - start,
    )


def fit_autoreg(series: ArrayLike, p: int) -> ARFit:
    """Classic AR(p) with statsmodels ``AutoReg(series, lags=p, trend="c")`` (conditional OLS)."""
    from statsmodels.tsa.ar_model import AutoReg

    y = check_series(series, p)
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
    With hidden layers, ``coef`` is the network's gradient at the series mean (its local linear
    AR coefficients). ``lambda_max`` is :math:`\\lambda(s)`, ``sparsity`` the ``s`` used.
    """

    coef: NDArray[np.float64]
    intercept: float
    history: ARNetHistory
    lambda_max: float
    sparsity: float | None
    epochs: int
    converged: bool
    seconds: float
    model: nn.Module

    def predict(self, series: ArrayLike) -> NDArray[np.float64]:
        """One-step predictions of ``series[p:]`` by the linear part (exact for ``hidden=()``)."""
        return self.intercept + lag_matrix(series, self.coef.size) @ self.coef


def _build_net(p: int, hidden: Sequence[int]) -> nn.Module:
    if not hidden:
        return nn.Linear(p, 1)
    layers: list[nn.Module] = []
    width = p
    for h in hidden:
        if h < 1:
            raise ValueError(f"hidden layer sizes must be >= 1, got {tuple(hidden)}")
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def _first_linear(net: nn.Module) -> nn.Linear:
    for m in net.modules():
        if isinstance(m, nn.Linear):
            return m
    raise AssertionError("no linear layer")  # pragma: no cover


def fit_arnet(
    series: ArrayLike,
    p: int,
    sparsity: float | None = None,
    epochs: int = 10,
    *,
    batch_size: int = 128,
    lr: float = 1e-2,
    c_lambda: float = 0.02,
    c1: float = 3.0,
    c2: float = 3.0,
    reg_eps: float = 1e-4,
    ramp: Literal["quadratic", "linear", "none"] = "quadratic",
    ramp_end: float = 0.5,
    hidden: Sequence[int] = (),
    tol: float | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> ARNetResult:
    """Fit AR-Net (paper §3.2–3.3) to ``series`` with model order ``p``.

    Loss per mini-batch: :math:`\\mathrm{MSE} + \\lambda(t)\\,R(\\theta)` with ``R`` from
    :func:`sparsity_regularizer` on the first layer's weights and :math:`\\lambda(t)` from
    :func:`lambda_ramp` rising to :func:`lambda_max`\\ ``(sparsity, c_lambda)``; ``sparsity=None``
    fits the plain (dense) AR-Net. The series is standardised before training (AR coefficients are
    invariant to scale, and the paper's constants assume normalised data); the intercept is mapped
    back. Optimiser: ``torch.optim.AdamW`` (no weight decay) with a ``OneCycleLR`` schedule peaking at
    ``lr``, as the official v1.2 code (one-cycle) does. Mini-batches gather lags from the series by
    index, so the ``(n - p) × p`` design matrix is never built.

    ``tol``: stop early when an epoch lowers the data loss by less than ``tol`` (relative);
    ``converged`` is then ``True``. ``device`` defaults to the CPU, which is faster than a GPU for
    one linear layer at these sizes; pass ``theorybook.runtime.device()`` to use a GPU.

    Raises
    ------
    ValueError
        for a bad series (too short, NaN/inf, not 1-D) or parameter.
    TrainingDiverged
        when the loss becomes NaN/inf, naming the epoch and step.
    """
    y = check_series(series, p)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be positive, got {lr}")
    if tol is not None and not tol > 0:
        raise ValueError(f"tol must be positive or None, got {tol}")
    lam_top = lambda_max(sparsity, c_lambda)
    lambda_ramp(0.0, lam_top, ramp, ramp_end)  # validates ramp and ramp_end
    dev = torch.device("cpu") if device is None else torch.device(device)

    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    mean, std = float(y.mean()), float(y.std())
    if std == 0:
        raise ValueError("series is constant; AR coefficients are not identifiable")
    z = torch.as_tensor((y - mean) / std, dtype=dtype, device=dev)
    n_rows = y.size - p
    targets = torch.arange(p, y.size, device=dev)
    offsets = torch.arange(1, p + 1, device=dev)
    batch_size = min(batch_size, n_rows)
    steps_per_epoch = math.ceil(n_rows / batch_size)
    total_steps = steps_per_epoch * epochs

    net = _build_net(p, tuple(hidden)).to(device=dev, dtype=dtype)
    first = _first_linear(net)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=lr,
        total_steps=max(total_steps, 4),
        pct_start=0.25,
        div_factor=25.0,
        final_div_factor=1e4,
    )
    mse_hist: list[float] = []
    reg_hist: list[float] = []
    lam_hist: list[float] = []
    lr_hist: list[float] = []
    converged = False
    step = 0
    for epoch in range(epochs):
        perm = targets[torch.randperm(n_rows, generator=gen).to(dev)]
        sum_mse = torch.zeros((), device=dev, dtype=dtype)
        sum_reg = torch.zeros((), device=dev, dtype=dtype)
        lam = 0.0
        for b in range(steps_per_epoch):
            idx = perm[b * batch_size : (b + 1) * batch_size]
            xb = z[idx[:, None] - offsets[None, :]]
            pred = net(xb).squeeze(-1)
            mse = torch.mean((pred - z[idx]) ** 2)
            lam = lambda_ramp(step / total_steps, lam_top, ramp, ramp_end)
            if lam_top > 0:
                reg = sparsity_regularizer(first.weight, c1, c2, reg_eps)
                loss = mse + lam * reg
            else:
                reg = torch.zeros((), device=dev, dtype=dtype)
                loss = mse
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            sum_mse += mse.detach() * idx.numel()
            sum_reg += reg.detach()
        epoch_mse = float(sum_mse) / n_rows
        if not math.isfinite(epoch_mse):
            raise TrainingDiverged(
                f"AR-Net diverged in epoch {epoch + 1} (step {step}): "
                f"mean loss {epoch_mse}; lower lr (now {lr})"
            )
        mse_hist.append(epoch_mse)
        reg_hist.append(float(sum_reg) / steps_per_epoch)
        lam_hist.append(lam)
        lr_hist.append(float(sched.get_last_lr()[0]))
        if tol is not None and epoch > 0 and (mse_hist[-2] - epoch_mse) < tol * abs(mse_hist[-2]):
            converged = True
            break

    net.eval()
    with torch.no_grad():
        zero = torch.zeros(1, p, device=dev, dtype=dtype)
        if not hidden:
            w = first.weight.detach().double().cpu().numpy().ravel()
            b0 = float(first.bias.detach().double().cpu())
        else:
            b0 = float(net(zero).squeeze())
            w = np.zeros(p)
    if hidden:
        x0 = torch.zeros(1, p, device=dev, dtype=dtype, requires_grad=True)
        net(x0).sum().backward()
        assert x0.grad is not None
        w = x0.grad.detach().double().cpu().numpy().ravel()
    # z_t = b0 + Σ w_i z_{t-i}  with z = (y - m)/σ   =>   y_t = σ b0 + m (1 - Σ w_i) + Σ w_i y_{t-i}
    intercept = std * b0 + mean * (1.0 - float(w.sum()))
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
        converged=converged,
        seconds=time.perf_counter() - start,
        model=net.cpu(),
    )
