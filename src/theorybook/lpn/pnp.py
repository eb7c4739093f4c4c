"""Plug-and-play reconstruction with a learned proximal network (chapter 3, {cite}`venkatakrishnan2013pnp`).

For y = Ax + noise and a prox f = prox_R, the chapter's eqs. :eq:`lpn-pgd` and :eq:`lpn-admm` are

* PnP-PGD:  x_{k+1} = f(x_k − η Aᵀ(Ax_k − y)), a proximal-gradient method on
  F(x) = ½‖y − Ax‖² + R(x)/η (f = prox_R means prox_{η·(R/η)}). With an LPN, R = R_θ is known,
  and since x_{k+1} = f_θ(v_k) the objective at every iterate is exact:
  R_θ(x_{k+1}) = ⟨v_k, x_{k+1}⟩ − ½‖x_{k+1}‖² − ψ_θ(v_k). For η < 1/‖AᵀA‖, F decreases
  monotonically and ‖x_{k+1} − x_k‖ → 0 (paper §4, convergence of PnP with LPN).
* PnP-ADMM (scaled form, penalty ρ): x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ(z − u)); z ← f(x + u);
  u ← u + x − z; a splitting for ½‖y − Az‖² + ρ·R(z).
* The relaxed denoiser f_λ = (1 − λ)I + λf (:func:`relax`, eq. :eq:`lpn-relaxed`), 0 < λ ≤ 1:
  for an LPN it is the gradient of ψ_λ = (1 − λ)½‖·‖² + λψ_θ, again convex, so f_λ is again
  exactly a prox, of R_λ = ψ_λ* − ½‖·‖², and its objective is exact too. λ weakens the prior of
  PnP-PGD without leaving the descent range of η.

Any callable denoiser can be plugged in (TV, a plain CNN); objectives are only reported for LPNs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float, Float64
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from torch import Tensor, nn

from theorybook.boundary import Interval, PositiveInt, PositiveReal, checked, record
from theorybook.lpn._types import Denoiser, Float3264, check_model_input
from theorybook.lpn.model import ConvexPotentialNet
from theorybook.lpn.operators import LinearOp
from theorybook.lpn.prior import _prior_at_output
from theorybook.training import check_iterates

__all__ = [
    "PnPResult",
    "image_metrics",
    "objective_settling",
    "pnp_admm",
    "pnp_pgd",
    "RelaxedDenoiser",
    "RelaxedLPN",
    "relax",
    "tikhonov",
    "tv_denoiser",
]

Measurements = Float3264[Tensor, "batch *measurement"]
"""A batch of measurements y = Ax (+ noise) of a :class:`~theorybook.lpn.operators.LinearOp`."""
Images = Float3264[Tensor, "batch 1 n n"]
"""A batch of images of a :class:`~theorybook.lpn.operators.LinearOp`."""
AnyImages = Float[Tensor, "*shape"] | Float[np.ndarray, "*shape"]
"""Image batches as tensors or NumPy arrays (for :func:`image_metrics`)."""
Objective = Float[np.ndarray, "iterations *samples"]
"""A recorded objective, iterations × samples (as :attr:`PnPResult.objective`)."""
RelaxWeight = Annotated[float, Interval(low=0.0, high=1.0, low_open=True)]
"""The weight λ ∈ (0, 1] of a relaxed denoiser (1 leaves it unchanged)."""


class RelaxedLPN(ConvexPotentialNet):
    """The relaxed LPN f_λ = (1 − λ)I + λf_θ, eq. :eq:`lpn-relaxed`: the gradient of

    ψ_λ(y) = (1 − λ)·½‖y‖² + λ·ψ_θ(y),

    convex as a non-negative combination of convex functions, so f_λ is again exactly the prox of
    R_λ = ψ_λ* − ½‖·‖², which :func:`~theorybook.lpn.prior.prior_at_output` evaluates exactly at
    every output. Its Hessian is ⪰ ((1 − λ) + 2λα)I, i.e. ``alpha`` = (1 − λ)/2 + λα in the
    α‖y‖² convention. Build it with :func:`relax`.
    """

    def __init__(self, lpn: ConvexPotentialNet, weight: float) -> None:
        super().__init__()
        self.lpn, self.weight = lpn, float(weight)
        self.alpha = (1.0 - self.weight) / 2 + self.weight * lpn.alpha
        self.beta = lpn.beta

    def constrained_modules(self) -> Iterator[nn.Module]:
        yield from self.lpn.constrained_modules()

    def _check_input(self, y: torch.Tensor) -> None:
        self.lpn._check_input(y)

    def potential(self, y: torch.Tensor) -> torch.Tensor:
        """ψ_λ(y) = (1 − λ)·½‖y‖² + λ·ψ_θ(y), one value per sample."""
        quad = 0.5 * (y * y).reshape(y.shape[0], -1).sum(1)
        return (1.0 - self.weight) * quad + self.weight * self.lpn.potential(y)


class RelaxedDenoiser(nn.Module):
    """(1 − λ)y + λD(y) for a network denoiser D with no potential (the plain CNN): the same
    relaxation as :class:`RelaxedLPN`, without a prox guarantee. Build it with :func:`relax`."""

    def __init__(self, denoiser: nn.Module, weight: float) -> None:
        super().__init__()
        self.denoiser, self.weight = denoiser, float(weight)

    def _check_input(self, y: torch.Tensor) -> None:
        check = getattr(self.denoiser, "_check_input", None)
        if check is not None:
            check(y)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """(1 − λ)y + λD(y)."""
        return (1.0 - self.weight) * y + self.weight * self.denoiser(y)


@checked
def relax(denoiser: nn.Module, weight: RelaxWeight) -> nn.Module:
    """The relaxed denoiser f_λ = (1 − λ)I + λf, eq. :eq:`lpn-relaxed`.

    For an LPN (a :class:`~theorybook.lpn.model.ConvexPotentialNet`) the result is a
    :class:`RelaxedLPN`, exactly the prox of R_λ = ψ_λ* − ½‖·‖² with
    ψ_λ = (1 − λ)½‖·‖² + λψ_θ; PnP-PGD with it at step η minimises ½‖y − Ax‖² + R_λ(x)/η and
    keeps the descent guarantee for η < 1/‖AᵀA‖. Any other network denoiser gives a
    :class:`RelaxedDenoiser`. ``weight`` = 1 returns ``denoiser`` itself.

    Arguments:
        denoiser: the network denoiser f (an LPN, or a network such as the plain CNN).
        weight: λ ∈ (0, 1], the weight of f against the identity.

    Returns:
        f_λ, a network of the same dtype and input shape as ``denoiser``.
    """
    if weight == 1.0:
        return denoiser
    if isinstance(denoiser, ConvexPotentialNet):
        return RelaxedLPN(denoiser, weight)
    return RelaxedDenoiser(denoiser, weight)


@record
@dataclass(frozen=True)
class PnPResult:
    """Final estimate ``x`` and per-iteration diagnostics.

    ``step_norm[k]`` = max over the batch of ‖x_{k+1} − x_k‖; ``objective[k, i]`` the objective of
    sample i after iteration k (LPN denoisers only, else empty); ``psnr[k]`` mean PSNR after
    iteration k when ``x_true`` was given; ``iterates`` the stacked iterates of sample 0 if kept.
    """

    x: Float3264[Tensor, "batch 1 n n"]
    step_norm: Float64[np.ndarray, " iters"]
    objective: Float3264[np.ndarray, "iters batch"] | Float64[np.ndarray, " 0"]
    psnr: Float64[np.ndarray, " iters"] | Float64[np.ndarray, " 0"]
    iterates: Float3264[np.ndarray, "iters 1 n n"] | Float64[np.ndarray, " 0"] = field(
        default_factory=lambda: np.empty(0)
    )


def _psnr_batch(x_hat: torch.Tensor, x_true: torch.Tensor) -> float:
    a = x_hat.detach().clamp(0, 1).cpu().numpy()
    b = x_true.detach().cpu().numpy()
    return float(
        np.mean([peak_signal_noise_ratio(t, e, data_range=1.0) for t, e in zip(b, a, strict=True)])
    )


def _as_numpy(value: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().astype(np.float64)
    return value.astype(np.float64)


def _grey_batches(
    x_hat: torch.Tensor | np.ndarray, x_true: torch.Tensor | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(x_hat clipped to [0, 1], x_true)`` as float64 arrays ``(n, h, w)``."""
    a, b = _as_numpy(x_hat), _as_numpy(x_true)
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[1] != 1):
        raise ValueError(
            f"x_hat and x_true must be batches of grey images (n, [1,] h, w), got shape {a.shape}"
        )
    if min(a.shape[-2:]) < 3:
        raise ValueError(f"x_hat: images must be at least 3×3 for SSIM, got {a.shape[-2:]}")
    a = np.clip(a, 0, 1).reshape(a.shape[0], *a.shape[-2:])
    return a, b.reshape(a.shape)


def _psnr_images(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image PSNR (scikit-image, data range 1) of the clipped estimates ``a`` against ``b``."""
    return np.array(
        [peak_signal_noise_ratio(t, e, data_range=1.0) for t, e in zip(b, a, strict=True)]
    )


def _psnr_only(x_hat: torch.Tensor | np.ndarray, x_true: torch.Tensor | np.ndarray) -> np.ndarray:
    """The PSNR half of :func:`image_metrics` (the same numbers), without the SSIM: what the
    tuning loops score, unchecked (their arguments are the harness's own tensors)."""
    return _psnr_images(*_grey_batches(x_hat, x_true))


@checked(finite_result=False)
def image_metrics(x_hat: AnyImages, x_true: AnyImages) -> tuple[np.ndarray, np.ndarray]:
    """Per-image PSNR and SSIM (scikit-image, data range 1) of ``x_hat`` clipped to [0, 1].

    Both are image batches ``(n, h, w)`` or ``(n, 1, h, w)`` of the same shape, as tensors or
    NumPy arrays, finite. The PSNR of an image reproduced exactly is +inf, which is why the
    result is not required to be finite.

    Arguments:
        x_hat: the estimates.
        x_true: the true images.

    Returns:
        ``(psnr, ssim)``, one value per image.
    """
    a, b = _grey_batches(x_hat, x_true)
    win = min(7, a.shape[-1] - (1 - a.shape[-1] % 2))
    psnr = _psnr_images(a, b)
    ssim = np.array(
        [
            structural_similarity(t, e, data_range=1.0, win_size=win)
            for t, e in zip(b, a, strict=True)
        ]
    )
    return psnr, ssim


@checked
def objective_settling(
    objective: Objective,
    *,
    fraction: Annotated[float, Interval(low=0.0, high=1.0, low_open=True, high_open=True)] = 0.25,
) -> float:
    """How much a recorded objective still moves at the end of a run.

    For ``objective`` of shape ``(K, n)`` (iterations × samples, as in :class:`PnPResult`) or
    ``(K,)``, returns ``max_i |F[K,i] − F[K−m,i]| / max(1, |F[K,i]|)`` with
    ``m = max(1, ⌊fraction·K⌋)``: a converged run gives a number near 0. Raises ``ValueError``
    for fewer than two iterations, more than two axes or a non-finite objective.

    Arguments:
        objective: the recorded objective, iterations × samples.
        fraction: how far back (a fraction of the iterations) the last value is compared.

    Returns:
        The largest relative change over the last ``m`` iterations.
    """
    obj = np.asarray(objective, dtype=np.float64)
    if obj.ndim == 1:
        obj = obj[:, None]
    if obj.ndim != 2 or obj.shape[0] < 2:
        raise ValueError(f"objective must be (iterations ≥ 2, samples), got shape {obj.shape}")
    m = max(1, int(fraction * obj.shape[0]))
    last, before = obj[-1], obj[-1 - m]
    return float(np.max(np.abs(last - before) / np.maximum(1.0, np.abs(last))))


@checked
def tv_denoiser(weight: PositiveReal) -> Denoiser:
    """TV denoising (scikit-image ``denoise_tv_chambolle``, {cite}`rudin1992tv`) image by image.

    Arguments:
        weight: the TV weight (> 0; larger removes more).

    Returns:
        The denoiser, a function of a batch of images ``(batch, 1, h, w)``.
    """
    from skimage.restoration import denoise_tv_chambolle

    def denoise(v: torch.Tensor) -> torch.Tensor:
        arr = v.detach().cpu().numpy()
        out = np.stack([denoise_tv_chambolle(img[0], weight=weight)[None] for img in arr])
        return torch.as_tensor(out, dtype=v.dtype, device=v.device)

    return denoise


@checked
def tikhonov(op: LinearOp, y: Measurements, lam: PositiveReal) -> Images:
    """The Tikhonov / regularised least-squares solution (AᵀA + λI)⁻¹Aᵀy, λ > 0.

    As λ → 0 the solve's condition number grows like ‖A‖²/λ: the result tends to the
    least-squares solution where A is injective, and rounding errors in the null space of A are
    amplified by 1/λ (for :class:`~theorybook.lpn.operators.RadonCT` at λ ≲ 1e−12 they dominate).
    It is returned as computed; a solve that overflows raises
    :class:`~theorybook.boundary.NonFiniteResult`.

    Arguments:
        op: the forward operator A.
        y: the measurements, ``(batch, *op.measurement_shape)``.
        lam: the weight λ > 0.

    Returns:
        The estimate, one image per measurement.
    """
    op.check_measurements("y", y)
    return op.normal_solve(op.adjoint(y), lam)


def _start(
    op: LinearOp,
    y: torch.Tensor,
    denoiser: Denoiser,
    x0: torch.Tensor | None,
    x_true: torch.Tensor | None,
) -> torch.Tensor:
    """Check what annotations cannot say (shapes against the operator, a network denoiser's
    dtype and input shape); return the start Aᵀy (or x0)."""
    op.check_measurements("y", y)
    start = op.adjoint(y)
    try:
        check_model_input("y", start, denoiser)
    except (TypeError, ValueError) as err:
        raise type(err)(f"the denoiser cannot take the images Aᵀy of y: {err}") from None
    if x0 is not None:
        op.check_images("x0", x0)
        start = x0.detach().clone()
    if x_true is not None:
        op.check_images("x_true", x_true)
    return start


def _data_term(op: LinearOp, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * (op(x) - y).reshape(x.shape[0], -1).pow(2).sum(1)


class _Trace:
    """The diagnostics both PnP loops record: step norms, exact objective (LPN only), PSNR, iterates."""

    def __init__(self, x_true: torch.Tensor | None, keep_iterates: bool) -> None:
        self.x_true, self.keep = x_true, keep_iterates
        self.steps: list[float] = []
        self.objs: list[np.ndarray] = []
        self.psnrs: list[float] = []
        self.its: list[np.ndarray] = []

    def prox(
        self,
        denoiser: Denoiser,
        v: torch.Tensor,
        objective: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None,
        *,
        step: int,
        where: str,
    ) -> torch.Tensor:
        """Apply the denoiser; for an LPN also record ``objective(output, R_θ(output))`` exactly.

        The output must be finite and within bounds, and the objective finite
        (:func:`~theorybook.training.check_iterates`, naming ``where`` and ``step``); a
        denoiser's output must have the shape of its input.
        """
        if isinstance(denoiser, ConvexPotentialNet):
            out, r = _prior_at_output(denoiser, v)
            check_iterates(out, step=step, where=where)
            if objective is not None:
                value = objective(out, r).cpu().numpy()
                check_iterates(value, step=step, where=f"{where} (objective)", limit=math.inf)
                self.objs.append(value)
            return out
        with torch.no_grad():
            out = denoiser(v)
        if not isinstance(out, torch.Tensor) or out.shape != v.shape:
            raise TypeError(
                f"denoiser must map a batch of images {tuple(v.shape)} to a tensor of the same "
                f"shape, got {type(out).__name__} {tuple(getattr(out, 'shape', ()))}"
            )
        check_iterates(out, step=step, where=where)
        return out.detach()

    def record(self, new: torch.Tensor, old: torch.Tensor) -> None:
        self.steps.append(float((new - old).reshape(new.shape[0], -1).norm(dim=1).max()))
        if self.x_true is not None:
            self.psnrs.append(_psnr_batch(new, self.x_true))
        if self.keep:
            self.its.append(new[0].detach().cpu().numpy())

    def result(self, x: torch.Tensor) -> PnPResult:
        return PnPResult(
            x=x,
            step_norm=np.asarray(self.steps),
            objective=np.asarray(self.objs),
            psnr=np.asarray(self.psnrs),
            iterates=np.asarray(self.its),
        )


@checked(finite_result=False)
def pnp_pgd(
    op: LinearOp,
    y: Measurements,
    denoiser: Denoiser,
    *,
    step: PositiveReal = 1.0,
    iters: PositiveInt = 40,
    x0: Images | None = None,
    x_true: Images | None = None,
    keep_iterates: bool = False,
) -> PnPResult:
    """PnP proximal gradient descent, eq. :eq:`lpn-pgd`: x_{k+1} = D(x_k − η Aᵀ(Ax_k − y)).

    ``step`` is η; convergence of the LPN version needs η < 1/‖AᵀA‖ (checked only by the
    caller). Starts from ``x0`` (default Aᵀy). With an LPN the objective ½‖y − Ax‖² + R_θ(x)/η
    is recorded exactly at every iterate.

    Arguments:
        op: the forward operator A.
        y: the measurements.
        denoiser: the prox f (an LPN, or any callable denoiser).
        step: the step η.
        iters: the number of iterations (default: the book's ``PnP.iters``).
        x0: the start (default Aᵀy).
        x_true: the true images, to record the PSNR after every iteration.
        keep_iterates: keep the iterates of sample 0.

    Returns:
        The :class:`PnPResult`: the last iterate and the per-iteration diagnostics.

    Raises ``TypeError``/``ValueError`` for malformed arguments (NaN in ``y``, shapes that do
    not match the operator, a network denoiser of another dtype than ``y``) and
    :class:`~theorybook.training.SolverDiverged` naming the first iteration (step) whose
    iterate is not finite or has blown up (an entry beyond 1e12; a step far above 1/‖AᵀA‖, such
    as η = 50 for a blur, gets there within a few iterations), or whose exact objective is not
    finite (:func:`~theorybook.training.check_iterates`). The result is not required to be
    finite as a whole: the PSNR of an iterate equal to ``x_true`` is +inf.
    """
    x = _start(op, y, denoiser, x0, x_true)
    trace = _Trace(x_true, keep_iterates)

    def objective(out: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return _data_term(op, out, y) + r / step

    for k in range(1, iters + 1):
        v = x - step * op.adjoint(op(x) - y)
        x_new = trace.prox(denoiser, v, objective, step=k, where="PnP-PGD")
        trace.record(x_new, x)
        x = x_new
    return trace.result(x)


@checked(finite_result=False)
def pnp_admm(
    op: LinearOp,
    y: Measurements,
    denoiser: Denoiser,
    *,
    rho: PositiveReal = 1.0,
    iters: PositiveInt = 40,
    x0: Images | None = None,
    x_true: Images | None = None,
    keep_iterates: bool = False,
) -> PnPResult:
    """PnP-ADMM, eq. :eq:`lpn-admm` (scaled form): returns the z iterates (outputs of the prox).

    With an LPN the recorded objective is ½‖y − Az‖² + ρ·R_θ(z), exact at every z = f_θ(x + u).

    Arguments:
        op: the forward operator A.
        y: the measurements.
        denoiser: the prox f (an LPN, or any callable denoiser).
        rho: the penalty ρ.
        iters: the number of iterations (default: the book's ``PnP.iters``).
        x0: the start of z (default Aᵀy).
        x_true: the true images, to record the PSNR after every iteration.
        keep_iterates: keep the iterates of sample 0.

    Returns:
        The :class:`PnPResult` of the z iterates.

    Raises like :func:`pnp_pgd`. As ρ → 0 the x-step (AᵀA + ρI)⁻¹ amplifies the null space of A
    by 1/ρ (see :func:`tikhonov`); iterates that blow up raise
    :class:`~theorybook.training.SolverDiverged` naming the step.
    """
    z = _start(op, y, denoiser, x0, x_true)
    aty = op.adjoint(y)
    u = torch.zeros_like(z)
    trace = _Trace(x_true, keep_iterates)

    def objective(out: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return _data_term(op, out, y) + rho * r

    for k in range(1, iters + 1):
        x = op.normal_solve(aty + rho * (z - u), rho)
        z_new = trace.prox(denoiser, x + u, objective, step=k, where="PnP-ADMM")
        u = u + x - z_new
        trace.record(z_new, z)
        z = z_new
    return trace.result(z)
