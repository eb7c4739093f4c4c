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
    the measurement passes the check and its challenger does not (or, rarely, the row says why
    no challenger makes sense: ``unchallenged_reason``);
``unchallenged``
    a reproduction or extension passes, but nothing simpler was measured against it: no null
    model (the identity denoiser, a sampler that never moves, a fixed basis, the untrained
    network) and no competitor ran under the same check, so a trivial method might pass too;
``within noise``
    the measurement passes, but its spread over seeds or test points (:class:`Spread`) reaches
    past the check's bound: the margin is smaller than the noise;
``calibrated``
    it passes, but a constant of the run was tuned on the very data or seeds it is measured on;
``fails``
    it does not pass at a scale where it should: shown, never hidden;
``pending``
    it does not pass at this run's scale, which is below the scale the claim is expected at;
    ``pending_reason`` names what the larger preset changes;
``not separating``
    the method passes, but so does its challenger (the ``baseline``): the check does not tell
    them apart;
``reported``
    a number shown without a verdict (e.g. a wall-clock ratio that is not robust enough to decide).

The rules apply in this order: no verdict → ``reported``; the measurement passes → ``not
separating`` if the challenger passes too, else ``within noise`` if the spread does not pass,
else ``unchallenged`` if a reproduction or extension has no challenger and no reason, else
``calibrated`` if tuned on the data measured, else ``holds``; it does not pass → ``pending`` below
the scale the row expects, else ``fails``.

Three rules are enforced when a row or table is built, so a table cannot overstate:

* *pending means scale*: a row expected above the smallest scale names the preset settings that
  the larger preset changes (``pending_on``), and a table built with its ``config`` checks that
  those settings do differ between the presets;
* *one measured quantity is one row*: two verdict rows of a table may not carry the same measured
  number;
* a spread must contain the value it is the spread of.

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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from numbers import Real
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np

from theorybook.boundary import (
    FiniteReal,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    Probability,
    Seed,
    checked,
)
from theorybook.scales import Scale, ScaledConfig, _scale_rank, scale

__all__ = [
    "CLAIMS_DIR_ENV_VAR",
    "CLAIMS_MIME_TYPE",
    "Check",
    "Claim",
    "ClaimTable",
    "ClaimsNotHolding",
    "Kind",
    "Spread",
    "Status",
    "at_least",
    "at_most",
    "between",
    "close_to",
    "inline_math_html",
    "inline_math_text",
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

BaselineRole = Literal["null model", "competitor"]
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


_INLINE_MATH = re.compile(r"\$([^$\n]+)\$")


def inline_math_html(text: str) -> str:
    """``text`` escaped for HTML, with each ``$...$`` span as MathJax inline maths.

    The span carries Sphinx's own class for inline maths (``math``), which the book's MathJax
    configuration typesets wherever it appears, raw HTML and notebook outputs included.
    """
    out, last = [], 0
    for m in _INLINE_MATH.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"<span class='math notranslate nohighlight'>\\({escape(m.group(1))}\\)</span>")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def inline_math_text(text: str) -> str:
    """``text`` with the dollars of its ``$...$`` spans removed (for terminals and JSON)."""
    return _INLINE_MATH.sub(lambda m: m.group(1), text)


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
@dataclass(frozen=True)
class Spread:
    """The noise of a measured value: a band ``[low, high]`` it would move within if the seeds or
    test points were drawn again, and what the band is.

    A claim with a spread holds only if every value in the band passes its check (checks are
    intervals, so both ends suffice); when the value passes and an end does not, the row is
    *within noise*. What the band is decides what the check is applied to: build it with

    * :meth:`over_seeds`: the range of per-seed values (the check applies to every seed);
    * :meth:`mean_interval`: a Student-t interval of the mean over seeds (applies to the mean,
      with its uncertainty);
    * :meth:`bootstrap`: a percentile bootstrap interval of a statistic over test points
      (``scipy.stats.bootstrap``);
    * :meth:`binomial`: a Wilson interval of a fraction of successes (``scipy.stats.binomtest``);
    * the constructor, for a band computed elsewhere (say what it is in ``what``).

    ``values`` keeps the per-seed (or per-run) values when there are few enough to show.
    """

    low: FiniteReal
    high: FiniteReal
    what: str
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"a spread needs low <= high, got low={self.low} > high={self.high}")
        if not self.what.strip():
            raise ValueError(
                "a spread must say what it is, e.g. 'range over 5 seeds' or "
                "'95 % bootstrap interval over 2000 test points'"
            )
        if not all(math.isfinite(v) for v in self.values):
            raise ValueError(f"a spread's values must be finite, got {self.values}")

    @staticmethod
    def _finite_values(values: Sequence[float] | np.ndarray, name: str, least: int) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.size < least:
            raise ValueError(
                f"{name} needs a 1-D sequence of at least {least} values, got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} needs finite values, got {arr.tolist()}")
        return arr

    @classmethod
    def over_seeds(cls, values: Sequence[float] | np.ndarray, *, unit: str = "seeds") -> Spread:
        """The range (min, max) of per-seed values: a check on this band holds on every seed."""
        arr = cls._finite_values(values, "Spread.over_seeds", 2)
        return cls(
            float(arr.min()),
            float(arr.max()),
            f"range over {arr.size} {unit}",
            tuple(float(v) for v in arr),
        )

    @classmethod
    def mean_interval(
        cls,
        values: Sequence[float] | np.ndarray,
        *,
        level: Probability = 0.95,
        unit: str = "seeds",
    ) -> Spread:
        """A Student-t interval of the mean of per-seed values, ``mean ± t·s/√n``."""
        from scipy import stats

        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level}")
        arr = cls._finite_values(values, "Spread.mean_interval", 2)
        half = float(stats.t.ppf(0.5 + level / 2, arr.size - 1) * arr.std(ddof=1))
        half /= math.sqrt(arr.size)
        mean = float(arr.mean())
        return cls(
            mean - half,
            mean + half,
            f"{level:.0%} t-interval of the mean over {arr.size} {unit}",
            tuple(float(v) for v in arr) if arr.size <= 20 else (),
        )

    @classmethod
    def bootstrap(
        cls,
        values: Sequence[float] | np.ndarray,
        *,
        statistic: Any = np.mean,
        level: Probability = 0.95,
        resamples: PositiveInt = 2000,
        seed: Seed = 0,
        unit: str = "test points",
    ) -> Spread:
        """A percentile bootstrap interval of ``statistic`` over per-point values
        (``scipy.stats.bootstrap``, seeded)."""
        from scipy import stats

        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level}")
        if resamples < 100:
            raise ValueError(f"resamples must be >= 100, got {resamples}")
        arr = cls._finite_values(values, "Spread.bootstrap", 2)
        res = stats.bootstrap(
            (arr,),
            statistic,
            confidence_level=level,
            n_resamples=resamples,
            method="percentile",
            vectorized=False,
            random_state=np.random.default_rng(seed),
        )
        point = float(statistic(arr))
        low = min(float(res.confidence_interval.low), point)
        high = max(float(res.confidence_interval.high), point)
        return cls(low, high, f"{level:.0%} bootstrap interval over {arr.size} {unit}")

    @classmethod
    def binomial(
        cls,
        successes: NonNegativeInt,
        trials: PositiveInt,
        *,
        level: Probability = 0.95,
        unit: str = "trials",
    ) -> Spread:
        """A Wilson interval of the fraction ``successes / trials`` (``scipy.stats.binomtest``)."""
        from scipy import stats

        if isinstance(successes, bool) or isinstance(trials, bool):
            raise TypeError("successes and trials must be integers, not bools")
        successes, trials = int(successes), int(trials)
        if trials < 1 or not 0 <= successes <= trials:
            raise ValueError(
                f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}"
            )
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level}")
        ci = stats.binomtest(successes, trials).proportion_ci(level, method="wilson")
        return cls(
            float(ci.low), float(ci.high), f"{level:.0%} Wilson interval over {trials} {unit}"
        )

    def describe(self) -> str:
        """``[low, high] (what)``, plus the per-seed values when kept."""
        text = f"[{_format_value(self.low)}, {_format_value(self.high)}] ({self.what})"
        if self.values:
            text += ": " + ", ".join(_format_value(v) for v in self.values)
        return text


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
    UNCHALLENGED = "unchallenged"
    WITHIN_NOISE = "within noise"
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
    Status.UNCHALLENGED: "unchallenged",
    Status.WITHIN_NOISE: "within-noise",
    Status.CALIBRATED: "calibrated",
    Status.FAILS: "fails",
    Status.PENDING: "pending",
    Status.NOT_SEPARATING: "not-separating",
    Status.REPORTED: "reported",
}
_STATUS_MARKS = {
    Status.HOLDS: "✓",
    Status.UNCHALLENGED: "?",
    Status.WITHIN_NOISE: "~",
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
        the *challenger*: the value, under the *same* check and in the same run, of the strongest
        simple alternative that could pass it. If it passes too, the claim is ``not
        separating``. A reproduction or extension that passes without one is ``unchallenged``.
    baseline_name:
        what the challenger is (``"identity denoiser"``, ``"least squares"``); required with
        ``baseline``.
    baseline_role:
        ``"null model"`` (something that ignores the method's ingredient: the identity map, a
        sampler that never moves, a fixed basis, the untrained network) or ``"competitor"``
        (the strongest alternative method).
    unchallenged_reason:
        why no null model or competitor makes sense for this row (rare: a reviewer will ask).
        With it, a passing row without a challenger holds, but is not counted as challenged.
    spread:
        the measured value's noise over seeds or test points (:class:`Spread`); the verdict
        needs the whole band to pass, else the row is ``within noise``.
    procedure:
        where the procedure measured here is specified, verified against that source: the
        paper's section (``"§4.2, the setting of Fig. 3"``) or the official code
        (``"official code, make_C_alpha_images"``). Required for a reproduction: a result whose
        procedure is our reading of a text we could not verify is an ``extension``.
    calibrated_on:
        the data or seeds a constant of this run was tuned on. A passing claim shows as
        ``calibrated`` unless ``held_out`` says the measurement used disjoint data or seeds.
    held_out:
        ``True`` when the measurement is on data/seeds disjoint from ``calibrated_on``.
    expected_at:
        the smallest scale at which we expect the claim to hold.
    pending_on:
        the preset settings, as dotted names of the chapter's ``Config``
        (``"mixture.training.steps"``), whose larger values are expected to decide the claim;
        required whenever ``expected_at`` is above ``"smoke"``. A table built with ``config``
        checks that they differ between the run's preset and the expected one.
    pending_reason:
        why those settings decide it (more steps, more data, a lower tolerance); required
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
    baseline_role: BaselineRole = "competitor"
    unchallenged_reason: str = ""
    spread: Spread | None = None
    procedure: str = ""
    calibrated_on: str = ""
    held_out: bool = False
    expected_at: Scale = "smoke"
    pending_on: tuple[str, ...] = ()
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
        if self.kind == "reproduction" and not self.procedure.strip():
            raise ValueError(
                f"claim {self.id!r} is a reproduction: say in procedure where the procedure "
                "measured here is specified (the paper's section or the official code); if it "
                "is our reading of a text we could not verify, make the row an extension"
            )
        if self.baseline is not None and self.unchallenged_reason.strip():
            raise ValueError(
                f"claim {self.id!r} has a challenger ({self.baseline_name}) and an "
                "unchallenged_reason: keep one"
            )
        if self.unchallenged_reason.strip() and self.kind == "exact":
            raise ValueError(
                f"claim {self.id!r}: an exact check needs no challenger; drop unchallenged_reason"
            )
        if self.spread is not None:
            if self.check.kind == "true":
                raise ValueError(
                    f"claim {self.id!r}: a yes/no check has no spread; check a number instead"
                )
            value = self.measured
            if value is not None and not isinstance(value, bool) and math.isfinite(float(value)):
                x, lo, hi = float(value), self.spread.low, self.spread.high
                slack = 1e-9 * max(1.0, abs(x))
                if not lo - slack <= x <= hi + slack:
                    raise ValueError(
                        f"claim {self.id!r}: the spread [{lo:.4g}, {hi:.4g}] "
                        f"({self.spread.what}) does not contain the measured value {x:.4g}"
                    )
        if self.expected_at != "smoke" and not self.pending_on:
            raise ValueError(
                f"claim {self.id!r} is expected at {self.expected_at} scale: name in pending_on "
                "the preset settings (dotted Config names) whose larger values decide it"
            )
        for name in self.pending_on:
            if not name.strip() or " " in name:
                raise ValueError(
                    f"claim {self.id!r}: pending_on takes dotted Config names such as "
                    f"'training.steps', got {name!r}"
                )
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
    def spread_passes(self) -> bool | None:
        """Whether both ends of the spread pass the check (``None`` without a spread)."""
        if self.spread is None:
            return None
        return self.check.passes(self.spread.low) and self.check.passes(self.spread.high)

    @property
    def challenged(self) -> bool:
        """Whether a challenger was measured under the same check (and did not pass)."""
        return self.baseline is not None and not self.baseline_passes

    @property
    def status(self) -> Status:
        """The verdict; see the module docstring for the order in which the rules apply."""
        if not self.check.decides:
            return Status.REPORTED
        if self.passes:
            if self.baseline_passes:
                return Status.NOT_SEPARATING
            if self.spread_passes is False:
                return Status.WITHIN_NOISE
            if (
                self.kind != "exact"
                and self.baseline is None
                and not self.unchallenged_reason.strip()
            ):
                return Status.UNCHALLENGED
            if self.calibrated_on and not self.held_out:
                return Status.CALIBRATED
            return Status.HOLDS
        if _scale_rank(self.scale) < _scale_rank(self.expected_at):
            return Status.PENDING
        return Status.FAILS

    def verdict(self, **sentences: str) -> str:
        """The sentence written for this row's status, for a glued verdict in the prose.

        Keys are status names (``holds``, ``unchallenged``, ``within_noise``, ``calibrated``,
        ``fails``, ``pending``, ``not_separating``, ``reported``); ``other`` covers any status not given. A notebook glues
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
            baseline = (
                f"{self.baseline_role} {self.baseline_name}: {_format_value(self.baseline)} "
                f"({verdict})"
            )
        elif self.unchallenged_reason:
            baseline = f"none: {self.unchallenged_reason}"
        ours = _format_value(self.measured)
        if self.spread is not None:
            ours += f" {self.spread.describe()}"
        return {
            "id": self.id,
            "kind": self.kind,
            "claim": inline_math_text(self.statement),
            "where": self.where,
            "paper": _format_value(self.paper_value),
            "ours": ours,
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
            "baseline_role": self.baseline_role if self.baseline is not None else "",
            "challenged": self.challenged,
            "unchallenged_reason": self.unchallenged_reason,
            "spread": None
            if self.spread is None
            else {
                "low": self.spread.low,
                "high": self.spread.high,
                "what": self.spread.what,
                "values": list(self.spread.values),
            },
            "procedure": self.procedure,
            "check": self.check.describe(),
            "status": self.status.label,
            "scale": self.scale,
            "expected_at": self.expected_at,
            "calibrated_on": self.calibrated_on,
            "held_out": self.held_out,
            "pending_on": list(self.pending_on),
            "pending_reason": self.pending_reason,
            "note": self.note,
        }


def _refuse_one_quantity_twice(claims: Sequence[Claim]) -> None:
    """Raise if two verdict rows (reproduction or extension) carry the same measured number."""
    seen: dict[float, str] = {}
    for c in claims:
        if c.kind == "exact" or not c.check.decides or isinstance(c.measured, bool | np.bool_):
            continue
        if c.measured is None or _is_nan(c.measured):
            continue
        x = float(c.measured)
        if not math.isfinite(x) or x == round(x):
            continue  # integers (counts, zero) may coincide by chance
        if x in seen:
            raise ValueError(
                f"claims {seen[x]!r} and {c.id!r} carry the same measured value {x:.6g}: one "
                "measured quantity is one row; merge them, or measure two quantities"
            )
        seen[x] = c.id


def _setting(cfg: object, dotted: str) -> object:
    value = cfg
    for part in dotted.split("."):
        if not hasattr(value, part):
            raise ValueError(
                f"pending_on names {dotted!r}, but {type(cfg).__name__} has no setting {part!r} "
                "there"
            )
        value = getattr(value, part)
    return value


def _check_pending_settings(claims: Sequence[Claim], config: type[ScaledConfig]) -> None:
    """Raise unless every row pending at its scale names settings its expected preset changes."""
    if not (isinstance(config, type) and issubclass(config, ScaledConfig)):
        raise TypeError(f"config must be a ScaledConfig subclass, got {config!r}")
    for c in claims:
        names = c.pending_on
        for name in names:  # a misspelt setting is an error at every scale
            _setting(config.preset("smoke"), name)
        if _scale_rank(c.expected_at) <= _scale_rank(c.scale):
            continue
        ran, expected = config.preset(c.scale), config.preset(c.expected_at)
        same = [n for n in names if _setting(ran, n) == _setting(expected, n)]
        if same:
            raise ValueError(
                f"claim {c.id!r} waits for the {c.expected_at} preset, but {same} are the same in "
                f"the {c.scale} and {c.expected_at} presets: a scale that changes nothing the "
                "claim depends on cannot decide it (redesign the row, or let it fail)"
            )


class ClaimsNotHolding(AssertionError):
    """Raised by :meth:`ClaimTable.assert_hold` when a claim does not hold."""


@checked
@dataclass(frozen=True, init=False)
class ClaimTable:
    """The *What we reproduced* table of a chapter: every claim, holding or not, grouped by kind.

    ``chapter`` names the chapter (its notebook's stem, e.g. ``"06_ar_net"``); displaying the
    table in a notebook then also carries its records for the Scorecard page, and writes
    ``$THEORYBOOK_CLAIMS_DIR/<chapter>.json`` when that variable is set.

    ``config`` is the chapter's ``Config`` class (a :class:`~theorybook.scales.ScaledConfig`).
    With it, every row that is pending at its run's scale must name in ``pending_on`` settings
    that the expected scale's preset changes: a row cannot wait for a scale that changes nothing
    it depends on. Two verdict rows may not carry the same measured number (one measured
    quantity is one row).

    Statements may hold inline TeX between dollars (``"$R_\\theta$ is convex"``): the HTML
    table and the Scorecard render it as maths, the text forms show the TeX.
    """

    claims: tuple[Claim, ...]
    chapter: str
    title: str

    def __init__(
        self,
        claims: Iterable[Claim],
        *,
        chapter: str = "",
        title: str = "What we reproduced",
        config: type[ScaledConfig] | None = None,
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
        _refuse_one_quantity_twice(items)
        if config is not None:
            _check_pending_settings(items, config)
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

    def challenged_holds(self, kind: Kind = "reproduction") -> tuple[Claim, ...]:
        """The rows of ``kind`` that hold against a challenger that does not pass: the
        Scorecard's headline number for reproductions."""
        return tuple(c for c in self.of_kind(kind) if c.status is Status.HOLDS and c.challenged)

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
        """One line, e.g. ``reproductions: 6 hold (5 challenged), 2 fail · exact: 9 hold``."""
        if not self.claims:
            return "no claims"
        verbs = {"holds": "hold", "fails": "fail"}
        plural = {"reproduction": "reproductions", "exact": "exact", "extension": "extensions"}
        parts = []
        for kind, by_status in self.counts().items():
            bits = []
            for s, n in by_status.items():
                bit = f"{n} {verbs.get(s, s) if n != 1 else s}"
                if s == "holds" and kind != "exact":
                    bit += f" ({len(self.challenged_holds(cast(Kind, kind)))} challenged)"
                bits.append(bit)
            parts.append(f"{plural[kind]}: {', '.join(bits)}")
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
            on = ", ".join(c.pending_on)
            bits.append(f"pending on {escape(on)}: " + escape(c.pending_reason))
        if c.procedure:
            bits.append("procedure: " + escape(c.procedure))
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
                    f"{inline_math_html(c.statement)}<br><small>{self._cell_notes(c)}</small>",
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
