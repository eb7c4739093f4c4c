"""The experiments of the AR-Net chapter (chapter 6); each ``run_*`` returns what a figure plots.

Every experiment is seeded: series seed ``k`` and AR-Net seed ``k`` for ``k = 0, 1, ...``; the
random dense coefficients of seed ``k`` use seed ``1000 + k``. Every ``run_*`` takes the chapter's
:class:`~theorybook.arnet.Config`, runs under the book's thread policy
(:func:`theorybook.runtime.torch_threads`) and returns a frozen dataclass. Figures are drawn by
:mod:`theorybook.arnet.figures`, the claims table by :mod:`theorybook.arnet.claims`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from theorybook.arnet.config import Config
from theorybook.arnet.data import (
    AR3_WEIGHTS,
    generate_ar,
    load_sunspots,
    random_stationary_coef,
    sparse_coef,
    train_test_split,
)
from theorybook.arnet.model import (
    ARFit,
    ARNetResult,
    TrainingDiverged,
    fit_arnet,
    fit_autoreg,
    fit_least_squares,
    one_step_mse,
    regularizer_derivative,
    regularizer_terms,
    stpe,
    top_k_lags,
)
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of
from theorybook.validation import int_sequence, positive_int, positive_real, real, seed

if TYPE_CHECKING:  # pragma: no cover
    from theorybook.claims import ClaimTable

__all__ = [
    "AR3_WEIGHTS",
    "OFF_SUPPORT_TOL",
    "CLambdaSweep",
    "DenseResult",
    "HighOrderRecord",
    "LearningRateSweep",
    "RegularizerShape",
    "SmallDataResult",
    "SparseOrderResult",
    "SparsitySweep",
    "SunspotsResult",
    "TimingResult",
    "arnet_kwargs",
    "RECORD_PATH",
    "load_high_order_record",
    "load_sunspots",
    "make_claims",
    "run_c_lambda_sweep",
    "run_dense",
    "run_lr_sweep",
    "run_regularizer_shape",
    "run_small_data",
    "run_sparse_order",
    "run_sparsity_sweep",
    "run_sunspots",
    "run_timing",
    "top_k_lags",
]

OFF_SUPPORT_TOL = 0.05
"""Support recovery means every off-support ``|ŵ|`` below this (the small-data experiment)."""


def arnet_kwargs(cfg: Config) -> dict[str, Any]:
    """The AR-Net constants shared by every experiment (``batch_size``, ``lr``, ``c_lambda``,
    ``reg_eps``)."""
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be an arnet Config, got {type(cfg).__name__}")
    return {
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "c_lambda": cfg.c_lambda,
        "reg_eps": cfg.reg_eps,
    }


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegularizerShape:
    """``R`` and ``R'`` per weight on a grid of ``|θ|`` from 0 (where ``R' = ∞``)."""

    theta: NDArray[np.float64]
    r: NDArray[np.float64]
    dr: NDArray[np.float64]
    c1: float
    c2: float


def run_regularizer_shape(
    c1: float = 3.0,
    c2: float = 3.0,
    *,
    n: int = 400,
    theta_max: float = 2.0,
    progress: bool = False,
) -> RegularizerShape:
    """Tabulate the per-weight regulariser :eq:`arnet-reg` and its derivative :eq:`arnet-dreg`
    on ``n`` points of ``[0, theta_max]``, ``θ = 0`` included (``progress`` is accepted for the
    common ``run_*`` signature; there is no loop to show)."""
    n = positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be >= 2 (a grid from 0 to theta_max), got {n}")
    theta_max = positive_real("theta_max", theta_max)
    theta = np.linspace(0.0, theta_max, n)
    with np.errstate(divide="ignore"):
        dr = regularizer_derivative(theta, c1, c2)
    return RegularizerShape(
        theta=theta, r=regularizer_terms(theta, c1, c2), dr=dr, c1=float(c1), c2=float(c2)
    )


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DenseResult:
    """Dense AR(p) with known ``p``; arrays are ``(len(orders), seeds)``.

    ``max_gap`` is ``max_i |ŵ_i(AR-Net) − ŵ_i(LS)|``; MSEs are one-step on the test series, whose
    noise variance is 1. ``example`` holds (truth, LS, AR-Net) coefficients at the largest order,
    seed 0.
    """

    orders: tuple[int, ...]
    n_train: int
    stpe_ls: NDArray[np.float64]
    stpe_arnet: NDArray[np.float64]
    mse_ls: NDArray[np.float64]
    mse_arnet: NDArray[np.float64]
    max_gap: NDArray[np.float64]
    example: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


@torch_threads()
def run_dense(cfg: Config, *, progress: bool = False) -> DenseResult:
    """Paper §4.1: random stationary AR(p), AR-Net (dense) against least squares."""
    kw = arnet_kwargs(cfg)
    orders = tuple(cfg.dense_orders)
    shape = (len(orders), cfg.seeds)
    out = {k: np.zeros(shape) for k in ("stpe_ls", "stpe_arnet", "mse_ls", "mse_arnet", "max_gap")}
    example = (np.zeros(0), np.zeros(0), np.zeros(0))
    jobs = [(i, p, s) for i, p in enumerate(orders) for s in range(cfg.seeds)]
    for i, p, s in progress_bar(jobs, desc="dense AR(p)", disable=not progress):
        seed_everything(s)
        w = random_stationary_coef(p, 1000 + s)
        train, test = train_test_split(
            generate_ar(w, cfg.dense_n + cfg.test_n, seed=s), cfg.dense_n
        )
        ls = fit_least_squares(train, p)
        net = fit_arnet(train, p, epochs=cfg.dense_epochs, seed=s, **kw)
        out["stpe_ls"][i, s] = stpe(ls.coef, w)
        out["stpe_arnet"][i, s] = stpe(net.coef, w)
        out["mse_ls"][i, s] = one_step_mse(test, ls.coef, ls.intercept)
        out["mse_arnet"][i, s] = one_step_mse(test, net.coef, net.intercept)
        out["max_gap"][i, s] = float(np.max(np.abs(net.coef - ls.coef)))
        if p == max(orders) and s == 0:
            example = (w, ls.coef, net.coef)
    return DenseResult(orders=orders, n_train=cfg.dense_n, example=example, **out)


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparseOrderResult:
    """AR(3) data fitted at model orders ``orders`` (density ``s = 3/p``); arrays
    ``(orders, seeds)``."""

    orders: tuple[int, ...]
    n_train: int
    stpe_ls: NDArray[np.float64]
    stpe_arnet: NDArray[np.float64]
    mse_ls: NDArray[np.float64]
    mse_arnet: NDArray[np.float64]
    seconds_ls: NDArray[np.float64]
    seconds_arnet: NDArray[np.float64]


@torch_threads()
def run_sparse_order(
    cfg: Config,
    *,
    orders: Sequence[int] | None = None,
    n_train: int | None = None,
    seeds: int | None = None,
    progress: bool = False,
) -> SparseOrderResult:
    """Paper §4.1.1: AR(3) with weights :data:`AR3_WEIGHTS`, unknown order ``p``.

    Sparse AR-Net uses ``sparsity = 3/p`` (the true density) for ``p > 3``, plain AR-Net at
    ``p = 3``. Least squares fits the same ``p``.
    """
    kw = arnet_kwargs(cfg)
    orders = int_sequence("orders", cfg.sparse_orders if orders is None else orders, low=3)
    n = positive_int("n_train", cfg.sparse_n if n_train is None else n_train)
    n_seeds = positive_int("seeds", cfg.seeds if seeds is None else seeds)
    shape = (len(orders), n_seeds)
    out = {
        k: np.zeros(shape)
        for k in ("stpe_ls", "stpe_arnet", "mse_ls", "mse_arnet", "seconds_ls", "seconds_arnet")
    }
    w = np.asarray(AR3_WEIGHTS)
    jobs = [(i, p, s) for i, p in enumerate(orders) for s in range(n_seeds)]
    for i, p, s in progress_bar(jobs, desc="sparse AR(3), order p", disable=not progress):
        seed_everything(s)
        train, test = train_test_split(generate_ar(w, n + cfg.test_n, seed=s), n)
        ls = fit_least_squares(train, p)
        net = fit_arnet(
            train, p, sparsity=3 / p if p > 3 else None, epochs=cfg.sparse_epochs, seed=s, **kw
        )
        out["stpe_ls"][i, s] = stpe(ls.coef, w)
        out["stpe_arnet"][i, s] = stpe(net.coef, w)
        out["mse_ls"][i, s] = one_step_mse(test, ls.coef, ls.intercept)
        out["mse_arnet"][i, s] = one_step_mse(test, net.coef, net.intercept)
        out["seconds_ls"][i, s] = ls.seconds
        out["seconds_arnet"][i, s] = net.seconds
    return SparseOrderResult(orders=orders, n_train=n, **out)


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallDataResult:
    """Small-data sparse case (paper §4.1.1 "Small Datasets", Figs. 6–7): lags 1, 3, 10, order 20.

    Arrays have one entry per seed; ``coef_*`` are ``(seeds, p)``. ``support_ok[k]`` says whether
    the three largest ``|ŵ|`` of AR-Net sit exactly at lags 1, 3, 10 (``support_ok_ls`` the same
    for least squares); ``max_off_support*`` is the largest off-support ``|ŵ|``. ``c_lambda`` is
    the setting used (a number or ``"paper"``) and ``c_lambda_used`` the value per seed.
    """

    seeds: tuple[int, ...]
    c_lambda: float | str
    c_lambda_used: NDArray[np.float64]
    true_coef: NDArray[np.float64]
    coef_ls: NDArray[np.float64]
    coef_arnet: NDArray[np.float64]
    stpe_ls: NDArray[np.float64]
    stpe_arnet: NDArray[np.float64]
    mse_ls: NDArray[np.float64]
    mse_arnet: NDArray[np.float64]
    support_ok: NDArray[np.bool_]
    support_ok_ls: NDArray[np.bool_]
    max_off_support: NDArray[np.float64]
    max_off_support_ls: NDArray[np.float64]

    def off_support_clean(self, tol: float = OFF_SUPPORT_TOL) -> tuple[float, float]:
        """Fractions of seeds whose every off-support ``|ŵ|`` is below ``tol``: (AR-Net, LS)."""
        tol = positive_real("tol", tol)
        return (
            float(np.mean(self.max_off_support < tol)),
            float(np.mean(self.max_off_support_ls < tol)),
        )


@torch_threads()
def run_small_data(
    cfg: Config,
    *,
    c_lambda: float | Literal["paper"] | None = None,
    sparsity: float | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = False,
) -> SmallDataResult:
    """Fit least squares and sparse AR-Net on the paper's sparse process.

    ``sparsity``: AR-Net's estimate ``s`` of the density of non-zero weights (default: the true
    ``3/p``).

    ``c_lambda``: ``None`` for the config's constant, a number, or ``"paper"`` for the paper's
    rule :math:`\\sqrt{\\hat L}/100` (:func:`~theorybook.arnet.paper_c_lambda`).
    """
    kw = arnet_kwargs(cfg) | {"batch_size": cfg.small_batch}
    if c_lambda is not None:
        kw["c_lambda"] = c_lambda if c_lambda == "paper" else real("c_lambda", c_lambda, low=0.0)
    p = cfg.small_order
    w = sparse_coef(p)
    s_est = (
        3 / p if sparsity is None else real("sparsity", sparsity, low=0.0, high=1.0, low_open=True)
    )
    seed_list = tuple(
        range(cfg.small_seeds)
        if seeds is None
        else (seed(f"seeds[{i}]", s) for i, s in enumerate(seeds))
    )
    if not seed_list:
        raise ValueError("seeds must not be empty")
    off = np.ones(p, dtype=bool)
    off[np.flatnonzero(w)] = False
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "c_lambda_used",
            "coef_ls",
            "coef_arnet",
            "stpe_ls",
            "stpe_arnet",
            "mse_ls",
            "mse_arnet",
            "support_ok",
            "support_ok_ls",
            "max_off_support",
            "max_off_support_ls",
        )
    }
    for s in progress_bar(seed_list, desc="small data", disable=not progress):
        seed_everything(s)
        train, test = train_test_split(
            generate_ar(w, cfg.small_n + cfg.test_n, seed=s), cfg.small_n
        )
        ls = fit_least_squares(train, p)
        net = fit_arnet(train, p, sparsity=s_est, epochs=cfg.small_epochs, seed=s, **kw)
        cols["c_lambda_used"].append(net.c_lambda)
        cols["coef_ls"].append(ls.coef)
        cols["coef_arnet"].append(net.coef)
        cols["stpe_ls"].append(stpe(ls.coef, w))
        cols["stpe_arnet"].append(stpe(net.coef, w))
        cols["mse_ls"].append(one_step_mse(test, ls.coef, ls.intercept))
        cols["mse_arnet"].append(one_step_mse(test, net.coef, net.intercept))
        cols["support_ok"].append(top_k_lags(net.coef) == (1, 3, 10))
        cols["support_ok_ls"].append(top_k_lags(ls.coef) == (1, 3, 10))
        cols["max_off_support"].append(float(np.max(np.abs(net.coef[off]))))
        cols["max_off_support_ls"].append(float(np.max(np.abs(ls.coef[off]))))
    arrays = {k: np.array(v) for k, v in cols.items()}
    return SmallDataResult(seeds=seed_list, c_lambda=kw["c_lambda"], true_coef=w, **arrays)


@dataclass(frozen=True)
class CLambdaSweep:
    """The small-data problem over a grid of ``c_lambda`` values (same seeds for each).

    ``stpe`` and ``max_off_support`` are ``(len(c_values), len(seeds))``; ``paper_rule`` holds
    the paper's rule :math:`\\sqrt{\\hat L}/100` per seed, ``stpe_paper`` the sTPE with it.
    """

    c_values: tuple[float, ...]
    seeds: tuple[int, ...]
    stpe: NDArray[np.float64]
    max_off_support: NDArray[np.float64]
    paper_rule: NDArray[np.float64]
    stpe_paper: NDArray[np.float64]
    stpe_ls: NDArray[np.float64]

    @property
    def best(self) -> float:
        """The value of ``c_values`` with the lowest median sTPE over the seeds (first on ties)."""
        return self.c_values[int(np.argmin(np.median(self.stpe, axis=1)))]

    def describe(self) -> str:
        """What the choice :attr:`best` was made on, for ``Claim(calibrated_on=...)``."""
        grid = ", ".join(f"{c:g}" for c in self.c_values)
        return (
            f"c_λ = {self.best:g} chosen from {{{grid}}} by median sTPE on seeds "
            f"{', '.join(map(str, self.seeds))} of the small-data problem"
        )


def run_c_lambda_sweep(
    cfg: Config,
    c_values: Sequence[float] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
    *,
    seeds: Sequence[int] | None = None,
    progress: bool = False,
) -> CLambdaSweep:
    """:func:`run_small_data` for each ``c_lambda`` in ``c_values`` and for the paper's rule, on
    ``seeds``: by default the held-out seeds ``cfg.tune_seed0 .. cfg.tune_seed0 +
    cfg.sweep_seeds - 1``, disjoint from the seeds the chapter measures on, so that
    :attr:`CLambdaSweep.best` is a constant tuned on held-out data."""
    values = tuple(float(c) for c in c_values)
    for i, c in enumerate(values):
        real(f"c_values[{i}]", c, low=0.0)
    if not values:
        raise ValueError("c_values must not be empty")
    seed_list = tuple(
        range(cfg.tune_seed0, cfg.tune_seed0 + cfg.sweep_seeds) if seeds is None else seeds
    )
    runs = [
        run_small_data(cfg, c_lambda=c, seeds=seed_list)
        for c in progress_bar(values, desc="c_lambda sweep", disable=not progress)
    ]
    paper = run_small_data(cfg, c_lambda="paper", seeds=seed_list)
    return CLambdaSweep(
        c_values=values,
        seeds=paper.seeds,
        stpe=np.array([r.stpe_arnet for r in runs]),
        max_off_support=np.array([r.max_off_support for r in runs]),
        paper_rule=paper.c_lambda_used,
        stpe_paper=paper.stpe_arnet,
        stpe_ls=paper.stpe_ls,
    )


@dataclass(frozen=True)
class SparsitySweep:
    """The small-data problem with AR-Net's sparsity estimate ``s`` off by up to a factor of ten
    (paper §5). ``stpe`` and ``max_off_support`` are ``(len(sparsities), len(seeds))``;
    ``true_sparsity`` is the true density ``3/p``."""

    sparsities: tuple[float, ...]
    true_sparsity: float
    seeds: tuple[int, ...]
    c_lambda: float | str
    stpe: NDArray[np.float64]
    max_off_support: NDArray[np.float64]


def run_sparsity_sweep(
    cfg: Config,
    sparsities: Sequence[float] = (0.015, 0.05, 0.15, 0.5),
    *,
    c_lambda: float | Literal["paper"] | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = False,
) -> SparsitySweep:
    """:func:`run_small_data` for each estimate ``s`` in ``sparsities`` (true ``s = 0.15`` at
    ``p = 20``), on ``seeds`` (default ``0 .. cfg.sweep_seeds - 1``)."""
    values = tuple(
        real(f"sparsities[{i}]", v, low=0.0, high=1.0, low_open=True)
        for i, v in enumerate(sparsities)
    )
    if not values:
        raise ValueError("sparsities must not be empty")
    seed_list = tuple(range(cfg.sweep_seeds) if seeds is None else seeds)
    runs = [
        run_small_data(cfg, c_lambda=c_lambda, sparsity=v, seeds=seed_list)
        for v in progress_bar(values, desc="sparsity sweep", disable=not progress)
    ]
    return SparsitySweep(
        sparsities=values,
        true_sparsity=3 / cfg.small_order,
        seeds=runs[0].seeds,
        c_lambda=runs[0].c_lambda,
        stpe=np.array([r.stpe_arnet for r in runs]),
        max_off_support=np.array([r.max_off_support for r in runs]),
    )


@dataclass(frozen=True)
class LearningRateSweep:
    """The small-data problem over a grid of peak learning rates, with the one-cycle schedule and
    with a constant rate (same seeds, same epochs). ``stpe[schedule]`` is ``(len(lrs), seeds)``;
    a fit that diverged (``TrainingDiverged``) counts as sTPE 100, the metric's maximum."""

    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    c_lambda: float | str
    stpe: dict[str, NDArray[np.float64]]
    diverged: dict[str, int]

    def spread(self, schedule: str, *, low: float = 0.0) -> float:
        """Worst over best median sTPE across the learning rates ``>= low`` (1 = insensitive)."""
        keep = np.asarray(self.lrs) >= low
        if not keep.any():
            raise ValueError(f"no learning rate >= {low:g} in the sweep {self.lrs}")
        med = np.median(self.stpe[schedule][keep], axis=1)
        return float(med.max() / med.min())


@torch_threads()
def run_lr_sweep(
    cfg: Config,
    lrs: Sequence[float] = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    *,
    c_lambda: float | Literal["paper"] | None = None,
    seeds: Sequence[int] | None = None,
    progress: bool = False,
) -> LearningRateSweep:
    """Sparse AR-Net on the small-data problem (``s = 3/p``) for each peak learning rate in
    ``lrs``, with ``schedule="one-cycle"`` and ``"constant"`` (paper §5: the model "is sensitive
    to learning rate", and a one-cycle policy is suggested), on ``seeds`` (default ``0 ..
    cfg.sweep_seeds - 1``)."""
    values = tuple(positive_real(f"lrs[{i}]", v) for i, v in enumerate(lrs))
    if not values:
        raise ValueError("lrs must not be empty")
    seed_list = tuple(
        range(cfg.sweep_seeds)
        if seeds is None
        else (seed(f"seeds[{i}]", v) for i, v in enumerate(seeds))
    )
    kw = arnet_kwargs(cfg) | {"batch_size": cfg.small_batch}
    if c_lambda is not None:
        kw["c_lambda"] = c_lambda if c_lambda == "paper" else real("c_lambda", c_lambda, low=0.0)
    p = cfg.small_order
    w = sparse_coef(p)
    schedules = ("one-cycle", "constant")
    out = {k: np.zeros((len(values), len(seed_list))) for k in schedules}
    diverged = dict.fromkeys(schedules, 0)
    jobs = [(k, i, j) for k in schedules for i in range(len(values)) for j in range(len(seed_list))]
    for k, i, j in progress_bar(jobs, desc="learning-rate sweep", disable=not progress):
        s = seed_list[j]
        seed_everything(s)
        train, _ = train_test_split(generate_ar(w, cfg.small_n + cfg.test_n, seed=s), cfg.small_n)
        kw["lr"] = values[i]
        try:
            net = fit_arnet(
                train, p, sparsity=3 / p, epochs=cfg.small_epochs, seed=s, schedule=k, **kw
            )
            out[k][i, j] = stpe(net.coef, w)
        except TrainingDiverged:
            out[k][i, j] = 100.0
            diverged[k] += 1
    return LearningRateSweep(
        lrs=values, seeds=seed_list, c_lambda=kw["c_lambda"], stpe=out, diverged=diverged
    )


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimingResult:
    """Fit times (seconds, median of ``repeats`` after one warm-up) against ``p`` at ``n``
    samples, all in one run (least squares after one warm-up call).

    ``arnet_full`` is AR-Net's time for its full ``timing_max_epochs``-epoch one-cycle schedule;
    ``arnet_epoch`` that time divided by the epochs. ``*_spread`` hold (max − min) / median over
    the repeats.
    """

    orders: tuple[int, ...]
    n: int
    epochs: int
    repeats: int
    lstsq: NDArray[np.float64]
    autoreg: NDArray[np.float64]
    arnet_epoch: NDArray[np.float64]
    arnet_full: NDArray[np.float64]
    lstsq_spread: NDArray[np.float64]
    arnet_spread: NDArray[np.float64]

    @property
    def arnet_converged(self) -> NDArray[np.float64]:
        """Deprecated name of :attr:`arnet_full` (the fit runs a fixed number of epochs)."""
        warnings.warn(
            "TimingResult.arnet_converged is now arnet_full", DeprecationWarning, stacklevel=2
        )
        return self.arnet_full

    def ratio(self, name: str) -> float:
        """Time at the largest order over time at the smallest, for ``name`` in the fields above."""
        t = getattr(self, name)
        return float(t[-1] / t[0])

    def slope(self, name: str) -> float:
        """Log-log slope of time against ``p`` between the two largest orders (2 for O(p²))."""
        t = getattr(self, name)
        if len(self.orders) < 2:
            raise ValueError("slope needs at least two orders")
        return float(np.log(t[-1] / t[-2]) / np.log(self.orders[-1] / self.orders[-2]))


@torch_threads()
def run_timing(
    cfg: Config,
    *,
    orders: Sequence[int] | None = None,
    n: int | None = None,
    repeats: int | None = None,
    autoreg: bool = True,
    progress: bool = False,
) -> TimingResult:
    """Paper §4.1.2: wall time of least squares, statsmodels AutoReg and AR-Net against ``p``.

    AR-Net fits AR(3) data with ``sparsity = 3/p`` for the full ``cfg.timing_max_epochs``-epoch
    one-cycle schedule (a fixed number of epochs, as the paper's timing does); its per-epoch time
    is the fit time over the epochs. Every time is the median of ``repeats`` runs
    (:func:`theorybook.timing.best_of`). Timings are wall-clock and depend on the
    machine's load; compare ratios measured in the same run. AR-Net uses
    :func:`~theorybook.arnet.fit_arnet`'s defaults (the batch size scales with ``n``).
    """
    kw = arnet_kwargs(cfg)
    orders = int_sequence("orders", cfg.timing_orders if orders is None else orders, low=1)
    n = positive_int("n", cfg.timing_n if n is None else n)
    repeats = positive_int("repeats", cfg.timing_repeats if repeats is None else repeats)
    epochs = cfg.timing_max_epochs
    y = generate_ar(np.asarray(AR3_WEIGHTS), n, seed=0)
    res = {
        k: np.full(len(orders), np.nan)
        for k in ("lstsq", "autoreg", "arnet_full", "lstsq_spread", "arnet_spread")
    }
    for i, p in enumerate(progress_bar(orders, desc="timing", disable=not progress)):
        s = 3 / p if p > 3 else None
        ls = best_of(partial(fit_least_squares, y, p), repeats=repeats, warmup=1)
        fit = partial(fit_arnet, y, p, sparsity=s, epochs=epochs, **kw)
        net = best_of(fit, repeats=repeats, warmup=0)
        res["lstsq"][i], res["lstsq_spread"][i] = ls.median, ls.spread
        res["arnet_full"][i], res["arnet_spread"][i] = net.median, net.spread
        if autoreg:
            res["autoreg"][i] = best_of(
                partial(fit_autoreg, y, p), repeats=repeats, warmup=0
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


@dataclass(frozen=True)
class SunspotsResult:
    """Yearly sunspot numbers (statsmodels' bundled data, 1700–2008): AR(p) fits compared.

    ``fits`` maps a method name to its fit (AR-Net: seed 0); ``test_mse`` to its one-step MSE on
    the last ``n_test`` years (fits use the years before). ``coef_seeds`` and ``mse_seeds`` hold,
    for the two AR-Net variants, the coefficients ``(seeds, p)`` and test MSEs of every seed.
    """

    years: NDArray[np.float64]
    series: NDArray[np.float64]
    n_test: int
    fits: dict[str, ARFit | ARNetResult]
    test_mse: dict[str, float]
    coef_seeds: dict[str, NDArray[np.float64]]
    mse_seeds: dict[str, NDArray[np.float64]]


@torch_threads()
def run_sunspots(
    cfg: Config, *, n_test: int = 50, sparsity: float = 0.25, progress: bool = False
) -> SunspotsResult:
    """Fit least squares, AutoReg, dense AR-Net and sparse AR-Net (``s = sparsity``) at order
    ``cfg.sunspots_order`` to all but the last ``n_test`` years (AR-Net over
    ``cfg.sunspots_seeds`` seeds)."""
    seed_everything(0)
    years, y = load_sunspots()
    p = cfg.sunspots_order
    n_test = positive_int("n_test", n_test)
    sparsity = real("sparsity", sparsity, low=0.0, high=1.0, low_open=True)
    if not n_test < y.size - 2 * p:
        raise ValueError(f"n_test must lie in 1..{y.size - 2 * p - 1}, got {n_test}")
    train = y[:-n_test]
    test = y[-(n_test + p) :]  # p lags of history before the first test year
    kw = arnet_kwargs(cfg) | {"batch_size": 32}
    fits: dict[str, ARFit | ARNetResult] = {
        "least squares": fit_least_squares(train, p),
        "AutoReg": fit_autoreg(train, p),
    }
    variants = {"AR-Net": None, f"sparse AR-Net (s={sparsity:g})": sparsity}
    coef_seeds: dict[str, NDArray[np.float64]] = {}
    mse_seeds: dict[str, NDArray[np.float64]] = {}
    jobs = [(name, s) for name in variants for s in range(cfg.sunspots_seeds)]
    runs: dict[str, list[ARNetResult]] = {name: [] for name in variants}
    for name, s in progress_bar(jobs, desc="sunspots", disable=not progress):
        runs[name].append(
            fit_arnet(train, p, sparsity=variants[name], epochs=cfg.sunspots_epochs, seed=s, **kw)
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


def make_claims(*args: Any, **kwargs: Any) -> ClaimTable:
    """Deprecated: use :func:`theorybook.arnet.claims.chapter_claims`."""
    warnings.warn(
        "theorybook.arnet.experiments.make_claims is deprecated; use "
        "theorybook.arnet.chapter_claims",
        DeprecationWarning,
        stacklevel=2,
    )
    from theorybook.arnet.claims import chapter_claims

    return chapter_claims(*args, **kwargs)


# ----------------------------------------------------------------------------------------------


RECORD_PATH = Path(__file__).resolve().parents[3] / "results" / "06_ar_net" / "high_order.json"
"""Where ``scripts/arnet_high_order.py`` records the paper-size high-order grid (in a checkout)."""


@dataclass(frozen=True)
class HighOrderRecord:
    """A recorded run of the paper's high-order grid (``scripts/arnet_high_order.py``).

    ``result`` holds the numbers as a :class:`SparseOrderResult` (arrays ``(orders, seeds)``);
    ``commit``, ``recorded_on`` and ``wall_seconds`` say what produced them, and when.
    """

    result: SparseOrderResult
    commit: str
    recorded_on: str
    wall_seconds: float
    cpu: str


def load_high_order_record(path: str | Path | None = None) -> HighOrderRecord | None:
    """Read the recorded high-order grid from ``path`` (default :data:`RECORD_PATH`); ``None``
    when there is no record (e.g. outside a checkout of the repository).

    Raises ``ValueError`` when the file exists but is not such a record.
    """
    target = RECORD_PATH if path is None else Path(path)
    if not target.is_file():
        return None
    payload = json.loads(target.read_text())
    try:
        nums = payload["numbers"]
        env = payload["environment"]
        arrays = {
            k: np.asarray(nums[k], dtype=float)
            for k in (
                "stpe_ls",
                "stpe_arnet",
                "mse_ls",
                "mse_arnet",
                "seconds_ls",
                "seconds_arnet",
            )
        }
        orders = int_sequence("orders", nums["orders"], low=3)
        result = SparseOrderResult(orders=orders, n_train=int(nums["n_train"]), **arrays)
        shape = (len(orders), len(nums["seeds"]))
        if any(a.shape != shape for a in arrays.values()):
            raise ValueError(f"arrays are not {shape}")
        return HighOrderRecord(
            result=result,
            commit=str(env.get("commit")),
            recorded_on=str(env.get("timestamp", env.get("date", ""))),
            wall_seconds=float(payload["wall_seconds"]),
            cpu=str(env.get("cpu", "")),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{target} is not a high-order record: {err}") from None
