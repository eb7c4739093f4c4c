"""Training a blind denoiser over a range of noise levels, as in the paper (App. A.1).

Each training image gets its own noise level ``σ = σ_max u²`` with ``u ~ U[0, 1]`` (the official
code's ``quadratic_noise``: more weight on small σ, where memorization shows), and the loss is the
mean squared error of the denoised image (equivalently of the predicted noise). Adam with a
cosine-decaying learning rate; the loss of every step is checked (``TrainingDiverged``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from theorybook import validation as v
from theorybook.diffusion.denoisers import check_images
from theorybook.reporting import progress
from theorybook.training import check_finite_loss

__all__ = ["TrainingHistory", "add_noise", "psnr", "train_denoiser"]

STEPS = 2000
BATCH = 128
LR = 2e-3
SIGMA_MAX = 1.0


@dataclass(frozen=True)
class TrainingHistory:
    """Per-step training losses (MSE per pixel) and the number of steps taken."""

    losses: tuple[float, ...]
    steps: int


def add_noise(
    images: torch.Tensor, sigma_max: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy copies ``x + σ z`` with ``σ = sigma_max·u²`` per image; returns (y, σ)."""
    u = torch.rand(len(images), generator=generator, device=images.device)
    sigma = sigma_max * u.square()
    z = torch.randn(images.shape, generator=generator, device=images.device)
    return images + sigma[:, None, None, None] * z, sigma


def train_denoiser(
    model: nn.Module,
    images: object,
    *,
    steps: int = STEPS,
    batch_size: int = BATCH,
    lr: float = LR,
    sigma_max: float = SIGMA_MAX,
    seed: int = 0,
    progress_bar: bool = False,
    desc: str = "training",
) -> TrainingHistory:
    """Train ``model`` in place to denoise ``images`` (N, C, H, W); leaves it in eval mode.

    Batches of ``batch_size`` images are drawn with replacement from ``images`` (so N may be
    smaller than the batch), noised by :func:`add_noise`, and the MSE of the denoised batch is
    minimised with Adam (learning rate ``lr``, cosine decay to zero over ``steps``).

    Raises
    ------
    TrainingDiverged
        naming the first step whose loss is NaN or infinite.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = check_images("images", images)
    steps = v.positive_int("steps", steps)
    batch_size = v.positive_int("batch_size", batch_size)
    lr = v.positive_real("lr", lr)
    sigma_max = v.positive_real("sigma_max", sigma_max)
    seed = v.seed("seed", seed)
    param = next(iter(model.parameters()), None)
    if param is None:
        raise ValueError("model has no parameters to train")
    x = x.to(param.device)
    gen = torch.Generator(device=param.device).manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    model.train()
    losses = []
    bar = progress(total=steps, desc=desc, disable=not progress_bar, leave=False)
    try:
        for step in range(1, steps + 1):
            idx = torch.randint(len(x), (batch_size,), generator=gen, device=x.device)
            clean = x[idx]
            noisy, _ = add_noise(clean, sigma_max, gen)
            loss = (model(noisy) - clean).square().mean()
            losses.append(check_finite_loss(loss, step=step, where=desc))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
    finally:
        bar.close()
        model.eval()
    return TrainingHistory(losses=tuple(losses), steps=steps)


@torch.no_grad()
def psnr(denoiser: nn.Module | object, images: object, sigma: float, *, seed: int = 0) -> float:
    """Mean output PSNR (dB, peak 1) of ``denoiser`` on ``images`` noised at ``sigma``.

    ``10 log10(1 / MSE)`` with the MSE averaged over all images and pixels (paper Fig. 1 plots
    this against the input PSNR).
    """
    v.callable_("denoiser", denoiser)
    x = check_images("images", images)
    sigma = v.positive_real("sigma", sigma)
    gen = torch.Generator(device=x.device).manual_seed(v.seed("seed", seed))
    y = x + sigma * torch.randn(x.shape, generator=gen, device=x.device)
    out = denoiser(y)  # type: ignore[operator]
    mse = float((out - x).square().mean())
    return 10.0 * float(torch.log10(torch.tensor(1.0 / max(mse, 1e-20))))
