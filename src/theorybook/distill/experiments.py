"""Experiments of chapter 5 (*Self-distillation with ground-truth guidance*).

Each ``run_*(cfg, *, progress=False)`` takes the chapter's
:class:`~theorybook.distill.config.Config` and returns a frozen dataclass of
:mod:`~theorybook.distill.results`; :func:`run_all` runs them all into one
:class:`~theorybook.distill.results.Results`, which the figures
(:mod:`~theorybook.distill.figures`) draw and :func:`~theorybook.distill.claims.chapter_claims`
turns into the chapter's *What we reproduced* table. The data (toy, published numbers, digits
split) live in :mod:`~theorybook.distill.data`, the network in :mod:`~theorybook.distill.deep`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.kernel_ridge import KernelRidge

from theorybook.boundary import Seed, checked
from theorybook.distill.alpha import (
    alpha_grid,
    greedy_optimal_alphas,
    krr_step_alpha_search,
    optimal_alpha,
)
from theorybook.distill.config import Config
from theorybook.distill.data import ToyProblem, mobahi_toy, random_problem
from theorybook.distill.estimate import (
    grid_optimum_interval,
    krr_training_projection,
    training_projection,
)
from theorybook.distill.kernel import (
    distill_fits,
    distill_fits_by_refitting,
    distill_predict,
    eigen_weights,
    kernel_eigen,
    limit_fit,
    limit_predict,
    limit_weights,
    sparsification_ratios,
)
from theorybook.distill.results import (
    ESTIMATE,
    AlphaSearchResult,
    ConvergenceResult,
    DeepResult,
    DeepSeedResult,
    ExactnessResult,
    Results,
    SparsificationResult,
    ToyResult,
    TrainingProjectionResult,
)
from theorybook.timing import Timer

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "run_all",
    "run_alpha_search",
    "run_convergence",
    "run_deep_digits",
    "run_exactness",
    "run_sparsification",
    "run_toy",
    "run_training_projection",
]

Array = NDArray[np.float64]


def _mse(pred: Array, truth: Array) -> Array:
    return np.asarray(np.mean((pred - truth) ** 2, axis=-1))


def _toy(cfg: Config) -> ToyProblem:
    return mobahi_toy(gamma=cfg.toy.gamma, lam=cfg.toy.lam)


# --------------------------------------------------------------------------- kernel part


@checked
def run_toy(cfg: Config, *, progress: bool = False) -> ToyResult:
    """Losses of the toy for each ``cfg.toy.alphas`` over ``cfg.toy.steps`` steps, and t → ∞.

    Milliseconds: ``progress`` is accepted for a uniform signature and shows nothing.
    """
    prob = _toy(cfg)
    preds = np.stack(
        [
            distill_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=a, steps=cfg.toy.steps)
            for a in cfg.toy.alphas
        ]
    )
    lim = np.stack(
        [limit_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=a) for a in cfg.toy.alphas]
    )
    return ToyResult(
        prob, tuple(cfg.toy.alphas), _mse(preds, prob.truth), _mse(lim, prob.truth), preds, lim
    )


@checked
def run_exactness(cfg: Config, seed: Seed = 0, *, progress: bool = False) -> ExactnessResult:
    """Compare :func:`distill_fits`/:func:`distill_predict` with scikit-learn refits.

    Two problems: the toy, and ``cfg.exactness.n_random`` random points in ``[0, 1]³``
    (:func:`~theorybook.distill.data.random_problem`), both in float64.

    Arguments:
        cfg: the chapter's configuration (``cfg.toy`` and ``cfg.exactness``)
        seed: the seed of the random problem
        progress: accepted for the uniform signature (milliseconds: no bar)

    Returns:
        The :class:`~theorybook.distill.results.ExactnessResult`.
    """
    prob = _toy(cfg)
    rp = random_problem(cfg.exactness.n_random, seed=seed)
    diffs_toy: list[float] = []
    diffs_rand: list[float] = []
    diffs_sum: list[float] = []
    d = kernel_eigen(prob.K).d
    T = cfg.exactness.steps
    for a in cfg.exactness.alphas:
        for K, Kt, y, lam, out in (
            (prob.K, prob.K_grid, prob.y, prob.lam, diffs_toy),
            (rp.K, rp.K_test, rp.y, rp.lam, diffs_rand),
        ):
            fits_ref, preds_ref = distill_fits_by_refitting(
                K, y, lam=lam, alpha=a, steps=T, K_test=Kt
            )
            out.append(
                float(np.max(np.abs(distill_fits(K, y, lam=lam, alpha=a, steps=T) - fits_ref)))
            )
            out.append(
                float(
                    np.max(np.abs(distill_predict(K, Kt, y, lam=lam, alpha=a, steps=T) - preds_ref))
                )
            )
        rec = eigen_weights(d, lam=prob.lam, alpha=a, steps=T)
        diffs_sum.append(
            float(
                np.max(np.abs(rec - eigen_weights(d, lam=prob.lam, alpha=a, steps=T, method="sum")))
            )
        )
    return ExactnessResult(
        tuple(cfg.exactness.alphas),
        T,
        max(diffs_toy),
        max(diffs_rand),
        cfg.exactness.n_random,
        max(diffs_sum),
    )


@checked
def run_convergence(cfg: Config, *, progress: bool = False) -> ConvergenceResult:
    """On the toy: geometric convergence to KRR with λ/α, and the collapse at α = 0."""
    prob = _toy(cfg)
    d = kernel_eigen(prob.K).d
    A = d / (d + prob.lam)
    T = cfg.convergence.steps
    errs, ratios, vs_sk, lim_sk, fixed = [], [], [], [], []
    for a in cfg.convergence.alphas:
        B = eigen_weights(d, lam=prob.lam, alpha=a, steps=T)
        Binf = limit_weights(d, lam=prob.lam, alpha=a)
        gap = np.abs(B - Binf)
        errs.append(gap.max(axis=1))
        fixed.append(float(np.max(np.abs(A * ((1 - a) * Binf + a) - Binf))))
        if a < 1.0:
            bound = (1.0 - a) ** np.arange(T)[:, None] * gap[0]
            ratios.append(float(np.max(gap - bound)) / max(float(gap[0].max()), 1e-300))
        sk = KernelRidge(alpha=prob.lam / a, kernel="precomputed").fit(prob.K, prob.y)
        sk_fit = sk.predict(prob.K)
        vs_sk.append(
            float(
                np.max(
                    np.abs(
                        distill_fits(prob.K, prob.y, lam=prob.lam, alpha=a, steps=T)[-1] - sk_fit
                    )
                )
            )
        )
        lim_sk.append(
            float(np.max(np.abs(limit_fit(prob.K, prob.y, lam=prob.lam, alpha=a) - sk_fit)))
        )
    fits0 = distill_fits(prob.K, prob.y, lam=prob.lam, alpha=0.0, steps=T)
    norms = np.linalg.norm(fits0, axis=1) / np.linalg.norm(prob.y)
    a_max = d[0] / (d[0] + prob.lam)
    loss0 = _mse(
        distill_predict(prob.K, prob.K_grid, prob.y, lam=prob.lam, alpha=0.0, steps=T), prob.truth
    )
    return ConvergenceResult(
        tuple(cfg.convergence.alphas),
        np.stack(errs),
        max(ratios) if ratios else 0.0,
        np.asarray(vs_sk),
        np.asarray(lim_sk),
        np.asarray(fixed),
        norms,
        a_max ** np.arange(1, T + 1),
        loss0,
    )


@checked
def run_sparsification(cfg: Config, *, progress: bool = False) -> SparsificationResult:
    """Eigen-weight ratios across steps (Mobahi's sparsification), α = 0 vs ``cfg.sparsification.alpha``."""
    prob = _toy(cfg)
    d = kernel_eigen(prob.K).d
    r0 = sparsification_ratios(
        eigen_weights(d, lam=prob.lam, alpha=0.0, steps=cfg.sparsification.steps)
    )
    ra = sparsification_ratios(
        eigen_weights(
            d, lam=prob.lam, alpha=cfg.sparsification.alpha, steps=cfg.sparsification.steps
        )
    )
    rl = sparsification_ratios(limit_weights(d, lam=prob.lam, alpha=cfg.sparsification.alpha))
    return SparsificationResult(cfg.sparsification.alpha, r0, ra, rl, d)


@checked
def run_alpha_search(cfg: Config, *, progress: bool = False) -> AlphaSearchResult:
    """α* on the toy, with the truth sin 2πx on the grid as reference.

    The teacher of step ``cfg.search.at_step`` comes from pure self-distillation (α = 0 at the
    earlier steps); α* is clipped to [0, 1] and compared with a grid of step
    ``cfg.search.grid_step``; both are timed ``cfg.search.repeats`` times (medians).
    """
    prob = _toy(cfg)
    prev = distill_fits(prob.K, prob.y, lam=prob.lam, alpha=0.0, steps=cfg.search.at_step - 1)[-1]
    search = krr_step_alpha_search(
        prob.K,
        prob.K_grid,
        prob.y,
        prob.truth,
        prob.lam,
        prev,
        grid=alpha_grid(cfg.search.grid_step),
        repeats=cfg.search.repeats,
    )
    ac, lc = greedy_optimal_alphas(
        prob.K, prob.K_grid, prob.y, prob.truth, prob.lam, cfg.toy.steps, clip=True
    )
    af, lf = greedy_optimal_alphas(
        prob.K, prob.K_grid, prob.y, prob.truth, prob.lam, cfg.toy.steps, clip=False
    )
    return AlphaSearchResult(cfg.search.at_step, search, ac, lc, af, lf)


#: ridges of :func:`run_training_projection`'s extra problems, and random label vectors per ridge.
PROJECTION_RIDGES = (1e-3, 1e-2, 1e-1, 1.0, 10.0)
PROJECTION_LABELS = 4


@checked
def run_training_projection(
    cfg: Config, seed: Seed = 0, *, progress: bool = False
) -> TrainingProjectionResult:
    """The step-2 projection on the training targets against its floor ``1 + 1/a₁``.

    Problems: the toy (its labels and λ); the random 3-D problem of ``cfg.exactness.n_random``
    points with its labels and λ; and on that kernel, :data:`PROJECTION_LABELS` Gaussian label
    vectors for each ridge in :data:`PROJECTION_RIDGES`.

    Arguments:
        cfg: the chapter's configuration (``cfg.toy`` and ``cfg.exactness.n_random``)
        seed: the seed of the random problem and of the label vectors
        progress: accepted for the uniform signature (milliseconds: no bar)

    Returns:
        The :class:`~theorybook.distill.results.TrainingProjectionResult`.
    """
    prob = _toy(cfg)
    rp = random_problem(cfg.exactness.n_random, seed=seed)
    rng = np.random.default_rng(seed)
    cases: list[tuple[np.ndarray, np.ndarray, float]] = [
        (prob.K, prob.y, prob.lam),
        (rp.K, rp.y, rp.lam),
    ]
    cases += [
        (rp.K, np.asarray(rng.standard_normal(rp.K.shape[0])), lam)
        for lam in PROJECTION_RIDGES
        for _ in range(PROJECTION_LABELS)
    ]
    pairs = np.asarray([krr_training_projection(K, y, lam) for K, y, lam in cases])
    what = (
        f"the toy; {cfg.exactness.n_random} random 3-D points with their labels; and "
        f"{PROJECTION_LABELS} Gaussian label vectors on that kernel for each "
        f"λ ∈ {{{', '.join(f'{lam:g}' for lam in PROJECTION_RIDGES)}}}"
    )
    return TrainingProjectionResult(pairs[:, 0], pairs[:, 1], what)


# --------------------------------------------------------------------------- digits network


@checked
def run_deep_digits(cfg: Config, *, progress: bool = False) -> DeepResult:
    """Self-distil an MLP on label-noisy digits for several α and for the estimated α̂.

    Per seed of ``cfg.deep.seeds``: the teacher (step 1, labels only); chains of
    ``cfg.deep.steps`` steps for each fixed α; a chain with the held-out estimate ``α̂`` of
    :eq:`distill-alpha-hat` (each step: train the ``α = 0`` student from the chain's previous
    student, project the validation softmax outputs of the teacher and of that student on the
    validation one-hot labels with :func:`~theorybook.distill.alpha.optimal_alpha`, unclipped,
    and train the student at ``α̂``); at step 2 a grid of α from the shared teacher, scored by
    validation MSE, with the bootstrap interval of its best weight over the validation points
    (:func:`~theorybook.distill.estimate.grid_optimum_interval`); and the step-2 projection on the
    *training* targets (:func:`~theorybook.distill.estimate.training_projection`, the negative
    control), which needs no extra student. All students share one initialisation seed, so a student is determined by
    its α history and the α = 1 student is the teacher itself. The configuration was chosen on
    :data:`~theorybook.distill.config.SELECTION_SEEDS`, which ``cfg.deep.seeds`` may not
    contain. Runs under the book's thread policy (:func:`theorybook.runtime.torch_threads`); a
    diverging student raises :class:`~theorybook.training.TrainingDiverged`.
    """
    from theorybook.reporting import progress as progress_bar
    from theorybook.runtime import device, torch_threads

    dev = device()
    grid = alpha_grid(cfg.deep.grid_step)
    results: list[DeepSeedResult] = []
    noisy: list[float] = []
    start = time.perf_counter()
    bar = progress_bar(desc="students trained", disable=not progress)
    try:
        with torch_threads():
            for seed in cfg.deep.seeds:
                results.append(_deep_seed(cfg, seed, dev, grid, bar, noisy))
    finally:
        bar.close()
    return DeepResult(
        tuple(results), cfg.deep.steps, str(dev), time.perf_counter() - start, float(np.mean(noisy))
    )


def _deep_seed(
    cfg: Config,
    seed: int,
    dev: torch.device,
    grid: Array,
    bar: Any,
    noisy: list[float],
) -> DeepSeedResult:
    """One seed of :func:`run_deep_digits`."""
    import torch
    import torch.nn.functional as F

    from theorybook.distill.data import load_digits_split
    from theorybook.distill.deep import predict_proba, train_student
    from theorybook.runtime import seed_everything

    seed_everything(seed)
    data = load_digits_split(cfg.digits, seed=seed)
    noisy.append(data.noisy_fraction)

    def as_tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=dev)

    X, y = as_tensor(data.X_train), as_tensor(data.y_train)
    Xv, yv = as_tensor(data.X_val), as_tensor(data.y_val)
    Xte, yte = as_tensor(data.X_test), as_tensor(data.y_test)
    onehot_val = F.one_hot(yv, 10).double().cpu().numpy()
    onehot_train = F.one_hot(y, 10).double().cpu().numpy()  # the (noisy) training targets
    init = 1000 * seed + 17
    cache: dict[tuple[float, ...], dict[str, Any]] = {}
    seconds: dict[tuple[float, ...], float] = {}

    def key_of(history: tuple[float, ...]) -> tuple[float, ...]:
        key = tuple(round(a, 12) for a in history)
        return () if key and key[-1] == 1.0 else key  # an α = 1 student is step 1

    def student(history: tuple[float, ...]) -> dict[str, Any]:
        key = key_of(history)
        if key in cache:
            return cache[key]
        teacher_p = None if not key else student(key[:-1])["p_train"]
        with Timer() as tm:
            model = train_student(
                X,
                y,
                teacher_p,
                key[-1] if key else 1.0,
                training=cfg.training,
                init_seed=init,
                step=len(key) + 1,
            )
        seconds[key] = tm.seconds
        bar.update(1)
        p_train = predict_proba(model, X)
        pv = predict_proba(model, Xv).double().cpu().numpy()
        out = {
            "p_train": p_train,
            "p_train_np": p_train.double().cpu().numpy(),
            "p_val": pv,
            "val_loss": float(np.mean((pv - onehot_val) ** 2)),
            "test_acc": float((predict_proba(model, Xte).argmax(1) == yte).float().mean()),
        }
        cache[key] = out
        return out

    teacher = student(())
    grid_students = [student((float(a),)) for a in grid]
    grid_val = np.asarray([s["val_loss"] for s in grid_students])
    grid_acc = np.asarray([s["test_acc"] for s in grid_students])
    point_losses = np.stack(
        [np.mean((s["p_val"] - onehot_val) ** 2, axis=1) for s in grid_students]
    )
    best = float(grid[int(np.argmin(grid_val))])
    interval = grid_optimum_interval(point_losses, grid, seed=seed)
    seconds_grid = float(sum(seconds[key_of((float(a),))] for a in grid if a < 1.0))
    alpha_train = training_projection(
        teacher["p_train_np"], student((0.0,))["p_train_np"], onehot_train
    )
    chains: dict[str, tuple[float, ...]] = {}
    losses: dict[str, tuple[float, ...]] = {}
    for a in cfg.deep.fixed_alphas:
        hist: tuple[float, ...] = ()
        accs, vls = [teacher["test_acc"]], [teacher["val_loss"]]
        for _ in range(cfg.deep.steps - 1):
            hist = hist + (float(a),)
            s = student(hist)
            accs.append(s["test_acc"])
            vls.append(s["val_loss"])
        chains[f"α={a:g}"], losses[f"α={a:g}"] = tuple(accs), tuple(vls)

    # the held-out estimate at every step: project the validation outputs of the α = 1 student
    # (the teacher) and of the step's α = 0 student on the validation labels, unconstrained
    hist = ()
    accs, vls = [teacher["test_acc"]], [teacher["val_loss"]]
    a_hats: list[float] = []
    for _ in range(2, cfg.deep.steps + 1):
        s0 = student(hist + (0.0,))
        a_hat = optimal_alpha(teacher["p_val"], s0["p_val"], onehot_val, clip=False)
        a_hats.append(a_hat)
        hist = hist + (a_hat,)
        s = student(hist)
        accs.append(s["test_acc"])
        vls.append(s["val_loss"])
    chains[ESTIMATE], losses[ESTIMATE] = tuple(accs), tuple(vls)
    seconds_estimate = seconds[(0.0,)] + seconds.get(key_of((a_hats[0],)), 0.0)
    return DeepSeedResult(
        seed=seed,
        chains=chains,
        chain_val_loss=losses,
        alpha_hat=tuple(a_hats),
        alpha_train=alpha_train,
        grid=grid,
        grid_val_loss=grid_val,
        grid_test_acc=grid_acc,
        alpha_grid_best=best,
        grid_best_interval=interval,
        seconds_estimate=seconds_estimate,
        seconds_grid=seconds_grid,
    )


# --------------------------------------------------------------------------- the chapter


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order, as one :class:`Results`.

    The kernel experiments take milliseconds; the digits network (:func:`run_deep_digits`)
    takes the run's time, and ``progress`` shows its bar.
    """
    return Results(
        toy=run_toy(cfg),
        exactness=run_exactness(cfg),
        convergence=run_convergence(cfg),
        sparsification=run_sparsification(cfg),
        alpha_search=run_alpha_search(cfg),
        training_projection=run_training_projection(cfg),
        deep=run_deep_digits(cfg, progress=progress),
    )
