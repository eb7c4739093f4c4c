"""Self-distillation of a small network on scikit-learn's digits, with ground-truth guidance.

Chapter 5 (*Self-distillation with ground-truth guidance*), after Borup & Andersen (2021), whose
deep-network loss is (:eq:`distill-deep-loss`)

    L(θ) = α · MSE(softmax f_θ(x), onehot(y)) + (1 − α) · MSE(softmax f_θ(x), softmax f_teacher(x)),

with the teacher of step ``t + 1`` the frozen student of step ``t``, and the official code's
regulariser ``c · Σ_W ‖W‖₂`` (a sum of the parameter tensors' Euclidean norms, not their squares;
``c = 10⁻⁴`` by default: :func:`parameter_norm_penalty`). We train a multilayer
perceptron with :class:`torch.optim.Adam`; the paper trains ResNets on CIFAR-10 (offline data
forbids CIFAR here). Runs on :func:`theorybook.runtime.device` (CUDA when present). A student's
settings are the :class:`~theorybook.distill.config.Training` block; its optimiser steps run
through the book's one loop, :func:`theorybook.training.train_loop`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from theorybook.distill.config import Training
from theorybook.training import DivergenceGuard, train_loop
from theorybook.validation import non_negative_int, positive_int, real, seed, tensor

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "distillation_loss",
    "make_mlp",
    "parameter_norm_penalty",
    "predict_proba",
    "train_student",
]


def make_mlp(in_features: int, n_classes: int, *, hidden: int, depth: int = 2) -> torch.nn.Module:
    """A ReLU multilayer perceptron with ``depth`` hidden layers of width ``hidden``."""
    from torch import nn

    in_features = positive_int("in_features", in_features)
    n_classes = int(positive_int("n_classes", n_classes))
    hidden = positive_int("hidden", hidden)
    depth = positive_int("depth", depth)
    if n_classes < 2:
        raise ValueError(f"n_classes must be >= 2, got {n_classes}")
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def distillation_loss(
    logits: torch.Tensor, onehot: torch.Tensor, teacher_probs: torch.Tensor | None, alpha: float
) -> torch.Tensor:
    """``α·MSE(softmax(logits), onehot) + (1 − α)·MSE(softmax(logits), teacher_probs)``.

    :eq:`distill-deep-loss`. MSE is the mean over samples and classes
    (``torch.nn.functional.mse_loss``). ``α`` is any finite real: the estimate of
    :func:`~theorybook.distill.alpha.estimate_alpha` is unconstrained, and an ``α > 1`` gives the
    teacher term a negative weight (the student extrapolates away from the teacher); the loss
    stays bounded because softmax outputs are. With ``alpha = 1`` the teacher is unused and may
    be ``None``. Raises ``TypeError`` for non-tensors and ``ValueError`` for shapes that differ
    or a non-finite ``α``.
    """
    import torch.nn.functional as F

    a = real("alpha", alpha)
    tensor("logits", logits, ndim=2, finite=False)
    tensor("onehot", onehot, shape=tuple(logits.shape))
    p = F.softmax(logits, dim=1)
    loss = a * F.mse_loss(p, onehot)
    if a != 1.0:
        if teacher_probs is None:
            raise ValueError("alpha != 1 needs teacher_probs with the shape of logits")
        tensor("teacher_probs", teacher_probs, shape=tuple(logits.shape))
        loss = loss + (1.0 - a) * F.mse_loss(p, teacher_probs)
    return loss


def parameter_norm_penalty(model: torch.nn.Module) -> torch.Tensor:
    """``Σ_W ‖W‖₂`` over the parameter tensors of ``model`` (the official code's regulariser).

    The authors' ``self_distiller.py`` adds ``reg_coef · Σ_W ‖W‖₂`` to the loss (each tensor's
    Euclidean norm, not squared, so it is not Adam's ``weight_decay``); ``train_student``
    multiplies it by :attr:`Training.reg_coef <theorybook.distill.config.Training>`.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    norms = [torch.linalg.vector_norm(p) for p in model.parameters()]
    if not norms:
        raise ValueError("model has no parameters")
    return torch.stack(norms).sum()


def train_student(
    X: torch.Tensor,
    y: torch.Tensor,
    teacher_probs: torch.Tensor | None,
    alpha: float,
    *,
    training: Training = Training(),
    init_seed: int,
    step: int = 1,
) -> torch.nn.Module:
    """Train one student with :func:`distillation_loss` and return it (in eval mode).

    The loss adds ``training.reg_coef · Σ_W ‖W‖₂`` (:func:`parameter_norm_penalty`). Each
    optimiser step is one minibatch, run by :func:`theorybook.training.train_loop`: a loss that
    is not finite or has grown 10⁶-fold raises :class:`~theorybook.training.TrainingDiverged`
    naming the distillation ``step``, ``α`` and the optimiser step.

    Arguments:
        X: the inputs ``(n, features)``, floating point (the model takes ``X``'s dtype and
            device).
        y: integer class labels ``(n,)`` in ``0 … classes − 1``.
        teacher_probs: the teacher's softmax outputs ``(n, classes)``, or ``None`` for ``α = 1``.
        alpha: the weight of the labels, any finite real (see :func:`distillation_loss`).
        training: the student's width, depth, epochs, batch size, learning rate and penalties.
        init_seed: fixes both the initial weights and the minibatch order, so students that
            differ only in ``α`` or in their teacher share their randomness (common random
            numbers).
        step: the distillation step the student belongs to, for the divergence message.

    Returns:
        The trained :class:`torch.nn.Module`, in eval mode.
    """
    import torch
    import torch.nn.functional as F

    a = real("alpha", alpha)
    if not isinstance(training, Training):
        raise TypeError(f"training must be a Training block, got {type(training).__name__}")
    init_seed = seed("init_seed", init_seed)
    step = non_negative_int("step", step)
    tensor("X", X, ndim=2)
    tensor("y", y, ndim=1, floating=False)
    if y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    if teacher_probs is not None:
        tensor("teacher_probs", teacher_probs, ndim=2)
        if teacher_probs.shape[0] != len(X):
            raise ValueError(
                f"teacher_probs must have one row per sample ({len(X)}), got "
                f"{tuple(teacher_probs.shape)}"
            )
        teacher_probs = teacher_probs.to(device=X.device, dtype=X.dtype)
    elif a != 1.0:
        raise ValueError("alpha != 1 needs teacher_probs (the previous step's outputs)")
    n_classes = int(y.max().item()) + 1 if teacher_probs is None else teacher_probs.shape[1]
    if int(y.min().item()) < 0 or int(y.max().item()) >= max(n_classes, 2):
        raise ValueError(
            f"y must hold class labels in 0..{max(n_classes, 2) - 1}, got values in "
            f"[{int(y.min().item())}, {int(y.max().item())}]"
        )

    torch.manual_seed(init_seed)
    model = make_mlp(
        X.shape[1], max(n_classes, 2), hidden=training.hidden, depth=training.depth
    ).to(device=X.device, dtype=X.dtype)
    onehot = F.one_hot(y.long(), num_classes=max(n_classes, 2)).to(X.dtype)
    opt = torch.optim.Adam(model.parameters(), lr=training.lr, weight_decay=training.weight_decay)
    gen = torch.Generator(device="cpu").manual_seed(init_seed + 1)
    n = X.shape[0]
    batches = math.ceil(n / training.batch_size)
    order = torch.empty(0, dtype=torch.long)

    def one_step(t: int) -> torch.Tensor:
        nonlocal order
        b = t % batches
        if b == 0:  # a new epoch: a new minibatch order
            order = torch.randperm(n, generator=gen).to(X.device)
        idx = order[b * training.batch_size : (b + 1) * training.batch_size]
        tp = None if teacher_probs is None else teacher_probs[idx]
        loss = distillation_loss(model(X[idx]), onehot[idx], tp, a)
        if training.reg_coef > 0.0:
            loss = loss + training.reg_coef * parameter_norm_penalty(model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    where = f"student of distillation step {step} (α = {a:g})"
    model.train()
    train_loop(
        one_step,
        training.epochs * batches,
        desc=where,
        guard=DivergenceGuard(where=where),
        start=0,
    )
    model.eval()
    return model


def predict_proba(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Softmax outputs of ``model`` on ``X`` (no gradient)."""
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    tensor("X", X, ndim=2)
    with torch.no_grad():
        return torch.softmax(model(X), dim=1)
