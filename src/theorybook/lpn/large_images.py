"""The experiments of chapter 3 on images larger than the patch LPN ({cite}`fang2024lpn`).

The paper applies LPNs trained on small images to larger ones patch by patch. Both experiments
reuse the natural-image patch models (:func:`~theorybook.lpn.image_models.train_patch_models`)
and the PnP harness of :mod:`~theorybook.lpn.pnp_benchmark`:

* :func:`run_patch_prox`: is the average of overlapping patch proxes a prox (periodic against
  border windows), and how well does it denoise and deblur crops of held-out photographs;
* :func:`run_ct`: sparse-view CT of phantoms with the periodic patch LPN, against filtered
  back-projection and the other baselines.

:func:`~theorybook.lpn.experiments.run_all` runs both.
"""

from __future__ import annotations

import copy
import time
from functools import partial

import torch

from theorybook.lpn.config import Config
from theorybook.lpn.data import CROP_PHOTOS, crop_split, ct_split
from theorybook.lpn.diagnostics import jacobian_report
from theorybook.lpn.image_models import check_config
from theorybook.lpn.model import ConvLPN, PlainCNN
from theorybook.lpn.operators import GaussianBlur, RadonCT
from theorybook.lpn.patches import BOUNDARIES, PatchLPN, jacobian_asymmetry, patch_average
from theorybook.lpn.pnp import _psnr_only, tv_denoiser
from theorybook.lpn.pnp_benchmark import (
    FBP_FILTERS,
    TUNING_GRIDS,
    check_learned,
    measure,
    solve_problem,
    tune,
)
from theorybook.lpn.results import CTResult, PatchProxResult
from theorybook.runtime import seed_everything, torch_threads

__all__ = ["run_ct", "run_patch_prox"]


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
        return float(_psnr_only(est, val).mean())

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
        return float(_psnr_only(tv_denoiser(weight)(noisy_val), val).mean())

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
    denoise = {k: _psnr_only(v, test) for k, v in outs.items()}
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
