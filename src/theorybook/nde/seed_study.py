"""Every method on every experiment over seeds: the recorded ``nde-seed-study`` sweeps.

The book runs each method on the seeds its claims need; the sweeps of
:func:`theorybook.sweep_studies.nde_seed_study` run every PyTorch method (vanilla, ERNODE,
SRNODE, STEER, ERNODE + SRNODE, TayNODE) on the moons classifier, the digits classifier, the
latent ODE and the neural SDE over several seeds, at the book preset's sizes, and record one file
per experiment and seed under ``results/07_nde_solver_regularization/sweeps/``.
:func:`load_seed_study` reads them back, one row per experiment and method.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from theorybook.boundary import checked, record
from theorybook.sweep_records import load_sweep

__all__ = ["SEED_STUDY", "SeedStudyRow", "load_seed_study", "seed_study_frame"]

SEED_STUDY: tuple[tuple[str, str, str, str], ...] = (
    ("moons classifier", "seed-study-moons", "test_nfe", "test_acc"),
    ("digits classifier", "seed-study-digits", "test_nfe", "test_acc"),
    ("digits classifier", "seed-study-digits-taynode", "test_nfe", "test_acc"),
    ("latent ODE", "seed-study-latent", "test_nfe", "test_mse"),
    ("neural SDE", "seed-study-sde", "test_steps", "test_loss"),
)
"""(experiment, sweep, cost number, quality number) of each sweep of the study."""


@record
@dataclass(frozen=True)
class SeedStudyRow:
    """One method on one experiment over the study's seeds: the solver's cost (test NFE, or
    steps per path for the SDE) and the quality number (test accuracy, MSE or loss), per seed."""

    experiment: str
    method: str
    cost_name: str
    quality_name: str
    seeds: tuple[int, ...]
    cost: tuple[float, ...]
    quality: tuple[float, ...]

    @staticmethod
    def _mean_sd(values: tuple[float, ...]) -> tuple[float, float]:
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
        return mean, sd

    @property
    def cost_mean_sd(self) -> tuple[float, float]:
        """Mean and sample standard deviation of the cost over seeds."""
        return self._mean_sd(self.cost)

    @property
    def quality_mean_sd(self) -> tuple[float, float]:
        """Mean and sample standard deviation of the quality number over seeds."""
        return self._mean_sd(self.quality)


@checked
def load_seed_study(
    *, root: str | os.PathLike[str] | None = None
) -> tuple[SeedStudyRow, ...] | None:
    """The recorded seed study, one row per experiment and method, or ``None`` without records.

    Arguments:
        root: the ``results`` folder, if not found by :func:`theorybook.records.find_results_dir`.

    Returns:
        The rows in the order of :data:`SEED_STUDY`, methods in the order recorded.
    """
    rows: list[SeedStudyRow] = []
    for experiment, sweep, cost, quality in SEED_STUDY:
        summary = load_sweep("07", sweep, root=root)
        if summary is None:
            continue
        if len(summary.settings) != 1:
            raise ValueError(f"{sweep}: expected one setting, got {len(summary.settings)}")
        metrics = summary.settings[0].metrics
        methods = sorted(
            {k[len("runs.") : -len(f".{cost}")] for k in metrics if k.endswith(f".{cost}")},
            key=_method_order,
        )
        for method in methods:
            c, q = metrics[f"runs.{method}.{cost}"], metrics[f"runs.{method}.{quality}"]
            if c.seeds != q.seeds:
                raise ValueError(f"{sweep}: {method}'s numbers come from different seeds")
            rows.append(
                SeedStudyRow(experiment, method, cost, quality, c.seeds, c.values, q.values)
            )
    return tuple(rows) if rows else None


def _method_order(method: str) -> tuple[int, str]:
    order = ("vanilla", "ernode", "srnode", "steer", "ernode+srnode", "taynode")
    base = method.split(" ")[0]
    return (order.index(base) if base in order else len(order), method)


@checked
def seed_study_frame(rows: tuple[SeedStudyRow, ...]) -> Any:
    """The seed study as a table (a pandas ``DataFrame``): per experiment and method, the cost and
    the quality number as mean ± sd over seeds, and their per-seed values."""
    import pandas as pd

    if not rows:
        raise ValueError("seed_study_frame: no rows")

    def fmt(mean_sd: tuple[float, float], digits: int) -> str:
        return f"{mean_sd[0]:.{digits}f} ± {mean_sd[1]:.{digits}f}"

    return pd.DataFrame(
        [
            {
                "experiment": r.experiment,
                "method": r.method,
                "seeds": ", ".join(map(str, r.seeds)),
                "cost (NFE or steps)": fmt(r.cost_mean_sd, 1),
                "quality": f"{r.quality_name}: {fmt(r.quality_mean_sd, 3)}",
                "cost per seed": ", ".join(f"{v:g}" for v in r.cost),
                "quality per seed": ", ".join(f"{v:.3f}" for v in r.quality),
            }
            for r in rows
        ]
    )
