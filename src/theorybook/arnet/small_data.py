"""The small-data problem of the AR-Net chapter (chapter 6, paper §4.1.1 *Small Datasets*, §5)
and its sweeps: :math:`c_\\lambda` and the learning rate.

1000 training samples of the paper's sparse process (weights 0.2, 0.3, −0.5 at lags 1, 3 and 10),
fitted at order 20 by least squares and by sparse AR-Net (``cfg.small``); the sweeps
(``cfg.sweeps``) rerun it over a grid of one setting each. Series seed ``k`` and AR-Net seed ``k``
for ``k = 0, 1, ...``; the :math:`c_\\lambda` sweep runs on the held-out seeds from
``cfg.sweeps.tune_seed0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from theorybook.arnet.baselines import _refit_top_k, fit_least_squares
from theorybook.arnet.config import Config, Density
from theorybook.arnet.data import generate_ar, sparse_coef, train_test_split
from theorybook.arnet.fit import fit_arnet
from theorybook.arnet.metrics import one_step_mse, stpe, top_k_lags
from theorybook.arnet.results import (
    CLambdaSweep,
    LearningRateSweep,
    SmallDataResult,
)
from theorybook.boundary import NonNegativeReal, Seed, checked
from theorybook.reporting import progress as progress_bar
from theorybook.runtime import seed_everything, torch_threads
from theorybook.training import TrainingDiverged
from theorybook.validation import real, seed

__all__ = ["run_c_lambda_sweep", "run_lr_sweep", "run_small_data"]


def _c_lambda(value: float | str | None, cfg: Config) -> float | Literal["paper"]:
    """The constant to use: the config's when ``value`` is None, else ``value`` checked."""
    if value is None:
        return cfg.regularizer.c_lambda
    if value == "paper":
        return "paper"
    return real("c_lambda", value, low=0.0)


def _seed_list(seeds: Sequence[int] | None, default: range) -> tuple[int, ...]:
    out = tuple(default if seeds is None else (seed(f"seeds[{i}]", s) for i, s in enumerate(seeds)))
    if not out:
        raise ValueError("seeds must not be empty")
    return out


@torch_threads()
@checked
def run_small_data(
    cfg: Config,
    *,
    c_lambda: NonNegativeReal | Literal["paper"] | None = None,
    sparsity: Density | None = None,
    seeds: Sequence[Seed] | None = None,
    progress: bool = False,
) -> SmallDataResult:
    """Fit least squares and sparse AR-Net on the paper's sparse process (``cfg.small``).

    ``c_lambda``: ``None`` for the config's constant, a number, or ``"paper"`` for the paper's
    rule :math:`\\sqrt{\\hat L}/100` (:func:`~theorybook.arnet.paper_c_lambda`). ``sparsity``:
    AR-Net's estimate ``s`` of the density of non-zero weights (default: the true ``3/p``).
    ``seeds``: default ``0 .. cfg.small.seeds - 1``.
    """
    regularizer = cfg.regularizer.replace(c_lambda=_c_lambda(c_lambda, cfg))
    training = cfg.training.replace(batch_size=cfg.small.batch)
    p = cfg.small.order
    w = sparse_coef(p)
    s_est = 3 / p if sparsity is None else sparsity
    seed_list = _seed_list(seeds, range(cfg.small.seeds))
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
            "stpe_topk",
        )
    }
    for s in progress_bar(seed_list, desc="small data", disable=not progress):
        seed_everything(s)
        train, test = train_test_split(
            generate_ar(w, cfg.small.n_train + cfg.test_n, seed=s), cfg.small.n_train
        )
        ls = fit_least_squares(train, p)
        net = fit_arnet(
            train,
            p,
            sparsity=s_est,
            epochs=cfg.small.epochs,
            seed=s,
            training=training,
            regularizer=regularizer,
        )
        cols["c_lambda_used"].append(net.c_lambda)
        cols["coef_ls"].append(ls.coef)
        cols["coef_arnet"].append(net.coef)
        cols["stpe_ls"].append(stpe(ls.coef, w))
        cols["stpe_arnet"].append(stpe(net.coef, w))
        topk = _refit_top_k(train, ls.coef, max(1, round(s_est * p)))
        cols["stpe_topk"].append(stpe(topk.coef, w))
        cols["mse_ls"].append(one_step_mse(test, ls.coef, ls.intercept))
        cols["mse_arnet"].append(one_step_mse(test, net.coef, net.intercept))
        cols["support_ok"].append(top_k_lags(net.coef) == (1, 3, 10))
        cols["support_ok_ls"].append(top_k_lags(ls.coef) == (1, 3, 10))
        cols["max_off_support"].append(float(np.max(np.abs(net.coef[off]))))
        cols["max_off_support_ls"].append(float(np.max(np.abs(ls.coef[off]))))
    arrays = {k: np.array(v) for k, v in cols.items()}
    return SmallDataResult(seeds=seed_list, c_lambda=regularizer.c_lambda, true_coef=w, **arrays)


@checked
def run_c_lambda_sweep(
    cfg: Config, *, seeds: Sequence[Seed] | None = None, progress: bool = False
) -> CLambdaSweep:
    """:func:`run_small_data` for each ``c_lambda`` in ``cfg.sweeps.c_values`` and for the
    paper's rule, on ``seeds``: by default the held-out seeds ``cfg.sweeps.tune_seed0 ..
    cfg.sweeps.tune_seed0 + cfg.sweeps.seeds - 1``, disjoint from the seeds the chapter measures
    on, so that :attr:`CLambdaSweep.best` is a constant tuned on held-out data."""
    values = cfg.sweeps.c_values
    start = cfg.sweeps.tune_seed0
    seed_list = _seed_list(seeds, range(start, start + cfg.sweeps.seeds))
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


@torch_threads()
@checked
def run_lr_sweep(
    cfg: Config,
    *,
    c_lambda: NonNegativeReal | Literal["paper"] | None = None,
    seeds: Sequence[Seed] | None = None,
    progress: bool = False,
) -> LearningRateSweep:
    """Sparse AR-Net on the small-data problem (``s = 3/p``) for each peak learning rate in
    ``cfg.sweeps.lrs``, with ``schedule="one-cycle"`` and ``"constant"`` (paper §5: the model "is
    sensitive to learning rate", and a one-cycle policy is suggested), on ``seeds`` (default
    ``0 .. cfg.sweeps.seeds - 1``). A fit that diverges (``TrainingDiverged``) counts as sTPE 100.
    """
    values = cfg.sweeps.lrs
    seed_list = _seed_list(seeds, range(cfg.sweeps.seeds))
    regularizer = cfg.regularizer.replace(c_lambda=_c_lambda(c_lambda, cfg))
    training = cfg.training.replace(batch_size=cfg.small.batch)
    p = cfg.small.order
    w = sparse_coef(p)
    schedules = ("one-cycle", "constant")
    out = {k: np.zeros((len(values), len(seed_list))) for k in schedules}
    diverged = dict.fromkeys(schedules, 0)
    jobs = [(k, i, j) for k in schedules for i in range(len(values)) for j in range(len(seed_list))]
    for k, i, j in progress_bar(jobs, desc="learning-rate sweep", disable=not progress):
        s = seed_list[j]
        seed_everything(s)
        train, _ = train_test_split(
            generate_ar(w, cfg.small.n_train + cfg.test_n, seed=s), cfg.small.n_train
        )
        try:
            net = fit_arnet(
                train,
                p,
                sparsity=3 / p,
                epochs=cfg.small.epochs,
                seed=s,
                training=training.replace(lr=values[i], schedule=k),
                regularizer=regularizer,
            )
            out[k][i, j] = stpe(net.coef, w)
        except TrainingDiverged:
            out[k][i, j] = 100.0
            diverged[k] += 1
    return LearningRateSweep(
        lrs=values, seeds=seed_list, c_lambda=regularizer.c_lambda, stpe=out, diverged=diverged
    )
