"""Training a blind denoiser over a range of noise levels, as in the paper (App. A.1).

Each training image gets its own noise level ``σ = σ_max u²`` with ``u ~ U[0, 1]`` (the official
code's ``quadratic_noise``: more weight on small σ, where memorization shows), and the loss is the
mean squared error of the denoised image (equivalently of the predicted noise). Adam with a
cosine-decaying learning rate; the steps run through :func:`theorybook.training.train_loop`,
whose guard stops a diverging run (``TrainingDiverged``, naming the step).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from jaxtyping import Float
from torch import Tensor, nn

from theorybook import validation as v
from theorybook.boundary import PositiveReal, Seed, checked
from theorybook.diffusion.config import Training
from theorybook.diffusion.denoisers import check_denoiser_input, check_output, state_preserved
from theorybook.training import TrainingHistory, adam, channels_last_weights, train_loop

__all__ = ["add_noise", "image_errors", "noisy_images", "psnr", "train_denoiser"]

PSNR_CAP_DB = 200.0
"""The PSNR of a denoiser whose error is zero (an MSE floor of 1e-20)."""


def _add_noise(
    images: torch.Tensor, sigma_max: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`add_noise` without the argument checks (called at every training step)."""
    u = torch.rand(len(images), generator=generator, device=images.device)
    sigma = sigma_max * u.square()
    z = torch.randn(images.shape, generator=generator, device=images.device)
    return images + sigma[:, None, None, None] * z, sigma


@checked
def add_noise(
    images: Float[Tensor, "batch c h w"], sigma_max: PositiveReal, generator: torch.Generator
) -> tuple[Float[Tensor, "batch c h w"], Float[Tensor, " batch"]]:
    """Noisy copies ``x + σ z`` with ``σ = sigma_max·u²``, ``u ~ U[0, 1]`` drawn per image.

    Arguments:
        images: clean images (B, C, H, W).
        sigma_max: the largest noise level (> 0).
        generator: the random stream of ``u`` and ``z`` (on the images' device).

    Returns:
        The noisy images ``y`` (B, C, H, W) and their noise levels ``σ`` (B,).
    """
    if generator.device.type != images.device.type:
        raise ValueError(
            f"generator is on {generator.device} but images are on {images.device}; "
            "create the generator on the images' device"
        )
    return _add_noise(images, sigma_max, generator)


@checked
def train_denoiser(
    model: nn.Module,
    images: Float[Tensor, "n c h w"],
    *,
    training: Training = Training(),
    seed: Seed = 0,
    progress: bool = False,
    desc: str = "training",
) -> TrainingHistory:
    """Train ``model`` in place to denoise ``images``; leaves it in eval mode.

    Batches of ``training.batch_size`` images are drawn with replacement from ``images`` (so N
    may be smaller than the batch), noised by :func:`add_noise` with ``training.sigma_max``,
    and the MSE of the denoised batch is minimised with Adam (learning rate ``training.lr``,
    cosine decay to zero over ``training.steps``).

    Arguments:
        model: the denoiser, a ``torch.nn.Module`` with parameters.
        images: the training images (N, C, H, W), of the model's dtype (they are moved to its
            device).
        training: steps, batch size, learning rate and σ_max.
        seed: seeds the batches and the noise.
        progress: show a progress bar.
        desc: the run's name, for the bar and a divergence message.

    Returns:
        The per-step losses (MSE per pixel), a :class:`theorybook.training.TrainingHistory`.

    Raises:
        TypeError: if ``images``' dtype differs from the model's.
        TrainingDiverged: naming the first step whose loss is NaN, infinite or has exploded, or
            whose weights have grown 10⁶-fold (a bounded loss can hide them, e.g. a denoiser
            driven to the identity map at a huge learning rate).
    """
    param = next(iter(model.parameters()), None)
    if param is None:
        raise ValueError("model has no parameters to train")
    x = v.matches_module("images", images.to(param.device), model)
    gen = torch.Generator(device=param.device).manual_seed(seed)
    opt = adam(model.parameters(), lr=training.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=training.steps)

    def step(t: int) -> torch.Tensor:
        idx = torch.randint(len(x), (training.batch_size,), generator=gen, device=x.device)
        clean = x[idx]
        noisy, _ = _add_noise(clean, training.sigma_max, gen)
        loss = (model(noisy) - clean).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        return loss

    # channels-last weights: oneDNN's convolutions skip a layout reorder per call (about 10 %
    # of a step on one CPU core); the weights are put back in the default layout afterwards
    model.train()
    try:
        with channels_last_weights(model):
            return train_loop(
                step,
                training.steps,
                desc=desc,
                progress=progress,
                parameters=list(model.parameters()),
            )
    finally:
        model.eval()


@torch.no_grad()
@checked
def psnr(
    denoiser: Callable[[Tensor], Tensor],
    images: Float[Tensor, "batch c h w"],
    sigma: PositiveReal,
    *,
    seed: Seed = 0,
) -> float:
    """Mean output PSNR (dB, peak 1) of ``denoiser`` on ``images`` noised at ``sigma``.

    ``10 log10(1 / MSE)`` with the MSE averaged over all images and pixels (paper Fig. 1 plots
    this against the input PSNR). A denoiser with zero error (the limit of a memorizer on its
    own training images as σ → 0) gets :data:`PSNR_CAP_DB` (200 dB, an MSE floor of 1e-20).

    Arguments:
        denoiser: a callable ``y ↦ x̂`` on (B, C, H, W) tensors, returning the input's shape.
        images: the clean images (B, C, H, W) (of the denoiser's dtype, for a module).
        sigma: the noise level (> 0).
        seed: seeds the noise.

    Returns:
        The PSNR in dB.
    """
    mse = float(_image_errors(denoiser, images, sigma, seed).mean())
    return 10.0 * float(torch.log10(torch.tensor(1.0 / max(mse, 1e-20))))


@torch.no_grad()
@checked
def image_errors(
    denoiser: Callable[[Tensor], Tensor],
    images: Float[Tensor, "batch c h w"],
    sigma: PositiveReal,
    *,
    seed: Seed = 0,
) -> Float[Tensor, " batch"]:
    """The squared error per pixel of ``denoiser`` on each image of ``images`` noised at
    ``sigma`` (B,): the terms whose mean :func:`psnr` turns into decibels (same noise for the
    same ``seed``), kept per image for a bootstrap over images.

    Arguments:
        denoiser: a callable ``y ↦ x̂`` on (B, C, H, W) tensors, returning the input's shape; a
            module is left in the state it came in.
        images: the clean images (B, C, H, W) (of the denoiser's dtype, for a module).
        sigma: the noise level (> 0).
        seed: seeds the noise.

    Returns:
        ``‖x̂ − x‖²/d`` per image, float64 on the CPU.
    """
    return _image_errors(denoiser, images, sigma, seed)


@checked
def noisy_images(
    images: Float[Tensor, "batch c h w"], sigma: PositiveReal, *, seed: Seed = 0
) -> Float[Tensor, "batch c h w"]:
    """``x + σ z`` with ``z`` standard Gaussian drawn from ``seed`` on the images' device: the
    noisy images :func:`psnr` and :func:`image_errors` denoise for the same ``seed``.

    Arguments:
        images: the clean images ``x`` (B, C, H, W).
        sigma: the noise level σ (> 0).
        seed: seeds the noise ``z``.

    Returns:
        The noisy images (B, C, H, W), of the images' dtype and device.
    """
    return _noisy(images, sigma, seed)


def _noisy(x: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    gen = torch.Generator(device=x.device).manual_seed(seed)
    return x + sigma * torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)


def _image_errors(
    denoiser: Callable[[Tensor], Tensor], images: torch.Tensor, sigma: float, seed: int
) -> torch.Tensor:
    x = check_denoiser_input("images", images, denoiser)
    y = _noisy(x, sigma, seed)
    with state_preserved(denoiser):
        out = check_output("denoiser", denoiser(y), y)
    return (out - x).flatten(1).double().square().mean(1).cpu()
