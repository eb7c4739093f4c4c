"""The figures of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Each function takes results of :mod:`theorybook.lpn.results` and returns a matplotlib
:class:`~matplotlib.figure.Figure` no wider than the book's column. One colour per method in
every figure (:data:`METHOD_COLOURS`: the denoiser), one line style per algorithm (PnP-PGD
solid, PnP-ADMM dashed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from theorybook.lpn.pnp_claims import best_baseline
from theorybook.lpn.results import (
    CTResult,
    DigitsPriorResult,
    LaplacianResult,
    PatchProxResult,
    PnPProblemResult,
    PnPResults,
)
from theorybook.plotting import COLUMN_WIDTH, PALETTE, label_panels, new_figure, use_book_style

__all__ = [
    "LOSS_COLOURS",
    "METHOD_COLOURS",
    "ct_figure",
    "digits_prior_figure",
    "laplace_figure",
    "patch_prox_figure",
    "pnp_convergence_figure",
    "pnp_examples_figure",
]

LOSS_COLOURS: dict[str, str] = {
    "l2": PALETTE["blue"],
    "l1": PALETTE["orange"],
    "pm": PALETTE["vermillion"],
}
"""Colours of the Laplace-toy models by training loss."""

LOSS_NAMES = {"l2": r"$\ell_2$ loss", "l1": r"$\ell_1$ loss", "pm": "proximal matching"}

METHOD_COLOURS: dict[str, str] = {
    "Aᵀy": "#999999",
    "Tikhonov": PALETTE["black"],
    "TV": PALETTE["green"],
    "CNN": PALETTE["blue"],
    "LPN": PALETTE["vermillion"],
    "FBP": PALETTE["purple"],
    "noisy": "#999999",
}
"""Colours of the reconstruction methods, keyed by denoiser (the same in every figure)."""

_KINDS = {"noise": r"noise $\sigma$", "blur": r"blur $\sigma$ (pixels)", "mix": r"mixing $\lambda$"}


def _method_style(method: str) -> dict[str, object]:
    """Colour by denoiser, line style by algorithm (PGD solid, ADMM dashed)."""
    denoiser = method.split()[-1]
    colour = METHOD_COLOURS.get(denoiser, METHOD_COLOURS.get(method, PALETTE["purple"]))
    return {"color": colour, "linestyle": "--" if "ADMM" in method else "-"}


def _check_results(results: object, what: str) -> list[PnPProblemResult]:
    if isinstance(results, PnPProblemResult):
        return [results]
    items = list(results) if isinstance(results, PnPResults | Sequence) else []
    if not items or not all(isinstance(r, PnPProblemResult) for r in items):
        raise TypeError(f"{what} must be a non-empty list of PnPProblemResult")
    return items


def laplace_figure(lap: LaplacianResult) -> Figure:
    """Denoisers, priors and potentials of the Laplace toy for the three losses (3 panels)."""
    if not isinstance(lap, LaplacianResult):
        raise TypeError(f"lap must be a LaplacianResult, got {type(lap).__name__}")
    fig, axes = new_figure(1, 3, width=COLUMN_WIDTH, height=2.9)
    ref = {"color": "k", "lw": 3, "alpha": 0.25}
    ax = axes[0]
    ax.plot(lap.y, lap.soft, **ref, label="soft-threshold (MAP)")
    ax.plot(lap.y, lap.mmse, "k--", lw=1, label="posterior mean")
    ax.plot(lap.y, lap.median, "k:", lw=1, label="posterior median")
    for k, name in LOSS_NAMES.items():
        ax.plot(lap.y, lap.outputs[k], color=LOSS_COLOURS[k], lw=1.4, label=name)
    ax.set(xlabel="$y$", ylabel=r"$f_\theta(y)$", title="denoisers")
    ax = axes[1]
    xs = np.linspace(-3, 3, 200)
    ax.plot(xs, np.abs(xs), **ref, label=r"$|x|$ (true $-\sigma^2\log p$)")
    for k in LOSS_NAMES:
        sel = np.abs(lap.prior_x[k]) <= 3
        ax.plot(lap.prior_x[k][sel], lap.prior_r[k][sel], color=LOSS_COLOURS[k], lw=1.4)
    ax.set(xlabel="$x$", ylabel=r"$R_\theta(x) - \min R_\theta$", title="priors")
    ax = axes[2]
    for k in LOSS_NAMES:
        ax.plot(lap.y, lap.potential[k] - lap.potential[k].min(), color=LOSS_COLOURS[k], lw=1.4)
    ax.plot(lap.y, 0.5 * np.maximum(np.abs(lap.y) - 1, 0) ** 2, **ref, label=r"$(|y|-1)_+^2/2$")
    ax.set(xlabel="$y$", ylabel=r"$\psi_\theta(y) - \min\psi_\theta$", title="potentials")
    label_panels(axes)
    handles, labels = [], []
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    return fig


def digits_prior_figure(prior: DigitsPriorResult) -> Figure:
    """R_θ(perturbed) − R_θ(clean) per test digit along each perturbation, with thumbnails.

    Top row: the first test digit at each level, placed above its level. Bottom row (shared
    axes): one thin line per test digit, the median in colour, and the fractions the claims
    check written in each panel (for mixing, the pairs whose interior mixtures score above both
    digits).
    """
    if not isinstance(prior, DigitsPriorResult):
        raise TypeError(f"prior must be a DigitsPriorResult, got {type(prior).__name__}")
    use_book_style()
    kinds = list(prior.levels)
    fig = Figure(figsize=(COLUMN_WIDTH, 3.6), layout="constrained")
    grid = fig.add_gridspec(2, len(kinds), height_ratios=[1, 3.6])
    bottom = [fig.add_subplot(grid[1, 0])]
    bottom += [fig.add_subplot(grid[1, j], sharey=bottom[0]) for j in range(1, len(kinds))]
    deltas = {k: prior.priors[k] - prior.priors[k][0] for k in kinds}
    for j, kind in enumerate(kinds):
        levels = prior.levels[kind]
        n = len(levels)
        top = fig.add_subplot(grid[0, j], sharex=bottom[j])
        strip = np.concatenate(list(prior.examples[kind]), axis=1)
        top.imshow(strip, cmap="gray", vmin=0, vmax=1, extent=(-0.45, n - 0.55, 0, 1))
        top.set_aspect("auto")
        top.set_axis_off()
        ax = bottom[j]
        delta = deltas[kind]
        ax.plot(range(n), delta, color="#888888", lw=0.5, alpha=0.35)
        ax.plot(range(n), np.median(delta, axis=1), color=PALETTE["vermillion"], lw=2)
        ax.axhline(0, color="k", lw=0.8)
        labels = [f"{v:g}" for v in levels]
        long_labels = n > 4 and max(map(len, labels)) > 3  # e.g. 0.125, 0.375: would overlap
        ax.set_xticks(range(n), labels, rotation=45 if long_labels else 0)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_xlabel(_KINDS.get(kind, kind))
        if kind == "mix":
            text = f"above both digits: {prior.frac_mix_above_both:.2f}"
        else:
            text = (
                f"rises at every level: {prior.frac_monotone[kind]:.2f}\n"
                f"clean lowest: {prior.frac_clean_lowest[kind]:.2f}"
            )
        ax.text(
            0.03,
            0.97,
            text,
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
        if j:
            ax.tick_params(labelleft=False)
    bottom[0].set_ylabel(r"$R_\theta(\tilde x) - R_\theta(x)$")
    bottom[0].set_yscale("symlog", linthresh=1.0)
    label_panels(bottom)
    return fig


def pnp_convergence_figure(results: PnPResults | Iterable[PnPProblemResult]) -> Figure:
    """Objective gap, step sizes and test PSNR along the PnP iterations, one row per problem.

    The objective gap is F(x_k) − F* of PnP-PGD with the LPN (mean over test images), with F*
    the lowest objective of the same iteration continued to ``reference_iters`` iterations.
    """
    items = _check_results(results, "results")
    fig, axes = new_figure(len(items), 3, width=COLUMN_WIDTH, height=2.3 * len(items) + 0.5)
    axes = np.atleast_2d(axes)
    for i, r in enumerate(items):
        obj = r.runs["PnP-PGD LPN"].objective
        gap = (obj - r.objective_reference[None, :]).mean(axis=1)
        k = np.arange(1, len(gap) + 1)
        ax = axes[i, 0]
        ax.semilogy(k, gap, **_method_style("PnP-PGD LPN"))
        ax.set(xlabel="iteration $k$", ylabel=f"{r.name}\n" + r"$F(x_k) - F^\star$")
        ax = axes[i, 1]
        for name, run in r.runs.items():
            ax.semilogy(k, run.step_norm, label=name, **_method_style(name))
        ax.set(xlabel="iteration $k$", ylabel=r"$\max_i\|x_{k}-x_{k-1}\|$")
        ax = axes[i, 2]
        for name, run in r.runs.items():
            ax.plot(k, run.psnr, label=name, **_method_style(name))
        ax.axhline(r.psnr["Tikhonov"], color=METHOD_COLOURS["Tikhonov"], lw=1, ls=":")
        ax.set(xlabel="iteration $k$", ylabel="test PSNR (dB)")
        if i == 0:
            axes[i, 0].set_title("PGD-LPN objective")
            axes[i, 1].set_title("step norms")
            axes[i, 2].set_title("test PSNR")
    for ax in axes.ravel():
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    label_panels(axes)
    handles, labels = axes[0, 2].get_legend_handles_labels()
    handles.append(axes[0, 2].lines[-1])
    labels.append("Tikhonov")
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8)
    return fig


def pnp_examples_figure(
    results: PnPResults | Iterable[PnPProblemResult],
    *,
    methods: Sequence[str] = (
        "truth",
        "Aᵀy",
        "Tikhonov",
        "PnP-PGD TV",
        "PnP-PGD CNN",
        "PnP-PGD LPN",
        "PnP-ADMM CNN",
        "PnP-ADMM LPN",
    ),
    grey_range: str = "fixed",
) -> Figure:
    """One test image per problem reconstructed by each method, its PSNR printed on the tile.

    The image is the test image with the median PSNR of PnP-ADMM LPN. ``grey_range="fixed"``
    shows every tile on [0, 1]; ``"truth"`` on the true image's grey range ± 0.05 (for textured
    patches that span a small part of [0, 1]).
    """
    items = _check_results(results, "results")
    if grey_range not in ("fixed", "truth"):
        raise ValueError(f"grey_range must be 'fixed' or 'truth', got {grey_range!r}")
    shown = [m for m in methods if all(m in r.examples for r in items)]
    if not shown:
        raise ValueError(f"none of {list(methods)} is in the results")
    ncol = len(shown)
    width = min(COLUMN_WIDTH, 1.0 * ncol + 0.4)
    fig, axes = new_figure(len(items), ncol, width=width, height=1.05 * len(items) + 0.55)
    axes = np.atleast_2d(axes)
    for i, r in enumerate(items):
        truth = r.examples["truth"]
        lo, hi = (0.0, 1.0) if grey_range == "fixed" else (truth.min() - 0.05, truth.max() + 0.05)
        for j, key in enumerate(shown):
            psnr = (
                r.psnr_images[key][r.example_index]
                if key != "truth" and key in r.psnr_images
                else None
            )
            title = key.replace("PnP-", "") if i == 0 else ""
            _tile(axes[i, j], r.examples[key], title, psnr, grey=(lo, hi))
        axes[i, 0].set_ylabel(r.name.replace("compressed sensing", "compr. sensing"), fontsize=8)
    return fig


def _tile(
    ax: Axes,
    image: np.ndarray,
    title: str,
    psnr: float | None,
    *,
    grey: tuple[float, float] = (0.0, 1.0),
) -> None:
    """An image tile on the grey range ``grey``, titled (if ``title``), with its PSNR below."""
    ax.imshow(image, cmap="gray", vmin=grey[0], vmax=grey[1])
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=8)
    if psnr is not None:
        ax.text(
            0.5,
            0.02,
            f"{psnr:.1f} dB",
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=7,
            color="white",
            bbox={"facecolor": "black", "alpha": 0.6, "pad": 1, "edgecolor": "none"},
        )


def _strip(ax: Axes, per_image: dict[str, np.ndarray], methods: Sequence[str]) -> None:
    """Per-image PSNR of each method (dots) with its mean (bar): the spread over test images."""
    for i, m in enumerate(methods):
        vals = np.asarray(per_image[m])
        style = _method_style(m)
        offsets = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(1)
        ax.plot(i + offsets, vals, "o", ms=3, color=style["color"], alpha=0.7)
        ax.plot([i - 0.3, i + 0.3], [vals.mean()] * 2, color=style["color"], lw=2)
    ax.set_xticks(range(len(methods)))
    ax.set_xticklabels([m.replace("PnP-", "") for m in methods], fontsize=7, rotation=30)
    ax.set_xlabel("method")
    ax.set_ylabel("PSNR (dB)")


def ct_figure(ct: CTResult) -> Figure:
    """Sparse-view CT: the Shepp–Logan phantom reconstructed by FBP, the best baseline and
    PnP-ADMM with the patch LPN (top), and every method's PSNR on each test phantom (bottom)."""
    if not isinstance(ct, CTResult):
        raise TypeError(f"ct must be a CTResult, got {type(ct).__name__}")
    r = ct.problem
    base, _ = best_baseline(r)
    shown = ["truth", "FBP", base, "PnP-ADMM LPN"]
    fig, axes = new_figure(2, 4, width=min(COLUMN_WIDTH, 6.0), height=4.6)
    for ax, key in zip(axes[0], shown, strict=True):
        psnr = None if key == "truth" else float(r.psnr_images[key][r.example_index])
        _tile(ax, r.examples[key], "phantom" if key == "truth" else key.replace("PnP-", ""), psnr)
    for ax in axes[1]:
        ax.remove()
    strip = fig.add_subplot(2, 1, 2)
    methods = [m for m in r.psnr_images if m != "Aᵀy"]
    _strip(strip, r.psnr_images, methods)
    strip.set_title(f"{len(r.psnr_images['FBP'])} test phantoms", fontsize=8)
    label_panels([axes[0][0], strip])
    return fig


def patch_prox_figure(pp: PatchProxResult) -> Figure:
    """The patch LPN on larger images: one denoised crop per method (top), per-crop PSNR of
    denoising (bottom left) and of PnP deblurring (bottom right)."""
    if not isinstance(pp, PatchProxResult):
        raise TypeError(f"pp must be a PatchProxResult, got {type(pp).__name__}")
    den = [m for m in ("noisy", "TV", "CNN", "LPN periodic", "LPN border") if m in pp.examples]
    shown = ["truth", *den]
    fig, axes = new_figure(2, len(shown), width=COLUMN_WIDTH, height=4.8)
    first = pp.denoise_psnr
    for ax, key in zip(axes[0], shown, strict=True):
        psnr = None if key == "truth" else float(first[key][0])
        _tile(ax, pp.examples[key], key, psnr)
    for ax in axes[1]:
        ax.remove()
    left, right = fig.add_subplot(2, 2, 3), fig.add_subplot(2, 2, 4)
    for m in den:
        style = _method_style(m.split()[0])
        vals = np.asarray(first[m])
        i = den.index(m)
        offsets = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(1)
        left.plot(i + offsets, vals, "o", ms=3, color=style["color"], alpha=0.7)
        left.plot(
            [i - 0.3, i + 0.3],
            [vals.mean()] * 2,
            color=style["color"],
            lw=2,
            linestyle=":" if m == "LPN border" else "-",
        )
    left.set_xticks(range(len(den)))
    left.set_xticklabels([m.replace("LPN ", "LPN\n") for m in den], fontsize=7)
    left.set_xlabel("denoiser")
    left.set_ylabel("PSNR (dB)")
    left.set_title("denoising", fontsize=8)
    methods = [m for m in pp.deblur.psnr_images if m != "Aᵀy"]
    _strip(right, pp.deblur.psnr_images, methods)
    right.set_title("deblurring", fontsize=8)
    label_panels([axes[0][0], left, right])
    return fig
