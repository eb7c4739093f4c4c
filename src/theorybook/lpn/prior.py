"""The learned prior made explicit: inverting an LPN and evaluating R_θ (chapter 3).

For x = f_θ(ŷ) the regulariser whose prox is f_θ is (paper §3, chapter eq. :eq:`lpn-prior`)

.. math::  R_\\theta(x) = \\langle \\hat y, x\\rangle - \\tfrac12\\|x\\|^2 - \\psi_\\theta(\\hat y),
           \\qquad \\hat y = f_\\theta^{-1}(x),

up to an additive constant; equivalently R_θ(x) = ψ_θ*(x) − ½‖x‖² with ψ_θ* the convex conjugate.
ŷ solves the convex problem min_y ψ_θ(y) − ⟨x, y⟩ (strongly convex when α > 0), which
:func:`invert` hands to ``torch.optim.LBFGS`` with a strong-Wolfe line search; every point the
solver evaluates is checked (:func:`~theorybook.training.check_iterates`), so a problem without
a minimiser stops with :class:`~theorybook.training.SolverDiverged` naming the L-BFGS iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import NonNegativeInt, PositiveInt, PositiveReal, checked, record
from theorybook.lpn._types import Float3264, check_model_input
from theorybook.lpn.model import ConvexPotentialNet
from theorybook.training import check_iterates

__all__ = ["Inversion", "invert", "learned_prior", "prior_at_output"]

Batch = Float[Tensor, "batch *sample"]
"""A batch of inputs (or outputs) of an LPN."""

Solutions = Float3264[Tensor, "batch *sample"]
"""Pre-images ŷ found by :func:`invert`, in the model's single or double precision."""


@record
@dataclass(frozen=True)
class Inversion:
    """ŷ with f_θ(ŷ) ≈ x; ``residual`` is ‖f_θ(ŷ) − x‖ per sample; ``iterations`` L-BFGS iterations."""

    y: Solutions
    residual: Float3264[Tensor, " batch"]
    iterations: NonNegativeInt


@checked
def invert(
    model: ConvexPotentialNet,
    x: Batch,
    *,
    y0: Batch | None = None,
    max_iter: PositiveInt = 500,
    tol: PositiveReal = 1e-9,
    chunk: PositiveInt = 256,
) -> Inversion:
    """Find ŷ = f_θ⁻¹(x) by minimising the convex ψ_θ(y) − ⟨x, y⟩ with L-BFGS.

    The gradient of the objective is f_θ(y) − x, so L-BFGS stops when ``max |f_θ(y) − x| < tol``.
    Samples are independent; they are solved ``chunk`` at a time as one summed problem. The
    start is ``y0`` (default x itself). Use float64 models for tight residuals.

    Every point L-BFGS evaluates (each iteration's line search included) must be finite, with
    entries below 1e12, and give a finite objective: an x outside the range of f_θ (possible
    when α = 0, where f_θ is bounded) has no pre-image, the objective is unbounded below and
    the iterates run off; this stops with :class:`~theorybook.training.SolverDiverged` naming
    the chunk and the L-BFGS iteration instead of returning NaN.

    Arguments:
        model: the LPN f_θ = ∇ψ_θ.
        x: the points to invert, a batch of the model's inputs (its dtype).
        y0: the start (default ``x``), the shape of ``x``.
        max_iter: the L-BFGS iterations per chunk.
        tol: the gradient tolerance, ``max |f_θ(y) − x|``.
        chunk: how many samples are solved together.

    Returns:
        The :class:`Inversion`: ŷ, the residuals ‖f_θ(ŷ) − x‖ and the iterations taken.

    Raises:
        TypeError, ValueError: for malformed arguments, naming them (an ``x`` the model cannot
            take: another dtype or shape).
        SolverDiverged: when an iterate or the objective is not finite or an iterate blows up.
    """
    check_model_input("x", x, model)
    start = x if y0 is None else y0
    if y0 is not None:
        check_model_input("y0", y0, model)
    x = x.detach()
    outs, iters = [], 0
    for index, lo in enumerate(range(0, x.shape[0], chunk)):
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
        where = f"invert (L-BFGS, chunk {index})"
        state = opt.state[y]

        def closure(
            y: torch.Tensor = y, xc: torch.Tensor = xc, where: str = where, state: dict = state
        ) -> torch.Tensor:
            # L-BFGS numbers its iterations in state["n_iter"] (0 for the start's evaluation)
            step = int(state.get("n_iter", 0))
            check_iterates(y, step=step, where=where)
            with torch.enable_grad():
                obj = model.potential(y).sum() - (xc * y).sum()
                (g,) = torch.autograd.grad(obj, y)
            check_iterates(obj, step=step, where=f"{where} objective", limit=float("inf"))
            y.grad = g
            return obj.detach()

        opt.step(closure)
        iters = max(iters, int(state["n_iter"]))
        outs.append(y.detach())
    y_hat = torch.cat(outs)
    with torch.no_grad():
        residual = (model(y_hat) - x).reshape(x.shape[0], -1).norm(dim=1)
    return Inversion(y=y_hat, residual=residual, iterations=iters)


def _prior_at_output(model: ConvexPotentialNet, y: torch.Tensor) -> tuple[Tensor, Tensor]:
    """:func:`prior_at_output` without the checks of its arguments (for the PnP loops).

    One pass: ψ_θ(y) and its gradient x = f_θ(y) come from the same forward and backward (what
    ``model(y)`` computes), instead of a second forward for ψ_θ.
    """
    with torch.enable_grad():
        y_in = y.detach().requires_grad_(True)
        psi = model.potential(y_in)
        (x,) = torch.autograd.grad(psi.sum(), y_in)
    x, psi, y = x.detach(), psi.detach(), y.detach()
    n = y.shape[0]
    r = (y * x).reshape(n, -1).sum(1) - 0.5 * (x * x).reshape(n, -1).sum(1) - psi
    return x, r


@checked
def prior_at_output(model: ConvexPotentialNet, y: Batch) -> tuple[Batch, Float[Tensor, " batch"]]:
    """(x, R_θ(x)) at x = f_θ(y), exactly and without inversion (eq. :eq:`lpn-prior` with ŷ = y).

    Valid when f_θ is injective (α > 0), or in general as ψ_θ*(x) − ½‖x‖² since y maximises
    ⟨y, x⟩ − ψ_θ(y) whenever x = ∇ψ_θ(y). PnP iterates x_{k+1} = f_θ(v_k) use it to evaluate the
    objective exactly.

    Arguments:
        model: the LPN f_θ = ∇ψ_θ.
        y: the inputs, a batch of the model's inputs (its dtype).

    Returns:
        ``(x, R_θ(x))``: the outputs f_θ(y) and the prior there, one value per sample.
    """
    check_model_input("y", y, model)
    return _prior_at_output(model, y)


@checked
def learned_prior(
    model: ConvexPotentialNet,
    x: Batch,
    *,
    return_inversion: bool = False,
    **invert_kwargs: object,
) -> Float[Tensor, " batch"] | tuple[Float[Tensor, " batch"], Inversion]:
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
