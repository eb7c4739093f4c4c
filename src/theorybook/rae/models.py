"""Reconstruction functions ``r: ℝ^d → ℝ^d`` and the score and Hessian read from them.

:class:`ScoreAutoencoder` parameterises ``r(x) = x + σ² h(x)`` with an MLP ``h``
(eq. :eq:`rae-param`), so that ``(r(x) − x)/σ² = h(x)`` is the score estimate itself and the
criteria stay well scaled as ``σ → 0``; ``scaled=False`` gives the plain residual form
``r(x) = x + g(x)`` for comparison. :class:`LinearAutoencoder` is ``r(x) = Wx + b``.
:func:`estimated_score` and :func:`estimated_hessian` implement eq. :eq:`rae-estimators`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from theorybook.validation import array, one_of, positive_int, positive_real, tensor

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
        """Change the noise level (validated: a finite float > 0)."""
        self.sigma = positive_real("sigma", sigma)

    def score_field(self, x: torch.Tensor) -> torch.Tensor:
        """``(r(x) − x)/σ²`` (subclasses compute it without cancellation where they can)."""
        return self.displacement(x) / self.sigma**2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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


class ScoreAutoencoder(ReconstructionModel):
    """``r(x) = x + σ² h(x)`` with ``h`` an MLP ``d → hidden (× depth) → d`` (eq. :eq:`rae-param`).

    Arguments
    ---------
    dim:
        the data dimension ``d``.
    hidden, depth:
        width and number of hidden layers of ``h``.
    sigma:
        the noise level ``σ`` (the trainer changes it along a σ schedule).
    scaled:
        ``True`` (default) for ``r = x + σ²h``; ``False`` for ``r = x + g`` (the network outputs
        the displacement itself and the score estimate is ``g/σ²``).
    activation:
        ``"tanh"`` (default), ``"softplus"`` or ``"silu"``: smooth, so the Jacobian penalty has
        gradients.
    """

    def __init__(
        self,
        dim: int,
        *,
        hidden: int = 64,
        depth: int = 2,
        sigma: float = 0.1,
        scaled: bool = True,
        activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.dim = positive_int("dim", dim)
        hidden = positive_int("hidden", hidden)
        depth = positive_int("depth", depth)
        if not isinstance(scaled, bool):
            raise TypeError(f"scaled must be a bool, got {type(scaled).__name__}")
        one_of("activation", activation, ("tanh", "softplus", "silu"))
        self.set_sigma(sigma)
        self.scaled = scaled
        self.net = _mlp(self.dim, hidden, depth, activation)

    def displacement(self, x: torch.Tensor) -> torch.Tensor:
        g = self.net(x)
        return self.sigma**2 * g if self.scaled else g

    def score_field(self, x: torch.Tensor) -> torch.Tensor:
        g = self.net(x)
        return g if self.scaled else g / self.sigma**2


class LinearAutoencoder(ReconstructionModel):
    """``r(x) = W x + b``, initialised at ``W = 0, b = 0``."""

    def __init__(self, dim: int, *, sigma: float = 0.1) -> None:
        super().__init__()
        self.dim = positive_int("dim", dim)
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


def _model_and_points(model: object, x: object) -> tuple[ReconstructionModel, torch.Tensor, bool]:
    if not isinstance(model, ReconstructionModel):
        raise TypeError(
            f"model must be a ScoreAutoencoder or another ReconstructionModel, "
            f"got {type(model).__name__}"
        )
    param = next(model.parameters())
    if isinstance(x, torch.Tensor):
        t = tensor("x", x, shape=(None, model.dim))
        return model, t.to(dtype=param.dtype, device=param.device), True
    arr = array("x", x, shape=(None, model.dim))
    return model, torch.as_tensor(arr, dtype=param.dtype, device=param.device), False


def estimated_score(model: ReconstructionModel, x: Any) -> Any:
    """The score estimate ``ŝ(x) = (r(x) − x)/σ²`` (eq. :eq:`rae-estimators`), shape ``(n, d)``.

    ``x`` is a NumPy array (returns NumPy float64, no gradient) or a tensor (returns a tensor on
    the model's device, differentiable). With ``r = x + σ²h`` this is ``h(x)``, computed without
    the cancellation of ``r(x) − x``.
    """
    m, t, was = _model_and_points(model, x)
    if was:
        return m.score_field(t)
    with torch.no_grad():
        return m.score_field(t).double().cpu().numpy()


def estimated_hessian(model: ReconstructionModel, x: Any) -> Any:
    """The Hessian estimate ``(∂r/∂x − I)/σ²`` (eq. :eq:`rae-estimators`), shape ``(n, d, d)``.

    Row ``i`` is the gradient of the ``i``-th score component (exact autograd Jacobian, one
    backward pass per dimension). Returns NumPy for NumPy input, a detached tensor otherwise.
    """
    m, t, was = _model_and_points(model, x)
    t = t.detach().requires_grad_(True)
    with torch.enable_grad():
        s = m.score_field(t)
        rows = [
            torch.autograd.grad(s[:, i].sum(), t, retain_graph=i < m.dim - 1)[0]
            for i in range(m.dim)
        ]
    hess = torch.stack(rows, dim=1).detach()
    return hess if was else hess.double().cpu().numpy()
