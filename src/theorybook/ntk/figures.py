"""Every figure of chapter 4, each drawn from a run's results and returned as a ``Figure``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from theorybook.ntk.dual import float64, resolve_activation
from theorybook.ntk.kernels import nngp_kernel
from theorybook.ntk.results import (
    ConsistencyResult,
    ExponentScan,
    HilbertLimit,
    LimitSweep,
    TrainingResult,
    WidthResult,
)
from theorybook.plotting import PALETTE, label_panels, new_figure

__all__ = [
    "METHOD_COLORS",
    "consistency_figure",
    "dual_figure",
    "exponent_figure",
    "limits_figure",
    "width_figure",
]

METHOD_COLORS = {
    "Bayes": PALETTE["black"],
    "1-NN": PALETTE["orange"],
    "majority vote": PALETTE["vermillion"],
    "Hilbert": PALETTE["green"],
    "kernel": PALETTE["blue"],
    "NNGP": PALETTE["blue"],
    "NTK": PALETTE["purple"],
}
"""One colour per method or kernel, the same in every panel of the chapter."""

_ACTIVATION_COLORS = {
    "relu": PALETTE["vermillion"],
    "erf": PALETTE["sky"],
    "3d_opt": PALETTE["blue"],
    "hermite_2": PALETTE["orange"],
}


def dual_figure(
    activations: Sequence[str] = ("relu", "erf", "3d_opt", "hermite_2"), *, depth: int
) -> Figure:
    """(a) the duals ``ǎ(ξ)``; (b) the depth-``depth`` NNGP ``Σᴸ`` as a function of ``ξ``."""
    fig, axes = new_figure(1, 2, height=3.0)
    xi = np.linspace(-1.0, 1.0, 401)
    theta = np.arccos(xi)
    X = np.array([[1.0, 0.0]])
    Z = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    for name in activations:
        act = resolve_activation(name)
        color = _ACTIVATION_COLORS.get(act.name, PALETTE["green"])
        with float64():
            axes[0].plot(xi, np.asarray(act.dual(xi)), color=color, label=act.name)
        axes[1].plot(xi, nngp_kernel(X, Z, depth, act)[0], color=color, label=act.name)
    for ax in axes:
        ax.plot(xi, xi, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel(r"correlation $\xi = x^\top z$")
    axes[0].set_ylabel(r"dual activation ǎ$(\xi)$")
    axes[1].set_ylabel(rf"NNGP $\Sigma^{{{depth}}}(\xi)$")
    axes[0].legend(loc="upper left")
    label_panels(axes)
    return fig


def limits_figure(relu: LimitSweep, hermite: LimitSweep, hilbert: HilbertLimit) -> Figure:
    """Agreement of deep kernel classifiers with the three limits, against depth."""
    fig, axes = new_figure(1, 3, height=2.8)
    for ax, sweep, color in (
        (axes[0], relu, METHOD_COLORS["majority vote"]),
        (axes[1], hermite, METHOD_COLORS["1-NN"]),
    ):
        values = np.asarray(sweep.agreement)
        ax.plot(sweep.depths, values.mean(axis=0), "o-", color=color, label="mean")
        if values.shape[0] > 1:
            ax.fill_between(
                sweep.depths,
                values.min(axis=0),
                values.max(axis=0),
                color=color,
                alpha=0.2,
                label=f"range, {values.shape[0]} seeds",
            )
        ax.set_title(f"{sweep.activation} {sweep.kernel} vs {sweep.limit}")
        ax.set_xlabel(r"depth $L$")
    axes[0].set_xscale("log")
    axes[0].set_ylabel("agreement with the limit")
    axes[0].legend(loc="lower right")
    axes[2].plot(
        hilbert.depths,
        hilbert.agreement,
        "o-",
        color=METHOD_COLORS["Hilbert"],
        label=rf"Hilbert, $\alpha={hilbert.alpha:.3g}$",
    )
    axes[2].plot(
        hilbert.depths, hilbert.nn_agreement, "s--", color=METHOD_COLORS["1-NN"], label="1-NN"
    )
    axes[2].set_xscale("log")
    axes[2].set_title(f"{hilbert.activation} NNGP")
    axes[2].set_xlabel(r"depth $L$")
    axes[2].legend(loc="lower right")
    for ax in axes:
        ax.set_ylim(0.4, 1.02)
    label_panels(axes)
    return fig


def exponent_figure(scan: ExponentScan) -> Figure:
    """Agreement with the singular classifier of exponent ``p``: NNGP peaks at α, NTK at α + 2."""
    fig, ax = new_figure(height=3.0)
    ax.plot(
        scan.exponents,
        scan.nngp_agreement,
        "o-",
        ms=3,
        color=METHOD_COLORS["NNGP"],
        label=f"NNGP, depth {scan.nngp_depth}",
    )
    ax.plot(
        scan.exponents,
        scan.ntk_agreement,
        "s-",
        ms=3,
        color=METHOD_COLORS["NTK"],
        label=f"NTK, depth {scan.ntk_depth}",
    )
    ax.axvline(scan.alpha, color=METHOD_COLORS["NNGP"], ls=":", lw=1)
    ax.axvline(scan.alpha + 2, color=METHOD_COLORS["NTK"], ls=":", lw=1)
    ax.text(scan.alpha, 0.999, r" $\alpha$", va="top", fontsize=9)
    ax.text(scan.alpha + 2, 0.999, r" $\alpha+2$", va="top", fontsize=9)
    ax.set_xlabel(r"exponent $p$ of $\mathrm{sign}\,\Sigma_i\, y_i \|x - x_i\|^{-p}$")
    ax.set_ylabel("agreement")
    ax.legend(loc="lower right")
    return fig


def consistency_figure(result: ConsistencyResult) -> Figure:
    """(a) Test accuracy against ``n`` for the Bayes rule, the baselines and the designed kernel,
    with the Bayes accuracy and the accuracy 1-NN tends to; (b) the kernel's gap to the Bayes
    accuracy per seed, with its fitted trend and 1-NN's limiting gap."""
    fig, axes = new_figure(1, 2, width=9.0, height=3.4)
    ax = axes[0]
    labels = {
        "Bayes": "Bayes rule",
        "1-NN": "1-NN",
        "majority vote": "majority vote",
        "Hilbert": rf"Hilbert, $\alpha={result.alpha:.3g}$",
        "kernel": f"{result.activation} NNGP, depth {result.depth}",
    }
    ns = np.asarray(result.ns, dtype=float)
    for method, label in labels.items():
        values = np.asarray(result.accuracy[method])
        color = METHOD_COLORS[method]
        style = "--" if method == "Bayes" else "o-"
        ax.plot(ns, values.mean(axis=0), style, ms=4, color=color, label=label)
        if values.shape[0] > 1 and method != "Bayes":
            ax.fill_between(ns, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15)
    ax.axhline(
        result.limit_one_nn, ls=":", color=METHOD_COLORS["1-NN"], label="1-NN as $n\\to\\infty$"
    )
    ax.set_ylabel("test accuracy")
    ax.legend(loc="lower right", fontsize=7)
    ax = axes[1]
    gaps = 100 * result.gaps("kernel")
    color = METHOD_COLORS["kernel"]
    for row in gaps:
        ax.plot(ns, row, "o", ms=3, color=color, alpha=0.5)
    ax.plot(ns, gaps.mean(axis=0), "-", color=color, label=f"mean of {len(gaps)} seeds")
    x = np.log2(ns)
    slope = 100 * float(np.mean(result.gap_slopes("kernel")))
    fit = gaps.mean(axis=0).mean() + slope * (x - x.mean())
    ax.plot(ns, fit, "--", color="0.3", label=f"trend {slope:+.2f} points per doubling")
    ax.axhline(
        100 * (result.limit_one_nn - result.limit_bayes),
        ls=":",
        color=METHOD_COLORS["1-NN"],
        label="1-NN as $n\\to\\infty$",
    )
    ax.axhline(0.0, color=METHOD_COLORS["Bayes"], lw=0.8)
    ax.set_ylabel("accuracy − Bayes accuracy (points)")
    ax.legend(loc="lower right", fontsize=7)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(ns, [str(n) for n in result.ns])
        ax.minorticks_off()
        ax.set_xlabel(r"training points $n$")
    label_panels(axes)
    return fig


def width_figure(result: WidthResult, training: TrainingResult) -> Figure:
    """Finite width against the kernel: (a) random networks' NNGP, (b) trained networks."""
    fig, axes = new_figure(1, 2, height=3.0)
    panels = (
        (axes[0], result.widths, result.rms_error, METHOD_COLORS["NNGP"], "networks"),
        (axes[1], training.widths, training.relative_error, METHOD_COLORS["NTK"], "seeds"),
    )
    for ax, raw_widths, raw_values, color, what in panels:
        values = np.asarray(raw_values)
        widths = np.asarray(raw_widths, dtype=float)
        for row in values:
            ax.plot(widths, row, "o", ms=3, color=color, alpha=0.4)
        mean = values.mean(axis=0)
        ax.plot(widths, mean, "-", color=color, label=f"mean of {len(values)} {what}")
        ax.plot(
            widths,
            mean[0] * np.sqrt(widths[0] / widths),
            "--",
            color="0.4",
            label=r"$\propto w^{-1/2}$",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"width $w$")
        ax.legend(loc="lower left")
    axes[0].set_ylabel(r"RMS of $\hat\Sigma^L - \Sigma^L$")
    axes[0].set_title(f"random {result.activation}, depth {result.depth}")
    axes[1].set_ylabel(r"$\|f_{\mathrm{net}} - f_{\mathrm{NTK}}\| / \|f_{\mathrm{NTK}}\|$")
    axes[1].set_title(f"trained {training.activation}, {training.steps} steps")
    label_panels(axes)
    return fig
