"""The chapter's experiments: each ``run_*`` takes the :class:`~theorybook.ntk.config.Config`
and returns a frozen result of :mod:`~theorybook.ntk.results`; :func:`run_all` runs them all.

The experiments live by concept: :mod:`~theorybook.ntk.checks` (exact identities),
:mod:`~theorybook.ntk.taxonomy` (the three deep limits and the exponent scan),
:mod:`~theorybook.ntk.consistency` (accuracy against the Bayes rule); finite width and the cost
of the recursion are here.
"""

from __future__ import annotations

import numpy as np

from theorybook.boundary import checked
from theorybook.ntk.checks import run_exact_checks
from theorybook.ntk.config import Config
from theorybook.ntk.consistency import run_consistency, run_settings
from theorybook.ntk.data import dirichlet_setting, dirichlet_sphere_data, sphere_points
from theorybook.ntk.kernels import nngp_kernel, ntk_kernel
from theorybook.ntk.reference import nngp_kernel_numpy
from theorybook.ntk.results import Results, TimingResult, TrainingResult, WidthResult
from theorybook.ntk.taxonomy import (
    run_exponent_scan,
    run_hermite_limit,
    run_hilbert_limit,
    run_relu_limit,
)
from theorybook.ntk.training import kernel_gradient_descent, train_network
from theorybook.ntk.width import empirical_nngp
from theorybook.reporting import progress as progress_bar
from theorybook.timing import best_of

__all__ = [
    "run_all",
    "run_consistency",
    "run_exact_checks",
    "run_exponent_scan",
    "run_hermite_limit",
    "run_hilbert_limit",
    "run_relu_limit",
    "run_settings",
    "run_timing",
    "run_training",
    "run_width",
]


def run_width(cfg: Config, *, progress: bool = False) -> WidthResult:
    """Empirical NNGP of random networks of growing width against :func:`nngp_kernel`."""
    w = cfg.width
    X = sphere_points(w.points, 3, cfg.seed)
    exact = nngp_kernel(X, X, w.depth, w.activation)
    deeper = nngp_kernel(X, X, w.depth + 1, w.activation)  # the null model's target
    rows, null_rows = [], []
    for s in progress_bar(w.seeds, desc="widths", disable=not progress):
        row, null_row = [], []
        for width in w.widths:
            gram = empirical_nngp(X, X, w.depth, w.activation, width=width, seed=s)
            row.append(float(np.sqrt(np.mean((gram - exact) ** 2))))
            null_row.append(float(np.sqrt(np.mean((gram - deeper) ** 2))))
        rows.append(tuple(row))
        null_rows.append(tuple(null_row))
    return WidthResult(
        activation=w.activation,
        depth=w.depth,
        widths=w.widths,
        seeds=w.seeds,
        rms_error=tuple(rows),
        rms_error_deeper=tuple(null_rows),
    )


TRAINING_NULL_ACTIVATION = "relu"
"""The activation whose kernel dynamics stand in for the right ones in the trained networks'
null model: a width rate measured against the wrong kernel should not appear."""


def run_training(cfg: Config, *, progress: bool = False) -> TrainingResult:
    """One-hidden-layer networks trained with ``optax.sgd`` against :eq:`ntk-gd`."""
    tr = cfg.training
    n = tr.n
    errors, null_errors, signs, losses = [], [], [], []
    eta = 0.0
    bar = progress_bar(total=len(tr.seeds) * len(tr.widths), desc="training", disable=not progress)
    for s in tr.seeds:
        data = dirichlet_sphere_data(
            n + tr.n_test, *dirichlet_setting(tr.dim), cfg.prior, cfg.seed + 200 + s
        )
        X, y, Z, _ = data.split(n)
        top = float(np.linalg.eigvalsh(ntk_kernel(X, X, 1, tr.activation))[-1])
        eta = tr.lr_scale * n / top
        reference = kernel_gradient_descent(
            X, y, Z, tr.activation, steps=tr.steps, learning_rate=eta
        )
        other = kernel_gradient_descent(  # the null model: another activation's kernel dynamics
            X, y, Z, TRAINING_NULL_ACTIVATION, steps=tr.steps, learning_rate=eta
        )
        err_row, null_row, sign_row, loss_row = [], [], [], []
        for w in tr.widths:
            net = train_network(
                X, y, Z, tr.activation, width=w, steps=tr.steps, learning_rate=eta, seed=s
            )
            diff = np.linalg.norm(net.test_outputs - reference) / np.linalg.norm(reference)
            err_row.append(float(diff))
            null_row.append(float(np.linalg.norm(net.test_outputs - other) / np.linalg.norm(other)))
            sign_row.append(float(np.mean(np.sign(net.test_outputs) == np.sign(reference))))
            loss_row.append(net.history.final_loss)
            bar.update()
        errors.append(tuple(err_row))
        null_errors.append(tuple(null_row))
        signs.append(tuple(sign_row))
        losses.append(tuple(loss_row))
    bar.close()
    return TrainingResult(
        activation=tr.activation,
        n=n,
        widths=tr.widths,
        seeds=tr.seeds,
        steps=tr.steps,
        learning_rate=eta,
        relative_error=tuple(errors),
        relative_error_null=tuple(null_errors),
        null_activation=TRAINING_NULL_ACTIVATION,
        sign_agreement=tuple(signs),
        final_loss=tuple(losses),
    )


def run_timing(cfg: Config, *, progress: bool = False) -> TimingResult:
    """An ``n × n`` NNGP at the configured depth: jitted ``fori_loop`` against a NumPy loop.

    The growth with ``n`` and depth is measured by ``benchmarks/bench_ntk.py`` at a size where
    fixed overheads do not dominate.
    """
    act = "3d_opt"
    n, depth = cfg.timing.n, cfg.timing.depth
    X = sphere_points(n, 3, cfg.seed)
    Z = X.copy()  # not X itself, which would take the Gram path (half the pairs)
    reps = cfg.timing.repeats
    jax_t = best_of(lambda: nngp_kernel(X, Z, depth, act), repeats=reps).median
    numpy_t = best_of(lambda: nngp_kernel_numpy(X, X, depth, act), repeats=reps, warmup=0).median
    return TimingResult(n=n, depth=depth, activation=act, jax_seconds=jax_t, numpy_seconds=numpy_t)


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order (the exact checks last).

    Arguments:
        cfg: the chapter's configuration (a preset of :class:`~theorybook.ntk.config.Config`).
        progress: show progress bars.

    Returns:
        Every experiment's result.
    """
    relu = run_relu_limit(cfg, progress=progress)
    hermite = run_hermite_limit(cfg, progress=progress)
    hilbert = run_hilbert_limit(cfg, progress=progress)
    scan = run_exponent_scan(cfg, progress=progress)
    consistency = run_consistency(cfg, progress=progress)
    settings = run_settings(cfg, progress=progress)
    width = run_width(cfg, progress=progress)
    training = run_training(cfg, progress=progress)
    timing = run_timing(cfg, progress=progress)
    exact = run_exact_checks(cfg, progress=progress)
    return Results(
        exact=exact,
        relu=relu,
        hermite=hermite,
        hilbert=hilbert,
        scan=scan,
        consistency=consistency,
        settings=settings,
        width=width,
        training=training,
        timing=timing,
    )
