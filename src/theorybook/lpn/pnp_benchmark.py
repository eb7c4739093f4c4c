"""The plug-and-play benchmark harness of chapter 3 ({cite}`fang2024lpn`): one inverse problem,
every method tuned on validation images and run on test images.

:func:`solve_problem` measures ``y = Ax + noise`` for validation and test images, tunes each
method's one scalar by validation PSNR on :data:`TUNING_GRIDS` (:func:`tune`; a grid value at
which a PnP run diverges scores −∞), runs Aᵀy, Tikhonov, PnP-PGD with TV, and PnP-PGD and
PnP-ADMM with the plain CNN and with the LPN on the test images, and records the LPN's exact
objective, its reference optimum and PnP-ADMM at the theory's penalty. The experiments of
:mod:`theorybook.lpn.experiments` (digits, patches, CT, larger crops) all run through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import nn

from theorybook.lpn.config import Config
from theorybook.lpn.model import ConvexPotentialNet, PlainCNN
from theorybook.lpn.operators import (
    CompressedSensing,
    GaussianBlur,
    LinearOp,
    RadonCT,
    operator_norm,
)
from theorybook.lpn.pnp import (
    PnPResult,
    _psnr_only,
    image_metrics,
    pnp_admm,
    pnp_pgd,
    relax,
    tikhonov,
    tv_denoiser,
)
from theorybook.lpn.results import PnPProblemResult
from theorybook.training import SolverDiverged

__all__ = [
    "BASELINES",
    "FBP_FILTERS",
    "PGD_STEP",
    "REFERENCE_FACTOR",
    "RELAX_WEIGHTS",
    "RHO_THEORY_FACTOR",
    "TUNING_GRIDS",
    "check_learned",
    "inverse_problems",
    "max_relative_rise",
    "measure",
    "solve_problem",
    "tune",
    "tune_learned",
]

PGD_STEP = 0.95
"""The PnP-PGD step η of every method, in units of 1/‖A‖²: the largest step of the descent range
η < 1/‖AᵀA‖ that the PGD objective argument needs. The iteration x ← f(x − η∇h(x)) with
f = prox_R is PGD on h + R/η, so inside that range η can only weight the prior at least as much
as 1/0.95 times R; the prior's weight is tuned through the relaxation λ instead."""

RELAX_WEIGHTS: tuple[float, ...] = (0.01, 0.03, 0.1, 0.25, 0.5, 1.0)
"""The relaxation weights λ of PnP-PGD, tuned for each learned denoiser: the denoiser
f_λ = (1 − λ)I + λf (:func:`~theorybook.lpn.pnp.relax`). For an LPN, f_λ is again exactly a prox
(of R_λ, the prior of ψ_λ = (1 − λ)½‖·‖² + λψ_θ), so PGD keeps its descent guarantee at every λ;
smaller λ weakens the prior."""

TUNING_GRIDS: dict[str, tuple[float, ...]] = {
    "Tikhonov λ": (1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
    "TV weight": (0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3),
    "ADMM ρ": (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "ADMM ρ (CNN)": (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "PGD λ": RELAX_WEIGHTS,
    "PGD λ (CNN)": RELAX_WEIGHTS,
}
"""The grids on which each method's one scalar is tuned by validation PSNR (the LPN's and the
CNN's ADMM penalty on the same grid, and their PnP-PGD relaxation on :data:`RELAX_WEIGHTS`)."""

FBP_FILTERS: tuple[str, ...] = ("ramp", "shepp-logan", "cosine", "hamming", "hann")
"""The filters of filtered back-projection (``skimage.transform.iradon``) tuned for CT."""

BASELINES: tuple[str, ...] = ("Aᵀy", "FBP", "Tikhonov", "PnP-PGD TV", "PnP-PGD CNN", "PnP-ADMM CNN")
"""The methods an LPN reconstruction is compared with."""

REFERENCE_FACTOR = 5
"""The PGD-LPN reference run is this many times longer than the reported run (see
:attr:`PnPProblemResult.objective_reference`)."""

RHO_THEORY_FACTOR = 1.05
"""PnP-ADMM is also run at ρ = ``RHO_THEORY_FACTOR`` · ‖AᵀA‖, inside the range ρ > ‖AᵀA‖ (penalty
above the Lipschitz constant of the data term's gradient) that nonconvex-ADMM convergence
analyses require."""


def tune(values: tuple[float, ...], score: Callable[[float], float]) -> float:
    """The value of ``values`` with the highest ``score``; a value whose PnP run diverges
    (:class:`~theorybook.training.SolverDiverged`) scores −∞."""

    def safe(v: float) -> float:
        try:
            return score(v)
        except SolverDiverged:
            return float("-inf")

    scores = [safe(v) for v in values]
    return values[int(np.argmax(scores))]


def inverse_problems(cfg: Config, n: int) -> dict[str, LinearOp]:
    """The chapter's two inverse problems on ``n`` × ``n`` images: Gaussian blur of width
    ``pnp.blur_sigma`` and compressed sensing of ``pnp.cs_fraction`` of the pixels (seeded with
    ``cfg.seed``), under the names the results use."""
    return {
        "deblurring": GaussianBlur(n, cfg.pnp.blur_sigma),
        "compressed sensing": CompressedSensing(
            n, max(1, round(cfg.pnp.cs_fraction * n * n)), seed=cfg.seed
        ),
    }


def measure(op: LinearOp, x: torch.Tensor, noise: float, seed: int) -> torch.Tensor:
    """Measurements y = Ax + noise·ε, ε ~ N(0, I) drawn from a generator seeded with ``seed``.

    Arguments:
        op: the forward operator A.
        x: the images, ``(n, 1, s, s)``.
        noise: the standard deviation of the measurement noise.
        seed: the seed of the noise.

    Returns:
        The noisy measurements, in the dtype of ``Ax``.
    """
    gen = torch.Generator().manual_seed(seed)
    y = op(x)
    return y + noise * torch.randn(y.shape, generator=gen, dtype=y.dtype)


def max_relative_rise(obj: np.ndarray) -> float:
    """The largest rise F[k+1] − F[k] of an objective ``(iterations, samples)``, relative to
    max(1, |F[k]|); 0 for fewer than two iterations."""
    if len(obj) < 2:
        return 0.0
    return float(np.max(np.diff(obj, axis=0) / np.maximum(1.0, np.abs(obj[:-1]))))


@dataclass(frozen=True)
class _Tuner:
    """Validation PSNR of each method's reconstruction (a class, so no closure captures a loop
    variable)."""

    op: LinearOp
    y_val: torch.Tensor
    val: torch.Tensor
    eta: float
    iters: int

    def score(self, x_hat: torch.Tensor) -> float:
        return float(_psnr_only(x_hat, self.val).mean())

    def tikhonov(self, lam: float) -> float:
        return self.score(tikhonov(self.op, self.y_val, lam))

    def tv(self, weight: float) -> float:
        run = pnp_pgd(self.op, self.y_val, tv_denoiser(weight), step=self.eta, iters=self.iters)
        return self.score(run.x)

    def pgd(self, denoiser: nn.Module, weight: float) -> float:
        f = relax(denoiser, weight)
        return self.score(pnp_pgd(self.op, self.y_val, f, step=self.eta, iters=self.iters).x)

    def admm(self, denoiser: nn.Module, rho: float) -> float:
        return self.score(pnp_admm(self.op, self.y_val, denoiser, rho=rho, iters=self.iters).x)


def tune_learned(
    op: LinearOp,
    y_val: torch.Tensor,
    val: torch.Tensor,
    denoiser: nn.Module,
    *,
    iters: int,
    op_norm: float,
) -> tuple[float, float]:
    """``(ρ, λ)``: the ADMM penalty (on ``TUNING_GRIDS["ADMM ρ"]``) and the PnP-PGD relaxation
    (on :data:`RELAX_WEIGHTS`, step η = :data:`PGD_STEP`/‖A‖², ``op_norm`` = ‖A‖) with the best
    mean PSNR on the validation images ``val`` measured as ``y_val``, each run for ``iters``
    iterations. Every learned denoiser of the chapter is tuned by this one function."""
    tuner = _Tuner(op, y_val, val, PGD_STEP / op_norm**2, iters)
    rho = tune(TUNING_GRIDS["ADMM ρ"], partial(tuner.admm, denoiser))
    lam = tune(RELAX_WEIGHTS, partial(tuner.pgd, denoiser))
    return rho, lam


def check_learned(lpn: object, cnn: object) -> None:
    """Raise ``TypeError`` unless ``lpn`` is an LPN and ``cnn`` a :class:`PlainCNN` or None."""
    if not isinstance(lpn, ConvexPotentialNet):
        raise TypeError(f"lpn must be an LPN (ConvLPN or PatchLPN), got {type(lpn).__name__}")
    if cnn is not None and not isinstance(cnn, PlainCNN):
        raise TypeError(f"cnn must be a PlainCNN or None, got {type(cnn).__name__}")


def solve_problem(
    cfg: Config,
    name: str,
    op: LinearOp,
    val: torch.Tensor,
    test: torch.Tensor,
    lpn64: ConvexPotentialNet,
    cnn64: PlainCNN | None,
    *,
    dataset: str,
    fbp_filter: str | None = None,
    example: int | None = None,
    theory: bool = True,
    reference_factor: int = REFERENCE_FACTOR,
) -> PnPProblemResult:
    """Tune every method on ``val`` and run it on ``test`` for one operator.

    See :func:`~theorybook.lpn.experiments.run_pnp` for the methods and the tuning.

    Arguments:
        cfg: the chapter's settings (``pnp.iters``, ``pnp.meas_noise``, ``seed``).
        name: the problem's label ("deblurring", "compressed sensing", ...).
        op: the forward operator A.
        val: validation images ``(n, 1, s, s)``, on which every scalar is tuned.
        test: test images, on which every method is reported.
        lpn64: the learned proximal network (a :class:`ConvexPotentialNet`).
        cnn64: the plain-CNN baseline, or None to leave it out.
        dataset: a label of the images, stored in the result.
        fbp_filter: for :class:`RadonCT`, the filtered back-projection baseline's filter.
        example: the test image shown in figures (default: the LPN's median-PSNR image).
        theory: also run PnP-ADMM at ρ = :data:`RHO_THEORY_FACTOR`·‖AᵀA‖, with the LPN and
            (as its challenger) the plain CNN.
        reference_factor: the length of the PGD-LPN reference run, in multiples of
            ``pnp.iters``.

    Returns:
        The :class:`~theorybook.lpn.results.PnPProblemResult` of the problem.
    """
    norm = operator_norm(op)
    eta = PGD_STEP / norm**2
    y_val = measure(op, val, cfg.pnp.meas_noise, cfg.seed + 7)
    y = measure(op, test, cfg.pnp.meas_noise, cfg.seed + 11)
    tune_iters = max(4, cfg.pnp.iters // 2)
    tuner = _Tuner(op, y_val, val, eta, tune_iters)
    tuned = {
        "Tikhonov λ": tune(TUNING_GRIDS["Tikhonov λ"], tuner.tikhonov),
        "TV weight": tune(TUNING_GRIDS["TV weight"], tuner.tv),
    }
    learned: dict[str, nn.Module] = {"LPN": lpn64}
    if cnn64 is not None:
        learned["CNN"] = cnn64
    for label, net in learned.items():
        suffix = "" if label == "LPN" else f" ({label})"
        rho, lam = tune_learned(op, y_val, val, net, iters=tune_iters, op_norm=norm)
        tuned[f"ADMM ρ{suffix}"], tuned[f"PGD λ{suffix}"] = rho, lam
    estimates: dict[str, torch.Tensor] = {"Aᵀy": op.adjoint(y)}
    if fbp_filter is not None and isinstance(op, RadonCT):
        estimates["FBP"] = op.fbp(y, filter_name=fbp_filter)
    estimates["Tikhonov"] = tikhonov(op, y, tuned["Tikhonov λ"])
    runs: dict[str, PnPResult] = {}
    runs["PnP-PGD TV"] = pnp_pgd(
        op, y, tv_denoiser(tuned["TV weight"]), step=eta, iters=cfg.pnp.iters, x_true=test
    )
    if cnn64 is not None:
        cnn_pgd = relax(cnn64, tuned["PGD λ (CNN)"])
        runs["PnP-PGD CNN"] = pnp_pgd(op, y, cnn_pgd, step=eta, iters=cfg.pnp.iters, x_true=test)
        runs["PnP-ADMM CNN"] = pnp_admm(
            op, y, cnn64, rho=tuned["ADMM ρ (CNN)"], iters=cfg.pnp.iters, x_true=test
        )
    lpn_pgd = relax(lpn64, tuned["PGD λ"])
    runs["PnP-PGD LPN"] = pnp_pgd(
        op, y, lpn_pgd, step=eta, iters=cfg.pnp.iters, x_true=test, keep_iterates=True
    )
    runs["PnP-ADMM LPN"] = pnp_admm(
        op, y, lpn64, rho=tuned["ADMM ρ"], iters=cfg.pnp.iters, x_true=test
    )
    rho_theory = RHO_THEORY_FACTOR * norm**2
    admm_theory = admm_theory_cnn = None
    if theory:
        admm_theory = pnp_admm(op, y, lpn64, rho=rho_theory, iters=cfg.pnp.iters, x_true=test)
        if cnn64 is not None:  # the same penalty with a denoiser that is not a prox
            admm_theory_cnn = pnp_admm(op, y, cnn64, rho=rho_theory, iters=cfg.pnp.iters)
    # the reference optimum F*: the same PGD-LPN iteration continued from its last iterate
    extra = (reference_factor - 1) * cfg.pnp.iters
    cont = pnp_pgd(op, y, lpn_pgd, step=eta, iters=extra, x0=runs["PnP-PGD LPN"].x)
    obj = runs["PnP-PGD LPN"].objective
    reference = np.minimum(obj.min(axis=0), cont.objective.min(axis=0))
    for key, run in runs.items():
        estimates[key] = run.x
    psnr, ssim, per_image = {}, {}, {}
    for key, est in estimates.items():
        p, s = image_metrics(est, test)
        per_image[key] = p
        psnr[key], ssim[key] = float(p.mean()), float(s.mean())
    # the example shown in figures: the test image with the median PSNR of the LPN (ADMM)
    order = np.argsort(per_image["PnP-ADMM LPN"])
    idx = int(order[len(order) // 2]) if example is None else example
    examples = {"truth": test[idx, 0].numpy()}
    for key, est in estimates.items():
        examples[key] = est[idx, 0].clamp(0, 1).numpy()
    return PnPProblemResult(
        name=name,
        op_norm=norm,
        psnr=psnr,
        ssim=ssim,
        tuned=tuned,
        runs=runs,
        examples=examples,
        objective_max_increase=max(
            max_relative_rise(obj),
            max_relative_rise(np.concatenate([obj[-1:], cont.objective])),
        ),
        dataset=dataset,
        psnr_images=per_image,
        objective_reference=reference,
        reference_iters=reference_factor * cfg.pnp.iters,
        example_index=idx,
        admm_theory=admm_theory,
        rho_theory=rho_theory,
        admm_theory_cnn=admm_theory_cnn,
    )
