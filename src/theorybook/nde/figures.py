"""Every figure of chapter 7: functions that take the experiments' results and return a
matplotlib :class:`~matplotlib.figure.Figure` in the book's style (``theorybook.plotting``).

Colours mean the same method in every panel (:data:`METHOD_COLORS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from jaxtyping import Float
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from theorybook.boundary import (
    FiniteReal,
    IntRange,
    NonNegativeInt,
    PositiveInt,
    PositiveReal,
    checked,
)
from theorybook.nde.results import (
    CirclesResult,
    LatentResult,
    SDEResult,
    SolverChecks,
)
from theorybook.plotting import PALETTE, label_panels, new_figure

GridSize = Annotated[int, IntRange(low=2, high=1000)]
"""Points per axis of a plotted grid (at most 1000: a million arrows is no figure)."""

__all__ = [
    "CLASS_COLORS",
    "METHOD_COLORS",
    "circles_training_figure",
    "latent_figure",
    "methods_figure",
    "sde_figure",
    "stiffness_figure",
    "taynode_figure",
    "trajectories",
    "vector_field",
    "vector_fields_figure",
]

METHOD_COLORS: dict[str, str] = {
    "vanilla": PALETTE["black"],
    "ernode": PALETTE["blue"],
    "srnode": PALETTE["green"],
    "steer": PALETTE["orange"],
    "taynode": PALETTE["purple"],
    "ernode+srnode": PALETTE["sky"],
    "strong": PALETTE["vermillion"],
}
"""One colour per method, in every panel of the chapter (``strong``: ERNODE at a large λ)."""

CLASS_COLORS = (PALETTE["sky"], PALETTE["vermillion"])
"""Colours of the two classes of the two-dimensional problem."""


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Centred running mean over ``window`` points (shorter at the ends)."""
    y = np.asarray(y, dtype=float)
    window = min(window, len(y))
    if window <= 1:
        return y
    k = np.ones(window)
    num = np.convolve(y, k, mode="same")
    den = np.convolve(np.ones_like(y), k, mode="same")
    return np.asarray(num / den)


@checked
def stiffness_figure(checks: SolverChecks) -> Figure:
    """Stiffness estimate ``ρ_j`` and ``h_j ρ_j / s_stab`` per accepted step on
    ``z' = diag(−1, −100) z``, from the stiff eigenvector and from a mixed start."""
    fig, (ax1, ax2) = new_figure(1, 2, height=2.8)
    for rho, h, name, col in (
        (
            checks.rho_stiff,
            checks.h_stiff,
            r"$z(0)$ on the stiff eigenvector",
            PALETTE["vermillion"],
        ),
        (checks.rho_mixed, checks.h_mixed, r"mixed $z(0)$", PALETTE["blue"]),
    ):
        t_end = np.cumsum(h)
        ax1.plot(t_end, rho, "o-", ms=3, color=col, label=name)
        ax2.plot(t_end, h * rho / checks.s_stab, "o-", ms=3, color=col)
    ax1.set(xlabel=r"$t_j$", ylabel=r"$\rho_j$", ylim=(0, 110))
    ax2.axhline(1.0, color="0.5", ls="--", lw=1)
    ax2.set(xlabel=r"$t_j$", ylabel=r"$h_j \rho_j / s_{\mathrm{stab}}$")
    ax1.legend(loc="lower right")
    label_panels([ax1, ax2])
    return fig


@checked
def circles_training_figure(circles: CirclesResult, *, smooth: PositiveInt = 15) -> Figure:
    """NFE per training solve and training cross-entropy per epoch for every method.

    Vanilla and ERNODE show the mean over all their seeds (line) and the min–max range (band);
    every curve is a running mean over ``smooth`` epochs (STEER's NFE jumps with its random end
    time from one step to the next).
    """
    fig, (ax1, ax2) = new_figure(1, 2, height=3.0)
    for name in ("vanilla", "ernode"):
        runs = [circles.runs[name], *circles.held_out.get(name, [])]
        for key, ax in (("nfe", ax1), ("loss", ax2)):
            curves = np.array([_smooth(np.asarray(r.history[key]), smooth) for r in runs])
            ep = np.asarray(runs[0].history["epoch"])
            col = METHOD_COLORS[name]
            ax.plot(ep, curves.mean(0), color=col, label=f"{name} ({len(runs)} seeds)")
            if len(runs) > 1:
                ax.fill_between(ep, curves.min(0), curves.max(0), color=col, alpha=0.2, lw=0)
    for name in (m for m in circles.runs if m not in ("vanilla", "ernode")):
        r = circles.runs[name]
        for key, ax in (("nfe", ax1), ("loss", ax2)):
            ax.plot(
                r.history["epoch"],
                _smooth(np.asarray(r.history[key]), smooth),
                color=METHOD_COLORS[name],
                label=f"{name} (1 seed)",
            )
    for r in circles.sweep:
        for key, ax in (("nfe", ax1), ("loss", ax2)):
            ax.plot(
                r.history["epoch"],
                _smooth(np.asarray(r.history[key]), smooth),
                color=METHOD_COLORS["strong"],
                ls="--",
                label=f"ernode λ={r.lam0:g} (1 seed)",
            )
    ax1.set(xlabel="epoch", ylabel="NFE per training solve")
    ax2.set(xlabel="epoch", ylabel="training cross-entropy", yscale="log")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    label_panels([ax1, ax2])
    return fig


@checked
def methods_figure(result: CirclesResult) -> Figure:
    """Test NFE, test accuracy, training time and prediction time of every method: one dot per
    seed, a bar at the mean and a line from the lowest to the highest seed."""
    fig, axes = new_figure(2, 2, height=4.6)
    names = list(result.runs)
    panels = (
        ("test NFE", lambda r: float(r.test_nfe)),
        ("test accuracy", lambda r: r.test_acc),
        ("training time (s)", lambda r: r.train_seconds),
        ("prediction time (ms)", lambda r: 1e3 * r.predict_seconds),
    )
    for ax, (label, get) in zip(np.ravel(axes), panels, strict=True):
        for i, name in enumerate(names):
            vals = np.array([get(r) for r in result.all_seeds(name)])
            col = METHOD_COLORS.get(name, PALETTE["black"])
            ax.bar(i, vals.mean(), color=col, alpha=0.35, width=0.7)
            ax.vlines(i, vals.min(), vals.max(), color=col, lw=2)
            ax.plot(np.full(len(vals), i), vals, "o", color=col, ms=3)
        ax.set_xticks(range(len(names)), [n.replace("+", "+\n") for n in names], fontsize=7)
        ax.set(ylabel=label)
        if label == "test accuracy":
            lo = min(min(r.test_acc for r in result.all_seeds(n)) for n in names)
            ax.set_ylim(max(0.0, lo - 0.03), 1.0)
    label_panels(list(np.ravel(axes)))
    return fig


def _classifier(model: object, dim: int | None = 2) -> Any:
    """``model`` itself if it is a :class:`~theorybook.nde.train_torch.NODEClassifier` (whose
    state has ``dim`` dimensions, if given), else ``TypeError``/``ValueError`` naming it."""
    from theorybook.nde.train_torch import NODEClassifier

    if not isinstance(model, NODEClassifier):
        raise TypeError(f"model must be a NODEClassifier, got {type(model).__name__}")
    if dim is not None and model.func.dim != dim:
        raise ValueError(f"model must have a {dim}-dimensional state, got {model.func.dim}")
    return model


@checked
def vector_field(
    model: Any, t: FiniteReal = 0.5, lim: PositiveReal = 2.5, n: GridSize = 21
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The learned field ``f(t, z)`` on an ``n × n`` grid of ``[−lim, lim]²``: ``(X, Y, U, V)``.

    Arguments:
        model: a trained two-dimensional :class:`~theorybook.nde.train_torch.NODEClassifier`
            (its ``func`` is drawn).
        t: the time.
        lim: the half-width of the grid.
        n: grid points per axis (2 to 1000).

    Returns:
        ``(X, Y, U, V)``.
    """
    import torch

    model = _classifier(model)
    g = np.linspace(-lim, lim, n)
    xx, yy = np.meshgrid(g, g)
    w = next(model.parameters())
    z = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1)).to(w.device, w.dtype)
    with torch.no_grad():
        v = model.func(torch.tensor(float(t), device=w.device), z).cpu().double().numpy()
    return xx, yy, v[:, 0].reshape(n, n), v[:, 1].reshape(n, n)


@checked
def trajectories(
    model: Any,
    x: Float[np.ndarray, "n dim"],
    n_times: Annotated[int, IntRange(low=2, high=100_000)] = 30,
) -> np.ndarray:
    """Solutions ``z(t)`` from the points ``x`` on ``n_times`` times in ``[0, 1]``: shape
    ``(n_times, len(x), dim)`` (solved by :func:`~theorybook.nde.solver_torch.regularized_odeint`
    with the model's tolerances and step cap).

    Arguments:
        model: a trained :class:`~theorybook.nde.train_torch.NODEClassifier`.
        x: the start points ``(n, dim)``, ``dim`` the model's.
        n_times: the save times (2 to 100,000).

    Returns:
        The states ``(n_times, n, dim)``.

    Raises:
        TypeError, ValueError: for malformed arguments.
        SolverError: if the solve fails (a model whose dynamics blow up from ``x``).
    """
    import torch

    from theorybook.nde.solver_torch import _regularized_odeint

    model = _classifier(model, dim=None)
    if x.shape[1] != model.func.dim:
        raise ValueError(f"x must have the model's {model.func.dim} columns, got {x.shape[1]}")
    w = next(model.parameters())
    with np.errstate(over="ignore"):
        x0 = torch.from_numpy(np.asarray(x, dtype=np.float64)).to(w.device, w.dtype)
    if not bool(torch.isfinite(x0).all()):
        raise ValueError(f"x overflows the model's dtype {w.dtype}")
    t = torch.linspace(0.0, 1.0, n_times, dtype=torch.float64, device=w.device)
    with torch.no_grad():
        zs, _ = _regularized_odeint(
            model.func,
            x0,
            t,
            rtol=model.rtol,
            atol=model.atol,
            land_on_end=True,
            options={"max_num_steps": model.max_num_steps},
        )
    return zs.cpu().double().numpy()


def _class_names(problem: str) -> tuple[str, str]:
    """Legend names of the two classes of a 2-D problem (label 0, label 1)."""
    if problem == "circles":
        return ("outer circle", "inner circle")
    if problem == "moons":
        return ("upper moon", "lower moon")
    return ("class 0", "class 1")


@checked
def vector_fields_figure(
    circles: CirclesResult, *, n_points: PositiveInt = 120, n_grid: GridSize = 15
) -> Figure:
    """The learned fields ``f_θ(0.5, z)`` of vanilla, ERNODE and the strongest swept λ, with the
    test points' trajectories, on shared axes (wide enough for every trajectory) and one arrow
    scale, so that arrow lengths compare across panels.

    Arguments:
        circles: the classifier runs (:func:`~theorybook.nde.experiments.run_circles`).
        n_points: test points whose trajectories are drawn.
        n_grid: arrows per axis.

    Returns:
        The figure.
    """
    shown = [("vanilla", circles.runs["vanilla"]), ("ernode", circles.runs["ernode"])]
    if circles.sweep:
        strong = max(circles.sweep, key=lambda r: r.lam0)
        shown.append((f"ernode λ={strong.lam0:g}", strong))
    x_show = circles.data.x_test[:n_points]
    y_show = circles.data.y_test[:n_points]
    trajs = [trajectories(r.model, x_show) for _, r in shown]
    lim = float(np.ceil(2 * (max(np.percentile(np.abs(tr), 99.5) for tr in trajs) + 0.2)) / 2)
    fields = [vector_field(r.model, t=0.5, lim=lim, n=n_grid) for _, r in shown]
    speed = max(float(np.percentile(np.hypot(f[2], f[3]), 90)) for f in fields)
    spacing = 2 * lim / (n_grid - 1)
    fig, axes = new_figure(1, len(shown), height=7.0 / len(shown) + 0.9, sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (name, run), (xx, yy, uu, vv), traj in zip(axes, shown, fields, trajs, strict=True):
        ax.quiver(
            xx,
            yy,
            uu,
            vv,
            color="0.55",
            angles="xy",
            scale_units="xy",
            scale=speed / (0.9 * spacing),
            width=0.006,
        )
        for cls, col in enumerate(CLASS_COLORS):
            sel = y_show == cls
            ax.plot(traj[:, sel, 0], traj[:, sel, 1], color=col, lw=0.6, alpha=0.7)
            ax.plot(traj[-1, sel, 0], traj[-1, sel, 1], ".", color=col, ms=3)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel=r"$z_1$")
        ax.set_title(f"{name}: {run.test_nfe} NFE", fontsize=9)
        ax.grid(False)
    axes[0].set_ylabel(r"$z_2$")
    handles = [
        *(
            Line2D([], [], color=col, label=label)
            for col, label in zip(CLASS_COLORS, _class_names(circles.data.name), strict=True)
        ),
        Line2D(
            [], [], color="0.55", marker=r"$\rightarrow$", ls="", ms=10, label=r"$f_\theta(0.5, z)$"
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    label_panels(axes)
    return fig


@checked
def taynode_figure(jax_runs: Mapping[str, Any]) -> Figure:
    """JAX training: NFE of each training solve, and the median time of one jitted iteration.

    Arguments:
        jax_runs: the :class:`~theorybook.nde.results.TaynodeResult` of
            :func:`~theorybook.nde.experiments.run_taynode_comparison` (or any mapping of method
            names to :class:`~theorybook.nde.train_jax.JaxNodeRun`).

    Returns:
        The figure.

    Raises:
        ValueError: if ``jax_runs`` is empty (there would be nothing to draw).
    """
    if len(jax_runs) == 0:
        raise ValueError("taynode_figure: jax_runs is empty; pass at least one method's run")
    fig, (ax1, ax2) = new_figure(1, 2, height=2.8)
    names = list(jax_runs)
    for m in names:
        ax1.plot(jax_runs[m].history["nfe"], color=METHOD_COLORS.get(m, "0.5"), label=m)
    ax2.bar(
        names,
        [1e3 * jax_runs[m].iter_seconds for m in names],
        color=[METHOD_COLORS.get(m, "0.5") for m in names],
    )
    ax1.set(xlabel="iteration", ylabel="NFE of the training solve")
    ax2.set(xlabel="method", ylabel="ms per iteration (median)")
    ax1.legend(loc="upper left")
    label_panels([ax1, ax2])
    return fig


@checked
def latent_figure(latent: LatentResult, *, index: NonNegativeInt = 0) -> Figure:
    """Latent ODE: NFE per training solve for each run, and the reconstruction of the test
    trajectory ``index`` (``< n_test``) by vanilla and the first ERNODE run."""
    import torch

    n_test = latent.data.x_test.shape[0]
    if index >= n_test:
        raise ValueError(f"index must be < {n_test} (the number of test trajectories), got {index}")

    fig, (ax1, ax2) = new_figure(1, 2, height=3.2)
    extra = iter([METHOD_COLORS["strong"], PALETTE["yellow"], PALETTE["sky"]])
    styles = [
        METHOD_COLORS.get(name) or (METHOD_COLORS["ernode"] if i == 1 else next(extra, "0.5"))
        for i, name in enumerate(latent.runs)
    ]
    for (name, run), col in zip(latent.runs.items(), styles, strict=False):
        ax1.plot(
            run.history["epoch"], _smooth(np.asarray(run.history["nfe"]), 5), color=col, label=name
        )
    ax1.set(xlabel="epoch", ylabel="NFE per training solve")
    ax1.legend(loc="upper left", fontsize=7)
    d = latent.data
    t = torch.from_numpy(np.asarray(d.t, dtype=np.float32))  # the model's precision
    t_fine = torch.linspace(0.0, float(d.t[-1]), 200)
    xi = torch.from_numpy(np.asarray(d.x_test[index : index + 1], dtype=np.float32))
    mi = torch.from_numpy(np.asarray(d.mask_test[index : index + 1], dtype=np.float32))
    obs = d.mask_test[index] > 0
    ax2.plot(
        d.x_test[index, obs, 0], d.x_test[index, obs, 1], "o", color="0.3", ms=4, label="observed"
    )
    ax2.plot(
        d.x_test[index, ~obs, 0], d.x_test[index, ~obs, 1], "x", color="0.3", ms=5, label="held out"
    )
    for (name, run), col in list(zip(latent.runs.items(), styles, strict=False))[:2]:
        dev = next(run.model.parameters()).device
        out = run.model.reconstruct(t.to(dev), xi.to(dev), mi.to(dev), t_fine.to(dev))[0]
        rec = out.cpu().numpy()
        ax2.plot(rec[:, 0], rec[:, 1], color=col, label=f"{name} ({run.test_nfe} NFE)")
    ax2.set(xlabel=r"$x_1$", ylabel=r"$x_2$", aspect="equal")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    label_panels([ax1, ax2])
    return fig


@checked
def sde_figure(sde: SDEResult, *, smooth: PositiveInt = 15) -> Figure:
    """Neural SDE: (a) adaptive steps per sample path during training on the first seed (running
    mean over ``smooth`` iterations) and (b) test MSE against test steps per path of every run
    on every seed (the first seed filled, the others hollow), the ``λ`` chosen on each seed's
    validation paths circled."""
    fig, (ax1, ax2) = new_figure(1, 2, height=2.8)
    styles = [METHOD_COLORS["vanilla"], PALETTE["sky"], METHOD_COLORS["ernode"]]
    styles += [PALETTE["green"], METHOD_COLORS["strong"], PALETTE["purple"], PALETTE["orange"]]
    for (name, run), col in zip(sde.runs.items(), styles, strict=False):
        ax1.plot(_smooth(np.asarray(run.history["steps"]), smooth), color=col, label=name)
    for i, res in enumerate(sde.per_seed()):
        chosen = res.main_ernode()
        for run, col in zip(res.runs.values(), styles, strict=False):
            x, y = run.test_steps, sde.mse(run.test_loss, sde.data)
            ax2.plot(x, y, "o", color=col, ms=6, mfc=col if i == 0 else "none")
            if run is chosen:
                ax2.plot(x, y, "o", mfc="none", mec="0.3", ms=12)
    ax1.set(xlabel="iteration", ylabel="steps per sample path")
    ax2.set(xlabel="test steps per path", ylabel="test MSE (means, variances)", yscale="log")
    ax1.legend(loc="upper right", fontsize=7)
    label_panels([ax1, ax2])
    return fig
