"""What a sweep's cell measures (:mod:`theorybook.sweeps`): the numbers written in its record.

A sweep names its measure as ``"module:function"``, called as ``measure(result, cfg)`` after the
cell's experiment. The defaults: :func:`claim_numbers` for a whole chapter (``run_all`` or its
notebook, run by :func:`execute_notebook`): each claim's measured value and status; and
:func:`result_numbers` for one experiment: every number of its result record.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorybook.boundary import PositiveInt, checked, record

__all__ = [
    "CLAIMS_MIME_TYPE",
    "NotebookRun",
    "claim_numbers",
    "execute_notebook",
    "result_numbers",
]

CLAIMS_MIME_TYPE = "application/vnd.theorybook.claims+json"
"""The output a chapter's claims table carries in an executed notebook."""

MAX_LISTED = 1000
"""Arrays with more elements than this are left out of :func:`result_numbers`."""


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
