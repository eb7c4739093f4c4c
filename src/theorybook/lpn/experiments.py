"""The experiments of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Each ``run_*`` function takes a :class:`~theorybook.lpn.config.Config`, seeds itself, runs under
the book's thread policy (:func:`theorybook.runtime.torch_threads`) and returns a frozen
dataclass of :mod:`theorybook.lpn.results` that :mod:`theorybook.lpn.figures` draws and
:mod:`theorybook.lpn.claims` checks:

* :func:`run_laplacian`: the 1-D Laplacian toy (the official README's "Laplacian experiment");
* :func:`run_digits_prior`: the learned prior of digits under noise, blur and mixing (the
  README's MNIST experiment, on scikit-learn digits), with the models of
  :func:`~theorybook.lpn.image_models.train_digits_models`;
* :func:`run_pnp`: plug-and-play deblurring and compressed sensing of digits or of
  natural-image patches (models of :func:`~theorybook.lpn.image_models.train_patch_models`),
  through the harness of :mod:`theorybook.lpn.pnp_benchmark`;
* :func:`~theorybook.lpn.large_images.run_patch_prox` and
  :func:`~theorybook.lpn.large_images.run_ct` (in :mod:`~theorybook.lpn.large_images`): the
  patch LPN averaged over overlapping patches of larger images, and sparse-view CT of phantoms;
* :func:`run_all`: all of them, and the training-step timing
  (:func:`~theorybook.lpn.image_models.time_training_steps`), as one :class:`Results`.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import torch

from theorybook.boundary import checked
from theorybook.lpn.config import Config
from theorybook.lpn.data import (
    PERTURBATIONS,
    check_images,
    digits_split,
    laplace_sampler,
    patch_split,
    perturb,
)
from theorybook.lpn.decomposition import load_decomposition_record
from theorybook.lpn.diagnostics import jacobian_report, prox_grid_check
from theorybook.lpn.image_models import (
    check_config,
    time_training_steps,
    train_digits_models,
    train_patch_models,
)
from theorybook.lpn.large_images import run_ct, run_patch_prox
from theorybook.lpn.model import LPN, ConvLPN, PlainCNN
from theorybook.lpn.pnp_benchmark import check_learned, inverse_problems, solve_problem
from theorybook.lpn.prior import learned_prior, prior_at_output
from theorybook.lpn.results import (
    PRIOR_RANGE,
    DigitsPriorResult,
    LaplacianResult,
    PnPResults,
    Results,
)
from theorybook.lpn.sweeps import (
    below_by_level,
    clean_lowest,
    mixture_above_both,
    total_variation,
)
from theorybook.lpn.toy import laplace_posterior_stats, soft_threshold
from theorybook.lpn.train import Stage, split_schedule, train_lpn
from theorybook.runtime import seed_everything, torch_threads
from theorybook.training import TrainingHistory

__all__ = [
    "run_all",
    "run_ct",
    "run_digits_prior",
    "run_laplacian",
    "run_patch_prox",
    "run_pnp",
]
# run_ct and run_patch_prox live in large_images; run_all runs them and the notebook calls them
# from here with the rest of the experiments


@torch_threads()
def run_laplacian(cfg: Config, *, progress: bool = False) -> LaplacianResult:
    """The Laplacian toy: x ~ Laplace(0, 1), y = x + N(0, 1); LPNs trained with ℓ₂, ℓ₁ and PM.

    ℓ₂ and ℓ₁ models are trained from the same seed for ``laplace.pretrain_steps`` (in equal
    parts at the learning rates ``laplace.pretrain_lrs``, 1e−3 then 1e−4); the
    proximal-matching model warm-starts from the ℓ₁ model and runs the γ stages
    ``laplace.gammas`` / ``laplace.pm_lrs``. Errors are mean |f_θ − target| on y ∈ [−4, 4].
    """
    cfg = check_config(cfg)
    start = time.perf_counter()
    seed_everything(cfg.seed)
    sampler = laplace_sampler(cfg.laplace.batch)
    lap = cfg.laplace
    models: dict[str, LPN] = {}
    histories: dict[str, TrainingHistory] = {}
    for loss in ("l2", "l1"):
        seed_everything(cfg.seed)
        model = LPN(1, cfg.laplace.hidden, cfg.laplace.layers, beta=cfg.laplace.beta)
        sched = split_schedule(lap.pretrain_steps, loss, lap.pretrain_lrs)
        histories[loss] = train_lpn(
            model, sampler, sched, progress=progress, desc=f"Laplace {loss}"
        )
        models[loss] = model
    pm = copy.deepcopy(models["l1"])
    sched = [
        Stage(cfg.laplace.pm_steps, "pm", lr, g)
        for g, lr in zip(cfg.laplace.gammas, cfg.laplace.pm_lrs, strict=True)
    ]
    histories["pm"] = train_lpn(pm, sampler, sched, progress=progress, desc="Laplace PM")
    models["pm"] = pm

    y = np.linspace(-4, 4, 801)
    soft = soft_threshold(y, 1.0)
    mmse, median = laplace_posterior_stats(y)
    yt = torch.as_tensor(y).reshape(-1, 1)
    outputs, prior_x, prior_r, potential = {}, {}, {}, {}
    errs_soft, errs_mmse, errs_med, errs_prior = {}, {}, {}, {}
    u = torch.linspace(-6, 6, 1201, dtype=torch.float64).reshape(-1, 1)
    x_eval = np.linspace(-PRIOR_RANGE, PRIOR_RANGE, 301)
    for name, model in models.items():
        m64 = copy.deepcopy(model).double()
        with torch.no_grad():
            out = m64(yt).numpy().ravel()
            potential[name] = m64.potential(yt).numpy()
        outputs[name] = out
        errs_soft[name] = float(np.mean(np.abs(out - soft)))
        errs_mmse[name] = float(np.mean(np.abs(out - mmse)))
        errs_med[name] = float(np.mean(np.abs(out - median)))
        xs, rs = prior_at_output(m64, u)
        xs_sorted, rs_sorted = _sorted(xs.numpy().ravel(), rs.numpy())
        prior_x[name] = xs_sorted
        prior_r[name] = rs_sorted - float(rs.min())
        r_eval = np.interp(x_eval, xs_sorted, rs_sorted)
        errs_prior[name] = float(np.mean(np.abs(r_eval - r_eval.min() - np.abs(x_eval))))
    pm64 = copy.deepcopy(pm).double()
    check = prox_grid_check(pm, torch.linspace(-4, 4, 81))
    # R_θ by inversion (learned_prior) against the exact parametrisation, on x in the range
    x_probe = torch.linspace(-2.5, 2.5, 21, dtype=torch.float64).reshape(-1, 1)
    xs, rs = prior_at_output(pm64, u)
    r_inv = learned_prior(pm64, x_probe)
    assert isinstance(r_inv, torch.Tensor)
    r_exact = np.interp(x_probe.numpy().ravel(), *_sorted(xs.numpy().ravel(), rs.numpy()))
    gap = float(np.ptp(r_inv.numpy() - r_exact))  # both are defined up to a constant
    jac = jacobian_report(pm, torch.linspace(-4, 4, 33).reshape(-1, 1))
    return LaplacianResult(
        y=y,
        soft=soft,
        mmse=mmse,
        median=median,
        outputs=outputs,
        prior_x=prior_x,
        prior_r=prior_r,
        potential=potential,
        errors_soft=errs_soft,
        errors_mmse=errs_mmse,
        errors_median=errs_med,
        prior_errors=errs_prior,
        prox_check=check,
        inversion_gap=gap,
        jacobian=jac,
        histories=histories,
        models=models,
        seconds=time.perf_counter() - start,
    )


def _sorted(x: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(x)
    return x[order], r[order]


# --- The learned prior on digits -----------------------------------------------------------------


@torch_threads()
def run_digits_prior(
    cfg: Config,
    model: ConvLPN,
    *,
    history: TrainingHistory | None = None,
    progress: bool = False,
) -> DigitsPriorResult:
    """R_θ (by inversion) on ``digits.n_test`` test digits under noise, blur and mixing.

    The official sweeps and pairing (:data:`~theorybook.lpn.data.PERTURBATIONS`,
    :func:`~theorybook.lpn.data.perturb`). ``frac_monotone[kind]`` is the fraction of digits
    whose R_θ rises strictly along all levels, ``frac_clean_lowest[kind]`` the fraction with
    R_θ(clean) below every perturbed level, ``frac_mix_above_both`` the fraction of digit pairs
    whose mixtures at every 0 < λ < 1 score above both clean digits
    (:mod:`~theorybook.lpn.sweeps`); ``tv`` holds the total variation of the same images.
    """
    cfg = check_config(cfg)
    if not isinstance(model, ConvLPN):
        raise TypeError(f"model must be a ConvLPN, got {type(model).__name__}")
    if model.image_size != cfg.digits.pad_to or model.channels != 1:
        raise ValueError(
            f"model expects {model.image_size}×{model.image_size} images, the digits are "
            f"{cfg.digits.pad_to}×{cfg.digits.pad_to} (cfg.digits.pad_to)"
        )
    start = time.perf_counter()
    seed_everything(cfg.seed)
    _, _, test = digits_split(cfg)
    m64 = copy.deepcopy(model).double()
    priors, examples, mono, lowest, by_level, tv = {}, {}, {}, {}, {}, {}
    residual = 0.0
    kinds: Any = PERTURBATIONS.items()
    if progress:
        from theorybook.reporting import progress as progress_bar

        kinds = progress_bar(kinds, desc="digits prior sweeps", total=len(PERTURBATIONS))
    for kind, levels in kinds:
        batch = np.concatenate([perturb(test, kind, lv, seed=cfg.seed) for lv in levels])
        out = learned_prior(m64, torch.as_tensor(batch, dtype=torch.float64), return_inversion=True)
        assert isinstance(out, tuple)
        r, inv = out
        residual = max(residual, float(inv.residual.max()))
        table = r.numpy().reshape(len(levels), len(test))
        priors[kind] = table
        examples[kind] = batch.reshape(len(levels), len(test), *test.shape[-2:])[:, 0]
        mono[kind] = float(np.mean(np.all(np.diff(table, axis=0) > 0, axis=0)))
        lowest[kind] = float(np.mean(clean_lowest(table)))
        by_level[kind] = below_by_level(table)
        tv[kind] = total_variation(batch).reshape(len(levels), len(test))
        if kind == "mix":
            above_both = float(np.mean(mixture_above_both(table, levels)))
    jac = jacobian_report(model, torch.as_tensor(test[:3]))
    return DigitsPriorResult(
        levels=dict(PERTURBATIONS),
        priors=priors,
        examples=examples,
        frac_monotone=mono,
        frac_clean_lowest=lowest,
        frac_mix_above_both=above_both,
        max_residual=residual,
        jacobian=jac,
        history=history if history is not None else TrainingHistory(losses=()),
        seconds=time.perf_counter() - start,
        frac_below_by_level=by_level,
        tv=tv,
    )


# --- Plug-and-play deblurring and compressed sensing ---------------------------------------------


@torch_threads()
def run_pnp(
    cfg: Config,
    lpn: ConvLPN,
    cnn: PlainCNN | None,
    *,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    dataset: str = "digits",
    progress: bool = False,
) -> PnPResults:
    """PnP deblurring and compressed sensing with every method, tuned on validation images.

    Gaussian blur σ = ``pnp.blur_sigma`` and compressed sensing of ``pnp.cs_fraction`` of the
    pixels, measurement noise ``pnp.meas_noise``, on ``images = (validation, test)``, each an
    array ``(n, 1, s, s)`` in [0, 1] with s the LPN's ``image_size``; by default the validation
    and test digits of :func:`digits_split` (for patches pass ``patch_split(cfg)[1:]``).
    ``dataset`` only labels the results. Tikhonov λ, the TV weight, and the ADMM ρ and the
    PnP-PGD relaxation λ of the LPN and of the plain CNN (each its own, on the same grids,
    :func:`~theorybook.lpn.pnp_benchmark.tune_learned`) are tuned by PSNR on all validation
    images over :data:`~theorybook.lpn.pnp_benchmark.TUNING_GRIDS` (a grid value at which a PnP
    run diverges scores −∞). Both learned denoisers run in PnP-PGD (relaxed,
    :func:`~theorybook.lpn.pnp.relax`) and in PnP-ADMM. All methods then run on the first
    ``pnp.images`` test images. Every PnP-PGD run takes the step η = 0.95/‖A‖²
    (:data:`~theorybook.lpn.pnp_benchmark.PGD_STEP`), inside the descent range η < 1/‖AᵀA‖.
    Returns one :class:`PnPProblemResult` per problem.
    """
    cfg = check_config(cfg)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be a ConvLPN, got {type(lpn).__name__}")
    check_learned(lpn, cnn)
    if not isinstance(dataset, str) or not dataset:
        raise TypeError(f"dataset must be a non-empty label, got {dataset!r}")
    seed_everything(cfg.seed)
    if images is None:
        _, val_np, test_np = digits_split(cfg)
    else:
        if not isinstance(images, tuple) or len(images) != 2:
            raise TypeError("images must be a (validation, test) tuple of arrays")
        val_np, test_np = images
    for what, arr in (("validation images", val_np), ("test images", test_np)):
        check_images(arr, what)
        if arr.shape[-1] != lpn.image_size or lpn.channels != 1:
            raise ValueError(
                f"{what} are {arr.shape[-1]}×{arr.shape[-1]}, the LPN expects "
                f"{lpn.image_size}×{lpn.image_size} with one channel"
            )
    val = torch.as_tensor(val_np, dtype=torch.float64)
    test = torch.as_tensor(test_np[: cfg.pnp.images], dtype=torch.float64)
    ops = inverse_problems(cfg, int(test.shape[-1]))
    lpn64 = copy.deepcopy(lpn).double()
    cnn64 = copy.deepcopy(cnn).double() if cnn is not None else None
    problems: Any = list(ops.items())
    if progress:
        from theorybook.reporting import progress as progress_bar

        problems = progress_bar(problems, desc=f"PnP problems ({dataset})", leave=False)
    results = [
        solve_problem(cfg, name, op, val, test, lpn64, cnn64, dataset=dataset)
        for name, op in problems
    ]
    return PnPResults(tuple(results), dataset=dataset)


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order, as one :class:`Results`.

    The Laplacian toy; the digits models (:func:`~theorybook.lpn.image_models.train_digits_models`),
    their prior and PnP; the patch models
    (:func:`~theorybook.lpn.image_models.train_patch_models`), PnP on patches, the patch LPN on
    larger images and sparse-view CT; the training-step timing; and the recorded decomposition
    of the LPN's gap to the plain CNN
    (:func:`~theorybook.lpn.decomposition.load_decomposition_record`, ``None`` without a record).
    """
    laplacian = run_laplacian(cfg, progress=progress)
    lpn, cnn, histories = train_digits_models(cfg, progress=progress)
    prior = run_digits_prior(cfg, lpn, history=histories["lpn"], progress=progress)
    pnp = run_pnp(cfg, lpn, cnn, progress=progress)
    patch_lpn, patch_cnn, _ = train_patch_models(cfg, progress=progress)
    _, patch_val, patch_test = patch_split(cfg)
    patches = run_pnp(
        cfg,
        patch_lpn,
        patch_cnn,
        images=(patch_val, patch_test),
        dataset="patches",
        progress=progress,
    )
    patch_prox = run_patch_prox(cfg, patch_lpn, patch_cnn, progress=progress)
    ct = run_ct(cfg, patch_lpn, patch_cnn, progress=progress)
    timing = time_training_steps(cfg)
    return Results(
        laplacian=laplacian,
        prior=prior,
        pnp=pnp,
        patches=patches,
        ct=ct,
        patch_prox=patch_prox,
        timing=timing,
        decomposition=load_decomposition_record(),
    )
