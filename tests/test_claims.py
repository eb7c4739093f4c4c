"""Tests of theorybook.claims: checks, statuses per scale, and a table that never hides failures."""

from __future__ import annotations

import math

import pytest

from theorybook.claims import (
    Claim,
    ClaimsNotHolding,
    ClaimTable,
    Status,
    at_least,
    at_most,
    between,
    close_to,
    is_true,
)


def _claim(
    measured: float | bool | None,
    check=None,
    *,
    expected_at: str = "smoke",
    run_scale: str = "smoke",
    cid: str = "c",
) -> Claim:
    return Claim(
        cid,
        "a statement",
        where="Thm. 1",
        paper_value=0.5,
        measured=measured,
        check=check or at_most(1.0),
        expected_at=expected_at,
        scale=run_scale,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (at_most(1.0), 1.0, 1.0001),
        (at_least(2.0), 2.0, 1.999),
        (between(0.0, 1.0), 0.5, -0.1),
        (close_to(0.16477, abs_tol=5e-6), 0.164774, 0.16479),
        (close_to(100.0, rel_tol=0.03), 102.9, 103.1),
        (is_true(), True, False),
    ],
)
def test_checks_pass_and_fail(check, good, bad) -> None:
    assert check.passes(good)
    assert not check.passes(bad)
    assert not check.passes(None)
    assert check.describe()


def test_nan_never_passes() -> None:
    assert not at_most(1.0).passes(math.nan)
    assert not at_least(-1e300).passes(math.nan)


@pytest.mark.parametrize(
    "make",
    [
        lambda: at_most(math.nan),
        lambda: between(2, 1),
        lambda: close_to(1.0),
        lambda: close_to(1.0, abs_tol=-1),
    ],
)
def test_bad_checks_are_rejected(make) -> None:
    with pytest.raises(ValueError):
        make()


def test_status_holds_fails_or_needs_scale() -> None:
    assert _claim(0.5).status is Status.HOLDS
    assert _claim(2.0).status is Status.FAILS
    # Failing below the scale where the claim is expected: not checkable yet, and says which scale.
    pending = _claim(2.0, expected_at="paper", run_scale="book")
    assert pending.status is Status.NEEDS_SCALE
    assert pending.status_text == "needs paper scale"
    # Passing early counts as holding.
    assert _claim(0.5, expected_at="paper", run_scale="smoke").status is Status.HOLDS
    # Not measured at all: pending below the expected scale, failing at it.
    assert _claim(None, expected_at="paper", run_scale="smoke").status is Status.NEEDS_SCALE
    assert _claim(None).status is Status.FAILS


def test_claim_takes_the_current_scale_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", "paper")
    c = Claim("x", "s", where="w", paper_value=None, measured=1.0, check=at_most(0.0))
    assert c.scale == "paper"
    assert c.status is Status.FAILS


def test_claim_validates_its_fields() -> None:
    with pytest.raises(ValueError):
        _claim(0.5, cid="")
    with pytest.raises(TypeError):
        Claim("x", "s", "w", None, measured="0.5", check=at_most(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Claim("x", "s", "w", None, measured=0.5, check=(0, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        _claim(0.5, expected_at="huge")


def _table() -> ClaimTable:
    return ClaimTable(
        [
            _claim(0.5, cid="good"),
            _claim(3.0, cid="bad"),
            _claim(3.0, cid="later", expected_at="paper"),
        ]
    )


def test_table_shows_failures_in_text_and_html() -> None:
    table = _table()
    text = str(table)
    assert "fails" in text and "holds" in text and "needs paper scale" in text
    html = table._repr_html_()
    assert "✗ fails" in html and "✓ holds" in html and "run at smoke scale" in html
    assert table.counts() == {"holds": 1, "fails": 1, "needs larger scale": 1}
    assert [c.id for c in table.failures()] == ["bad"]
    assert "3 claims: 1 holds, 1 fails, 1 needs larger scale" == table.summary()
    assert table.to_markdown().count("\n") == 4
    assert {r["status_code"] for r in table.records()} == {"HOLDS", "FAILS", "NEEDS_SCALE"}


def test_assert_hold_raises_on_what_does_not_hold() -> None:
    table = _table()
    table.assert_hold(["good"])
    with pytest.raises(ClaimsNotHolding, match="bad: measured 3"):
        table.assert_hold(["good", "bad"])
    with pytest.raises(ClaimsNotHolding, match="later"):
        table.assert_hold(["later"])
    with pytest.raises(KeyError):
        table.assert_hold(["missing"])


def test_table_rejects_duplicates_and_non_claims() -> None:
    with pytest.raises(ValueError, match="unique"):
        ClaimTable([_claim(0.5, cid="a"), _claim(0.6, cid="a")])
    with pytest.raises(TypeError):
        ClaimTable([object()])  # type: ignore[list-item]
