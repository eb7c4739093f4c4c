"""Tests of chapter 5's digits network (theorybook.distill.deep) at smoke scale."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorybook.distill import Config
from theorybook.distill.deep import (
    TrainingDiverged,
    TrainSettings,
    distillation_loss,
    load_digits_split,
    train_student,
)
from theorybook.distill.experiments import run_deep_digits


def test_distillation_loss_mixes_the_two_targets():
    torch.manual_seed(0)
    logits = torch.randn(6, 4)
    onehot = torch.eye(4)[torch.tensor([0, 1, 2, 3, 0, 1])]
    teacher = torch.softmax(torch.randn(6, 4), dim=1)
    gt = distillation_loss(logits, onehot, None, 1.0)
    sd = distillation_loss(logits, onehot, teacher, 0.0)
    mixed = distillation_loss(logits, onehot, teacher, 0.3)
    assert torch.allclose(mixed, 0.3 * gt + 0.7 * sd)
    with pytest.raises(ValueError, match="teacher_probs"):
        distillation_loss(logits, onehot, None, 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        distillation_loss(logits, onehot, teacher, 1.2)


def test_split_and_label_noise():
    d = load_digits_split(n_train=300, n_val=200, label_noise=0.25, seed=1)
    assert d.X_train.shape == (300, 64) and d.X_val.shape == (200, 64)
    assert len(d.y_test) == 1797 - 500
    assert d.noisy_fraction == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match="label_noise"):
        load_digits_split(n_train=300, n_val=200, label_noise=0.95)


def test_divergence_names_the_step():
    d = load_digits_split(n_train=100, n_val=50, seed=0)
    X = torch.as_tensor(d.X_train) * float("nan")
    with pytest.raises(TrainingDiverged, match="distillation step 3, epoch 0"):
        train_student(
            X,
            torch.as_tensor(d.y_train),
            None,
            1.0,
            TrainSettings(hidden=8, epochs=2),
            init_seed=0,
            step=3,
        )


def test_deep_experiment_smoke():
    cfg = Config.preset("smoke")
    res = run_deep_digits(cfg, progress=False)
    seed = res.seeds[0]
    assert len(seed.alpha_hat) == cfg.deep_steps - 1
    assert all(0.0 <= a <= 1.0 for a in seed.alpha_hat)
    assert len(seed.chains["α=0"]) == cfg.deep_steps
    assert seed.grid_val_loss.shape == seed.grid.shape
    assert np.isfinite(seed.cells_off)
    # the teacher is well above chance even at smoke scale
    assert seed.chains["α=0"][0] > 0.5
    # deterministic: the same config gives the same table
    again = run_deep_digits(cfg, progress=False)
    assert again.seeds[0].alpha_hat == seed.alpha_hat
