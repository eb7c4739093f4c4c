"""A paper's claims, checked against what a run measured, and the table a chapter closes with.

A :class:`Claim` holds what the paper says (statement, place, value), what we measured, the check
that decides whether the measurement supports the claim, and the smallest scale at which we
expect it to hold. Its :attr:`Claim.status` is one of

* ``holds``: the measurement passes the check;
* ``fails``: it does not, at a scale where it should: shown, never hidden;
* ``needs <scale>``: it does not pass (or was not measured) at this run's scale, which is below the
  scale at which the claim is expected to hold.

:class:`ClaimTable` renders a list of claims as HTML in a notebook and as plain text in a terminal;
each chapter shows one as its *What we reproduced* section, and the tests call
:meth:`ClaimTable.assert_hold` on the claims expected at smoke scale.

>>> from theorybook.claims import Claim, ClaimTable, at_most
>>> c = Claim("sym", "Jacobian is symmetric", where="Prop. 1", paper_value=0.0,
...           measured=3e-9, check=at_most(1e-5), scale="smoke")
>>> c.status.label
'holds'
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from numbers import Real
from typing import Any

from theorybook.runtime import Scale, check_scale, scale, scale_rank

__all__ = [
    "Check",
    "Claim",
    "ClaimTable",
    "ClaimsNotHolding",
    "Status",
    "at_least",
    "at_most",
    "between",
    "close_to",
    "is_true",
]

MeasuredValue = float | int | bool | None


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


@dataclass(frozen=True)
class Check:
    """A comparison a measured value must pass. Build it with :func:`at_most`, :func:`at_least`,
    :func:`close_to`, :func:`between` or :func:`is_true`."""

    kind: str
    low: float | None = None
    high: float | None = None
    target: float | None = None

    def passes(self, value: MeasuredValue) -> bool:
        """Whether ``value`` passes; ``None`` and NaN never pass."""
        if value is None:
            return False
        if self.kind == "true":
            return bool(value)
        x = float(value)
        if math.isnan(x):
            return False
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return lo <= x <= hi

    def describe(self) -> str:
        """A short human-readable form, e.g. ``≤ 0.1`` or ``0.165 ± 1e-05``."""
        if self.kind == "true":
            return "true"
        if self.kind == "close":
            assert self.target is not None and self.high is not None
            return f"{_format_value(self.target)} ± {_format_value(self.high - self.target)}"
        if self.low is None:
            return f"≤ {_format_value(self.high)}"
        if self.high is None:
            return f"≥ {_format_value(self.low)}"
        return f"in [{_format_value(self.low)}, {_format_value(self.high)}]"


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def at_most(bound: float) -> Check:
    """Passes when the measured value is ``≤ bound``."""
    return Check("range", high=_finite("bound", bound))


def at_least(bound: float) -> Check:
    """Passes when the measured value is ``≥ bound``."""
    return Check("range", low=_finite("bound", bound))


def between(low: float, high: float) -> Check:
    """Passes when ``low ≤ value ≤ high``."""
    lo, hi = _finite("low", low), _finite("high", high)
    if lo > hi:
        raise ValueError(f"between() needs low <= high, got {lo} > {hi}")
    return Check("range", low=lo, high=hi)


def close_to(target: float, *, abs_tol: float = 0.0, rel_tol: float = 0.0) -> Check:
    """Passes when ``|value − target| ≤ max(abs_tol, rel_tol·|target|)``."""
    t = _finite("target", target)
    a, r = _finite("abs_tol", abs_tol), _finite("rel_tol", rel_tol)
    if a < 0 or r < 0:
        raise ValueError(f"tolerances must be non-negative, got abs_tol={a}, rel_tol={r}")
    tol = max(a, r * abs(t))
    if tol == 0:
        raise ValueError("close_to() needs a positive abs_tol or rel_tol")
    return Check("close", low=t - tol, high=t + tol, target=t)


def is_true() -> Check:
    """Passes when the measured value is truthy (for yes/no facts)."""
    return Check("true")


class Status(enum.Enum):
    """Outcome of a claim at this run's scale."""

    HOLDS = "holds"
    FAILS = "fails"
    NEEDS_SCALE = "needs larger scale"

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, the value we measured and whether it holds.

    Parameters
    ----------
    id:
        short key, unique within a chapter (used by tests).
    statement:
        the claim in one sentence.
    where:
        where the paper makes it (``"Thm. 2"``, ``"Table 1, row 3"``).
    paper_value:
        the paper's number or a short text (``"≈ 0.8"``); ``None`` for qualitative claims.
    measured:
        our value (``None`` when not measured in this run).
    check:
        what ``measured`` must pass for the claim to hold.
    expected_at:
        the smallest scale at which we expect the claim to hold.
    scale:
        the scale of the run that measured it (default: the current :func:`~theorybook.runtime.scale`).
    note:
        anything a reader must know to read the row (seeds, spread, caveats).
    """

    id: str
    statement: str
    where: str
    paper_value: float | str | None
    measured: MeasuredValue
    check: Check
    expected_at: Scale = "smoke"
    scale: Scale = field(default_factory=scale)
    note: str = ""

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise ValueError("a claim needs a non-empty string id")
        if not isinstance(self.check, Check):
            raise TypeError(f"check must be a Check (use at_most, close_to, ...), got {self.check!r}")
        if self.measured is not None and not isinstance(self.measured, (Real, bool)):
            raise TypeError(
                f"claim {self.id!r}: measured must be a number, a bool or None, "
                f"got {type(self.measured).__name__}"
            )
        object.__setattr__(self, "expected_at", check_scale(self.expected_at))
        object.__setattr__(self, "scale", check_scale(self.scale))

    @property
    def passes(self) -> bool:
        """Whether the measured value passes the check, whatever the scale."""
        return self.check.passes(self.measured)

    @property
    def status(self) -> Status:
        """``HOLDS`` if it passes; otherwise ``NEEDS_SCALE`` below ``expected_at``, else ``FAILS``."""
        if self.passes:
            return Status.HOLDS
        if scale_rank(self.scale) < scale_rank(self.expected_at):
            return Status.NEEDS_SCALE
        return Status.FAILS

    @property
    def status_text(self) -> str:
        """The status as shown in the table (``needs paper scale`` names the scale)."""
        if self.status is Status.NEEDS_SCALE:
            return f"needs {self.expected_at} scale"
        return self.status.label

    def row(self) -> dict[str, str]:
        """The claim as the strings of one table row."""
        return {
            "id": self.id,
            "claim": self.statement,
            "where": self.where,
            "paper": _format_value(self.paper_value),
            "ours": _format_value(self.measured),
            "check": self.check.describe(),
            "scale": f"{self.scale} (expected at {self.expected_at})",
            "status": self.status_text,
            "note": self.note,
        }


class ClaimsNotHolding(AssertionError):
    """Raised by :meth:`ClaimTable.assert_hold` when a claim does not hold."""


_STATUS_COLOURS = {Status.HOLDS: "#009E73", Status.FAILS: "#D55E00", Status.NEEDS_SCALE: "#E69F00"}
_STATUS_MARKS = {Status.HOLDS: "✓", Status.FAILS: "✗", Status.NEEDS_SCALE: "…"}


@dataclass(frozen=True)
class ClaimTable:
    """The *What we reproduced* table of a chapter: every claim, holding or not."""

    claims: tuple[Claim, ...]
    title: str = "What we reproduced"

    def __init__(self, claims: Iterable[Claim], title: str = "What we reproduced") -> None:
        items = tuple(claims)
        for c in items:
            if not isinstance(c, Claim):
                raise TypeError(f"ClaimTable takes Claim objects, got {type(c).__name__}")
        ids = [c.id for c in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"claim ids must be unique, repeated: {duplicates}")
        object.__setattr__(self, "claims", items)
        object.__setattr__(self, "title", title)

    def __getitem__(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(f"no claim {claim_id!r}; ids: {[c.id for c in self.claims]}")

    def __len__(self) -> int:
        return len(self.claims)

    def counts(self) -> dict[str, int]:
        """How many claims hold, fail, or need a larger scale."""
        out = {s.label: 0 for s in Status}
        for c in self.claims:
            out[c.status.label] += 1
        return out

    def failures(self) -> list[Claim]:
        """The claims that fail at a scale where they were expected to hold."""
        return [c for c in self.claims if c.status is Status.FAILS]

    def assert_hold(self, ids: Sequence[str] | None = None) -> None:
        """Raise :class:`ClaimsNotHolding` unless every claim in ``ids`` (default: all) holds."""
        chosen = self.claims if ids is None else tuple(self[i] for i in ids)
        bad = [c for c in chosen if c.status is not Status.HOLDS]
        if bad:
            lines = [f"{c.id}: measured {_format_value(c.measured)}, needs {c.check.describe()} "
                     f"({c.status_text})" for c in bad]
            raise ClaimsNotHolding("claims not holding:\n  " + "\n  ".join(lines))

    def records(self) -> list[dict[str, Any]]:
        """Machine-readable rows (for ``results/`` manifests)."""
        return [
            {**c.row(), "measured_value": c.measured, "paper_value": c.paper_value,
             "status_code": c.status.name}
            for c in self.claims
        ]

    def summary(self) -> str:
        """One line, e.g. ``5 claims: 3 holds, 1 fails, 1 needs larger scale``."""
        parts = ", ".join(f"{n} {label}" for label, n in self.counts().items() if n)
        return f"{len(self)} claims: {parts}" if self.claims else "no claims"

    _COLUMNS = ("id", "claim", "where", "paper", "ours", "check", "scale", "status")

    def __str__(self) -> str:
        rows = [c.row() for c in self.claims]
        headers = {k: k for k in self._COLUMNS}
        widths = {k: max([len(headers[k])] + [len(r[k]) for r in rows]) for k in self._COLUMNS}
        def line(r: dict[str, str]) -> str:
            return " | ".join(r[k].ljust(widths[k]) for k in self._COLUMNS).rstrip()
        rule = "-+-".join("-" * widths[k] for k in self._COLUMNS)
        out = [self.title, line(headers), rule, *(line(r) for r in rows), rule, self.summary()]
        notes = [f"[{c.id}] {c.note}" for c in self.claims if c.note]
        return "\n".join(out + notes)

    def _scales_text(self) -> str:
        scales = sorted({c.scale for c in self.claims}, key=scale_rank)
        return ", ".join(scales) if scales else "—"

    def _repr_html_(self) -> str:
        """A compact table for the book's content column: the id and note go under the claim,
        the expected scale under the status, and the run's scale into the caption."""
        head = "".join(f"<th>{h}</th>" for h in ("claim", "where", "paper", "ours", "check", "status"))
        body = []
        for c in self.claims:
            r = c.row()
            colour = _STATUS_COLOURS[c.status]
            small = escape(c.id) + (f" · {escape(c.note)}" if c.note else "")
            cells = [
                f"{escape(r['claim'])}<br><small>{small}</small>",
                escape(r["where"]), escape(r["paper"]), f"<b>{escape(r['ours'])}</b>",
                escape(r["check"]),
                f"<span style='color:{colour};font-weight:bold'>{_STATUS_MARKS[c.status]} "
                f"{escape(c.status_text)}</span><br><small>expected at {escape(c.expected_at)}</small>",
            ]
            body.append("<tr>" + "".join(f"<td style='text-align:left;vertical-align:top'>{x}</td>"
                                         for x in cells) + "</tr>")
        caption = (f"{escape(self.title)}: run at {escape(self._scales_text())} scale; "
                   f"{escape(self.summary())}")
        return (f"<table class='theorybook-claims' style='font-size:0.85em;width:100%'>"
                f"<caption>{caption}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")

    def to_markdown(self) -> str:
        """The table as Markdown (for closing notes and ``results/`` READMEs)."""
        rows = [c.row() for c in self.claims]
        header = "| " + " | ".join(self._COLUMNS) + " |"
        rule = "|" + "|".join("---" for _ in self._COLUMNS) + "|"
        lines = ["| " + " | ".join(r[k].replace("|", "\\|") for k in self._COLUMNS) + " |"
                 for r in rows]
        return "\n".join([header, rule, *lines])

