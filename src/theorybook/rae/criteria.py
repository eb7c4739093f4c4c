"""The training criteria of regularized auto-encoders and their closed-form optima.

* :func:`dae_loss` -- the denoising criterion ``E‖r(x + σε) − x‖²`` (eq. :eq:`rae-dae`);
* :func:`rcae_loss` -- the reconstruction-contractive criterion
  ``E[‖r(x) − x‖² + σ²‖∂r/∂x‖²_F]`` (eq. :eq:`rae-rcae`), with the Jacobian norm exact (one
  backward pass per dimension) or by Hutchinson's estimator (one per probe);
* :func:`optimal_linear_reconstruction` -- ``Σ(Σ + σ²I)⁻¹``, the optimum of both criteria over
  linear maps for centred data with covariance ``Σ`` (eq. :eq:`rae-linear`);
* :func:`linear_criterion_gradient` -- the gradient of either criterion's expectation with
  respect to ``W`` for a linear map (zero at the optimum).
"""

from __future__ import annotations

import torch

from theorybook.rae.models import ReconstructionModel
from theorybook.validation import array, one_of, positive_int, positive_real, tensor

__all__ = [
    "dae_loss",
    "jacobian_terms",
    "linear_criterion_gradient",
    "optimal_linear_reconstruction",
    "rcae_loss",
]


def _check(model: object, x: object, sigma: object) -> tuple[ReconstructionModel, float]:
    if not isinstance(model, ReconstructionModel):
        raise TypeError(
            f"model must be a ScoreAutoencoder or another ReconstructionModel, "
            f"got {type(model).__name__}"
        )
    tensor("x", x, shape=(None, model.dim))
    return model, positive_real("sigma", sigma)


def dae_loss(
    model: ReconstructionModel,
    x: torch.Tensor,
    sigma: float,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``mean_i ‖r(x_i + σε_i) − x_i‖²`` with fresh ``ε_i ~ N(0, I)`` (eq. :eq:`rae-dae`).

    The residual is formed as ``σε + D(x + σε)`` with ``D = r − id``, the same number without the
    cancellation of ``r(x̃) − x`` at small σ.

    Arguments:
        model: the reconstruction ``r``.
        x: clean points, a tensor of shape ``(n, d)``.
        sigma: the noise level σ (> 0).
        generator: the torch generator of the noise ``ε`` (default: torch's global one).

    Returns:
        The criterion as a scalar tensor with gradients.
    """
    model, sigma = _check(model, x, sigma)
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    noise = sigma * eps
    residual = noise + model.displacement(x + noise)
    return (residual**2).sum(dim=1).mean()


def jacobian_terms(
    model: ReconstructionModel,
    x: torch.Tensor,
    *,
    jacobian: str = "exact",
    n_probes: int = 1,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point ``tr J_D(x)`` and ``‖J_D(x)‖²_F`` of the displacement ``D = r − id``, shape ``(n,)``.

    ``jacobian="exact"`` takes one backward pass per dimension; ``"hutchinson"`` averages
    ``vᵀJ_D v`` and ``‖J_Dᵀv‖²`` over ``n_probes`` Rademacher vectors ``v`` (unbiased, one backward
    pass each). Both keep the graph, so the result can be differentiated again.

    Arguments:
        model: the reconstruction ``r = x + D(x)``.
        x: points, a tensor of shape ``(n, d)``.
        jacobian: ``"exact"`` or ``"hutchinson"``.
        n_probes: Rademacher probes per point (Hutchinson only).
        generator: the torch generator of the probes (default: torch's global one).

    Returns:
        ``(trace, frobenius)``, two tensors of shape ``(n,)``.
    """
    one_of("jacobian", jacobian, ("exact", "hutchinson"))
    n_probes = positive_int("n_probes", n_probes)
    xr = x.detach().requires_grad_(True)
    disp = model.displacement(xr)
    return _jacobian_terms(xr, disp, model.dim, jacobian, n_probes, generator)


def _jacobian_terms(
    xr: torch.Tensor,
    disp: torch.Tensor,
    d: int,
    jacobian: str,
    n_probes: int,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    x = xr
    if jacobian == "exact":
        trace = torch.zeros(len(x), dtype=x.dtype, device=x.device)
        frob = torch.zeros_like(trace)
        for i in range(d):
            row = torch.autograd.grad(disp[:, i].sum(), xr, create_graph=True)[0]
            trace = trace + row[:, i]
            frob = frob + (row**2).sum(1)
        return trace, frob
    trace = torch.zeros(len(x), dtype=x.dtype, device=x.device)
    frob = torch.zeros_like(trace)
    for _ in range(n_probes):
        v = torch.randint(0, 2, x.shape, generator=generator, device=x.device).to(x.dtype) * 2 - 1
        jtv = torch.autograd.grad((disp * v).sum(), xr, create_graph=True)[0]
        trace = trace + (jtv * v).sum(1)
        frob = frob + (jtv**2).sum(1)
    return trace / n_probes, frob / n_probes


def rcae_loss(
    model: ReconstructionModel,
    x: torch.Tensor,
    sigma: float,
    *,
    jacobian: str = "exact",
    n_probes: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``mean_i [‖r(x_i) − x_i‖² + σ²‖∂r/∂x(x_i)‖²_F]`` (eq. :eq:`rae-rcae`).

    With ``r = x + D``, ``‖∂r/∂x‖²_F = d + 2 tr J_D + ‖J_D‖²_F`` (:func:`jacobian_terms`); the
    constant ``d`` is kept so the value is the criterion itself.

    Arguments:
        model: the reconstruction ``r``.
        x: points, a tensor of shape ``(n, d)``.
        sigma: the weight σ of the Jacobian penalty (> 0).
        jacobian: how the Jacobian norm is computed, ``"exact"`` or ``"hutchinson"``
            (:func:`jacobian_terms`).
        n_probes: Rademacher probes per point (Hutchinson only).
        generator: the torch generator of the probes (default: torch's global one).

    Returns:
        The criterion as a scalar tensor with gradients.
    """
    model, sigma = _check(model, x, sigma)
    one_of("jacobian", jacobian, ("exact", "hutchinson"))
    n_probes = positive_int("n_probes", n_probes)
    xr = x.detach().requires_grad_(True)
    disp = model.displacement(xr)
    trace, frob = _jacobian_terms(xr, disp, model.dim, jacobian, n_probes, generator)
    jac_norm = model.dim + 2 * trace + frob
    return ((disp**2).sum(1) + sigma**2 * jac_norm).mean()


def optimal_linear_reconstruction(cov: object, sigma: float) -> torch.Tensor:
    """``W* = Σ(Σ + σ²I)⁻¹`` (eq. :eq:`rae-linear`) as a float64 tensor of shape ``(d, d)``.

    The minimiser over linear maps of both :func:`dae_loss` and :func:`rcae_loss` in expectation,
    for data with mean 0 and covariance ``Σ`` (symmetric positive semi-definite).
    """
    c = array("cov", cov, ndim=2)
    if c.shape[0] != c.shape[1]:
        raise ValueError(f"cov must be square, got shape {c.shape}")
    if not torch.allclose(torch.from_numpy(c), torch.from_numpy(c).T, atol=1e-12):
        raise ValueError("cov must be symmetric")
    sigma = positive_real("sigma", sigma)
    s = torch.from_numpy(c)
    eye = torch.eye(len(s), dtype=s.dtype)
    return torch.linalg.solve(s + sigma**2 * eye, s).T


def linear_criterion_gradient(w: object, cov: object, sigma: float) -> torch.Tensor:
    """``∂/∂W E[‖Wx − x‖² + σ²‖W‖²_F] = 2(W − I)Σ + 2σ²W`` for ``x ~ (0, Σ)``.

    For a linear map the DAE criterion has the same expectation
    (``E‖W(x + σε) − x‖² = E‖(W − I)x‖² + σ²‖W‖²_F``), so this is the gradient of both.

    Arguments:
        w: the linear map ``W``, shape ``(d, d)``.
        cov: the data covariance ``Σ``, shape ``(d, d)``.
        sigma: the noise level σ (> 0).

    Returns:
        The gradient, a float64 tensor of shape ``(d, d)`` (zero at ``W*``, eq. :eq:`rae-linear`).
    """
    wm = torch.from_numpy(array("w", w, ndim=2))
    c = torch.from_numpy(array("cov", cov, ndim=2))
    if wm.shape != c.shape or c.shape[0] != c.shape[1]:
        raise ValueError(f"w and cov must be square of the same shape, got {wm.shape}, {c.shape}")
    sigma = positive_real("sigma", sigma)
    eye = torch.eye(len(c), dtype=c.dtype)
    return 2 * (wm - eye) @ c + 2 * sigma**2 * wm
