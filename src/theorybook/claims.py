"""A paper's claims, checked against what a run measured, and the table a chapter closes with.

A :class:`Claim` holds what the paper says (statement, locator, the paper's own value), what we
measured, the baseline's value under the same check, and the check that decides. Its *kind* keeps
the evidence honest:

``exact``
    a mathematical fact checked to numerical precision: an identity, a closed form, a bound that
    holds by construction. It shows the code is right; it reproduces nothing.
``reproduction``
    a result the paper reports, re-measured here.
``extension``
    our own test, beyond what the paper reports.

Its :attr:`Claim.status` is one of

``holds``
    the measurement passes the check (and, for a comparative claim, the baseline does not);
``calibrated``
    it passes, but a constant of the run was tuned on the very data or seeds it is measured on;
``fails``
    it does not pass at a scale where it should: shown, never hidden;
``pending``
    it does not pass at this run's scale, which is below the scale the claim is expected at;
    ``pending_reason`` names what the larger preset changes;
``not separating``
    the method passes, but so does its baseline: the check does not tell them apart;
``reported``
    a number shown without a verdict (e.g. a wall-clock ratio that is not robust enough to decide).

Length: one concept, kept in one module: the check, the claim whose status the check decides, and
the table that shows and exports those statuses. The status rules are read in one place.

:class:`ClaimTable` renders the claims grouped by kind, as HTML in a notebook (with a
machine-readable copy that the book's Scorecard page collects) and as text in a terminal.

>>> from theorybook.claims import Claim, ClaimTable, at_most
>>> c = Claim("sym", "The Jacobian is symmetric", kind="exact", where="Eq. (3)",
...           measured=3e-9, check=at_most(1e-5), scale="smoke")
>>> c.status.label
'holds'
"""

from __future__ import annotations

import enum
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from numbers import Real
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np

from theorybook.boundary import FiniteReal, NonNegativeReal, checked
from theorybook.scales import Scale, _scale_rank, scale

__all__ = [
    "CLAIMS_DIR_ENV_VAR",
    "CLAIMS_MIME_TYPE",
    "Check",
    "Claim",
    "ClaimTable",
    "ClaimsNotHolding",
    "Kind",
    "Status",
    "at_least",
    "at_most",
    "between",
    "close_to",
    "is_true",
    "reported",
]

MeasuredValue = float | int | bool | np.floating | np.integer | np.bool_ | None
"""A measured value: a Python or NumPy number or bool, or ``None`` (not measured). NaN and ±inf
are allowed (a failed computation): they never pass a check."""
PaperValue = float | int | np.floating | np.integer | str | None
"""The paper's own value: a number (not NaN), a short text, or ``None``."""
Kind = Literal["exact", "reproduction", "extension"]
KINDS: tuple[Kind, ...] = get_args(Kind)
_KIND_TITLES = {"reproduction": "Reproductions", "exact": "Exact checks", "extension": "Extensions"}
_KIND_ORDER: tuple[Kind, ...] = ("reproduction", "exact", "extension")

CLAIMS_MIME_TYPE = "application/vnd.theorybook.claims+json"
"""The MIME type under which a displayed :class:`ClaimTable` also carries its records."""

CLAIMS_DIR_ENV_VAR = "THEORYBOOK_CLAIMS_DIR"
"""When set (``make book`` sets it), displaying a table also writes ``<dir>/<chapter>.json``."""

CheckKind = Literal["range", "close", "true", "reported"]
_CHECK_KINDS: tuple[CheckKind, ...] = get_args(CheckKind)


def _format_value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Real):
        x = float(value)
        if math.isnan(x):
            return "nan"
        if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
            return f"{x:.3g}"
        return f"{x:.4g}"
    return str(value)


def _is_nan(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isnan(float(value))


@checked
@dataclass(frozen=True)
class Check:
    """A comparison a measured value must pass. Build it with :func:`at_most`, :func:`at_least`,
    :func:`close_to`, :func:`between`, :func:`is_true` or :func:`reported`.

    ``None``, NaN and infinities never pass any check, :func:`is_true` included: an infinite
    measurement is a failed computation, not a very good result. Bounds are finite and ordered.
    """

    kind: CheckKind
    low: FiniteReal | None = None
    high: FiniteReal | None = None
    target: FiniteReal | None = None

    def __post_init__(self) -> None:
        if self.kind == "close" and (self.target is None or self.high is None):
            raise ValueError("a 'close' check needs a target and a tolerance (use close_to)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"a check needs low <= high, got low={self.low} > high={self.high}")

    @property
    def decides(self) -> bool:
        """Whether the check gives a verdict (every kind but :func:`reported`)."""
        return self.kind != "reported"

    def passes(self, value: MeasuredValue) -> bool:
        """Whether ``value`` passes; ``None``, NaN and ±inf never pass, nor does anything
        :func:`reported`."""
        if value is None or _is_nan(value) or self.kind == "reported":
            return False
        if not isinstance(value, bool) and not math.isfinite(float(value)):
            return False
        if self.kind == "true":
            return bool(value)
        x = float(value)
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return lo <= x <= hi

    def describe(self) -> str:
        """A short human-readable form, e.g. ``≤ 0.1`` or ``0.165 ± 1e-05``."""
        if self.kind == "true":
            return "true"
        if self.kind == "reported":
            return "reported, not checked"
        if self.kind == "close":
            assert self.target is not None and self.high is not None
            return f"{_format_value(self.target)} ± {_format_value(self.high - self.target)}"
        if self.low is None:
            return f"≤ {_format_value(self.high)}"
        if self.high is None:
            return f"≥ {_format_value(self.low)}"
        return f"in [{_format_value(self.low)}, {_format_value(self.high)}]"


@checked
def at_most(bound: FiniteReal) -> Check:
    """Passes when the measured value is ``≤ bound``."""
    return Check("range", high=bound)


@checked
def at_least(bound: FiniteReal) -> Check:
    """Passes when the measured value is ``≥ bound``."""
    return Check("range", low=bound)


@checked
def between(low: FiniteReal, high: FiniteReal) -> Check:
    """Passes when ``low ≤ value ≤ high``."""
    if low > high:
        raise ValueError(f"between() needs low <= high, got low={low} > high={high}")
    return Check("range", low=low, high=high)


@checked
def close_to(
    target: FiniteReal, *, abs_tol: NonNegativeReal = 0.0, rel_tol: NonNegativeReal = 0.0
) -> Check:
    """A check that passes when ``|value − target| ≤ max(abs_tol, rel_tol·|target|)``.

    Arguments:
        target: the value to match (finite).
        abs_tol: the absolute tolerance (≥ 0).
        rel_tol: the tolerance relative to ``|target|`` (≥ 0); at least one of the two is positive.

    Returns:
        A :class:`Check` of kind ``close``.

    Raises:
        ValueError: if both tolerances are zero, or ``target ± tolerance`` overflows.
    """
    tol = max(abs_tol, rel_tol * abs(target))
    if tol == 0:
        raise ValueError("close_to() needs a positive abs_tol or rel_tol")
    low, high = target - tol, target + tol
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(
            f"close_to(): target ± tolerance overflows (target={target}, abs_tol={abs_tol}, "
            f"rel_tol={rel_tol}); use a smaller tolerance"
        )
    return Check("close", low=low, high=high, target=target)


@checked
def is_true() -> Check:
    """Passes when the measured value is truthy (for yes/no facts); NaN and ``None`` never pass."""
    return Check("true")


@checked
def reported() -> Check:
    """No verdict: the value is shown but decides nothing (status ``reported``).

    Use it for numbers that are not robust enough to decide a status, such as a wall-clock ratio
    measured once on a loaded machine.
    """
    return Check("reported")


class Status(enum.Enum):
    """Outcome of a claim at this run's scale."""

    HOLDS = "holds"
    CALIBRATED = "calibrated"
    FAILS = "fails"
    PENDING = "pending"
    NOT_SEPARATING = "not separating"
    REPORTED = "reported"

    @property
    def label(self) -> str:
        """The status as one word or two (``holds``, ``not separating``)."""
        return self.value


_STATUS_CSS = {
    Status.HOLDS: "holds",
    Status.CALIBRATED: "calibrated",
    Status.FAILS: "fails",
    Status.PENDING: "pending",
    Status.NOT_SEPARATING: "not-separating",
    Status.REPORTED: "reported",
}
_STATUS_MARKS = {
    Status.HOLDS: "✓",
    Status.CALIBRATED: "≈",
    Status.FAILS: "✗",
    Status.PENDING: "…",
    Status.NOT_SEPARATING: "=",
    Status.REPORTED: "·",
}


@checked
@dataclass(frozen=True)
class Claim:
    """One claim, the value we measured and whether it holds.

    Parameters
    ----------
    id:
        short key, unique within a chapter (used by tests and the Scorecard).
    statement:
        the claim in one sentence.
    kind:
        ``"exact"``, ``"reproduction"`` or ``"extension"`` (see the module docstring).
    where:
        where the paper makes it, precisely: ``"Table 2"``, ``"Fig. 4 (qualitative)"``,
        ``"Thm. 1"``, ``"Eq. (7)"``, ``"§4.1.1"``; a value read from an official repository says so
        (``"official README, Fig. asset"``). An extension names what it extends.
    measured:
        our value (``None`` when not measured in this run; it then never passes).
    check:
        what ``measured`` must pass.
    paper_value:
        the paper's own number (or short text), verified against its text; ``None`` when the
        paper reports only a figure or a statement. Never our earlier runs, never planning notes.
    baseline:
        for a comparative claim, the baseline's value under the *same* check. If the baseline
        passes too, the claim is ``not separating``.
    baseline_name:
        what the baseline is (``"least squares"``); required with ``baseline``.
    calibrated_on:
        the data or seeds a constant of this run was tuned on. A passing claim shows as
        ``calibrated`` unless ``held_out`` says the measurement used disjoint data or seeds.
    held_out:
        ``True`` when the measurement is on data/seeds disjoint from ``calibrated_on``.
    expected_at:
        the smallest scale at which we expect the claim to hold.
    pending_reason:
        what the larger preset changes (more steps, more data, a lower tolerance); required
        whenever ``expected_at`` is above the run's ``scale``.
    scale:
        the scale of the run that measured it (default: the current :func:`~theorybook.scales.scale`).
    note:
        anything a reader must know to read the row (seeds, spread, caveats).
    """

    id: str
    statement: str
    kind: Kind
    where: str
    measured: MeasuredValue
    check: Check
    paper_value: PaperValue = None
    baseline: MeasuredValue = None
    baseline_name: str = ""
    calibrated_on: str = ""
    held_out: bool = False
    expected_at: Scale = "smoke"
    pending_reason: str = ""
    scale: Scale = field(default_factory=scale)
    note: str = ""

    def __post_init__(self) -> None:
        # Types, Literal choices (kind, expected_at, scale) and the Check are checked by
        # @checked before this runs; what is left are the relations between fields.
        if not self.id:
            raise ValueError("a claim needs a non-empty string id")
        if not self.statement.strip():
            raise ValueError(f"claim {self.id!r}: statement must be a non-empty string")
        if not self.where.strip():
            raise ValueError(
                f"claim {self.id!r}: where must locate the claim (e.g. 'Thm. 1', 'Fig. 3')"
            )
        if _is_nan(self.paper_value):
            raise ValueError(f"claim {self.id!r}: paper_value must not be NaN (use None)")
        if self.baseline is not None and not self.baseline_name.strip():
            raise ValueError(f"claim {self.id!r}: a baseline value needs baseline_name")
        if self.held_out and not self.calibrated_on:
            raise ValueError(
                f"claim {self.id!r}: held_out=True needs calibrated_on (what was tuned)"
            )
        if (
            _scale_rank(self.expected_at) > _scale_rank(self.scale)
            and not self.pending_reason.strip()
        ):
            raise ValueError(
                f"claim {self.id!r} is expected at {self.expected_at} scale but ran at {self.scale}: "
                "give pending_reason, naming what the larger preset changes"
            )

    @property
    def passes(self) -> bool:
        """Whether the measured value passes the check, whatever the scale."""
        return self.check.passes(self.measured)

    @property
    def baseline_passes(self) -> bool | None:
        """Whether the baseline passes the same check (``None`` without a baseline)."""
        return None if self.baseline is None else self.check.passes(self.baseline)

    @property
    def status(self) -> Status:
        """The verdict; see the module docstring for the order in which the rules apply."""
        if not self.check.decides:
            return Status.REPORTED
        if self.passes:
            if self.baseline_passes:
                return Status.NOT_SEPARATING
            if self.calibrated_on and not self.held_out:
                return Status.CALIBRATED
            return Status.HOLDS
        if _scale_rank(self.scale) < _scale_rank(self.expected_at):
            return Status.PENDING
        return Status.FAILS

    def verdict(self, **sentences: str) -> str:
        """The sentence written for this row's status, for a glued verdict in the prose.

        Keys are status names (``holds``, ``calibrated``, ``fails``, ``pending``,
        ``not_separating``, ``reported``); ``other`` covers any status not given. A notebook glues
        ``table["id"].verdict(holds="...", fails="...", other="...")``, so the sentence can never
        disagree with the table: the threshold lives in the row's check only.

        Raises:
            ValueError: on an unknown key, or when no sentence covers the row's status.
        """
        known = {s.name.lower() for s in Status} | {"other"}
        unknown = sorted(set(sentences) - known)
        if unknown:
            raise ValueError(f"unknown status name(s) {unknown}; use {sorted(known)}")
        for key, text in sentences.items():
            if not isinstance(text, str):
                raise TypeError(f"{key} must be a sentence (str), got {type(text).__name__}")
        key = self.status.name.lower()
        if key in sentences:
            return sentences[key]
        if "other" in sentences:
            return sentences["other"]
        raise ValueError(
            f"claim {self.id!r} is {self.status.label}, and no sentence was given for it "
            f"(given: {sorted(sentences)}); add {key}= or other="
        )

    @property
    def status_text(self) -> str:
        """The status as shown in the table (``pending: needs paper scale``)."""
        if self.status is Status.PENDING:
            return f"pending: needs {self.expected_at} scale"
        return self.status.label

    def row(self) -> dict[str, str]:
        """The claim as the strings of one table row."""
        baseline = ""
        if self.baseline is not None:
            verdict = "passes too" if self.baseline_passes else "does not pass"
            baseline = f"{self.baseline_name}: {_format_value(self.baseline)} ({verdict})"
        return {
            "id": self.id,
            "kind": self.kind,
            "claim": self.statement,
            "where": self.where,
            "paper": _format_value(self.paper_value),
            "ours": _format_value(self.measured),
            "baseline": baseline or "—",
            "check": self.check.describe(),
            "scale": f"{self.scale} (expected at {self.expected_at})",
            "status": self.status_text,
            "note": self.note,
        }

    def record(self, chapter: str = "") -> dict[str, Any]:
        """The claim as a JSON-ready record (the Scorecard and ``_build/claims/*.json`` read it)."""

        def plain(v: object) -> object:
            if isinstance(v, bool) or v is None or isinstance(v, str):
                return v
            x = float(cast(float, v))
            return None if math.isnan(x) else (int(x) if isinstance(v, int) else x)

        return {
            "chapter": chapter,
            "id": self.id,
            "kind": self.kind,
            "statement": self.statement,
            "where": self.where,
            "paper_value": plain(self.paper_value),
            "measured": plain(self.measured),
            "baseline": plain(self.baseline),
            "baseline_name": self.baseline_name,
            "check": self.check.describe(),
            "status": self.status.label,
            "scale": self.scale,
            "expected_at": self.expected_at,
            "calibrated_on": self.calibrated_on,
            "held_out": self.held_out,
            "pending_reason": self.pending_reason,
            "note": self.note,
        }


class ClaimsNotHolding(AssertionError):
    """Raised by :meth:`ClaimTable.assert_hold` when a claim does not hold."""


@checked
@dataclass(frozen=True, init=False)
class ClaimTable:
    """The *What we reproduced* table of a chapter: every claim, holding or not, grouped by kind.

    ``chapter`` names the chapter (its notebook's stem, e.g. ``"06_ar_net"``); displaying the
    table in a notebook then also carries its records for the Scorecard page, and writes
    ``$THEORYBOOK_CLAIMS_DIR/<chapter>.json`` when that variable is set.
    """

    claims: tuple[Claim, ...]
    chapter: str
    title: str

    def __init__(
        self, claims: Iterable[Claim], *, chapter: str = "", title: str = "What we reproduced"
    ) -> None:
        items = tuple(claims)
        for i, c in enumerate(items):
            if not isinstance(c, Claim):
                raise TypeError(
                    f"ClaimTable takes Claim objects: claims[{i}] is a {type(c).__name__}"
                )
        ids = [c.id for c in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"claim ids must be unique, repeated: {duplicates}")
        object.__setattr__(self, "claims", items)
        object.__setattr__(self, "chapter", chapter)
        object.__setattr__(self, "title", title)

    def __getitem__(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(f"no claim {claim_id!r}; ids: {[c.id for c in self.claims]}")

    def __len__(self) -> int:
        return len(self.claims)

    def __iter__(self) -> Any:
        return iter(self.claims)

    def of_kind(self, kind: Kind) -> tuple[Claim, ...]:
        """The claims of one kind, in table order."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return tuple(c for c in self.claims if c.kind == kind)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {status: count}}`` for the kinds present, statuses with a non-zero count."""
        out: dict[str, dict[str, int]] = {}
        for kind in _KIND_ORDER:
            chosen = self.of_kind(kind)
            if chosen:
                by_status: dict[str, int] = {}
                for s in Status:
                    n = sum(c.status is s for c in chosen)
                    if n:
                        by_status[s.label] = n
                out[kind] = by_status
        return out

    def failures(self) -> list[Claim]:
        """The claims that fail at a scale where they were expected to hold."""
        return [c for c in self.claims if c.status is Status.FAILS]

    def assert_hold(self, ids: Sequence[str] | None = None) -> None:
        """Raise :class:`ClaimsNotHolding` unless every claim in ``ids`` (default: all) holds.

        ``ids`` must be a sequence of ids, not a single string.
        """
        if isinstance(ids, str):
            raise TypeError(
                f"ids must be a sequence of claim ids, got the string {ids!r}; write [{ids!r}]"
            )
        chosen = self.claims if ids is None else tuple(self[i] for i in ids)
        bad = [c for c in chosen if c.status is not Status.HOLDS]
        if bad:
            lines = [
                f"{c.id}: measured {_format_value(c.measured)}, needs {c.check.describe()} "
                f"({c.status_text})"
                for c in bad
            ]
            raise ClaimsNotHolding("claims not holding:\n  " + "\n  ".join(lines))

    def records(self) -> list[dict[str, Any]]:
        """Machine-readable rows (for ``results/`` manifests and the Scorecard)."""
        return [c.record(self.chapter) for c in self.claims]

    def summary(self) -> str:
        """One line, e.g. ``reproductions: 6 hold, 2 fail, 1 pending · exact: 9 hold``."""
        if not self.claims:
            return "no claims"
        verbs = {"holds": "hold", "fails": "fail"}
        plural = {"reproduction": "reproductions", "exact": "exact", "extension": "extensions"}
        parts = []
        for kind, by_status in self.counts().items():
            inner = ", ".join(
                f"{n} {verbs.get(s, s) if n != 1 else s}" for s, n in by_status.items()
            )
            parts.append(f"{plural[kind]}: {inner}")
        return " · ".join(parts)

    _COLUMNS = (
        "id",
        "kind",
        "claim",
        "where",
        "paper",
        "ours",
        "baseline",
        "check",
        "scale",
        "status",
    )

    def _ordered(self) -> list[Claim]:
        return [c for kind in _KIND_ORDER for c in self.of_kind(kind)]

    def __str__(self) -> str:
        rows = [c.row() for c in self._ordered()]
        headers = {k: k for k in self._COLUMNS}
        widths = {k: max([len(headers[k])] + [len(r[k]) for r in rows]) for k in self._COLUMNS}

        def line(r: dict[str, str]) -> str:
            return " | ".join(r[k].ljust(widths[k]) for k in self._COLUMNS).rstrip()

        rule = "-+-".join("-" * widths[k] for k in self._COLUMNS)
        out = [self.title, line(headers), rule, *(line(r) for r in rows), rule, self.summary()]
        notes = [f"[{c.id}] {c.note}" for c in self._ordered() if c.note]
        return "\n".join(out + notes)

    def _scales_text(self) -> str:
        scales = sorted({c.scale for c in self.claims}, key=_scale_rank)
        return ", ".join(scales) if scales else "—"

    def _cell_notes(self, c: Claim) -> str:
        bits = [escape(c.id)]
        if c.calibrated_on:
            bits.append(
                ("tuned on " if c.held_out else "calibrated on ")
                + escape(c.calibrated_on)
                + (" (measured on held-out data)" if c.held_out else "")
            )
        if c.status is Status.PENDING:
            bits.append("pending: " + escape(c.pending_reason))
        if c.note:
            bits.append(escape(c.note))
        return " · ".join(bits)

    def to_html(self) -> str:
        """A compact HTML table for the book's content column, one group of rows per kind.

        Colours come from the theme's CSS variables (``book/_static/theorybook.css``), so the
        table reads in light and dark mode alike.
        """
        head = "".join(
            f"<th>{h}</th>"
            for h in ("claim", "where", "paper", "ours", "baseline", "check", "status")
        )
        body = []
        for kind in _KIND_ORDER:
            chosen = self.of_kind(kind)
            if not chosen:
                continue
            body.append(f"<tr class='tb-kind'><th colspan='7'>{_KIND_TITLES[kind]}</th></tr>")
            for c in chosen:
                r = c.row()
                css = _STATUS_CSS[c.status]
                cells = [
                    f"{escape(r['claim'])}<br><small>{self._cell_notes(c)}</small>",
                    escape(r["where"]),
                    escape(r["paper"]),
                    f"<b>{escape(r['ours'])}</b>",
                    escape(r["baseline"]),
                    escape(r["check"]),
                    f"<span class='tb-status tb-{css}'>{_STATUS_MARKS[c.status]} "
                    f"{escape(c.status_text)}</span><br><small>expected at "
                    f"{escape(c.expected_at)}</small>",
                ]
                body.append(
                    f"<tr id='claim-{escape(self.chapter)}-{escape(c.id)}'>"
                    + "".join(f"<td>{x}</td>" for x in cells)
                    + "</tr>"
                )
        caption = (
            f"{escape(self.title)}: run at {escape(self._scales_text())} scale; "
            f"{escape(self.summary())}"
        )
        return (
            f"<table class='theorybook-claims'><caption>{caption}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """HTML for the page, plain text, and the records under :data:`CLAIMS_MIME_TYPE`."""
        self.export()
        return {
            "text/html": self.to_html(),
            "text/plain": str(self),
            CLAIMS_MIME_TYPE: {"chapter": self.chapter, "records": self.records()},
        }

    def export(self, directory: str | os.PathLike[str] | None = None) -> Path | None:
        """Write ``<directory>/<chapter>.json`` (default directory: ``$THEORYBOOK_CLAIMS_DIR``).

        Returns the path written, or ``None`` when no directory is given or set. Needs ``chapter``.
        """
        if directory is not None and not isinstance(directory, str | os.PathLike):
            raise TypeError(f"directory must be a path, got {type(directory).__name__}")
        target_dir = directory if directory is not None else os.environ.get(CLAIMS_DIR_ENV_VAR)
        if not target_dir:
            return None
        if not self.chapter:
            raise ValueError("ClaimTable.export needs the table's chapter name")
        path = Path(target_dir) / f"{self.chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.records(), indent=2, ensure_ascii=False) + "\n")
        return path

    def to_markdown(self) -> str:
        """The table as Markdown (for closing notes and ``results/`` READMEs)."""
        rows = [c.row() for c in self._ordered()]
        header = "| " + " | ".join(self._COLUMNS) + " |"
        rule = "|" + "|".join("---" for _ in self._COLUMNS) + "|"
        lines = [
            "| " + " | ".join(r[k].replace("|", "\\|") for k in self._COLUMNS) + " |" for r in rows
        ]
        return "\n".join([header, rule, *lines, "", self.summary()])
