"""The learned prior made explicit: inverting an LPN and evaluating R_θ (chapter 3).

For x = f_θ(ŷ) the regulariser whose prox is f_θ is (paper §3, chapter eq. :eq:`lpn-prior`)

.. math::  R_\\theta(x) = \\langle \\hat y, x\\rangle - \\tfrac12\\|x\\|^2 - \\psi_\\theta(\\hat y),
           \\qquad \\hat y = f_\\theta^{-1}(x),

up to an additive constant; equivalently R_θ(x) = ψ_θ*(x) − ½‖x‖² with ψ_θ* the convex conjugate.
ŷ solves the convex problem min_y ψ_θ(y) − ⟨x, y⟩ (strongly convex when α > 0), which
:func:`invert` hands to ``torch.optim.LBFGS`` with a strong-Wolfe line search.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorybook.lpn.model import ConvexPotentialNet
from theorybook.validation import positive_int, positive_real, tensor

__all__ = ["Inversion", "invert", "learned_prior", "prior_at_output"]


@dataclass(frozen=True)
class Inversion:
    """ŷ with f_θ(ŷ) ≈ x; ``residual`` is ‖f_θ(ŷ) − x‖ per sample; ``iterations`` L-BFGS iterations."""

    y: torch.Tensor
    residual: torch.Tensor
    iterations: int


def _check_model(model: object) -> ConvexPotentialNet:
    if not isinstance(model, ConvexPotentialNet):
        raise TypeError(f"expected an LPN or ConvLPN, got {type(model).__name__}")
    return model


def invert(
    model: ConvexPotentialNet,
    x: torch.Tensor,
    *,
    y0: torch.Tensor | None = None,
    max_iter: int = 500,
    tol: float = 1e-9,
    chunk: int = 256,
) -> Inversion:
    """Find ŷ = f_θ⁻¹(x) by minimising the convex ψ_θ(y) − ⟨x, y⟩ with L-BFGS.

    The gradient of the objective is f_θ(y) − x, so L-BFGS stops when ``max |f_θ(y) − x| < tol``.
    Samples are independent; they are solved ``chunk`` at a time as one summed problem. The
    start is ``y0`` (default x itself). Use float64 models for tight residuals.

    Arguments:
        model: the LPN f_θ = ∇ψ_θ.
        x: the points to invert, a batch.
        y0: the start (default ``x``).
        max_iter: the L-BFGS iterations per chunk.
        tol: the gradient tolerance, ``max |f_θ(y) − x|``.
        chunk: how many samples are solved together.

    Returns:
        The :class:`Inversion`: ŷ, the residuals ‖f_θ(ŷ) − x‖ and the iterations taken.

    Raises ``TypeError`` for a model that is not an LPN or a non-tensor ``x``, and
    ``ValueError`` for NaN/inf in ``x`` or ``y0``, mismatched shapes or a non-positive ``tol``.
    """
    model = _check_model(model)
    tensor("x", x, ndim=range(1, 8))
    max_iter, chunk = positive_int("max_iter", max_iter), positive_int("chunk", chunk)
    tol = positive_real("tol", tol)
    start = x if y0 is None else tensor("y0", y0)
    if start.shape != x.shape:
        raise ValueError(f"y0 has shape {tuple(start.shape)}, x has {tuple(x.shape)}")
    x = x.detach()
    outs, iters = [], 0
    for lo in range(0, x.shape[0], chunk):
        xc = x[lo : lo + chunk]
        y = start[lo : lo + chunk].detach().clone().requires_grad_(True)
        opt = torch.optim.LBFGS(
            [y],
            lr=1.0,
            max_iter=max_iter,
            max_eval=2 * max_iter,
            tolerance_grad=tol,
            tolerance_change=1e-30,
            history_size=50,
            line_search_fn="strong_wolfe",
        )

        def closure(y: torch.Tensor = y, xc: torch.Tensor = xc) -> torch.Tensor:
            with torch.enable_grad():
                obj = model.potential(y).sum() - (xc * y).sum()
                (g,) = torch.autograd.grad(obj, y)
            y.grad = g
            return obj.detach()

        opt.step(closure)
        iters = max(iters, int(opt.state[opt._params[0]]["n_iter"]))
        outs.append(y.detach())
    y_hat = torch.cat(outs)
    with torch.no_grad():
        residual = (model(y_hat) - x).reshape(x.shape[0], -1).norm(dim=1)
    return Inversion(y=y_hat, residual=residual, iterations=iters)


def prior_at_output(
    model: ConvexPotentialNet, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, R_θ(x)) at x = f_θ(y), exactly and without inversion (eq. :eq:`lpn-prior` with ŷ = y).

    Valid when f_θ is injective (α > 0), or in general as ψ_θ*(x) − ½‖x‖² since y maximises
    ⟨y, x⟩ − ψ_θ(y) whenever x = ∇ψ_θ(y). PnP iterates x_{k+1} = f_θ(v_k) use it to evaluate the
    objective exactly.
    """
    model = _check_model(model)
    y = tensor("y", y).detach()
    with torch.no_grad():
        x = model(y)
        psi = model.potential(y)
    n = y.shape[0]
    r = (y * x).reshape(n, -1).sum(1) - 0.5 * (x * x).reshape(n, -1).sum(1) - psi
    return x, r


def learned_prior(
    model: ConvexPotentialNet,
    x: torch.Tensor,
    *,
    return_inversion: bool = False,
    **invert_kwargs: object,
) -> torch.Tensor | tuple[torch.Tensor, Inversion]:
    """R_θ(x) up to an additive constant, one value per sample (eq. :eq:`lpn-prior`).

    ŷ comes from :func:`invert` (keyword arguments are passed on); ``return_inversion=True`` also
    returns the :class:`Inversion` so the caller can check its residuals.

    Arguments:
        model: the LPN f_θ = ∇ψ_θ.
        x: the points at which R_θ is evaluated, a batch.
        return_inversion: also return the :class:`Inversion`.
        invert_kwargs: passed on to :func:`invert` (``max_iter``, ``tol``, ...).

    Returns:
        R_θ(x), one value per sample, and the :class:`Inversion` if asked for.
    """
    inv = invert(model, x, **invert_kwargs)  # type: ignore[arg-type]
    n = x.shape[0]
    with torch.no_grad():
        psi = model.potential(inv.y)
    xd = x.detach()
    r = (inv.y * xd).reshape(n, -1).sum(1) - 0.5 * (xd * xd).reshape(n, -1).sum(1) - psi
    return (r, inv) if return_inversion else r
