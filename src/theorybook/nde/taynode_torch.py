"""TayNODE's order-2 regularizer in PyTorch (Kelly et al. 2020), the baseline of the torch runs.

TayNODE penalizes ``R_K = ∫ ‖d^K z/dt^K‖² dt`` (equation :eq:`nde-taynode`). For ``K = 2`` the
second total time derivative along the solution of ``z' = f(t, z)`` is one Jacobian-vector product,

    ``d²z/dt² = ∂f/∂z · f + ∂f/∂t = J_{(t, z)} f · (1, f)``,

computed in forward mode with :func:`torch.func.jvp` (the JAX half uses Taylor mode for any ``K``,
:func:`~theorybook.nde.solver_jax.taylor_derivative`). The integral is carried by one extra state
column per sample, ``r_b' = ‖z_b''‖²``, so ``R_2 = mean_b r_b(T)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from jaxtyping import Float
from torch import Tensor, nn

from theorybook.boundary import checked
from theorybook.nde.solver_torch import Field, Float3264, _check_field_output

__all__ = ["TaylorAugmentedField", "second_time_derivative"]


@checked
def second_time_derivative(
    func: Field, t: Float[Tensor, ""], z: Float3264[Tensor, "batch dim"]
) -> tuple[Tensor, Tensor]:
    """``(f(t, z), d²z/dt²)`` with ``d²z/dt² = ∂f/∂z f + ∂f/∂t`` (Kelly et al. 2020, ``K = 2``).

    One forward-mode product of ``(t, z) ↦ f(t, z)`` with the tangent ``(1, f(t, z))``; gradients
    reach the parameters of ``func`` through both outputs.

    Arguments:
        func: the vector field ``f(t, z)``.
        t: the time (a scalar tensor).
        z: the batch of states, ``(batch, dim)``.

    Returns:
        ``(f(t, z), d²z/dt²)``, both shaped like ``z``.

    Raises:
        TypeError, ValueError: for malformed arguments, or ``func(t, z)`` not shaped like ``z``
            (or of another dtype).
    """
    _check_field_output(func(t.to(z.dtype), z), z, 1)
    return _second_derivative(func, t, z)


def _second_derivative(
    func: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], t: torch.Tensor, z: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    tt = torch.as_tensor(t, device=z.device).to(z.dtype)
    f = func(tt, z)
    d2 = torch.func.jvp(func, (tt, z), (torch.ones_like(tt), f))[1]
    return f, d2


class _TaylorAugmentedField(nn.Module):
    """:class:`TaylorAugmentedField` without the check of its constructor: the trainers build one
    per training step."""

    def __init__(self, func: Field) -> None:
        super().__init__()
        self.func = func

    def forward(self, t: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        z = state[..., :-1]
        f, d2 = _second_derivative(self.func, t, z)  # unchecked: called at every stage
        return torch.cat([f, d2.pow(2).sum(-1, keepdim=True)], dim=-1)


@checked
class TaylorAugmentedField(_TaylorAugmentedField):
    """The field of ``(z, r)`` with ``z' = f(t, z)`` and ``r' = ‖d²z/dt²‖²`` row by row.

    The state has shape ``(batch, dim + 1)``; its last column integrates TayNODE's ``R_2`` for each
    sample (equation :eq:`nde-taynode`).
    """

    def __init__(self, func: Field) -> None:
        super().__init__(func)
