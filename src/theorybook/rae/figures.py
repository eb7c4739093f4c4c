"""Every figure of the regularized auto-encoder chapter: functions of results returning a Figure.

Colours are fixed per method in all panels: DAE blue, RCAE orange, annealed DAE green, the exact
quantity black, the smoothed (finite-σ) target sky blue, the exact finite-σ RCAE optimum
reddish purple.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from theorybook.plotting import PALETTE, label_panels, new_figure
from theorybook.rae.data import bimodal_mixture
from theorybook.rae.densities import spiral_curve
from theorybook.rae.results import (
    DigitsResult,
    EnergyResult,
    MH1DResult,
    ScoreSigmaResult,
    SpiralResult,
    StarResult,
)

__all__ = [
    "COLOURS",
    "digits_chains_figure",
    "energy_figure",
    "sampling_figure",
    "score_figure",
    "spiral_figure",
]

COLOURS: dict[str, str] = {
    "dae": PALETTE["blue"],
    "rcae": PALETTE["orange"],
    "dae_annealed": PALETTE["green"],
    "rcae_unscaled": PALETTE["sky"],
    "optimum": PALETTE["purple"],
    "true": PALETTE["black"],
    "smoothed": PALETTE["sky"],
    "exact": PALETTE["black"],
    "one-point": PALETTE["vermillion"],
    "trapezoid": PALETTE["orange"],
    "langevin": PALETTE["purple"],
    "learned": PALETTE["blue"],
}
LABELS = {
    "dae": "DAE",
    "rcae": "RCAE",
    "dae_annealed": "DAE, annealed σ",
    "rcae_unscaled": "RCAE, r = x + g",
}


def score_figure(res: ScoreSigmaResult) -> Figure:
    """(a) Estimated scores at the smallest σ against ∇log p; (b) error against σ, with the
    exact finite-σ RCAE optimum's own error."""
    fig, axes = new_figure(1, 2, height=3.0)
    ax = axes[0]
    small = res.sigmas[-1]
    ax.plot(res.x, res.true_score, color=COLOURS["true"], lw=2, label=r"$\nabla\log p$")
    for name in ("dae", "rcae", "dae_annealed"):
        key = (name, small)
        if key in res.scores:
            ax.plot(res.x, res.scores[key], color=COLOURS[name], lw=1.2, label=LABELS[name])
    ax.set(xlabel=r"$x$", ylabel=rf"score at $\sigma = {small:g}$", ylim=(-25, 25))
    ax.legend(loc="lower left", fontsize=8)
    ax = axes[1]
    for name in ("dae", "rcae"):
        ax.loglog(
            res.sigmas,
            [res.error_true[(name, s)] for s in res.sigmas],
            "o-",
            color=COLOURS[name],
            label=rf"{LABELS[name]} vs $\nabla\log p$",
        )
        ax.loglog(
            res.sigmas,
            [res.error_smoothed[(name, s)] for s in res.sigmas],
            "s--",
            color=COLOURS[name],
            mfc="white",
            label=rf"{LABELS[name]} vs $\nabla\log p_\sigma$",
        )
    ax.loglog(
        res.sigmas,
        [res.optimum_error_true[s] for s in res.sigmas],
        ":",
        color=COLOURS["optimum"],
        lw=2,
        label=r"exact RCAE optimum vs $\nabla\log p$",
    )
    for name, marker in (("dae_annealed", "D"), ("rcae_unscaled", "^")):
        ax.loglog(
            [small],
            [res.error_true[(name, small)]],
            marker,
            color=COLOURS[name],
            label=LABELS[name],
        )
    ax.set(xlabel=r"$\sigma$", ylabel="weighted relative error")
    ax.set_xticks(res.sigmas, [f"{s:g}" for s in res.sigmas])
    ax.xaxis.set_minor_formatter(NullFormatter())
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 4)
    ax.legend(fontsize=6.5, loc="upper left", ncol=2)
    label_panels(axes)
    return fig


def energy_figure(res: EnergyResult, scores: ScoreSigmaResult) -> Figure:
    """(a) p and the reconstruction error; (b) log p integrated from the learned score;
    (c) the Hessian estimate (∂r/∂x − 1)/σ² against ∇²log p."""
    fig, axes = new_figure(1, 3, height=2.6)
    x = res.x
    ax = axes[0]
    ax.plot(x, scores.density / scores.density.max(), color=COLOURS["true"], label=r"$p$")
    ax.plot(
        x,
        res.reconstruction_error / res.reconstruction_error.max(),
        color=COLOURS["rcae"],
        label=r"$\|r(x)-x\|^2$",
    )
    ax.set(xlabel=r"$x$", ylabel="scaled to max 1", ylim=(-0.05, 1.5))
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    ax = axes[1]
    ax.plot(x, res.true_log_density, color=COLOURS["true"], lw=2, label=r"$\log p$")
    ax.plot(x, res.log_density, color=COLOURS["rcae"], label=r"$\int \hat s$")
    ax.set(xlabel=r"$x$", ylabel=r"log-density $-$ value at 0")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(x, scores.true_hessian, color=COLOURS["true"], lw=2, label=r"$\nabla^2\log p$")
    ax.plot(x, scores.hessian, color=COLOURS["rcae"], label=r"$(r'(x)-1)/\sigma^2$")
    ax.set(xlabel=r"$x$", ylabel="second derivative")
    ax.legend(fontsize=7, loc="upper right")
    label_panels(axes)
    return fig


def spiral_figure(res: SpiralResult) -> Figure:
    """The field ``r(x) − x`` on a grid around the spiral."""
    fig, ax = new_figure(width=4.6, height=4.3)
    curve = spiral_curve(2000)
    ax.plot(curve[:, 0], curve[:, 1], color=COLOURS["true"], lw=1.5, label="spiral")
    ax.quiver(
        res.grid[:, 0],
        res.grid[:, 1],
        res.field[:, 0],
        res.field[:, 1],
        angles="xy",
        scale_units="xy",
        scale=1.0,
        width=0.004,
        color=COLOURS["dae"],
        label=r"$r(x) - x$",
    )
    ax.set(xlabel=r"$x_1$", ylabel=r"$x_2$", aspect="equal", xlim=(-0.85, 0.85))
    ax.set_ylim(-0.85, 0.85)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8, frameon=False)
    return fig


def sampling_figure(mh: MH1DResult, star: StarResult) -> Figure:
    """(a) 1-D approximate-MH samples against p; (b) ninja-star samples, exact vs trapezoid;
    (c) KL to reference samples over independent runs, per method (then the authors' smaller
    proposal step, and the null models: exact samples of ``p_σ`` at the first and the last σ of
    the DAE's schedule)."""
    fig, axes = new_figure(1, 3, height=2.7)
    ax = axes[0]
    p = bimodal_mixture()
    xs = np.linspace(-2.2, 2.2, 400)
    ax.hist(mh.samples, bins=80, density=True, color=COLOURS["rcae"], alpha=0.6, label="chains")
    ax.plot(xs, np.exp(p.log_prob(xs[:, None])), color=COLOURS["true"], label=r"$p$")
    ax.set(xlabel=r"$x$", ylabel="density")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.35)
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    ax = axes[1]
    ref = star.reference[:800]
    ax.scatter(ref[:, 0], ref[:, 1], s=2, color=COLOURS["exact"], alpha=0.4, label="reference")
    tr = star.samples["trapezoid"][:800]
    ax.scatter(tr[:, 0], tr[:, 1], s=2, color=COLOURS["trapezoid"], alpha=0.6, label="trapezoid Δ")
    ax.set(xlabel=r"$x_1$", ylabel=r"$x_2$", aspect="equal", xlim=(-3.2, 3.2), ylim=(-3.2, 3.2))
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, markerscale=4)
    ax = axes[2]
    tau_small = f"{star.small_step:g}"
    columns = [(m, star.kl[m], COLOURS[m]) for m in star.kl]
    columns += [
        (f"{m}, τ = {tau_small}", star.kl_small_step[m], COLOURS[m]) for m in star.kl_small_step
    ]
    columns.append(("null: p_σ, first σ", star.kl_null["smoothed"], "0.55"))
    columns.append(("null: p_σ, last σ", star.kl_null["smoothed final"], "0.75"))
    rng = np.random.default_rng(0)
    for i, (_, v, colour) in enumerate(columns):
        ax.scatter(i + 0.15 * rng.standard_normal(len(v)), v, s=8, color=colour)
        ax.errorbar(i, v.mean(), yerr=v.std(ddof=1), fmt="_", color="k", capsize=4, ms=14)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xticks(range(len(columns)), [c[0] for c in columns], rotation=55, fontsize=6.5)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    ax.set(ylabel="k-NN KL to reference")
    label_panels(axes)
    return fig


def digits_chains_figure(res: DigitsResult, *, max_chains: int = 4) -> Figure:
    """Chains on the digits' learned score shown as 8×8 images, one row per chain (at most
    ``max_chains`` per method)."""
    from theorybook.validation import positive_int

    max_chains = positive_int("max_chains", max_chains)
    methods = list(res.chains)
    n_shown = res.chains[methods[0]].shape[0]
    n_chains = min(max_chains, res.chains[methods[0]].shape[1])
    rows = n_chains * len(methods)
    fig, axes = new_figure(rows, n_shown, width=min(7.0, 0.6 * n_shown), height=0.62 * rows + 0.3)
    axes = np.asarray(axes).reshape(rows, n_shown)
    for k, m in enumerate(methods):
        for c in range(n_chains):
            for j in range(n_shown):
                ax = axes[k * n_chains + c, j]
                ax.imshow(res.chains[m][j, c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
            short = "walk" if m.startswith("approximate") else "Langevin"
            axes[k * n_chains + c, 0].set_ylabel(f"{short} {c + 1}", fontsize=5.5)
    fig.supxlabel("chain state, start (left) to end (right)", fontsize=8)
    return fig
