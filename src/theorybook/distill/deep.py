"""Self-distillation of a small network on scikit-learn's digits, with ground-truth guidance.

Chapter 5 (*Self-distillation with ground-truth guidance*), after Borup & Andersen (2021), whose
deep-network loss is (eq. ``deep-loss`` of the chapter)

    L(θ) = α · MSE(softmax f_θ(x), onehot(y)) + (1 − α) · MSE(softmax f_θ(x), softmax f_teacher(x)),

with the teacher of step ``t + 1`` the frozen student of step ``t``. We train a multilayer
perceptron with :class:`torch.optim.Adam`; the paper trains ResNets on CIFAR-10 (offline data
forbids CIFAR here). Runs on :func:`theorybook.runtime.device` (CUDA when present).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from theorybook.runtime import TrainingDiverged

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "DigitsSplit",
    "TrainingDiverged",
    "TrainSettings",
    "distillation_loss",
    "load_digits_split",
    "make_mlp",
    "predict_proba",
    "train_student",
]


@dataclass(frozen=True)
class DigitsSplit:
    """Digits features in ``[0, 1]`` (n, 64) and labels, split into train / validation / test.

    ``y_train`` may contain flipped labels (``noisy_fraction`` of them); validation and test
    labels are clean.
    """

    X_train: NDArray[np.float32]
    y_train: NDArray[np.int64]
    X_val: NDArray[np.float32]
    y_val: NDArray[np.int64]
    X_test: NDArray[np.float32]
    y_test: NDArray[np.int64]
    n_classes: int
    noisy_fraction: float


def load_digits_split(
    *, n_train: int, n_val: int, label_noise: float = 0.0, seed: int = 0
) -> DigitsSplit:
    """A seeded stratified split of the 1,797 digits; the test set is what is left.

    ``label_noise`` replaces that fraction of the training labels by a different, uniformly drawn
    class (symmetric label noise), so that regularisation by distillation has something to do.
    """
    from sklearn.model_selection import train_test_split

    from theorybook.data import load_digits_images

    if not 0.0 <= label_noise < 0.9:
        raise ValueError(f"label_noise must lie in [0, 0.9), got {label_noise}")
    digits = load_digits_images(dtype=np.float32)
    X, y = digits.flat, digits.labels
    if n_train < 10 or n_val < 10 or n_train + n_val > len(y) - 10:
        raise ValueError(
            f"need n_train, n_val >= 10 and n_train + n_val <= {len(y) - 10}, "
            f"got {n_train}, {n_val}"
        )
    X_tr, X_rest, y_tr, y_rest = train_test_split(
        X, y, train_size=n_train, stratify=y, random_state=seed
    )
    X_val, X_te, y_val, y_te = train_test_split(
        X_rest, y_rest, train_size=n_val, stratify=y_rest, random_state=seed
    )
    rng = np.random.default_rng(seed)
    y_noisy = y_tr.copy()
    n_flip = int(round(label_noise * n_train))
    flip = rng.choice(n_train, size=n_flip, replace=False)
    y_noisy[flip] = (y_tr[flip] + rng.integers(1, 10, size=n_flip)) % 10
    return DigitsSplit(X_tr, y_noisy, X_val, y_val, X_te, y_te, 10, float(np.mean(y_noisy != y_tr)))


def make_mlp(in_features: int, n_classes: int, hidden: int, depth: int = 2) -> torch.nn.Module:
    """A ReLU multilayer perceptron with ``depth`` hidden layers of width ``hidden``."""
    from torch import nn

    if min(in_features, n_classes, hidden, depth) < 1:
        raise ValueError("in_features, n_classes, hidden and depth must all be >= 1")
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
    """``α·MSE(softmax(logits), onehot) + (1 − α)·MSE(softmax(logits), teacher_probs)`` (eq. ``deep-loss``).

    MSE is the mean over samples and classes (``torch.nn.functional.mse_loss``). With
    ``alpha = 1`` the teacher is unused and may be ``None``.
    """
    import torch.nn.functional as F

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if logits.shape != onehot.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and onehot {tuple(onehot.shape)} differ")
    p = F.softmax(logits, dim=1)
    loss = alpha * F.mse_loss(p, onehot)
    if alpha < 1.0:
        if teacher_probs is None or teacher_probs.shape != logits.shape:
            raise ValueError("alpha < 1 needs teacher_probs with the shape of logits")
        loss = loss + (1.0 - alpha) * F.mse_loss(p, teacher_probs)
    return loss


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser settings for one student (Adam, minibatches, fixed epochs)."""

    hidden: int = 256
    depth: int = 2
    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0


def train_student(
    X: torch.Tensor,
    y: torch.Tensor,
    teacher_probs: torch.Tensor | None,
    alpha: float,
    settings: TrainSettings,
    *,
    init_seed: int,
    step: int = 1,
) -> torch.nn.Module:
    """Train one student with :func:`distillation_loss` and return it (in eval mode).

    ``init_seed`` fixes both the initial weights and the minibatch order, so students that
    differ only in ``α`` or in their teacher share their randomness (common random numbers).
    Raises :class:`TrainingDiverged` naming ``step`` and the epoch if the loss is not finite.
    """
    import torch
    import torch.nn.functional as F

    torch.manual_seed(init_seed)
    model = make_mlp(
        X.shape[1],
        int(y.max().item()) + 1 if teacher_probs is None else teacher_probs.shape[1],
        settings.hidden,
        settings.depth,
    ).to(X.device)
    onehot = F.one_hot(y, num_classes=model[-1].out_features).to(X.dtype)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    gen = torch.Generator(device="cpu").manual_seed(init_seed + 1)
    n = X.shape[0]
    model.train()
    for epoch in range(settings.epochs):
        order = torch.randperm(n, generator=gen).to(X.device)
        total = torch.zeros((), device=X.device)
        for start in range(0, n, settings.batch_size):
            idx = order[start : start + settings.batch_size]
            tp = None if teacher_probs is None else teacher_probs[idx]
            loss = distillation_loss(model(X[idx]), onehot[idx], tp, alpha)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        value = float(total)
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"distillation step {step}, epoch {epoch}: loss is {value} (alpha={alpha})"
            )
    model.eval()
    return model


def predict_proba(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Softmax outputs of ``model`` on ``X`` (no gradient)."""
    import torch

    with torch.no_grad():
        return torch.softmax(model(X), dim=1)
