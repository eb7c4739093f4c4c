"""Sweeps: one chapter's pipeline over a grid of seeds and settings, one record per cell.

A :class:`Sweep` names a chapter, a scale, the experiment to run (the chapter's ``run_all`` or one
of its ``run_*`` functions, or the chapter's notebook), the seeds and a grid of dotted ``Config``
settings. Its :meth:`Sweep.cells` are the product of the grid and the seeds; each cell runs in a
fresh process or in this one and writes one JSON record (:mod:`theorybook.sweep_records`)::

    results/<chapter>/sweeps/<sweep>/<cell>.json

:func:`run_sweeps` runs the cells that have no record yet, so an interrupted sweep resumes where it
stopped, through one of three executors:

- ``"inprocess"``: one after the other in this process (a notebook, a test, a debugger);
- ``"local"``: ``jobs`` separate processes on this machine, through submitit's ``LocalExecutor``
  (each process takes every ``jobs``-th cell; with GPUs, each process sees its own);
- ``"slurm"``: one Slurm array job, one task per cell, through submitit's ``SlurmExecutor``
  (time, partition, GPUs, CPUs and the array's parallelism from the arguments).

Nothing here schedules or pools processes by hand: submitit starts, watches and cancels them.
The command line is ``scripts/sweep.py``; the book's page "Reproducing at scale" shows it.

Length: a sweep's definition, where its cells are recorded and how they run are one concept (the
record path and the resume rule are shared by all three executors); the records' reading is
:mod:`theorybook.sweep_records`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import itertools
import json
import os
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from theorybook.boundary import NonNegativeInt, PositiveInt, PositiveReal, checked, record
from theorybook.scales import check_scale

__all__ = [
    "EXECUTORS",
    "Cell",
    "Sweep",
    "SweepRun",
    "cell_path",
    "missing_cells",
    "run_cell",
    "run_sweeps",
]

EXECUTORS = ("inprocess", "local", "slurm")
"""How :func:`run_sweeps` runs the cells."""

Executor = Literal["inprocess", "local", "slurm"]

NOTEBOOK = "notebook"
"""The experiment name that executes the chapter's notebook instead of a pipeline function."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _json_value(where: str, value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists), or ``TypeError``."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [_json_value(where, v) for v in value]
    raise TypeError(
        f"{where}: settings must be numbers, strings, booleans or sequences of them (they are "
        f"written to JSON), got {type(value).__name__}"
    )


def _settings_value(value: Any) -> Any:
    """A JSON value as a ``Config`` field takes it: lists back to tuples."""
    return tuple(_settings_value(v) for v in value) if isinstance(value, list) else value


@record
@dataclass(frozen=True)
class Cell:
    """One run of a sweep: a chapter's experiment at one scale with one seed and one setting.

    Built by :meth:`Sweep.cells`; ``settings`` are the dotted ``Config`` settings of this cell
    (the seed's included), sorted by name, with JSON values (lists for tuples).
    """

    sweep: str
    chapter: str
    scale: str
    experiment: str
    measure: str
    seed: int | None
    settings: tuple[tuple[str, Any], ...]
    varying: tuple[str, ...] = ()
    seed_setting: str | None = None

    @property
    def key(self) -> str:
        """The cell's file name stem: its seed and grid values, readable, plus a short hash of
        every setting (fixed ones too, so a changed definition never reuses an old record)."""
        text = json.dumps(
            {"seed": self.seed, "settings": dict(self.settings)}, sort_keys=True, default=str
        )
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        parts = [] if self.seed is None else [f"seed{self.seed}"]
        for name, value in self.settings:
            if name not in self.varying:
                continue
            short = name.rsplit(".", 1)[-1]
            parts.append(f"{short}={value}")
        slug = re.sub(r"[^A-Za-z0-9=.+-]+", "_", ",".join(parts))[:80].strip("_")
        return f"{slug}-{digest}" if slug else digest

    def config(self) -> Any:
        """The chapter's ``Config`` for this cell: the scale's preset with the cell's settings."""
        from theorybook.chapters import chapter

        base = chapter(self.chapter).config(self.scale)
        changes = {k: _settings_value(v) for k, v in self.settings}
        if self.seed_setting is not None and isinstance(_current(base, self.seed_setting), tuple):
            changes[self.seed_setting] = (self.seed,)  # a setting that lists seeds gets one
        return base.replace(**changes) if changes else base

    def as_dict(self) -> dict[str, Any]:
        """The cell as written in its record."""
        return {
            "sweep": self.sweep,
            "chapter": self.chapter,
            "scale": self.scale,
            "experiment": self.experiment,
            "measure": self.measure,
            "seed": self.seed,
            "settings": dict(self.settings),
            "varying": list(self.varying),
            "seed_setting": self.seed_setting,
            "key": self.key,
        }


def _current(cfg: Any, dotted: str) -> Any:
    """The value of a dotted setting in ``cfg``."""
    value = cfg
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _check_name(where: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{where} must be lower-case letters, digits, '-' or '_' (a folder name), got {value!r}"
        )
    return value


@dataclass(frozen=True)
class Sweep:
    """A grid of runs of one chapter's experiment: every seed × every combination of settings.

    Arguments:
        name: the sweep's name, its folder under ``results/<chapter>/sweeps/``.
        chapter: the chapter, by number (``"07"``), notebook stem or subpackage.
        experiment: ``"run_all"`` (the whole pipeline: the records hold the claims table),
            a ``run_*`` function of the chapter's ``experiments`` module, or ``"notebook"``
            (execute the chapter's notebook at ``scale``; the records hold the claims it shows).
        scale: the preset the cells start from.
        seeds: the seeds; each cell sets ``seed_setting`` to one of them.
        seed_setting: the dotted ``Config`` setting that receives the seed (a setting that lists
            seeds, such as ``deep.seeds``, receives the one-seed tuple), or ``None`` when the
            experiment runs its own seeds (``seeds`` must then be ``(0,)``).
        grid: dotted ``Config`` settings and the values each takes (the cells are their product).
        points: explicit combinations of settings, for a design that is not a product (each
            point is crossed with the grid and the seeds); a point's settings vary like the grid's.
        fixed: dotted settings applied to every cell.
        measure: ``"module:function"``, called as ``measure(result, cfg)``; it returns the numbers
            recorded for the cell (a mapping of JSON values). Default: for ``run_all`` the claims
            table's values and statuses, else every number of the result record
            (:func:`theorybook.sweep_records.result_numbers`).
    """

    name: str
    chapter: str
    experiment: str = "run_all"
    scale: str = "book"
    seeds: tuple[int, ...] = (0,)
    seed_setting: str | None = "seed"
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    measure: str | None = None
    points: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        from theorybook.boundary import check_fields
        from theorybook.chapters import chapter

        check_fields(self)
        _check_name("Sweep.name", self.name)
        object.__setattr__(self, "chapter", chapter(self.chapter).stem)
        check_scale(self.scale, "Sweep.scale")
        if not isinstance(self.experiment, str) or not (
            self.experiment in ("run_all", NOTEBOOK) or self.experiment.startswith("run_")
        ):
            raise ValueError(
                f"Sweep.experiment must be 'run_all', a run_* function of the chapter's "
                f"experiments module or 'notebook', got {self.experiment!r}"
            )
        seeds = tuple(self.seeds)
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
            raise ValueError(f"Sweep.seeds must be non-negative ints, at least one; got {seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"Sweep.seeds has repeats: {seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        if self.seed_setting is None and seeds != (0,):
            raise ValueError(
                "Sweep.seeds must be (0,) when seed_setting is None (the experiment runs its "
                f"own seeds); got {seeds!r}"
            )
        grid = {str(k): tuple(v) for k, v in dict(self.grid).items()}
        for key, values in grid.items():
            if not values:
                raise ValueError(f"Sweep.grid[{key!r}] has no values")
            for v in values:
                _json_value(f"Sweep.grid[{key!r}]", v)
        fixed = {str(k): v for k, v in dict(self.fixed).items()}
        for key, v in fixed.items():
            _json_value(f"Sweep.fixed[{key!r}]", v)
        points = tuple({str(k): v for k, v in dict(p).items()} for p in self.points)
        point_names = {k for p in points for k in p}
        for i, point in enumerate(points):
            if not point:
                raise ValueError(f"Sweep.points[{i}] is empty")
            for key, v in point.items():
                _json_value(f"Sweep.points[{i}][{key!r}]", v)
        if len({json.dumps(p, sort_keys=True, default=str) for p in points}) != len(points):
            raise ValueError("Sweep.points has repeats")
        object.__setattr__(self, "points", points)
        seed_names = {self.seed_setting} if self.seed_setting is not None else set()
        clash = (
            set(grid) & set(fixed)
            | point_names & (set(grid) | set(fixed))
            | (seed_names & (set(grid) | set(fixed) | point_names))
        )
        if clash:
            raise ValueError(f"Sweep: {sorted(clash)} set twice (grid, fixed, seed_setting)")
        if self.experiment == NOTEBOOK and (
            grid or fixed or points or self.seed_setting is not None
        ):
            raise ValueError(
                "Sweep: a notebook runs its scale's preset as it stands; give no grid, no fixed "
                "settings and seed_setting=None"
            )
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "fixed", fixed)
        if self.measure is not None:
            _resolve(self.measure)
        if self.experiment not in ("run_all", NOTEBOOK):
            module = chapter(self.chapter).module("experiments")
            if not callable(getattr(module, self.experiment, None)):
                raise ValueError(f"{module.__name__} has no {self.experiment}")
        # build the first cell's config now, so a misspelled setting fails here, not in a job
        if self.experiment != NOTEBOOK:
            self.cells()[0].config()

    @property
    def measure_name(self) -> str:
        """The measure the cells use (the default spelled out)."""
        if self.measure is not None:
            return self.measure
        if self.experiment in ("run_all", NOTEBOOK):
            return "theorybook.sweep_measures:claim_numbers"
        return "theorybook.sweep_measures:result_numbers"

    def cells(self) -> tuple[Cell, ...]:
        """Every cell, seeds varying fastest."""
        names = sorted(self.grid)
        varying = tuple(sorted(set(names) | {k for p in self.points for k in p}))
        out = []
        for point, values in itertools.product(
            self.points or ({},), itertools.product(*(self.grid[n] for n in names))
        ):
            for seed in self.seeds:
                settings = dict(self.fixed)
                settings.update(point)
                settings.update(zip(names, values, strict=True))
                if self.seed_setting is not None:
                    settings[self.seed_setting] = seed
                pairs = tuple(sorted((k, _json_value(k, v)) for k, v in settings.items()))
                out.append(
                    Cell(
                        sweep=self.name,
                        chapter=self.chapter,
                        scale=self.scale,
                        experiment=self.experiment,
                        measure=self.measure_name,
                        seed=None if self.seed_setting is None else seed,
                        settings=pairs,
                        varying=varying,
                        seed_setting=self.seed_setting,
                    )
                )
        return tuple(out)


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"a measure is 'module:function', got {path!r}")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ValueError(f"{path!r} names no function")
    return fn


def _sweep_dir(out: Path, cell: Cell) -> Path:
    return out / cell.chapter / "sweeps" / cell.sweep


@checked
def cell_path(cell: Cell, out: str | os.PathLike[str]) -> Path:
    """Where ``cell``'s record is written: ``<out>/<chapter>/sweeps/<sweep>/<key>.json``."""
    return _sweep_dir(Path(out), cell) / f"{cell.key}.json"


@checked
def missing_cells(cells: Sequence[Cell], out: str | os.PathLike[str]) -> tuple[Cell, ...]:
    """The cells of ``cells`` that have no record under ``out`` yet (what a rerun would run)."""
    return tuple(c for c in cells if not cell_path(c, out).is_file())


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, for the time of the block (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cell_environment(scale: str, threads: int) -> dict[str, str]:
    """The book's thread policy and the cell's scale, for the time of one cell."""
    return {
        "THEORYBOOK_SCALE": scale,
        "THEORYBOOK_THREADS": str(threads),
        "THEORYBOOK_PROGRESS": "off",
    }


def _run_experiment(cell: Cell) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one cell; return (config as a dict, numbers)."""
    from theorybook.chapters import chapter

    measure = _resolve(cell.measure)
    if cell.experiment == NOTEBOOK:
        from theorybook.sweep_measures import execute_notebook

        run = execute_notebook(cell.chapter, cell.scale)
        if not run.ok:
            raise RuntimeError(f"{cell.chapter} at {cell.scale} scale failed: {run.error}")
        return {}, dict(measure(run, None))
    cfg = cell.config()
    ch = chapter(cell.chapter)
    if cell.experiment == "run_all":
        result: Any = ch.run(cfg)
    else:
        fn = getattr(ch.module("experiments"), cell.experiment, None)
        if fn is None:
            raise ValueError(f"theorybook.{ch.package}.experiments has no {cell.experiment}")
        result = fn(cfg)
    return cfg.as_dict(), dict(measure(result, cfg))


@checked
def run_cell(
    cell: Cell, out: str | os.PathLike[str], *, threads: PositiveInt = 1, executor: str = ""
) -> Path:
    """Run one cell and write its record (atomically: a killed run leaves no record).

    Arguments:
        cell: the cell.
        out: the ``results`` folder the record goes under.
        threads: torch/BLAS threads for the run (``THEORYBOOK_THREADS``).
        executor: how the cell was started, for the record.

    Returns:
        The record's path.
    """
    from theorybook.reporting import environment_report, save_json

    target = cell_path(cell, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = target.with_suffix(".started")
    started.write_text(f"{os.getpid()}\n")
    start = time.perf_counter()
    failed = target.with_suffix(".failed.json")
    try:
        with _environment(_cell_environment(cell.scale, threads)):
            config, numbers = _run_experiment(cell)
    except BaseException as err:  # kept for the reader; the cell stays missing, a rerun retries
        save_json(
            failed,
            {
                **cell.as_dict(),
                "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc()[-8000:],
            },
        )
        started.unlink(missing_ok=True)
        raise
    failed.unlink(missing_ok=True)
    payload = {
        **cell.as_dict(),
        "wall_seconds": round(time.perf_counter() - start, 3),
        "executor": executor or "inprocess",
        "pid": os.getpid(),
        "job_id": os.environ.get("SLURM_JOB_ID") or os.environ.get("SUBMITIT_JOB_ID") or "",
        "config": config,
        "numbers": numbers,
        "environment": environment_report().as_dict(),
    }
    partial = target.with_suffix(".json.partial")
    save_json(partial, payload)
    partial.replace(target)
    started.unlink(missing_ok=True)
    return target


def _job_environment(threads: int) -> dict[str, str]:
    """The environment a submitted job inherits: ``threads`` threads for torch, BLAS and XLA
    (the Makefile's book policy), set at submission (submitit's local jobs copy this process's
    environment; ``sbatch`` exports it by default)."""
    n = str(threads)
    xla = "--xla_cpu_multi_thread_eigen=false " if threads == 1 else ""
    return {
        "THEORYBOOK_THREADS": n,
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "XLA_FLAGS": f"{xla}intra_op_parallelism_threads={n}",
        "THEORYBOOK_PROGRESS": "off",
    }


@contextlib.contextmanager
def _children_take_sigint() -> Iterator[None]:
    """While submitting local jobs, let the processes started here take SIGINT.

    submitit's ``LocalJob.cancel`` sends SIGINT to the job's controller process, which then
    interrupts the job's process (it forwards SIGINT, then SIGKILL). A process started with SIGINT
    ignored (the background of a non-interactive shell: ``nohup … &``) passes the ignore on to
    every process it starts, so the controller would ignore the cancel and the job run to its
    end; started with SIGINT's default, the controller passes the default on to the job. A signal
    with a handler is reset to its default in a started program, so for the submission SIGINT
    gets a handler that does nothing (this process keeps not reacting to it), and the ignore is
    restored afterwards. Only in the main thread (Python sets handlers there only).
    """
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if not ignored or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_cells(cells: Sequence[Cell], out: str, threads: int, executor: str) -> list[str]:
    """One job's work: its cells, one after the other, skipping those recorded meanwhile (a
    job can be cancelled: :func:`_children_take_sigint`)."""
    done = []
    for cell in cells:
        if not cell_path(cell, out).is_file():
            run_cell(cell, out, threads=threads, executor=executor)
            done.append(cell.key)
    return done


@record
@dataclass(frozen=True)
class SweepRun:
    """What :func:`run_sweeps` did: the cells it ran, skipped (recorded before) or lost.

    ``failed`` pairs a cell's key with its error; ``jobs`` are submitit's job objects (empty
    in-process), for a caller that submitted without waiting.
    """

    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]
    jobs: tuple[Any, ...] = ()
    submission_folder: str = ""


def _executor(
    kind: str,
    folder: Path,
    *,
    threads: int,
    timeout_min: float,
    gpus_per_job: int,
    partition: str | None,
    array_parallelism: int | None,
    slurm_options: Mapping[str, Any],
) -> Any:
    import submitit

    params: dict[str, Any] = {}
    if kind == "slurm":
        executor: Any = submitit.SlurmExecutor(folder=folder)
        params = {"time": max(1, round(timeout_min)), "cpus_per_task": threads}
        params["job_name"] = "theorybook-sweep"
        if gpus_per_job:
            params["gpus_per_node"] = gpus_per_job
        if partition:
            params["partition"] = partition
        if array_parallelism:
            params["array_parallelism"] = array_parallelism
        params.update(slurm_options)
    else:
        executor = submitit.LocalExecutor(folder=folder)
        params = {"timeout_min": timeout_min}
        if gpus_per_job:
            params["gpus_per_node"] = gpus_per_job
    executor.update_parameters(**params)
    return executor


def _gpu_groups(gpus_per_job: int) -> int:
    """How many disjoint groups of ``gpus_per_job`` GPUs this machine has (at least one)."""
    import torch

    count = torch.cuda.device_count()
    if count < gpus_per_job:
        raise ValueError(
            f"gpus_per_job={gpus_per_job}, but torch sees {count} GPU(s) on this machine"
        )
    return count // gpus_per_job


@checked
def run_sweeps(
    sweeps: Sweep | Sequence[Sweep],
    *,
    out: str | os.PathLike[str] | None = None,
    executor: Executor = "inprocess",
    jobs: PositiveInt = 1,
    threads: PositiveInt = 1,
    gpus_per_job: NonNegativeInt = 0,
    timeout_min: PositiveReal = 24 * 60,
    partition: str | None = None,
    array_parallelism: PositiveInt | None = None,
    slurm_options: Mapping[str, Any] | None = None,
    logs: str | os.PathLike[str] | None = None,
    wait: bool = True,
    on_submit: Callable[[Sequence[Any]], None] | None = None,
) -> SweepRun:
    """Run every cell of ``sweeps`` that has no record under ``out`` yet.

    Arguments:
        sweeps: one sweep or several (their cells run together, e.g. in one Slurm array).
        out: the ``results`` folder (default: the checkout's, found like
            :func:`theorybook.records.find_results_dir`).
        executor: ``"inprocess"``, ``"local"`` (``jobs`` processes through submitit) or
            ``"slurm"`` (one array job through submitit, one task per cell).
        jobs: local processes (``"local"`` only); each takes every ``jobs``-th missing cell.
        threads: torch/BLAS threads per cell, and CPUs per Slurm task.
        gpus_per_job: GPUs per local process or Slurm task (local processes with GPUs are
            given distinct devices in turn: ``CUDA_VISIBLE_DEVICES``).
        timeout_min: the wall-clock limit of one job, in minutes (Slurm's ``--time``).
        partition: the Slurm partition.
        array_parallelism: how many Slurm array tasks may run at once.
        slurm_options: further ``sbatch`` options, by the names of submitit's
            ``SlurmExecutor`` (``{"account": "x", "qos": "high"}``).
        logs: the folder for submitit's job files and logs (default:
            ``<out>/.submitit/<first sweep>``).
        wait: wait for the jobs (local and Slurm); otherwise return after submitting.
        on_submit: called with the submitted jobs before waiting (e.g. to print their ids).

    Returns:
        The :class:`SweepRun`: cells run, skipped and failed.
    """
    from theorybook.records import find_results_dir

    chosen = [sweeps] if isinstance(sweeps, Sweep) else list(sweeps)
    if not chosen or not all(isinstance(s, Sweep) for s in chosen):
        raise TypeError("sweeps must be a Sweep or a non-empty sequence of Sweeps")
    if executor != "local" and jobs != 1:
        raise ValueError(f"jobs applies to the local executor only, got jobs={jobs}")
    slurm_only = {
        "partition": partition,
        "array_parallelism": array_parallelism,
        "slurm_options": slurm_options or None,
    }
    given = sorted(k for k, v in slurm_only.items() if v is not None)
    if executor != "slurm" and given:
        raise ValueError(
            f"{', '.join(given)} apply to the slurm executor only (executor={executor!r})"
        )
    if executor == "inprocess" and gpus_per_job:
        raise ValueError(
            "gpus_per_job applies to the local and slurm executors (an in-process cell uses "
            f"this process's devices), got gpus_per_job={gpus_per_job}"
        )
    root = Path(out) if out is not None else find_results_dir()
    if root is None:
        raise ValueError("no results folder found: pass out=")
    cells = [c for s in chosen for c in s.cells()]
    keys = [(c.chapter, c.sweep, c.key) for c in cells]
    if len(set(keys)) != len(keys):
        raise ValueError("two sweeps of one chapter share a name and a cell")
    todo = missing_cells(cells, root)
    skipped = tuple(c.key for c in cells if c not in todo)
    if not todo:
        return SweepRun(ran=(), skipped=skipped, failed=())
    if executor == "inprocess":
        done: list[str] = []
        lost: list[tuple[str, str]] = []
        for cell in todo:
            try:
                run_cell(cell, root, threads=threads, executor="inprocess")
                done.append(cell.key)
            except Exception as err:  # record the failure, run the other cells
                lost.append((cell.key, f"{type(err).__name__}: {err}"))
                traceback.print_exc()
        return SweepRun(ran=tuple(done), skipped=skipped, failed=tuple(lost))
    folder = Path(logs) if logs is not None else root / ".submitit" / chosen[0].name
    ex = _executor(
        executor,
        folder,
        threads=threads,
        timeout_min=timeout_min,
        gpus_per_job=gpus_per_job,
        partition=partition,
        array_parallelism=array_parallelism,
        slurm_options=dict(slurm_options or {}),
    )
    if executor == "slurm":
        with _environment(_job_environment(threads)):
            jobs_list = ex.map_array(
                _run_cells,
                [[c] for c in todo],
                [str(root)] * len(todo),
                [threads] * len(todo),
                ["slurm"] * len(todo),
            )
        shards: list[list[Cell]] = [[c] for c in todo]
    else:
        shards = [list(todo[i::jobs]) for i in range(min(jobs, len(todo)))]
        jobs_list = []
        groups = _gpu_groups(gpus_per_job) if gpus_per_job else 1
        for i, shard in enumerate(shards):
            if gpus_per_job:  # the processes take the machine's GPUs in turn
                first = (i % groups) * gpus_per_job
                ex.update_parameters(visible_gpus=tuple(range(first, first + gpus_per_job)))
            with _environment(_job_environment(threads)), _children_take_sigint():
                jobs_list.append(ex.submit(_run_cells, shard, str(root), threads, "local"))
    if on_submit is not None:
        on_submit(jobs_list)
    if not wait:
        return SweepRun(
            ran=(), skipped=skipped, failed=(), jobs=tuple(jobs_list), submission_folder=str(folder)
        )
    failed = []
    for job, shard in zip(jobs_list, shards, strict=True):
        try:
            job.result()
        except Exception as err:  # a failed or cancelled job: its unrecorded cells are failed
            message = f"{type(err).__name__}: {str(err).strip().splitlines()[-1:]}"
            failed += [(c.key, message) for c in shard if not cell_path(c, root).is_file()]
    ran = tuple(c.key for c in todo if cell_path(c, root).is_file())
    return SweepRun(
        ran=ran,
        skipped=skipped,
        failed=tuple(failed),
        jobs=tuple(jobs_list),
        submission_folder=str(folder),
    )
