"""The Scorecard's figure and counts (book/_ext/theorybook_book.py), on hand-made records."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
theorybook_book = pytest.importorskip("theorybook_book")


def _rec(status: str, kind: str = "reproduction", challenged: bool = False) -> dict[str, Any]:
    return {"kind": kind, "status": status, "challenged": challenged}


def test_only_challenged_reproductions_count_in_the_headline() -> None:
    records = [
        _rec("holds", challenged=True),
        _rec("holds", challenged=False),  # holds with a stated reason, not challenged
        _rec("unchallenged"),
        _rec("holds", kind="exact"),
        _rec("holds", kind="extension", challenged=True),
    ]
    assert theorybook_book.challenged_holds(records) == 1
    assert theorybook_book.challenged_holds([{"kind": "reproduction", "status": "holds"}]) == 0


def test_figure_has_one_bar_per_chapter_split_by_status() -> None:
    chapters = [
        (
            1,
            "Regularized auto-encoders",
            "../chapters/01.html",
            [
                _rec("holds", challenged=True),
                _rec("holds", challenged=True),
                _rec("within noise"),
                _rec("fails"),
                _rec("holds", kind="exact"),
            ],
        ),
        (2, "Diffusion & <generalization>", "../chapters/02.html", [_rec("pending")]),
        (3, "Not executed", "../chapters/03.html", []),
    ]
    svg = theorybook_book.scorecard_figure(chapters)
    root = ET.fromstring(svg)  # well-formed, escaped
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    titles = [r.find(f"{ns}title").text for r in bars]  # type: ignore[union-attr]
    assert titles == [
        "Chapter 1: 2 holds, challenged",
        "Chapter 1: 1 within noise",
        "Chapter 1: 1 fails",
        "Chapter 2: 1 pending",
    ]
    # one unit of length per row, on one scale for every chapter
    widths = [float(r.get("width", "0")) for r in bars]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[1] == pytest.approx(widths[3])
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "2 of 4 hold challenged" in texts and "0 of 1 hold challenged" in texts
    assert "not executed" in texts
    assert "&lt;generalization&gt;" in svg or "Diffusion &amp;" in svg


def test_listed_rows_say_what_their_status_rests_on() -> None:
    detail = theorybook_book._detail
    assert detail(
        {"status": "pending", "pending_on": ["training.steps"], "pending_reason": "x"}
    ) == ("pending on training.steps: x")
    spread = {"what": "range over 3 seeds", "low": 0.7, "high": 1.2, "values": []}
    assert "range over 3 seeds" in detail({"status": "within noise", "spread": spread})
    assert (
        detail({"status": "not separating", "baseline_name": "identity"}) == "identity passes too"
    )
