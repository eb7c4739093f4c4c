"""The chapter's experiments: ``run_*(cfg, *, progress=False)`` returning frozen results.

* :func:`run_sampler_check`: the sampler with an exact MMSE denoiser (a single image, whose
  residual is exactly the noise) follows its designed noise schedule; β = 1 injects nothing.
* :func:`run_transition`: memorization → generalization as N grows (paper Figs. 1–2), with
  the empirical-optimal memorizer and fresh held-out patches as references.
* :func:`run_jacobian`: the Jacobian view (paper §3, Fig. 3) on the largest-N model of the
  transition run: ``x̂ = J y``, homogeneity, eigenvalues and eigenvectors, tr J against σ, SURE.
* :func:`run_all`: these three and the synthetic-image experiments of
  :mod:`~theorybook.diffusion.synthetic` (:func:`run_calpha`, :func:`run_disks`), in that order.
"""

from __future__ import annotations

import time
from functools import partial

import torch

from theorybook.boundary import checked
from theorybook.diffusion.config import Config
from theorybook.diffusion.data import nearest_similarity, patch_split
from theorybook.diffusion.denoisers import BiasFreeUNet
from theorybook.diffusion.generalization import pairwise_generalization
from theorybook.diffusion.jacobian import (
    _denoiser_jacobian,
    homogeneity_error,
    jacobian_eigen,
    linearity_error,
    sure_estimate,
)
from theorybook.diffusion.optimal import blind, empirical_optimal_denoiser
from theorybook.diffusion.results import (
    JacobianResult,
    NResult,
    Results,
    SamplerCheckResult,
    TransitionResult,
)
from theorybook.diffusion.sampler import sample
from theorybook.diffusion.synthetic import run_calpha, run_disks
from theorybook.diffusion.training import psnr, train_denoiser
from theorybook.runtime import device, seed_everything, torch_threads
from theorybook.timing import best_of

__all__ = [
    "build_models",
    "run_all",
    "run_calpha",
    "run_disks",
    "run_jacobian",
    "run_sampler_check",
    "run_transition",
]


@torch_threads()
@checked
def run_sampler_check(cfg: Config, *, progress: bool = False) -> SamplerCheckResult:
    """Sample ``cfg.check.samples`` images from the MMSE denoiser of one fixed image."""
    seed_everything(cfg.seed)
    size = cfg.check.size
    gen = torch.Generator().manual_seed(cfg.seed)
    point = torch.rand(1, 1, size, size, generator=gen)
    memo = empirical_optimal_denoiser(point)

    def exact(y: torch.Tensor) -> torch.Tensor:
        return memo(y, 1.0)  # a point mass: the MMSE estimate is the point at every σ

    shape = (cfg.check.samples, 1, size, size)
    res = sample(exact, shape, sampler=cfg.sampler, seed=cfg.sample_seed)
    t_all = int(res.steps.min())
    s = res.sigmas[:t_all].double()
    rms = s.square().mean(1).sqrt()
    factors = torch.cumprod(1 - cfg.sampler.beta * res.h[: t_all - 1], 0)
    pred = rms[0] * torch.cat([torch.ones(1, dtype=torch.float64), factors])
    res1 = sample(exact, shape, sampler=cfg.sampler.replace(beta=1.0), seed=cfg.sample_seed)
    return SamplerCheckResult(
        sigma_rms=tuple(rms.tolist()),
        predicted=tuple(pred.tolist()),
        max_rel_dev=float((rms / pred - 1).abs().max()),
        gamma_max_beta1=float(res1.gammas.nan_to_num(0.0).abs().max()),
        steps_mean=float(res.steps.double().mean()),
        steps_beta1=int(res1.steps.max()),
    )


@checked
def build_models(cfg: Config) -> tuple[BiasFreeUNet, BiasFreeUNet]:
    """The two UNets of a pair, initialised with seeds ``cfg.seed`` and ``cfg.seed + 1``."""
    models = []
    net = cfg.network
    for k in range(2):
        torch.manual_seed(cfg.seed + k)
        models.append(BiasFreeUNet(channels=net.channels, levels=net.levels).to(device()))
    return models[0], models[1]


@torch_threads()
@checked
def run_transition(cfg: Config, *, progress: bool = False) -> TransitionResult:
    """Train a pair of UNets on disjoint sets for each N in ``cfg.transition.ns`` and compare
    their samples."""
    from theorybook.reporting import progress as bar_

    seed_everything(cfg.seed)
    tr = cfg.transition
    split = patch_split(cfg.patches, n_train=2 * max(tr.ns), seed=cfg.seed)
    dev = device()
    results = []
    models: dict[int, tuple[BiasFreeUNet, BiasFreeUNet]] = {}
    train_seconds = 0.0
    sample_seconds = 0.0
    n_samples, seed = tr.n_samples, cfg.sample_seed
    bar = bar_(total=len(tr.ns), desc="N", disable=not progress)
    for n in tr.ns:
        s1, s2 = (s.to(dev) for s in split.subsets(n))
        ma, mb = build_models(cfg)
        t0 = time.perf_counter()
        hists = []
        for model, data, k in ((ma, s1, 0), (mb, s2, 1)):
            hists.append(
                train_denoiser(
                    model,
                    data,
                    training=cfg.training,
                    seed=cfg.seed + 10 * k + 1,
                    progress=progress,
                    desc=f"N={n} model {'AB'[k]}",
                )
            )
        train_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        pair = pairwise_generalization(
            ma, mb, s1, s2, n_samples=n_samples, seed=seed, sampler=cfg.sampler
        )
        sample_seconds += time.perf_counter() - t0
        ea, eb = empirical_optimal_denoiser(s1), empirical_optimal_denoiser(s2)
        memo = pairwise_generalization(
            blind(ea), blind(eb), s1, s2, n_samples=n_samples, seed=seed, sampler=cfg.sampler
        )
        fresh = split.test[:n_samples].to(dev)
        held, _ = nearest_similarity(fresh.cpu(), s1.cpu())
        test = split.test.to(dev)
        results.append(
            NResult(
                n=n,
                pair=pair,
                memorizer=memo,
                heldout_nearest=held,
                psnr_train=tuple(psnr(ma, s1, s) for s in tr.psnr_sigmas),
                psnr_test=tuple(psnr(ma, test, s) for s in tr.psnr_sigmas),
                memorizer_psnr_train=tuple(
                    psnr(partial(ea, sigma=s), s1, s) for s in tr.psnr_sigmas
                ),
                memorizer_psnr_test=tuple(
                    psnr(partial(ea, sigma=s), test, s) for s in tr.psnr_sigmas
                ),
                histories=(hists[0], hists[1]),
            )
        )
        models[n] = (ma, mb)
        bar.update()
    bar.close()
    total_samples = 2 * n_samples * len(tr.ns)
    return TransitionResult(
        ns=tr.ns,
        results=tuple(results),
        models=models,
        split=split,
        psnr_sigmas=tr.psnr_sigmas,
        train_seconds=train_seconds,
        images_per_second=total_samples / max(sample_seconds, 1e-9),
    )


@torch_threads()
@checked
def run_jacobian(
    cfg: Config, transition: TransitionResult, *, progress: bool = False
) -> JacobianResult:
    """The Jacobian analysis of ``transition``'s largest-N model A on held-out patches.

    Arguments:
        cfg: the chapter's settings (``cfg.jacobian`` above all).
        transition: the result of :func:`run_transition`, whose largest-N model A is analysed.
        progress: unused (the analysis has no long loop); kept for the one signature.

    Returns:
        A :class:`~theorybook.diffusion.results.JacobianResult`.
    """
    seed_everything(cfg.seed)
    n = max(transition.models)
    model = transition.models[n][0]
    model.eval()
    dev = device()
    test = transition.split.test.to(dev)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed + 7)
    d = test[0].numel()
    scales = (0.1, 0.5, 2.0, 10.0)
    traces, trace_sd, sures, mses, ses, spectra = [], [], [], [], [], []
    study = cfg.jacobian
    x_j = test[: study.images]
    x_s = test[: study.sure_images]
    x0 = test[:1]
    z0 = torch.randn(x0.shape, generator=gen, device=dev)
    for s in study.sigmas:
        y = x_j + s * torch.randn(x_j.shape, generator=gen, device=dev)
        tr = _denoiser_jacobian(model, y).diagonal(dim1=1, dim2=2).sum(-1)
        traces.append(float(tr.mean()))
        trace_sd.append(float(tr.std()) if len(tr) > 1 else 0.0)
        ys = x_s + s * torch.randn(x_s.shape, generator=gen, device=dev)
        sure = sure_estimate(model, ys, s)
        with torch.no_grad():
            mse = (model(ys) - x_s).flatten(1).square().sum(1) / d
        diff = (sure - mse).double()
        sures.append(float(sure.mean()))
        mses.append(float(mse.mean()))
        ses.append(float(diff.std() / len(diff) ** 0.5) if len(diff) > 1 else float("inf"))
        spectra.append(tuple(jacobian_eigen(model, (x0 + s * z0)[0]).values.tolist()))
    y0 = x0 + study.eig_sigma * z0
    eig = jacobian_eigen(model, y0[0])
    with torch.no_grad():
        den = model(y0)
    y_lin = x_j + study.eig_sigma * torch.randn(x_j.shape, generator=gen, device=dev)
    lin = linearity_error(model, y_lin)
    hom = homogeneity_error(model, y_lin, scales)
    model.train()
    try:
        hom_train = homogeneity_error(model, y_lin, scales)
    finally:
        model.eval()
    sizes = tuple(sorted({cfg.patches.patch_size, 2 * cfg.patches.patch_size}))
    times = []
    for size in sizes:
        net = BiasFreeUNet(channels=cfg.network.channels, levels=cfg.network.levels)
        net = net.to(dev).eval()
        img = torch.rand(1, 1, size, size, device=dev)
        times.append(1e3 * best_of(partial(_denoiser_jacobian, net, img), repeats=3).median)
    return JacobianResult(
        n=n,
        sigmas=study.sigmas,
        trace=tuple(traces),
        trace_sd=tuple(trace_sd),
        sure=tuple(sures),
        mse=tuple(mses),
        sure_se=tuple(ses),
        eig_sigma=study.eig_sigma,
        clean=x0[0].cpu(),
        noisy=y0[0].cpu(),
        denoised=den[0].cpu(),
        eigenvalues=eig.values.cpu(),
        eigenvectors=eig.vectors.cpu(),
        spectra=tuple(spectra),
        linearity=lin,
        homogeneity=hom,
        homogeneity_train_mode=hom_train,
        asymmetry=eig.asymmetry,
        jacobian_sizes=sizes,
        jacobian_ms=tuple(times),
    )


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order: the sampler check, the
    transition, the Jacobian view of its largest-N model, C^α images and disks."""
    check = run_sampler_check(cfg, progress=progress)
    transition = run_transition(cfg, progress=progress)
    jacobian = run_jacobian(cfg, transition, progress=progress)
    calpha = run_calpha(cfg, progress=progress)
    disks = run_disks(cfg, progress=progress)
    return Results(
        check=check, transition=transition, jacobian=jacobian, calpha=calpha, disks=disks
    )
