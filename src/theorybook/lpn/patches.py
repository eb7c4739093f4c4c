"""A small LPN applied patch by patch to a larger image (chapter 3, {cite}`fang2024lpn`).

The paper applies an LPN trained on small patches to larger images by averaging the
denoised overlapping patches. With patch extractors P_i (p × p windows at stride s) and the
patch LPN f = ∇ψ, the averaged operator is

.. math::  F(x) = D^{-1} \\sum_i P_i^\\top f(P_i x),\\qquad D = \\sum_i P_i^\\top P_i,

with D the diagonal count of patches covering each pixel (the chapter's eq.
:eq:`lpn-patch`). Its Jacobian is D⁻¹ Σ Pᵢᵀ ∇²ψ(Pᵢx) Pᵢ.

* **Periodic** windows (the image wrapped around, every offset on the stride grid, p a multiple
  of s) cover each pixel k = (p/s)² times, so D = kI and F = ∇Φ with
  Φ(x) = (1/k) Σᵢ ψ(Pᵢx), convex: F is then exactly a proximal operator
  (:class:`PatchLPN`, a :class:`~theorybook.lpn.model.ConvexPotentialNet` whose R_θ is exact).
* **Border** windows (inside the image only) cover border pixels fewer times; D⁻¹ Σ PᵢᵀHᵢPᵢ
  with a non-constant D is not symmetric in general, so F is not a gradient field and hence
  not a proximal operator (:func:`patch_average` with ``boundary="border"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

from theorybook.boundary import IntRange, PositiveInt, checked
from theorybook.lpn._types import check_model_input
from theorybook.lpn.model import ConvexPotentialNet, ConvLPN
from theorybook.validation import int_in_range, matches_module

__all__ = ["BOUNDARIES", "PatchLPN", "jacobian_asymmetry", "patch_average"]

Boundary = Literal["periodic", "border"]
"""How patches meet the image edge (see :data:`BOUNDARIES`)."""

BOUNDARIES: tuple[Boundary, ...] = ("periodic", "border")
"""How patches meet the image edge: wrapped around (uniform coverage) or kept inside."""


def _check_stride(patch: int, stride: object) -> int:
    s = int_in_range("stride", stride, low=1, high=patch)
    if patch % s:
        raise ValueError(f"stride must divide the patch size {patch}, got {s}")
    return s


def _check_image(x: object, patch: int, stride: int, what: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} expects a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != x.shape[3]:
        raise ValueError(f"{what} expects square images (batch, 1, n, n), got {tuple(x.shape)}")
    n = int(x.shape[-1])
    if n < patch or n % stride:
        raise ValueError(
            f"{what} needs an image side n ≥ the patch size {patch} and divisible by the "
            f"stride {stride}, got n = {n}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{what} expects a floating-point tensor, got {x.dtype}")
    return x


def _periodic_patches(x: torch.Tensor, patch: int, stride: int) -> tuple[torch.Tensor, int]:
    """All p × p windows at offsets on the stride grid, the image wrapped around:
    shape ``(batch · L, 1, p, p)`` with L = (n/s)²."""
    b = x.shape[0]
    wrapped = F.pad(x, (0, patch - stride, 0, patch - stride), mode="circular")
    cols = F.unfold(wrapped, patch, stride=stride)  # (b, p², L)
    return cols.transpose(1, 2).reshape(-1, 1, patch, patch), b


def _border_positions(n: int, patch: int, stride: int) -> list[int]:
    pos = list(range(0, n - patch + 1, stride))
    if pos[-1] != n - patch:
        pos.append(n - patch)
    return pos


@checked
class PatchLPN(ConvexPotentialNet):
    """A patch ConvLPN made an image-size-agnostic LPN by periodic patch averaging.

    Φ(x) = (s²/p²) Σᵢ ψ(Pᵢx) over the p × p windows at every offset of the stride-s grid of
    the wrapped image; ``forward`` = ∇Φ = (s²/p²) Σ Pᵢᵀ f(Pᵢx), the average of the overlapping
    patch proxes (each pixel covered (p/s)² times). Φ is convex, so the map is exactly the prox
    of some R, which :func:`~theorybook.lpn.prior.prior_at_output` evaluates exactly.
    """

    def __init__(self, patch_model: ConvLPN, *, stride: PositiveInt = 4) -> None:
        super().__init__()
        if patch_model.channels != 1:
            raise ValueError(
                f"patch_model must be a one-channel ConvLPN, got {patch_model.channels} channels"
            )
        self.patch_model = patch_model
        self.patch = patch_model.image_size
        self.stride = _check_stride(self.patch, stride)
        self.coverage = (self.patch // self.stride) ** 2
        self.alpha, self.beta = patch_model.alpha, patch_model.beta

    def constrained_modules(self) -> Iterator[nn.Module]:
        yield from self.patch_model.constrained_modules()

    def _check_input(self, y: torch.Tensor) -> None:
        _check_image(y, self.patch, self.stride, "PatchLPN")
        matches_module("y", y, self)

    def potential(self, y: torch.Tensor) -> torch.Tensor:
        """Φ(y) = (1/k) Σᵢ ψ(Pᵢy), shape ``(batch,)``, k = (p/s)²."""
        self._check_input(y)
        patches, b = _periodic_patches(y, self.patch, self.stride)
        psi = self.patch_model.potential(patches).reshape(b, -1)
        return psi.sum(dim=1) / self.coverage


@checked
def patch_average(
    model: Callable[[Tensor], Tensor],
    x: Float[Tensor, "batch 1 n n"],
    *,
    patch: Annotated[int, IntRange(low=2)],
    stride: PositiveInt = 4,
    boundary: Boundary = "border",
) -> Float[Tensor, "batch 1 n n"]:
    """D⁻¹ Σᵢ Pᵢᵀ model(Pᵢx) for images ``x`` ``(batch, 1, n, n)``, eq. :eq:`lpn-patch`.

    ``boundary="periodic"``: windows of the wrapped image at every stride offset (D = (p/s)² I);
    ``"border"``: windows inside the image at the stride grid plus the last window flush with
    the edge, D the per-pixel count (non-uniform near the edges). ``model`` maps
    ``(N, 1, p, p)`` to the same shape. Gradients flow through (for Jacobians).

    Arguments:
        model: the patch denoiser, ``(N, 1, p, p) → (N, 1, p, p)``.
        x: the images ``(batch, 1, n, n)``.
        patch: the patch side p.
        stride: the stride s between windows (s divides p).
        boundary: ``"periodic"`` (an exact prox) or ``"border"``.

    Returns:
        The averaged output, the shape of ``x``.

    Raises:
        TypeError, ValueError: naming the argument: a stride that does not divide ``patch``, an
            image side below ``patch`` or not a multiple of ``stride`` (``x``), an input the
            network ``model`` cannot take (``x``), or a ``model`` that does not map a batch of
            patches to the same shape.
    """
    stride = _check_stride(patch, stride)
    x = _check_image(x, patch, stride, "patch_average: x")
    b, n = x.shape[0], int(x.shape[-1])
    if boundary == "periodic":
        patches, _ = _periodic_patches(x, patch, stride)
        out = _patch_model_output(model, patches).reshape(b, -1, patch * patch).transpose(1, 2)
        size = n + patch - stride
        summed = F.fold(out, (size, size), patch, stride=stride)
        # wrap the overhang back onto the image
        over = patch - stride
        summed = summed.clone()
        summed[..., :over, :] = summed[..., :over, :] + summed[..., n:, :]
        summed[..., :, :over] = summed[..., :, :over] + summed[..., :, n:]
        return summed[..., :n, :n] / (patch // stride) ** 2
    pos = _border_positions(n, patch, stride)
    windows = torch.stack([x[:, :, i : i + patch, j : j + patch] for i in pos for j in pos], 1)
    out = _patch_model_output(model, windows.reshape(-1, 1, patch, patch)).reshape(windows.shape)
    summed = torch.zeros_like(x)
    count = torch.zeros_like(x)
    k = 0
    for i in pos:
        for j in pos:
            summed[:, :, i : i + patch, j : j + patch] += out[:, k]
            count[:, :, i : i + patch, j : j + patch] += 1
            k += 1
    return summed / count


def _patch_model_output(model: Callable[[Tensor], Tensor], patches: Tensor) -> Tensor:
    """``model(patches)``, or an error naming ``x`` or ``model`` (not one from inside torch)."""
    check_model_input("x (cut into patch × patch windows)", patches, model)
    out = model(patches)
    if not isinstance(out, torch.Tensor) or out.shape != patches.shape:
        raise TypeError(
            f"model must map a batch of patches {tuple(patches.shape)} to a tensor of the same "
            f"shape, got {type(out).__name__} {tuple(getattr(out, 'shape', ()))}"
        )
    return out


@checked
def jacobian_asymmetry(fn: Callable[[Tensor], Tensor], image: Float[Tensor, "1 1 n n"]) -> float:
    """‖J − Jᵀ‖_F / ‖J‖_F of an image-to-image map ``fn`` at one image ``(1, 1, n, n)``.

    J is the n² × n² Jacobian by autograd (use float64 maps). A gradient field (such as a
    prox, ∇ of a convex function) has J symmetric: the ratio is 0 up to rounding. A map with
    J = 0 at ``image`` gives 0 (the norm is floored at 1e−300).

    Arguments:
        fn: the map, ``(1, 1, n, n) → (1, 1, n, n)``, differentiable by autograd.
        image: the point at which J is taken.

    Returns:
        The relative asymmetry, ≥ 0.

    Raises:
        TypeError: if ``fn`` cannot be applied to ``image`` (a network of another dtype, say)
            or does not return a tensor of its shape.
    """
    shape = image.shape
    try:
        probe = fn(image.detach())
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"fn cannot be applied to image (shape {tuple(shape)}, {image.dtype}): {err}"
        ) from None
    if not isinstance(probe, torch.Tensor) or probe.numel() != image.numel():
        raise TypeError(
            f"fn must map image {tuple(shape)} to a tensor of the same size, got "
            f"{type(probe).__name__} {tuple(getattr(probe, 'shape', ()))}"
        )

    def flat(v: torch.Tensor) -> torch.Tensor:
        return fn(v.reshape(shape)).reshape(-1)

    jac = torch.autograd.functional.jacobian(flat, image.detach().reshape(-1))
    return float((jac - jac.T).norm() / jac.norm().clamp_min(1e-300))
