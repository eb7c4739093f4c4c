"""Exact checks of the LPN construction: symmetric PSD Jacobians and the exact prox (chapter 3).

These test properties that hold *by construction* (paper §3, {cite}`fang2024lpn`): the Jacobian
of f_θ = ∇ψ_θ is the Hessian of a convex function, and f_θ(y) minimises
½‖x − y‖² + R_θ(x) (the chapter's eqs. :eq:`lpn-gn` and :eq:`lpn-prior`). They show the code is
right; they reproduce nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import FiniteReal, IntRange, NonNegativeReal, PositiveReal, checked, record
from theorybook.lpn._types import check_model_input
from theorybook.lpn.model import LPN, ConvexPotentialNet
from theorybook.lpn.prior import Batch, _prior_at_output

__all__ = ["JacobianReport", "jacobian_report", "prox_grid_check"]


@record
@dataclass(frozen=True)
class JacobianReport:
    """Relative asymmetry ``max|J − Jᵀ|/max|J|`` and extreme eigenvalues of ½(J + Jᵀ), worst over
    points."""

    asymmetry: NonNegativeReal
    lambda_min: FiniteReal
    lambda_max: FiniteReal


@checked
def jacobian_report(model: ConvexPotentialNet, points: Batch) -> JacobianReport:
    """The Jacobian of f_θ (= ∇²ψ_θ) at each of ``points`` (a batch), in float64.

    A Jacobian that is zero everywhere has asymmetry 0 (the norm is floored at 1e−300).

    Arguments:
        model: the LPN f_θ = ∇ψ_θ (a float64 copy is differentiated).
        points: the points, a batch of the model's inputs (any floating dtype).

    Returns:
        The :class:`JacobianReport`: the worst relative asymmetry and the extreme eigenvalues
        of the symmetric part over the points.
    """
    check_model_input("points", points.to(_model_dtype(model)), model)
    m = copy.deepcopy(model).double()
    asym, lo, hi = 0.0, np.inf, -np.inf
    for p in points.double():
        shape = p.shape

        def f(v: torch.Tensor, shape: torch.Size = shape) -> torch.Tensor:
            return m(v.reshape(1, *shape)).reshape(-1)

        jac = torch.autograd.functional.jacobian(f, p.reshape(-1))
        asym = max(asym, float((jac - jac.T).abs().max() / jac.abs().max().clamp_min(1e-300)))
        ev = torch.linalg.eigvalsh(0.5 * (jac + jac.T))
        lo, hi = min(lo, float(ev.min())), max(hi, float(ev.max()))
    return JacobianReport(asym, lo, hi)


def _model_dtype(model: torch.nn.Module) -> torch.dtype:
    first = next(iter(model.parameters()), None)
    return torch.float64 if first is None else first.dtype


@checked
def prox_grid_check(
    model: LPN,
    y_test: Float[Tensor, "*points"],
    *,
    y_range: PositiveReal = 8.0,
    n_grid: Annotated[int, IntRange(low=3)] = 20001,
) -> tuple[float, float]:
    """argmin over a grid of ½(x − y)² + R_θ(x) reproduces f_θ(y) (1-D models).

    The grid is {x_j = f_θ(u_j)} for u_j uniform on [−y_range, y_range], with R_θ(x_j) exact
    (:func:`prior_at_output`). Returns (``max |x̂_grid(y) − f_θ(y)|``, the largest gap of the x-grid
    near the answers): "to grid precision" means the first is at most about the second.

    Arguments:
        model: a 1-D LPN (``LPN(dim=1)``).
        y_test: the points y at which the prox is checked.
        y_range: the grid's pre-image u covers [−y_range, y_range].
        n_grid: the number of grid points (≥ 3).

    Returns:
        ``(error, grid gap)`` as above.

    Raises:
        ValueError: for a model of ``dim`` > 1; :class:`~theorybook.boundary.NonFiniteResult`
            if ``y_range`` is so large that R_θ overflows on the grid.
    """
    if model.dim != 1:
        raise ValueError(f"model must be a 1-D LPN (LPN(dim=1)), got dim = {model.dim}")
    m = copy.deepcopy(model).double()
    u = torch.linspace(-y_range, y_range, n_grid, dtype=torch.float64).reshape(-1, 1)
    xg, rg = _prior_at_output(m, u)
    xg, rg = xg.ravel(), rg.ravel()
    yt = y_test.double().reshape(-1)
    with torch.no_grad():
        target = m(yt.reshape(-1, 1)).ravel()
    obj = 0.5 * (xg[None, :] - yt[:, None]) ** 2 + rg[None, :]
    best = obj.argmin(dim=1)
    err = float((xg[best] - target).abs().max())
    sorted_x = torch.sort(xg).values
    gaps = torch.diff(sorted_x)
    pos = torch.searchsorted(sorted_x[1:-1].contiguous(), target)
    local_gap = float(gaps[pos.clamp(max=len(gaps) - 1)].max())
    return err, local_gap
