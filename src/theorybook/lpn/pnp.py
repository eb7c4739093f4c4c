"""Plug-and-play reconstruction with a learned proximal network (chapter 3, {cite}`venkatakrishnan2013pnp`).

For y = Ax + noise and a prox f = prox_R, the chapter's eqs. ``lpn-pgd`` and ``lpn-admm`` are

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

__all__ = ["PnPResult", "image_metrics", "pnp_admm", "pnp_pgd", "tikhonov", "tv_denoiser"]

Denoiser = Callable[[torch.Tensor], torch.Tensor]


@dataclass
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


def image_metrics(x_hat: torch.Tensor, x_true: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per-image PSNR and SSIM (scikit-image, data range 1) of ``x_hat`` clipped to [0, 1]."""
    if x_hat.shape != x_true.shape:
        raise ValueError(f"shapes differ: {tuple(x_hat.shape)} vs {tuple(x_true.shape)}")
    a = (
        x_hat.detach()
        .clamp(0, 1)
        .cpu()
        .numpy()
        .reshape(x_hat.shape[0], *x_hat.shape[-2:])
        .astype(np.float64)
    )
    b = x_true.detach().cpu().numpy().reshape(a.shape).astype(np.float64)
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


def tv_denoiser(weight: float) -> Denoiser:
    """TV denoising (scikit-image ``denoise_tv_chambolle``, {cite}`rudin1992tv`) image by image."""
    from skimage.restoration import denoise_tv_chambolle

    if not weight > 0:
        raise ValueError(f"weight must be > 0, got {weight}")

    def denoise(v: torch.Tensor) -> torch.Tensor:
        arr = v.detach().cpu().numpy()
        out = np.stack([denoise_tv_chambolle(img[0], weight=weight)[None] for img in arr])
        return torch.as_tensor(out, dtype=v.dtype, device=v.device)

    return denoise


def tikhonov(op: LinearOp, y: torch.Tensor, lam: float) -> torch.Tensor:
    """The Tikhonov / regularised least-squares solution (AᵀA + λI)⁻¹Aᵀy."""
    return op.normal_solve(op.adjoint(y), lam)


def _check(op: LinearOp, y: torch.Tensor, iters: int) -> None:
    if not isinstance(op, LinearOp):
        raise TypeError(f"op must be a LinearOp, got {type(op).__name__}")
    if not isinstance(y, torch.Tensor) or not y.is_floating_point():
        raise TypeError("y must be a floating-point torch.Tensor")
    if isinstance(iters, bool) or not isinstance(iters, int) or iters < 1:
        raise ValueError(f"iters must be an int >= 1, got {iters!r}")


def _data_term(op: LinearOp, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * (op(x) - y).reshape(x.shape[0], -1).pow(2).sum(1)


class _Trace:
    """The diagnostics both PnP loops record: step norms, exact objective (LPN only), PSNR, iterates."""

    def __init__(self, x_true: torch.Tensor | None, keep_iterates: bool) -> None:
        self.x_true, self.keep = x_true, keep_iterates
        self.steps: list[float] = []
        self.objs: list[np.ndarray] = []
        self.psnrs: list[np.ndarray] = []
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
    iters: int = 50,
    x0: torch.Tensor | None = None,
    x_true: torch.Tensor | None = None,
    keep_iterates: bool = False,
) -> PnPResult:
    """PnP proximal gradient descent, eq. ``lpn-pgd``: x_{k+1} = D(x_k − η Aᵀ(Ax_k − y)).

    ``step`` is η; convergence of the LPN version needs η < 1/‖AᵀA‖ (checked only by the
    caller). Starts from ``x0`` (default Aᵀy). With an LPN the objective ½‖y − Ax‖² + R_θ(x)/η
    is recorded exactly at every iterate.
    """
    _check(op, y, iters)
    if not step > 0:
        raise ValueError(f"step must be > 0, got {step}")
    x = op.adjoint(y) if x0 is None else x0.detach().clone()
    trace = _Trace(x_true, keep_iterates)
    for _ in range(iters):
        v = x - step * op.adjoint(op(x) - y)
        x_new = trace.prox(denoiser, v, lambda out, r: _data_term(op, out, y) + r / step)
        trace.record(x_new, x)
        x = x_new
    return trace.result(x)


def pnp_admm(
    op: LinearOp,
    y: torch.Tensor,
    denoiser: Denoiser,
    *,
    rho: float = 1.0,
    iters: int = 30,
    x0: torch.Tensor | None = None,
    x_true: torch.Tensor | None = None,
    keep_iterates: bool = False,
) -> PnPResult:
    """PnP-ADMM, eq. ``lpn-admm`` (scaled form): returns the z iterates (outputs of the prox).

    With an LPN the recorded objective is ½‖y − Az‖² + ρ·R_θ(z), exact at every z = f_θ(x + u).
    """
    _check(op, y, iters)
    if not rho > 0:
        raise ValueError(f"rho must be > 0, got {rho}")
    aty = op.adjoint(y)
    z = aty.clone() if x0 is None else x0.detach().clone()
    u = torch.zeros_like(z)
    trace = _Trace(x_true, keep_iterates)
    for _ in range(iters):
        x = op.normal_solve(aty + rho * (z - u), rho)
        z_new = trace.prox(denoiser, x + u, lambda out, r: _data_term(op, out, y) + rho * r)
        u = u + x - z_new
        trace.record(z_new, z)
        z = z_new
    return trace.result(z)
