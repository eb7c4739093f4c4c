"""Reconstruction functions ``r: ℝ^d → ℝ^d`` and the score and Hessian read from them.

:class:`ScoreAutoencoder` parameterises ``r(x) = x + σ² h(x)`` with an MLP ``h``
(eq. :eq:`rae-param`), so that ``(r(x) − x)/σ² = h(x)`` is the score estimate itself and the
criteria stay well scaled as ``σ → 0``; ``scaled=False`` gives the plain residual form
``r(x) = x + g(x)`` for comparison. :class:`LinearAutoencoder` is ``r(x) = Wx + b``.
:func:`estimated_score` and :func:`estimated_hessian` implement eq. :eq:`rae-estimators`.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor, nn

from theorybook.boundary import PositiveInt, PositiveReal, checked
from theorybook.rae._limits import sigma_power
from theorybook.validation import matches_module, positive_real

__all__ = [
    "LinearAutoencoder",
    "ReconstructionModel",
    "ScoreAutoencoder",
    "estimated_hessian",
    "estimated_score",
]


class ReconstructionModel(nn.Module):
    """Base class: a reconstruction ``r(x) = x + D(x)`` written through its displacement ``D``.

    Subclasses implement :meth:`displacement`; ``forward`` returns ``x + D(x)``. ``sigma`` is the
    noise level the model is trained at (set by the trainer at each stage of a σ schedule).
    """

    dim: int
    sigma: float

    def displacement(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_sigma(self, sigma: float) -> None:
        """Change the noise level (validated: a finite float > 0 whose square is a normal float64
        number, about 1.5e-154 to 1.3e154, since ``r = x + σ²h`` and the score divides by σ²)."""
        sigma = positive_real("sigma", sigma)
        sigma_power("sigma", sigma, 2)
        self.sigma = sigma

    def score_field(self, x: torch.Tensor) -> torch.Tensor:
        """``(r(x) − x)/σ²`` (subclasses compute it without cancellation where they can).

        ``TypeError`` naming ``x`` if its dtype or device is not the model's."""
        matches_module("x", x, self)
        return self.displacement(x) / self.sigma**2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``r(x) = x + D(x)``; ``TypeError`` naming ``x`` if its dtype or device is not the
        model's (a float64 batch to a float32 network)."""
        matches_module("x", x, self)
        return x + self.displacement(x)


def _mlp(dim: int, hidden: int, depth: int, activation: str) -> nn.Sequential:
    act: type[nn.Module] = {"tanh": nn.Tanh, "softplus": nn.Softplus, "silu": nn.SiLU}[activation]
    layers: list[nn.Module] = []
    width = dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), act()]
        width = hidden
    layers.append(nn.Linear(width, dim))
    return nn.Sequential(*layers)


@checked
class ScoreAutoencoder(ReconstructionModel):
    """``r(x) = x + σ² h(x)`` with ``h`` an MLP ``d → hidden (× depth) → d`` (eq. :eq:`rae-param`).

    Arguments
    ---------
    dim:
        the data dimension ``d``.
    hidden, depth:
        width and number of hidden layers of ``h``.
    sigma:
        the noise level ``σ`` (the trainer changes it along a σ schedule); ``σ²`` must be a normal
        float64 number (``ValueError`` otherwise).
    scaled:
        ``True`` (default) for ``r = x + σ²h``; ``False`` for ``r = x + g`` (the network outputs
        the displacement itself and the score estimate is ``g/σ²``).
    activation:
        ``"tanh"`` (default), ``"softplus"`` or ``"silu"``: smooth, so the Jacobian penalty has
        gradients.
    """

    def __init__(
        self,
        dim: PositiveInt,
        *,
        hidden: PositiveInt = 64,
        depth: PositiveInt = 2,
        sigma: PositiveReal = 0.1,
        scaled: bool = True,
        activation: Literal["tanh", "softplus", "silu"] = "tanh",
    ) -> None:
        super().__init__()
        self.dim = dim
        self.set_sigma(sigma)
        self.scaled = scaled
        self.net = _mlp(self.dim, hidden, depth, activation)

    def displacement(self, x: torch.Tensor) -> torch.Tensor:
        g = self.net(x)
        return self.sigma**2 * g if self.scaled else g

    def score_field(self, x: torch.Tensor) -> torch.Tensor:
        matches_module("x", x, self)
        g = self.net(x)
        return g if self.scaled else g / self.sigma**2


@checked
class LinearAutoencoder(ReconstructionModel):
    """``r(x) = W x + b``, initialised at ``W = 0, b = 0``, at noise level ``sigma`` (as for
    :class:`ScoreAutoencoder`)."""

    def __init__(self, dim: PositiveInt, *, sigma: PositiveReal = 0.1) -> None:
        super().__init__()
        self.dim = dim
        self.set_sigma(sigma)
        self.linear = nn.Linear(self.dim, self.dim)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def displacement(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) - x

    @property
    def matrix(self) -> np.ndarray:
        """``W`` as a NumPy array."""
        return self.linear.weight.detach().cpu().double().numpy()


Points = Float[np.ndarray, "n d"] | Float[Tensor, "n d"]
"""Points ``(n, d)``: a NumPy array, or a torch tensor (converted to the model's dtype/device)."""


def check_fits(model: ReconstructionModel, name: str, x: np.ndarray | Tensor) -> None:
    """``ValueError`` naming ``name`` unless the points ``x`` have the model's dimension."""
    if x.shape[-1] != model.dim:
        raise ValueError(
            f"{name} must have shape (n, {model.dim}) for a model of dimension {model.dim}, "
            f"got {tuple(x.shape)}"
        )


def _as_model_input(model: ReconstructionModel, x: np.ndarray | Tensor) -> tuple[Tensor, bool]:
    """``x`` as a tensor of the model's dtype and device, and whether it came in as a tensor."""
    param = next(model.parameters(), None)
    dtype = torch.get_default_dtype() if param is None else param.dtype
    device = None if param is None else param.device
    if isinstance(x, Tensor):
        return x.to(dtype=dtype, device=device), True
    return torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=dtype, device=device), False


@overload
def estimated_score(
    model: ReconstructionModel, x: Float[np.ndarray, "n d"]
) -> Float[np.ndarray, "n d"]: ...
@overload
def estimated_score(
    model: ReconstructionModel, x: Float[Tensor, "n d"]
) -> Float[Tensor, "n d"]: ...
@checked
def estimated_score(model: ReconstructionModel, x: Points) -> Points:
    """The score estimate ``ŝ(x) = (r(x) − x)/σ²`` (eq. :eq:`rae-estimators`), shape ``(n, d)``.

    ``x`` is a NumPy array (returns NumPy float64, no gradient) or a tensor (returns a tensor on
    the model's device, differentiable). With ``r = x + σ²h`` this is ``h(x)``, computed without
    the cancellation of ``r(x) − x``. A result holding NaN or inf (an unscaled model ``r = x + g``
    at a σ so small that ``g/σ²`` overflows the model's dtype) raises
    :class:`~theorybook.boundary.NonFiniteResult`.
    """
    check_fits(model, "x", x)
    return _estimated_score(model, x)


def _estimated_score(model: ReconstructionModel, x: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """:func:`estimated_score` unchecked: the score callable the package's samplers call per step."""
    t, was = _as_model_input(model, x)
    if was:
        return model.score_field(t)
    with torch.no_grad():
        return model.score_field(t).double().cpu().numpy()


@overload
def estimated_hessian(
    model: ReconstructionModel, x: Float[np.ndarray, "n d"]
) -> Float[np.ndarray, "n d d"]: ...
@overload
def estimated_hessian(
    model: ReconstructionModel, x: Float[Tensor, "n d"]
) -> Float[Tensor, "n d d"]: ...
@checked
def estimated_hessian(
    model: ReconstructionModel, x: Points
) -> Float[np.ndarray, "n d d"] | Float[Tensor, "n d d"]:
    """The Hessian estimate ``(∂r/∂x − I)/σ²`` (eq. :eq:`rae-estimators`), shape ``(n, d, d)``.

    Row ``i`` is the gradient of the ``i``-th score component (exact autograd Jacobian, one
    backward pass per dimension). Returns NumPy for NumPy input, a detached tensor otherwise.
    """
    check_fits(model, "x", x)
    t, was = _as_model_input(model, x)
    t = t.detach().requires_grad_(True)
    with torch.enable_grad():
        s = model.score_field(t)
        rows = [
            torch.autograd.grad(s[:, i].sum(), t, retain_graph=i < model.dim - 1)[0]
            for i in range(model.dim)
        ]
    hess = torch.stack(rows, dim=1).detach()
    return hess if was else hess.double().cpu().numpy()
