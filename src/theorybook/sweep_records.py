"""What a sweep's cells record, and the summary a chapter reads back (:mod:`theorybook.sweeps`).

One JSON record per cell, ``results/<chapter>/sweeps/<sweep>/<cell>.json``: the cell (chapter,
scale, experiment, seed, settings), the full ``Config``, the wall time, the executor and job id,
the environment report (commit, hardware, versions) and ``numbers``, what the cell's measure
returned. :func:`load_sweep` reads a sweep's records and :func:`summarize` groups them by setting:
for every number, the mean, the standard deviation, the range and the per-seed values, which a
chapter shows as a recorded run (and turns into a :class:`theorybook.claims.Spread`).

What a cell measures is :mod:`theorybook.sweep_measures`.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorybook.boundary import NonNegativeInt, checked, record

__all__ = [
    "CellRecord",
    "MetricSummary",
    "SettingSummary",
    "SweepSummary",
    "load_cells",
    "load_sweep",
    "summarize",
]


# --- records and summaries -----------------------------------------------------------------------


@record
@dataclass(frozen=True)
class CellRecord:
    """One cell's record as read back (see the module's docstring for the file)."""

    path: str
    sweep: str
    chapter: str
    scale: str
    experiment: str
    seed: int | None
    settings: Mapping[str, Any]
    numbers: Mapping[str, Any]
    wall_seconds: float
    executor: str
    seed_setting: str | None
    environment: Mapping[str, Any]

    @property
    def commit(self) -> str:
        """The commit the cell ran at (empty when unknown)."""
        return str(self.environment.get("commit") or "")


@record
@dataclass(frozen=True)
class MetricSummary:
    """One number over the seeds of one setting: mean, sample sd (NaN for one seed), range.

    ``seeds[i]`` is the seed of ``values[i]``; ``seeds`` is empty when the cells ran their own
    seeds (a sweep without ``seed_setting``).
    """

    metric: str
    mean: float
    sd: float
    low: float
    high: float
    seeds: tuple[int, ...]
    values: tuple[float, ...]

    @property
    def n(self) -> int:
        """How many cells measured it."""
        return len(self.values)


@record
@dataclass(frozen=True)
class SettingSummary:
    """The cells of one setting (every grid value but the seed), summarised per number."""

    settings: Mapping[str, Any]
    metrics: Mapping[str, MetricSummary]
    wall_seconds: float

    def __getitem__(self, metric: str) -> MetricSummary:
        if metric not in self.metrics:
            raise KeyError(f"no number {metric!r}; numbers: {sorted(self.metrics)[:20]}")
        return self.metrics[metric]


@record
@dataclass(frozen=True)
class SweepSummary:
    """A sweep's records grouped by setting (:func:`summarize`)."""

    chapter: str
    sweep: str
    cells: NonNegativeInt
    settings: tuple[SettingSummary, ...]
    commits: tuple[str, ...]
    scales: tuple[str, ...]

    def setting(self, **where: Any) -> SettingSummary:
        """The one setting whose values match ``where`` (dotted names as keyword names with
        ``__`` for ``.``: ``setting(sparse__orders=[100])``)."""
        wanted = {k.replace("__", "."): v for k, v in where.items()}
        found = [
            s for s in self.settings if all(_same(s.settings.get(k), v) for k, v in wanted.items())
        ]
        if len(found) != 1:
            options = [dict(s.settings) for s in self.settings]
            raise KeyError(f"{len(found)} settings match {wanted}; settings: {options}")
        return found[0]

    def rows(self, metric: str) -> list[dict[str, Any]]:
        """One row per setting for ``metric``: the settings, mean, sd, low, high, per seed."""
        out = []
        for s in self.settings:
            if metric in s.metrics:
                m = s.metrics[metric]
                out.append(
                    {
                        **s.settings,
                        "mean": m.mean,
                        "sd": m.sd,
                        "low": m.low,
                        "high": m.high,
                        "per seed": dict(zip(m.seeds, m.values, strict=True)) if m.seeds else {},
                    }
                )
        return out


def _same(a: Any, b: Any) -> bool:
    def norm(x: Any) -> Any:
        return [norm(v) for v in x] if isinstance(x, tuple | list) else x

    return bool(norm(a) == norm(b))


def _sweep_folder(chapter: str, sweep: str, root: str | os.PathLike[str] | None) -> Path | None:
    from theorybook.chapters import chapter as find
    from theorybook.records import find_results_dir

    base = find_results_dir(root)
    return None if base is None else base / find(chapter).stem / "sweeps" / sweep


@checked
def load_cells(
    chapter: str, sweep: str, *, root: str | os.PathLike[str] | None = None
) -> tuple[CellRecord, ...]:
    """Every recorded cell of a sweep (none when the sweep has no folder).

    Arguments:
        chapter: the chapter (number, stem or subpackage).
        sweep: the sweep's name.
        root: the ``results`` folder, if not found by :func:`theorybook.records.find_results_dir`.

    Returns:
        The records, sorted by file name.
    """
    if not sweep or "/" in sweep or sweep.startswith("."):
        raise ValueError(f"sweep must be a sweep's name, got {sweep!r}")
    folder = _sweep_folder(chapter, sweep, root)
    if folder is None or not folder.is_dir():
        return ()
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON: {err}") from None
        out.append(
            CellRecord(
                path=str(path),
                sweep=data["sweep"],
                chapter=data["chapter"],
                scale=data["scale"],
                experiment=data["experiment"],
                seed=data["seed"],
                settings=data["settings"],
                numbers=data["numbers"],
                wall_seconds=math.nan
                if data["wall_seconds"] is None
                else float(data["wall_seconds"]),
                executor=data.get("executor", ""),
                seed_setting=data.get("seed_setting"),
                environment=data.get("environment") or {},
            )
        )
    return tuple(out)


def _seed_free(rec: CellRecord) -> dict[str, Any]:
    return {k: v for k, v in rec.settings.items() if k != rec.seed_setting}


def summarize(records: tuple[CellRecord, ...] | list[CellRecord]) -> SweepSummary:
    """Group cell records by setting and summarise every number over the seeds.

    A cell's scalar numbers are one value each; in a sweep whose cells run their own seeds
    (no ``seed_setting``), a list of numbers holds one value per seed and is summarised too.

    Arguments:
        records: cells of one sweep (:func:`load_cells`).

    Returns:
        The :class:`SweepSummary` (settings in the order first seen, seeds sorted).
    """
    if not isinstance(records, tuple | list) or not all(isinstance(r, CellRecord) for r in records):
        raise TypeError("summarize: records must be a sequence of CellRecords (load_cells)")
    records = list(records)
    if not records:
        raise ValueError("summarize: no records (has the sweep run?)")
    names = {(r.chapter, r.sweep) for r in records}
    if len(names) != 1:
        raise ValueError(f"summarize: records of several sweeps: {sorted(names)}")
    groups: dict[str, list[CellRecord]] = {}
    for r in records:
        groups.setdefault(json.dumps(_seed_free(r), sort_keys=True), []).append(r)
    settings = []
    for key, cells in groups.items():
        cells.sort(key=lambda r: -1 if r.seed is None else r.seed)
        metrics: dict[str, MetricSummary] = {}
        # scalars, one per cell; lists too when the cells ran their own seeds (one per seed)
        own_seeds = all(r.seed is None for r in cells)
        numeric = sorted(
            {
                k
                for r in cells
                for k, v in r.numbers.items()
                if _is_number(v) or (own_seeds and _is_number_list(v))
            }
        )
        for name in numeric:
            pairs = [(r.seed, float(v)) for r in cells for v in _as_values(r.numbers.get(name))]
            values = [v for _, v in pairs]
            metrics[name] = MetricSummary(
                metric=name,
                mean=statistics.fmean(values),
                sd=statistics.stdev(values) if len(values) > 1 else math.nan,
                low=min(values),
                high=max(values),
                seeds=tuple(s for s, _ in pairs if s is not None),
                values=tuple(values),
            )
        settings.append(
            SettingSummary(
                settings=json.loads(key),
                metrics=metrics,
                wall_seconds=sum(r.wall_seconds for r in cells),
            )
        )
    chapter, sweep = names.pop()
    return SweepSummary(
        chapter=chapter,
        sweep=sweep,
        cells=len(records),
        settings=tuple(settings),
        commits=tuple(sorted({r.commit for r in records if r.commit})),
        scales=tuple(sorted({r.scale for r in records})),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_number(v) for v in value)


def _as_values(value: Any) -> list[Any]:
    if _is_number(value):
        return [value]
    return list(value) if _is_number_list(value) else []


@checked
def load_sweep(
    chapter: str, sweep: str, *, root: str | os.PathLike[str] | None = None
) -> SweepSummary | None:
    """A recorded sweep's summary, or ``None`` when none of its cells is recorded.

    Arguments:
        chapter: the chapter (number, stem or subpackage).
        sweep: the sweep's name.
        root: the ``results`` folder, if not found by :func:`theorybook.records.find_results_dir`.

    Returns:
        :func:`summarize` of :func:`load_cells`, or ``None``.
    """
    cells = load_cells(chapter, sweep, root=root)
    return summarize(cells) if cells else None
