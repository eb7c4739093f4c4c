"""Every figure of the diffusion chapter: functions of the results returning a ``Figure``."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from theorybook.diffusion.results import (
    CAlphaResult,
    DiskResult,
    JacobianResult,
    SamplerCheckResult,
    TransitionResult,
)
from theorybook.diffusion.synthetic import PAPER_DISK_EIGENVALUES
from theorybook.plotting import COLUMN_WIDTH, PALETTE, label_panels, new_figure

__all__ = [
    "disk_eigenvectors_figure",
    "jacobian_figure",
    "samples_figure",
    "sampler_figure",
    "shuffled_figure",
    "synthetic_figure",
    "transition_figure",
]

COLORS = {
    "paired": PALETTE["blue"],
    "nearest": PALETTE["orange"],
    "memorizer": PALETTE["green"],
    "heldout": "0.45",
    "train": PALETTE["vermillion"],
    "test": PALETTE["sky"],
}


def _img(
    ax: Axes, image: torch.Tensor, *, vmin: float | None = 0.0, vmax: float | None = 1.0
) -> None:
    """Show one grey image; ``vmin=vmax=None`` stretches it to its own range."""
    ax.imshow(image.squeeze().numpy(), cmap="gray", vmin=vmin, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def samples_figure(result: TransitionResult, *, columns: int = 6) -> Figure:
    """At the smallest and largest N: samples of models A and B (same seeds) and A's nearest
    training patch, each tile stretched to its own grey range."""
    columns = max(1, min(columns, len(result.results[0].pair.paired)))
    rows = []
    for r in (result.results[0], result.results[-1]):
        s1, _ = result.split.subsets(r.n)
        rows.append((f"A, N={r.n}", r.pair.samples_a[:columns]))
        rows.append((f"B, N={r.n}", r.pair.samples_b[:columns]))
        rows.append(("nearest in $S_1$", s1.cpu()[r.pair.index_a[:columns]]))
    fig, axes = new_figure(
        len(rows), columns, width=min(COLUMN_WIDTH, 1.0 + 0.9 * columns), height=0.9 * len(rows)
    )
    axes = np.asarray(axes).reshape(len(rows), columns)
    for i, (label, images) in enumerate(rows):
        for j in range(columns):
            _img(axes[i, j], images[j], vmin=None, vmax=None)
        axes[i, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    return fig


def transition_figure(result: TransitionResult) -> Figure:
    """(a) paired and nearest-training similarities against N; (b) train/test PSNR against N at
    the smallest σ, with the memorizer's test PSNR and the noisy input's."""
    fig, (ax1, ax2) = new_figure(1, 2, height=3.0)
    ns = np.asarray(result.ns, dtype=float)

    def band(values: list[torch.Tensor], color: str, label: str, marker: str) -> None:
        q = np.array([np.quantile(v.numpy(), [0.25, 0.5, 0.75]) for v in values])
        ax1.plot(ns, q[:, 1], marker=marker, color=color, label=label)
        ax1.fill_between(ns, q[:, 0], q[:, 2], color=color, alpha=0.2, lw=0)

    band([r.pair.paired for r in result.results], COLORS["paired"], "A vs B samples", "o")
    band(
        [r.pair.nearest_a for r in result.results],
        COLORS["nearest"],
        "sample vs nearest train",
        "s",
    )
    band(
        [r.memorizer.nearest_a for r in result.results],
        COLORS["memorizer"],
        "memorizer vs nearest",
        "^",
    )
    band(
        [r.heldout_nearest for r in result.results],
        COLORS["heldout"],
        "fresh patch vs nearest",
        "x",
    )
    ax1.set_xscale("log")
    ax1.set_xlabel("training-set size $N$")
    ax1.set_ylabel("cosine similarity")
    ax1.set_ylim(-0.2, 1.05)
    ax1.legend(fontsize=7, loc="lower right")
    k = 0  # the smallest σ, where memorization shows
    sigma = result.psnr_sigmas[k]
    ax2.plot(
        ns,
        [r.psnr_train[k] for r in result.results],
        "o-",
        color=COLORS["train"],
        label="network, train",
    )
    ax2.plot(
        ns,
        [r.psnr_test[k] for r in result.results],
        "s-",
        color=COLORS["test"],
        label="network, test",
    )
    ax2.plot(
        ns,
        [r.memorizer_psnr_test[k] for r in result.results],
        "^--",
        color=COLORS["memorizer"],
        label="memorizer, test",
    )
    ax2.axhline(-20 * np.log10(sigma), color="0.5", lw=0.8, ls=":", label="noisy input")
    ax2.set_xscale("log")
    ax2.set_xlabel("training-set size $N$")
    ax2.set_ylabel(rf"output PSNR at $\sigma={sigma:g}$ (dB)")
    ax2.legend(fontsize=7)
    label_panels([ax1, ax2])
    return fig


def jacobian_figure(result: JacobianResult, *, n_vectors: int = 8) -> Figure:
    """(a) eigenvalues of J at each σ; (b) tr J against σ; bottom: images and top eigenvectors."""
    from theorybook.plotting import use_book_style

    use_book_style()
    fig = Figure(figsize=(COLUMN_WIDTH, 4.6))  # outside pyplot: shown once, as the cell's value
    gs = fig.add_gridspec(3, max(n_vectors, 6), height_ratios=[2.2, 0.9, 0.9])
    half = max(n_vectors, 6) // 2
    ax1 = fig.add_subplot(gs[0, :half])
    ax2 = fig.add_subplot(gs[0, half:])
    cmap = torch.linspace(0.15, 0.85, len(result.sigmas)).tolist()
    import matplotlib as mpl

    colors = mpl.colormaps["viridis"]
    for s, spec, c in zip(result.sigmas, result.spectra, cmap, strict=True):
        ax1.plot(np.arange(1, len(spec) + 1), spec, color=colors(c), label=rf"$\sigma={s:g}$")
    ax1.set_xlabel("index $k$")
    ax1.set_ylabel(r"eigenvalue $\lambda_k(y)$")
    ax1.legend(fontsize=7)
    ax2.errorbar(
        result.sigmas,
        result.trace,
        yerr=result.trace_sd,
        marker="o",
        color=PALETTE["blue"],
        label="network",
    )
    ax2.plot(
        result.sigmas, result.trace_wiener, "^--", color=PALETTE["green"], label="Wiener filter"
    )
    ax2.legend(fontsize=7)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xticks(result.sigmas, [f"{s:g}" for s in result.sigmas])
    ax2.minorticks_off()
    ax2.set_xlabel(r"noise level $\sigma$")
    ax2.set_ylabel(r"$\mathrm{tr}\,J(y)$ (mean ± sd)")
    side = int(round(result.clean.numel() ** 0.5))
    for j, (name, im) in enumerate(
        (("clean", result.clean), ("noisy", result.noisy), ("denoised", result.denoised))
    ):
        ax = fig.add_subplot(gs[1, j])
        _img(ax, im.clamp(0, 1))
        ax.set_title(name, fontsize=8)
    for k in range(n_vectors):
        ax = fig.add_subplot(gs[2, k])
        vec = result.eigenvectors[:, k].reshape(side, side)
        m = float(vec.abs().max())
        _img(ax, vec.float(), vmin=-m, vmax=m)
        ax.set_title(rf"$\lambda_{{{k + 1}}}={float(result.eigenvalues[k]):.2f}$", fontsize=7)
    label_panels([ax1, ax2])
    return fig


def sampler_figure(result: SamplerCheckResult) -> Figure:
    """σ_t measured from the residual against the designed schedule σ_1 ∏(1 − β h_s)."""
    fig, ax = new_figure(height=2.8)
    t = np.arange(1, len(result.sigma_rms) + 1)
    ax.plot(
        t, result.sigma_rms, color=PALETTE["blue"], label=r"measured $\sigma_t$ (rms over samples)"
    )
    ax.plot(
        t,
        result.predicted,
        "--",
        color=PALETTE["orange"],
        label=r"$\sigma_1\prod_{s<t}(1-\beta h_s)$",
    )
    ax.set_yscale("log")
    ax.set_xlabel("sampler step $t$")
    ax.set_ylabel(r"effective noise $\sigma_t$")
    ax.legend(fontsize=8)
    return fig


def synthetic_figure(calpha: CAlphaResult, disks: DiskResult) -> Figure:
    """(a) C^α: test MSE against σ² per α for the network (filled) and the DCT oracle (open),
    the fitted slopes in the legend, the noise levels outside the fit greyed; (b) disks: tr J
    against σ for the exact MMSE denoiser, the UNet and the Wiener filter; (c) disks: eigenvalues
    of J at ``eig_sigma`` (mean over test disks) with the paper's Fig. 5 values."""
    fig, axes = new_figure(1, 3, height=2.6)
    ax1, ax2, ax3 = axes
    s2 = np.asarray(calpha.sigmas) ** 2
    colors = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"]]
    for k, alpha in enumerate(calpha.alphas):
        c = colors[k % len(colors)]
        fit = calpha.fit[k]
        mse, oracle = calpha.mse[k], calpha.oracle_mse[k]
        label = rf"$\alpha={alpha:g}$: {calpha.slopes[k]:.2f} / {calpha.oracle_slopes[k]:.2f}"
        ax1.loglog(s2[fit], mse[fit], "o-", color=c, label=label)
        ax1.loglog(s2[~fit], mse[~fit], "o", color=c, alpha=0.3)
        ax1.loglog(s2[fit], oracle[fit], "s--", color=c, mfc="none", lw=1)
    ax1.loglog(s2, s2, ":", color="0.5", lw=0.8, label="identity ($\\sigma^2$)")
    ax1.set_xlabel(r"$\sigma^2$")
    ax1.set_ylabel("test MSE per pixel")
    ax1.legend(fontsize=6, title="slope: network / DCT oracle", title_fontsize=6)
    ax2.plot(disks.sigmas, disks.trace_exact, "o-", color=PALETTE["green"], label="exact MMSE")
    ax2.plot(disks.sigmas, disks.trace_net, "s-", color=PALETTE["blue"], label="UNet")
    ax2.plot(disks.sigmas, disks.trace_wiener, "^--", color=PALETTE["orange"], label="Wiener")
    ax2.axhline(5, color="0.5", lw=0.8, ls=":")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel(r"noise level $\sigma$")
    ax2.set_ylabel(r"$\mathrm{tr}\,J(y)$ (mean)")
    ax2.legend(fontsize=7)
    idx = np.arange(15)
    ax3.plot(idx, disks.eig_exact.mean(0)[:15], "o-", color=PALETTE["green"], label="exact MMSE")
    ax3.plot(idx, disks.eig_net.mean(0)[:15], "s-", color=PALETTE["blue"], label="UNet")
    ax3.plot(idx, disks.eig_wiener[:15], "^--", color=PALETTE["orange"], label="Wiener")
    paper = PAPER_DISK_EIGENVALUES
    ax3.plot(np.arange(len(paper)), paper, "x", color=PALETTE["vermillion"], label="paper Fig. 5")
    ax3.set_xlabel("index $k$")
    ax3.set_ylabel(rf"$\lambda_k$ at $\sigma={disks.eig_sigma:g}$")
    ax3.legend(fontsize=7)
    label_panels(axes)
    return fig


def shuffled_figure(result: TransitionResult) -> Figure:
    """Output against input PSNR at the largest N: model A on the test patches, the network
    trained on pixel-shuffled patches on the shuffled test patches, and the Wiener filter (the
    same for both)."""
    if result.shuffled is None:
        raise ValueError("this transition ran without the shuffled-pixel control")
    fig, ax = new_figure(height=2.8)
    last, sh = result.results[-1], result.shuffled
    x = -20 * np.log10(np.asarray(result.psnr_sigmas))

    def db(errors: np.ndarray) -> np.ndarray:
        return 10 * np.log10(1 / np.maximum(errors.mean(axis=1), 1e-20))

    ax.plot(x, db(last.test_errors), "o-", color=COLORS["test"], label="network, original pixels")
    ax.plot(x, db(sh.errors), "s-", color=COLORS["train"], label="network, shuffled pixels")
    ax.plot(x, db(sh.wiener_errors), "^--", color=COLORS["memorizer"], label="Wiener filter")
    ax.plot(x, x, ":", color="0.5", lw=0.8, label="identity")
    ax.set_xlabel("input PSNR (dB)")
    ax.set_ylabel("output PSNR (dB)")
    ax.legend(fontsize=7)
    return fig


def disk_eigenvectors_figure(disks: DiskResult, *, n_vectors: int = 7) -> Figure:
    """A test disk (clean, noisy) and the top eigenvectors of J at ``eig_sigma`` for the exact
    MMSE denoiser (top row) and the UNet (bottom row)."""
    n_vectors = min(n_vectors, disks.vectors_exact.shape[1])
    fig, axes = new_figure(
        2, n_vectors + 1, width=min(COLUMN_WIDTH, 1.0 + 0.85 * (n_vectors + 1)), height=2.2
    )
    side = disks.size
    _img(axes[0, 0], disks.clean.clamp(0, 1))
    axes[0, 0].set_title("clean", fontsize=7)
    _img(axes[1, 0], disks.noisy.clamp(0, 1))
    axes[1, 0].set_title("noisy", fontsize=7)
    rows = (
        ("exact", disks.vectors_exact, disks.eig_exact[0]),
        ("UNet", disks.vectors_net, disks.eig_net[0]),
    )
    for i, (name, vecs, vals) in enumerate(rows):
        for k in range(n_vectors):
            ax = axes[i, k + 1]
            vec = vecs[:, k].reshape(side, side)
            m = float(vec.abs().max())
            _img(ax, vec, vmin=-m, vmax=m)
            ax.set_title(rf"$\lambda_{{{k + 1}}}={float(vals[k]):.2f}$", fontsize=7)
        axes[i, 1].set_ylabel(name, fontsize=8)
    return fig
