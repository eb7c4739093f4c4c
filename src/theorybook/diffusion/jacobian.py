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

from theorybook import validation as v
from theorybook.diffusion.denoisers import check_images

__all__ = [
    "JacobianEigen",
    "denoiser_jacobian",
    "effective_dimension",
    "homogeneity_error",
    "jacobian_eigen",
    "linearity_error",
    "sure_estimate",
]

Denoiser = Callable[[torch.Tensor], torch.Tensor]
MAX_PIXELS = 4096


def _as_batch(y: object) -> torch.Tensor:
    t = v.tensor("y", y, ndim=(3, 4))
    return t[None] if t.ndim == 3 else t


def denoiser_jacobian(denoiser: Denoiser, y: object) -> torch.Tensor:
    """The Jacobians ``J(y) = ∂f/∂y`` at each image of ``y``, shape (B, d, d), d = C·H·W.

    ``y`` is one image (C, H, W) or a batch (B, C, H, W). The denoiser must act on each image
    independently (a network in eval mode does; in training mode batch norm couples the batch,
    so this raises). Images larger than 4096 pixels are refused (the matrix would not fit).
    """
    v.callable_("denoiser", denoiser)
    batch = _as_batch(y)
    if getattr(denoiser, "training", False):
        raise ValueError("denoiser is in training mode (batch statistics); call .eval() first")
    d = batch[0].numel()
    if d > MAX_PIXELS:
        raise ValueError(f"images of {d} values exceed the {MAX_PIXELS} this function allows")
    shape = batch.shape[1:]

    def single(x: torch.Tensor) -> torch.Tensor:
        return denoiser(x.reshape(1, *shape)).reshape(-1)

    jac = torch.func.vmap(torch.func.jacrev(single))(batch.reshape(len(batch), -1))
    return jac.detach()


def effective_dimension(denoiser: Denoiser, y: object) -> torch.Tensor:
    """``tr J(y)`` per image (B,): the effective dimension of the denoiser's local subspace."""
    return denoiser_jacobian(denoiser, y).diagonal(dim1=1, dim2=2).sum(-1)


def sure_estimate(denoiser: Denoiser, y: object, sigma: float) -> torch.Tensor:
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
    sigma = v.positive_real("sigma", sigma)
    batch = _as_batch(y)
    d = batch[0].numel()
    tr = effective_dimension(denoiser, batch)
    with torch.no_grad():
        resid = (batch - denoiser(batch)).flatten(1).square().sum(1)
    return (2 * sigma**2 * tr + resid - sigma**2 * d) / d


@dataclass(frozen=True)
class JacobianEigen:
    """Eigen-decomposition of the symmetric part of J at one image.

    ``values`` (d,) in decreasing order, ``vectors`` (d, d) with the k-th eigenvector in column
    k, ``asymmetry = ‖J − Jᵀ‖_F / ‖J‖_F`` (0 for an exactly symmetric J, as the MMSE denoiser's
    Jacobian is by :eq:`diffusion-miyasawa`), and ``trace``.
    """

    values: torch.Tensor
    vectors: torch.Tensor
    asymmetry: float
    trace: float


def jacobian_eigen(denoiser: Denoiser, y: object) -> JacobianEigen:
    """Eigenvalues and eigenvectors of ``(J + Jᵀ)/2`` at a single image ``y`` (C, H, W)."""
    t = v.tensor("y", y, ndim=(3, 4))
    if t.ndim == 4 and len(t) != 1:
        raise ValueError(f"jacobian_eigen takes one image, got a batch of {len(t)}")
    jac = denoiser_jacobian(denoiser, t)[0].double()
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


def linearity_error(denoiser: Denoiser, y: object) -> float:
    """The largest relative error ``‖J(y) y − f(y)‖ / ‖f(y)‖`` over the images of ``y``."""
    batch = _as_batch(y)
    jac = denoiser_jacobian(denoiser, batch)
    with torch.no_grad():
        f = denoiser(batch).flatten(1)
    jy = torch.einsum("bij,bj->bi", jac, batch.flatten(1))
    return float(((jy - f).norm(dim=1) / f.norm(dim=1).clamp_min(1e-30)).max())


def homogeneity_error(
    denoiser: Denoiser, y: object, scales: Sequence[float] = (0.1, 0.5, 2.0, 10.0)
) -> float:
    """The largest ``‖f(a y) − a f(y)‖ / ‖a f(y)‖`` over ``a`` in ``scales`` and the images of y.

    Zero for a positively homogeneous denoiser (:eq:`diffusion-homogeneity`).

    Arguments:
        denoiser: the denoiser ``f``.
        y: the images (B, C, H, W).
        scales: the factors ``a`` (> 0).

    Returns:
        The largest relative error.
    """
    batch = check_images("y", y)
    factors = v.real_sequence("scales", scales, low=0.0, low_open=True)
    worst = 0.0
    with torch.no_grad():
        f = denoiser(batch)
        for a in factors:
            fa = denoiser(a * batch)
            err = (fa - a * f).flatten(1).norm(dim=1) / (a * f).flatten(1).norm(dim=1)
            worst = max(worst, float(err.max()))
    return worst
