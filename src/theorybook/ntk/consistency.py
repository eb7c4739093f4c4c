"""Consistency: the designed activations' classifiers against the Bayes rule and the baselines.

On Dirichlet data with a known Bayes rule, the designed ``Nd_opt`` NNGP classifier, the Hilbert
classifier of exponent ``D − 1`` (:eq:`ntk-hilbert`), 1-NN and majority vote are measured on
the same test points: against the number of training points on the ``D = 2`` setting, and at one
``n`` on the other official settings.
"""

from __future__ import annotations

import numpy as np

from theorybook.ntk.classifiers import (
    agreement,
    bayes_classifier,
    hilbert_classifier,
    kernel_classifier,
    majority_vote,
    one_nn,
)
from theorybook.ntk.config import Config
from theorybook.ntk.data import dirichlet_setting, dirichlet_sphere_data
from theorybook.ntk.dual import resolve_activation, singular_exponent
from theorybook.ntk.kernels import nngp_kernel
from theorybook.ntk.results import ConsistencyResult, SettingsResult
from theorybook.reporting import progress as progress_bar

__all__ = ["METHODS", "run_consistency", "run_settings"]

METHODS = ("Bayes", "1-NN", "majority vote", "Hilbert", "kernel")
"""The classifiers compared, in the order of the results' ``accuracy`` mappings."""


def run_consistency(cfg: Config, *, progress: bool = False) -> ConsistencyResult:
    """Bayes, 1-NN, majority vote, Hilbert and the designed NNGP classifier against ``n``."""
    con = cfg.consistency
    act = resolve_activation(con.activation)
    alpha = singular_exponent(act)
    setting = dirichlet_setting(con.dim)
    acc: dict[str, list[list[float]]] = {m: [] for m in METHODS}
    agree: list[list[float]] = []
    total = len(con.seeds) * len(con.ns)
    bar = progress_bar(total=total, desc="accuracy vs n", disable=not progress)
    for s in con.seeds:
        n_max = con.ns[-1]
        data = dirichlet_sphere_data(n_max + con.n_test, *setting, cfg.prior, cfg.seed + 100 + s)
        Z, yz = data.X[n_max:], data.y[n_max:]
        bayes = float(np.mean(bayes_classifier(Z, *setting, cfg.prior) == yz))
        rows: dict[str, list[float]] = {m: [] for m in METHODS}
        agree_row = []
        for n in con.ns:
            X, y = data.X[:n], data.y[:n]
            k = nngp_kernel(X, np.concatenate([X, Z]), con.depth, act)
            pred = kernel_classifier(k[:, :n], y, k[:, n:].T)
            hilbert = hilbert_classifier(X, y, Z, alpha)
            rows["Bayes"].append(bayes)
            rows["1-NN"].append(float(np.mean(one_nn(X, y, Z) == yz)))
            rows["majority vote"].append(float(np.mean(majority_vote(y, len(Z)) == yz)))
            rows["Hilbert"].append(float(np.mean(hilbert == yz)))
            rows["kernel"].append(float(np.mean(pred == yz)))
            agree_row.append(agreement(pred, hilbert))
            bar.update()
        for m in METHODS:
            acc[m].append(rows[m])
        agree.append(agree_row)
    bar.close()
    return ConsistencyResult(
        dim=con.dim,
        activation=act.name,
        depth=con.depth,
        alpha=alpha,
        ns=con.ns,
        seeds=con.seeds,
        n_test=con.n_test,
        accuracy={m: tuple(tuple(r) for r in acc[m]) for m in METHODS},
        kernel_hilbert_agreement=tuple(tuple(r) for r in agree),
    )


def run_settings(cfg: Config, *, progress: bool = False) -> SettingsResult:
    """The designed ``Nd_opt`` NNGP classifiers on the other official Dirichlet settings."""
    off = cfg.official
    acc: dict[str, list[float]] = {m: [] for m in METHODS}
    agree, names = [], []
    n = off.n
    for dim in progress_bar(off.dims, desc="settings", disable=not progress):
        name = f"{dim}d_opt"
        alpha = singular_exponent(name)
        setting = dirichlet_setting(dim)
        data = dirichlet_sphere_data(n + off.n_test, *setting, cfg.prior, cfg.seed + dim)
        X, y, Z, yz = data.split(n)
        k = nngp_kernel(X, np.concatenate([X, Z]), off.depth, name)
        pred = kernel_classifier(k[:, :n], y, k[:, n:].T)
        hilbert = hilbert_classifier(X, y, Z, alpha)
        acc["Bayes"].append(float(np.mean(bayes_classifier(Z, *setting, cfg.prior) == yz)))
        acc["1-NN"].append(float(np.mean(one_nn(X, y, Z) == yz)))
        acc["majority vote"].append(float(np.mean(majority_vote(y, len(Z)) == yz)))
        acc["Hilbert"].append(float(np.mean(hilbert == yz)))
        acc["kernel"].append(float(np.mean(pred == yz)))
        agree.append(agreement(pred, hilbert))
        names.append(name)
    return SettingsResult(
        dims=off.dims,
        activations=tuple(names),
        n=n,
        n_test=off.n_test,
        depth=off.depth,
        accuracy={m: tuple(v) for m, v in acc.items()},
        kernel_hilbert_agreement=tuple(agree),
    )
