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
from collections.abc import Sequence
from typing import Annotated

import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from theorybook.boundary import FiniteReal, IntRange, NonNegativeInt, PositiveInt, Seed, checked
from theorybook.distill.config import Training
from theorybook.training import DivergenceGuard, TrainingDiverged, adam, train_loop
from theorybook.validation import matches_module

__all__ = [
    "WEIGHT_GROWTH",
    "distillation_loss",
    "make_mlp",
    "parameter_norm_penalty",
    "predict_proba",
    "train_student",
]


#: A student whose largest weight grows past ``WEIGHT_GROWTH × max(largest initial weight, 1)``
#: has diverged. Its loss cannot show it: softmax outputs are bounded, so the loss of
#: :eq:`distill-deep-loss` stays below 2 while Adam at a huge learning rate (each step moves a
#: weight by about the learning rate) throws the weights away.
WEIGHT_GROWTH = 1e6


def _largest_weight(params: Sequence[Tensor]) -> float:
    return max(float(p.detach().abs().max()) for p in params)


@checked
def make_mlp(
    in_features: PositiveInt,
    n_classes: Annotated[int, IntRange(low=2)],
    *,
    hidden: PositiveInt,
    depth: PositiveInt = 2,
) -> nn.Module:
    """A ReLU multilayer perceptron with ``depth`` hidden layers of width ``hidden``."""
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


@checked
def distillation_loss(
    logits: Float[Tensor, "n c"],
    onehot: Float[Tensor, "n c"],
    teacher_probs: Float[Tensor, "n c"] | None,
    alpha: FiniteReal,
) -> Float[Tensor, ""]:
    """``α·MSE(softmax(logits), onehot) + (1 − α)·MSE(softmax(logits), teacher_probs)``.

    :eq:`distill-deep-loss`. MSE is the mean over samples and classes
    (``torch.nn.functional.mse_loss``). ``α`` is any finite real: the estimate of
    :eq:`distill-alpha-hat` (:func:`~theorybook.distill.alpha.optimal_alpha` with
    ``clip=False``) is unconstrained, and an ``α > 1`` gives the teacher term a negative weight (the student extrapolates away from the teacher); the loss
    stays bounded because softmax outputs are. With ``alpha = 1`` the teacher is unused and may
    be ``None``. The targets are converted to the logits' dtype and device. Raises
    ``TypeError`` for non-tensors or shapes that differ and ``ValueError`` for non-finite
    tensors, a non-finite ``α`` or a missing teacher. :func:`train_student`'s loop calls the
    unchecked :func:`_distillation_loss`, where a NaN loss reaches the divergence guard.
    """
    if alpha != 1.0 and teacher_probs is None:
        raise ValueError("alpha != 1 needs teacher_probs with the shape of logits")
    return _distillation_loss(logits, onehot, teacher_probs, alpha)


def _distillation_loss(
    logits: Tensor, onehot: Tensor, teacher_probs: Tensor | None, alpha: float
) -> Tensor:
    """:func:`distillation_loss` without the checks (the training loop's, once per step)."""
    import torch.nn.functional as F

    p = F.softmax(logits, dim=1)
    loss = alpha * F.mse_loss(p, onehot.to(p))
    if alpha != 1.0 and teacher_probs is not None:
        loss = loss + (1.0 - alpha) * F.mse_loss(p, teacher_probs.to(p))
    return loss


@checked
def parameter_norm_penalty(model: nn.Module) -> Float[Tensor, ""]:
    """``Σ_W ‖W‖₂`` over the parameter tensors of ``model`` (the official code's regulariser).

    The authors' ``self_distiller.py`` adds ``reg_coef · Σ_W ‖W‖₂`` to the loss (each tensor's
    Euclidean norm, not squared, so it is not Adam's ``weight_decay``); ``train_student``
    multiplies it by :attr:`Training.reg_coef <theorybook.distill.config.Training>` (through
    the unchecked :func:`_parameter_norm_penalty`, once per optimiser step). Raises
    ``ValueError`` for a model without parameters.
    """
    if next(iter(model.parameters()), None) is None:
        raise ValueError("model has no parameters")
    return _parameter_norm_penalty(model)


def _parameter_norm_penalty(model: nn.Module) -> Tensor:
    """:func:`parameter_norm_penalty` without the checks (the training loop's)."""
    norms = [torch.linalg.vector_norm(p) for p in model.parameters()]
    return torch.stack(norms).sum()


@checked
def train_student(
    X: Float[Tensor, "n f"],
    y: Int[Tensor, " n"],
    teacher_probs: Float[Tensor, "n c"] | None,
    alpha: FiniteReal,
    *,
    training: Training = Training(),
    init_seed: Seed,
    step: NonNegativeInt = 1,
) -> nn.Module:
    """Train one student with :func:`distillation_loss` and return it (in eval mode).

    The loss adds ``training.reg_coef · Σ_W ‖W‖₂`` (:func:`parameter_norm_penalty`). Each
    optimiser step is one minibatch, run by :func:`theorybook.training.train_loop`: a loss that
    is not finite or has grown 10⁶-fold raises :class:`~theorybook.training.TrainingDiverged`
    naming the distillation ``step``, ``α`` and the optimiser step, and so does a weight that
    has grown :data:`WEIGHT_GROWTH`-fold (the loss is bounded, so a learning rate of 10⁶ shows
    only in the weights).

    Arguments:
        X: the inputs ``(n, features)``, float32 or float64 (the model takes ``X``'s dtype and
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
    import torch.nn.functional as F

    a = alpha
    if X.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"X must be float32 or float64 (the model's dtype), got {X.dtype}")
    if y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.device != X.device:
        raise TypeError(f"y is on {y.device} but X is on {X.device}; move one of them")
    if teacher_probs is not None:
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
    opt = adam(model.parameters(), lr=training.lr, weight_decay=training.weight_decay)
    params = list(model.parameters())
    weight_limit = WEIGHT_GROWTH * max(_largest_weight(params), 1.0)
    where = f"student of distillation step {step} (α = {a:g})"
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
        loss = _distillation_loss(model(X[idx]), onehot[idx], tp, a)
        if training.reg_coef > 0.0:
            loss = loss + training.reg_coef * _parameter_norm_penalty(model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        largest = _largest_weight(params)
        if not largest <= weight_limit:
            raise TrainingDiverged(
                f"{where} diverged at step {t}: a weight reached {largest:.3g}, more than "
                f"{WEIGHT_GROWTH:g}× the initial scale; lower the learning rate"
            )
        return loss

    model.train()
    train_loop(
        one_step,
        training.epochs * batches,
        desc=where,
        guard=DivergenceGuard(where=where),
        start=0,
        parameters=params,
    )
    model.eval()
    return model


@checked
def predict_proba(model: nn.Module, X: Float[Tensor, "n f"]) -> Float[Tensor, "n c"]:
    """Softmax outputs of ``model`` on ``X`` (no gradient).

    ``X`` must have the model's dtype and device (``TypeError``) and fit its input layer: an
    error of the forward pass (a feature count the model does not take) is raised as
    ``ValueError`` naming ``X``.
    """
    matches_module("X", X, model)
    with torch.no_grad():
        try:
            logits = model(X)
        except RuntimeError as err:
            raise ValueError(f"X of shape {tuple(X.shape)} does not fit the model: {err}") from None
        return torch.softmax(logits, dim=1)
