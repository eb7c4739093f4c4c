"""Learned proximal networks: gradients of input-convex networks (chapter 3, {cite}`fang2024lpn`).

An LPN is the map

.. math::  f_\\theta(y) = \\nabla\\psi_\\theta(y),\\qquad
           \\psi_\\theta(y) = w^\\top z_K + v^\\top y + c + \\alpha\\|y\\|^2,

with the input-convex hidden path (eq. :eq:`lpn-icnn` of the chapter, paper §3)

.. math::  z_1 = g(H_1 y + b_1),\\qquad z_k = g(W_k z_{k-1} + H_k y + b_k),

where :math:`W_k \\ge 0`, :math:`w \\ge 0` entrywise and :math:`g = \\mathrm{softplus}_\\beta` is convex
and non-decreasing. Then :math:`\\psi_\\theta` is convex (strongly so when ``alpha > 0``), so by
Gribonval–Nikolova :math:`f_\\theta` is exactly the proximal operator of some, possibly nonconvex,
:math:`R_\\theta` (paper §3; the chapter's eq. :eq:`lpn-gn`). Its Jacobian is the Hessian
:math:`\\nabla^2\\psi_\\theta \\succeq 2\\alpha I`: symmetric and positive semi-definite.

``forward`` evaluates :math:`\\nabla\\psi_\\theta` by automatic differentiation of ``potential``,
except in :class:`LPN` and :class:`ConvLPN`, which write the chain rule through their layers
out (``_potential_gradient``): the same gradient up to rounding (the tests compare the two),
made of ordinary tensor operations, so that training differentiates it with a first-order
backward pass instead of PyTorch's generic double backward, which is slower
(``benchmarks/bench_lpn.py`` prints the ratio).

Non-negativity is enforced by **projection**: :meth:`ConvexPotentialNet.project_` clamps every
constrained weight at zero; :func:`theorybook.lpn.train.train_lpn` calls it after each optimiser
step and every constructor calls it once, so a fresh model is already a valid LPN.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from torch import nn

from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeReal,
    PositiveInt,
    checked,
)
from theorybook.validation import int_sequence, matches_module

SoftplusBeta = Annotated[float, Interval(low=0.0, low_open=True, high=1e6)]
"""The sharpness β of the softplus activation: β·z must stay representable in float32 (torch
converts β to the tensor's dtype), and beyond 10⁶ softplus_β is ReLU to float32 precision."""

__all__ = ["ConvLPN", "ConvexPotentialNet", "LPN", "PlainCNN"]

Stride = Annotated[int, IntRange(low=1, high=2)]
"""A convolution stride of :class:`ConvLPN`: 1 or 2."""


def _weight(module: nn.Module) -> torch.Tensor:
    weight = module.weight
    if not isinstance(weight, torch.Tensor):  # pragma: no cover - every layer here has one
        raise TypeError(f"{type(module).__name__} has no weight tensor")
    return weight


_SOFTPLUS_THRESHOLD = 20.0
"""``F.softplus``'s default threshold: softplus_β(a) = a exactly where β·a exceeds it."""


def _softplus_slope(a: torch.Tensor, beta: float) -> torch.Tensor:
    """The derivative of ``F.softplus(a, beta)``: σ(β·a), and exactly 1 where β·a > 20 (there
    ``F.softplus`` returns ``a`` itself). In float32 and narrower types σ(t) rounds to 1 from
    t ≈ 16.6 on, so the mask (about 4 % of a ConvLPN training step in the torch profiler) is
    needed in float64 only."""
    scaled = a * beta
    if torch.finfo(scaled.dtype).eps / 2 > math.exp(-_SOFTPLUS_THRESHOLD):
        return torch.sigmoid(scaled)
    return torch.where(scaled > _SOFTPLUS_THRESHOLD, 1.0, torch.sigmoid(scaled))


def _abstract(method: str) -> str:
    return (
        f"ConvexPotentialNet.{method}: ConvexPotentialNet is an abstract base class; use one of "
        "its subclasses LPN (vectors), ConvLPN (images) or PatchLPN (a ConvLPN on larger "
        "images, from theorybook.lpn.patches)"
    )


class ConvexPotentialNet(nn.Module):
    """Common part of :class:`LPN` and :class:`ConvLPN`: ``forward`` is the gradient of ``potential``.

    Subclasses implement :meth:`potential` (ψ_θ, convex in its input) and list their
    sign-constrained layers in :meth:`constrained_modules`.
    """

    alpha: float
    beta: float

    def potential(self, y: torch.Tensor) -> torch.Tensor:
        """ψ_θ(y), one value per sample."""
        raise NotImplementedError(_abstract("potential"))

    def constrained_modules(self) -> Iterator[nn.Module]:
        """The layers whose weights must stay non-negative."""
        raise NotImplementedError(_abstract("constrained_modules"))

    def _check_input(self, y: torch.Tensor) -> None:
        raise NotImplementedError(_abstract("forward"))

    @torch.no_grad()
    def project_(self) -> ConvexPotentialNet:
        """Clamp every constrained weight at 0 (the projection step that keeps ψ_θ convex)."""
        for module in self.constrained_modules():
            _weight(module).clamp_(min=0.0)
        return self

    def is_convex(self) -> bool:
        """True when every constrained weight is non-negative (so ψ_θ is convex)."""
        return all(bool((_weight(m) >= 0).all()) for m in self.constrained_modules())

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """f_θ(y) = ∇ψ_θ(y), the learned proximal operator (chapter eq. :eq:`lpn-def`).

        The gradient is autograd's (``torch.autograd.grad`` of :meth:`potential`) or, in
        :class:`LPN` and :class:`ConvLPN`, the chain rule written out (``_potential_gradient``).
        Either way its graph is kept whenever gradients are enabled, so f_θ can be
        differentiated again: its Jacobian, training through it, unrolled schemes. The caller's
        tensor is never modified; if it already requires grad, the result stays attached to it.
        Under ``torch.no_grad()`` the result is detached.
        """
        self._check_input(y)
        return self._potential_gradient(y)

    def _potential_gradient(self, y: torch.Tensor) -> torch.Tensor:
        """∇ψ_θ(y) by ``torch.autograd.grad`` of :meth:`potential` (the input is checked)."""
        keep_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            y_in = y if y.requires_grad else y.detach().requires_grad_(True)
            psi = self.potential(y_in)
            (grad,) = torch.autograd.grad(psi.sum(), y_in, create_graph=keep_graph)
        return grad if keep_graph else grad.detach()


@checked
class LPN(ConvexPotentialNet):
    """Fully connected LPN for vectors in ℝ^dim (the chapter's 1-D Laplacian experiment).

    ``layers`` hidden layers of width ``hidden``; the first is an unconstrained affine map of y,
    each later one adds a non-negative ``W_k z`` to an unconstrained skip ``H_k y + b_k``; the output
    is a non-negative combination of the last layer plus an affine skip of y, plus α‖y‖².
    Weights start from PyTorch's default initialisation followed by the projection.

    Input shape ``(batch, dim)``; :meth:`potential` returns ``(batch,)``.
    """

    def __init__(
        self,
        dim: PositiveInt = 1,
        hidden: PositiveInt = 50,
        layers: PositiveInt = 4,
        *,
        beta: SoftplusBeta = 10.0,
        alpha: NonNegativeReal = 0.0,
    ) -> None:
        super().__init__()
        self.dim, self.hidden, self.layers = dim, hidden, layers
        self.beta, self.alpha = float(beta), float(alpha)
        self.skips = nn.ModuleList([nn.Linear(dim, hidden) for _ in range(layers)])
        self.hidden_path = nn.ModuleList(
            [nn.Linear(hidden, hidden, bias=False) for _ in range(layers - 1)]
        )
        self.out = nn.Linear(hidden, 1, bias=False)
        self.out_skip = nn.Linear(dim, 1)
        self.project_()

    def constrained_modules(self) -> Iterator[nn.Module]:
        yield from self.hidden_path
        yield self.out

    def _check_input(self, y: torch.Tensor) -> None:
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"LPN expects a torch.Tensor, got {type(y).__name__}")
        if y.ndim != 2 or y.shape[1] != self.dim:
            raise ValueError(f"LPN expects shape (batch, {self.dim}), got {tuple(y.shape)}")
        if not y.is_floating_point():
            raise TypeError(f"LPN expects a floating-point tensor, got {y.dtype}")
        matches_module("y", y, self)

    def _pre_activations(self, y: torch.Tensor) -> list[torch.Tensor]:
        """a_1 = H_1 y + b_1 and a_k = W_k g(a_{k−1}) + H_k y + b_k, k = 2..K (z_k = g(a_k))."""
        pre = [self.skips[0](y)]
        for w_k, h_k in zip(self.hidden_path, self.skips[1:], strict=True):
            pre.append(w_k(F.softplus(pre[-1], beta=self.beta)) + h_k(y))
        return pre

    def potential(self, y: torch.Tensor) -> torch.Tensor:
        """ψ_θ(y) of eq. :eq:`lpn-icnn`, shape ``(batch,)``."""
        self._check_input(y)
        z = F.softplus(self._pre_activations(y)[-1], beta=self.beta)
        psi = (self.out(z) + self.out_skip(y)).squeeze(-1)
        return psi + self.alpha * (y * y).sum(dim=-1)

    def _potential_gradient(self, y: torch.Tensor) -> torch.Tensor:
        """∇ψ_θ(y) by the chain rule through eq. :eq:`lpn-icnn`, written out:
        δ_K = w ⊙ g′(a_K), δ_{k−1} = (δ_k W_k) ⊙ g′(a_{k−1}), ∇ψ_θ = Σ_k δ_k H_k + v + 2αy."""
        pre = self._pre_activations(y)
        delta = _weight(self.out) * _softplus_slope(pre[-1], self.beta)
        grad = delta @ _weight(self.skips[-1])
        for k in range(len(pre) - 2, -1, -1):
            delta = (delta @ _weight(self.hidden_path[k])) * _softplus_slope(pre[k], self.beta)
            grad = grad + delta @ _weight(self.skips[k])
        return grad + _weight(self.out_skip) + (2 * self.alpha) * y


def _conv_out(size: int, stride: int) -> int:
    return (size + 2 * 1 - 3) // stride + 1


@checked
class ConvLPN(ConvexPotentialNet):
    """Convolutional LPN for images ``(batch, channels, size, size)`` (the chapter's digits prior).

    The layout follows the paper's MNIST network at a smaller width: an unconstrained 3×3 conv of
    the image, then constrained 3×3 convs with the given ``strides``, each added to an unconstrained
    3×3 conv of the input average-pooled to that layer's resolution (a linear map of y, so
    convexity is kept), then a constrained dense layer with a linear skip of the pooled input,
    softplus, and a constrained linear read-out; plus α‖y‖².

    ``init="paper"`` sets constrained weights to exp(N(−10, 0.1)) ≈ 4.5e−5 (tiny and positive),
    as the official code's initialiser does; ``init="default"`` keeps PyTorch's and projects.
    """

    def __init__(
        self,
        image_size: Annotated[int, IntRange(low=2)] = 8,
        channels: PositiveInt = 1,
        hidden: PositiveInt = 32,
        strides: Sequence[Stride] = (1, 2, 1, 2),
        *,
        beta: SoftplusBeta = 10.0,
        alpha: NonNegativeReal = 0.01,
        init: Literal["paper", "default"] = "paper",
    ) -> None:
        super().__init__()
        strides = int_sequence("strides", strides, low=1)
        if any(s not in (1, 2) for s in strides):
            raise ValueError(f"strides must be a non-empty sequence of 1s and 2s, got {strides}")
        self.image_size, self.channels, self.hidden = image_size, channels, hidden
        self.strides = strides
        self.beta, self.alpha = float(beta), float(alpha)
        sizes = [_conv_out(image_size, strides[0])]
        for s in strides[1:]:
            sizes.append(_conv_out(sizes[-1], s))
        self.sizes = tuple(sizes)
        self.first = nn.Conv2d(channels, hidden, 3, stride=strides[0], padding=1)
        self.convs = nn.ModuleList(
            [nn.Conv2d(hidden, hidden, 3, stride=s, padding=1, bias=False) for s in strides[1:]]
        )
        self.conv_skips = nn.ModuleList(
            [nn.Conv2d(channels, hidden, 3, padding=1) for _ in strides[1:]]
        )
        last = sizes[-1]
        self.dense = nn.Linear(hidden * last * last, hidden, bias=False)
        self.dense_skip = nn.Linear(channels * last * last, hidden)
        self.out = nn.Linear(hidden, 1, bias=False)
        if init == "paper":
            with torch.no_grad():
                for module in self.constrained_modules():
                    w = _weight(module)
                    w.copy_(torch.exp(-10.0 + 0.1 * torch.randn_like(w)))
        self.project_()

    def constrained_modules(self) -> Iterator[nn.Module]:
        yield from self.convs
        yield self.dense
        yield self.out

    def _check_input(self, y: torch.Tensor) -> None:
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"ConvLPN expects a torch.Tensor, got {type(y).__name__}")
        expected = (self.channels, self.image_size, self.image_size)
        if y.ndim != 4 or tuple(y.shape[1:]) != expected:
            raise ValueError(
                f"ConvLPN expects shape (batch, {', '.join(map(str, expected))}), "
                f"got {tuple(y.shape)}"
            )
        if not y.is_floating_point():
            raise TypeError(f"ConvLPN expects a floating-point tensor, got {y.dtype}")
        matches_module("y", y, self)

    def _pre_activations(self, y: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The convolutions' pre-activations a_0 = conv(y), a_k = W_k g(a_{k−1}) + H_k pool(y),
        and the dense layer's, a_d = W_d g(a_K) + H_d pool(y) (z = g(a) throughout)."""
        pre = [self.first(y)]
        for conv, skip, size in zip(self.convs, self.conv_skips, self.sizes[1:], strict=True):
            y_small = F.adaptive_avg_pool2d(y, size)
            pre.append(conv(F.softplus(pre[-1], beta=self.beta)) + skip(y_small))
        y_last = F.adaptive_avg_pool2d(y, self.sizes[-1]).flatten(1)
        z = F.softplus(pre[-1], beta=self.beta)
        return pre, self.dense(z.flatten(1)) + self.dense_skip(y_last)

    def potential(self, y: torch.Tensor) -> torch.Tensor:
        """ψ_θ(y), shape ``(batch,)``."""
        self._check_input(y)
        _, dense = self._pre_activations(y)
        psi = self.out(F.softplus(dense, beta=self.beta)).squeeze(-1)
        return psi + self.alpha * (y * y).flatten(1).sum(dim=1)

    def _pools_exactly(self) -> bool:
        """Whether every pooled resolution divides the image side (average pooling by whole
        k × k blocks, whose adjoint is a k-fold nearest-neighbour upsampling divided by k²)."""
        return all(self.image_size % size == 0 for size in self.sizes[1:])

    def _unpool(self, g: torch.Tensor) -> torch.Tensor:
        """The adjoint of ``adaptive_avg_pool2d(·, g's side)`` on this model's images."""
        k = self.image_size // g.shape[-1]
        return g if k == 1 else F.interpolate(g, scale_factor=k, mode="nearest") / (k * k)

    @staticmethod
    def _conv_adjoint(g: torch.Tensor, conv: nn.Module, side: int) -> torch.Tensor:
        """The adjoint of the linear part of the 3×3, padding-1 convolution ``conv`` applied to
        ``side``-pixel maps: a transposed convolution with the same weights."""
        if not isinstance(conv, nn.Conv2d):  # pragma: no cover - every layer here is one
            raise TypeError(f"expected a Conv2d layer, got {type(conv).__name__}")
        stride = int(conv.stride[0])
        extra = side - ((g.shape[-1] - 1) * stride + 1)
        return F.conv_transpose2d(g, _weight(conv), stride=stride, padding=1, output_padding=extra)

    def _potential_gradient(self, y: torch.Tensor) -> torch.Tensor:
        """∇ψ_θ(y) by the chain rule through the layers, written out (back-propagation):
        δ_d = w ⊙ g′(a_d); the convolutions' δ_k = (W_{k+1}ᵀ δ_{k+1}) ⊙ g′(a_k), W_{k+1}ᵀ a
        transposed convolution, and ∇ψ_θ = Σ_k poolᵀ H_kᵀ δ_k + poolᵀ H_dᵀ δ_d + 2αy. For image
        sides that the pooled resolutions do not divide, automatic differentiation instead."""
        if not self._pools_exactly():
            return super()._potential_gradient(y)
        pre, dense = self._pre_activations(y)
        n, last = y.shape[0], self.sizes[-1]
        delta = _weight(self.out) * _softplus_slope(dense, self.beta)
        g_z = (delta @ _weight(self.dense)).view(n, self.hidden, last, last)
        skip = (delta @ _weight(self.dense_skip)).view(n, self.channels, last, last)
        grad = self._unpool(skip)
        for k in range(len(self.convs) - 1, -1, -1):
            d = g_z * _softplus_slope(pre[k + 1], self.beta)
            g_z = self._conv_adjoint(d, self.convs[k], self.sizes[k])
            skip = self._conv_adjoint(d, self.conv_skips[k], self.sizes[k + 1])
            grad = grad + self._unpool(skip)
        d = g_z * _softplus_slope(pre[0], self.beta)
        grad = grad + self._conv_adjoint(d, self.first, self.image_size)
        return grad + (2 * self.alpha) * y


@checked
class PlainCNN(nn.Module):
    """The unconstrained baseline: a residual CNN denoiser x̂ = y − D(y) with no convexity.

    ``depth`` 3×3 conv layers of width ``hidden`` with softplus activations (stride 1). It is the
    "same size, no guarantee" denoiser the chapter plugs into PnP next to the LPN.
    """

    def __init__(
        self,
        channels: PositiveInt = 1,
        hidden: PositiveInt = 32,
        depth: Annotated[int, IntRange(low=2)] = 4,
        *,
        beta: SoftplusBeta = 10.0,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.beta = beta
        widths = [channels] + [hidden] * (depth - 1) + [channels]
        self.convs = nn.ModuleList(
            [nn.Conv2d(a, b, 3, padding=1) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        )

    def _check_input(self, y: torch.Tensor) -> None:
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"PlainCNN expects a torch.Tensor, got {type(y).__name__}")
        if y.ndim != 4 or y.shape[1] != self.channels:
            raise ValueError(
                f"PlainCNN expects shape (batch, {self.channels}, h, w), got {tuple(y.shape)}"
            )
        if not y.is_floating_point():
            raise TypeError(f"PlainCNN expects a floating-point tensor, got {y.dtype}")
        matches_module("y", y, self)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """x̂ = y − D(y) for images ``(batch, channels, h, w)``."""
        self._check_input(y)
        z = y
        for conv in self.convs[:-1]:
            z = F.softplus(conv(z), beta=self.beta)
        return y - self.convs[-1](z)
