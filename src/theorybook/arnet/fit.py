"""AR-Net, the auto-regression trained as a network (chapter 6, {cite}`triebe2019arnet` §3.2–3.3).

AR-Net is the auto-regression :eq:`arnet-ar` read as a neural network: one linear layer from the
``p`` lags to the next value, trained by stochastic gradient descent on the mean squared error
(paper §3.2). The sparse variant (paper §3.3.1) adds the regulariser of
:mod:`theorybook.arnet.regularizer`, weighted by :math:`\\lambda(s)`. Every optimiser step runs
through :func:`theorybook.training.train_loop` with a :class:`~theorybook.training.DivergenceGuard`.
AR-Net itself (one layer, on the CPU) trains in compiled scans (:mod:`theorybook.arnet.scan`);
networks with hidden layers, GPUs and other dtypes train step by step in torch.

Length: one concept, the fit: :func:`fit_arnet`, the records it returns and the helpers of its
training loop (batch size, learning-rate scaling, the intercept and the mean linearisation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float64
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from theorybook.arnet.config import Density, Regularizer, Training
from theorybook.arnet.data import (
    Coefficients,
    Series,
    _series,
    _standardise,
    _standardised_intercept,
    lag_matrix,
)
from theorybook.arnet.regularizer import (
    _lambda_schedule,
    _paper_c_lambda,
    lambda_max,
    penalty,
)
from theorybook.arnet.scan import ScanSteps, StepValues, one_cycle, schedule_table
from theorybook.boundary import (
    FiniteReal,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
    checked,
    record,
)
from theorybook.runtime import device as resolve_device
from theorybook.runtime import torch_threads
from theorybook.training import DivergenceGuard, TrainingDiverged, TrainingHistory, train_loop
from theorybook.validation import array, int_in_range

__all__ = [
    "GROWTH_LIMIT",
    "LR_REFERENCE_BATCH",
    "MAX_AUTO_BATCH",
    "MIN_AUTO_BATCH",
    "MIN_ONE_CYCLE_STEPS",
    "STEP_GROWTH_LIMIT",
    "ARNetHistory",
    "ARNetResult",
    "auto_batch_size",
    "fit_arnet",
    "scaled_lr",
    "standardised_intercept",
]

STEP_GROWTH_LIMIT = 100.0
"""A step whose loss exceeds this many times the first step's (and 100: the mean predictor
scores 1 on the standardised series) counts as divergence, named at that step (the growth of the
fit's :class:`~theorybook.training.DivergenceGuard`)."""
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


@record
@dataclass(frozen=True)
class ARNetHistory:
    """Per-epoch training record, built from the :class:`~theorybook.training.TrainingHistory`
    of the loop: mean data loss (MSE on the standardised series), mean regulariser value, the λ
    used at the epoch's end and the learning rate at its end. ``steps`` is the loop's own
    per-step history (the loss of every step)."""

    mse: Float64[np.ndarray, " epochs"]
    reg: Float64[np.ndarray, " epochs"]
    lam: Float64[np.ndarray, " epochs"]
    lr: Float64[np.ndarray, " epochs"]
    steps: TrainingHistory

    def __len__(self) -> int:
        return int(self.mse.size)


@record
@dataclass(frozen=True)
class ARNetResult:
    """A fitted AR-Net.

    ``coef`` (length ``p``, lag 1 first) and ``intercept`` are in the units of the input series.
    With hidden layers, ``coef`` is the network's gradient averaged over the training rows (the
    coefficients of the linear model it behaves like on the data) and ``intercept`` that linear
    model's intercept; ``model`` (on the standardised series) holds the network itself.
    ``lambda_max`` is :math:`\\lambda(s)`, ``sparsity`` the ``s`` used, ``c_lambda`` the constant
    used (the paper's rule resolved to its value), ``batch_size`` and ``peak_lr`` the mini-batch
    size and peak learning rate used. The fit always runs its whole schedule.
    """

    coef: Float64[np.ndarray, " p"]
    intercept: float
    history: ARNetHistory
    lambda_max: NonNegativeReal
    sparsity: Density | None
    epochs: PositiveInt
    seconds: NonNegativeReal
    model: nn.Module
    c_lambda: NonNegativeReal = math.nan
    batch_size: NonNegativeInt = 0
    peak_lr: PositiveReal = math.nan

    def predict(self, series: Series) -> NDArray[np.float64]:
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


@checked
def auto_batch_size(n_rows: PositiveInt) -> int:
    r"""The default mini-batch size for ``n_rows`` training rows:
    :math:`B = 2^{\mathrm{round}(\log_2 \sqrt{2n})}`, clipped to
    [:data:`MIN_AUTO_BATCH`, :data:`MAX_AUTO_BATCH`].

    About :math:`\sqrt{n/2}` steps per epoch: batch 32 at ``n = 10^3`` (the small-data problem),
    128 at ``10^4`` and 512 at ``10^5``. The batch grows with ``n``, so the loop's per-step
    overhead is spread over more rows, but more slowly than ``n``: the sparse fit needs a few
    thousand steps to settle its near-zero weights (with 2048 rows per step, 490 steps, it left
    off-support weights of 0.02 at ``p = 100``). Row counts beyond the float range (Python ints
    are unbounded) get :data:`MAX_AUTO_BATCH`, the cap they would reach anyway.
    """
    if n_rows >= MAX_AUTO_BATCH**2:  # the cap; math.sqrt(2.0 * n) overflows past ~1e308
        return MAX_AUTO_BATCH
    b = 2 ** round(math.log2(math.sqrt(2.0 * n_rows)))
    return int(min(MAX_AUTO_BATCH, max(MIN_AUTO_BATCH, b)))


@checked
def scaled_lr(lr: PositiveReal, batch_size: PositiveInt) -> float:
    r"""The peak learning rate for a batch of ``batch_size``:
    :math:`\eta\,\max(1, \sqrt{B / B_0})` with :math:`B_0 =` :data:`LR_REFERENCE_BATCH`.

    ``lr`` is the peak rate at batches up to :math:`B_0`; above it the rate grows with the square
    root of the batch, which keeps the variance of a step's gradient noise times the rate squared
    constant (the usual rule for Adam-type optimisers). A rate so close to the largest float
    that the scaled rate overflows raises ``NonFiniteResult`` (:mod:`theorybook.boundary`).
    """
    return lr * max(1.0, math.sqrt(batch_size / LR_REFERENCE_BATCH))


@checked
def standardised_intercept(
    b0: FiniteReal, coef: Coefficients, *, mean: FiniteReal, std: PositiveReal
) -> float:
    r"""The intercept in series units of a fit on the standardised series ``z = (y - m)/σ``.

    :math:`z_t = b_0 + \sum_i w_i z_{t-i}` is :math:`y_t = \sigma b_0 + m(1 - \sum_i w_i) +
    \sum_i w_i y_{t-i}`: the coefficients are unchanged, the intercept is
    :math:`\sigma b_0 + m (1 - \sum_i w_i)` (:eq:`arnet-intercept`).

    Arguments:
        b0: the intercept of the fit on the standardised series.
        coef: the fit's coefficients, lag 1 first.
        mean: the series' mean ``m``.
        std: the series' standard deviation ``σ > 0``.

    Returns:
        The intercept in the units of the series.

    Raises:
        NonFiniteResult: (:mod:`theorybook.boundary`) when the intercept overflows the float
            range (``std`` or ``mean`` near the largest float).
    """
    return _standardised_intercept(b0, array("coef", coef, ndim=1), mean=mean, std=std)


def _resolve_device(device: torch.device | str | None) -> torch.device:
    """A usable device: the CPU, or a CUDA device that exists here (else ``ValueError``)."""
    if device is None:
        return torch.device("cpu")
    try:
        dev = resolve_device(str(device))
    except ValueError as err:
        raise ValueError(
            f"device={device!r} is not usable here: use 'cpu', or 'cuda'/'cuda:N' when "
            f"CUDA is available ({err})"
        ) from None
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} is not usable here: there are {torch.cuda.device_count()} "
            "CUDA devices"
        )
    return dev


@checked
def fit_arnet(
    series: Series,
    p: PositiveInt,
    sparsity: Density | None = None,
    epochs: PositiveInt = 10,
    *,
    training: Training = Training(),
    regularizer: Regularizer = Regularizer(),
    hidden: Sequence[PositiveInt] = (),
    seed: Seed = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    threads: PositiveInt | None = 1,
) -> ARNetResult:
    r"""Fit AR-Net (paper §3.3, :eq:`arnet-reg`) to ``series`` with model order ``p``.

    Loss per mini-batch: :math:`\mathrm{MSE} + \lambda(t)\,R(\theta)` with ``R`` the sparsity
    regulariser (:func:`~theorybook.arnet.sparsity_regularizer`) of the first layer's weights and
    :math:`\lambda(t)` the ramp (:func:`~theorybook.arnet.lambda_ramp`) rising to
    :math:`\lambda(s)` (:func:`~theorybook.arnet.lambda_max`\ ``(sparsity, c_lambda)``);
    ``sparsity=None`` fits the plain (dense) AR-Net. ``regularizer.c_lambda="paper"`` applies the
    paper's rule :math:`c_\lambda = \sqrt{\hat L}/100` (:func:`~theorybook.arnet.paper_c_lambda`).
    The defaults of ``training`` and ``regularizer`` are the chapter's constants (the class
    defaults of :class:`~theorybook.arnet.config.Training` and
    :class:`~theorybook.arnet.config.Regularizer`).

    The series is standardised before training (AR coefficients are invariant to scale, and the
    paper's constants assume normalised data); the intercept is mapped back
    (:func:`standardised_intercept`). Optimiser: AdamW (no weight decay) with torch's
    ``OneCycleLR`` schedule (learning rate and Adam's :math:`\beta_1`), as the official v1.2
    code (one-cycle) does, peaking at :func:`scaled_lr`\ ``(lr, batch_size)``; a schedule
    shorter than :data:`MIN_ONE_CYCLE_STEPS` steps runs at that constant rate. The fit always
    runs the whole schedule (``epochs`` epochs): stopping early would take the weights
    mid-anneal, at a high learning rate. ``training.schedule="constant"`` trains at the constant
    rate instead (the baseline of the chapter's learning-rate sweep).

    AR-Net itself (``hidden=()``) on the CPU in float32 or float64 trains in compiled scans
    (:mod:`theorybook.arnet.scan`): each epoch's steps in one jitted ``jax.lax.scan``, the
    gradient by ``jax.value_and_grad``, the update by ``optax.adamw`` at the rates torch's
    ``OneCycleLR`` gives; the first fit of a shape in a process compiles the scan (about a second
    on one core). Networks with hidden layers, GPUs and other dtypes train step by step in torch
    (autograd, ``torch.optim.AdamW`` with its fused step, ``OneCycleLR``). Both start from torch's
    initial weights under ``seed`` with the same shuffles and schedules and agree to rounding
    (which the regulariser amplifies in sparse fits).

    ``training.batch_size=None`` (the default) picks :func:`auto_batch_size` of the number of
    rows. The ``(n - p) × p`` design matrix is never built: a mini-batch gathers its rows from
    the (reversed) series; the shuffles of every epoch are drawn before training. The steps run
    through :func:`theorybook.training.train_loop` (the compiled fit hands it the steps of an
    epoch one by one after the epoch's scan, so a diverged step is named, and the weights it
    checks are those at the end of the epoch).

    Arguments:
        series: the 1-D training series, at least ``2p + 1`` long, not constant.
        p: the model order (number of lags).
        sparsity: the estimated density ``s`` of non-zero weights in ``(0, 1]``, or ``None``
            for no regulariser.
        epochs: passes over the data.
        training: batch size, peak learning rate and schedule.
        regularizer: :math:`c_1, c_2, \varepsilon`, :math:`c_\lambda` and the ramp.
        hidden: widths of hidden ReLU layers (``()``: AR-Net itself, one linear layer).
        seed: seeds the initialisation and the shuffles.
        device: defaults to the CPU, which is faster than a GPU for one linear layer at these
            sizes; pass ``theorybook.runtime.device()`` to use a GPU.
        dtype: the floating-point dtype of the network.
        threads: torch's intra-op threads during training (through
            :func:`theorybook.runtime.torch_threads`, restored afterwards; ``None`` leaves the
            count alone). The default 1 is fastest: each step's tensors are too small to gain
            from threads, and on a loaded machine a second thread made a ``p = 300`` epoch about
            ten times slower. The compiled fit runs on XLA's CPU threads, which follow the
            process's CPU affinity (``os.sched_setaffinity``), not this count.

    Returns:
        The :class:`ARNetResult`.

    Raises:
        TypeError: for a non-integer count or seed, a series that is not a 1-D real NumPy array,
            settings that are not a :class:`~theorybook.arnet.config.Training` /
            ``Regularizer``, or a non-floating ``dtype``.
        ValueError: for a bad series (too short, constant, empty, NaN/inf) or parameter, a
            ``sparsity`` so small that :math:`\lambda(s)` overflows, or a device that is not
            usable here (not the CPU or an existing CUDA device).
        TrainingDiverged: when a step's loss is NaN/inf or above :data:`STEP_GROWTH_LIMIT`
            times the first step's (naming that step), or when an epoch's mean data loss grows
            past :data:`GROWTH_LIMIT` times the first step's (training made the fit much worse:
            lower ``lr``). Regulariser constants so extreme that the penalty has no finite value
            (``c2`` near 0, ``c1`` or ``c_lambda`` near the largest float) stop the same way.
    """
    y = _series(series, p)
    n_rows = y.size - p
    batch = auto_batch_size(n_rows) if training.batch_size is None else training.batch_size
    batch = min(batch, n_rows)
    peak_lr = scaled_lr(training.lr, batch)
    hidden_t = tuple(int_in_range(f"hidden[{i}]", h, low=1) for i, h in enumerate(hidden))
    if isinstance(regularizer.c_lambda, str):
        c_value = _paper_c_lambda(y, p)
    else:
        c_value = regularizer.c_lambda
    lam_top = lambda_max(sparsity, c_value)
    dev = _resolve_device(device)
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
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
            training=training,
            regularizer=regularizer,
            hidden_t=hidden_t,
            seed_value=seed,
            dev=dev,
            dtype=dtype,
        )


@dataclass
class _EpochSums:
    """What the step closure accumulates over an epoch (and the first step's data loss)."""

    mse: float = 0.0
    reg: float = 0.0
    first_mse: float = math.inf


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
    training: Training,
    regularizer: Regularizer,
    hidden_t: tuple[int, ...],
    seed_value: int,
    dev: torch.device,
    dtype: torch.dtype,
) -> ARNetResult:
    """The training of :func:`fit_arnet`, on validated arguments (``lr`` is the peak)."""

    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed_value)
    torch.manual_seed(seed_value)
    zs, mean, std = _standardise(y)
    # reversed series r: its window k is (z[N-1-k], ..., z[N-p-k]), the lags of target z[N-k];
    # row j of the design (target z[N-1-j] = r[j]) is window j + 1: a strided view, no copy
    reversed_z = zs[::-1].copy()
    r = torch.as_tensor(reversed_z, dtype=dtype, device=dev)
    n_rows = y.size - p
    design = r.unfold(0, p, 1)[1 : n_rows + 1]
    steps_per_epoch = math.ceil(n_rows / batch_size)
    total_steps = steps_per_epoch * epochs
    perms = torch.stack([torch.randperm(n_rows, generator=gen) for _ in range(epochs)]).to(dev)
    lam_steps = _lambda_schedule(total_steps, lam_top, regularizer)
    cycle = training.schedule == "one-cycle" and total_steps >= MIN_ONE_CYCLE_STEPS
    consts = (regularizer.c1, regularizer.c2, regularizer.eps) if lam_top > 0 else None

    net = _build_net(p, hidden_t).to(device=dev, dtype=dtype)
    first = _first_linear(net)
    run: Callable[[int], StepValues]
    if _compiled_fit(hidden_t, dev, dtype):
        run = ScanSteps(
            reversed_z, perms, batch_size, lam_steps, schedule_table(lr, total_steps, cycle),
            consts, first,
        )  # fmt: skip
    else:
        run = _torch_steps(
            net, design, r[:n_rows], perms, batch_size, lam_steps.tolist(), lr,
            cycle=cycle, total_steps=total_steps, consts=consts,
        )  # fmt: skip
    where = f"AR-Net (peak lr = {lr:g})"
    sums = _EpochSums()

    def step(t: int) -> float | tuple[float, dict[str, float]]:
        """Optimiser step ``t`` (1-based); at an epoch's end, also that epoch's summary."""
        values = run(t)
        if not math.isfinite(values.loss):
            return values.loss  # the guard stops the run at this step
        epoch, b = divmod(t - 1, steps_per_epoch)
        if t == 1:
            sums.first_mse = values.mse
        sums.mse += values.mse * values.rows
        if values.reg is not None:
            sums.reg += values.reg
        if b < steps_per_epoch - 1:
            return values.loss
        epoch_mse = sums.mse / n_rows
        if epoch_mse > GROWTH_LIMIT * max(sums.first_mse, 1.0):
            raise TrainingDiverged(
                f"{where} diverged at step {t} (end of epoch {epoch + 1}): mean data loss "
                f"{epoch_mse:.3g} on the standardised series, over {GROWTH_LIMIT:g}× the "
                f"first step's {sums.first_mse:.3g}; lower the learning rate"
            )
        summary = {
            "mse": epoch_mse,
            "reg": sums.reg / steps_per_epoch,
            "lam": float(lam_steps[t - 1]),
            "lr": values.lr,
        }
        sums.mse, sums.reg = 0.0, 0.0
        return values.loss, summary

    guard = DivergenceGuard(where=where, growth=STEP_GROWTH_LIMIT, floor=1.0)
    steps = train_loop(
        step, total_steps, desc=where, guard=guard, parameters=list(net.parameters())
    )
    net.eval()
    if not hidden_t:
        w = first.weight.detach().double().cpu().numpy().ravel()
        b0 = float(first.bias.detach().double().cpu())
    else:
        w, b0 = _mean_linearisation(net, design)
    intercept = _standardised_intercept(b0, w, mean=mean, std=std)
    hist = ARNetHistory(
        mse=np.asarray(steps.records["mse"]),
        reg=np.asarray(steps.records["reg"]),
        lam=np.asarray(steps.records["lam"]),
        lr=np.asarray(steps.records["lr"]),
        steps=steps,
    )
    return ARNetResult(
        coef=w,
        intercept=intercept,
        history=hist,
        lambda_max=lam_top,
        sparsity=sparsity,
        epochs=len(hist),
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
    (grad,) = torch.autograd.grad(out.sum(), x)
    w = grad.double().mean(dim=0).cpu().numpy()
    x_mean = x.detach().double().mean(dim=0).cpu().numpy()
    b0 = float(out.detach().double().mean()) - float(x_mean @ w)
    return w, b0


def _adamw(net: nn.Module, lr: float, dev: torch.device) -> torch.optim.AdamW:
    """AdamW without weight decay, with the fused step where torch has one for ``dev``."""
    try:
        return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0, fused=True)
    except (RuntimeError, ValueError):  # pragma: no cover - no fused kernel for this device
        return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0, foreach=True)


def _compiled_fit(hidden: tuple[int, ...], dev: torch.device, dtype: torch.dtype) -> bool:
    """Whether the fit runs as compiled scans (:mod:`theorybook.arnet.scan`): AR-Net's own layer
    (no hidden layers) on the CPU in float32 or float64."""
    return not hidden and dev.type == "cpu" and dtype in (torch.float32, torch.float64)


def _torch_steps(
    net: nn.Module,
    design: torch.Tensor,
    target: torch.Tensor,
    perms: torch.Tensor,
    batch_size: int,
    lam_steps: list[float],
    lr: float,
    *,
    cycle: bool,
    total_steps: int,
    consts: tuple[float, float, float] | None,
) -> Callable[[int], StepValues]:
    """The optimiser steps of a network with hidden layers, on a GPU or in another dtype:
    autograd, ``torch.optim.AdamW`` (:func:`_adamw`) and ``OneCycleLR`` (:func:`one_cycle`)."""
    first = _first_linear(net)
    opt = _adamw(net, lr, design.device)
    sched = one_cycle(opt, lr, total_steps) if cycle else None
    forward = net if not isinstance(net, nn.Linear) else (
        lambda x: F.linear(x, first.weight, first.bias)
    )  # fmt: skip
    steps_per_epoch = math.ceil(design.shape[0] / batch_size)

    def run(t: int) -> StepValues:
        epoch, b = divmod(t - 1, steps_per_epoch)
        idx = perms[epoch][b * batch_size : (b + 1) * batch_size]
        pred = forward(design[idx]).squeeze(-1)
        mse = torch.mean((pred - target[idx]) ** 2)
        reg = None if consts is None else penalty(first.weight, *consts)
        loss = mse if reg is None else mse + lam_steps[t - 1] * reg
        value = float(loss.detach())
        if not math.isfinite(value):  # no update: the guard stops the run at this step
            return StepValues(value, value, None, 0, math.nan)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        return StepValues(
            loss=value,
            mse=value if reg is None else float(mse.detach()),
            reg=None if reg is None else float(reg.detach()),
            rows=idx.numel(),
            lr=float(opt.param_groups[0]["lr"]),
        )

    return run
