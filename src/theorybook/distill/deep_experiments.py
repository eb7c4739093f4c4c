"""The digits-network experiment of chapter 5 (*Self-distillation with ground-truth guidance*).

:func:`run_deep_digits` self-distils a small MLP on label-noisy digits with fixed weights ``α``
and with an estimated ``α̂``, and grid-searches ``α`` at step 2; it returns a frozen
:class:`DeepResult`. Re-exported by :mod:`theorybook.distill.experiments`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from theorybook.distill.alpha import alpha_grid, optimal_alpha
from theorybook.distill.config import Config
from theorybook.runtime import Timer

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["DeepResult", "DeepSeedResult", "run_deep_digits"]

Array = NDArray[np.float64]


def _config(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(
            f"cfg must be a theorybook.distill.Config (e.g. Config.preset('smoke')), "
            f"got {type(cfg).__name__}"
        )
    return cfg


# --------------------------------------------------------------------------- digits network


@dataclass(frozen=True)
class DeepSeedResult:
    """One seed of the digits experiment.

    ``chains[label]`` holds test accuracy for steps 1..T (step 1 is the shared teacher); the
    label is ``"α=0.5"`` for a fixed α and ``"α̂"`` for the estimated-α chain. ``alpha_hat`` is
    the estimate used (clipped to [0, 1]) at steps 2..T, ``alpha_hat_unclipped`` the projection
    before clipping. ``seconds_estimate`` counts the students the estimate trains beyond the
    shared teacher (the α = 0 student and the α̂ student at step 2); ``seconds_grid`` the grid's
    students beyond the teacher (every grid point but α = 1).
    """

    seed: int
    chains: Mapping[str, tuple[float, ...]]
    chain_val_loss: Mapping[str, tuple[float, ...]]
    alpha_hat: tuple[float, ...]
    alpha_hat_unclipped: tuple[float, ...]
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
    def boundary_cells_off(self) -> float:
        """Cells between the grid's best α and the nearer boundary (0 or 1): how far a constant
        boundary guess lands, the trivial baseline of the α̂ claim."""
        best = self.alpha_grid_best
        return min(best, 1.0 - best) / self.cell

    @property
    def on_boundary(self) -> bool:
        """Whether the grid's best α and the (clipped) α̂ both sit on one boundary of [0, 1]."""
        a, b = self.alpha_hat[0], self.alpha_grid_best
        return (a == b == 1.0) or (a == b == 0.0)


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
    def max_boundary_cells_off(self) -> float:
        """The same for the trivial baseline (the boundary nearer the grid's best)."""
        return max(s.boundary_cells_off for s in self.seeds)

    @property
    def all_on_boundary(self) -> bool:
        """Whether α̂ and the grid's best share a boundary for every seed (a degenerate pass)."""
        return all(s.on_boundary for s in self.seeds)

    @property
    def fraction_within_one_cell(self) -> float:
        """Fraction of seeds whose α̂ lies within one grid cell of the grid's best."""
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


def run_deep_digits(cfg: Config, *, progress: bool = False) -> DeepResult:
    """Self-distil an MLP on (label-noisy) digits for several α; estimate α̂ and grid-search it.

    Per seed: the teacher (step 1, labels only); chains of ``deep_steps`` steps for each fixed α
    and for the estimated α̂ (each step: train the α = 0 student, project with
    :eq:`distill-alpha-star` on validation softmax outputs against the one-hot labels, train the
    student at α̂ clipped to [0, 1]); at step 2, a grid of α from the shared teacher, scored by
    validation MSE. All students share one initialisation seed, so a student is determined by its
    α history and the α = 1 student is the teacher itself. Runs under the book's thread policy
    (:func:`theorybook.runtime.torch_threads`); a diverging student raises
    :class:`~theorybook.runtime.TrainingDiverged`.
    """

    from theorybook.distill.deep import TrainSettings
    from theorybook.runtime import device, torch_threads
    from theorybook.runtime import progress as progress_bar

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
    init = 1000 * seed + 17
    cache: dict[tuple[float, ...], dict[str, Any]] = {}
    seconds: dict[tuple[float, ...], float] = {}

    def student(history: tuple[float, ...]) -> dict[str, Any]:
        key = tuple(round(a, 12) for a in history)
        if key and key[-1] == 1.0:
            key = ()  # an α = 1 student ignores its teacher: it is step 1
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
        pv = predict_proba(model, Xv).double().cpu().numpy()
        out = {
            "p_train": predict_proba(model, X),
            "p_val": pv,
            "val_loss": float(np.mean((pv - onehot_val) ** 2)),
            "test_acc": float((predict_proba(model, Xte).argmax(1) == yte).float().mean()),
        }
        cache[key] = out
        return out

    teacher = student(())
    # the grid at step 2, from the shared teacher
    grid_students = [student((float(a),)) for a in grid]
    grid_val = np.asarray([s["val_loss"] for s in grid_students])
    grid_acc = np.asarray([s["test_acc"] for s in grid_students])
    best = float(grid[int(np.argmin(grid_val))])
    seconds_grid = float(sum(seconds[(round(float(a), 12),)] for a in grid if a < 1.0))
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
    # the estimated-α chain
    hist = ()
    accs, vls = [teacher["test_acc"]], [teacher["val_loss"]]
    a_hats: list[float] = []
    a_free: list[float] = []
    seconds_estimate = float("nan")
    for step in range(2, cfg.deep_steps + 1):
        s0 = student(hist + (0.0,))
        free = optimal_alpha(teacher["p_val"], s0["p_val"], onehot_val, clip=False)
        a_hat = float(np.clip(free, 0.0, 1.0))
        a_free.append(free)
        a_hats.append(a_hat)
        hist = hist + (a_hat,)
        s = student(hist)
        if step == 2:
            key = tuple(round(v, 12) for v in hist)
            extra = seconds.get(key, 0.0) if a_hat not in (0.0, 1.0) else 0.0
            seconds_estimate = seconds[(0.0,)] + extra
        accs.append(s["test_acc"])
        vls.append(s["val_loss"])
    chains["α̂"], losses["α̂"] = tuple(accs), tuple(vls)
    return DeepSeedResult(
        seed=seed,
        chains=chains,
        chain_val_loss=losses,
        alpha_hat=tuple(a_hats),
        alpha_hat_unclipped=tuple(a_free),
        grid=grid,
        grid_val_loss=grid_val,
        grid_test_acc=grid_acc,
        alpha_grid_best=best,
        seconds_estimate=seconds_estimate,
        seconds_grid=seconds_grid,
    )
