"""The digits-network experiment of chapter 5 (*Self-distillation with ground-truth guidance*).

:func:`run_deep_digits` self-distils a small MLP on label-noisy digits: chains of distillation
steps with fixed weights ``α``, with the estimate ``α̂`` of :eq:`distill-alpha-hat`
(:func:`~theorybook.distill.alpha.estimate_alpha`: training targets, unconstrained) and with a
variant that scores validation outputs and clips to ``[0, 1]``; at step 2 it also trains a grid
of ``α`` from the shared teacher. It returns a frozen :class:`DeepResult`; :func:`deep_numbers`
turns it into plain numbers for a manifest. Re-exported by :mod:`theorybook.distill.experiments`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from theorybook.distill.alpha import alpha_grid, estimate_alpha, optimal_alpha
from theorybook.distill.config import SELECTION_SEEDS, Config
from theorybook.timing import Timer

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "ESTIMATE",
    "ESTIMATE_VAL",
    "SELECTION_SEEDS",
    "DeepResult",
    "DeepSeedResult",
    "deep_numbers",
    "run_deep_digits",
]

Array = NDArray[np.float64]

#: chain label of the estimate of :eq:`distill-alpha-hat` (training targets, unconstrained).
ESTIMATE = "α̂"
#: chain label of the variant scored on validation outputs and clipped to [0, 1].
ESTIMATE_VAL = "α̂ val"


def _config(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a theorybook.distill.Config (e.g. Config.preset('smoke')), "
            f"got {type(cfg).__name__}"
        )
    return cfg


@dataclass(frozen=True)
class DeepSeedResult:
    """One seed of the digits experiment.

    ``chains[label]`` holds test accuracy for steps 1..T (step 1 is the shared teacher); labels
    are ``"α=0.5"`` for a fixed weight, :data:`ESTIMATE` for the chain run with ``α̂`` of
    :eq:`distill-alpha-hat` and :data:`ESTIMATE_VAL` for the validation variant.
    ``alpha_hat`` holds ``α̂`` at steps 2..T; ``alpha_hat_val`` the variant (clipped) and
    ``alpha_hat_val_free`` its projection before clipping. ``grid_val_loss`` and
    ``grid_test_acc`` score the step-2 students trained from the shared teacher with each grid
    weight. ``seconds_estimate`` is the training time of the students the estimate needs at
    step 2 (the ``α = 0`` student and the ``α̂`` student), ``seconds_grid`` that of the grid's
    students (every grid weight but ``α = 1``, whose student is the teacher): like for like,
    neither counts the shared teacher.
    """

    seed: int
    chains: Mapping[str, tuple[float, ...]]
    chain_val_loss: Mapping[str, tuple[float, ...]]
    alpha_hat: tuple[float, ...]
    alpha_hat_val: tuple[float, ...]
    alpha_hat_val_free: tuple[float, ...]
    grid: Array
    grid_val_loss: Array
    grid_test_acc: Array
    alpha_grid_best: float
    seconds_estimate: float
    seconds_grid: float

    @property
    def cell(self) -> float:
        """The grid step."""
        return float(self.grid[1] - self.grid[0])

    @property
    def cells_off(self) -> float:
        """``|α̂₂ − grid-best α|`` in grid cells (step 2, from the shared teacher)."""
        return abs(self.alpha_hat[0] - self.alpha_grid_best) / self.cell

    @property
    def cells_off_val(self) -> float:
        """The same for the validation variant."""
        return abs(self.alpha_hat_val[0] - self.alpha_grid_best) / self.cell

    @property
    def boundary_cells_off(self) -> float:
        """Cells between the grid's best α and the nearer boundary (0 or 1): how far a constant
        boundary guess lands, the trivial baseline of the α̂ rows."""
        best = self.alpha_grid_best
        return min(best, 1.0 - best) / self.cell

    @property
    def best_interior(self) -> bool:
        """Whether the grid's best α lies strictly inside ``(0, 1)``."""
        return 0.0 < self.alpha_grid_best < 1.0

    @property
    def on_boundary(self) -> bool:
        """Whether the grid's best α and the (clipped) variant both sit on one boundary."""
        a, b = self.alpha_hat_val[0], self.alpha_grid_best
        return (a == b == 1.0) or (a == b == 0.0)

    @property
    def alpha_hat_unclipped(self) -> tuple[float, ...]:
        """Deprecated: the validation variant's unclipped projections (``alpha_hat_val_free``)."""
        import warnings

        warnings.warn(
            "DeepSeedResult.alpha_hat_unclipped is deprecated: the estimate alpha_hat is now "
            "unconstrained; the validation variant's projections are alpha_hat_val_free",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.alpha_hat_val_free

    @property
    def students_estimate(self) -> int:
        """Students the estimate trains at step 2 beyond the teacher (α = 0 and α̂)."""
        return 2

    @property
    def students_grid(self) -> int:
        """Students the grid trains beyond the teacher."""
        return int(np.sum(self.grid < 1.0))


@dataclass(frozen=True)
class DeepResult:
    """All seeds of the digits experiment, the device and the wall time."""

    seeds: tuple[DeepSeedResult, ...]
    steps: int
    device: str
    seconds: float
    noisy_fraction: float

    @property
    def max_cells_off(self) -> float:
        """The largest ``|α̂ − grid best|`` over seeds, in grid cells."""
        return max(s.cells_off for s in self.seeds)

    @property
    def max_cells_off_val(self) -> float:
        """The same for the validation variant."""
        return max(s.cells_off_val for s in self.seeds)

    @property
    def max_boundary_cells_off(self) -> float:
        """The same for the trivial baseline (the boundary nearer the grid's best)."""
        return max(s.boundary_cells_off for s in self.seeds)

    @property
    def interior_fraction(self) -> float:
        """Fraction of seeds whose grid optimum lies strictly inside ``(0, 1)``."""
        return float(np.mean([s.best_interior for s in self.seeds]))

    @property
    def all_on_boundary(self) -> bool:
        """Whether the variant and the grid's best share a boundary for every seed."""
        return all(s.on_boundary for s in self.seeds)

    @property
    def fraction_within_one_cell(self) -> float:
        """Fraction of seeds whose estimate α̂ lies within one grid cell of the grid's best."""
        return float(np.mean([s.cells_off <= 1.0 + 1e-9 for s in self.seeds]))

    @property
    def estimate_speedup(self) -> float:
        """Training time of the grid over that of the estimate (like for like, summed over seeds)."""
        est = sum(s.seconds_estimate for s in self.seeds)
        return sum(s.seconds_grid for s in self.seeds) / est if est > 0 else float("nan")

    def chain(self, label: str) -> Array:
        """Test accuracies of one chain, shape ``(seeds, steps)``."""
        return np.asarray([s.chains[label] for s in self.seeds], dtype=float)

    def mean_chain(self, label: str) -> Array:
        """Mean test accuracy of one chain over seeds, per step."""
        return np.asarray(self.chain(label).mean(axis=0))

    def std_chain(self, label: str) -> Array:
        """Standard deviation of one chain's test accuracy over seeds, per step."""
        return np.asarray(self.chain(label).std(axis=0, ddof=1 if len(self.seeds) > 1 else 0))


def deep_numbers(result: DeepResult) -> dict[str, Any]:
    """Plain, JSON-ready numbers of a :class:`DeepResult` (accuracies, estimates, grid losses)."""
    if not isinstance(result, DeepResult):
        raise TypeError(f"result must be a DeepResult, got {type(result).__name__}")
    labels = list(result.seeds[0].chains)
    return {
        "device": result.device,
        "seconds": result.seconds,
        "noisy_fraction": result.noisy_fraction,
        "steps": result.steps,
        "grid": [float(g) for g in result.seeds[0].grid],
        "mean_accuracy": {k: result.mean_chain(k).tolist() for k in labels},
        "std_accuracy": {k: result.std_chain(k).tolist() for k in labels},
        "estimate_speedup": result.estimate_speedup,
        "per_seed": [
            {
                "seed": s.seed,
                "test_accuracy": {k: list(v) for k, v in s.chains.items()},
                "val_mse": {k: list(v) for k, v in s.chain_val_loss.items()},
                "alpha_hat": list(s.alpha_hat),
                "alpha_hat_val": list(s.alpha_hat_val),
                "alpha_hat_val_free": list(s.alpha_hat_val_free),
                "alpha_grid_best": s.alpha_grid_best,
                "grid_val_mse": s.grid_val_loss.tolist(),
                "grid_test_accuracy": s.grid_test_acc.tolist(),
                "seconds_estimate": s.seconds_estimate,
                "seconds_grid": s.seconds_grid,
            }
            for s in result.seeds
        ],
    }


def run_deep_digits(cfg: Config, *, progress: bool = False) -> DeepResult:
    """Self-distil an MLP on label-noisy digits for several α and for the estimated α̂.

    Per seed: the teacher (step 1, labels only); chains of ``deep_steps`` steps for each fixed α;
    a chain with ``α̂`` of :eq:`distill-alpha-hat` (each step: train the ``α = 0`` student from
    the chain's previous student, project with :func:`estimate_alpha` on the training softmax
    outputs against the training one-hot labels, train the student at the unconstrained ``α̂``);
    the same chain with the validation variant (projection on validation outputs against the
    validation labels, clipped to ``[0, 1]``); and at step 2 a grid of α from the shared teacher,
    scored by validation MSE. All students share one initialisation seed, so a student is
    determined by its α history and the α = 1 student is the teacher itself. The configuration
    was chosen on :data:`SELECTION_SEEDS`, which ``cfg.deep_seeds`` may not contain. Runs under
    the book's thread policy (:func:`theorybook.runtime.torch_threads`); a diverging student
    raises :class:`~theorybook.training.TrainingDiverged`.
    """
    from theorybook.distill.deep import TrainSettings
    from theorybook.reporting import progress as progress_bar
    from theorybook.runtime import device, torch_threads

    cfg = _config(cfg)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    dev = device()
    settings = TrainSettings(
        hidden=cfg.hidden,
        depth=cfg.depth,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        reg_coef=cfg.reg_coef,
    )
    grid = alpha_grid(cfg.deep_grid_step)
    results: list[DeepSeedResult] = []
    noisy: list[float] = []
    start = time.perf_counter()
    bar = progress_bar(desc="students trained", disable=not progress)
    try:
        with torch_threads():
            for seed in cfg.deep_seeds:
                results.append(_deep_seed(cfg, seed, dev, settings, grid, bar, noisy))
    finally:
        bar.close()
    return DeepResult(
        tuple(results), cfg.deep_steps, str(dev), time.perf_counter() - start, float(np.mean(noisy))
    )


def _deep_seed(
    cfg: Config,
    seed: int,
    dev: torch.device,
    settings: Any,
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
    data = load_digits_split(
        n_train=cfg.n_train, n_val=cfg.n_val, label_noise=cfg.label_noise, seed=seed
    )
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
                settings,
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
    best = float(grid[int(np.argmin(grid_val))])
    seconds_grid = float(sum(seconds[key_of((float(a),))] for a in grid if a < 1.0))
    chains: dict[str, tuple[float, ...]] = {}
    losses: dict[str, tuple[float, ...]] = {}
    for a in cfg.deep_fixed_alphas:
        hist: tuple[float, ...] = ()
        accs, vls = [teacher["test_acc"]], [teacher["val_loss"]]
        for _ in range(cfg.deep_steps - 1):
            hist = hist + (float(a),)
            s = student(hist)
            accs.append(s["test_acc"])
            vls.append(s["val_loss"])
        chains[f"α={a:g}"], losses[f"α={a:g}"] = tuple(accs), tuple(vls)

    def estimate_chain(validation: bool) -> tuple[list[float], list[float], list[float], float]:
        hist: tuple[float, ...] = ()
        accs, vls = [teacher["test_acc"]], [teacher["val_loss"]]
        used: list[float] = []
        free: list[float] = []
        step2_seconds = float("nan")
        for step in range(2, cfg.deep_steps + 1):
            s0 = student(hist + (0.0,))
            if validation:
                raw = optimal_alpha(teacher["p_val"], s0["p_val"], onehot_val, clip=False)
                a_hat = float(np.clip(raw, 0.0, 1.0))
            else:
                raw = a_hat = estimate_alpha(teacher["p_train_np"], s0["p_train_np"], onehot_train)
            free.append(float(raw))
            used.append(a_hat)
            hist = hist + (a_hat,)
            s = student(hist)
            if step == 2:
                extra = seconds.get(key_of(hist), 0.0)
                step2_seconds = seconds[(0.0,)] + extra
            accs.append(s["test_acc"])
            vls.append(s["val_loss"])
        chains[ESTIMATE_VAL if validation else ESTIMATE] = tuple(accs)
        losses[ESTIMATE_VAL if validation else ESTIMATE] = tuple(vls)
        return used, free, vls, step2_seconds

    a_hats, _, _, seconds_estimate = estimate_chain(validation=False)
    a_val, a_val_free, _, _ = estimate_chain(validation=True)
    return DeepSeedResult(
        seed=seed,
        chains=chains,
        chain_val_loss=losses,
        alpha_hat=tuple(a_hats),
        alpha_hat_val=tuple(a_val),
        alpha_hat_val_free=tuple(a_val_free),
        grid=grid,
        grid_val_loss=grid_val,
        grid_test_acc=grid_acc,
        alpha_grid_best=best,
        seconds_estimate=seconds_estimate,
        seconds_grid=seconds_grid,
    )
