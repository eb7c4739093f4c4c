"""Training LPNs: ℓ₂, ℓ₁ and proximal-matching losses and the staged schedule (chapter 3).

The proximal matching loss (paper §3.2, the chapter's eq. ``lpn-pm``) is

.. math::  \\mathcal L_{PM}(\\theta;\\gamma) = \\mathbb E_{x,y}\\big[m_\\gamma(\\|f_\\theta(y)-x\\|_2)\\big],
           \\qquad m_\\gamma(t) = 1 - \\exp(-t^2/\\gamma^2),

the unnormalised form used in practice; the norm is over the whole sample. As γ → 0 its
minimiser tends to the MAP denoiser argmax_c p(c | y) = prox_{−σ² log p_x}(y) (paper §3.2),
whereas ℓ₂ gives E[x | y] and ℓ₁ the posterior median. The schedule pretrains with ℓ₁, then
runs proximal matching with γ decreasing in stages (:func:`paper_schedule`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from theorybook.runtime import TrainingDiverged

__all__ = [
    "LossName",
    "Stage",
    "TrainHistory",
    "TrainingDiverged",
    "loss_value",
    "paper_schedule",
    "proximal_matching_loss",
    "train_lpn",
]

LossName = Literal["l2", "l1", "pm"]


def proximal_matching_loss(pred: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Mean over the batch of m_γ(‖pred − target‖) = 1 − exp(−‖pred − target‖²/γ²) (eq. ``lpn-pm``).

    ``pred`` and ``target`` have the same shape ``(batch, ...)``; the norm runs over all
    non-batch dimensions. Values lie in [0, 1).
    """
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError("pred and target must be torch tensors")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}"
        )
    if pred.ndim < 1 or pred.shape[0] == 0:
        raise ValueError("pred must have a non-empty batch dimension")
    if (
        isinstance(gamma, bool)
        or not isinstance(gamma, (int, float))
        or not math.isfinite(gamma)
        or gamma <= 0
    ):
        raise ValueError(f"gamma must be a positive finite number, got {gamma!r}")
    sq = (pred - target).reshape(pred.shape[0], -1).pow(2).sum(dim=1)
    return (1.0 - torch.exp(-sq / gamma**2)).mean()


def loss_value(
    name: LossName, pred: torch.Tensor, target: torch.Tensor, gamma: float | None = None
) -> torch.Tensor:
    """The training loss ``name``: ``"l2"`` (mean squared error), ``"l1"`` (mean absolute error) or
    ``"pm"`` (:func:`proximal_matching_loss`, needs ``gamma``)."""
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
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
            raise ValueError(f"steps must be an int >= 0, got {self.steps!r}")
        if self.loss not in ("l2", "l1", "pm"):
            raise ValueError(f"loss must be 'l2', 'l1' or 'pm', got {self.loss!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.loss == "pm" and (self.gamma is None or not self.gamma > 0):
            raise ValueError("a proximal-matching stage needs gamma > 0")


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
    """
    if total_steps < 2 * n_stages:
        raise ValueError(f"total_steps must be at least {2 * n_stages}, got {total_steps}")
    pre = total_steps // 2
    per = (total_steps - pre) // n_stages
    stages = [Stage(pre, "l1", lr_pretrain)]
    stages += [
        Stage(per, "pm", lr_pm, gamma_min * 2 ** (n_stages - 1 - i)) for i in range(n_stages)
    ]
    return stages


@dataclass
class TrainHistory:
    """Per-step losses and the stage each step belonged to."""

    losses: list[float] = field(default_factory=list)
    stage_index: list[int] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.losses), np.asarray(self.stage_index)


Sampler = Callable[[], tuple[torch.Tensor, torch.Tensor]]


def train_lpn(
    model: nn.Module,
    sampler: Sampler,
    schedule: Sequence[Stage],
    *,
    project: bool = True,
    progress: bool = False,
    desc: str = "training",
    history: TrainHistory | None = None,
) -> TrainHistory:
    """Train a denoiser ``model`` (y ↦ x̂) on pairs from ``sampler()`` through ``schedule``.

    ``sampler()`` returns ``(clean, noisy)`` tensors of one batch. One Adam optimiser is kept
    across stages; its learning rate is set at the start of each stage. After every step the
    model's ``project_()`` (if it has one and ``project`` is true) restores non-negativity of the
    constrained weights, which keeps an LPN a gradient of a convex function. A non-finite loss
    raises :class:`TrainingDiverged` naming the stage and step.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(sampler):
        raise TypeError("sampler must be a callable returning (clean, noisy)")
    schedule = list(schedule)
    if not schedule or not all(isinstance(s, Stage) for s in schedule):
        raise ValueError("schedule must be a non-empty sequence of Stage")
    history = history if history is not None else TrainHistory()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=schedule[0].lr)
    projector = getattr(model, "project_", None) if project else None
    model.train()
    total = sum(s.steps for s in schedule)
    bar = None
    if progress:
        from theorybook.runtime import progress as progress_bar

        bar = progress_bar(total=total, desc=desc, leave=False)
    offset = len(history.stages)
    for index, stage in enumerate(schedule):
        history.stages.append(stage)
        for group in optimizer.param_groups:
            group["lr"] = stage.lr
        for step in range(stage.steps):
            clean, noisy = sampler()
            loss = loss_value(stage.loss, model(noisy), clean, stage.gamma)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"loss {value} at step {step} of stage {index} "
                    f"({stage.loss}, lr={stage.lr}, gamma={stage.gamma})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if projector is not None:
                projector()
            history.losses.append(value)
            history.stage_index.append(offset + index)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    model.eval()
    return history
