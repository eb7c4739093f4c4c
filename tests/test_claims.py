"""Tests of theorybook.claims: kinds, statuses, and a table that never hides or inflates a result."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from theorybook.claims import (
    CLAIMS_MIME_TYPE,
    Check,
    Claim,
    ClaimsNotHolding,
    ClaimTable,
    Status,
    at_least,
    at_most,
    between,
    close_to,
    is_true,
    reported,
)


def _claim(measured: object = 0.5, check: Check | None = None, **kw: object) -> Claim:
    base: dict[str, object] = dict(kind="reproduction", where="Thm. 1", scale="smoke")
    base.update(kw)
    cid = str(base.pop("cid", "c"))
    return Claim(cid, "a statement", measured=measured, check=check or at_most(1.0), **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "check, value, expected",
    [
        (at_most(1.0), 1.0, True),
        (at_most(1.0), 1.01, False),
        (at_least(2), 2, True),
        (between(0, 1), 0.5, True),
        (between(0, 1), -0.1, False),
        (close_to(0.165, abs_tol=1e-5), 0.165004, True),
        (close_to(10, rel_tol=0.1), 11.5, False),
        (is_true(), True, True),
        (is_true(), False, False),
    ],
)
def test_checks(check: Check, value: float, expected: bool) -> None:
    assert check.passes(value) is expected


@pytest.mark.parametrize("check", [at_most(1.0), at_least(0.0), between(-1, 1), is_true()])
@pytest.mark.parametrize("bad", [None, math.nan, np.float32("nan")])
def test_nan_and_none_never_pass(check: Check, bad: object) -> None:
    assert not check.passes(bad)  # type: ignore[arg-type]
    assert _claim(bad, check).status is Status.FAILS


def test_unknown_check_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        Check("bogus")


def test_reported_never_decides() -> None:
    c = _claim(1.3, reported(), kind="extension")
    assert c.status is Status.REPORTED
    assert "reported" in c.check.describe()


def test_kind_is_required_and_checked() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        _claim(kind="replication")


def test_where_must_locate_the_claim() -> None:
    with pytest.raises(ValueError, match="where must locate"):
        _claim(where="  ")


def test_pending_needs_a_reason_and_shows_it() -> None:
    with pytest.raises(ValueError, match="pending_reason"):
        _claim(2.0, expected_at="book")
    c = _claim(2.0, expected_at="book", pending_reason="ten times more training steps")
    assert c.status is Status.PENDING
    assert c.status_text == "pending: needs book scale"
    assert "ten times more" in ClaimTable([c], chapter="x").to_html()


def test_failure_at_the_expected_scale_stays_a_failure() -> None:
    c = _claim(2.0, expected_at="book", scale="book")
    assert c.status is Status.FAILS


def test_baseline_that_passes_too_is_not_separating() -> None:
    sharp = _claim(0.02, at_most(0.05), baseline=0.079, baseline_name="least squares")
    assert sharp.status is Status.HOLDS
    assert "does not pass" in sharp.row()["baseline"]
    blunt = _claim(0.02, at_most(0.1), baseline=0.079, baseline_name="least squares")
    assert blunt.status is Status.NOT_SEPARATING
    assert "passes too" in blunt.row()["baseline"]


def test_baseline_needs_a_name() -> None:
    with pytest.raises(ValueError, match="baseline_name"):
        _claim(0.1, baseline=0.2)


def test_calibrated_unless_measured_on_held_out_data() -> None:
    tuned = _claim(0.5, calibrated_on="seeds 0-3")
    assert tuned.status is Status.CALIBRATED
    held_out = _claim(0.5, calibrated_on="seeds 100-103", held_out=True)
    assert held_out.status is Status.HOLDS
    with pytest.raises(ValueError, match="held_out"):
        _claim(0.5, held_out=True)


def test_calibrated_failure_is_still_a_failure() -> None:
    assert _claim(5.0, calibrated_on="seeds 0-3").status is Status.FAILS


def test_measured_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="measured"):
        _claim("0.5")


def test_numpy_values_are_accepted() -> None:
    assert _claim(np.float64(0.5)).status is Status.HOLDS
    assert _claim(np.int64(1), at_least(1)).status is Status.HOLDS


def test_table_groups_by_kind_and_counts_reproductions_separately() -> None:
    table = ClaimTable(
        [
            _claim(0.5, cid="r1"),
            _claim(5.0, cid="r2"),
            _claim(0.5, cid="e1", kind="exact"),
            _claim(0.5, cid="x1", kind="extension"),
            _claim(2.0, cid="r3", expected_at="paper", pending_reason="more data"),
        ],
        chapter="99_test",
    )
    assert table.summary() == (
        "reproductions: 1 holds, 1 fails, 1 pending · exact: 1 holds · extensions: 1 holds"
    )
    html = table.to_html()
    assert html.index("Reproductions") < html.index("Exact checks") < html.index("Extensions")
    assert [c.id for c in table.failures()] == ["r2"]
    assert "claim-99_test-r1" in html


def test_table_rejects_duplicates_and_non_claims() -> None:
    with pytest.raises(ValueError, match="unique"):
        ClaimTable([_claim(cid="a"), _claim(cid="a")])
    with pytest.raises(TypeError):
        ClaimTable(["not a claim"])  # type: ignore[list-item]


def test_assert_hold_reports_every_claim_not_holding() -> None:
    table = ClaimTable([_claim(0.5, cid="ok"), _claim(5.0, cid="bad")])
    table.assert_hold(["ok"])
    with pytest.raises(ClaimsNotHolding, match="bad"):
        table.assert_hold()
    with pytest.raises(TypeError, match="sequence of claim ids"):
        table.assert_hold("ok")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        table.assert_hold(["missing"])


def test_calibrated_does_not_count_as_holding() -> None:
    table = ClaimTable([_claim(0.5, calibrated_on="seed 0")])
    with pytest.raises(ClaimsNotHolding, match="calibrated"):
        table.assert_hold()


def test_display_carries_the_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORYBOOK_CLAIMS_DIR", str(tmp_path))
    table = ClaimTable([_claim(math.nan, cid="n"), _claim(0.5, cid="ok")], chapter="99_test")
    bundle = table._repr_mimebundle_()
    records = bundle[CLAIMS_MIME_TYPE]["records"]
    assert [r["id"] for r in records] == ["n", "ok"]
    assert records[0]["measured"] is None  # NaN becomes null in JSON
    assert {
        "id",
        "kind",
        "statement",
        "where",
        "paper_value",
        "measured",
        "baseline",
        "check",
        "status",
        "scale",
        "calibrated_on",
        "pending_reason",
        "note",
    } <= set(records[0])
    written = json.loads((tmp_path / "99_test.json").read_text())
    assert written == records
    json.dumps(bundle[CLAIMS_MIME_TYPE], allow_nan=False)


def test_export_needs_a_chapter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chapter"):
        ClaimTable([_claim()]).export(tmp_path)
    assert ClaimTable([_claim()], chapter="c").export() is None  # no directory set


def test_text_and_markdown_render_every_row() -> None:
    table = ClaimTable([_claim(0.5, cid="a", note="seeds 0-4"), _claim(5.0, cid="b")])
    text = str(table)
    assert "[a] seeds 0-4" in text and "fails" in text
    assert table.to_markdown().count("\n|") >= 3
