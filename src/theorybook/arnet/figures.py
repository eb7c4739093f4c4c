"""The figures of the AR-Net chapter (chapter 6): each function takes results, returns a Figure.

One colour per method in every figure: least squares blue, statsmodels AutoReg green, AR-Net with
the chapter's constant orange, AR-Net with the paper's :math:`c_\\lambda` rule purple, dense AR-Net
(on the sunspots) sky blue; the paper's own numbers are black.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter
from numpy.typing import NDArray

from theorybook.arnet.paper import (
    FIG2A_MEDIANS,
    FIG4_ARNET_MEDIANS,
    SMALL_ARNET_STPE,
    SMALL_LS_STPE,
)
from theorybook.arnet.regularizer import regularizer_derivative
from theorybook.arnet.results import (
    CLambdaSweep,
    DenseResult,
    HighOrderRecord,
    LearningRateSweep,
    RegularizerShape,
    SmallDataResult,
    SparseOrderResult,
    SparsitySweep,
    SunspotsResult,
    TimingResult,
)
from theorybook.plotting import PALETTE, label_panels, new_figure

__all__ = [
    "COLOURS",
    "c_lambda_sweep_figure",
    "dense_figure",
    "high_order_figure",
    "lr_sweep_figure",
    "regularizer_figure",
    "small_data_figure",
    "sparse_order_figure",
    "sparsity_sweep_figure",
    "sunspots_figure",
    "timing_figure",
]

COLOURS: dict[str, str] = {
    "least squares": PALETTE["blue"],
    "AutoReg": PALETTE["green"],
    "AR-Net": PALETTE["orange"],
    "AR-Net, paper's rule": PALETTE["purple"],
    "dense AR-Net": PALETTE["sky"],
    "top-k least squares": PALETTE["green"],
    "paper": PALETTE["black"],
}


def _median_range(
    ax: Axes,
    x: NDArray[np.float64],
    vals: NDArray[np.float64],
    *,
    label: str,
    colour: str,
    marker: str = "o",
    offset: float = 1.0,
) -> None:
    """Median over the last axis with a bar from the smallest to the largest seed."""
    med = np.median(vals, axis=-1)
    lo, hi = vals.min(axis=-1), vals.max(axis=-1)
    ax.errorbar(
        x * offset,
        med,
        yerr=np.vstack([med - lo, hi - med]),
        marker=marker,
        capsize=3,
        label=label,
        color=colour,
    )


def _order_ticks(ax: Axes, orders: tuple[int, ...]) -> None:
    """Label a log-scaled order axis at the orders run, in plain numbers."""
    ax.xaxis.set_major_locator(FixedLocator([float(p) for p in orders]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def regularizer_figure(shape: RegularizerShape) -> Figure:
    """(a) the penalty per weight from θ = 0, with ℓ1 for comparison; (b) its derivative."""
    fig, axes = new_figure(1, 2, height=2.8)
    t = shape.theta
    axes[0].plot(t, shape.r, color=COLOURS["AR-Net"], label=r"$r(|\theta|)$")
    axes[0].plot(
        t, np.minimum(t, 1.0), ls="--", color=PALETTE["black"], label=r"$\min(|\theta|, 1)$"
    )
    axes[0].set(xlabel=r"$|\theta|$", ylabel="penalty per weight", xlim=(0, t[-1]), ylim=(0, 1.05))
    axes[0].legend(loc="lower right")
    # R' is infinite at 0: draw it on a log grid reaching down to 1e-4
    grid = np.logspace(-4, np.log10(t[-1]), 200)
    dr = regularizer_derivative(grid, shape.c1, shape.c2)
    axes[1].loglog(grid, dr, color=COLOURS["AR-Net"], label=r"$r'(|\theta|)$")
    axes[1].axhline(1.0, ls="--", color=PALETTE["black"], label=r"$\ell_1$: constant 1")
    axes[1].set(xlabel=r"$|\theta|$", ylabel=r"pull towards zero, $r'(|\theta|)$")
    axes[1].legend(loc="upper right")
    label_panels(axes)
    return fig


def dense_figure(dense: DenseResult) -> Figure:
    """(a) sTPE against the order, median and range over seeds, with the paper's Fig. 2a
    medians; (b) the coefficients of one fit at the largest order."""
    fig, axes = new_figure(1, 2, height=2.9)
    orders = np.asarray(dense.orders, dtype=float)
    _median_range(
        axes[0],
        orders,
        dense.stpe_ls,
        label="least squares",
        colour=COLOURS["least squares"],
        offset=0.97,
    )
    _median_range(
        axes[0],
        orders,
        dense.stpe_arnet,
        label="AR-Net",
        colour=COLOURS["AR-Net"],
        marker="s",
        offset=1.03,
    )
    paper = [(p, v) for p, v in FIG2A_MEDIANS.items() if p <= max(dense.orders)]
    if paper:
        px, py = zip(*paper, strict=True)
        axes[0].plot(px, py, "D", mfc="none", color=COLOURS["paper"], label=r"paper, $N = 10^5$")
    axes[0].set(xlabel="order $p$", ylabel="sTPE", title=f"$N = {dense.n_train}$")
    axes[0].legend(loc="upper left")
    true, ls_coef, net_coef = dense.example
    lags = np.arange(1, true.size + 1)
    axes[1].bar(lags, true, color="#cccccc", label="true")
    axes[1].plot(lags, ls_coef, "o", color=COLOURS["least squares"], label="least squares")
    axes[1].plot(lags, net_coef, "x", color=COLOURS["AR-Net"], label="AR-Net")
    axes[1].set(xlabel="lag $i$", ylabel="$w_i$", title=f"AR({true.size}), seed 0")
    axes[1].legend(loc="best")
    label_panels(axes)
    return fig


def high_order_figure(record: HighOrderRecord | None) -> Figure:
    """:func:`sparse_order_figure` of the recorded paper-size grid, titled as a recorded run; a
    one-panel note when there is no record."""
    if record is None:
        fig, ax = new_figure(height=1.5)
        ax.text(0.5, 0.5, "no recorded run (scripts/sweep.py run arnet-high-order)", ha="center")
        ax.set_axis_off()
        return fig
    return sparse_order_figure(
        record.result, title=f"recorded {record.recorded_on[:10]}, $N = {record.result.n_train}$"
    )


def sparse_order_figure(sparse: SparseOrderResult, *, title: str | None = None) -> Figure:
    """(a) sTPE against the model order on AR(3) data, median and range over seeds, for least
    squares, sparse AR-Net and (when measured) least squares refitted on its three largest
    weights, with the paper's Fig. 4 medians for AR-Net; (b) one-step test MSE (median over
    seeds)."""
    fig, axes = new_figure(1, 2, height=2.9)
    orders = np.asarray(sparse.orders, dtype=float)
    _median_range(
        axes[0],
        orders,
        sparse.stpe_ls,
        label="least squares",
        colour=COLOURS["least squares"],
        offset=0.95,
    )
    rule = sparse.c_lambda == "paper"
    _median_range(
        axes[0],
        orders,
        sparse.stpe_arnet,
        label="sparse AR-Net, paper's rule" if rule else "sparse AR-Net",
        colour=COLOURS["AR-Net, paper's rule" if rule else "AR-Net"],
        marker="s",
        offset=1.05,
    )
    if sparse.stpe_topk is not None:
        _median_range(
            axes[0],
            orders,
            sparse.stpe_topk,
            label="least squares, top 3 refitted",
            colour=COLOURS["top-k least squares"],
            marker="v",
            offset=1.0,
        )
    paper = [(p, v) for p, v in FIG4_ARNET_MEDIANS.items() if p <= max(sparse.orders)]
    px, py = zip(*paper, strict=True)
    axes[0].plot(
        px, py, "D", mfc="none", color=COLOURS["paper"], label=r"paper, AR-Net, $N = 10^5$"
    )
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="model order $p$",
        ylabel="sTPE",
        title=title or f"AR(3) data, $N = {sparse.n_train}$",
    )
    axes[0].legend(loc="upper left")
    for key, name, colour in (
        ("mse_ls", "least squares", COLOURS["least squares"]),
        ("mse_arnet", "sparse AR-Net", COLOURS["AR-Net"]),
    ):
        axes[1].plot(
            orders, np.median(getattr(sparse, key), axis=1), marker="o", label=name, color=colour
        )
    axes[1].axhline(1.0, ls=":", color=PALETTE["black"], label=r"noise variance $\sigma^2$")
    axes[1].set(xscale="log", xlabel="model order $p$", ylabel="one-step test MSE")
    axes[1].legend(loc="upper left")
    for ax in axes:
        _order_ticks(ax, sparse.orders)
    label_panels(axes)
    return fig


def small_data_figure(paper_rule: SmallDataResult, tuned: SmallDataResult) -> Figure:
    """(a) coefficients per lag, median and range over seeds, for least squares and AR-Net with
    the paper's rule and with the chapter's constant; (b) sTPE of every seed, with the paper's
    values."""
    fig, axes = new_figure(1, 2, height=3.0)
    true = tuned.true_coef
    lags = np.arange(1, true.size + 1, dtype=float)
    axes[0].bar(lags, true, color="#cccccc", label="true")
    series = (
        (tuned.coef_ls, "least squares", COLOURS["least squares"], "o", -0.25),
        (paper_rule.coef_arnet, "AR-Net, paper's rule", COLOURS["AR-Net, paper's rule"], "^", 0.0),
        (
            tuned.coef_arnet,
            rf"AR-Net, $c_\lambda = {tuned.c_lambda}$",
            COLOURS["AR-Net"],
            "s",
            0.25,
        ),
    )
    for coef, name, colour, marker, dx in series:
        med = np.median(coef, axis=0)
        err = np.vstack([med - coef.min(axis=0), coef.max(axis=0) - med])
        axes[0].errorbar(
            lags + dx, med, yerr=err, fmt=marker, ms=3.5, capsize=0, color=colour, label=name
        )
    axes[0].axhline(0.0, color=PALETTE["black"], lw=0.6)
    axes[0].set(
        xlabel="lag $i$",
        ylabel="$w_i$",
        xticks=[1, 3, 5, 10, 15, 20],
        title=f"{len(tuned.seeds)} seeds",
    )
    axes[0].legend(loc="lower left", fontsize=8)
    groups = (
        (tuned.stpe_ls, "least\nsquares", COLOURS["least squares"]),
        (paper_rule.stpe_arnet, "AR-Net,\npaper's rule", COLOURS["AR-Net, paper's rule"]),
        (tuned.stpe_arnet, f"AR-Net,\n$c_\\lambda = {tuned.c_lambda}$", COLOURS["AR-Net"]),
    )
    rng = np.random.default_rng(0)
    for k, (vals, _name, colour) in enumerate(groups):
        axes[1].plot(
            k + rng.uniform(-0.12, 0.12, vals.size), vals, "o", ms=4, color=colour, alpha=0.8
        )
        axes[1].plot([k - 0.25, k + 0.25], [np.median(vals)] * 2, color=colour, lw=2)
    axes[1].axhline(
        SMALL_LS_STPE, ls=":", color=COLOURS["paper"], label=f"paper: {SMALL_LS_STPE} (classic AR)"
    )
    axes[1].axhline(
        SMALL_ARNET_STPE,
        ls="--",
        color=COLOURS["paper"],
        label=f"paper: {SMALL_ARNET_STPE} (AR-Net)",
    )
    axes[1].set(
        xticks=range(len(groups)), xticklabels=[g[1] for g in groups], ylabel="sTPE", ylim=(0, None)
    )
    axes[1].legend(loc="upper right", fontsize=8)
    label_panels(axes)
    return fig


def c_lambda_sweep_figure(sweep: CLambdaSweep) -> Figure:
    """sTPE of sparse AR-Net against c_λ on the small-data problem (median and range over
    seeds), with the paper's rule and least squares."""
    fig, ax = new_figure(height=3.0)
    c = np.asarray(sweep.c_values)
    _median_range(ax, c, sweep.stpe, label="sparse AR-Net", colour=COLOURS["AR-Net"])
    rule = np.median(sweep.paper_rule)
    ax.errorbar(
        [rule],
        [np.median(sweep.stpe_paper)],
        yerr=[
            [np.median(sweep.stpe_paper) - sweep.stpe_paper.min()],
            [sweep.stpe_paper.max() - np.median(sweep.stpe_paper)],
        ],
        marker="^",
        capsize=3,
        color=COLOURS["AR-Net, paper's rule"],
        label=r"paper's rule $\sqrt{\hat L}/100$",
    )
    ax.axhline(
        np.median(sweep.stpe_ls),
        ls=":",
        color=COLOURS["least squares"],
        label="least squares (median)",
    )
    ax.axhline(
        SMALL_ARNET_STPE, ls="--", color=COLOURS["paper"], label=f"paper: {SMALL_ARNET_STPE}"
    )
    ax.set(
        xscale="log",
        xlabel=r"$c_\lambda$",
        ylabel="sTPE",
        title=f"small data, {len(sweep.seeds)} seeds",
        ylim=(0, None),
    )
    ax.legend(loc="center right", fontsize=8)
    return fig


def sparsity_sweep_figure(sweep: SparsitySweep) -> Figure:
    """sTPE against the sparsity estimate s at one order (median and range over seeds): sparse
    AR-Net and least squares refitted on its ``round(s·p)`` largest weights, both told ``s``;
    plain least squares (no ``s``) and the true ``s`` as lines."""
    fig, ax = new_figure(height=3.0)
    s = np.asarray(sweep.sparsities)
    rule = sweep.c_lambda == "paper"
    label = (
        "sparse AR-Net, paper's rule" if rule else rf"sparse AR-Net, $c_\lambda = {sweep.c_lambda}$"
    )
    colour = COLOURS["AR-Net, paper's rule"] if rule else COLOURS["AR-Net"]
    _median_range(ax, s, sweep.stpe, label=label, colour=colour, marker="s", offset=1.04)
    _median_range(
        ax,
        s,
        sweep.stpe_topk,
        label=r"least squares, top $s\,p$ refitted",
        colour=COLOURS["top-k least squares"],
        marker="v",
        offset=0.96,
    )
    ax.axhline(
        float(np.median(sweep.stpe_ls)),
        ls="-.",
        color=COLOURS["least squares"],
        label="least squares (no $s$)",
    )
    ax.axvline(sweep.true_sparsity, ls=":", color=PALETTE["black"], label="true $s = 3/p$")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="sparsity estimate $s$",
        ylabel="sTPE",
        title=f"AR(3) data, $p = {sweep.order}$, $N = {sweep.n_train}$, {len(sweep.seeds)} seeds",
    )
    # ticks at the swept values (log-axis minor labels such as 2×10⁻² would crowd the axis)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(s, [f"{v:.3g}" for v in s], rotation=45)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def lr_sweep_figure(sweep: LearningRateSweep) -> Figure:
    """sTPE of sparse AR-Net on the small-data problem against the peak learning rate, with the
    one-cycle schedule and at a constant rate (median and range over seeds; a diverged fit
    counts as 100)."""
    fig, ax = new_figure(height=3.0)
    lrs = np.asarray(sweep.lrs)
    _median_range(ax, lrs, sweep.stpe["one-cycle"], label="one-cycle", colour=COLOURS["AR-Net"])
    _median_range(
        ax,
        lrs,
        sweep.stpe["constant"],
        label="constant rate",
        colour=PALETTE["vermillion"],
        marker="s",
        offset=1.08,
    )
    ax.axhline(
        SMALL_ARNET_STPE, ls="--", color=COLOURS["paper"], label=f"paper: {SMALL_ARNET_STPE}"
    )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="peak learning rate",
        ylabel="sTPE",
        title=rf"small data, $c_\lambda = {sweep.c_lambda}$, {len(sweep.seeds)} seeds",
    )
    ax.legend(loc="upper left", fontsize=8)
    return fig


def timing_figure(timing: TimingResult) -> Figure:
    """Fit time against the order (log-log), median of repeats with the max/min spread."""
    fig, ax = new_figure(height=3.6)
    orders = np.asarray(timing.orders, dtype=float)
    lines = [
        ("lstsq", "least squares (NumPy lstsq)", COLOURS["least squares"], "lstsq_spread"),
        ("autoreg", "statsmodels AutoReg", COLOURS["AutoReg"], None),
        ("arnet_epoch", "AR-Net, one epoch", COLOURS["AR-Net"], "arnet_spread"),
        ("arnet_full", f"AR-Net, {timing.epochs} epochs", PALETTE["vermillion"], "arnet_spread"),
    ]
    for key, name, colour, spread_key in lines:
        t = getattr(timing, key)
        if np.all(np.isnan(t)):
            continue
        if spread_key is not None and timing.repeats > 1:
            spread = getattr(timing, spread_key)
            ax.fill_between(
                orders, t / np.sqrt(spread), t * np.sqrt(spread), color=colour, alpha=0.2, lw=0
            )
        ax.loglog(orders, t, marker="o", label=name, color=colour)
    ax.set(xlabel="model order $p$", ylabel="fit time (s)", title=f"$N = {timing.n}$")
    _order_ticks(ax, timing.orders)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig


def sunspots_figure(sun: SunspotsResult) -> Figure:
    """(a) the series and the held-out years; (b) coefficients per lag for each method, AR-Net
    as median and range over seeds."""
    fig, axes = new_figure(1, 2, height=3.0)
    axes[0].plot(sun.years, sun.series, color=PALETTE["black"], lw=1)
    axes[0].axvspan(
        sun.years[-sun.n_test], sun.years[-1], color=PALETTE["sky"], alpha=0.3, label="held out"
    )
    axes[0].set(xlabel="year", ylabel="sunspot number")
    axes[0].legend(loc="upper left")
    names = list(sun.fits)
    p = sun.fits[names[0]].coef.size
    lags = np.arange(1, p + 1, dtype=float)
    style = {
        "least squares": (COLOURS["least squares"], "o"),
        "AutoReg": (COLOURS["AutoReg"], "+"),
    }
    offsets = np.linspace(-0.3, 0.3, len(names))
    for dx, name in zip(offsets, names, strict=True):
        if name in sun.coef_seeds:
            colour, marker = (
                (COLOURS["AR-Net"], "s")
                if name.startswith("sparse")
                else (COLOURS["dense AR-Net"], "^")
            )
            coef = sun.coef_seeds[name]
            med = np.median(coef, axis=0)
            err = np.vstack([med - coef.min(axis=0), coef.max(axis=0) - med])
            axes[1].errorbar(
                lags + dx, med, yerr=err, fmt=marker, ms=4, capsize=0, color=colour, label=name
            )
        else:
            colour, marker = style.get(name, (PALETTE["black"], "o"))
            axes[1].plot(lags + dx, sun.fits[name].coef, marker, ms=4, color=colour, label=name)
    axes[1].axhline(0.0, color=PALETTE["black"], lw=0.6)
    axes[1].set(xlabel="lag $i$", ylabel="$w_i$", xticks=range(1, p + 1))
    axes[1].legend(loc="upper right", fontsize=8)
    label_panels(axes)
    return fig
