"""The training criteria of regularized auto-encoders and their closed-form optima.

* :func:`dae_loss` -- the denoising criterion ``E‖r(x + σε) − x‖²`` (eq. :eq:`rae-dae`);
* :func:`rcae_loss` -- the reconstruction-contractive criterion
  ``E[‖r(x) − x‖² + σ²‖∂r/∂x‖²_F]`` (eq. :eq:`rae-rcae`), with the Jacobian norm exact (one
  backward pass per dimension) or by Hutchinson's estimator (one per probe);
* :func:`optimal_linear_reconstruction` -- ``Σ(Σ + σ²I)⁻¹``, the optimum of both criteria over
  linear maps for centred data with covariance ``Σ`` (eq. :eq:`rae-linear`);
* :func:`linear_criterion_gradient` -- the gradient of either criterion's expectation with
  respect to ``W`` for a linear map (zero at the optimum);
* :func:`rcae_optimum_1d` -- the exact minimiser of the RCAE criterion over all functions at a
  finite σ, for a 1-D density, from its Euler–Lagrange equation (eq. :eq:`rae-euler-lagrange`);
* :func:`rcae_criterion_1d` -- the RCAE criterion of a 1-D reconstruction given on a grid, by
  quadrature (to compare candidate optima).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import IntRange, PositiveInt, PositiveReal, checked
from theorybook.rae._limits import sigma_power
from theorybook.rae.densities import GaussianMixture
from theorybook.rae.models import ReconstructionModel, check_fits
from theorybook.validation import matches_module

__all__ = [
    "dae_loss",
    "jacobian_terms",
    "linear_criterion_gradient",
    "optimal_linear_reconstruction",
    "rcae_criterion_1d",
    "rcae_loss",
    "rcae_optimum_1d",
]

Jacobian = Literal["exact", "hutchinson"]
"""How the Jacobian norm is computed: one backward pass per dimension, or Hutchinson probes."""


def _check_points(model: ReconstructionModel, x: Tensor) -> None:
    check_fits(model, "x", x)
    matches_module("x", x, model)


@checked
def dae_loss(
    model: ReconstructionModel,
    x: Float[Tensor, "n d"],
    sigma: PositiveReal,
    *,
    generator: torch.Generator | None = None,
    noise: Float[Tensor, "n d"] | None = None,
) -> Float[Tensor, ""]:
    """``mean_i ‖r(x_i + σε_i) − x_i‖²`` with fresh ``ε_i ~ N(0, I)`` (eq. :eq:`rae-dae`).

    The residual is formed as ``σε + D(x + σε)`` with ``D = r − id``, the same number without the
    cancellation of ``r(x̃) − x`` at small σ (computed by ``_dae_loss``, below).

    Arguments:
        model: the reconstruction ``r``.
        x: clean points, a tensor of shape ``(n, d)`` of the model's dtype and device.
        sigma: the noise level σ (> 0).
        generator: the torch generator of the noise ``ε`` (default: torch's global one).
        noise: the draws ``ε`` themselves, shape ``(n, d)`` (then ``generator`` is unused): a
            design whose first two moments match ``N(0, I)`` at each point gives the exact
            expectation for a linear ``r``.

    Returns:
        The criterion as a scalar tensor with gradients.
    """
    _check_points(model, x)
    if noise is not None:
        check_fits(model, "noise", noise)
        matches_module("noise", noise, model)
    return _dae_loss(model, x, sigma, generator, noise)


def _dae_loss(
    model: ReconstructionModel,
    x: Tensor,
    sigma: float,
    generator: torch.Generator | None,
    eps: Tensor | None = None,
) -> Tensor:
    """The DAE criterion, unchecked (what a training step calls); ``eps`` drawn unless given."""
    if eps is None:
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    noise = sigma * eps
    residual = noise + model.displacement(x + noise)
    return (residual**2).sum(dim=1).mean()


@checked
def jacobian_terms(
    model: ReconstructionModel,
    x: Float[Tensor, "n d"],
    *,
    jacobian: Jacobian = "exact",
    n_probes: PositiveInt = 1,
    generator: torch.Generator | None = None,
) -> tuple[Float[Tensor, " n"], Float[Tensor, " n"]]:
    """Per-point ``tr J_D(x)`` and ``‖J_D(x)‖²_F`` of the displacement ``D = r − id``, shape ``(n,)``.

    ``jacobian="exact"`` takes one backward pass per dimension; ``"hutchinson"`` averages
    ``vᵀJ_D v`` and ``‖J_Dᵀv‖²`` over ``n_probes`` Rademacher vectors ``v`` (unbiased, one backward
    pass each). Both keep the graph, so the result can be differentiated again.

    Arguments:
        model: the reconstruction ``r = x + D(x)``.
        x: points, a tensor of shape ``(n, d)`` of the model's dtype and device.
        jacobian: ``"exact"`` or ``"hutchinson"``.
        n_probes: Rademacher probes per point (Hutchinson only).
        generator: the torch generator of the probes (default: torch's global one).

    Returns:
        ``(trace, frobenius)``, two tensors of shape ``(n,)``.
    """
    _check_points(model, x)
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


@checked
def rcae_loss(
    model: ReconstructionModel,
    x: Float[Tensor, "n d"],
    sigma: PositiveReal,
    *,
    jacobian: Jacobian = "exact",
    n_probes: PositiveInt = 1,
    generator: torch.Generator | None = None,
) -> Float[Tensor, ""]:
    """``mean_i [‖r(x_i) − x_i‖² + σ²‖∂r/∂x(x_i)‖²_F]`` (eq. :eq:`rae-rcae`).

    With ``r = x + D``, ``‖∂r/∂x‖²_F = d + 2 tr J_D + ‖J_D‖²_F`` (:func:`jacobian_terms`); the
    constant ``d`` is kept so the value is the criterion itself (computed by ``_rcae_loss``, below).

    Arguments:
        model: the reconstruction ``r``.
        x: points, a tensor of shape ``(n, d)`` of the model's dtype and device.
        sigma: the weight σ of the Jacobian penalty (> 0; ``ValueError`` if σ² leaves the
            float64 range).
        jacobian: how the Jacobian norm is computed, ``"exact"`` or ``"hutchinson"``
            (:func:`jacobian_terms`).
        n_probes: Rademacher probes per point (Hutchinson only).
        generator: the torch generator of the probes (default: torch's global one).

    Returns:
        The criterion as a scalar tensor with gradients.
    """
    _check_points(model, x)
    sigma_power("sigma", sigma, 2)
    return _rcae_loss(model, x, sigma, jacobian, n_probes, generator)


def _rcae_loss(
    model: ReconstructionModel,
    x: Tensor,
    sigma: float,
    jacobian: str,
    n_probes: int,
    generator: torch.Generator | None,
) -> Tensor:
    """The RCAE criterion, unchecked (what a training step calls)."""
    xr = x.detach().requires_grad_(True)
    disp = model.displacement(xr)
    trace, frob = _jacobian_terms(xr, disp, model.dim, jacobian, n_probes, generator)
    jac_norm = model.dim + 2 * trace + frob
    return ((disp**2).sum(1) + sigma**2 * jac_norm).mean()


def _covariance(name: str, cov: np.ndarray) -> Tensor:
    """``cov`` as a float64 tensor, checked symmetric positive semi-definite."""
    c = torch.from_numpy(np.asarray(cov, dtype=np.float64))
    if not torch.allclose(c, c.T, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    eigenvalues = torch.linalg.eigvalsh(c)
    scale = float(eigenvalues.abs().max())
    if float(eigenvalues.min()) < -1e-10 * scale:
        raise ValueError(
            f"{name} must be positive semi-definite, got an eigenvalue of "
            f"{float(eigenvalues.min()):.3g}"
        )
    return c


CONDITION_LIMIT = 1e12
"""Above this condition number of ``Σ + σ²I``, :func:`optimal_linear_reconstruction` takes the
eigendecomposition route instead of a linear solve."""


@checked
def optimal_linear_reconstruction(
    cov: Float[np.ndarray, "d d"], sigma: PositiveReal
) -> Float[Tensor, "d d"]:
    """``W* = Σ(Σ + σ²I)⁻¹`` (eq. :eq:`rae-linear`) as a float64 tensor of shape ``(d, d)``.

    The minimiser over linear maps of both :func:`dae_loss` and :func:`rcae_loss` in expectation,
    for data with mean 0 and covariance ``Σ`` (symmetric positive semi-definite; ``ValueError``
    otherwise).

    The limit σ → 0: when ``Σ + σ²I`` is ill-conditioned (condition number above
    :data:`CONDITION_LIMIT`: a singular ``Σ`` and a σ² far below its spectrum, or σ² underflowing
    to 0), ``W*`` is computed from the eigendecomposition ``Σ = U diag(λ) Uᵀ`` as
    ``U diag(λ/(λ + σ²)) Uᵀ`` with ``0/0`` read as 0: it tends to the orthogonal projection onto
    the range of ``Σ``. A σ whose square overflows raises ``ValueError``.
    """
    s = _covariance("cov", cov)
    var = sigma_power("sigma", sigma, 2, allow_underflow=True)
    eye = torch.eye(len(s), dtype=s.dtype)
    shifted = s + var * eye
    if float(torch.linalg.cond(shifted)) <= CONDITION_LIMIT:
        return torch.linalg.solve(shifted, s).T
    lam, u = torch.linalg.eigh(s)
    lam = lam.clamp(min=0.0)
    denominator = lam + var
    ratio = torch.where(denominator > 0, lam / torch.where(denominator > 0, denominator, 1.0), 0.0)
    return (u * ratio) @ u.T


@checked
def linear_criterion_gradient(
    w: Float[np.ndarray, "d d"], cov: Float[np.ndarray, "d d"], sigma: PositiveReal
) -> Float[Tensor, "d d"]:
    """``∂/∂W E[‖Wx − x‖² + σ²‖W‖²_F] = 2(W − I)Σ + 2σ²W`` for ``x ~ (0, Σ)``.

    For a linear map the DAE criterion has the same expectation
    (``E‖W(x + σε) − x‖² = E‖(W − I)x‖² + σ²‖W‖²_F``), so this is the gradient of both.

    Arguments:
        w: the linear map ``W``, shape ``(d, d)``.
        cov: the data covariance ``Σ``, shape ``(d, d)`` (symmetric positive semi-definite).
        sigma: the noise level σ (> 0). A σ² that underflows gives the σ → 0 limit
            ``2(W − I)Σ``; one that overflows raises ``ValueError``.

    Returns:
        The gradient, a float64 tensor of shape ``(d, d)`` (zero at ``W*``, eq. :eq:`rae-linear`).
    """
    wm = torch.from_numpy(np.asarray(w, dtype=np.float64))
    c = _covariance("cov", cov)
    var = sigma_power("sigma", sigma, 2, allow_underflow=True)
    eye = torch.eye(len(c), dtype=c.dtype)
    return 2 * (wm - eye) @ c + 2 * var * wm


SourceFn = Callable[[np.ndarray], np.ndarray]
"""A right side ``f`` of eq. :eq:`rae-euler-lagrange` divided by ``p``: a callable from the grid's
nodes, shape ``(m,)``, to values of shape ``(m,)``."""


@checked
def rcae_optimum_1d(
    density: GaussianMixture,
    sigma: PositiveReal,
    *,
    source: SourceFn | None = None,
    half_width: PositiveReal = 4.0,
    nodes: Annotated[int, IntRange(low=3)] = 20_001,
) -> tuple[Float[np.ndarray, " m"], Float[np.ndarray, " m"]]:
    """The exact RCAE optimum at a finite σ for a 1-D density, as its score ``h = (r* − x)/σ²``.

    Over all functions ``r = x + σ²h``, the criterion ``∫ p [(r − x)² + σ² r'²] dx``
    (eq. :eq:`rae-rcae`) is minimised where its Euler–Lagrange equation holds,
    ``p (r − x) = σ² (p r')'``; in terms of ``h`` (eq. :eq:`rae-euler-lagrange`)

        −σ² (p h')' + p h = p',

    a linear, symmetric positive-definite two-point problem whose σ → 0 solution is the score
    ``p'/p``. It is discretised by finite volumes on ``nodes`` equally spaced nodes of
    ``[−half_width, half_width]`` (the flux ``p h'`` at the cell faces, with ``p`` there the
    geometric mean of its neighbours, and no flux through the ends, where ``p`` is negligible),
    and solved as a sparse tridiagonal system (``scipy.sparse``). The grid resolves σ when its
    spacing is well below σ; the solution converges at second order in the spacing.

    Arguments:
        density: a 1-D :class:`~theorybook.rae.densities.GaussianMixture` (its ``log_prob`` and
            ``score`` give ``p`` and ``p'/p``).
        sigma: the noise level σ (> 0).
        source: solve ``−σ² (p h')' + p h = p f`` for another right side ``f`` (a callable from
            the nodes to ``f`` on them), to test the solver on a manufactured solution; the
            default ``f = p'/p`` gives the RCAE optimum.
        half_width: the half-width of the interval solved on; the density must be negligible
            at its ends.
        nodes: the number of grid nodes (≥ 3).

    Returns:
        ``(x, h)``: the nodes and the optimum's score estimate ``(r*(x) − x)/σ²`` on them.

    Raises:
        ValueError: for a density of dimension other than 1, a grid so coarse that its
            spacing exceeds σ (the solution would not be resolved), or a ``source`` that does
            not return one finite value per node.
    """
    import scipy.sparse as sparse
    import scipy.sparse.linalg as sparse_linalg

    if density.dim != 1:
        raise ValueError(f"density must be 1-D, got dimension {density.dim}")
    x = np.linspace(-half_width, half_width, nodes)
    dx = float(x[1] - x[0])
    if dx > sigma:
        raise ValueError(
            f"the grid spacing {dx:.3g} exceeds sigma = {sigma:g}: use more nodes or a "
            "smaller half_width"
        )
    log_p = density.log_prob(x[:, None])
    log_p = log_p - log_p.max()  # the equation is homogeneous in p
    p = np.exp(log_p)
    p_face = np.exp(0.5 * (log_p[1:] + log_p[:-1]))
    c = sigma_power("sigma", sigma, 2) / dx**2
    diagonal = p.copy()
    diagonal[:-1] += c * p_face
    diagonal[1:] += c * p_face
    matrix = sparse.diags([diagonal, -c * p_face, -c * p_face], [0, 1, -1], format="csc")
    f = density.score(x[:, None])[:, 0] if source is None else np.asarray(source(x), dtype=float)
    if f.shape != x.shape or not np.all(np.isfinite(f)):
        raise ValueError(
            f"source must return {len(x)} finite values (one per node), got shape {f.shape}"
        )
    return x, np.asarray(sparse_linalg.spsolve(matrix, p * f), dtype=np.float64)


@checked
def rcae_criterion_1d(
    density: GaussianMixture,
    sigma: PositiveReal,
    x: Float[np.ndarray, " m"],
    h: Float[np.ndarray, " m"],
) -> float:
    """The RCAE criterion ``∫ p [(r − x)² + σ² r'²] dx`` (eq. :eq:`rae-rcae`) of the reconstruction
    ``r = x + σ²h`` given on a grid, by the trapezoid rule, with ``r'`` by central differences
    (``numpy.gradient``): a quadrature independent of the finite volumes of
    :func:`rcae_optimum_1d`, so candidate optima can be ranked by the criterion itself.

    Arguments:
        density: a 1-D :class:`~theorybook.rae.densities.GaussianMixture`.
        sigma: the noise level σ (> 0).
        x: increasing grid nodes, shape ``(m,)`` (m ≥ 3); the density must be negligible beyond
            them.
        h: the score estimate ``(r − x)/σ²`` on the nodes, shape ``(m,)``.

    Returns:
        The criterion (≥ 0).

    Raises:
        ValueError: for a density of dimension other than 1, fewer than three nodes, or nodes
            that do not increase.
    """
    if density.dim != 1:
        raise ValueError(f"density must be 1-D, got dimension {density.dim}")
    nodes = np.asarray(x, dtype=np.float64)
    values = np.asarray(h, dtype=np.float64)
    if len(nodes) < 3 or np.any(np.diff(nodes) <= 0):
        raise ValueError("x must hold at least three increasing nodes")
    if values.shape != nodes.shape:
        raise ValueError(f"h must have the shape of x, {nodes.shape}, got {values.shape}")
    var = sigma_power("sigma", sigma, 2)
    p = np.exp(density.log_prob(nodes[:, None]))
    slope = 1.0 + var * np.gradient(values, nodes)
    return float(np.trapezoid(p * ((var * values) ** 2 + var * slope**2), nodes))
