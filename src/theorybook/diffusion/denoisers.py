"""Bias-free denoisers (Mohan et al. 2020; the networks of Kadkhodaie et al. 2024).

Every convolution has no additive constant and the batch normalisation only *rescales* (no mean
subtraction, no shift), so in evaluation mode the network is a composition of linear maps and
ReLUs and is positively homogeneous of degree one, :eq:`diffusion-homogeneity`:
``f(a·y) = a·f(y)`` for ``a > 0``. By Euler's theorem it then equals its Jacobian applied to its
input, ``f(y) = J(y) y`` (:eq:`diffusion-jy`). Both networks are *blind* (the noise level is not
an input) and predict the noise ``r(y)``; the denoised image is ``f(y) = y − r(y)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import torch
from torch import nn

from theorybook import validation as v
from theorybook.boundary import Interval, IntRange, PositiveInt, PositiveReal, checked
from theorybook.diffusion.config import Network

__all__ = [
    "BiasFreeBatchNorm2d",
    "BiasFreeCNN",
    "BiasFreeUNet",
    "build_network",
    "check_denoiser_input",
    "check_images",
    "check_output",
    "state_preserved",
]


def check_images(
    name: str, y: object, *, channels: int | None = None, finite: bool = True
) -> torch.Tensor:
    """``y`` checked to be a floating tensor of shape (B, C, H, W); returned unchanged.

    ``finite=False`` skips the NaN/inf test (a data-dependent check that ``torch.func`` cannot
    trace; the networks' ``forward`` uses it).
    """
    t = v.tensor(name, y, ndim=4, finite=finite)
    if channels is not None and t.shape[1] != channels:
        raise ValueError(
            f"{name} must have {channels} channel(s) (shape (B, {channels}, H, W)), "
            f"got shape {tuple(t.shape)}"
        )
    return t


def check_output(name: str, out: object, like: torch.Tensor) -> torch.Tensor:
    """``out`` itself if it is a tensor of ``like``'s shape; else ``ValueError`` naming ``name``
    (a denoiser's output, which would otherwise broadcast or fail deep inside torch)."""
    if not isinstance(out, torch.Tensor) or out.shape != like.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"{name} must return a tensor of its input's shape {tuple(like.shape)}, got {got}"
        )
    return out


def _same_dtype(name: str, y: torch.Tensor, module: nn.Module, weight: torch.Tensor) -> None:
    """``TypeError`` naming ``name`` if ``y``'s dtype or device differs from ``weight``'s (a
    network's first weight: one comparison per call, cheap enough for every forward pass)."""
    if y.dtype != weight.dtype or y.device != weight.device:
        v.matches_module(name, y, module)


def check_denoiser_input(name: str, y: torch.Tensor, denoiser: object) -> torch.Tensor:
    """``y`` itself, or ``TypeError`` naming ``name`` if ``denoiser`` is a module whose dtype or
    device differs from ``y``'s (:func:`theorybook.validation.matches_module`)."""
    if isinstance(denoiser, nn.Module):
        v.matches_module(name, y, denoiser)
    return y


@checked
class BiasFreeBatchNorm2d(nn.Module):
    """Batch normalisation without mean subtraction or shift: ``x ↦ γ · x / sqrt(var + eps)``.

    In training mode the variance is the batch's (about the mean, per channel); a running
    average of it is kept and used in evaluation mode, where the layer is a fixed per-channel
    scaling and so linear.
    """

    def __init__(
        self,
        channels: PositiveInt,
        *,
        momentum: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.1,
        eps: PositiveReal = 1e-5,
    ) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.running_var: torch.Tensor
        self.register_buffer("running_var", torch.ones(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _same_dtype("x", x, self, self.gamma)
        if self.training:
            out, var = _BatchScale.apply(x, self.gamma, self.eps)
            with torch.no_grad():
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
            return out
        return self.gamma * x / torch.sqrt(self.running_var + self.eps)


class _BatchScale(torch.autograd.Function):
    """Training mode of :class:`BiasFreeBatchNorm2d` in one autograd node: ``γ x / sqrt(v + ε)``
    with ``v`` the batch variance per channel (two-pass: mean, then mean squared deviation).

    Same function as ``gamma * x / torch.sqrt(x.var(dim=(0, 2, 3), unbiased=False) + eps)``
    (equal up to float rounding, ``tests/test_diffusion.py``), with its gradient written out
    (``r = (v + ε)^-½``, ``S = Σ g·x`` per channel, ``n`` values per channel):
    ``∂L/∂x = γ r g − γ r³ S (x − x̄) / n`` and ``∂L/∂γ = r S``. Autograd through
    ``Tensor.var`` and the division takes about twice as long on one CPU core, where these
    layers are a third of a BF-CNN's training step. Returns the output and the (detached)
    batch variance, for the running average.
    """

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, gamma: torch.Tensor, eps: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dims = (0, 2, 3)
        centred = x - x.mean(dim=dims, keepdim=True)
        var = centred.square().mean(dim=dims, keepdim=True)
        r = torch.rsqrt(var + eps)
        ctx.save_for_backward(x, centred, gamma, r)
        ctx.mark_non_differentiable(var)
        return x * (gamma * r), var

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor, _grad_var: object
    ) -> tuple[torch.Tensor, torch.Tensor, None]:
        x, centred, gamma, r = ctx.saved_tensors  # type: ignore[attr-defined]
        n = x.numel() // x.shape[1]
        s = (grad * x).sum(dim=(0, 2, 3), keepdim=True)
        grad_x = (gamma * r) * grad - (gamma * r.pow(3) * s / n) * centred
        return grad_x, s * r, None


def _block(c_in: int, c_out: int, *, batchnorm: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if batchnorm:
        layers.append(BiasFreeBatchNorm2d(c_out))
    layers.append(nn.ReLU())
    return layers


@checked
class BiasFreeCNN(nn.Module):
    """BF-CNN: ``layers`` 3×3 convolutions without bias, bias-free batch norm and ReLU.

    The last convolution outputs the noise estimate ``r(y)``; :meth:`forward` returns the
    denoised image ``y − r(y)``. The paper's BF-CNN has 21 layers of 64 channels (App. A.1).
    """

    def __init__(
        self,
        in_channels: PositiveInt = 1,
        *,
        channels: PositiveInt = 32,
        layers: Annotated[int, IntRange(low=2)] = 6,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        mods: list[nn.Module] = _block(self.in_channels, channels, batchnorm=False)
        for _ in range(layers - 2):
            mods += _block(channels, channels)
        mods.append(nn.Conv2d(channels, self.in_channels, 3, padding=1, bias=False))
        self.net = nn.Sequential(*mods)

    def residual(self, y: torch.Tensor) -> torch.Tensor:
        """The predicted noise ``r(y)``."""
        first = self.net[0]
        assert isinstance(first, nn.Conv2d)
        _same_dtype("y", y, self, first.weight)
        return self.net(y)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        check_images("y", y, channels=self.in_channels, finite=False)
        first = self.net[0]
        assert isinstance(first, nn.Conv2d)
        _same_dtype("y", y, self, first.weight)
        return y - self.net(y)


class _DoubleConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(*_block(c_in, c_out), *_block(c_out, c_out))


@checked
class BiasFreeUNet(nn.Module):
    """A small bias-free UNet: ``levels`` encoder blocks, a middle block, ``levels`` decoders.

    Each block is two 3×3 bias-free convolutions with bias-free batch norm and ReLU; going
    down halves the resolution (2×2 average pooling, linear) and doubles the channels, going
    up uses a bias-free 2×2 transposed convolution and concatenates the skip connection. The
    paper's UNet (App. A.1) has 3 levels and 64 channels at the top (7.6m parameters); the
    default here (2 levels, 32 channels) works on 16×16 images and larger, and on 8×8 images
    with ``levels=1``. Image sides must be divisible by ``2**levels``.
    """

    def __init__(
        self,
        in_channels: PositiveInt = 1,
        *,
        channels: PositiveInt = 32,
        levels: Annotated[int, IntRange(low=1, high=6)] = 2,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.levels = levels
        widths = [channels * 2**k for k in range(self.levels + 1)]
        self.down = nn.ModuleList()
        c_in = self.in_channels
        for w in widths[:-1]:
            self.down.append(_DoubleConv(c_in, w))
            c_in = w
        self.pool = nn.AvgPool2d(2)
        self.middle = _DoubleConv(widths[-2], widths[-1])
        self.up = nn.ModuleList()
        self.decode = nn.ModuleList()
        for k in range(self.levels - 1, -1, -1):
            self.up.append(nn.ConvTranspose2d(widths[k + 1], widths[k], 2, stride=2, bias=False))
            self.decode.append(_DoubleConv(2 * widths[k], widths[k]))
        self.out = nn.Conv2d(widths[0], self.in_channels, 1, bias=False)

    def residual(self, y: torch.Tensor) -> torch.Tensor:
        """The predicted noise ``r(y)``."""
        _same_dtype("y", y, self, self.out.weight)
        skips = []
        h = y
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.middle(h)
        for up, dec in zip(self.up, self.decode, strict=True):
            h = dec(torch.cat([up(h), skips.pop()], dim=1))
        return self.out(h)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        check_images("y", y, channels=self.in_channels, finite=False)
        _same_dtype("y", y, self, self.out.weight)
        factor = 2**self.levels
        if y.shape[-1] % factor or y.shape[-2] % factor:
            raise ValueError(
                f"BiasFreeUNet with levels={self.levels} needs image sides divisible by "
                f"{factor}, got {tuple(y.shape[-2:])}"
            )
        return y - self.residual(y)


@checked
def build_network(network: Network = Network(), *, in_channels: PositiveInt = 1) -> nn.Module:
    """The bias-free denoiser ``network`` describes: a :class:`BiasFreeCNN` of
    ``network.layers`` convolutions or a :class:`BiasFreeUNet` of ``network.levels`` levels,
    ``network.channels`` wide (initialised from torch's global random state)."""
    if network.kind == "unet":
        return BiasFreeUNet(in_channels, channels=network.channels, levels=network.levels)
    return BiasFreeCNN(in_channels, channels=network.channels, layers=network.layers)


@checked
@contextmanager
def state_preserved(denoiser: object) -> Iterator[None]:
    """Run a diagnostic without changing a module's state: on exit, the buffers (the batch
    norms' running variances, which a forward pass in training mode updates) and the
    training flags of ``denoiser`` and its submodules are put back as they were. Anything
    that is not an ``nn.Module`` passes through untouched."""
    if not isinstance(denoiser, nn.Module):
        yield
        return
    buffers = [(b, b.detach().clone()) for b in denoiser.buffers()]
    modes = [(m, m.training) for m in denoiser.modules()]
    try:
        yield
    finally:
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
        for m, mode in modes:
            m.training = mode
