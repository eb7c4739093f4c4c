"""AR-Net's own fit (one linear layer, on the CPU) as one compiled ``lax.scan`` per epoch.

A step of AR-Net is a ``B × p`` gather and two matrix-vector products, tens of microseconds of
arithmetic; eager torch wraps it in about half a millisecond of dispatch (autograd's backward
pass, the optimiser's and the scheduler's per-step bookkeeping, the regulariser's small tensor
operations), so that the fit at ``p = 100``, ``N = 10⁵`` took longer than least squares. Here
each epoch's steps run in one jitted ``jax.lax.scan``: the loss :eq:`arnet-reg` (mean squared
error plus :math:`\\lambda(t) R(\\theta)`, with the regulariser's one formula,
:func:`~theorybook.arnet.regularizer.penalty`), its gradient by ``jax.value_and_grad``, and the
update by ``optax.adamw`` (no weight decay: torch's ``AdamW`` update, term for term). The
learning rate and :math:`\\beta_1` of every step are those of torch's ``OneCycleLR`` (which
also cycles Adam's :math:`\\beta_1` between 0.95 and 0.85), read from the scheduler on a
stand-in optimiser (:func:`schedule_table`) and injected with ``optax.inject_hyperparams``.

The fit starts where the torch trainer starts (the initial weights of torch's ``nn.Linear``
under the fit's seed, the same shuffles, the same :math:`\\lambda` ramp); the two differ by
rounding. The scan is compiled once per process and shape (order ``p``, batch size, steps per
epoch, series length, dense or sparse, float32 or float64): about a second on one core of the
book's machine, paid by the first fit of each shape only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from theorybook.arnet.regularizer import penalty

__all__ = ["ADAM_BETAS", "ScanSteps", "StepValues", "one_cycle", "schedule_table"]

ADAM_BETAS = (0.9, 0.999)
"""Adam's :math:`(\\beta_1, \\beta_2)`: torch's defaults, the constant schedule's :math:`\\beta_1`
(``OneCycleLR`` replaces :math:`\\beta_1` at every step)."""


class StepValues(NamedTuple):
    """What one optimiser step of either trainer reports to :func:`~theorybook.arnet.fit_arnet`'s
    loop: its loss, data loss (MSE) and regulariser value (``None`` without one), the rows of its
    mini-batch, and the learning rate after the step."""

    loss: float
    mse: float
    reg: float | None
    rows: int
    lr: float


def one_cycle(opt: torch.optim.Optimizer, lr: float, total_steps: int) -> Any:
    """torch's ``OneCycleLR`` on ``opt`` as the chapter uses it: peak ``lr`` after a quarter of
    ``total_steps``, from ``lr / 25`` down to ``lr / 25 / 10⁴`` (β1 cycles 0.95 → 0.85 → 0.95)."""
    return torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=lr,
        total_steps=total_steps,
        pct_start=0.25,
        div_factor=25.0,
        final_div_factor=1e4,
    )


@functools.lru_cache(maxsize=64)
def schedule_table(
    lr: float, total_steps: int, cycle: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Learning rate and Adam's :math:`\\beta_1` before each of ``total_steps`` steps and after
    the last (``total_steps + 1`` entries each, read-only).

    With ``cycle`` they are read from :func:`one_cycle` on a stand-in optimiser, stepped as the
    torch trainer steps it; otherwise the rate is ``lr`` and :math:`\\beta_1` torch's 0.9.
    """
    if not cycle:
        rates, betas = np.full(total_steps + 1, lr), np.full(total_steps + 1, ADAM_BETAS[0])
    else:
        opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=lr, weight_decay=0.0)
        sched = one_cycle(opt, lr, total_steps)
        opt.step()  # no gradient, no change: the scheduler expects a step before its own
        group = opt.param_groups[0]
        rates, betas = np.empty(total_steps + 1), np.empty(total_steps + 1)
        for t in range(total_steps + 1):
            rates[t], betas[t] = group["lr"], group["betas"][0]
            if t < total_steps:
                sched.step()
    rates.flags.writeable = betas.flags.writeable = False
    return rates, betas


def _optimiser(dtype: Any) -> Any:
    """``optax.adamw`` without weight decay, its learning rate and β1 set at every step."""
    import optax

    return optax.inject_hyperparams(optax.adamw, hyperparam_dtype=dtype)(
        learning_rate=0.0,
        b1=ADAM_BETAS[0],
        b2=ADAM_BETAS[1],
        eps=1e-8,
        weight_decay=0.0,
    )


@functools.cache
def _compiled_epoch(sparse: bool) -> Callable[..., Any]:
    """The jitted epoch ``(params, opt_state, r, rows, counts, lam, lr, b1, constants) ↦
    (params, opt_state, (loss, mse, reg) per step)`` (one per ``sparse``; XLA caches a program
    per shape)."""
    import jax
    import jax.numpy as jnp
    import optax

    def loss_fn(params: Any, x: Any, target: Any, mask: Any, lam: Any, consts: Any) -> Any:
        err = x @ params["w"] + params["b"] - target
        mse = jnp.sum(jnp.where(mask, err**2, 0.0)) / jnp.sum(mask)
        if not sparse:
            return mse, (mse, jnp.zeros_like(mse))
        reg = penalty(params["w"], *consts, sigmoid=jax.nn.sigmoid)
        return mse + lam * reg, (mse, reg)

    def epoch(
        params: Any, state: Any, r: Any, rows: Any, counts: Any, lam: Any, lr: Any, b1: Any,
        consts: Any,
    ) -> Any:  # fmt: skip
        p, batch = params["w"].shape[0], rows.shape[1]
        opt = _optimiser(params["w"].dtype)

        def body(carry: Any, xs: Any) -> Any:
            params, state = carry
            idx, count, lam_t, lr_t, b1_t = xs
            # design row j holds the lags of target r[j]: r[j + 1 : j + 1 + p]
            x = jax.vmap(lambda j: jax.lax.dynamic_slice(r, (j + 1,), (p,)))(idx)
            mask = jnp.arange(batch) < count
            (value, (mse, reg)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                params, x, r[idx], mask, lam_t, consts
            )
            hyper = {**state.hyperparams, "learning_rate": lr_t, "b1": b1_t}
            updates, state = opt.update(grads, state._replace(hyperparams=hyper), params)
            return (optax.apply_updates(params, updates), state), (value, mse, reg)

        (params, state), out = jax.lax.scan(body, (params, state), (rows, counts, lam, lr, b1))
        return params, state, out

    return jax.jit(epoch)


class ScanSteps:
    """The optimiser steps of AR-Net's own layer, one compiled scan per epoch.

    :func:`~theorybook.arnet.fit_arnet` runs them through :func:`theorybook.training.train_loop`:
    ``steps(t)`` (``t`` from 1) returns step ``t``'s :class:`StepValues`; at an epoch's first
    step it runs the whole epoch and copies the weights it ends with into ``layer`` (so the
    loop's weight check and the returned model see them). A step whose loss is not finite is
    reported as such, and the loop's guard stops the fit there, naming it.

    Arguments:
        r: the reversed standardised series (target of design row ``j``: ``r[j]``; its lags:
            ``r[j + 1 : j + 1 + p]``).
        perms: the shuffle of every epoch, ``(epochs, n_rows)``.
        batch: the mini-batch size.
        lam: :math:`\\lambda` at every step.
        rates: learning rate and β1 before every step and after the last
            (:func:`schedule_table`).
        consts: the regulariser's :math:`(c_1, c_2, \\varepsilon)`; ``None`` for the dense fit.
        layer: the ``nn.Linear(p, 1)`` holding the initial weights.
    """

    def __init__(
        self,
        r: NDArray[np.float64],
        perms: torch.Tensor,
        batch: int,
        lam: NDArray[np.float64],
        rates: tuple[NDArray[np.float64], NDArray[np.float64]],
        consts: tuple[float, float, float] | None,
        layer: nn.Linear,
    ) -> None:
        self.layer = layer
        self.dtype = {torch.float32: np.float32, torch.float64: np.float64}[layer.weight.dtype]
        self.n_rows = perms.shape[1]
        self.batch = batch
        self.per_epoch = math.ceil(self.n_rows / batch)
        pad = self.per_epoch * batch - self.n_rows
        rows = np.pad(perms.numpy().astype(np.int32), ((0, 0), (0, pad)))
        self.rows = rows.reshape(len(rows), self.per_epoch, batch)
        counts = np.full(self.per_epoch, batch, dtype=np.int32)
        counts[-1] = batch - pad
        self.counts = counts
        self.lam, self.rates, self.betas = lam, rates[0], rates[1]
        self.consts = consts
        self.r = r
        self.state: tuple[Any, Any] | None = None
        self.out: tuple[NDArray[Any], ...] = ()

    def _x64(self) -> Any:
        import jax

        return jax.enable_x64(self.dtype == np.float64)

    def _run_epoch(self, epoch: int) -> None:
        import jax.numpy as jnp

        with self._x64():
            if self.state is None:
                params = {
                    "w": jnp.asarray(self.layer.weight.detach().numpy().ravel()),
                    "b": jnp.asarray(self.layer.bias.detach().numpy()[0]),
                }
                self.r_device = jnp.asarray(self.r, dtype=self.dtype)
                self.state = (params, _optimiser(self.dtype).init(params))
            span = slice(epoch * self.per_epoch, (epoch + 1) * self.per_epoch)
            consts = self.consts if self.consts is not None else (1.0, 1.0, 0.0)
            params, opt_state, out = _compiled_epoch(self.consts is not None)(
                *self.state,
                self.r_device,
                self.rows[epoch],
                self.counts,
                self.lam[span].astype(self.dtype),
                self.rates[span].astype(self.dtype),
                self.betas[span].astype(self.dtype),
                tuple(np.asarray(c, dtype=self.dtype) for c in consts),
            )
            self.state = (params, opt_state)
            self.out = tuple(np.asarray(a, dtype=np.float64) for a in out)
            with torch.no_grad():
                self.layer.weight.copy_(torch.from_numpy(np.array(params["w"])).view(1, -1))
                self.layer.bias.copy_(torch.from_numpy(np.array(params["b"])).view(1))

    def __call__(self, t: int) -> StepValues:
        epoch, b = divmod(t - 1, self.per_epoch)
        if b == 0:
            self._run_epoch(epoch)
        loss, mse, reg = (float(a[b]) for a in self.out)
        return StepValues(
            loss=loss,
            mse=mse,
            reg=reg if self.consts is not None else None,
            rows=int(self.counts[b]),
            lr=float(self.rates[t]),
        )
