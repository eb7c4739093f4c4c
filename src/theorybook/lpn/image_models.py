"""Training the image denoisers of chapter 3 ({cite}`fang2024lpn`), and timing their steps.

:func:`train_image_models` trains a :class:`~theorybook.lpn.model.ConvLPN` with the paper's
schedule and, optionally, the plain-CNN baseline, on clean images plus Gaussian noise;
:func:`train_digits_models` and :func:`train_patch_models` apply it to the digits and to the
natural-image patches. :func:`time_training_steps` measures what the exact-prox guarantee costs
per training step (the forward pass is a gradient, so the backward pass differentiates a gradient).
Every step runs through :func:`theorybook.training.train_loop`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Literal

import numpy as np
import torch

from theorybook.lpn.config import Config, Denoisers
from theorybook.lpn.data import check_images, digits_split, image_sampler, patch_split
from theorybook.lpn.model import ConvLPN, PlainCNN
from theorybook.lpn.results import StepTiming
from theorybook.lpn.train import Stage, _flush_denormals, paper_schedule, train_lpn
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of
from theorybook.training import (
    DivergenceGuard,
    TrainingHistory,
    adam,
    channels_last_weights,
    train_loop,
)
from theorybook.validation import int_in_range, positive_int

__all__ = [
    "check_config",
    "time_training_steps",
    "train_digits_models",
    "train_image_models",
    "train_patch_models",
]

Trained = tuple[ConvLPN, PlainCNN | None, dict[str, TrainingHistory]]


def check_config(cfg: object) -> Config:
    """``cfg`` itself if it is the chapter's :class:`~theorybook.lpn.config.Config`, else
    ``TypeError``."""
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.lpn.Config, got {type(cfg).__name__}")
    return cfg


@torch_threads()
def train_image_models(
    train: np.ndarray,
    *,
    lpn_steps: int,
    cnn_steps: int | None,
    denoisers: Denoisers = Denoisers(),
    seed: int = 0,
    progress: bool = False,
    label: str = "images",
    lpn_loss: Literal["paper", "l2"] = "paper",
) -> Trained:
    """Train a ConvLPN denoiser, and optionally the plain-CNN baseline, on clean ``train`` images.

    The LPN follows the paper's schedule (:func:`~theorybook.lpn.train.paper_schedule`: ℓ₁ for
    half of ``lpn_steps``, then ``denoisers.n_stages`` proximal-matching stages down to
    γ_min = ``denoisers.gamma_pixel``·√pixels); with ``lpn_loss="l2"`` every stage of that
    schedule keeps its steps and learning rate but uses the ℓ₂ loss (the same network, data and
    budget without proximal matching). Unless ``cnn_steps`` is None, the plain CNN is then
    seeded with ``seed + 1`` and trained with the ℓ₂ loss at ``denoisers.cnn_lr``. The caller
    seeds the LPN. Both train in the channels-last memory format (``train_lpn(...,
    channels_last=True)``, faster on a CPU: ``benchmarks/bench_lpn.py`` prints the ratios) and
    are returned in the default one.

    Arguments:
        train: clean images ``(n, 1, s, s)`` in [0, 1].
        lpn_steps: the LPN's training steps (at least 8).
        cnn_steps: the plain CNN's training steps, or None for no CNN.
        denoisers: widths, noise level σ, batch size and learning rates (:class:`Denoisers`).
        seed: the run's seed (the CNN is seeded with ``seed + 1``).
        progress: show progress bars.
        label: the name of the images in the bars and in divergence messages.
        lpn_loss: ``"paper"`` (ℓ₁, then proximal matching) or ``"l2"`` (ℓ₂ throughout).

    Returns:
        ``(lpn, cnn, histories)``: the trained models (``cnn`` None without ``cnn_steps``) and
        their :class:`~theorybook.training.TrainingHistory` under ``"lpn"`` and ``"cnn"``.
    """
    if not isinstance(denoisers, Denoisers):
        raise TypeError(f"denoisers must be a Denoisers block, got {type(denoisers).__name__}")
    check_images(train, "train")
    lpn_steps = int_in_range("lpn_steps", lpn_steps, low=8)
    if cnn_steps is not None:
        cnn_steps = positive_int("cnn_steps", cnn_steps)
    size = int(train.shape[-1])
    d = denoisers
    sampler = image_sampler(train, d.batch, d.noise)
    model = ConvLPN(size, 1, d.hidden, beta=d.beta, alpha=d.alpha)
    gamma_min = d.gamma_pixel * float(np.sqrt(size**2))
    schedule = paper_schedule(
        lpn_steps, gamma_min, n_stages=d.n_stages, lr_pretrain=d.lr_pretrain, lr_pm=d.lr_pm
    )
    if lpn_loss == "l2":
        schedule = [Stage(stage.steps, "l2", stage.lr) for stage in schedule]
    elif lpn_loss != "paper":
        raise ValueError(f"lpn_loss must be 'paper' or 'l2', got {lpn_loss!r}")
    hist = {
        "lpn": train_lpn(
            model,
            sampler,
            schedule,
            channels_last=True,
            progress=progress,
            desc=f"{label} LPN",
        )
    }
    cnn = None
    if cnn_steps is not None:
        seed_everything(seed + 1)
        cnn = PlainCNN(1, d.hidden, d.cnn_depth)
        hist["cnn"] = train_lpn(
            cnn,
            sampler,
            [Stage(cnn_steps, "l2", d.cnn_lr)],
            channels_last=True,
            progress=progress,
            desc=f"{label} CNN",
        )
    return model, cnn, hist


def train_digits_models(
    cfg: Config,
    *,
    progress: bool = False,
    with_cnn: bool = True,
    lpn_loss: Literal["paper", "l2"] = "paper",
) -> Trained:
    """Train the digits ConvLPN (``digits.steps``, the paper's schedule, or with ``lpn_loss="l2"``
    its steps and learning rates with the ℓ₂ loss) and, optionally, the plain-CNN baseline
    (``digits.cnn_steps``) on the training digits of :func:`~theorybook.lpn.data.digits_split`."""
    cfg = check_config(cfg)
    seed_everything(cfg.seed)
    train, _, _ = digits_split(cfg)
    return train_image_models(
        train,
        lpn_steps=cfg.digits.steps,
        cnn_steps=cfg.digits.cnn_steps if with_cnn else None,
        denoisers=cfg.denoisers,
        seed=cfg.seed,
        progress=progress,
        label="digits" if lpn_loss == "paper" else "digits (ℓ2 LPN)",
        lpn_loss=lpn_loss,
    )


def train_patch_models(cfg: Config, *, progress: bool = False, with_cnn: bool = True) -> Trained:
    """Train the natural-image ConvLPN (``patches.steps``, paper schedule) and, optionally, the
    plain-CNN baseline (``patches.cnn_steps``) on the training patches of
    :func:`~theorybook.lpn.data.patch_split`."""
    cfg = check_config(cfg)
    seed_everything(cfg.seed)
    train, _, _ = patch_split(cfg)
    return train_image_models(
        train,
        lpn_steps=cfg.patches.steps,
        cnn_steps=cfg.patches.cnn_steps if with_cnn else None,
        denoisers=cfg.denoisers,
        seed=cfg.seed,
        progress=progress,
        label="patches",
    )


@torch_threads()
def time_training_steps(cfg: Config, *, channels_last: bool = True) -> StepTiming:
    """Time ConvLPN training steps against the plain CNN of similar size.

    A ConvLPN's forward pass is a gradient (the chain rule through ψ_θ's layers, written out),
    so its backward pass runs through those layers twice over. Both
    networks (widths of ``cfg.denoisers``, digits of side ``digits.pad_to``) take Adam steps at
    ``timing.lr`` on the same batch, in the same run, on the same device (CPU unless CUDA is
    present); each step is one :func:`~theorybook.training.train_loop` step, and the result is
    the median of ``timing.repeats`` timed steps after ``timing.warmup`` (:func:`best_of`),
    with subnormal floats flushed to zero and the multi-tensor Adam, as in training
    (:func:`~theorybook.lpn.train._flush_denormals`, :func:`theorybook.training.adam`), and
    in the channels-last memory format that training uses (``channels_last=False``: the
    default format, for ``benchmarks/bench_lpn.py``).
    """
    from theorybook.runtime import device

    cfg = check_config(cfg)
    seed_everything(cfg.seed)
    if not isinstance(channels_last, bool):
        raise TypeError(f"channels_last must be a bool, got {type(channels_last).__name__}")
    dev = device()
    d, side = cfg.denoisers, cfg.digits.pad_to
    nets: dict[str, torch.nn.Module] = {
        "lpn": ConvLPN(side, 1, d.hidden, beta=d.beta, alpha=d.alpha).to(dev),
        "cnn": PlainCNN(1, d.hidden, d.cnn_depth).to(dev),
    }
    x = torch.rand(d.batch, 1, side, side, device=dev)
    y = x + d.noise * torch.randn_like(x)
    stats = {}
    for key, net in nets.items():
        batch, target = y, x
        if channels_last:
            batch, target = (t.contiguous(memory_format=torch.channels_last) for t in (y, x))
        opt = adam(list(net.parameters()), lr=cfg.timing.lr)  # the optimiser training uses
        guard = DivergenceGuard(where=f"timing ({key})")
        counter = [1]

        def step(
            t: int,
            net: torch.nn.Module = net,
            opt: torch.optim.Optimizer = opt,
            batch: torch.Tensor = batch,
            target: torch.Tensor = target,
        ) -> torch.Tensor:
            loss = torch.nn.functional.l1_loss(net(batch), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        def one_step(
            step: Callable[[int], torch.Tensor] = step,
            guard: DivergenceGuard = guard,
            counter: list[int] = counter,
        ) -> None:
            # no weight watch here: it would add a host sync to the step being timed
            train_loop(step, 1, desc="timing", guard=guard, start=counter[0])
            counter[0] += 1

        layout = channels_last_weights(net) if channels_last else nullcontext()
        with _flush_denormals(), layout:  # as in training (train_lpn)
            stats[key] = best_of(
                one_step,
                repeats=cfg.timing.repeats,
                warmup=cfg.timing.warmup,
                cuda_sync=dev.type == "cuda",
            )
    return StepTiming(
        1000 * stats["lpn"].median,
        1000 * stats["cnn"].median,
        sum(p.numel() for p in nets["lpn"].parameters()),
        sum(p.numel() for p in nets["cnn"].parameters()),
        stats["lpn"].spread,
        stats["cnn"].spread,
    )
