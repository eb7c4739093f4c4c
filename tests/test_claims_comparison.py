"""theorybook.claims_comparison and scripts/compare_claims.py: two runs' claims, row by row."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from theorybook.claims import ClaimTable
from theorybook.claims_comparison import compare_claims, load_claim_records

ROOT = Path(__file__).resolve().parents[1]


def _row(claim_id: str, status: str, measured: object, chapter: str = "") -> dict[str, object]:
    out: dict[str, object] = {"id": claim_id, "status": status, "measured": measured}
    if chapter:
        out["chapter"] = chapter
    return out


def _build_dir(tmp_path: Path, name: str, rows: list[dict[str, object]]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "09_toy.json").write_text(json.dumps(rows))
    return folder


def test_identical_builds_have_the_same_statuses(tmp_path: Path) -> None:
    rows = [_row("a", "holds", 1.5), _row("b", "fails", math.nan), _row("c", "reported", [1, 2])]
    a = load_claim_records(_build_dir(tmp_path, "a", rows))
    b = load_claim_records(_build_dir(tmp_path, "b", rows))
    comparison = compare_claims(a, b)
    assert comparison.same_statuses
    assert not comparison.moved_values  # NaN equals NaN, lists element by element
    assert comparison.summary().startswith("3 rows: 0 changed status")


def test_a_status_change_a_moved_value_and_a_missing_row_are_found(tmp_path: Path) -> None:
    before = [_row("a", "holds", 1.5), _row("b", "fails", 2.0), _row("c", "holds", 3.0)]
    after = [_row("a", "within noise", 1.5), _row("b", "fails", 2.5), _row("d", "holds", 1.0)]
    comparison = compare_claims(
        load_claim_records(_build_dir(tmp_path, "a", before)),
        load_claim_records(_build_dir(tmp_path, "b", after)),
    )
    assert not comparison.same_statuses
    assert [c.claim_id for c in comparison.status_changes] == ["a"]
    assert [c.claim_id for c in comparison.moved_values] == ["b"]
    assert [c.claim_id for c in comparison.missing] == ["c", "d"]
    text = comparison.to_text()
    assert "STATUS" in text and "missing" in text
    assert len(comparison.to_text(all_rows=True).splitlines()) == 5


def test_manifests_and_build_records_of_one_table_line_up(tmp_path: Path) -> None:
    from theorybook.claims import Claim, at_most

    table = ClaimTable(
        [Claim(id="x", statement="s", kind="exact", where="w", measured=0.1, check=at_most(1))],
        chapter="09_toy",
    )
    build = tmp_path / "_build" / "claims"
    build.mkdir(parents=True)
    (build / "09_toy.json").write_text(json.dumps(table.records()))
    runs = tmp_path / "out" / "09_toy"
    runs.mkdir(parents=True)
    manifest = {"chapter": "09_toy", "claims": [table["x"].record()]}
    (runs / "book-pipeline-1.json").write_text(json.dumps(manifest))
    a, b = load_claim_records(build), load_claim_records(tmp_path / "out")
    assert list(a) == list(b) == [("09_toy", "x")]
    assert compare_claims(a, b).same_statuses


def test_the_latest_manifest_of_a_chapter_replaces_the_earlier_runs_rows(tmp_path: Path) -> None:
    runs = tmp_path / "out" / "09_toy"
    runs.mkdir(parents=True)
    older = {"claims": [_row("a", "fails", 1.0), _row("gone", "holds", 2.0)]}
    newer = {"claims": [_row("a", "holds", 3.0)]}
    (runs / "book-pipeline-20261201T000000Z.json").write_text(json.dumps(older))
    (runs / "book-pipeline-20261207T000000Z.json").write_text(json.dumps(newer))
    records = load_claim_records(tmp_path / "out")
    assert list(records) == [("09_toy", "a")]
    assert records[("09_toy", "a")]["status"] == "holds"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"rows": []}), "neither a list"),
        (json.dumps([{"status": "holds"}]), "neither a list"),
    ],
)
def test_unreadable_records_are_refused(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_claim_records(path)


def test_missing_or_empty_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no claims at"):
        load_claim_records(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="holds no JSON files"):
        load_claim_records(tmp_path)


def test_the_script_exits_1_on_a_status_change(tmp_path: Path) -> None:
    a = _build_dir(tmp_path, "a", [_row("a", "holds", 1.0)])
    b = _build_dir(tmp_path, "b", [_row("a", "fails", 3.0)])
    script = str(ROOT / "scripts" / "compare_claims.py")
    same = subprocess.run([sys.executable, script, str(a), str(a)], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    changed = subprocess.run(
        [sys.executable, script, str(a), str(b)], capture_output=True, text=True
    )
    assert changed.returncode == 1 and "STATUS" in changed.stdout
