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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from theorybook.training import DivergenceGuard, TrainingHistory, train_loop
from theorybook.validation import callable_, non_negative_int, one_of, positive_int, positive_real

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


def _check_pair(pred: object, target: object) -> None:
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError(
            f"pred and target must be torch tensors, got {type(pred).__name__} and "
            f"{type(target).__name__}"
        )
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)} "
            "(no broadcasting: a loss over mismatched shapes is silently wrong)"
        )
    if pred.ndim < 1 or pred.shape[0] == 0:
        raise ValueError("pred must have a non-empty batch dimension")


def proximal_matching_loss(pred: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Mean over the batch of m_γ(‖pred − target‖) = 1 − exp(−‖pred − target‖²/γ²) (eq. :eq:`lpn-pm`).

    ``pred`` and ``target`` have the same shape ``(batch, ...)``; the norm runs over all
    non-batch dimensions. Values lie in [0, 1).

    Arguments:
        pred: the denoised batch.
        target: the clean batch, the same shape as ``pred``.
        gamma: the scale γ > 0.

    Returns:
        The loss, a scalar tensor.
    """
    _check_pair(pred, target)
    gamma = positive_real("gamma", gamma)
    sq = (pred - target).reshape(pred.shape[0], -1).pow(2).sum(dim=1)
    return (1.0 - torch.exp(-sq / gamma**2)).mean()


def loss_value(
    name: LossName, pred: torch.Tensor, target: torch.Tensor, gamma: float | None = None
) -> torch.Tensor:
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
    one_of("name", name, ("l2", "l1", "pm"))
    _check_pair(pred, target)
    if name == "l2":
        return F.mse_loss(pred, target)
    if name == "l1":
        return F.l1_loss(pred, target)
    if name == "pm":
        if gamma is None:
            raise ValueError("the proximal matching loss needs gamma")
        return proximal_matching_loss(pred, target, gamma)
    raise ValueError(f"unknown loss {name!r}; use 'l2', 'l1' or 'pm'")


@dataclass(frozen=True)
class Stage:
    """One stage of training: ``steps`` Adam steps of loss ``loss`` at learning rate ``lr``."""

    steps: int
    loss: LossName
    lr: float
    gamma: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", non_negative_int("Stage.steps", self.steps))
        one_of("Stage.loss", self.loss, ("l2", "l1", "pm"))
        object.__setattr__(self, "lr", positive_real("Stage.lr", self.lr))
        if self.loss == "pm":
            if self.gamma is None:
                raise ValueError("a proximal-matching stage needs gamma > 0, got None")
            object.__setattr__(self, "gamma", positive_real("Stage.gamma", self.gamma))
        elif self.gamma is not None:
            raise ValueError(f"gamma is only used by 'pm' stages, got gamma={self.gamma!r}")


def paper_schedule(
    total_steps: int,
    gamma_min: float,
    *,
    n_stages: int = 4,
    lr_pretrain: float = 1e-3,
    lr_pm: float = 1e-4,
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
    """
    n_stages = positive_int("n_stages", n_stages)
    total_steps = positive_int("total_steps", total_steps)
    gamma_min = positive_real("gamma_min", gamma_min)
    lr_pretrain = positive_real("lr_pretrain", lr_pretrain)
    lr_pm = positive_real("lr_pm", lr_pm)
    if total_steps < 2 * n_stages:
        raise ValueError(f"total_steps must be at least {2 * n_stages}, got {total_steps}")
    pre = total_steps // 2
    per = (total_steps - pre) // n_stages
    stages = [Stage(pre, "l1", lr_pretrain)]
    stages += [
        Stage(per, "pm", lr_pm, gamma_min * 2 ** (n_stages - 1 - i)) for i in range(n_stages)
    ]
    return stages


def split_schedule(steps: int, loss: LossName, lrs: Sequence[float]) -> list[Stage]:
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
    steps = positive_int("steps", steps)
    if not isinstance(lrs, Sequence) or not lrs:
        raise TypeError(f"lrs must be a non-empty sequence of learning rates, got {lrs!r}")
    part = steps // len(lrs)
    parts = [part] * (len(lrs) - 1) + [steps - part * (len(lrs) - 1)]
    return [Stage(n, loss, lr) for n, lr in zip(parts, lrs, strict=True)]


Sampler = Callable[[], tuple[torch.Tensor, torch.Tensor]]


def _batch(sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor]:
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


def train_lpn(
    model: nn.Module,
    sampler: Sampler,
    schedule: Sequence[Stage],
    *,
    project: bool = True,
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
        progress: show a progress bar.
        desc: the run's name, for the bar and for divergence messages.

    Returns:
        The :class:`~theorybook.training.TrainingHistory`: every step's loss, and under
        ``records["stage"]`` the index of the stage each step belonged to.

    Raises:
        TypeError: for a model that is not an ``nn.Module``, a non-callable sampler, a schedule
            of non-stages, or a sampler that does not return two tensors.
        ValueError: for an empty schedule or a batch whose clean and noisy tensors differ in
            shape.
        TrainingDiverged: at the first step whose loss is NaN, infinite or exploding.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    callable_("sampler", sampler)
    if isinstance(schedule, Stage):
        schedule = [schedule]
    schedule = list(schedule)
    if not schedule:
        raise ValueError("schedule must be a non-empty sequence of Stage")
    if not all(isinstance(s, Stage) for s in schedule):
        raise TypeError("schedule must hold Stage objects only")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=schedule[0].lr)
    projector = getattr(model, "project_", None) if project else None
    plan = [index for index, stage in enumerate(schedule) for _ in range(stage.steps)]
    if not plan:
        return TrainingHistory(losses=(), records={"stage": ()})
    model.train()

    def step(t: int) -> tuple[torch.Tensor, dict[str, float]]:
        index = plan[t - 1]
        stage = schedule[index]
        if t == 1 or plan[t - 2] != index:  # the first step of a stage sets its learning rate
            for group in optimizer.param_groups:
                group["lr"] = stage.lr
        clean, noisy = _batch(sampler)
        loss = loss_value(stage.loss, model(noisy), clean, stage.gamma)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if projector is not None:
            projector()
        return loss, {"stage": index}

    labels = [_stage_label(index, schedule[index]) for index in plan]
    history = train_loop(
        step, len(plan), desc=desc, progress=progress, guard=_StageGuard(desc, labels)
    )
    model.eval()
    return history
