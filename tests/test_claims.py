"""Tests of theorybook.claims: kinds, statuses, and a table that never hides or inflates a result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from theorybook.boundary import PositiveInt, PositiveReal
from theorybook.claims import (
    CLAIMS_MIME_TYPE,
    Check,
    Claim,
    ClaimsNotHolding,
    ClaimTable,
    Spread,
    Status,
    at_least,
    at_most,
    between,
    close_to,
    inline_math_html,
    is_true,
    reported,
)
from theorybook.scales import ScaledConfig, Settings


def _claim(measured: object = 0.5, check: Check | None = None, **kw: object) -> Claim:
    """A claim for tests; without a challenger it states why (so that it can hold)."""
    base: dict[str, object] = dict(kind="reproduction", where="Thm. 1", scale="smoke")
    base.update(kw)
    if base["kind"] != "exact" and "baseline" not in base and "unchallenged_reason" not in base:
        base["unchallenged_reason"] = "a test row"
    if base["kind"] == "reproduction":
        base.setdefault("procedure", "§2 of the paper")
    if base.get("expected_at", "smoke") != "smoke":
        base.setdefault("pending_on", ("steps",))
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


def test_a_reproduction_says_where_its_procedure_is_specified() -> None:
    with pytest.raises(ValueError, match="make the row an extension"):
        _claim(procedure=" ")
    assert _claim(kind="extension").procedure == ""


def test_where_must_locate_the_claim() -> None:
    with pytest.raises(ValueError, match="where must locate"):
        _claim(where="  ")


def test_pending_needs_a_reason_and_shows_it() -> None:
    with pytest.raises(ValueError, match="pending_reason"):
        _claim(2.0, expected_at="book")
    with pytest.raises(ValueError, match="pending_on"):
        _claim(2.0, expected_at="book", pending_on=(), pending_reason="more steps")
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
            _claim(0.25, cid="x1", kind="extension"),
            _claim(2.0, cid="r3", expected_at="paper", pending_reason="more data"),
        ],
        chapter="99_test",
    )
    assert table.summary() == (
        "reproductions: 1 holds (0 challenged), 1 fails, 1 pending · exact: 1 holds · "
        "extensions: 1 holds (0 challenged)"
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


# --- the challenge, the noise, and pending means scale ------------------------------------------


def test_a_passing_row_without_a_challenger_is_unchallenged() -> None:
    bare = _claim(0.5, unchallenged_reason="")
    assert bare.status is Status.UNCHALLENGED
    assert not bare.challenged
    assert _claim(0.5, kind="extension", unchallenged_reason="").status is Status.UNCHALLENGED
    # an exact check needs no challenger, and may not claim a reason for lacking one
    assert _claim(0.5, kind="exact").status is Status.HOLDS
    with pytest.raises(ValueError, match="exact check needs no challenger"):
        _claim(0.5, kind="exact", unchallenged_reason="why not")
    # a failing row stays a failure whatever its challenge
    assert _claim(5.0, unchallenged_reason="").status is Status.FAILS
    with_reason = _claim(0.5, unchallenged_reason="no simpler method exists")
    assert with_reason.status is Status.HOLDS and not with_reason.challenged
    assert "none: no simpler method exists" in with_reason.row()["baseline"]


def test_a_challenger_that_fails_makes_a_challenged_hold() -> None:
    c = _claim(0.2, baseline=3.0, baseline_name="identity denoiser", baseline_role="null model")
    assert c.status is Status.HOLDS and c.challenged
    assert c.row()["baseline"].startswith("null model identity denoiser: 3")
    with pytest.raises(ValueError, match="keep one"):
        _claim(0.2, baseline=3.0, baseline_name="x", unchallenged_reason="y")
    with pytest.raises(ValueError, match="baseline_role|choices|null model"):
        _claim(0.2, baseline=3.0, baseline_name="x", baseline_role="rival")
    table = ClaimTable([c, _claim(0.3, cid="d", unchallenged_reason="")])
    assert [x.id for x in table.challenged_holds()] == ["c"]
    assert table.summary() == "reproductions: 1 holds (1 challenged), 1 unchallenged"


def test_a_margin_inside_the_spread_is_within_noise() -> None:
    tight = Spread.over_seeds([0.8, 0.85, 0.9])
    assert _claim(0.85, at_most(1.0), spread=tight).status is Status.HOLDS
    wide = Spread.over_seeds([0.7, 0.95, 1.2])
    noisy = _claim(0.95, at_most(1.0), spread=wide)
    assert noisy.status is Status.WITHIN_NOISE
    assert "range over 3 seeds" in noisy.row()["ours"]
    assert "0.7, 0.95, 1.2" in noisy.row()["ours"]
    # a value that fails is a failure, not noise
    assert _claim(1.1, at_most(1.0), spread=wide).status is Status.FAILS
    # the spread is checked before the challenge: a noisy margin is not a challenged hold
    both = _claim(0.95, at_most(1.0), spread=wide, baseline=3.0, baseline_name="null")
    assert both.status is Status.WITHIN_NOISE
    rec = both.record("x")
    assert rec["spread"]["low"] == 0.7 and rec["spread"]["values"] == [0.7, 0.95, 1.2]
    json.dumps(rec, allow_nan=False)


def test_a_spread_must_contain_its_value_and_say_what_it_is() -> None:
    with pytest.raises(ValueError, match="does not contain"):
        _claim(0.5, spread=Spread.over_seeds([0.6, 0.7]))
    with pytest.raises(ValueError, match="say what it is"):
        Spread(0.1, 0.2, " ")
    with pytest.raises(ValueError, match="low <= high"):
        Spread(0.3, 0.2, "band")
    with pytest.raises(ValueError, match="yes/no"):
        _claim(True, is_true(), spread=Spread(0.0, 1.0, "band"))
    with pytest.raises(ValueError, match="at least 2"):
        Spread.over_seeds([0.5])
    with pytest.raises(ValueError, match="finite"):
        Spread.mean_interval([0.5, math.nan])


def test_spread_constructors_match_scipy() -> None:
    from scipy import stats

    values = np.array([0.31, 0.35, 0.29, 0.4, 0.33])
    t = Spread.mean_interval(values)
    low, high = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    assert t.low == pytest.approx(low) and t.high == pytest.approx(high)
    wilson = Spread.binomial(89, 100)
    assert wilson.low < 0.89 < wilson.high and wilson.high > 0.9  # 0.89 vs 0.90: noise
    assert "Wilson interval over 100" in wilson.what
    boot = Spread.bootstrap(np.random.default_rng(0).normal(1.0, 0.1, 400))
    assert boot.low < 1.0 < boot.high and boot.high - boot.low < 0.05
    again = Spread.bootstrap(np.random.default_rng(0).normal(1.0, 0.1, 400))
    assert (boot.low, boot.high) == (again.low, again.high)  # seeded


def test_one_measured_quantity_is_one_row() -> None:
    with pytest.raises(ValueError, match="one measured quantity is one row"):
        ClaimTable([_claim(-0.0298, cid="a"), _claim(-0.0298, cid="b", kind="extension")])
    # integers and exact rows may coincide by chance
    ClaimTable([_claim(0.0, cid="a", kind="exact"), _claim(0.0, cid="b", kind="exact")])
    ClaimTable([_claim(3, at_least(1), cid="a"), _claim(3, at_least(1), cid="b")])


@dataclass(frozen=True)
class _Training(Settings):
    steps: PositiveInt = 100
    lr: PositiveReal = 1e-3


@dataclass(frozen=True)
class _Config(ScaledConfig):
    training: _Training = _Training()
    width: PositiveInt = 8

    @classmethod
    def presets(cls) -> dict[str, _Config]:
        return {"smoke": cls(training=_Training(steps=5)), "book": cls(), "paper": cls()}


def test_pending_on_must_name_settings_the_larger_preset_changes() -> None:
    def pending(on: tuple[str, ...], expected: str = "book") -> Claim:
        return _claim(2.0, expected_at=expected, pending_on=on, pending_reason="more steps")

    ClaimTable([pending(("training.steps",))], config=_Config)
    with pytest.raises(ValueError, match="changes nothing"):
        ClaimTable([pending(("width",))], config=_Config)
    with pytest.raises(ValueError, match="changes nothing"):
        ClaimTable([pending(("training.lr",))], config=_Config)
    with pytest.raises(ValueError, match="no setting 'stepz'"):
        ClaimTable([pending(("training.stepz",))], config=_Config)
    with pytest.raises(ValueError, match="dotted Config names"):
        pending(("training steps",))
    with pytest.raises(TypeError, match="ScaledConfig"):
        ClaimTable([pending(("training.steps",))], config=dict)  # type: ignore[arg-type]


def test_statements_render_maths() -> None:
    row = Claim(
        "m",
        "$R_\\theta$ is convex and $z_{k+1} - z_k \\to 0$ for a < b",
        kind="exact",
        where="Thm. 1",
        measured=0.0,
        check=at_most(1e-6),
        scale="smoke",
    )
    html = ClaimTable([row], chapter="x").to_html()
    assert "<span class='math notranslate nohighlight'>\\(R_\\theta\\)</span>" in html
    assert "\\(z_{k+1} - z_k \\to 0\\)" in html and "a &lt; b" in html
    assert "$" not in row.row()["claim"]
    assert inline_math_html("no maths & more") == "no maths &amp; more"
