"""The recorded paper-size runs of the AR-Net chapter (chapter 6): the high-order grid and the
timing benchmark.

``scripts/arnet_high_order.py`` runs the paper's high orders (up to ``p = 1000`` on ``N = 10^5``
samples) once and records them in ``results/06_ar_net/high_order.json``;
``benchmarks/bench_arnet.py`` times the fits at ``N = 10^5`` on one core and records them in
``results/06_ar_net/bench_n1e5.json``. The chapter shows those records, read through
:func:`theorybook.records.load_record` (from a checkout, a wheel or a downloaded notebook).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from theorybook.arnet.results import (
    HighOrderRecord,
    SparseOrderResult,
    TimingRecord,
    TimingResult,
)
from theorybook.boundary import checked
from theorybook.records import load_record
from theorybook.validation import int_sequence

__all__ = [
    "CHAPTER_FOLDER",
    "HIGH_ORDER_FILE",
    "TIMING_FILE",
    "load_high_order_record",
    "load_timing_record",
    "parse_high_order",
    "parse_timing",
]

CHAPTER_FOLDER = "06_ar_net"
"""The chapter's folder under ``results/``."""
HIGH_ORDER_FILE = "high_order.json"
"""The record's file name in :data:`CHAPTER_FOLDER`."""
TIMING_FILE = "bench_n1e5.json"
"""The timing benchmark's record in :data:`CHAPTER_FOLDER`."""

_ARRAYS = ("stpe_ls", "stpe_arnet", "mse_ls", "mse_arnet", "seconds_ls", "seconds_arnet")


def parse_high_order(payload: Any, *, source: str = HIGH_ORDER_FILE) -> HighOrderRecord:
    """The :class:`~theorybook.arnet.results.HighOrderRecord` in a parsed manifest.

    Arguments:
        payload: the manifest (``save_manifest``'s JSON, with ``numbers``, ``environment`` and
            ``wall_seconds``).
        source: where it came from, for the error message.

    Returns:
        The record.

    Raises:
        ValueError: when ``payload`` is not such a record.
    """
    try:
        nums = payload["numbers"]
        env = payload["environment"]
        arrays = {k: np.asarray(nums[k], dtype=float) for k in _ARRAYS}
        orders = int_sequence("orders", nums["orders"], low=3)
        # a record states its c_λ setting; an older one used the config's tuned constant
        c_lambda = nums.get("c_lambda", (payload.get("config") or {}).get("c_lambda", "paper"))
        topk = nums.get("stpe_topk")
        result = SparseOrderResult(
            orders=orders,
            n_train=int(nums["n_train"]),
            c_lambda=c_lambda if c_lambda == "paper" else float(c_lambda),
            stpe_topk=None if topk is None else np.asarray(topk, dtype=float),
            **arrays,
        )
        shape = (len(orders), len(nums["seeds"]))
        if any(a.shape != shape for a in arrays.values()) or (
            result.stpe_topk is not None and result.stpe_topk.shape != shape
        ):
            raise ValueError(f"arrays are not {shape}")
        return HighOrderRecord(
            result=result,
            commit=str(env.get("commit")),
            recorded_on=str(env.get("timestamp", env.get("date", ""))),
            wall_seconds=float(payload["wall_seconds"]),
            cpu=str(env.get("cpu", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{source} is not a high-order record: {err}") from None


@checked
def load_high_order_record(*, root: str | os.PathLike[str] | None = None) -> HighOrderRecord | None:
    """The recorded high-order grid, ``results/06_ar_net/high_order.json``, or ``None`` when
    there is no record (:func:`theorybook.records.load_record` finds the ``results`` folder;
    ``root`` names it explicitly).

    Raises ``ValueError`` when the file exists but is not such a record.
    """
    payload = load_record(CHAPTER_FOLDER, HIGH_ORDER_FILE, root=root)
    if payload is None:
        return None
    return parse_high_order(payload, source=f"{CHAPTER_FOLDER}/{HIGH_ORDER_FILE}")


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
