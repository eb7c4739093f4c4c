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

import copy
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from torch import Tensor, nn

from theorybook.boundary import checked
from theorybook.diffusion.config import Config
from theorybook.diffusion.data import nearest_similarity, patch_split
from theorybook.diffusion.denoisers import build_network
from theorybook.diffusion.generalization import pairwise_generalization
from theorybook.diffusion.jacobian import (
    _denoiser_jacobian,
    homogeneity_error,
    jacobian_eigen,
    linearity_error,
    sure_estimate,
)
from theorybook.diffusion.optimal import blind, empirical_optimal_denoiser, wiener_denoiser
from theorybook.diffusion.results import (
    JacobianResult,
    NResult,
    Results,
    SamplerCheckResult,
    ShuffledResult,
    TransitionResult,
)
from theorybook.diffusion.sampler import sample
from theorybook.diffusion.synthetic import run_calpha, run_disks
from theorybook.diffusion.training import image_errors, noisy_images, train_denoiser
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
def build_models(cfg: Config) -> tuple[nn.Module, nn.Module]:
    """The two denoisers of a pair (``cfg.network``), initialised with seeds ``cfg.seed`` and
    ``cfg.seed + 1``."""
    models = []
    for k in range(2):
        torch.manual_seed(cfg.seed + k)
        models.append(build_network(cfg.network).to(device()))
    return models[0], models[1]


def _identity(y: Tensor) -> Tensor:
    """The identity denoiser: its residual is zero, so a sampler driven by it never moves."""
    return y


def _errors(
    denoiser: Callable[[Tensor], Tensor], images: Tensor, sigmas: tuple[float, ...]
) -> np.ndarray:
    """Per-image squared errors (S, n) at each σ, the noise seeded by the σ's position (the
    same noisy images for every denoiser)."""
    return np.stack(
        [image_errors(denoiser, images, s, seed=j).numpy() for j, s in enumerate(sigmas)]
    )


def _shuffled_control(cfg: Config, s1: Tensor, test: Tensor, *, progress: bool) -> ShuffledResult:
    """Paper App. C.3: a network trained like model A on S1 with its pixels permuted (one fixed
    permutation for every image), tested on the permuted test patches with the permuted noise;
    and the Wiener filters of S1 and of its permuted copy, which a permutation cannot affect."""
    d = s1[0].numel()
    perm = torch.randperm(d, generator=torch.Generator().manual_seed(cfg.seed + 5))
    perm_dev = perm.to(s1.device)

    def shuffle(x: Tensor) -> Tensor:
        return x.flatten(1)[:, perm_dev].reshape(x.shape)

    torch.manual_seed(cfg.seed)  # model A's initialisation, on the permuted data
    model = build_network(cfg.network).to(device())
    hist = train_denoiser(
        model,
        shuffle(s1),
        training=cfg.training,
        seed=cfg.seed + 1,
        progress=progress,
        desc="shuffled pixels",
    )
    sigmas = cfg.transition.psnr_sigmas
    # the noisy test patches of model A's test errors (same seeds), shuffled: a paired comparison
    errors, wiener_errors, wiener_shuffled = [], [], []
    w, w_shuffled = wiener_denoiser(s1), wiener_denoiser(shuffle(s1))
    for j, s in enumerate(sigmas):
        y = noisy_images(test, s, seed=j)
        with torch.no_grad():
            out = model(shuffle(y))
        errors.append((out - shuffle(test)).flatten(1).double().square().mean(1).cpu().numpy())
        wy = w(y.double().cpu(), s)
        wiener_errors.append((wy - test.double().cpu()).flatten(1).square().mean(1).numpy())
        wsy = w_shuffled(shuffle(y).double().cpu(), s)
        wiener_shuffled.append(
            (wsy - shuffle(test).double().cpu()).flatten(1).square().mean(1).numpy()
        )
    return ShuffledResult(
        permutation=perm,
        errors=np.stack(errors),
        wiener_errors=np.stack(wiener_errors),
        wiener_shuffled_errors=np.stack(wiener_shuffled),
        history=hist,
    )


@torch_threads()
@checked
def run_transition(cfg: Config, *, progress: bool = False) -> TransitionResult:
    """Train a pair of denoisers on disjoint sets for each N in ``cfg.transition.ns``, compare
    their samples and their errors on training and test patches; then the shuffled-pixel
    control at the largest N (``cfg.transition.shuffled``)."""
    from theorybook.reporting import progress as bar_

    seed_everything(cfg.seed)
    tr = cfg.transition
    split = patch_split(cfg.patches, n_train=2 * max(tr.ns), seed=cfg.seed)
    dev = device()
    results = []
    models: dict[int, tuple[nn.Module, nn.Module]] = {}
    train_seconds = 0.0
    sample_seconds = 0.0
    n_samples, seed, sigmas = tr.n_samples, cfg.sample_seed, tr.psnr_sigmas
    test = split.test.to(dev)
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
        fresh = split.test[:n_samples]
        held, _ = nearest_similarity(fresh, s1.cpu())
        other, _ = nearest_similarity(pair.samples_b, s1.cpu())
        still = sample(_identity, pair.samples_a.shape, sampler=cfg.sampler, seed=seed).samples
        still_near, _ = nearest_similarity(still.cpu(), s1.cpu())
        results.append(
            NResult(
                n=n,
                pair=pair,
                memorizer=memo,
                heldout_nearest=held,
                other_nearest=other,
                still_nearest=still_near,
                train_errors=_errors(ma, s1, sigmas),
                test_errors=_errors(ma, test, sigmas),
                other_train_errors=_errors(mb, s1, sigmas),
                other_test_errors=_errors(mb, test, sigmas),
                memorizer_train_errors=np.stack(
                    [
                        image_errors(partial(ea, sigma=s), s1, s, seed=j).numpy()
                        for j, s in enumerate(sigmas)
                    ]
                ),
                memorizer_test_errors=np.stack(
                    [
                        image_errors(partial(ea, sigma=s), test, s, seed=j).numpy()
                        for j, s in enumerate(sigmas)
                    ]
                ),
                identity_train_errors=_errors(_identity, s1, sigmas),
                identity_test_errors=_errors(_identity, test, sigmas),
                histories=(hists[0], hists[1]),
            )
        )
        models[n] = (ma, mb)
        bar.update()
    bar.close()
    shuffled = None
    if tr.shuffled:
        s1 = split.subsets(max(tr.ns))[0].to(dev)
        t0 = time.perf_counter()
        shuffled = _shuffled_control(cfg, s1, test, progress=progress)
        train_seconds += time.perf_counter() - t0
    total_samples = 2 * n_samples * len(tr.ns)
    return TransitionResult(
        ns=tr.ns,
        results=tuple(results),
        models=models,
        split=split,
        psnr_sigmas=sigmas,
        shuffled=shuffled,
        train_seconds=train_seconds,
        images_per_second=total_samples / max(sample_seconds, 1e-9),
    )


@torch_threads()
@checked
def run_jacobian(
    cfg: Config, transition: TransitionResult, *, progress: bool = False
) -> JacobianResult:
    """The Jacobian analysis of ``transition``'s largest-N model A on held-out patches.

    The model is analysed on a copy in eval mode (and, for the training-mode homogeneity
    check, on a second copy): ``transition``'s models are left exactly as they were.

    Arguments:
        cfg: the chapter's settings (``cfg.jacobian`` above all).
        transition: the result of :func:`run_transition`, whose largest-N model A is analysed.
        progress: unused (the analysis has no long loop); kept for the one signature.

    Returns:
        A :class:`~theorybook.diffusion.results.JacobianResult`.
    """
    seed_everything(cfg.seed)
    n = max(transition.models)
    model = copy.deepcopy(transition.models[n][0]).eval()
    dev = device()
    test = transition.split.test.to(dev)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed + 7)
    d = test[0].numel()
    scales = (0.1, 0.5, 2.0, 10.0)
    traces, sures, mses, ses, spectra = [], [], [], [], []
    study = cfg.jacobian
    x_j = test[: study.images]
    z_j = torch.randn(x_j.shape, generator=gen, device=dev)  # one noise pattern per patch
    x_s = test[: study.sure_images]
    x0 = test[:1]
    z0 = z_j[:1]
    wiener = wiener_denoiser(transition.split.subsets(n)[0])
    trace_wiener = []
    for s in study.sigmas:
        tr = _denoiser_jacobian(model, x_j + s * z_j).diagonal(dim1=1, dim2=2).sum(-1)
        traces.append(tr.double().cpu().numpy())
        trace_wiener.append(float((wiener.evals / (wiener.evals + s**2)).sum()))
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
    hom_train = homogeneity_error(copy.deepcopy(model).train(), y_lin, scales)
    sizes = tuple(sorted({cfg.patches.patch_size, 2 * cfg.patches.patch_size}))
    times = []
    for size in sizes:
        net = build_network(cfg.network).to(dev).eval()
        img = torch.rand(1, 1, size, size, device=dev)
        times.append(1e3 * best_of(partial(_denoiser_jacobian, net, img), repeats=3).median)
    return JacobianResult(
        n=n,
        sigmas=study.sigmas,
        traces=np.stack(traces),
        trace_wiener=tuple(trace_wiener),
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
