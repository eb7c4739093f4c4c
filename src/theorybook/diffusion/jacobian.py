"""The Jacobian view of a denoiser: ``x̂ = J(y) y``, its eigenbasis, ``tr J`` and SURE.

For a bias-free network (positively homogeneous, :eq:`diffusion-homogeneity`) Euler's theorem
gives ``f(y) = J(y) y`` with ``J = ∇f(y)`` (:eq:`diffusion-jy`): locally the denoiser is an
adaptive linear filter, a shrinkage in the eigenbasis of J (:eq:`diffusion-shrinkage`). Its trace
is the effective dimension of the space the denoiser preserves (:eq:`diffusion-optimal-mse`),
and SURE (:eq:`diffusion-sure`) estimates the MSE from the noisy image alone.

Jacobians are computed with ``torch.func``: ``jacrev`` vmapped over the batch, so one call
returns the (B, d, d) Jacobians of B images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from jaxtyping import Float
from torch import Tensor

from theorybook import validation as v
from theorybook.boundary import NonNegativeReal, PositiveReal, checked, record
from theorybook.diffusion._types import Float3264
from theorybook.diffusion.denoisers import check_denoiser_input, check_output, state_preserved

__all__ = [
    "JacobianEigen",
    "denoiser_jacobian",
    "effective_dimension",
    "homogeneity_error",
    "jacobian_eigen",
    "linearity_error",
    "sure_estimate",
]

Denoiser = Callable[[Tensor], Tensor]
MAX_PIXELS = 4096

Images = Float[Tensor, "*batch c h w"]
"""One image (C, H, W) or a batch (B, C, H, W) (more leading axes are refused in the body)."""


def _as_batch(y: torch.Tensor, denoiser: object) -> torch.Tensor:
    """``y`` as a batch (B, C, H, W), checked against a module denoiser's dtype and device."""
    if y.ndim > 4:
        raise ValueError(f"y must be (C, H, W) or (B, C, H, W), got shape {tuple(y.shape)}")
    batch = y[None] if y.ndim == 3 else y
    return check_denoiser_input("y", batch, denoiser)


def _denoiser_jacobian(denoiser: Denoiser, batch: torch.Tensor) -> torch.Tensor:
    """:func:`denoiser_jacobian` of a batch (B, C, H, W), without the argument checks."""
    if getattr(denoiser, "training", False):
        raise ValueError("denoiser is in training mode (batch statistics); call .eval() first")
    d = batch[0].numel()
    if d > MAX_PIXELS:
        raise ValueError(f"images of {d} values exceed the {MAX_PIXELS} this function allows")
    shape = batch.shape[1:]

    def single(x: torch.Tensor) -> torch.Tensor:
        return denoiser(x.reshape(1, *shape)).reshape(-1)

    jac = torch.func.vmap(torch.func.jacrev(single))(batch.reshape(len(batch), -1))
    if jac.shape != (len(batch), d, d):
        raise ValueError(
            f"denoiser must return a tensor of its input's shape {tuple(shape)} per image; its "
            f"Jacobians have shape {tuple(jac.shape)}"
        )
    return jac.detach()


@checked
def denoiser_jacobian(denoiser: Denoiser, y: Images) -> Float[Tensor, "b d d"]:
    """The Jacobians ``J(y) = ∂f/∂y`` at each image of ``y``, shape (B, d, d), d = C·H·W.

    ``y`` is one image (C, H, W) or a batch (B, C, H, W). The denoiser must act on each image
    independently (a network in eval mode does; in training mode batch norm couples the batch,
    so this raises) and return its input's shape. Images larger than 4096 pixels are refused
    (the matrix would not fit).
    """
    return _denoiser_jacobian(denoiser, _as_batch(y, denoiser))


@checked
def effective_dimension(denoiser: Denoiser, y: Images) -> Float[Tensor, " b"]:
    """``tr J(y)`` per image (B,): the effective dimension of the denoiser's local subspace."""
    batch = _as_batch(y, denoiser)
    return _denoiser_jacobian(denoiser, batch).diagonal(dim1=1, dim2=2).sum(-1)


@checked
def sure_estimate(denoiser: Denoiser, y: Images, sigma: PositiveReal) -> Float[Tensor, " b"]:
    """Stein's unbiased estimate of the per-pixel MSE ``‖f(y) − x‖²/d``, :eq:`diffusion-sure`.

    ``(2σ² tr J(y) + ‖y − f(y)‖² − σ² d) / d``, using only the noisy images ``y`` and the
    noise level ``sigma`` of Gaussian noise added to them.

    Arguments:
        denoiser: the denoiser ``f`` (acting on each image independently).
        y: the noisy images (B, C, H, W), or one image (C, H, W).
        sigma: the standard deviation of the noise in ``y`` (> 0).

    Returns:
        The estimate per image (B,).
    """
    batch = _as_batch(y, denoiser)
    d = batch[0].numel()
    tr = _denoiser_jacobian(denoiser, batch).diagonal(dim1=1, dim2=2).sum(-1)
    with torch.no_grad():
        f = check_output("denoiser", denoiser(batch), batch)
        resid = (batch - f).flatten(1).square().sum(1)
    return (2 * sigma**2 * tr + resid - sigma**2 * d) / d


@record
@dataclass(frozen=True)
class JacobianEigen:
    """Eigen-decomposition of the symmetric part of J at one image.

    ``values`` (d,) in decreasing order, ``vectors`` (d, d) with the k-th eigenvector in column
    k, ``asymmetry = ‖J − Jᵀ‖_F / ‖J‖_F`` (0 for an exactly symmetric J, as the MMSE denoiser's
    Jacobian is by :eq:`diffusion-miyasawa`), and ``trace``.
    """

    values: Float3264[Tensor, " d"]
    vectors: Float3264[Tensor, "d d"]
    asymmetry: NonNegativeReal
    trace: float


@checked
def jacobian_eigen(denoiser: Denoiser, y: Images) -> JacobianEigen:
    """Eigenvalues and eigenvectors of ``(J + Jᵀ)/2`` at a single image ``y`` (C, H, W) (or a
    batch of one)."""
    batch = _as_batch(y, denoiser)
    if len(batch) != 1:
        raise ValueError(f"jacobian_eigen takes one image y, got a batch of {len(batch)}")
    jac = _denoiser_jacobian(denoiser, batch)[0].double()
    sym = (jac + jac.T) / 2
    values, vectors = torch.linalg.eigh(sym)
    order = torch.argsort(values, descending=True)
    asym = float(torch.linalg.norm(jac - jac.T) / torch.linalg.norm(jac).clamp_min(1e-30))
    return JacobianEigen(
        values=values[order],
        vectors=vectors[:, order],
        asymmetry=asym,
        trace=float(jac.trace()),
    )


@checked
def linearity_error(denoiser: Denoiser, y: Images) -> float:
    """The largest relative error ``‖J(y) y − f(y)‖ / ‖f(y)‖`` over the images of ``y``.

    The norm ``‖f(y)‖`` is floored at 1e-30 (a denoiser that returns zero, as a bias-free one
    does at ``y = 0``, gets an error of ``‖J(y) y‖ / 1e-30``, zero for a homogeneous one).
    """
    batch = _as_batch(y, denoiser)
    jac = _denoiser_jacobian(denoiser, batch)
    with torch.no_grad():
        f = check_output("denoiser", denoiser(batch), batch).flatten(1)
    jy = torch.einsum("bij,bj->bi", jac, batch.flatten(1))
    return float(((jy - f).norm(dim=1) / f.norm(dim=1).clamp_min(1e-30)).max())


@checked
def homogeneity_error(
    denoiser: Denoiser,
    y: Float[Tensor, "batch c h w"],
    scales: Sequence[PositiveReal] = (0.1, 0.5, 2.0, 10.0),
) -> float:
    """The largest ``‖f(a y) − a f(y)‖ / ‖a f(y)‖`` over ``a`` in ``scales`` and the images of y.

    Zero for a positively homogeneous denoiser (:eq:`diffusion-homogeneity`). The norm
    ``‖a f(y)‖`` is floored at 1e-30 (a denoiser that returns zero, as a bias-free one does at
    ``y = 0``, is homogeneous there when ``f(a y)`` is zero too).

    Arguments:
        denoiser: the denoiser ``f`` (in either mode: training mode is what this measures
            against); a module is left in the state it came in (in training mode its batch
            norms' running variances are restored).
        y: the images (B, C, H, W).
        scales: the factors ``a`` (> 0; a scale so large that ``a·y`` overflows raises
            ``ValueError``).

    Returns:
        The largest relative error.
    """
    batch = check_denoiser_input("y", y, denoiser)
    factors = v.real_sequence("scales", scales, low=0.0, low_open=True)
    worst = 0.0
    with torch.no_grad(), state_preserved(denoiser):
        f = check_output("denoiser", denoiser(batch), batch)
        for a in factors:
            scaled = a * batch
            if not bool(torch.isfinite(scaled).all()):
                raise ValueError(f"scales holds {a:g}, which overflows a·y in {batch.dtype}")
            fa = denoiser(scaled)
            norm = (a * f).flatten(1).norm(dim=1).clamp_min(1e-30)
            err = (fa - a * f).flatten(1).norm(dim=1) / norm
            worst = max(worst, float(err.max()))
    return worst
