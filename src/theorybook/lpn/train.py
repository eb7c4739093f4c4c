"""Training LPNs: ℓ₂, ℓ₁ and proximal-matching losses and the staged schedule (chapter 3).

The proximal matching loss (paper §3, the chapter's eq. :eq:`lpn-pm`) is

.. math::  \\mathcal L_{PM}(\\theta;\\gamma) = \\mathbb E_{x,y}\\big[m_\\gamma(\\|f_\\theta(y)-x\\|_2)\\big],
           \\qquad m_\\gamma(t) = 1 - \\exp(-t^2/\\gamma^2),

the unnormalised form used in practice; the norm is over the whole sample. As γ → 0 its
minimiser tends to the MAP denoiser argmax_c p(c | y) = prox_{−σ² log p_x}(y) (paper §3),
whereas ℓ₂ gives E[x | y] and ℓ₁ the posterior median. The schedule pretrains with ℓ₁, then
runs proximal matching with γ decreasing in stages (:func:`paper_schedule`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

from theorybook.boundary import NonNegativeInt, PositiveInt, PositiveReal, checked
from theorybook.lpn._types import check_model_input
from theorybook.training import (
    DivergenceGuard,
    TrainingHistory,
    adam,
    channels_last_weights,
    train_loop,
)
from theorybook.validation import real_sequence

__all__ = [
    "LossName",
    "Stage",
    "loss_value",
    "paper_schedule",
    "proximal_matching_loss",
    "split_schedule",
    "train_lpn",
]

LossName = Literal["l2", "l1", "pm"]

Batch = Float[Tensor, "batch *sample"]
"""A batch of denoised or clean samples (any shape after the batch axis)."""


def _proximal_matching_loss(pred: Tensor, target: Tensor, gamma: float) -> Tensor:
    """:func:`proximal_matching_loss` without the checks of its arguments (for training loops)."""
    sq = (pred - target).reshape(pred.shape[0], -1).pow(2).sum(dim=1)
    scale = gamma * gamma  # = gamma**2 as a float, but inf (not OverflowError) for a huge γ
    if scale < torch.finfo(sq.dtype).tiny:
        # γ² underflows in this dtype (γ ≲ 1e−19 in float32): the γ → 0 limit, 1 unless x̂ = x
        return (sq > 0).to(sq.dtype).mean()
    return (1.0 - torch.exp(-sq / scale)).mean()


@checked
def proximal_matching_loss(pred: Batch, target: Batch, gamma: PositiveReal) -> Float[Tensor, ""]:
    """Mean over the batch of m_γ(‖pred − target‖) = 1 − exp(−‖pred − target‖²/γ²) (eq. :eq:`lpn-pm`).

    ``pred`` and ``target`` have the same shape ``(batch, ...)`` (no broadcasting: a loss over
    mismatched shapes is silently wrong); the norm runs over all non-batch dimensions. Values
    lie in [0, 1). The limits of γ are handled: a γ whose square underflows in the dtype of
    ``pred`` gives the γ → 0 limit (1 for each sample with ``pred ≠ target``, 0 otherwise, with
    no gradient), and a huge γ gives 0.

    Arguments:
        pred: the denoised batch.
        target: the clean batch, the same shape as ``pred``.
        gamma: the scale γ > 0.

    Returns:
        The loss, a scalar tensor.
    """
    return _proximal_matching_loss(pred, target, gamma)


def _loss_value(name: str, pred: Tensor, target: Tensor, gamma: float | None) -> Tensor:
    """:func:`loss_value` without the checks of its arguments (for training loops)."""
    if name == "l2":
        return F.mse_loss(pred, target)
    if name == "l1":
        return F.l1_loss(pred, target)
    if gamma is None:
        raise ValueError("the proximal matching loss needs gamma")
    return _proximal_matching_loss(pred, target, gamma)


@checked
def loss_value(
    name: LossName, pred: Batch, target: Batch, gamma: PositiveReal | None = None
) -> Float[Tensor, ""]:
    """The training loss ``name``: ``"l2"`` (mean squared error), ``"l1"`` (mean absolute error) or
    ``"pm"`` (:func:`proximal_matching_loss`, needs ``gamma``).

    Arguments:
        name: ``"l2"``, ``"l1"`` or ``"pm"``.
        pred: the denoised batch.
        target: the clean batch, the same shape as ``pred``.
        gamma: the proximal matching γ (``"pm"`` only).

    Returns:
        The loss, a scalar tensor.
    """
    return _loss_value(name, pred, target, gamma)


@checked
@dataclass(frozen=True)
class Stage:
    """One stage of training: ``steps`` Adam steps of loss ``loss`` at learning rate ``lr``.

    ``gamma`` is the proximal-matching γ: required by ``"pm"`` stages, refused by the others.
    """

    steps: NonNegativeInt
    loss: LossName
    lr: PositiveReal
    gamma: PositiveReal | None = None

    def __post_init__(self) -> None:
        if self.loss == "pm" and self.gamma is None:
            raise ValueError("a proximal-matching stage needs gamma > 0, got None")
        if self.loss != "pm" and self.gamma is not None:
            raise ValueError(f"gamma is only used by 'pm' stages, got gamma={self.gamma!r}")


@checked
def paper_schedule(
    total_steps: PositiveInt,
    gamma_min: PositiveReal,
    *,
    n_stages: PositiveInt = 4,
    lr_pretrain: PositiveReal = 1e-3,
    lr_pm: PositiveReal = 1e-4,
) -> list[Stage]:
    """The paper's image schedule: half the steps ℓ₁ at ``lr_pretrain``, then proximal matching at
    ``lr_pm`` in ``n_stages`` equal stages with γ = γ_min·2^(n_stages−1−i), i.e. γ_min·{8, 4, 2, 1}.

    The paper uses 40,000 steps and γ_min = 0.08·√(number of pixels), a per-pixel RMS of 0.08.

    Arguments:
        total_steps: all the steps (at least 2·``n_stages``).
        gamma_min: the last stage's γ.
        n_stages: the number of proximal-matching stages.
        lr_pretrain: the ℓ₁ stage's learning rate.
        lr_pm: the proximal-matching stages' learning rate.

    Returns:
        The list of :class:`Stage` s.

    Raises:
        ValueError: if ``total_steps`` < 2·``n_stages``, or if the first stage's
            γ = γ_min·2^(n_stages−1) overflows a float.
    """
    if total_steps < 2 * n_stages:
        raise ValueError(
            f"total_steps must be at least 2·n_stages = {2 * n_stages}, got {total_steps}"
        )
    try:  # ldexp(γ, k) = γ·2^k exactly, or OverflowError
        gammas = [math.ldexp(gamma_min, n_stages - 1 - i) for i in range(n_stages)]
    except OverflowError:
        raise ValueError(
            f"gamma_min·2^(n_stages − 1) overflows a float (gamma_min = {gamma_min:g}, "
            f"n_stages = {n_stages})"
        ) from None
    pre = total_steps // 2
    per = (total_steps - pre) // n_stages
    stages = [Stage(pre, "l1", lr_pretrain)]
    stages += [Stage(per, "pm", lr_pm, gamma) for gamma in gammas]
    return stages


@checked
def split_schedule(steps: PositiveInt, loss: LossName, lrs: Sequence[PositiveReal]) -> list[Stage]:
    """``steps`` steps of ``loss`` in equal parts at the learning rates ``lrs``, the last part
    taking the remainder: ``[Stage(s//2, loss, 1e-3), Stage(s − s//2, loss, 1e-4)]`` for
    ``lrs = (1e-3, 1e-4)`` (the Laplace toy's pretraining).

    Arguments:
        steps: all the steps.
        loss: the loss of every stage.
        lrs: the learning rates, one stage each.

    Returns:
        The list of :class:`Stage` s.
    """
    lrs = real_sequence("lrs", lrs, low=0.0, low_open=True)
    part = steps // len(lrs)
    parts = [part] * (len(lrs) - 1) + [steps - part * (len(lrs) - 1)]
    return [Stage(n, loss, lr) for n, lr in zip(parts, lrs, strict=True)]


Sampler = Callable[[], tuple[torch.Tensor, torch.Tensor]]


_FLUSH_DEPTH = [0]


@contextmanager
def _flush_denormals() -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block (``torch.set_flush_denormal``).

    The paper's initialisation of a ConvLPN's constrained weights, exp(N(−10, 0.1)) ≈ 4.5e−5,
    multiplied through the layers of ψ_θ, of its gradient and of a training step's backward pass,
    gives float32 gradient terms below 1.2e−38 in the first steps after initialisation. x86
    CPUs handle such subnormal numbers in microcode, one to two orders of magnitude slower: they
    made those steps' convolution backward passes ~10× slower (a step ~3× slower; after a few
    hundred steps the weights have grown and the effect is gone). Flushing them changes
    a sum only where every term is below 1.2e−38 (float32) or 2.2e−308 (float64); the book's
    training runs give the same losses and weights bit for bit. On other devices, and where
    the CPU cannot flush, this does nothing. Nested blocks are counted; the last one to close
    restores the default (no flushing).
    """
    _FLUSH_DEPTH[0] += 1
    if _FLUSH_DEPTH[0] == 1:
        torch.set_flush_denormal(True)
    try:
        yield
    finally:
        _FLUSH_DEPTH[0] -= 1
        if _FLUSH_DEPTH[0] == 0:
            torch.set_flush_denormal(False)


def _channels_last_batches(sampler: Sampler) -> Sampler:
    """``sampler`` with its 4-D batches in channels-last memory format (others unchanged)."""

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        out = sampler()
        if isinstance(out, tuple | list) and len(out) == 2:
            return tuple(  # type: ignore[return-value]
                t.contiguous(memory_format=torch.channels_last)
                if isinstance(t, torch.Tensor) and t.ndim == 4
                else t
                for t in out
            )
        return out  # malformed: _batch says what is wrong

    return sample


def _batch(sampler: Sampler, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    out = sampler()
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise TypeError(
            f"sampler() must return a (clean, noisy) pair of tensors, got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, tuple | list) else "")
        )
    clean, noisy = out
    if not isinstance(clean, torch.Tensor) or not isinstance(noisy, torch.Tensor):
        raise TypeError("sampler() must return torch tensors (clean, noisy)")
    if clean.shape != noisy.shape:
        raise ValueError(
            f"sampler() returned clean {tuple(clean.shape)} and noisy {tuple(noisy.shape)}: "
            "the shapes must match"
        )
    try:
        check_model_input("noisy", noisy, model)
    except (TypeError, ValueError) as err:
        raise type(err)(f"the model cannot take the batches of sampler(): {err}") from None
    return clean, noisy


class _StageGuard(DivergenceGuard):
    """The loop's divergence guard, naming the schedule's stage of the failing step."""

    def __init__(self, where: str, labels: Sequence[str]) -> None:
        super().__init__(where=where)
        self.labels = list(labels)

    def check(self, loss: object, *, step: int, context: str = "") -> float:
        return super().check(loss, step=step, context=context or self.labels[step - 1])


def _stage_label(index: int, stage: Stage) -> str:
    gamma = f", gamma={stage.gamma:g}" if stage.gamma is not None else ""
    return f"stage {index}: {stage.loss}, lr={stage.lr:g}{gamma}"


@checked
def train_lpn(
    model: nn.Module,
    sampler: Sampler,
    schedule: Stage | Sequence[Stage],
    *,
    project: bool = True,
    channels_last: bool = False,
    progress: bool = False,
    desc: str = "training",
) -> TrainingHistory:
    """Train a denoiser ``model`` (y ↦ x̂) on pairs from ``sampler()`` through ``schedule``.

    ``sampler()`` returns ``(clean, noisy)`` tensors of one batch. One Adam optimiser is kept
    across stages; its learning rate is set at the start of each stage. After every step the
    model's ``project_()`` (if it has one and ``project`` is true) restores non-negativity of the
    constrained weights, which keeps an LPN a gradient of a convex function. The steps run
    through :func:`theorybook.training.train_loop` (numbered from 1 over the whole schedule);
    its guard raises :class:`~theorybook.training.TrainingDiverged` naming the step, the stage
    and the loss when the loss is NaN/inf or has exploded. Each batch is checked: two tensors
    of the same shape.

    Arguments:
        model: the denoiser (an LPN, a ConvLPN or a plain CNN).
        sampler: returns one ``(clean, noisy)`` batch per call.
        schedule: the :class:`Stage` s, in order (a single stage is accepted).
        project: call ``model.project_()`` after every step.
        channels_last: train an image model in PyTorch's channels-last memory format (its
            convolution weights, :func:`theorybook.training.channels_last_weights`, and every
            batch, NHWC in memory); the model is returned in the default format. The arithmetic
            is the same up to rounding (the convolutions sum in another order); on a CPU the
            chapter's networks take faster steps (``benchmarks/bench_lpn.py`` prints the ratios).
        progress: show a progress bar.
        desc: the run's name, for the bar and for divergence messages.

    Returns:
        The :class:`~theorybook.training.TrainingHistory`: every step's loss, and under
        ``records["stage"]`` the index of the stage each step belonged to.

    Raises:
        TypeError: for a model that is not an ``nn.Module``, a non-callable sampler, a schedule
            of non-stages, or a sampler that does not return two tensors (or returns a dtype
            other than the model's).
        ValueError: for an empty schedule or a batch whose clean and noisy tensors differ in
            shape (or that the model cannot take).
        TrainingDiverged: at the first step whose loss is NaN, infinite or exploding.
    """
    if isinstance(schedule, Stage):
        schedule = [schedule]
    schedule = list(schedule)
    if not schedule:
        raise ValueError("schedule must be a non-empty sequence of Stage")
    if not all(isinstance(s, Stage) for s in schedule):
        raise TypeError("schedule must hold Stage objects only")
    plan = [index for index, stage in enumerate(schedule) for _ in range(stage.steps)]
    if not plan:
        return TrainingHistory(losses=(), records={"stage": ()})
    if channels_last:
        sampler = _channels_last_batches(sampler)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = adam(params, lr=schedule[0].lr)
    projector = getattr(model, "project_", None) if project else None
    model.train()

    def step(t: int) -> tuple[torch.Tensor, dict[str, float]]:
        index = plan[t - 1]
        stage = schedule[index]
        if t == 1 or plan[t - 2] != index:  # the first step of a stage sets its learning rate
            for group in optimizer.param_groups:
                group["lr"] = stage.lr
        clean, noisy = _batch(sampler, model)
        loss = _loss_value(stage.loss, model(noisy), clean, stage.gamma)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if projector is not None:
            projector()
        return loss, {"stage": index}

    labels = [_stage_label(index, schedule[index]) for index in plan]
    with _flush_denormals(), channels_last_weights(model) if channels_last else nullcontext():
        history = train_loop(
            step,
            len(plan),
            desc=desc,
            progress=progress,
            guard=_StageGuard(desc, labels),
            parameters=params,
        )
    model.eval()
    return history
