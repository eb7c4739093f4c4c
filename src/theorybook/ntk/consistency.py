"""Consistency: the designed activations' classifiers against the Bayes rule and the baselines.

On Dirichlet data with a known Bayes rule, the designed ``Nd_opt`` NNGP classifier, the Hilbert
classifier of exponent ``D − 1`` (:eq:`ntk-hilbert`), 1-NN and majority vote are measured on
the same test points: against the number of training points on the ``D = 2`` setting, and at one
``n`` on the other official settings. :func:`limit_accuracies` gives the two accuracies the
trend is read against: the Bayes rule's and the one 1-NN tends to as ``n → ∞``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theorybook.boundary import PositiveInt, PositiveReal, Seed, checked
from theorybook.ntk.classifiers import (
    agreement,
    bayes_classifier,
    hilbert_classifiers,
    kernel_classifier,
    majority_vote,
    one_nn,
)
from theorybook.ntk.config import Config
from theorybook.ntk.data import ClassPrior, dirichlet_setting, dirichlet_sphere_data
from theorybook.ntk.dual import resolve_activation, singular_exponent
from theorybook.ntk.kernels import nngp_gram, nngp_kernel
from theorybook.ntk.results import ConsistencyResult, SettingsResult
from theorybook.reporting import progress as progress_bar

__all__ = ["METHODS", "OFF_EXPONENT", "limit_accuracies", "run_consistency", "run_settings"]

METHODS = ("Bayes", "1-NN", "majority vote", "Hilbert", "kernel")
"""The classifiers compared, in the order of the results' ``accuracy`` mappings."""

OFF_EXPONENT = 0.75
"""The Hilbert classifiers that challenge the designed kernel's agreement with exponent ``α``
have exponents ``α ± OFF_EXPONENT``: the nearest points of the exponent scan's grid (step 0.25)
more than 0.5 away from ``α``, as for the ``D = 3`` row."""


@checked
def limit_accuracies(
    alphas1: Sequence[PositiveReal],
    alphas2: Sequence[PositiveReal],
    prior: ClassPrior,
    samples: PositiveInt = 200_000,
    seed: Seed = 0,
) -> tuple[float, float]:
    """The Bayes accuracy and the accuracy 1-NN tends to as ``n → ∞`` on Dirichlet data.

    With ``η(x) = P(y = +1 | x)``, the Bayes rule is right with probability
    ``E[max(η, 1 − η)]`` and the 1-NN rule, in the limit, with probability
    ``E[η² + (1 − η)²]`` (Cover & Hart, 1967: the nearest neighbour's label is an independent
    draw from ``η`` at the same point). Both expectations are Monte Carlo averages over
    ``samples`` points drawn from the data distribution (standard error about ``3e-4`` for the
    default). ``η`` is computed from the two Dirichlet densities on the simplex, as in
    :func:`~theorybook.ntk.classifiers.bayes_classifier`.

    Arguments:
        alphas1: the Dirichlet concentrations of class +1.
        alphas2: those of class −1 (same length).
        prior: the probability of class +1.
        samples: Monte Carlo sample size.
        seed: the seed of the draws.

    Returns:
        ``(Bayes accuracy, asymptotic 1-NN accuracy)``.
    """
    from scipy.stats import dirichlet

    a1, a2 = np.asarray(alphas1, float), np.asarray(alphas2, float)
    if a1.size != a2.size or a1.size < 2:
        raise ValueError(f"alphas1 and alphas2 need the same length >= 2, got {a1.size}, {a2.size}")
    rng = np.random.default_rng(seed)
    positive = rng.random(samples) < prior
    s = np.where(positive[:, None], rng.dirichlet(a1, samples), rng.dirichlet(a2, samples))
    s = np.maximum(s, 1e-300)
    s /= s.sum(axis=1, keepdims=True)
    log1 = dirichlet.logpdf(s.T, a1) + np.log(prior)
    log2 = dirichlet.logpdf(s.T, a2) + np.log1p(-prior)
    eta = 1.0 / (1.0 + np.exp(np.clip(log2 - log1, -700.0, 700.0)))
    bayes = float(np.mean(np.maximum(eta, 1.0 - eta)))
    nearest = float(np.mean(eta**2 + (1.0 - eta) ** 2))
    return bayes, nearest


def run_consistency(cfg: Config, *, progress: bool = False) -> ConsistencyResult:
    """Bayes, 1-NN, majority vote, Hilbert and the designed NNGP classifier against ``n``.

    Per seed, one draw of ``max(ns)`` training and ``n_test`` test points; the training sets
    are nested (the first ``n`` points), so the kernel is computed once, for the largest ``n``,
    and sliced (each entry depends on its pair of points only).
    """
    con = cfg.consistency
    act = resolve_activation(con.activation)
    alpha = singular_exponent(act)
    setting = dirichlet_setting(con.dim)
    off = tuple(p for p in (alpha - OFF_EXPONENT, alpha + OFF_EXPONENT) if p > 0)
    acc: dict[str, list[list[float]]] = {m: [] for m in METHODS}
    agree: list[list[float]] = []
    off_agree: list[list[float]] = []
    bar = progress_bar(
        total=len(con.seeds) * len(con.ns), desc="accuracy vs n", disable=not progress
    )
    n_max = con.ns[-1]
    for s in con.seeds:
        data = dirichlet_sphere_data(n_max + con.n_test, *setting, cfg.prior, cfg.seed + 100 + s)
        X_all, y_all, Z, yz = data.split(n_max)
        bayes = float(np.mean(bayes_classifier(Z, *setting, cfg.prior) == yz))
        gram = nngp_gram(X_all, con.depth, act)
        cross = nngp_kernel(Z, X_all, con.depth, act)  # (m, n): one row per test point
        rows: dict[str, list[float]] = {m: [] for m in METHODS}
        agree_row, off_row = [], []
        for n in con.ns:
            X, y = X_all[:n], y_all[:n]
            pred = kernel_classifier(gram[:n, :n], y, cross[:, :n])
            hilbert, *others = hilbert_classifiers(X, y, Z, (alpha, *off))
            rows["Bayes"].append(bayes)
            rows["1-NN"].append(float(np.mean(one_nn(X, y, Z) == yz)))
            rows["majority vote"].append(float(np.mean(majority_vote(y, len(Z)) == yz)))
            rows["Hilbert"].append(float(np.mean(hilbert == yz)))
            rows["kernel"].append(float(np.mean(pred == yz)))
            agree_row.append(agreement(pred, hilbert))
            off_row.append(max(agreement(pred, other) for other in others))
            bar.update()
        for m in METHODS:
            acc[m].append(rows[m])
        agree.append(agree_row)
        off_agree.append(off_row)
    bar.close()
    limit_bayes, limit_nn = limit_accuracies(*setting, cfg.prior, seed=cfg.seed)
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
        off_exponents=off,
        kernel_off_agreement=tuple(tuple(r) for r in off_agree),
        limit_bayes=limit_bayes,
        limit_one_nn=limit_nn,
    )


def run_settings(cfg: Config, *, progress: bool = False) -> SettingsResult:
    """The designed ``Nd_opt`` NNGP classifiers on the other official Dirichlet settings."""
    off = cfg.official
    acc: dict[str, list[float]] = {m: [] for m in METHODS}
    agree, off_agree, names = [], [], []
    n = off.n
    for dim in progress_bar(off.dims, desc="settings", disable=not progress):
        name = f"{dim}d_opt"
        alpha = singular_exponent(name)
        setting = dirichlet_setting(dim)
        data = dirichlet_sphere_data(n + off.n_test, *setting, cfg.prior, cfg.seed + dim)
        X, y, Z, yz = data.split(n)
        k = nngp_kernel(X, np.concatenate([X, Z]), off.depth, name)
        pred = kernel_classifier(k[:, :n], y, k[:, n:].T)
        hilbert, *others = hilbert_classifiers(
            X, y, Z, (alpha, alpha - OFF_EXPONENT, alpha + OFF_EXPONENT)
        )
        off_agree.append(max(agreement(pred, other) for other in others))
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
        kernel_off_agreement=tuple(off_agree),
    )
