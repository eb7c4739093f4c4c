"""The three deep limits (:eq:`ntk-limits`) measured at growing finite depth.

The ReLU NTK against majority vote and the ``ξ²`` NNGP (log domain) against 1-NN on a few
training points, the designed activation's NNGP against the Hilbert classifier of exponent ``α``
(:eq:`ntk-hilbert`), and the scan of which singular exponent the NNGP and NTK classifiers match.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from theorybook.ntk.classifiers import (
    agreement,
    hilbert_classifier,
    hilbert_classifiers,
    kernel_classifier,
    majority_vote,
    one_nn,
)
from theorybook.ntk.config import Config
from theorybook.ntk.data import DirichletData, dirichlet_setting, dirichlet_sphere_data
from theorybook.ntk.dual import DESIGNED_ACTIVATIONS, resolve_activation, singular_exponent
from theorybook.ntk.kernels import kernel_sweep, nngp_kernel, ntk_kernel
from theorybook.ntk.logdomain import LogKernel, log_nngp_kernel
from theorybook.ntk.results import ExponentScan, HilbertLimit, LimitSweep
from theorybook.reporting import progress as progress_bar

__all__ = [
    "EXPONENT_GRID",
    "run_exponent_scan",
    "run_hermite_limit",
    "run_hilbert_limit",
    "run_relu_limit",
]

EXPONENT_GRID: tuple[float, ...] = tuple(float(p) for p in np.round(np.arange(0.5, 7.01, 0.25), 2))
"""The exponents ``p`` of ``sign Σ y_i ‖x − x_i‖^(−p)`` that :func:`run_exponent_scan` tries."""


_MAX_DRAWS = 10_000


def _relu_draws(cfg: Config) -> list[tuple[int, DirichletData]]:
    """The ReLU sweep's ``(data seed, data)``: as many as ``taxonomy.seeds``, the first data
    seeds from 0 up whose training labels have ``|Σ y| ≥ taxonomy.relu_min_margin``."""
    tax = cfg.taxonomy
    setting = dirichlet_setting(tax.dim)
    draws: list[tuple[int, DirichletData]] = []
    for s in range(_MAX_DRAWS):
        data = dirichlet_sphere_data(tax.n_train + tax.n_test, *setting, cfg.prior, cfg.seed + s)
        if abs(data.y[: tax.n_train].sum()) >= tax.relu_min_margin:
            draws.append((s, data))
            if len(draws) == len(tax.seeds):
                return draws
    raise ValueError(
        f"fewer than {len(tax.seeds)} of {_MAX_DRAWS} draws have |Σ y| >= "
        f"{tax.relu_min_margin}: lower taxonomy.relu_min_margin"
    )


def run_relu_limit(cfg: Config, *, progress: bool = False) -> LimitSweep:
    """ReLU NTK classifiers at growing depth against majority vote (few training points).

    Only draws with a clear majority are used (:func:`_relu_draws`): the limiting score is
    ``Σ y / (n + 3)``, and a near-tie needs depths far beyond any preset.
    """
    tax = cfg.taxonomy
    rows, seeds, sums = [], [], []
    n = tax.n_train
    for s, data in progress_bar(_relu_draws(cfg), desc="ReLU depths", disable=not progress):
        X, y, Z, _ = data.split(n)
        vote = majority_vote(y, len(Z))
        kernels = kernel_sweep(X, np.concatenate([X, Z]), tax.relu_depths, "relu", kernel="ntk")
        rows.append(
            tuple(agreement(kernel_classifier(k[:, :n], y, k[:, n:].T), vote) for k in kernels)
        )
        seeds.append(s)
        sums.append(int(y.sum()))
    return LimitSweep(
        activation="relu",
        kernel="NTK",
        limit="majority vote",
        depths=tax.relu_depths,
        seeds=tuple(seeds),
        agreement=tuple(rows),
        n_train=tax.n_train,
        n_test=tax.n_test,
        label_sums=tuple(sums),
    )


def run_hermite_limit(cfg: Config, *, progress: bool = False) -> LimitSweep:
    """``ǎ(ξ) = ξ²`` NNGP classifiers (log domain) at growing depth against 1-NN.

    The shallow kernels are rank-deficient (``ξ^(2^L)`` spans few polynomials at depth 1 and 2),
    so their solves are ill-conditioned and their classifiers defined only up to rounding: they
    are allowed (``allow_ill_conditioned=True``) as the starting point of the sweep.
    """
    tax = cfg.taxonomy
    setting = dirichlet_setting(tax.dim)
    rows = []
    for s in progress_bar(tax.seeds, desc="hermite_2 depths", disable=not progress):
        n = tax.n_train
        data = dirichlet_sphere_data(n + tax.n_test, *setting, cfg.prior, cfg.seed + s)
        X, y, Z, _ = data.split(n)
        nearest = one_nn(X, y, Z)
        both = np.concatenate([X, Z])
        row = []
        for depth in tax.hermite_depths:
            k = log_nngp_kernel(X, both, depth, "hermite_2")
            train = LogKernel(sign=k.sign[:, :n], log_abs=k.log_abs[:, :n])
            test = LogKernel(sign=k.sign[:, n:].T, log_abs=k.log_abs[:, n:].T)
            pred = kernel_classifier(train, y, test, allow_ill_conditioned=True)
            row.append(agreement(pred, nearest))
        rows.append(tuple(row))
    return LimitSweep(
        activation="hermite_2",
        kernel="NNGP",
        limit="1-NN",
        depths=tax.hermite_depths,
        seeds=tax.seeds,
        agreement=tuple(rows),
        n_train=tax.n_train,
        n_test=tax.n_test,
    )


def _hilbert_data(cfg: Config, offset: int = 0) -> tuple[np.ndarray, ...]:
    """The designed activation's data set; ``offset`` > 0 draws another one (data seed
    ``cfg.seed + offset``)."""
    act = resolve_activation(cfg.hilbert.activation)
    dim = DESIGNED_ACTIVATIONS.get(act.name, 3)
    n = cfg.hilbert.n_train
    data = dirichlet_sphere_data(
        n + cfg.hilbert.n_test, *dirichlet_setting(dim), cfg.prior, cfg.seed + offset
    )
    return data.split(n)


def run_hilbert_limit(cfg: Config, *, progress: bool = False) -> HilbertLimit:
    """NNGP classifiers of the designed activation at growing depth vs the Hilbert classifier.

    The shallowest kernels (depth 10) on many points are ill-conditioned; they are allowed
    (``allow_ill_conditioned=True``) as the starting point of the sweep.
    """
    act = resolve_activation(cfg.hilbert.activation)
    alpha = singular_exponent(act)
    X, y, Z, yz = _hilbert_data(cfg)
    hilbert = hilbert_classifier(X, y, Z, alpha)
    nearest = one_nn(X, y, Z)
    both = np.concatenate([X, Z])
    kernels = kernel_sweep(X, both, cfg.hilbert.depths, act, kernel="nngp")
    agree, nn_agree, acc = [], [], []
    n = len(X)
    for k in progress_bar(kernels, desc="designed NNGP", disable=not progress):
        pred = kernel_classifier(k[:, :n], y, k[:, n:].T, allow_ill_conditioned=True)
        agree.append(agreement(pred, hilbert))
        nn_agree.append(agreement(pred, nearest))
        acc.append(float(np.mean(pred == yz)))
    return HilbertLimit(
        activation=act.name,
        alpha=alpha,
        dim=X.shape[1],
        n_train=n,
        depths=cfg.hilbert.depths,
        deep_from=cfg.hilbert.deep_from,
        agreement=tuple(agree),
        nn_agreement=tuple(nn_agree),
        accuracy=tuple(acc),
        hilbert_accuracy=float(np.mean(hilbert == yz)),
        nn_accuracy=float(np.mean(nearest == yz)),
    )


def _scan_one(
    cfg: Config, offset: int, *, progress: bool
) -> tuple[list[float], list[float], NDArray[np.float64]]:
    """NNGP and NTK agreement with each exponent of :data:`EXPONENT_GRID` on one data set, and
    each test point's largest ``ξ`` to a training point."""
    act = resolve_activation(cfg.hilbert.activation)
    X, y, Z, _ = _hilbert_data(cfg, offset)
    n = len(X)
    both = np.concatenate([X, Z])
    k = nngp_kernel(X, both, cfg.hilbert.depths[-1], act)
    nngp_pred = kernel_classifier(k[:, :n], y, k[:, n:].T)
    k = ntk_kernel(X, both, cfg.hilbert.ntk_depth, act, normalized=True)
    ntk_pred = kernel_classifier(k[:, :n], y, k[:, n:].T)
    nearest_xi = np.max(np.clip(Z @ X.T, -1.0, 1.0), axis=1)
    grid = progress_bar(
        hilbert_classifiers(X, y, Z, EXPONENT_GRID), desc="exponents", disable=not progress
    )
    nngp_agree, ntk_agree = [], []
    for h in grid:
        nngp_agree.append(agreement(nngp_pred, h))
        ntk_agree.append(agreement(ntk_pred, h))
    return nngp_agree, ntk_agree, nearest_xi


def run_exponent_scan(cfg: Config, *, progress: bool = False) -> ExponentScan:
    """Which singular exponent the deep NNGP and NTK classifiers match (``α`` and ``α + 2``).

    The agreement curves are those of the chapter's data set (the designed-Hilbert
    experiment's); the best exponents are also found on ``hilbert.scan_seeds`` fresh draws.
    """
    act = resolve_activation(cfg.hilbert.activation)
    nngp_agree, ntk_agree, nearest_xi = _scan_one(cfg, 0, progress=progress)
    grid = np.asarray(EXPONENT_GRID)
    nngp_best, ntk_best = [], []
    for s in cfg.hilbert.scan_seeds:
        curves = (nngp_agree, ntk_agree) if s == 0 else _scan_one(cfg, s, progress=False)[:2]
        nngp_best.append(float(grid[int(np.argmax(curves[0]))]))
        ntk_best.append(float(grid[int(np.argmax(curves[1]))]))
    tiny = float(np.finfo(float).eps)
    return ExponentScan(
        activation=act.name,
        alpha=singular_exponent(act),
        exponents=EXPONENT_GRID,
        nngp_depth=cfg.hilbert.depths[-1],
        ntk_depth=cfg.hilbert.ntk_depth,
        nngp_agreement=tuple(nngp_agree),
        ntk_agreement=tuple(ntk_agree),
        eps_min=max(1.0 - float(np.max(nearest_xi)), tiny),
        eps_median=max(1.0 - float(np.median(nearest_xi)), tiny),
        seeds=cfg.hilbert.scan_seeds,
        nngp_best_per_seed=tuple(nngp_best),
        ntk_best_per_seed=tuple(ntk_best),
    )
