"""How the digits setting was chosen: the recorded ``selection`` sweep of chapter 5.

The sweep ``distill-selection`` (:func:`theorybook.sweep_studies.distill_selection`) trains the
teacher and the step-2 grid of students for each tried setting on each of
:data:`~theorybook.distill.config.SELECTION_SEEDS`; its records live in
``results/05_self_distillation/sweeps/selection/``. :func:`load_selection` reads them back as one
row per setting, which the chapter shows before the digits run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from theorybook.boundary import checked, record
from theorybook.distill.config import SELECTION_SEEDS, Config
from theorybook.sweep_records import load_sweep

__all__ = ["SelectionRow", "load_selection", "selection_frame", "selection_sentence"]

SWEEP = "selection"
"""The sweep's name (its folder under ``results/05_self_distillation/sweeps/``)."""


@record
@dataclass(frozen=True)
class SelectionRow:
    """One tried setting: label noise, penalty, width, epochs, and the step-2 grid's best weight
    on each selection seed (``best_alpha[i]`` for ``seeds[i]``)."""

    label_noise: float
    reg_coef: float
    hidden: int
    epochs: int
    seeds: tuple[int, ...]
    best_alpha: tuple[float, ...]
    commit: str

    @property
    def interior(self) -> bool:
        """The criterion: the grid's best weight lies strictly inside (0, 1) on every seed."""
        return all(0.0 < a < 1.0 for a in self.best_alpha)

    def is_setting_of(self, cfg: Config) -> bool:
        """Whether this row is ``cfg``'s digits setting."""
        return (
            self.label_noise == cfg.digits.label_noise
            and self.reg_coef == cfg.training.reg_coef
            and self.hidden == cfg.training.hidden
            and self.epochs == cfg.training.epochs
        )


@checked
def load_selection(
    *, root: str | os.PathLike[str] | None = None
) -> tuple[SelectionRow, ...] | None:
    """The recorded selection sweep, one row per tried setting, or ``None`` without records.

    Arguments:
        root: the ``results`` folder, if not found by :func:`theorybook.records.find_results_dir`.

    Returns:
        The rows, sorted by label noise, penalty, width and epochs; ``None`` when nothing is
        recorded.
    """
    summary = load_sweep("05", SWEEP, root=root)
    if summary is None:
        return None
    rows = []
    for setting in summary.settings:
        best = setting["seeds.0.alpha_grid_best"]
        if set(best.seeds) - set(SELECTION_SEEDS):
            raise ValueError(f"selection records hold seeds {best.seeds}, not {SELECTION_SEEDS}")
        s = setting.settings
        rows.append(
            SelectionRow(
                label_noise=float(s["digits.label_noise"]),
                reg_coef=float(s["training.reg_coef"]),
                hidden=int(s["training.hidden"]),
                epochs=int(s["training.epochs"]),
                seeds=best.seeds,
                best_alpha=best.values,
                commit=",".join(c[:7] for c in summary.commits),
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.label_noise, r.reg_coef, r.hidden, r.epochs)))


@checked
def selection_frame(rows: tuple[SelectionRow, ...], cfg: Config) -> Any:
    """The selection sweep as a table (a pandas ``DataFrame``, one row per tried setting).

    Arguments:
        rows: :func:`load_selection`'s rows.
        cfg: the run's config (its setting is marked).

    Returns:
        The table: the setting, the grid's best weight per seed, whether it is inside (0, 1) on
        every seed, and whether it is the book's setting.
    """
    import pandas as pd

    if not rows:
        raise ValueError("selection_frame: no rows")
    return pd.DataFrame(
        [
            {
                "label noise": r.label_noise,
                "penalty c": r.reg_coef,
                "width": r.hidden,
                "epochs": r.epochs,
                **{f"best α, seed {s}": a for s, a in zip(r.seeds, r.best_alpha, strict=True)},
                "inside (0, 1) on every seed": r.interior,
                "this run's setting": r.is_setting_of(cfg),
            }
            for r in rows
        ]
    )


@checked
def selection_sentence(rows: tuple[SelectionRow, ...], cfg: Config) -> str:
    """One sentence on the selection: how many settings met the criterion, and the run's own.

    Arguments:
        rows: :func:`load_selection`'s rows.
        cfg: the run's config.

    Returns:
        The sentence the chapter glues.
    """
    if not rows:
        raise ValueError("selection_sentence: no rows")
    inside = sum(r.interior for r in rows)
    own = [r for r in rows if r.is_setting_of(cfg)]
    head = (
        f"{inside} of the {len(rows)} settings tried kept the grid's best weight inside (0, 1) on "
        f"both seeds"
    )
    if not own:
        return head + "; this run's setting is not among them (it was not tried on these seeds)."
    best = ", ".join(f"{a:.1f}" for a in own[0].best_alpha)
    if own[0].interior:
        return head + f", this run's setting among them (best weights {best})."
    return head + f"; this run's setting did not (best weights {best}) in the recorded sweep."
