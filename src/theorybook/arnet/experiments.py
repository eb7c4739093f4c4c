"""The experiments of the AR-Net chapter (chapter 6); each ``run_*`` returns what a figure plots.

Every experiment is seeded: series seed ``k`` and AR-Net seed ``k`` for ``k = 0, 1, ...``; the
random dense coefficients of seed ``k`` use seed ``1000 + k``. Every ``run_*`` takes the chapter's
:class:`~theorybook.arnet.Config`, runs under the book's thread policy
(:func:`theorybook.runtime.torch_threads`) and returns a frozen dataclass of
:mod:`theorybook.arnet.results`; the small-data problem and its sweeps are in
:mod:`theorybook.arnet.small_data`. :func:`run_all` runs them all. Figures are drawn by
:mod:`theorybook.arnet.figures`, the claims table by :mod:`theorybook.arnet.claims`.
"""

from __future__ import annotations

import functools
from functools import partial
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray

from theorybook.arnet.baselines import (
    ARFit,
    _fit_autoreg,
    _fit_least_squares,
    _refit_top_k,
    fit_autoreg,
    fit_least_squares,
)
from theorybook.arnet.config import Config
from theorybook.arnet.data import (
    AR3_WEIGHTS,
    generate_ar,
    load_sunspots,
    random_stationary_coef,
    train_test_split,
)
from theorybook.arnet.fit import ARNetResult, fit_arnet
from theorybook.arnet.metrics import one_step_mse, stpe
from theorybook.arnet.recorded import load_high_order_record
from theorybook.arnet.regularizer import (
    _paper_c_lambda,
    regularizer_derivative,
    regularizer_terms,
)
from theorybook.arnet.results import (
    DenseResult,
    RegularizerShape,
    Results,
    SparseOrderResult,
    SparsitySweep,
    SunspotsResult,
    TimingResult,
)
from theorybook.arnet.small_data import (
    run_c_lambda_sweep,
    run_lr_sweep,
    run_small_data,
)
from theorybook.boundary import IntRange, NonNegativeReal, PositiveReal, checked
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of

__all__ = [
    "run_all",
    "run_dense",
    "run_regularizer_shape",
    "run_sparse_order",
    "run_sparsity_sweep",
    "run_sunspots",
    "run_timing",
]


# ----------------------------------------------------------------------------------------------


@checked(finite_result=False)
def run_regularizer_shape(
    cfg: Config,
    *,
    points: Annotated[int, IntRange(low=2)] = 400,
    theta_max: PositiveReal = 2.0,
    progress: bool = False,
) -> RegularizerShape:
    """Tabulate the per-weight regulariser :eq:`arnet-reg` and its derivative :eq:`arnet-dreg`
    with ``cfg.regularizer``'s :math:`c_1, c_2` on ``points`` points of ``[0, theta_max]``,
    ``θ = 0`` included (``progress`` is accepted for the common ``run_*`` signature; there is no
    loop to show). ``dr`` is ``+inf`` at ``θ = 0`` (the root's slope), so the result is not
    checked for infinities."""
    c1, c2 = cfg.regularizer.c1, cfg.regularizer.c2
    theta = np.linspace(0.0, theta_max, points)
    with np.errstate(divide="ignore"):
        dr = np.asarray(regularizer_derivative(theta, c1, c2))
    r = np.asarray(regularizer_terms(theta, c1, c2))
    return RegularizerShape(theta=theta, r=r, dr=dr, c1=c1, c2=c2)


@torch_threads()
@checked
def run_dense(cfg: Config, *, progress: bool = False) -> DenseResult:
    """Paper §4.1: random stationary AR(p), AR-Net (dense) against least squares."""
    orders = tuple(cfg.dense.orders)
    shape = (len(orders), cfg.seeds)
    names = ("stpe_ls", "stpe_arnet", "mse_ls", "mse_arnet", "max_gap", "ls_error")
    out = {k: np.zeros(shape) for k in names}
    example = (np.zeros(0), np.zeros(0), np.zeros(0))
    jobs = [(i, p, s) for i, p in enumerate(orders) for s in range(cfg.seeds)]
    for i, p, s in progress_bar(jobs, desc="dense AR(p)", disable=not progress):
        seed_everything(s)
        w = random_stationary_coef(p, 1000 + s)
        train, test = train_test_split(
            generate_ar(w, cfg.dense.n_train + cfg.test_n, seed=s), cfg.dense.n_train
        )
        ls = fit_least_squares(train, p)
        net = fit_arnet(
            train,
            p,
            epochs=cfg.dense.epochs,
            seed=s,
            training=cfg.training,
            regularizer=cfg.regularizer,
        )
        out["stpe_ls"][i, s] = stpe(ls.coef, w)
        out["stpe_arnet"][i, s] = stpe(net.coef, w)
        out["mse_ls"][i, s] = one_step_mse(test, ls.coef, ls.intercept)
        out["mse_arnet"][i, s] = one_step_mse(test, net.coef, net.intercept)
        out["max_gap"][i, s] = float(np.max(np.abs(net.coef - ls.coef)))
        out["ls_error"][i, s] = float(np.max(np.abs(ls.coef - w)))
        if p == max(orders) and s == 0:
            example = (w, ls.coef, net.coef)
    return DenseResult(orders=orders, n_train=cfg.dense.n_train, example=example, **out)


@functools.lru_cache(maxsize=8)
def _sparse_series(
    cfg: Config, seed: int, p: int, c_lambda: float | Literal["paper"]
) -> tuple[NDArray[np.float64], NDArray[np.float64], ARFit, float]:
    """Series ``seed`` of the AR(3) process (train, test; read-only), its least-squares fit at
    order ``p`` and AR-Net's :math:`c_\\lambda` on it (the paper's rule from that fit's residual
    when ``c_lambda == "paper"``).

    Cached: :func:`run_sparsity_sweep` refits the last series of :func:`run_sparse_order` at its
    largest order, and reuses their least-squares fits instead of factorising them again.
    """
    train, test = train_test_split(
        generate_ar(np.asarray(AR3_WEIGHTS), cfg.sparse.n_train + cfg.test_n, seed=seed),
        cfg.sparse.n_train,
    )
    train, test = np.array(train), np.array(test)
    train.flags.writeable = test.flags.writeable = False
    ls = fit_least_squares(train, p)
    if c_lambda != "paper":
        return train, test, ls, float(c_lambda)
    residual = one_step_mse(train, ls.coef, ls.intercept)
    return train, test, ls, _paper_c_lambda(train, p, residual_ms=residual)


@torch_threads()
@checked
def run_sparse_order(
    cfg: Config,
    *,
    c_lambda: NonNegativeReal | Literal["paper"] = "paper",
    progress: bool = False,
) -> SparseOrderResult:
    """Paper §4.1.1: AR(3) with weights :data:`~theorybook.arnet.AR3_WEIGHTS`, unknown order
    ``p`` in ``cfg.sparse.orders``, ``cfg.seeds`` series of ``cfg.sparse.n_train`` samples.

    Sparse AR-Net uses ``sparsity = 3/p`` (the true density) for ``p > 3``, plain AR-Net at
    ``p = 3``, with ``c_lambda`` (default the paper's rule :math:`\\sqrt{\\hat L}/100`). Least
    squares fits the same ``p``; least squares refitted on its three largest weights
    (:func:`~theorybook.arnet.fit_top_k_least_squares`) is told the same density as AR-Net.
    """
    orders = cfg.sparse.orders
    shape = (len(orders), cfg.seeds)
    out = {
        k: np.zeros(shape)
        for k in (
            "stpe_ls",
            "stpe_arnet",
            "stpe_topk",
            "mse_ls",
            "mse_arnet",
            "seconds_ls",
            "seconds_arnet",
        )
    }
    w = np.asarray(AR3_WEIGHTS)
    jobs = [(i, p, s) for i, p in enumerate(orders) for s in range(cfg.seeds)]
    for i, p, s in progress_bar(jobs, desc="sparse AR(3), order p", disable=not progress):
        seed_everything(s)
        train, test, ls, c_value = _sparse_series(cfg, s, p, c_lambda)
        net = fit_arnet(
            train,
            p,
            sparsity=3 / p if p > 3 else None,
            epochs=cfg.sparse.epochs,
            seed=s,
            training=cfg.training,
            regularizer=cfg.regularizer.replace(c_lambda=c_value),
        )
        out["stpe_ls"][i, s] = stpe(ls.coef, w)
        out["stpe_arnet"][i, s] = stpe(net.coef, w)
        out["stpe_topk"][i, s] = stpe(_refit_top_k(train, ls.coef, 3).coef, w)
        out["mse_ls"][i, s] = one_step_mse(test, ls.coef, ls.intercept)
        out["mse_arnet"][i, s] = one_step_mse(test, net.coef, net.intercept)
        out["seconds_ls"][i, s] = ls.seconds
        out["seconds_arnet"][i, s] = net.seconds
    return SparseOrderResult(orders=orders, n_train=cfg.sparse.n_train, c_lambda=c_lambda, **out)


@torch_threads()
@checked
def run_sparsity_sweep(
    cfg: Config,
    *,
    c_lambda: NonNegativeReal | Literal["paper"] = "paper",
    progress: bool = False,
) -> SparsitySweep:
    """Paper §5 ("insensitive to the estimated sparsity s for estimates up to one magnitude
    off"): the AR(3) data of :func:`run_sparse_order` fitted at ``p = cfg.sparse.sweep_order``
    with ``s = f · 3/p`` for ``f`` in ``cfg.sparse.sweep_factors``, on series ``0 ..
    cfg.sparse.sweep_seeds - 1``; AR-Net with ``c_lambda`` (default the paper's rule, computed
    once per series), least squares refitted on its ``round(s·p)`` largest weights with the same
    ``s``, and plain least squares."""
    p = cfg.sparse.sweep_order
    true_s = 3 / p
    values = tuple(f * true_s for f in cfg.sparse.sweep_factors)
    seeds = tuple(range(cfg.sparse.sweep_seeds))
    w = np.asarray(AR3_WEIGHTS)
    arnet, topk = np.zeros((len(values), len(seeds))), np.zeros((len(values), len(seeds)))
    ls_stpe = np.zeros(len(seeds))
    for j in progress_bar(seeds, desc="sparsity sweep", disable=not progress):
        train, _, ls, c_value = _sparse_series(cfg, j, p, c_lambda)
        ls_stpe[j] = stpe(ls.coef, w)
        for i, s_est in enumerate(values):
            seed_everything(j)
            net = fit_arnet(
                train,
                p,
                sparsity=s_est,
                epochs=cfg.sparse.epochs,
                seed=j,
                training=cfg.training,
                regularizer=cfg.regularizer.replace(c_lambda=c_value),
            )
            arnet[i, j] = stpe(net.coef, w)
            topk[i, j] = stpe(_refit_top_k(train, ls.coef, max(1, round(s_est * p))).coef, w)
    return SparsitySweep(
        order=p,
        n_train=cfg.sparse.n_train,
        sparsities=values,
        true_sparsity=true_s,
        seeds=seeds,
        c_lambda=c_lambda,
        stpe=arnet,
        stpe_topk=topk,
        stpe_ls=ls_stpe,
    )


# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------


@torch_threads()
@checked(finite_result=False)
def run_timing(cfg: Config, *, progress: bool = False) -> TimingResult:
    """Paper §4.1.2: wall time of least squares, statsmodels AutoReg and AR-Net against ``p``
    (``cfg.timing``).

    AR-Net fits AR(3) data with ``sparsity = 3/p`` for the full ``cfg.timing.epochs``-epoch
    one-cycle schedule (a fixed number of epochs, as the paper's timing does); its per-epoch time
    is the fit time over the epochs. Every time is the median of ``cfg.timing.repeats`` runs
    (:func:`theorybook.timing.best_of`) after one untimed run (for AR-Net, the run that compiles
    its scan for that order: a one-off cost per order and process, not part of a fit's time). Timings are wall-clock and depend on the machine's load;
    compare ratios measured in the same run. AR-Net uses the chapter's constants
    (``cfg.training``: the batch size scales with ``n``). With ``cfg.timing.autoreg = False``
    the ``autoreg`` times are NaN (not timed), so the result is not checked for NaN.
    """
    orders, n, repeats, epochs = (
        cfg.timing.orders,
        cfg.timing.n,
        cfg.timing.repeats,
        cfg.timing.epochs,
    )
    y = generate_ar(np.asarray(AR3_WEIGHTS), n, seed=0)
    res = {
        k: np.full(len(orders), np.nan)
        for k in ("lstsq", "autoreg", "arnet_full", "lstsq_spread", "arnet_spread")
    }
    for i, p in enumerate(progress_bar(orders, desc="timing", disable=not progress)):
        s = 3 / p if p > 3 else None
        # the unchecked twins: the argument checks are not part of the fit's time
        ls = best_of(partial(_fit_least_squares, y, p), repeats=repeats, warmup=1)
        fit = partial(
            fit_arnet,
            y,
            p,
            sparsity=s,
            epochs=epochs,
            training=cfg.training,
            regularizer=cfg.regularizer,
        )
        net = best_of(fit, repeats=repeats, warmup=1)
        res["lstsq"][i], res["lstsq_spread"][i] = ls.median, ls.spread
        res["arnet_full"][i], res["arnet_spread"][i] = net.median, net.spread
        if cfg.timing.autoreg:
            res["autoreg"][i] = best_of(
                partial(_fit_autoreg, y, p), repeats=repeats, warmup=0
            ).median
    return TimingResult(
        orders=orders,
        n=n,
        epochs=epochs,
        repeats=repeats,
        arnet_epoch=res["arnet_full"] / epochs,
        **res,
    )


# ----------------------------------------------------------------------------------------------


@torch_threads()
@checked
def run_sunspots(cfg: Config, *, progress: bool = False) -> SunspotsResult:
    """Fit least squares, AutoReg, dense AR-Net and sparse AR-Net (``s = cfg.sunspots.sparsity``)
    at order ``cfg.sunspots.order`` to all but the last ``cfg.sunspots.n_test`` years (AR-Net
    over ``cfg.sunspots.seeds`` seeds, mini-batches of ``cfg.sunspots.batch``)."""
    seed_everything(0)
    years, y = load_sunspots()
    p = cfg.sunspots.order
    n_test = cfg.sunspots.n_test
    sparsity = cfg.sunspots.sparsity
    if not n_test < y.size - 2 * p:
        raise ValueError(f"n_test must lie in 1..{y.size - 2 * p - 1}, got {n_test}")
    train = y[:-n_test]
    test = y[-(n_test + p) :]  # p lags of history before the first test year
    training = cfg.training.replace(batch_size=cfg.sunspots.batch)
    fits: dict[str, ARFit | ARNetResult] = {
        "least squares": fit_least_squares(train, p),
        "AutoReg": fit_autoreg(train, p),
    }
    variants = {"AR-Net": None, f"sparse AR-Net (s={sparsity:g})": sparsity}
    coef_seeds: dict[str, NDArray[np.float64]] = {}
    mse_seeds: dict[str, NDArray[np.float64]] = {}
    jobs = [(name, s) for name in variants for s in range(cfg.sunspots.seeds)]
    runs: dict[str, list[ARNetResult]] = {name: [] for name in variants}
    for name, s in progress_bar(jobs, desc="sunspots", disable=not progress):
        runs[name].append(
            fit_arnet(
                train,
                p,
                sparsity=variants[name],
                epochs=cfg.sunspots.epochs,
                seed=s,
                training=training,
                regularizer=cfg.regularizer,
            )
        )
    for name, nets in runs.items():
        fits[name] = nets[0]
        coef_seeds[name] = np.array([r.coef for r in nets])
        mse_seeds[name] = np.array([one_step_mse(test, r.coef, r.intercept) for r in nets])
    mse = {name: one_step_mse(test, f.coef, f.intercept) for name, f in fits.items()}
    return SunspotsResult(
        years=years,
        series=y,
        n_test=n_test,
        fits=fits,
        test_mse=mse,
        coef_seeds=coef_seeds,
        mse_seeds=mse_seeds,
    )


# ----------------------------------------------------------------------------------------------


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order, and the recorded high-order
    grid (``None`` without a record).

    The unknown-order experiment and the sweep of the sparsity estimate run with the paper's rule
    for :math:`c_\\lambda` at the paper's sample size (the reproduction rows); the small-data
    problem runs with the rule too, then the :math:`c_\\lambda` sweep on held-out seeds picks a
    constant, with which the tuned small-data run and the learning-rate sweep run.
    """
    shape = run_regularizer_shape(cfg)
    dense = run_dense(cfg, progress=progress)
    sparse = run_sparse_order(cfg, progress=progress)
    record = load_high_order_record()
    small = run_small_data(cfg, c_lambda="paper", progress=progress)
    sweep = run_c_lambda_sweep(cfg, progress=progress)
    tuned = run_small_data(cfg, c_lambda=sweep.best, progress=progress)
    sparsity_sweep = run_sparsity_sweep(cfg, progress=progress)
    lr_sweep = run_lr_sweep(cfg, c_lambda=sweep.best, progress=progress)
    timing = run_timing(cfg, progress=progress)
    sunspots = run_sunspots(cfg, progress=progress)
    return Results(
        dense=dense,
        small=small,
        shape=shape,
        sparse=sparse,
        record=record,
        sweep=sweep,
        tuned=tuned,
        sparsity_sweep=sparsity_sweep,
        lr_sweep=lr_sweep,
        timing=timing,
        sunspots=sunspots,
    )
