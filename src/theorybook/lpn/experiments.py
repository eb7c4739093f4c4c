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
* :func:`run_ct`: sparse-view CT of phantoms with the patch models;
* :func:`run_patch_prox`: the patch LPN averaged over overlapping patches of larger images;
* :func:`run_all`: all of them, and the training-step timing
  (:func:`~theorybook.lpn.image_models.time_training_steps`), as one :class:`Results`.
"""

from __future__ import annotations

import copy
import time
from functools import partial
from typing import Any

import numpy as np
import torch

from theorybook.boundary import checked
from theorybook.lpn.config import Config
from theorybook.lpn.data import (
    CROP_PHOTOS,
    PERTURBATIONS,
    check_images,
    crop_split,
    ct_split,
    digits_split,
    laplace_sampler,
    patch_split,
    perturb,
)
from theorybook.lpn.diagnostics import jacobian_report, prox_grid_check
from theorybook.lpn.image_models import (
    check_config,
    time_training_steps,
    train_digits_models,
    train_patch_models,
)
from theorybook.lpn.model import LPN, ConvLPN, PlainCNN
from theorybook.lpn.operators import CompressedSensing, GaussianBlur, LinearOp, RadonCT
from theorybook.lpn.patches import BOUNDARIES, PatchLPN, jacobian_asymmetry, patch_average
from theorybook.lpn.pnp import image_metrics, tv_denoiser
from theorybook.lpn.pnp_benchmark import (
    FBP_FILTERS,
    TUNING_GRIDS,
    check_learned,
    measure,
    solve_problem,
    tune,
)
from theorybook.lpn.prior import learned_prior, prior_at_output
from theorybook.lpn.results import (
    PRIOR_RANGE,
    CTResult,
    DigitsPriorResult,
    LaplacianResult,
    PatchProxResult,
    PnPResults,
    Results,
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

    ``frac_monotone[kind]`` is the fraction of images whose R_θ rises strictly along all levels;
    ``frac_clean_lowest[kind]`` the fraction with R_θ(clean) below every perturbed level;
    ``frac_mix_above_both`` the fraction whose half-half mixture has R_θ above both clean digits.
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
    priors, examples, mono, lowest, by_level = {}, {}, {}, {}, {}
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
        lowest[kind] = float(np.mean(np.all(table[1:] > table[0], axis=0)))
        by_level[kind] = np.mean(table[1:] > table[0], axis=1)
    # the mixture at λ = 1/2 against both of its clean endpoints x and x′ (x′ = the previous image)
    ends = np.maximum(priors["mix"][0], np.roll(priors["mix"][0], 1))
    above_both = float(np.mean(priors["mix"][-1] > ends))
    # the chord between the endpoints: R_θ along the segment x → x′ against linear interpolation
    lam = np.asarray(PERTURBATIONS["mix"])[:, None]
    chord = (1 - lam) * priors["mix"][0] + lam * np.roll(priors["mix"][0], 1)
    above_chord = float(np.mean(np.all(priors["mix"][1:] > chord[1:], axis=0)))
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
        frac_mix_above_chord=above_chord,
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
    ``dataset`` only labels the results. Tikhonov λ, the TV weight, and the ADMM ρ and PnP-PGD
    step η of the LPN and of the plain CNN (each its own, on the same grids) are tuned by PSNR on
    all validation images over :data:`~theorybook.lpn.pnp_benchmark.TUNING_GRIDS` (a grid value
    at which a PnP run diverges scores −∞). Both learned denoisers run in PnP-PGD and in
    PnP-ADMM. All methods then run on the first ``pnp.images`` test images. The PGD steps stay
    in the descent range η < 1/‖AᵀA‖ (:data:`~theorybook.lpn.pnp_benchmark.PGD_STEPS`); TV's
    PGD step is η = 0.95/‖A‖². Returns one :class:`PnPProblemResult` per problem.
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
    n = int(test.shape[-1])
    ops: dict[str, LinearOp] = {
        "deblurring": GaussianBlur(n, cfg.pnp.blur_sigma),
        "compressed sensing": CompressedSensing(
            n, max(1, round(cfg.pnp.cs_fraction * n * n)), seed=cfg.seed
        ),
    }
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


# --- Sparse-view CT with the patch LPN -----------------------------------------------------------


@torch_threads()
def run_ct(cfg: Config, lpn: ConvLPN, cnn: PlainCNN | None, *, progress: bool = False) -> CTResult:
    """Sparse-view CT (:class:`RadonCT`, ``ct.angles`` views of phantoms of side ``ct.size``).

    The patch models (trained on natural-image patches, :func:`train_patch_models`) are reused:
    the LPN as the periodic patch average :class:`PatchLPN` (stride ``patches.stride``), an exact
    prox on the whole image; the plain CNN, fully convolutional, on the whole image. Validation
    and test images come from :func:`ct_split`; every method is tuned and run as in
    :func:`run_pnp`, with filtered back-projection as a further baseline (its filter, one of
    :data:`~theorybook.lpn.pnp_benchmark.FBP_FILTERS`, tuned on the validation phantoms).
    """
    cfg = check_config(cfg)
    check_learned(lpn, cnn)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be the patch ConvLPN, got {type(lpn).__name__}")
    start = time.perf_counter()
    seed_everything(cfg.seed)
    val_np, test_np = ct_split(cfg)
    op = RadonCT(cfg.ct.size, cfg.ct.angles)
    # float32: float64 convolutions are several times slower on a CPU (the objective's
    # monotonicity is then checked to float32 precision)
    lpn32 = PatchLPN(copy.deepcopy(lpn).float(), stride=cfg.patches.stride)
    cnn32 = copy.deepcopy(cnn).float() if cnn is not None else None
    val = torch.as_tensor(val_np, dtype=torch.float32)
    y_val = measure(op, val, cfg.pnp.meas_noise, cfg.seed + 7)  # as solve_problem measures

    def fbp_score(index: float) -> float:
        est = op.fbp(y_val, filter_name=FBP_FILTERS[int(index)])
        return float(image_metrics(est, val)[0].mean())

    fbp_filter = FBP_FILTERS[int(tune(tuple(map(float, range(len(FBP_FILTERS)))), fbp_score))]
    gen = torch.Generator().manual_seed(cfg.seed + 17)
    x_r = torch.randn(1, 1, op.n, op.n, generator=gen, dtype=torch.float64)
    y_r = torch.randn(1, op.m, generator=gen, dtype=torch.float64)
    ax = op(x_r)
    gap = float((ax * y_r).sum() - (x_r * op.adjoint(y_r)).sum()) / float(ax.norm() * y_r.norm())
    problem = solve_problem(
        cfg,
        "sparse-view CT",
        op,
        val,
        torch.as_tensor(test_np, dtype=torch.float32),
        lpn32,
        cnn32,
        dataset="phantoms",
        fbp_filter=fbp_filter,
        example=0,  # the Shepp–Logan phantom
        theory=False,
        reference_factor=2,
    )
    return CTResult(
        problem=problem,
        size=cfg.ct.size,
        angles=cfg.ct.angles,
        measurements=op.m,
        fbp_filter=fbp_filter,
        adjoint_gap=abs(gap),
        seconds=time.perf_counter() - start,
    )


# --- The patch LPN on larger images --------------------------------------------------------------


@torch_threads()
def run_patch_prox(
    cfg: Config, lpn: ConvLPN, cnn: PlainCNN | None, *, progress: bool = False
) -> PatchProxResult:
    """The patch LPN applied to larger images by averaging overlapping patch proxes.

    Jacobian asymmetry of :func:`patch_average` with periodic and border windows on a small
    crop; then denoising (noise σ = ``denoisers.noise``, the training level) and PnP deblurring of
    the test crops of :func:`crop_split`, tuned on its validation crops.
    """
    cfg = check_config(cfg)
    check_learned(lpn, cnn)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be the patch ConvLPN, got {type(lpn).__name__}")
    start = time.perf_counter()
    seed_everything(cfg.seed)
    val_np, test_np = crop_split(cfg)
    m64 = copy.deepcopy(lpn).double()
    p, s = m64.image_size, cfg.patches.stride
    small = torch.as_tensor(test_np[:1, :, : 2 * p, : 2 * p], dtype=torch.float64)
    periodic = PatchLPN(m64, stride=s)
    asym: dict[str, float] = {
        b: jacobian_asymmetry(partial(patch_average, m64, patch=p, stride=s, boundary=b), small)
        for b in BOUNDARIES
    }
    lam_min = jacobian_report(periodic, small).lambda_min
    # the image-size experiments run in float32 (float64 convolutions are several times slower
    # on a CPU); the Jacobians above are float64
    m32 = copy.deepcopy(lpn).float()
    periodic32 = PatchLPN(m32, stride=s)
    val = torch.as_tensor(val_np, dtype=torch.float32)
    test = torch.as_tensor(test_np, dtype=torch.float32)
    gen = torch.Generator().manual_seed(cfg.seed + 13)
    noisy_val = val + cfg.denoisers.noise * torch.randn(val.shape, generator=gen, dtype=val.dtype)
    noisy = test + cfg.denoisers.noise * torch.randn(test.shape, generator=gen, dtype=test.dtype)

    def score(weight: float) -> float:
        return float(image_metrics(tv_denoiser(weight)(noisy_val), val)[0].mean())

    tv_w = tune(TUNING_GRIDS["TV weight"], score)
    with torch.no_grad():
        outs = {
            "noisy": noisy,
            "TV": tv_denoiser(tv_w)(noisy),
            "LPN periodic": periodic32(noisy),
            "LPN border": patch_average(m32, noisy, patch=p, stride=s, boundary="border"),
        }
        if cnn is not None:
            outs["CNN"] = copy.deepcopy(cnn).float()(noisy)
    denoise = {k: image_metrics(v, test)[0] for k, v in outs.items()}
    examples = {"truth": test[0, 0].numpy()}
    examples.update({k: v[0, 0].clamp(0, 1).numpy() for k, v in outs.items()})
    cnn32 = copy.deepcopy(cnn).float() if cnn is not None else None
    deblur = solve_problem(
        cfg,
        "deblurring",
        GaussianBlur(cfg.patches.crop_size, cfg.pnp.blur_sigma),
        val,
        test,
        periodic32,
        cnn32,
        dataset="crops",
        theory=False,
        reference_factor=2,
    )
    return PatchProxResult(
        asymmetry=asym,
        lambda_min=lam_min,
        denoise_psnr=denoise,
        tv_weight=tv_w,
        deblur=deblur,
        photos=CROP_PHOTOS,
        examples=examples,
        seconds=time.perf_counter() - start,
    )


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order, as one :class:`Results`.

    The Laplacian toy; the digits models (:func:`~theorybook.lpn.image_models.train_digits_models`),
    their prior and PnP; the patch models
    (:func:`~theorybook.lpn.image_models.train_patch_models`), PnP on patches, the patch LPN on
    larger images and sparse-view CT; and the training-step timing.
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
    )
