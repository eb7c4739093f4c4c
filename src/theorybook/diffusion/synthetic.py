"""The inductive-bias experiments on synthetic images (paper §3.2, Figs. 4–5).

* :func:`run_calpha`: a UNet trained on C^α images for each α; the log–log slope of its MSE
  against σ², against the optimal α/(α+1) (paper Eq. (13)).
* :func:`run_disks`: a UNet trained on disks (a 5-dimensional manifold) against the exact MMSE
  denoiser of :class:`~theorybook.diffusion.disks.DiskMMSEDenoiser`: eigenvalues of J and
  ``tr J`` against σ.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import PositiveInt, Seed, checked
from theorybook.diffusion.config import Config
from theorybook.diffusion.denoisers import BiasFreeUNet
from theorybook.diffusion.disks import DiskMMSEDenoiser, Side, _render_disks, disk_parameters
from theorybook.diffusion.images import c_alpha_images
from theorybook.diffusion.jacobian import _denoiser_jacobian
from theorybook.diffusion.results import CAlphaResult, DiskResult
from theorybook.diffusion.training import train_denoiser
from theorybook.runtime import device, seed_everything, torch_threads

__all__ = [
    "PAPER_CALPHA_SLOPES",
    "PAPER_DISK_EIGENVALUES",
    "held_out_disks",
    "loglog_slope",
    "run_calpha",
    "run_disks",
]

PAPER_CALPHA_SLOPES = {1.0: 0.46, 2.0: 0.61, 3.0: 0.75, 5.0: 0.83}
"""The PSNR slopes of the paper's UNets on 80×80 C^α images (Fig. 4, legend), by α."""

PAPER_DISK_EIGENVALUES = (1.177, 1.067, 1.004, 0.999, 0.945, 0.674, 0.552, 0.39, 0.304, 0.278)
"""The top ten eigenvalues of the paper's UNet Jacobian at a noisy disk, σ = 0.04 (Fig. 5)."""

# seeds of the synthetic data: training sets, test sets and noise are disjoint streams
_TRAIN_SEED, _TEST_SEED, _NOISE_SEED = 1000, 2000, 3000


@checked
def loglog_slope(sigmas: Float[np.ndarray, " n"], mses: Float[np.ndarray, " n"]) -> float:
    """Least-squares slope of ``log MSE`` against ``log σ²`` (the PSNR-curve slope of the
    paper's Figs. 4–5: output PSNR against input PSNR).

    Arguments:
        sigmas: the noise levels (n,), positive, at least two distinct.
        mses: the MSE at each (n,), positive.

    Returns:
        The fitted slope.
    """
    s, m = sigmas.astype(np.float64), mses.astype(np.float64)
    if len(s) < 2:
        raise ValueError(f"sigmas and mses need at least 2 values, got {len(s)}")
    if (s <= 0).any():
        raise ValueError("sigmas must be positive")
    if (m <= 0).any():
        raise ValueError("mses must be positive")
    x = np.log(s**2)
    if not np.ptp(x) > 0:
        raise ValueError("sigmas must hold at least two distinct values (squares that differ)")
    return float(np.polyfit(x, np.log(m), 1)[0])


def _train(
    cfg: Config, images: torch.Tensor, seed: int, desc: str, *, progress: bool
) -> BiasFreeUNet:
    torch.manual_seed(seed)
    model = BiasFreeUNet(channels=cfg.network.channels, levels=cfg.network.levels).to(device())
    train_denoiser(
        model,
        images.to(device()),
        training=cfg.synthetic.training,
        seed=seed + 1,
        progress=progress,
        desc=desc,
    )
    return model.eval()


@torch.no_grad()
def _mse(model: BiasFreeUNet, x: torch.Tensor, sigmas: tuple[float, ...], seed: int) -> np.ndarray:
    gen = torch.Generator(device=x.device).manual_seed(seed)
    out = []
    for s in sigmas:
        y = x + s * torch.randn(x.shape, generator=gen, device=x.device)
        out.append(float((model(y) - x).square().mean()))
    return np.array(out)


@torch_threads()
@checked
def run_calpha(cfg: Config, *, progress: bool = False) -> CAlphaResult:
    """Train one UNet per α on ``cfg.synthetic.n`` C^α images and fit its MSE decay exponent."""
    seed_everything(cfg.seed)
    dev = device()
    syn, alphas, sigmas = cfg.synthetic, cfg.calpha.alphas, cfg.calpha.sigmas
    mses, slopes, examples = [], [], []
    for k, alpha in enumerate(alphas):
        train = c_alpha_images(syn.n, syn.size, alpha, seed=_TRAIN_SEED + k)
        test = c_alpha_images(syn.test, syn.size, alpha, seed=_TEST_SEED + k).to(dev)
        desc = f"C^α, α = {alpha:g}"
        model = _train(cfg, train, cfg.seed + 100 + 10 * k, desc, progress=progress)
        mse = _mse(model, test, sigmas, _NOISE_SEED + k)
        mses.append(mse)
        slopes.append(loglog_slope(np.array(sigmas), mse))
        examples.append(test[:4].cpu())
    return CAlphaResult(
        alphas=alphas,
        sigmas=sigmas,
        mse=np.stack(mses),
        slopes=tuple(slopes),
        optimal=tuple(a / (a + 1) for a in alphas),
        examples=torch.stack(examples),
    )


@checked
def held_out_disks(n: PositiveInt, size: Side, seed: Seed) -> Float[Tensor, "n 1 h w"]:
    """``n`` disks whose intensities lie in [0.1, 0.9] and differ by at least 0.3 (so the
    geometry is visible and the intensity box is far from the posterior at small σ).

    The disks are the first ``n`` accepted among ``40 n`` draws of :func:`disk_parameters`
    (a quarter is accepted on average); in the rare case that fewer are, ``80 n``, ``160 n``, …
    are drawn instead.

    Arguments:
        n: the number of disks.
        size: the image side (≥ 4).
        seed: seeds the disks' parameters.

    Returns:
        The images (n, 1, size, size), float32.
    """
    draws = 40 * n
    while True:
        p = disk_parameters(draws, size, seed=seed)
        fg, bg = p[:, 3], p[:, 4]
        keep = (abs(fg - bg) >= 0.3) & (np.minimum(fg, bg) >= 0.1) & (np.maximum(fg, bg) <= 0.9)
        if keep.sum() >= n:
            return _render_disks(p[keep][:n], size)
        draws *= 2


def _sym_eig(j: torch.Tensor, k: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigen-decomposition of the symmetric part, descending: values (d,), top-k vectors."""
    vals, vecs = torch.linalg.eigh(0.5 * (j + j.T).double())
    return vals.flip(0), vecs.flip(1)[:, :k]


@torch_threads()
@checked
def run_disks(cfg: Config, *, progress: bool = False) -> DiskResult:
    """Train a UNet on ``cfg.synthetic.n`` disks; compare its Jacobian with the exact
    optimum's."""
    from theorybook.diffusion.images import disk_images

    seed_everything(cfg.seed)
    dev = device()
    size = cfg.synthetic.size
    train = disk_images(cfg.synthetic.n, size, seed=_TRAIN_SEED + 50)
    model = _train(cfg, train, cfg.seed + 200, "disks", progress=progress)
    x = held_out_disks(cfg.disks.images, size, seed=_TEST_SEED + 50)
    exact = DiskMMSEDenoiser(size)
    gen = torch.Generator().manual_seed(_NOISE_SEED + 50)
    tr_e, tr_n, dim_e, dim_n = [], [], [], []
    eig_e = eig_n = torch.empty(0)
    clean = noisy = vec_e = vec_n = torch.empty(0)
    for s in cfg.disks.sigmas:
        y = x + s * torch.randn(x.shape, generator=gen)
        mean_e, j_e = exact.moments(y, s)
        j_n = _denoiser_jacobian(model, y.to(dev)).cpu().double()
        tr_e.append(float(j_e.diagonal(dim1=1, dim2=2).sum(-1).mean()))
        tr_n.append(float(j_n.diagonal(dim1=1, dim2=2).sum(-1).mean()))
        with torch.no_grad():
            err_n = (model(y.to(dev)).cpu() - x).square().sum() / len(x)
        err_e = (mean_e - x.double()).square().sum() / len(x)
        dim_e.append(float(err_e) / s**2)
        dim_n.append(float(err_n) / s**2)
        if s == cfg.disks.eig_sigma:
            pairs_e = [_sym_eig(j) for j in j_e]
            pairs_n = [_sym_eig(j) for j in j_n]
            eig_e = torch.stack([p[0] for p in pairs_e]).float()
            eig_n = torch.stack([p[0] for p in pairs_n]).float()
            vec_e, vec_n = pairs_e[0][1].float(), pairs_n[0][1].float()
            clean, noisy = x[0], y[0]
    return DiskResult(
        size=size,
        sigmas=cfg.disks.sigmas,
        trace_exact=tuple(tr_e),
        trace_net=tuple(tr_n),
        dims_exact=tuple(dim_e),
        dims_net=tuple(dim_n),
        eig_sigma=cfg.disks.eig_sigma,
        eig_exact=eig_e,
        eig_net=eig_n,
        clean=clean,
        noisy=noisy,
        vectors_exact=vec_e,
        vectors_net=vec_n,
    )
