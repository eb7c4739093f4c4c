"""The chapter's experiments: ``run_*(cfg, *, progress=False)`` returning frozen results.

* :func:`run_sampler_check`: the sampler with an exact MMSE denoiser (a single image, whose
  residual is exactly the noise) follows its designed noise schedule; β = 1 injects nothing.
* :func:`run_transition`: memorization → generalization as N grows (paper Figs. 1–2), with
  the empirical-optimal memorizer and fresh held-out patches as references.
* :func:`run_jacobian`: the Jacobian view (paper §3, Fig. 3) on the largest-N model of the
  transition run: ``x̂ = J y``, homogeneity, eigenvalues and eigenvectors, tr J against σ, SURE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import torch

from theorybook.diffusion.config import Config
from theorybook.diffusion.data import PatchSplit, nearest_similarity, patch_pool
from theorybook.diffusion.denoisers import BiasFreeUNet
from theorybook.diffusion.generalization import PairResult, pairwise_generalization
from theorybook.diffusion.jacobian import (
    denoiser_jacobian,
    homogeneity_error,
    jacobian_eigen,
    linearity_error,
    sure_estimate,
)
from theorybook.diffusion.optimal import blind, empirical_optimal_denoiser
from theorybook.diffusion.sampler import sample
from theorybook.diffusion.training import TrainingHistory, psnr, train_denoiser
from theorybook.runtime import device, seed_everything, torch_threads
from theorybook.timing import best_of

__all__ = [
    "JacobianResult",
    "NResult",
    "SamplerCheckResult",
    "TransitionResult",
    "build_models",
    "load_split",
    "run_jacobian",
    "run_sampler_check",
    "run_transition",
]


@dataclass(frozen=True)
class SamplerCheckResult:
    """σ_t of the sampler driven by an exact MMSE denoiser, against ``σ_1 ∏_{s<t}(1 − β h_s)``.

    ``sigma_rms`` and ``predicted`` (T,) over the steps where every sample is still running;
    ``max_rel_dev`` the largest ``|σ_rms/predicted − 1|``; ``gamma_max_beta1`` the largest injected
    noise with β = 1 (zero by construction); ``steps_beta1`` its number of steps.
    """

    sigma_rms: tuple[float, ...]
    predicted: tuple[float, ...]
    max_rel_dev: float
    gamma_max_beta1: float
    steps_mean: float
    steps_beta1: int


@torch_threads()
def run_sampler_check(cfg: Config, *, progress: bool = False) -> SamplerCheckResult:
    """Sample ``cfg.check_samples`` images from the MMSE denoiser of one fixed image."""
    seed_everything(cfg.seed)
    size = cfg.check_size
    gen = torch.Generator().manual_seed(cfg.seed)
    point = torch.rand(1, 1, size, size, generator=gen)
    memo = empirical_optimal_denoiser(point)

    def exact(y: torch.Tensor) -> torch.Tensor:
        return memo(y, 1.0)  # a point mass: the MMSE estimate is the point at every σ

    kw = dict(sigma0=cfg.sigma0, sigma_final=cfg.sigma_final, h0=cfg.h0, seed=cfg.sample_seed)
    res = sample(exact, (cfg.check_samples, 1, size, size), beta=cfg.beta, **kw)  # type: ignore[arg-type]
    t_all = int(res.steps.min())
    s = res.sigmas[:t_all].double()
    rms = s.square().mean(1).sqrt()
    factors = torch.cumprod(1 - cfg.beta * res.h[: t_all - 1], 0)
    pred = rms[0] * torch.cat([torch.ones(1, dtype=torch.float64), factors])
    res1 = sample(exact, (cfg.check_samples, 1, size, size), beta=1.0, **kw)  # type: ignore[arg-type]
    return SamplerCheckResult(
        sigma_rms=tuple(rms.tolist()),
        predicted=tuple(pred.tolist()),
        max_rel_dev=float((rms / pred - 1).abs().max()),
        gamma_max_beta1=float(res1.gammas.nan_to_num(0.0).abs().max()),
        steps_mean=float(res.steps.double().mean()),
        steps_beta1=int(res1.steps.max()),
    )


def load_split(cfg: Config) -> PatchSplit:
    """The deduplicated patch pool of ``cfg``, split into test patches and a training pool."""
    need = cfg.n_test + 2 * max(cfg.ns)
    pool = patch_pool(
        cfg.patch_size, stride=cfg.stride, min_std=cfg.min_std, seed=cfg.seed, limit=need
    )
    if len(pool) < need:
        raise ValueError(
            f"the deduplicated pool holds {len(pool)} patches; N = {max(cfg.ns)} needs {need}"
        )
    return PatchSplit(test=pool[: cfg.n_test], train_pool=pool[cfg.n_test :])


def build_models(cfg: Config) -> tuple[BiasFreeUNet, BiasFreeUNet]:
    """The two UNets of a pair, initialised with seeds ``cfg.seed`` and ``cfg.seed + 1``."""
    models = []
    for k in range(2):
        torch.manual_seed(cfg.seed + k)
        models.append(BiasFreeUNet(channels=cfg.channels, levels=cfg.levels).to(device()))
    return models[0], models[1]


@dataclass(frozen=True)
class NResult:
    """Everything measured at one training-set size N (similarities are per sample)."""

    n: int
    pair: PairResult
    memorizer: PairResult
    heldout_nearest: torch.Tensor
    psnr_train: tuple[float, ...]
    psnr_test: tuple[float, ...]
    memorizer_psnr_train: tuple[float, ...]
    memorizer_psnr_test: tuple[float, ...]
    histories: tuple[TrainingHistory, TrainingHistory]


@dataclass(frozen=True)
class TransitionResult:
    """The memorization → generalization experiment: one :class:`NResult` per N.

    ``models`` maps N to its trained pair (eval mode); ``split`` is the data; ``train_seconds``
    the total training time; ``images_per_second`` the sampler's throughput with a trained model.
    """

    ns: tuple[int, ...]
    results: tuple[NResult, ...]
    models: dict[int, tuple[BiasFreeUNet, BiasFreeUNet]]
    split: PatchSplit
    psnr_sigmas: tuple[float, ...]
    train_seconds: float
    images_per_second: float

    def median(self, what: str) -> tuple[float, ...]:
        """The median over samples of ``paired``, ``nearest_a``, ``memorizer_nearest``,
        ``memorizer_paired`` or ``heldout`` at each N."""
        out = []
        for r in self.results:
            values = {
                "paired": r.pair.paired,
                "nearest_a": r.pair.nearest_a,
                "nearest_b": r.pair.nearest_b,
                "memorizer_nearest": r.memorizer.nearest_a,
                "memorizer_paired": r.memorizer.paired,
                "heldout": r.heldout_nearest,
            }
            if what not in values:
                raise ValueError(f"what must be one of {sorted(values)}, got {what!r}")
            out.append(float(values[what].median()))
        return tuple(out)


@torch_threads()
def run_transition(cfg: Config, *, progress: bool = False) -> TransitionResult:
    """Train a pair of UNets on disjoint sets for each N in ``cfg.ns`` and compare their samples."""
    from theorybook.reporting import progress as bar_

    seed_everything(cfg.seed)
    split = load_split(cfg)
    dev = device()
    results = []
    models: dict[int, tuple[BiasFreeUNet, BiasFreeUNet]] = {}
    train_seconds = 0.0
    sample_seconds = 0.0
    kw = dict(sigma0=cfg.sigma0, sigma_final=cfg.sigma_final, h0=cfg.h0, beta=cfg.beta)
    bar = bar_(total=len(cfg.ns), desc="N", disable=not progress)
    for n in cfg.ns:
        s1, s2 = (s.to(dev) for s in split.subsets(n))
        ma, mb = build_models(cfg)
        t0 = time.perf_counter()
        hists = []
        for model, data, k in ((ma, s1, 0), (mb, s2, 1)):
            hists.append(
                train_denoiser(
                    model,
                    data,
                    steps=cfg.steps,
                    batch_size=cfg.batch_size,
                    lr=cfg.lr,
                    sigma_max=cfg.sigma_max,
                    seed=cfg.seed + 10 * k + 1,
                    desc=f"N={n} model {'AB'[k]}",
                )
            )
        train_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        pair = pairwise_generalization(
            ma, mb, s1, s2, n_samples=cfg.n_samples, seed=cfg.sample_seed, **kw
        )
        sample_seconds += time.perf_counter() - t0
        ea, eb = empirical_optimal_denoiser(s1), empirical_optimal_denoiser(s2)
        memo = pairwise_generalization(
            blind(ea), blind(eb), s1, s2, n_samples=cfg.n_samples, seed=cfg.sample_seed, **kw
        )
        fresh = split.test[: cfg.n_samples].to(dev)
        held, _ = nearest_similarity(fresh.cpu(), s1.cpu())
        test = split.test.to(dev)
        results.append(
            NResult(
                n=n,
                pair=pair,
                memorizer=memo,
                heldout_nearest=held,
                psnr_train=tuple(psnr(ma, s1, s) for s in cfg.psnr_sigmas),
                psnr_test=tuple(psnr(ma, test, s) for s in cfg.psnr_sigmas),
                memorizer_psnr_train=tuple(
                    psnr(partial(ea, sigma=s), s1, s) for s in cfg.psnr_sigmas
                ),
                memorizer_psnr_test=tuple(
                    psnr(partial(ea, sigma=s), test, s) for s in cfg.psnr_sigmas
                ),
                histories=(hists[0], hists[1]),
            )
        )
        models[n] = (ma, mb)
        bar.update()
    bar.close()
    total_samples = 2 * cfg.n_samples * len(cfg.ns)
    return TransitionResult(
        ns=cfg.ns,
        results=tuple(results),
        models=models,
        split=split,
        psnr_sigmas=cfg.psnr_sigmas,
        train_seconds=train_seconds,
        images_per_second=total_samples / max(sample_seconds, 1e-9),
    )


@dataclass(frozen=True)
class JacobianResult:
    """The Jacobian view of the largest-N model A of a :class:`TransitionResult`.

    ``sigmas`` with the mean and standard deviation over test patches of ``tr J`` (``trace``,
    ``trace_sd``); the SURE estimate and the true MSE per pixel at each σ (means, with
    ``sure_se`` the standard error of their per-image difference); at ``eig_sigma`` one test
    patch (``clean``, ``noisy``, ``denoised``) and the eigen-decomposition of J there
    (``eigenvalues``, ``eigenvectors`` (d, d)); ``spectra`` the eigenvalues of J at every σ for
    that patch; ``linearity``: max ``‖J y − f(y)‖/‖f(y)‖``; ``homogeneity``: max relative
    ``‖f(ay) − a f(y)‖`` for a in [0.1, 10] in eval mode, ``homogeneity_train_mode`` the same in
    training mode (batch statistics, not homogeneous); ``asymmetry`` of J; ``jacobian_ms`` the
    time of one Jacobian (median) for each side in ``jacobian_sizes``.
    """

    n: int
    sigmas: tuple[float, ...]
    trace: tuple[float, ...]
    trace_sd: tuple[float, ...]
    sure: tuple[float, ...]
    mse: tuple[float, ...]
    sure_se: tuple[float, ...]
    eig_sigma: float
    clean: torch.Tensor
    noisy: torch.Tensor
    denoised: torch.Tensor
    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    spectra: tuple[tuple[float, ...], ...]
    linearity: float
    homogeneity: float
    homogeneity_train_mode: float
    asymmetry: float
    jacobian_sizes: tuple[int, ...]
    jacobian_ms: tuple[float, ...]


@torch_threads()
def run_jacobian(
    cfg: Config, transition: TransitionResult, *, progress: bool = False
) -> JacobianResult:
    """The Jacobian analysis of ``transition``'s largest-N model A on held-out patches."""
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
    x_j = test[: cfg.jac_images]
    x_s = test[: cfg.sure_images]
    x0 = test[:1]
    z0 = torch.randn(x0.shape, generator=gen, device=dev)
    for s in cfg.jac_sigmas:
        y = x_j + s * torch.randn(x_j.shape, generator=gen, device=dev)
        tr = denoiser_jacobian(model, y).diagonal(dim1=1, dim2=2).sum(-1)
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
    y0 = x0 + cfg.eig_sigma * z0
    eig = jacobian_eigen(model, y0[0])
    with torch.no_grad():
        den = model(y0)
    y_lin = x_j + cfg.eig_sigma * torch.randn(x_j.shape, generator=gen, device=dev)
    lin = linearity_error(model, y_lin)
    hom = homogeneity_error(model, y_lin, scales)
    model.train()
    try:
        hom_train = homogeneity_error(model, y_lin, scales)
    finally:
        model.eval()
    sizes = tuple(sorted({cfg.patch_size, 2 * cfg.patch_size}))
    times = []
    for size in sizes:
        net = BiasFreeUNet(channels=cfg.channels, levels=cfg.levels).to(dev).eval()
        img = torch.rand(1, 1, size, size, device=dev)
        times.append(1e3 * best_of(partial(denoiser_jacobian, net, img), repeats=3).median)
    return JacobianResult(
        n=n,
        sigmas=cfg.jac_sigmas,
        trace=tuple(traces),
        trace_sd=tuple(trace_sd),
        sure=tuple(sures),
        mse=tuple(mses),
        sure_se=tuple(ses),
        eig_sigma=cfg.eig_sigma,
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
