"""The recorded paper-size runs of the AR-Net chapter (chapter 6): the high-order grid and the
timing benchmark.

The sweep ``arnet-high-order`` (:func:`theorybook.sweep_studies.arnet_high_order`, run with
``scripts/sweep.py``) runs the paper's high orders (up to ``p = 1000`` on ``N = 10^5`` samples)
once and records them in ``results/06_ar_net/sweeps/high-order/``, one record per order;
``benchmarks/bench_arnet.py`` times the fits at ``N = 10^5`` on one core and records them in
``results/06_ar_net/bench_n1e5.json``. The chapter shows those records, read through
:func:`theorybook.sweep_records.load_cells` and :func:`theorybook.records.load_record` (from a
checkout, a wheel or a downloaded notebook).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from theorybook.arnet.results import (
    HighOrderRecord,
    SparseOrderResult,
    TimingRecord,
    TimingResult,
)
from theorybook.boundary import checked
from theorybook.records import load_record
from theorybook.sweep_records import CellRecord, load_cells
from theorybook.validation import int_sequence

__all__ = [
    "CHAPTER_FOLDER",
    "SWEEP",
    "TIMING_FILE",
    "load_high_order_record",
    "load_timing_record",
    "parse_high_order",
    "parse_timing",
]

CHAPTER_FOLDER = "06_ar_net"
"""The chapter's folder under ``results/``."""
SWEEP = "high-order"
"""The high-order sweep's name (:func:`theorybook.sweep_studies.arnet_high_order`)."""
TIMING_FILE = "bench_n1e5.json"
"""The timing benchmark's record in :data:`CHAPTER_FOLDER`."""

_ARRAYS = ("stpe_ls", "stpe_arnet", "mse_ls", "mse_arnet", "seconds_ls", "seconds_arnet")


def parse_high_order(cells: Sequence[CellRecord], *, source: str = SWEEP) -> HighOrderRecord:
    """The :class:`~theorybook.arnet.results.HighOrderRecord` in the high-order sweep's records.

    Arguments:
        cells: one record per model order (:func:`theorybook.sweep_records.load_cells`), each
            holding that order's per-seed arrays.
        source: where they came from, for the error message.

    Returns:
        The record: the orders × seeds arrays, the commits, dates, wall time and CPU of the runs.

    Raises:
        ValueError: when ``cells`` are not such records.
    """
    try:
        if not cells:
            raise ValueError("no cells")
        ordered = sorted(cells, key=lambda c: int(c.numbers["orders"][0]))
        nums = [c.numbers for c in ordered]
        orders = int_sequence("orders", [n["orders"][0] for n in nums], low=3, unique=True)
        if any(len(n["orders"]) != 1 for n in nums):
            raise ValueError("each cell must hold one order")
        arrays = {k: np.asarray([n[k] for n in nums], dtype=float) for k in _ARRAYS}
        c_lambdas = {str(n.get("c_lambda", "paper")) for n in nums}
        if len(c_lambdas) != 1:
            raise ValueError(f"the cells used different c_λ settings: {sorted(c_lambdas)}")
        c_text = c_lambdas.pop()
        c_lambda: float | Literal["paper"] = "paper" if c_text == "paper" else float(c_text)
        n_trains = {int(n["n_train"]) for n in nums}
        if len(n_trains) != 1:
            raise ValueError(f"the cells used different training sizes: {sorted(n_trains)}")
        topk = [n.get("stpe_topk") for n in nums]
        result = SparseOrderResult(
            orders=orders,
            n_train=n_trains.pop(),
            c_lambda=c_lambda,
            stpe_topk=None if any(t is None for t in topk) else np.asarray(topk, dtype=float),
            **arrays,
        )
        if len({a.shape for a in arrays.values()}) != 1:
            raise ValueError("the per-seed arrays differ in length")
        envs = [c.environment for c in ordered]
        return HighOrderRecord(
            result=result,
            commit=", ".join(sorted({str(e.get("commit")) for e in envs})),
            recorded_on=", ".join(sorted({str(e.get("timestamp", "")) for e in envs})),
            wall_seconds=float(sum(c.wall_seconds for c in ordered)),
            cpu=", ".join(sorted({str(e.get("cpu", "")) for e in envs})),
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{source} is not a high-order record: {err}") from None


@checked
def load_high_order_record(*, root: str | os.PathLike[str] | None = None) -> HighOrderRecord | None:
    """The recorded high-order grid, the sweep ``results/06_ar_net/sweeps/high-order/``
    (``scripts/sweep.py run arnet-high-order``), or ``None`` when nothing is recorded
    (:func:`theorybook.records.find_results_dir` finds the ``results`` folder; ``root`` names
    it explicitly).

    Raises ``ValueError`` when the records are not such a record.
    """
    cells = load_cells(CHAPTER_FOLDER, SWEEP, root=root)
    if not cells:
        return None
    return parse_high_order(cells, source=f"{CHAPTER_FOLDER}/sweeps/{SWEEP}")


_TIMING_ARRAYS = ("lstsq", "autoreg", "arnet_epoch", "arnet_full", "lstsq_spread", "arnet_spread")


def parse_timing(payload: Any, *, source: str = TIMING_FILE) -> TimingRecord:
    """The :class:`~theorybook.arnet.results.TimingRecord` in a parsed benchmark record.

    Arguments:
        payload: ``benchmarks/bench_arnet.py``'s JSON.
        source: where it came from, for the error message.

    Returns:
        The record.

    Raises:
        ValueError: when ``payload`` is not such a record (an older record without the default
            fit's ratio line included).
    """
    try:
        arrays = {k: np.asarray(payload[k], dtype=float) for k in _TIMING_ARRAYS}
        orders = int_sequence("orders", payload["orders"], low=1)
        timing = TimingResult(
            orders=orders,
            n=int(payload["n"]),
            epochs=int(payload["epochs"]),
            repeats=int(payload["repeats"]),
            **arrays,
        )
        torch_ratio = payload.get("torch_over_lstsq")
        return TimingRecord(
            timing=timing,
            ratio_order=int(payload["ratio_order"]),
            arnet_over_lstsq=float(payload["arnet_over_lstsq"]),
            torch_over_lstsq=None if torch_ratio is None else float(torch_ratio),
            first_fit_seconds=float(payload["arnet_first_fit_s"]),
            max_abs_dw=float(payload["max_abs_dw"]),
            load_average=float(payload["load_average_start"][0]),
            cpu=str(payload.get("cpu", "")),
            recorded_on=str(payload.get("recorded_on", "")),
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{source} is not a timing record: {err}") from None


@checked
def load_timing_record(*, root: str | os.PathLike[str] | None = None) -> TimingRecord | None:
    """The recorded timing benchmark, ``results/06_ar_net/bench_n1e5.json``, or ``None`` when
    there is no record (``root`` names the ``results`` folder explicitly).

    Raises ``ValueError`` when the file exists but is not such a record.
    """
    payload = load_record(CHAPTER_FOLDER, TIMING_FILE, root=root)
    if payload is None:
        return None
    return parse_timing(payload, source=f"{CHAPTER_FOLDER}/{TIMING_FILE}")
