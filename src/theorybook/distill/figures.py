"""Figures of chapter 5 (*Self-distillation with ground-truth guidance*).

Each function takes results of :mod:`theorybook.distill.results` and returns a matplotlib
:class:`~matplotlib.figure.Figure` sized for the book's column, made outside pyplot
(:func:`theorybook.plotting.new_figure`: nothing to close). One colour means one weight
``α`` (or one method) in every panel of the chapter: :func:`alpha_colour`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from theorybook.boundary import FiniteReal, Probability, checked
from theorybook.distill.results import (
    ESTIMATE,
    AlphaSearchResult,
    ConvergenceResult,
    DeepResult,
    SparsificationResult,
    ToyResult,
)
from theorybook.plotting import COLUMN_WIDTH, PALETTE, label_panels, new_figure

__all__ = [
    "ALPHA_COLOURS",
    "ESTIMATE_COLOUR",
    "alpha_colour",
    "alpha_search_figure",
    "convergence_figure",
    "deep_figure",
    "sparsification_figure",
    "toy_figure",
]

#: The colour of each weight α of the ground truth, the same in every figure of the chapter.
ALPHA_COLOURS: dict[float, str] = {
    0.0: PALETTE["blue"],
    0.1: "#777777",
    0.25: PALETTE["orange"],
    0.35: PALETTE["green"],
    0.5: PALETTE["sky"],
    0.7: PALETTE["vermillion"],
    0.75: "#B8A600",
    1.0: PALETTE["black"],
}
#: The colour of the estimated weight α̂ (the deep experiment's estimate chain).
ESTIMATE_COLOUR = PALETTE["purple"]
#: The colour of the estimate's variant (validation targets, clipped to [0, 1]).
_RATIO_COLOURS = (PALETTE["black"], PALETTE["purple"], PALETTE["sky"])


@checked
def alpha_colour(alpha: FiniteReal) -> str:
    """The chapter's colour for weight ``alpha`` (grey for a weight without its own colour)."""
    for a, c in ALPHA_COLOURS.items():
        if abs(a - alpha) < 1e-9:
            return c
    return "#999999"


def _legend_below(ax: Axes, ncols: int = 2) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=ncols, fontsize=9)


@checked
def toy_figure(toy: ToyResult, *, highlight: Probability = 0.35) -> Figure:
    """Toy loss per step for each α with its limit (a), and fits of α = 0 and ``highlight`` (b).

    ``toy`` must hold the α = 0 run (panel b draws it; ``ValueError`` otherwise); ``highlight``
    is drawn when ``toy`` holds it.
    """
    if not any(a == 0.0 for a in toy.alphas):
        raise ValueError(f"toy must hold the α = 0 run (panel b draws it), got alphas {toy.alphas}")
    fig, (ax1, ax2) = new_figure(1, 2, width=COLUMN_WIDTH, height=3.6)
    steps = np.arange(1, toy.losses.shape[1] + 1)
    for a, row, lim in zip(toy.alphas, toy.losses, toy.limit_losses):
        c = alpha_colour(a)
        ax1.plot(steps, row, marker="o", ms=4, color=c, label=rf"$\alpha = {a:g}$")
        if a > 0:
            ax1.axhline(lim, color=c, ls=":", lw=1.2)
    positive = np.asarray(toy.alphas) > 0
    top = max(float(toy.losses.max()), float(toy.limit_losses[positive].max(initial=0.0)))
    ax1.set(
        xlabel=r"distillation step $t$",
        ylabel=r"MSE against $\sin 2\pi x$",
        ylim=(0.98 * float(toy.losses.min()), 1.02 * top),
        xticks=steps,
    )
    _legend_below(ax1)
    ax1.set_title(r"dotted: $t \to \infty$ (ridge $\lambda/\alpha$)", fontsize=9)
    p = toy.problem
    T = toy.losses.shape[1]
    ax2.plot(p.x_grid, p.truth, color="#777777", lw=1, label=r"$\sin 2\pi x$")
    ax2.scatter(p.x, p.y, color=PALETTE["black"], s=14, zorder=3, label="training labels")
    i0 = toy.row(0.0)
    ax2.plot(
        p.x_grid,
        toy.predictions[i0, 0],
        color=PALETTE["black"],
        ls="--",
        lw=1.2,
        label=r"step 1 (every $\alpha$)",
    )
    ax2.plot(
        p.x_grid, toy.predictions[i0, -1], color=alpha_colour(0.0), label=rf"$\alpha = 0$, step {T}"
    )
    if any(abs(a - highlight) < 1e-9 for a in toy.alphas):
        ax2.plot(
            p.x_grid,
            toy.predictions[toy.row(highlight), -1],
            color=alpha_colour(highlight),
            label=rf"$\alpha = {highlight:g}$, step {T}",
        )
    ax2.set(xlabel=r"$x$", ylabel=r"$f^{(t)}(x)$")
    _legend_below(ax2)
    label_panels([ax1, ax2])
    return fig


@checked
def convergence_figure(conv: ConvergenceResult) -> Figure:
    """Gap to the limit against the geometric bound per α (a); the α = 0 collapse (b)."""
    fig, (ax1, ax2) = new_figure(1, 2, width=COLUMN_WIDTH, height=3.4)
    t = np.arange(1, conv.weight_errors.shape[1] + 1)
    for a, err in zip(conv.alphas, conv.weight_errors):
        if a < 1:
            c = alpha_colour(a)
            ax1.semilogy(t, np.maximum(err, 1e-17), color=c, label=rf"$\alpha = {a:g}$")
            ax1.semilogy(t, err[0] * (1 - a) ** (t - 1), color=c, ls=":", lw=1.2)
    ax1.set(
        xlabel=r"step $t$",
        ylabel=r"$\max_k |B^{(t)}_k - B^{(\infty)}_k|$",
        ylim=(1e-17, 30),
    )
    ax1.set_title(r"dotted: $(1-\alpha)^{t-1}$ × step-1 gap", fontsize=9)
    _legend_below(ax1, ncols=3)
    ax2.semilogy(
        t,
        conv.zero_alpha_norms,
        color=alpha_colour(0.0),
        label=r"$\alpha = 0$: $\|\hat y^{(t)}\| / \|y\|$",
    )
    ax2.semilogy(
        t,
        conv.zero_alpha_bound,
        color=PALETTE["black"],
        ls=":",
        lw=1.2,
        label=r"bound $a_{\max}^t$",
    )
    ax2.set(xlabel=r"step $t$", ylabel=r"$\|\hat y^{(t)}\| / \|y\|$")
    _legend_below(ax2, ncols=1)
    label_panels([ax1, ax2])
    return fig


@checked
def sparsification_figure(sparse: SparsificationResult) -> Figure:
    """Eigen-weight ratios over steps: unbounded growth at α = 0 (a), a finite limit at α > 0 (b)."""
    fig, (ax1, ax2) = new_figure(1, 2, width=COLUMN_WIDTH, height=3.5)
    t = np.arange(1, sparse.ratios_zero.shape[0] + 1)
    n_pairs = sparse.ratios_zero.shape[1]
    for c, k in zip(_RATIO_COLOURS, (0, n_pairs // 2, n_pairs - 1)):
        ax1.plot(t, sparse.ratios_zero[:, k], color=c, label=rf"$k = {k + 1}$")
        ax2.plot(t, sparse.ratios_alpha[:, k], color=c, label=rf"$k = {k + 1}$")
        ax2.axhline(sparse.ratios_alpha_limit[k], color=c, ls=":", lw=1.2)
    ax1.set(xlabel=r"step $t$", ylabel=r"$B^{(t)}_k / B^{(t)}_{k+1}$", yscale="log")
    ax1.set_title(r"$\alpha = 0$", fontsize=10)
    ax2.set(xlabel=r"step $t$", ylabel=r"$B^{(t)}_k / B^{(t)}_{k+1}$")
    ax2.set_title(rf"$\alpha = {sparse.alpha:g}$ (dotted: $t \to \infty$)", fontsize=10)
    _legend_below(ax1, ncols=3)
    _legend_below(ax2, ncols=3)
    label_panels([ax1, ax2])
    return fig


@checked
def alpha_search_figure(search: AlphaSearchResult) -> Figure:
    """The loss over α is a parabola and the closed-form α* sits at its minimum."""
    s = search.search
    fig, ax = new_figure(width=5.0, height=3.4)
    ax.plot(s.grid, s.grid_losses, color=PALETTE["black"], label=r"grid (one refit per $\alpha$)")
    ax.axvline(
        s.alpha_star,
        color=PALETTE["vermillion"],
        ls="--",
        label=rf"closed form $\alpha^* = {s.alpha_star:.3f}$",
    )
    ax.set(xlabel=rf"$\alpha$ at step {search.step}", ylabel=r"MSE against $\sin 2\pi x$")
    _legend_below(ax, ncols=2)
    return fig


@checked
def deep_figure(deep: DeepResult) -> Figure:
    """Test accuracy per step with its range over seeds (a); validation loss over the α grid (b)."""
    fig, (ax1, ax2) = new_figure(1, 2, width=COLUMN_WIDTH, height=3.8)
    steps = np.arange(1, deep.steps + 1)
    n = len(deep.seeds)
    labels = list(deep.seeds[0].chains)
    width = 0.08 * (len(labels) - 1)
    for j, label in enumerate(labels):
        acc = 100 * deep.chain(label)
        if label == ESTIMATE:
            c, name = ESTIMATE_COLOUR, r"held-out estimate $\hat\alpha$"
        else:
            a = float(label.split("=")[1])
            c, name = alpha_colour(a), rf"$\alpha = {a:g}$"
        x = steps + (j * 0.08 - width / 2 if len(labels) > 1 else 0.0)
        mean = acc.mean(axis=0)
        err = np.vstack([mean - acc.min(axis=0), acc.max(axis=0) - mean])
        ax1.errorbar(
            x, mean, yerr=err if n > 1 else None, marker="o", ms=4, color=c, capsize=2, label=name
        )
    ax1.set(xlabel="distillation step", ylabel="test accuracy (%)", xticks=steps)
    ax1.set_title(
        f"mean of {n} seed{'s' if n > 1 else ''}" + (", bars: min–max" if n > 1 else ""),
        fontsize=9,
    )
    _legend_below(ax1, ncols=2)
    for k, sr in enumerate(deep.seeds):
        ax2.plot(
            sr.grid,
            sr.grid_val_loss,
            color="#777777",
            lw=1,
            marker=".",
            ms=4,
            label="grid, one line per seed" if k == 0 else None,
        )
        i = int(np.argmin(sr.grid_val_loss))
        low, high = sr.grid_best_interval
        ax2.errorbar(
            sr.grid[i],
            sr.grid_val_loss[i],
            xerr=[[sr.grid[i] - low], [high - sr.grid[i]]],
            marker="o",
            ms=6,
            mfc="none",
            color=PALETTE["black"],
            capsize=2,
            lw=0.8,
            ls="none",
            label="grid's best, 95 % bootstrap interval" if k == 0 else None,
        )
        if 0.0 <= sr.alpha_hat[0] <= 1.0:
            j = int(np.argmin(np.abs(sr.grid - sr.alpha_hat[0])))
            ax2.plot(
                sr.alpha_hat[0],
                sr.grid_val_loss[j],
                marker="*",
                ms=10,
                color=ESTIMATE_COLOUR,
                ls="none",
                label=r"held-out $\hat\alpha$" if k == 0 else None,
            )
    est = ", ".join(f"{s.alpha_hat[0]:.2f}" for s in deep.seeds)
    train = ", ".join(f"{s.alpha_train:.1f}" for s in deep.seeds)
    ax2.set(xlabel=r"$\alpha$ at step 2", ylabel="validation MSE")
    ax2.set_title(
        r"held-out $\hat\alpha$ per seed: " + f"{est}\n" + "on training targets: " + train,
        fontsize=8,
        loc="right",
    )
    _legend_below(ax2, ncols=1)
    label_panels([ax1, ax2])
    return fig
