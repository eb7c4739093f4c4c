"""What a public signature declares: numeric ranges, array options, and the reading of both.

The aliases (:data:`PositiveInt`, :data:`Probability`, …) and metadata (:class:`IntRange`,
:class:`Interval`, :class:`ArrayOptions`) go into annotations; :func:`declared_parameters` reads
them back, for :func:`theorybook.boundary.checked` (which enforces them at each call) and for the
generic malformed-input test (which derives malformed values from them). Everything here is
re-exported by :mod:`theorybook.boundary`, the module to import from.
"""

from __future__ import annotations

import importlib
import inspect
import math
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

__all__ = [
    "MAY_BE_EMPTY",
    "MAY_BE_NONFINITE",
    "AnyInt",
    "ArrayOptions",
    "DeclaredParameter",
    "FiniteReal",
    "IntRange",
    "Interval",
    "NonNegativeInt",
    "NonNegativeReal",
    "PositiveInt",
    "PositiveReal",
    "Probability",
    "Seed",
    "declared_parameters",
    "element_rule",
    "is_record",
    "outside_choices",
    "mark_record",
]

C = TypeVar("C", bound=type)

MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class IntRange:
    """Annotation metadata: an ``int`` with ``low ≤ value ≤ high`` (either bound optional)."""

    low: AnyInt | None = None
    high: AnyInt | None = None

    def __post_init__(self) -> None:
        for end in ("low", "high"):
            value = getattr(self, end)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"IntRange: {end} must be an int or None, got {value!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"IntRange: low ({self.low}) must not exceed high ({self.high})")

    def check(self, name: str, value: object) -> int:
        """``value`` as a Python int, or ``TypeError``/``ValueError`` naming ``name``."""
        from theorybook.validation import int_in_range

        return int_in_range(name, value, low=self.low, high=self.high)

    def outside(self) -> list[object]:
        """Values this range refuses: wrong types and the integers just outside each end."""
        out: list[object] = ["3", 2.5, True]
        if self.low is not None:
            out.append(self.low - 1)
        if self.high is not None:
            out.append(self.high + 1)
        return out


@dataclass(frozen=True)
class Interval:
    """Annotation metadata: a real number in an interval (finite unless ``finite=False``)."""

    low: FiniteReal | None = None
    high: FiniteReal | None = None
    low_open: bool = False
    high_open: bool = False
    finite: bool = True

    def __post_init__(self) -> None:
        for end in ("low", "high"):
            value = getattr(self, end)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"Interval: {end} must be a real number or None, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"Interval: {end} must be finite (None for no bound), got {value}")
        for flag in ("low_open", "high_open", "finite"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"Interval: {flag} must be a bool, got {getattr(self, flag)!r}")
        if self.low is not None and self.high is not None:
            empty = self.low > self.high or (
                self.low == self.high and (self.low_open or self.high_open)
            )
            if empty:
                raise ValueError(
                    f"Interval: low ({self.low}) and high ({self.high}) leave no value"
                )

    def check(self, name: str, value: object) -> float:
        """``value`` as a Python float, or ``TypeError``/``ValueError`` naming ``name``."""
        from theorybook.validation import real

        return real(
            name,
            value,
            low=self.low,
            high=self.high,
            low_open=self.low_open,
            high_open=self.high_open,
            finite=self.finite,
        )

    def outside(self) -> list[object]:
        """Values this interval refuses: wrong types, NaN, ±inf if finite, and each open or
        closed end's nearest outsider."""
        out: list[object] = ["0.5", complex(1, 1), True, math.nan]
        if self.finite:
            out += [math.inf, -math.inf]
        if self.low is not None:
            out.append(self.low if self.low_open else self.low - max(1.0, abs(self.low)))
        if self.high is not None:
            out.append(self.high if self.high_open else self.high + max(1.0, abs(self.high)))
        return out


@dataclass(frozen=True)
class ArrayOptions:
    """Annotation metadata for an array argument: which checks of its values to skip."""

    may_be_empty: bool = False
    may_be_nonfinite: bool = False

    def __post_init__(self) -> None:
        for flag in ("may_be_empty", "may_be_nonfinite"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"ArrayOptions: {flag} must be a bool, got {getattr(self, flag)!r}")


MAY_BE_EMPTY = ArrayOptions(may_be_empty=True)
MAY_BE_NONFINITE = ArrayOptions(may_be_nonfinite=True)

PositiveInt = Annotated[int, IntRange(low=1)]
"""A count: an int ≥ 1 (epochs, widths, sample sizes)."""
NonNegativeInt = Annotated[int, IntRange(low=0)]
"""An int ≥ 0."""
AnyInt = Annotated[int, IntRange()]
"""Any int (said explicitly, so that a reader knows the range was thought about)."""
Seed = Annotated[int, IntRange(low=0, high=MAX_SEED)]
"""A random seed: an int in [0, 2³² − 1], what NumPy, torch and JAX all accept."""
PositiveReal = Annotated[float, Interval(low=0.0, low_open=True)]
"""A finite real > 0 (a noise level, a step size, a scale)."""
NonNegativeReal = Annotated[float, Interval(low=0.0)]
"""A finite real ≥ 0."""
Probability = Annotated[float, Interval(low=0.0, high=1.0)]
"""A real in [0, 1]."""
FiniteReal = Annotated[float, Interval()]
"""Any finite real."""


def mark_record(cls: C) -> C:
    """Mark ``cls`` as a result record (see :func:`theorybook.boundary.record`)."""
    if not isinstance(cls, type):
        raise TypeError(f"record: cls must be a class, got {cls!r}")
    cls.__theorybook_record__ = True  # type: ignore[attr-defined]
    return cls


def is_record(cls: type) -> bool:
    """Whether ``cls`` was marked with :func:`theorybook.boundary.record`."""
    if not isinstance(cls, type):
        raise TypeError(f"is_record: cls must be a class, got {cls!r}")
    return bool(cls.__dict__.get("__theorybook_record__", False))


# --- reading annotations -----------------------------------------------------------------------


def is_array_hint(hint: Any) -> bool:
    """Whether ``hint`` is a jaxtyping array annotation (``Float[Tensor, "n d"]`` and kin)."""
    return hasattr(hint, "dim_str") and hasattr(hint, "array_type")


def members(hint: Any) -> Iterator[Any]:
    """``hint`` and, through ``Annotated``, ``Optional`` and unions, every type inside it."""
    yield hint
    origin = typing.get_origin(hint)
    if origin is Annotated:
        yield from members(typing.get_args(hint)[0])
    elif origin is typing.Union or type(hint).__name__ == "UnionType":
        for arg in typing.get_args(hint):
            yield from members(arg)


def metadata(hint: Any) -> list[Any]:
    """The ``Annotated`` metadata found anywhere in ``hint``."""
    out: list[Any] = []
    for member in members(hint):
        if typing.get_origin(member) is Annotated:
            out.extend(member.__metadata__)
    return out


def allows_none(hint: Any) -> bool:
    return any(member is type(None) for member in members(hint))


@mark_record
@dataclass(frozen=True)
class DeclaredParameter:
    """What one parameter's annotation declares (read by :func:`checked` and by the tests)."""

    name: str
    hint: Any
    number: IntRange | Interval | None
    array: Any | None
    options: ArrayOptions
    allows_none: bool
    choices: tuple[Any, ...]
    kind: inspect._ParameterKind
    default: Any


def leaves(hint: Any) -> list[Any]:
    """The types of ``hint`` once ``Annotated``, ``Optional`` and unions are opened."""
    return [
        m
        for m in members(hint)
        if typing.get_origin(m) not in (Annotated, typing.Union) and type(m).__name__ != "UnionType"
    ]


def number_rule(hint: Any) -> IntRange | Interval | None:
    """The range rule of a parameter whose every type is one number type (``int`` or ``float``,
    optionally ``None``): the declared :class:`IntRange`/:class:`Interval`, else any value of the
    type (finite for ``float``). None for anything else."""
    types = [m for m in leaves(hint) if m is not type(None)]
    if len(types) != 1 or types[0] not in (int, float):
        return None
    for rule in metadata(hint):
        if isinstance(rule, IntRange | Interval):
            return rule
    return IntRange() if types[0] is int else Interval()


def element_rule(hint: Any) -> IntRange | Interval | None:
    """The range rule of the elements of a ``tuple[X, ...]`` or ``Sequence[X]`` of numbers (the
    first such member of ``hint``), or None."""
    import collections.abc

    for m in leaves(hint):
        origin = typing.get_origin(m)
        args = typing.get_args(m)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return number_rule(args[0])
        if origin in (collections.abc.Sequence, list) and len(args) == 1:
            return number_rule(args[0])
    return None


def literal_choices(hint: Any) -> tuple[Any, ...]:
    """The values allowed by the ``Literal`` types in ``hint`` (empty if it has none)."""
    out: list[Any] = []
    for m in leaves(hint):
        if typing.get_origin(m) is typing.Literal:
            out.extend(typing.get_args(m))
    return tuple(out)


def outside_choices(hint: Any, value: object) -> tuple[Any, ...] | None:
    """The allowed choices if ``value`` is a string that ``hint``'s ``Literal`` refuses (a wrong
    *value*, so a ``ValueError``), else None."""
    choices = literal_choices(hint)
    if not choices or not isinstance(value, str) or value in choices:
        return None
    others = [
        m for m in leaves(hint) if m is not type(None) and typing.get_origin(m) is not Literal
    ]
    if any(m in (int, float) for m in others):
        try:  # "4" for PositiveInt | Literal["policy"]: a number of the wrong type, not a choice
            float(value)
        except ValueError:
            return choices
        return None
    return choices


def _type_hints(target: Callable[..., Any]) -> dict[str, Any]:
    """``typing.get_type_hints`` of ``target``; a module that its annotations name but its module
    imports only lazily (``torch`` in :mod:`theorybook.validation`) is imported now."""
    modules: dict[str, Any] = {}
    while True:
        try:
            return typing.get_type_hints(target, localns=modules, include_extras=True)
        except NameError as err:
            if err.name is None or err.name in modules:
                raise
            try:
                modules[err.name] = importlib.import_module(err.name)
            except ImportError:
                raise err from None


def declared_parameters(fn: Callable[..., Any]) -> dict[str, DeclaredParameter]:
    """Each parameter of ``fn`` (a function, or a class's constructor) and what it declares.

    Arguments:
        fn: a function or a class.

    Returns:
        ``{name: DeclaredParameter}`` in signature order, without ``self``.
    """
    if not callable(fn):
        raise TypeError(f"declared_parameters: fn must be a function or a class, got {fn!r}")
    target = fn.__init__ if isinstance(fn, type) else fn  # type: ignore[misc]
    target = inspect.unwrap(target)
    hints = _type_hints(target)
    out: dict[str, DeclaredParameter] = {}
    for name, param in inspect.signature(target).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        hint = hints.get(name, Any)
        arrays = [m for m in members(hint) if is_array_hint(m)]
        options = next((m for m in metadata(hint) if isinstance(m, ArrayOptions)), ArrayOptions())
        out[name] = DeclaredParameter(
            name=name,
            hint=hint,
            number=number_rule(hint),
            array=arrays[0] if arrays else None,
            options=options,
            allows_none=allows_none(hint),
            choices=literal_choices(hint),
            kind=param.kind,
            default=param.default,
        )
    return out
