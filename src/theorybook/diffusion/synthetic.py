"""The inductive-bias experiments on synthetic images (paper §3.2, Figs. 4–5).

* :func:`run_calpha`: a UNet trained on C^α images for each α; the log–log slope of its MSE
  against σ², against the optimal α/(α+1) (paper Eq. (13)) and against the oracle that keeps
  the DCT coefficients above the noise (:func:`dct_oracle_errors`, a fixed harmonic basis,
  paper Eqs. (11)–(12)): an adaptive basis should steepen with α where the fixed one does not.
* :func:`run_disks`: a UNet trained on disks (a 5-dimensional manifold) against the exact MMSE
  denoiser of :class:`~theorybook.diffusion.disks.DiskMMSEDenoiser` and the Wiener filter of
  the training disks: eigenvalues of J, ``tr J`` against σ, and how much of the manifold's
  tangent space the top eigenvectors span.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import PositiveInt, PositiveReal, Seed, checked
from theorybook.diffusion.config import Config
from theorybook.diffusion.denoisers import build_network
from theorybook.diffusion.disks import DiskMMSEDenoiser, Side, _render_disks, disk_parameters
from theorybook.diffusion.images import c_alpha_images
from theorybook.diffusion.jacobian import _denoiser_jacobian
from theorybook.diffusion.optimal import wiener_denoiser
from theorybook.diffusion.results import CAlphaResult, DiskResult
from theorybook.diffusion.training import image_errors, noisy_images, train_denoiser
from theorybook.runtime import device, seed_everything, torch_threads

__all__ = [
    "PAPER_CALPHA_SLOPES",
    "PAPER_DISK_EIGENVALUES",
    "TANGENT_DIM",
    "dct_oracle_errors",
    "held_out_disks",
    "run_calpha",
    "run_disks",
    "subspace_overlap",
]

PAPER_CALPHA_SLOPES = {1.0: 0.46, 2.0: 0.61, 3.0: 0.75, 5.0: 0.83}
"""The PSNR slopes of the paper's UNets on 80×80 C^α images (Fig. 4, legend), by α."""

PAPER_DISK_EIGENVALUES = (1.177, 1.067, 1.004, 0.999, 0.945, 0.674, 0.552, 0.39, 0.304, 0.278)
"""The top ten eigenvalues of the paper's UNet Jacobian at a noisy disk, σ = 0.04 (Fig. 5)."""

TANGENT_DIM = 5
"""The dimension of the disk manifold (centre, radius, two intensities)."""

# seeds of the synthetic data: training sets, test sets and noise are disjoint streams
_TRAIN_SEED, _TEST_SEED, _NOISE_SEED = 1000, 2000, 3000


@checked
def dct_oracle_errors(
    clean: Float[Tensor, "n c h w"], noisy: Float[Tensor, "n c h w"], sigma: PositiveReal
) -> Float[np.ndarray, " n"]:
    """The squared error per pixel of the oracle projection in the 2-D DCT basis, per image.

    Paper Eqs. (11)–(12) with a fixed basis: keep the noisy coefficient ``⟨y, e_k⟩`` where the
    clean one has ``⟨x, e_k⟩² > σ²`` and zero it elsewhere, so the expected error is
    ``Σ_k min(⟨x, e_k⟩², σ²)``, within a factor 2 of the best shrinkage in that basis. The basis
    is the orthonormal DCT-II over the image axes (``scipy.fft.dctn``): harmonic, but the same
    for every image, so it cannot follow a contour.

    Arguments:
        clean: the clean images (N, C, H, W).
        noisy: the same images with Gaussian noise of standard deviation ``sigma``.
        sigma: the noise level (> 0).

    Returns:
        ``‖x̂ − x‖²/d`` per image (N,), float64.
    """
    x = clean.detach().cpu().double().numpy()
    y = noisy.detach().cpu().double().numpy()
    axes = (2, 3)
    cx = scipy.fft.dctn(x, axes=axes, norm="ortho")
    cy = scipy.fft.dctn(y, axes=axes, norm="ortho")
    # the DCT is orthonormal: the error is the same in the coefficient domain
    err = np.where(cx**2 > sigma**2, cy - cx, -cx)
    return (err**2).reshape(len(x), -1).mean(axis=1)


def _train(cfg: Config, images: torch.Tensor, seed: int, desc: str, *, progress: bool):
    torch.manual_seed(seed)
    model = build_network(cfg.synthetic.network).to(device())
    train_denoiser(
        model,
        images.to(device()),
        training=cfg.synthetic.training,
        seed=seed + 1,
        progress=progress,
        desc=desc,
    )
    return model.eval()


@torch_threads()
@checked
def run_calpha(cfg: Config, *, progress: bool = False) -> CAlphaResult:
    """Train one network per α on ``cfg.synthetic.n`` C^α images; measure its error and the
    DCT oracle's on the same noisy test images at each σ of ``cfg.calpha.sigmas``."""
    seed_everything(cfg.seed)
    dev = device()
    syn, alphas, sigmas = cfg.synthetic, cfg.calpha.alphas, cfg.calpha.sigmas
    errors, oracle, examples = [], [], []
    for k, alpha in enumerate(alphas):
        train = c_alpha_images(syn.n, syn.size, alpha, seed=_TRAIN_SEED + k)
        test = c_alpha_images(syn.test, syn.size, alpha, seed=_TEST_SEED + k).to(dev)
        model = _train(
            cfg, train, cfg.seed + 100 + 10 * k, f"C^α, α = {alpha:g}", progress=progress
        )
        net_k, oracle_k = [], []
        for j, s in enumerate(sigmas):
            seed = _NOISE_SEED + 100 * k + j  # the same noisy images for both denoisers
            net_k.append(image_errors(model, test, s, seed=seed).numpy())
            oracle_k.append(dct_oracle_errors(test, noisy_images(test, s, seed=seed), s))
        errors.append(np.stack(net_k))
        oracle.append(np.stack(oracle_k))
        examples.append(test[:4].cpu())
    return CAlphaResult(
        alphas=alphas,
        sigmas=sigmas,
        errors=np.stack(errors),
        oracle_errors=np.stack(oracle),
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


@checked
def subspace_overlap(a: Float[Tensor, "d k"], b: Float[Tensor, "d k"]) -> float:
    """``‖aᵀ b‖_F² / k`` for two orthonormal bases (columns) of k-dimensional subspaces: the
    mean squared cosine of their principal angles, 1 when they coincide and about ``k/d`` for
    a random pair."""
    k = a.shape[1]
    return float((a.double().T @ b.double()).square().sum() / k)


@torch_threads()
@checked
def run_disks(cfg: Config, *, progress: bool = False) -> DiskResult:
    """Train a UNet on ``cfg.synthetic.n`` disks; compare its Jacobian with the exact
    optimum's and with the Wiener filter's (the best fixed linear basis of the training
    disks)."""
    from theorybook.diffusion.images import disk_images

    seed_everything(cfg.seed)
    dev = device()
    size = cfg.synthetic.size
    train = disk_images(cfg.synthetic.n, size, seed=_TRAIN_SEED + 50)
    model = _train(cfg, train, cfg.seed + 200, "disks", progress=progress)
    wiener = wiener_denoiser(train)
    x = held_out_disks(cfg.disks.images, size, seed=_TEST_SEED + 50)
    exact = DiskMMSEDenoiser(size)
    gen = torch.Generator().manual_seed(_NOISE_SEED + 50)
    tr_e, tr_n, tr_w, dim_e, dim_n = [], [], [], [], []
    eig_e = eig_n = eig_w = torch.empty(0)
    clean = noisy = vec_e = vec_n = torch.empty(0)
    overlap_n, overlap_w = np.zeros(0), np.zeros(0)
    k = TANGENT_DIM
    for s in cfg.disks.sigmas:
        y = x + s * torch.randn(x.shape, generator=gen)
        mean_e, j_e = exact.moments(y, s)
        j_n = _denoiser_jacobian(model, y.to(dev)).cpu().double()
        shrink_w = wiener.evals / (wiener.evals + s**2)
        tr_e.append(float(j_e.diagonal(dim1=1, dim2=2).sum(-1).mean()))
        tr_n.append(float(j_n.diagonal(dim1=1, dim2=2).sum(-1).mean()))
        tr_w.append(float(shrink_w.sum()))
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
            eig_w = shrink_w.flip(0).float()  # the Wiener filter's J: the same for every disk
            top_w = wiener.evecs.flip(1)[:, :k]
            overlap_n = np.array(
                [
                    subspace_overlap(pn[1][:, :k], pe[1][:, :k])
                    for pn, pe in zip(pairs_n, pairs_e, strict=True)
                ]
            )
            overlap_w = np.array([subspace_overlap(top_w, pe[1][:, :k]) for pe in pairs_e])
            vec_e, vec_n = pairs_e[0][1].float(), pairs_n[0][1].float()
            clean, noisy = x[0], y[0]
    return DiskResult(
        size=size,
        sigmas=cfg.disks.sigmas,
        trace_exact=tuple(tr_e),
        trace_net=tuple(tr_n),
        trace_wiener=tuple(tr_w),
        dims_exact=tuple(dim_e),
        dims_net=tuple(dim_n),
        eig_sigma=cfg.disks.eig_sigma,
        eig_exact=eig_e,
        eig_net=eig_n,
        eig_wiener=eig_w,
        overlap_net=overlap_n,
        overlap_wiener=overlap_w,
        clean=clean,
        noisy=noisy,
        vectors_exact=vec_e,
        vectors_net=vec_n,
    )
