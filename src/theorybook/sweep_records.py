"""What a sweep's cells record, and the summary a chapter reads back (:mod:`theorybook.sweeps`).

One JSON record per cell, ``results/<chapter>/sweeps/<sweep>/<cell>.json``: the cell (chapter,
scale, experiment, seed, settings), the full ``Config``, the wall time, the executor and job id,
the environment report (commit, hardware, versions) and ``numbers``, what the cell's measure
returned. :func:`load_sweep` reads a sweep's records and :func:`summarize` groups them by setting:
for every number, the mean, the standard deviation, the range and the per-seed values, which a
chapter shows as a recorded run (and turns into a :class:`theorybook.claims.Spread`).

The default measures: :func:`claim_numbers` (a chapter's claims table: each claim's measured value
and status) and :func:`result_numbers` (every number of an experiment's result record).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorybook.boundary import NonNegativeInt, PositiveInt, checked, record

__all__ = [
    "CLAIMS_MIME_TYPE",
    "CellRecord",
    "MetricSummary",
    "NotebookRun",
    "SettingSummary",
    "SweepSummary",
    "claim_numbers",
    "execute_notebook",
    "load_cells",
    "load_sweep",
    "result_numbers",
    "summarize",
]

CLAIMS_MIME_TYPE = "application/vnd.theorybook.claims+json"
"""The output a chapter's claims table carries in an executed notebook."""

MAX_LISTED = 1000
"""Arrays with more elements than this are left out of :func:`result_numbers`."""


# --- measures ------------------------------------------------------------------------------------


@record
@dataclass(frozen=True)
class NotebookRun:
    """A chapter notebook executed from a clean kernel (:func:`execute_notebook`)."""

    chapter: str
    scale: str
    ok: bool
    error: str
    wall_seconds: float
    claims: tuple[Mapping[str, Any], ...]


def _plain(value: Any) -> Any:
    """A JSON-ready number (NaN/inf as None), list or string; ``None`` for anything else."""
    import numpy as np

    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return None


SKIPPED_FIELDS = frozenset({"model", "params", "data"})
"""Result fields :func:`result_numbers` leaves out: trained models, their parameters and the
data (large, and not measurements)."""


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    import numpy as np

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name not in SKIPPED_FIELDS:
                _flatten(f"{prefix}{f.name}.", getattr(value, f.name), out)
        return
    key = prefix[:-1]
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}{k}.", v, out)
        return
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray | np.generic):
        value = np.asarray(value)  # a JAX array
    if isinstance(value, np.ndarray):
        if value.size <= MAX_LISTED and value.dtype.kind in "biuf":
            out[key] = (
                [_plain(v) for v in value.ravel().tolist()] if value.ndim else _plain(value.item())
            )
        return
    if isinstance(value, tuple | list):
        if all(_plain(v) is not None or v is None for v in value) and len(value) <= MAX_LISTED:
            out[key] = [_plain(v) for v in value]
        else:
            for i, v in enumerate(value):
                _flatten(f"{prefix}{i}.", v, out)
        return
    if value is None or isinstance(value, bool | str | int | float | np.generic):
        out[key] = _plain(value)


def result_numbers(result: Any, cfg: Any = None) -> dict[str, Any]:
    """Every number of an experiment's result record, by dotted field name.

    Nested records and mappings give dotted keys (``runs.vanilla.test_nfe``); arrays and tensors of
    up to :data:`MAX_LISTED` numbers become flat lists; NaN and ±inf become ``None``; fields named
    in :data:`SKIPPED_FIELDS` and anything else (figures, large arrays) are left out. ``cfg`` is unused (the measure signature).
    """
    if not (dataclasses.is_dataclass(result) or isinstance(result, Mapping)):
        raise TypeError(
            f"result_numbers: result must be a result record (a dataclass) or a mapping, "
            f"got {type(result).__name__}"
        )
    out: dict[str, Any] = {}
    _flatten("", result, out)
    return out


def claim_numbers(run: Any, cfg: Any = None) -> dict[str, Any]:
    """A chapter run's claims: ``measured.<id>`` and ``status.<id>`` per claim, and the records.

    Arguments:
        run: a :class:`theorybook.chapters.ChapterRun` or a :class:`NotebookRun`.
        cfg: unused (the measure signature).

    Returns:
        ``{"measured.<id>": value, "status.<id>": label, ..., "claims": [records]}``.
    """
    from theorybook.chapters import ChapterRun

    if not isinstance(run, NotebookRun | ChapterRun):
        raise TypeError(
            f"claim_numbers: run must be a ChapterRun or a NotebookRun, got {type(run).__name__}"
        )
    if isinstance(run, NotebookRun):
        records = [dict(r) for r in run.claims]
        extra: dict[str, Any] = {"notebook.ok": run.ok, "notebook.error": run.error}
    else:
        records = run.table.records()
        extra = {}
    out: dict[str, Any] = dict(extra)
    for r in records:
        out[f"measured.{r['id']}"] = _plain(r.get("measured"))
        out[f"status.{r['id']}"] = r.get("status")
    out["claims"] = records
    return out


def _checkout_root() -> Path:
    from theorybook.records import find_results_dir

    results = find_results_dir()
    if results is None:
        raise ValueError(
            "a notebook cell needs the book's checkout (chapters/ next to results/); "
            "run it from the checkout or set THEORYBOOK_RESULTS"
        )
    return results.parent


@checked
def execute_notebook(chapter: str, scale: str, *, timeout: PositiveInt = 6 * 3600) -> NotebookRun:
    """Execute a chapter's notebook from a clean kernel at ``scale`` and read its claims table.

    Arguments:
        chapter: the chapter (number, stem or subpackage).
        scale: ``smoke``, ``book`` or ``paper`` (set as ``THEORYBOOK_SCALE`` for the kernel).
        timeout: seconds allowed per cell.

    Returns:
        The :class:`NotebookRun`; a failing cell gives ``ok=False`` and its error (the claims
        shown before it are kept).
    """
    import nbformat
    from nbclient import NotebookClient

    from theorybook.chapters import chapter as find
    from theorybook.scales import check_scale

    check_scale(scale, "scale")
    stem = find(chapter).stem
    path = _checkout_root() / "chapters" / f"{stem}.ipynb"
    if not path.is_file():
        raise ValueError(f"no notebook {path}")
    saved = os.environ.get("THEORYBOOK_SCALE")
    os.environ["THEORYBOOK_SCALE"] = scale
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except Exception as err:  # recorded: the caller decides what a failed chapter means
        error = f"{type(err).__name__}: {str(err)[-2000:]}"
    finally:
        if saved is None:
            os.environ.pop("THEORYBOOK_SCALE", None)
        else:
            os.environ["THEORYBOOK_SCALE"] = saved
    wall = time.perf_counter() - start
    claims: list[Mapping[str, Any]] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(CLAIMS_MIME_TYPE)
            if payload is not None:
                claims = list(payload.get("records", []))
    return NotebookRun(stem, scale, not error, error, wall, tuple(claims))


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
