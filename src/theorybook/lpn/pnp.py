"""Plug-and-play reconstruction with a learned proximal network (chapter 3, {cite}`venkatakrishnan2013pnp`).

For y = Ax + noise and a prox f = prox_R, the chapter's eqs. :eq:`lpn-pgd` and :eq:`lpn-admm` are

* PnP-PGD:  x_{k+1} = f(x_k − η Aᵀ(Ax_k − y)), a proximal-gradient method on
  F(x) = ½‖y − Ax‖² + R(x)/η (f = prox_R means prox_{η·(R/η)}). With an LPN, R = R_θ is known,
  and since x_{k+1} = f_θ(v_k) the objective at every iterate is exact:
  R_θ(x_{k+1}) = ⟨v_k, x_{k+1}⟩ − ½‖x_{k+1}‖² − ψ_θ(v_k). For η < 1/‖AᵀA‖, F decreases
  monotonically and ‖x_{k+1} − x_k‖ → 0 (paper §4, convergence of PnP with LPN).
* PnP-ADMM (scaled form, penalty ρ): x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ(z − u)); z ← f(x + u);
  u ← u + x − z; a splitting for ½‖y − Az‖² + ρ·R(z).

Any callable denoiser can be plugged in (TV, a plain CNN); objectives are only reported for LPNs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from theorybook.lpn.model import ConvexPotentialNet
from theorybook.lpn.operators import LinearOp
from theorybook.lpn.prior import prior_at_output
from theorybook.training import check_iterates
from theorybook.validation import callable_, positive_int, positive_real, tensor

__all__ = [
    "PnPResult",
    "image_metrics",
    "objective_settling",
    "pnp_admm",
    "pnp_pgd",
    "tikhonov",
    "tv_denoiser",
]


Denoiser = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class PnPResult:
    """Final estimate ``x`` and per-iteration diagnostics.

    ``step_norm[k]`` = max over the batch of ‖x_{k+1} − x_k‖; ``objective[k, i]`` the objective of
    sample i after iteration k (LPN denoisers only, else empty); ``psnr[k]`` mean PSNR after
    iteration k when ``x_true`` was given; ``iterates`` the stacked iterates of sample 0 if kept.
    """

    x: torch.Tensor
    step_norm: np.ndarray
    objective: np.ndarray
    psnr: np.ndarray
    iterates: np.ndarray = field(default_factory=lambda: np.empty(0))


def _psnr_batch(x_hat: torch.Tensor, x_true: torch.Tensor) -> float:
    a = x_hat.detach().clamp(0, 1).cpu().numpy()
    b = x_true.detach().cpu().numpy()
    return float(
        np.mean([peak_signal_noise_ratio(t, e, data_range=1.0) for t, e in zip(b, a, strict=True)])
    )


def _as_numpy(name: str, value: object) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().astype(np.float64)
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(value).__name__}")


def image_metrics(
    x_hat: torch.Tensor | np.ndarray, x_true: torch.Tensor | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-image PSNR and SSIM (scikit-image, data range 1) of ``x_hat`` clipped to [0, 1].

    Both are image batches ``(n, h, w)`` or ``(n, 1, h, w)`` of the same shape, as tensors or
    NumPy arrays; ``x_true`` must be finite (a NaN in ``x_hat`` raises too).
    """
    a, b = _as_numpy("x_hat", x_hat), _as_numpy("x_true", x_true)
    if a.shape != b.shape:
        raise ValueError(f"x_hat and x_true shapes differ: {a.shape} vs {b.shape}")
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[1] != 1) or a.shape[0] == 0:
        raise ValueError(f"expected a batch of grey images (n, [1,] h, w), got shape {a.shape}")
    if min(a.shape[-2:]) < 3:
        raise ValueError(f"images must be at least 3×3 for SSIM, got {a.shape[-2:]}")
    for name, arr in (("x_hat", a), ("x_true", b)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds NaN or inf")
    a = np.clip(a, 0, 1).reshape(a.shape[0], *a.shape[-2:])
    b = b.reshape(a.shape)
    win = min(7, a.shape[-1] - (1 - a.shape[-1] % 2))
    psnr = np.array(
        [peak_signal_noise_ratio(t, e, data_range=1.0) for t, e in zip(b, a, strict=True)]
    )
    ssim = np.array(
        [
            structural_similarity(t, e, data_range=1.0, win_size=win)
            for t, e in zip(b, a, strict=True)
        ]
    )
    return psnr, ssim


def objective_settling(objective: np.ndarray, *, fraction: float = 0.25) -> float:
    """How much a recorded objective still moves at the end of a run.

    For ``objective`` of shape ``(K, n)`` (iterations × samples, as in :class:`PnPResult`),
    returns ``max_i |F[K,i] − F[K−m,i]| / max(1, |F[K,i]|)`` with ``m = max(1, ⌊fraction·K⌋)``: a
    converged run gives a number near 0. Raises ``ValueError`` for fewer than two iterations or
    a non-finite objective.
    """
    obj = np.asarray(objective, dtype=np.float64)
    if obj.ndim == 1:
        obj = obj[:, None]
    if obj.ndim != 2 or obj.shape[0] < 2:
        raise ValueError(f"objective must be (iterations ≥ 2, samples), got shape {obj.shape}")
    if not np.all(np.isfinite(obj)):
        raise ValueError("objective holds NaN or inf")
    fraction = positive_real("fraction", fraction)
    if fraction >= 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    m = max(1, int(fraction * obj.shape[0]))
    last, before = obj[-1], obj[-1 - m]
    return float(np.max(np.abs(last - before) / np.maximum(1.0, np.abs(last))))


def tv_denoiser(weight: float) -> Denoiser:
    """TV denoising (scikit-image ``denoise_tv_chambolle``, {cite}`rudin1992tv`) image by image."""
    from skimage.restoration import denoise_tv_chambolle

    weight = positive_real("weight", weight)

    def denoise(v: torch.Tensor) -> torch.Tensor:
        arr = v.detach().cpu().numpy()
        out = np.stack([denoise_tv_chambolle(img[0], weight=weight)[None] for img in arr])
        return torch.as_tensor(out, dtype=v.dtype, device=v.device)

    return denoise


def tikhonov(op: LinearOp, y: torch.Tensor, lam: float) -> torch.Tensor:
    """The Tikhonov / regularised least-squares solution (AᵀA + λI)⁻¹Aᵀy, λ > 0.

    Arguments:
        op: the forward operator A.
        y: the measurements.
        lam: the weight λ > 0.

    Returns:
        The estimate, one image per measurement.
    """
    if not isinstance(op, LinearOp):
        raise TypeError(f"op must be a LinearOp, got {type(op).__name__}")
    tensor("y", y)
    return op.normal_solve(op.adjoint(y), positive_real("lam", lam))


def _check(
    op: LinearOp,
    y: torch.Tensor,
    denoiser: object,
    iters: int,
    x0: torch.Tensor | None,
    x_true: torch.Tensor | None,
) -> tuple[torch.Tensor, int]:
    """Validate the common arguments; return the start Aᵀy (or x0) and ``iters``."""
    if not isinstance(op, LinearOp):
        raise TypeError(f"op must be a LinearOp, got {type(op).__name__}")
    tensor("y", y)
    callable_("denoiser", denoiser)
    iters = positive_int("iters", iters)
    start = op.adjoint(y)
    if x0 is not None:
        tensor("x0", x0)
        if x0.shape != start.shape:
            raise ValueError(f"x0 must have shape {tuple(start.shape)}, got {tuple(x0.shape)}")
        start = x0.detach().clone()
    if x_true is not None:
        tensor("x_true", x_true)
        if x_true.shape != start.shape:
            raise ValueError(
                f"x_true must have the shape of the images, {tuple(start.shape)}, "
                f"got {tuple(x_true.shape)}"
            )
    return start, iters


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
    ) -> torch.Tensor:
        """Apply the denoiser; for an LPN also record ``objective(output, R_θ(output))`` exactly."""
        if isinstance(denoiser, ConvexPotentialNet):
            out, r = prior_at_output(denoiser, v)
            if objective is not None:
                self.objs.append(objective(out, r).cpu().numpy())
            return out
        with torch.no_grad():
            return denoiser(v).detach()

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


def pnp_pgd(
    op: LinearOp,
    y: torch.Tensor,
    denoiser: Denoiser,
    *,
    step: float = 1.0,
    iters: int = 40,
    x0: torch.Tensor | None = None,
    x_true: torch.Tensor | None = None,
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
    not match the operator) and :class:`~theorybook.training.SolverDiverged` naming the first
    iteration (step) whose iterate is not finite or has blown up
    (:func:`~theorybook.training.check_iterates`).
    """
    x, iters = _check(op, y, denoiser, iters, x0, x_true)
    step = positive_real("step", step)
    trace = _Trace(x_true, keep_iterates)

    def objective(out: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return _data_term(op, out, y) + r / step

    for k in range(1, iters + 1):
        v = x - step * op.adjoint(op(x) - y)
        x_new = trace.prox(denoiser, v, objective)
        check_iterates(x_new, step=k, where="PnP-PGD")
        trace.record(x_new, x)
        x = x_new
    return trace.result(x)


def pnp_admm(
    op: LinearOp,
    y: torch.Tensor,
    denoiser: Denoiser,
    *,
    rho: float = 1.0,
    iters: int = 40,
    x0: torch.Tensor | None = None,
    x_true: torch.Tensor | None = None,
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

    Raises like :func:`pnp_pgd`.
    """
    z, iters = _check(op, y, denoiser, iters, x0, x_true)
    rho = positive_real("rho", rho)
    aty = op.adjoint(y)
    u = torch.zeros_like(z)
    trace = _Trace(x_true, keep_iterates)

    def objective(out: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return _data_term(op, out, y) + rho * r

    for k in range(1, iters + 1):
        x = op.normal_solve(aty + rho * (z - u), rho)
        z_new = trace.prox(denoiser, x + u, objective)
        check_iterates(z_new, step=k, where="PnP-ADMM")
        u = u + x - z_new
        trace.record(z_new, z)
        z = z_new
    return trace.result(z)
