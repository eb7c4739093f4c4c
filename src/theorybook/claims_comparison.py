"""Compare the claims of two runs of the book: which rows changed status, which values moved.

A build writes each chapter's claims to ``_build/claims/<chapter>.json`` (a list of
:meth:`theorybook.claims.Claim.record` dicts), and ``scripts/run_chapters.py`` writes a manifest
per chapter and run (``<out>/<chapter>/<scale>-*.json``, the records under ``"claims"``).
:func:`load_claim_records` reads either, a file or a folder of them, and :func:`compare_claims`
lines up two such sets row by row (chapter and id). Its result says whether every row kept its
status, the test the book's own checks apply to a change that should only make it faster, or to a
build with the chapters run in parallel against one run one after the other.

``scripts/compare_claims.py BEFORE AFTER`` prints the comparison and exits with status 1 when a
row changed status or is missing on one side.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorybook.boundary import checked, record

__all__ = ["ClaimChange", "ClaimsComparison", "compare_claims", "load_claim_records"]

ClaimRecords = Mapping[tuple[str, str], Mapping[str, Any]]
"""Claim records keyed by (chapter, claim id)."""


def _rows_of(data: object, path: Path) -> list[Mapping[str, Any]]:
    rows = data.get("claims") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "id" in r for r in rows):
        raise ValueError(
            f"{path} holds neither a list of claim records nor a manifest with a 'claims' list"
        )
    return rows


@checked
def load_claim_records(path: str | os.PathLike[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Read claim records from a file or, recursively, from every ``*.json`` file of a folder.

    Arguments:
        path: ``_build/claims`` or one of its files, or the ``--out`` folder of
            ``scripts/run_chapters.py`` or one of its manifests.

    Returns:
        The records keyed by (chapter, claim id); a chapter's name comes from the record's
        ``chapter`` field, else from its file (the file's stem, or for a manifest its folder).
        Where a folder holds several manifests of one chapter, the rows of the last by file name
        (the latest run) are kept, and only those: a row an earlier run had is not carried over.
    """
    root = Path(path)
    if not root.exists():
        raise ValueError(f"no claims at {root}: expected a JSON file or a folder of them")
    files = sorted(root.rglob("*.json")) if root.is_dir() else [root]
    if not files:
        raise ValueError(f"{root} holds no JSON files")
    chapters: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for file in files:
        try:
            data = json.loads(file.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{file} is not valid JSON: {err}") from None
        default = file.parent.name if isinstance(data, dict) else file.stem
        found: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        for row in _rows_of(data, file):
            chapter = str(row.get("chapter") or default)
            found.setdefault(chapter, {})[(chapter, str(row["id"]))] = dict(row)
        chapters.update(found)  # a later run of a chapter replaces all of its rows
    return {key: row for rows in chapters.values() for key, row in rows.items()}


@record
@dataclass(frozen=True)
class ClaimChange:
    """One row of the comparison: its status and measured value before and after (``None``
    where the row is missing on that side)."""

    chapter: str
    claim_id: str
    status_before: str | None
    status_after: str | None
    measured_before: Any
    measured_after: Any

    @property
    def missing(self) -> bool:
        """The row exists on one side only."""
        return self.status_before is None or self.status_after is None

    @property
    def status_changed(self) -> bool:
        """The row is on both sides with different statuses."""
        return not self.missing and self.status_before != self.status_after

    @property
    def value_moved(self) -> bool:
        """The measured value differs (NaN equals NaN; lists compare element by element)."""
        return not self.missing and not _same_value(self.measured_before, self.measured_after)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@record
@dataclass(frozen=True)
class ClaimsComparison:
    """Two sets of claim records lined up by (chapter, id), in the order of the first set."""

    changes: tuple[ClaimChange, ...]

    @property
    def status_changes(self) -> tuple[ClaimChange, ...]:
        """Rows whose status differs."""
        return tuple(c for c in self.changes if c.status_changed)

    @property
    def missing(self) -> tuple[ClaimChange, ...]:
        """Rows on one side only."""
        return tuple(c for c in self.changes if c.missing)

    @property
    def moved_values(self) -> tuple[ClaimChange, ...]:
        """Rows whose measured value differs (wall-clock rows among them, as a rule)."""
        return tuple(c for c in self.changes if c.value_moved)

    @property
    def same_statuses(self) -> bool:
        """Every row is on both sides with the same status."""
        return not self.status_changes and not self.missing

    def summary(self) -> str:
        """One line: rows compared, status changes, missing rows, moved values."""
        return (
            f"{len(self.changes)} rows: {len(self.status_changes)} changed status, "
            f"{len(self.missing)} on one side only, {len(self.moved_values)} moved value"
        )

    def to_text(self, *, all_rows: bool = False) -> str:
        """A table of the rows that changed (every row with ``all_rows``), then the summary."""
        lines = []
        for c in self.changes:
            if not (all_rows or c.missing or c.status_changed or c.value_moved):
                continue
            mark = "missing" if c.missing else "STATUS" if c.status_changed else ""
            lines.append(
                f"{c.chapter[:28]:28s} {c.claim_id[:28]:28s} {c.status_before!s:>14s} -> "
                f"{c.status_after!s:14s} {_short(c.measured_before):>12s} -> "
                f"{_short(c.measured_after):12s} {mark}"
            )
        return "\n".join([*lines, self.summary()])


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)[:12]


@checked
def compare_claims(before: ClaimRecords, after: ClaimRecords) -> ClaimsComparison:
    """Line up two sets of claim records (from :func:`load_claim_records`) row by row.

    Arguments:
        before: the reference records, keyed by (chapter, claim id).
        after: the records to compare with them.

    Returns:
        The comparison: every row of ``before`` in order, then the rows only ``after`` has.
    """
    keys = list(before) + [k for k in after if k not in before]
    changes = []
    for key in keys:
        b, a = before.get(key), after.get(key)
        changes.append(
            ClaimChange(
                chapter=key[0],
                claim_id=key[1],
                status_before=None if b is None else str(b.get("status")),
                status_after=None if a is None else str(a.get("status")),
                measured_before=None if b is None else b.get("measured"),
                measured_after=None if a is None else a.get("measured"),
            )
        )
    return ClaimsComparison(changes=tuple(changes))
