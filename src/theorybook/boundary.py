"""Checked public boundaries: what an argument may be is declared in its annotation, and checked.

A public function declares each argument's type, array shape and dtype (jaxtyping), and numeric
range (the aliases below) in its signature, and is decorated with :func:`checked`::

    from jaxtyping import Float
    from torch import Tensor

    @checked
    def denoise(
        images: Float[Tensor, "batch 1 h w"], sigma: PositiveReal, *, steps: PositiveInt = 10
    ) -> Float[Tensor, "batch 1 h w"]:
        ...

Each call is then checked *before the body runs*, in this order, and a failure raises an error
that names the function and the argument:

1. **Ranges** (``ValueError``/``TypeError``): an argument annotated with an :class:`IntRange` or
   :class:`Interval` (``PositiveInt``, ``Probability``, …), or a bare ``int``/``float``, is checked
   by :mod:`theorybook.validation` and converted to a Python number (so ``np.int64(3)`` is an
   ``int``). A bare ``float`` must be finite; say ``Annotated[float, Interval(finite=False)]``
   where ±inf is meaningful. A string outside the argument's ``Literal`` choices is a
   ``ValueError`` listing them.
2. **Values of arrays** (``ValueError``): an array argument (jaxtyping annotation) must be
   non-empty and hold only finite values, unless its annotation carries :data:`MAY_BE_EMPTY` or
   :data:`MAY_BE_NONFINITE`.
3. **Types, dtypes and shapes** (``TypeError``): jaxtyping run by beartype, two maintained
   libraries: wrong ranks, sizes that disagree between arguments sharing a dimension name,
   integer or complex arrays where floating ones are declared, NumPy where torch is declared,
   wrong Python types.

After the body, the result (an array, a float, or a tuple, list or dataclass of them, one level
deep) must be finite; otherwise :class:`NonFiniteResult` names the function: a valid input that
reaches a degenerate limit (σ → 0, an ill-conditioned solve) fails loudly instead of returning
NaN. ``@checked(finite_result=False)`` opts out where a non-finite result is meaningful.

A checked function called from inside another checked call (the package calling its own public
functions) is not checked again: the boundary is the outermost call, and the inner loops pay
nothing. Result records (:func:`record`) check their fields when built, allowing NaN.

Applied to a class, :func:`checked` checks the constructor the same way (a dataclass's fields, an
``nn.Module``'s ``__init__``). :func:`check_fields` serves dataclasses that validate in
``__post_init__`` (every :class:`~theorybook.scales.Settings` block).

Only public entry points are decorated: the inner loops they call pay nothing. What annotations
cannot say (positive definiteness, symmetry, a model's dtype against an input's) stays with
:mod:`theorybook.validation`, called at the top of the function body.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import math
import re
import sys
import threading
import typing
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

import numpy as np

from theorybook.declared import (
    MAY_BE_EMPTY,
    MAY_BE_NONFINITE,
    AnyInt,
    ArrayOptions,
    DeclaredParameter,
    FiniteReal,
    Interval,
    IntRange,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    Seed,
    allows_none,
    declared_parameters,
    element_rule,
    is_array_hint,
    is_record,
    leaves,
    mark_record,
    members,
    metadata,
    number_rule,
    outside_choices,
)

__all__ = [
    "MAY_BE_EMPTY",
    "MAY_BE_NONFINITE",
    "AnyInt",
    "ArrayOptions",
    "FiniteReal",
    "IntRange",
    "Interval",
    "NonFiniteResult",
    "NonNegativeInt",
    "NonNegativeReal",
    "PositiveInt",
    "PositiveReal",
    "Probability",
    "Seed",
    "DeclaredParameter",
    "check_fields",
    "checked",
    "declared_parameters",
    "is_record",
    "record",
]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


class NonFiniteResult(FloatingPointError):
    """A checked function returned NaN or ±inf for finite arguments (a degenerate limit)."""


# --- checking values ---------------------------------------------------------------------------


def _is_tracer(value: object) -> bool:
    if "jax" not in sys.modules:
        return False
    import jax

    return isinstance(value, jax.core.Tracer)


def _all_finite_numpy(value: np.ndarray) -> bool:
    """Whether a floating or complex array holds only finite values: one pass (a sum, finite
    exactly when every term is, unless it overflows) and the exact test only if it is not."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(value.sum()):
            return True
    return bool(np.isfinite(value).all())


def _array_facts(value: object) -> tuple[int, bool] | None:
    """``(size, all finite)`` of a NumPy, torch or JAX array of numbers; None for anything else."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fcbiu":
            return None
        finite = value.dtype.kind not in "fc" or value.size == 0 or _all_finite_numpy(value)
        return int(value.size), finite
    module = type(value).__module__
    if module.startswith("torch"):
        import torch

        if isinstance(value, torch.Tensor):
            floating = value.is_floating_point() or value.is_complex()
            finite = True
            if floating and value.numel():
                t = value.detach()
                finite = bool(torch.isfinite(t.sum())) or bool(torch.isfinite(t).all())
            return int(value.numel()), finite
    if module.startswith("jax") and not _is_tracer(value):
        import jax

        if isinstance(value, jax.Array):
            try:
                kind = np.dtype(value.dtype).kind
            except TypeError:  # a typed PRNG key (jax.random.key): not numbers
                return None
            finite = True
            if kind in "fc" and value.size:
                import jax.numpy as jnp

                finite = bool(jnp.isfinite(value.sum())) or bool(jnp.isfinite(value).all())
            return int(value.size), finite
    return None


def _check_array_values(where: str, name: str, value: object, options: ArrayOptions) -> None:
    facts = _array_facts(value)
    if facts is None:
        return
    size, finite = facts
    if size == 0 and not options.may_be_empty:
        shape = tuple(getattr(value, "shape", ()))
        raise ValueError(f"{where}: argument {name!r} is empty (shape {shape})")
    if not finite and not options.may_be_nonfinite:
        raise ValueError(f"{where}: argument {name!r} contains NaN or inf")


def _nonfinite_part(result: object, depth: int = 0) -> str | None:
    """Where ``result`` holds NaN or ±inf ("the result", "element 1", "field 'x'"), or None."""
    if isinstance(result, float | np.floating):
        return None if math.isfinite(float(result)) else "the result"
    facts = _array_facts(result)
    if facts is not None:
        return None if facts[1] else "the result"
    if depth > 0:
        return None
    if isinstance(result, tuple | list):
        for i, item in enumerate(result):
            if _nonfinite_part(item, depth + 1) is not None:
                return f"element {i} of the result"
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        for field in dataclasses.fields(result):
            if _nonfinite_part(getattr(result, field.name), depth + 1) is not None:
                return f"field {field.name!r} of the result"
    return None


def _describe(value: object) -> str:
    """A short description of an argument's value: its type, and dtype and shape for arrays."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        kind = type(value).__module__.split(".")[0]
        return f"{kind} array of dtype {dtype} and shape {tuple(shape)}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _hint_text(hint: Any) -> str:
    text = hint.__name__ if isinstance(hint, type) and not hasattr(hint, "dim_str") else str(hint)
    text = re.sub(r"<class '(.*?)'>", r"\1", text)
    return text.replace("jaxtyping.", "").replace("typing.", "")


def _mismatch(where: str, name: str, hint: Any, value: object, seen: list[str]) -> str:
    """The message of an argument that does not match its annotation."""
    message = (
        f"{where}: argument {name!r} does not match its declared type. "
        f"Expected type: {_hint_text(hint)}. Actual value: {_describe(value)}."
    )
    if seen and getattr(value, "shape", None) is not None:
        message += f" Array arguments checked before it: {', '.join(seen)}."
    return message


def _checked_elements(where: str, value: Any, hint: Any, record: bool) -> Any:
    """``value`` with each element checked against ``hint``'s element rule (if it has one and
    ``value`` is a tuple or list), as the same kind of sequence; else ``value``."""
    rule = element_rule(hint)
    if rule is None or not isinstance(value, tuple | list):
        return value
    out = []
    for i, item in enumerate(value):
        if record and isinstance(item, float) and math.isnan(item):
            out.append(item)
        else:
            out.append(rule.check(f"{where}[{i}]", item))
    return type(value)(out) if type(value) in (tuple, list) else value


def _or_else(hint: Any) -> str:
    """ ", or a value of type int" for the non-``Literal`` types a hint also allows."""
    others = [
        _hint_text(m)
        for m in leaves(hint)
        if m is not type(None) and typing.get_origin(m) is not typing.Literal
    ]
    return f", or a value of type {' | '.join(others)}" if others else ""


def _prefixed(where: str, err: Exception) -> Exception:
    return type(err)(f"{where}: {err}")


_NESTING = threading.local()
"""How many checked calls are running in this thread: a checked function called from inside
another (the package calling its own public functions) is not checked again."""


def _wrap(fn: F, where: str, finite_result: bool) -> F:
    from beartype import BeartypeConf
    from beartype.door import is_bearable
    from jaxtyping import jaxtyped

    conf = BeartypeConf(is_pep484_tower=True)
    signature = inspect.signature(fn)

    @functools.cache
    def plan() -> dict[str, DeclaredParameter]:
        return declared_parameters(fn)

    @functools.cache
    def has_arrays() -> bool:
        return any(p.array is not None for p in plan().values())

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_NESTING, "depth", 0)
        if depth:
            return fn(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{where}: {err}") from None
        traced = False
        seen: list[str] = []
        # One jaxtyping context for all arguments: a dimension name binds one size across them.
        # (Entered only where an array is declared: jaxtyping imports JAX on its first context.)
        with jaxtyped("context") if has_arrays() else contextlib.nullcontext():
            for name, value in list(bound.arguments.items()):
                declared = plan().get(name)
                if declared is None or (value is None and declared.allows_none):
                    continue
                if declared.number is not None and not _is_tracer(value):
                    try:
                        bound.arguments[name] = declared.number.check(name, value)
                    except (TypeError, ValueError) as err:
                        raise _prefixed(where, err) from None
                    continue
                if isinstance(value, tuple | list) and not _is_tracer(value):
                    try:
                        value = _checked_elements(name, value, declared.hint, record=False)
                    except (TypeError, ValueError) as err:
                        raise _prefixed(where, err) from None
                    bound.arguments[name] = value
                if (choices := outside_choices(declared.hint, value)) is not None:
                    raise ValueError(
                        f"{where}: {name} must be one of {choices}{_or_else(declared.hint)}, "
                        f"got {value!r}"
                    )
                if declared.array is not None:
                    traced = traced or _is_tracer(value)
                    _check_array_values(where, name, value, declared.options)
                if declared.hint is not Any and not is_bearable(value, declared.hint, conf=conf):
                    raise TypeError(_mismatch(where, name, declared.hint, value, seen))
                if declared.array is not None and hasattr(value, "shape"):
                    seen.append(f"{name} {tuple(value.shape)}")
        _NESTING.depth = depth + 1
        try:
            result = fn(*bound.args, **bound.kwargs)
        finally:
            _NESTING.depth = depth
        if finite_result and not traced:
            part = _nonfinite_part(result)
            if part is not None:
                raise NonFiniteResult(
                    f"{where} returned NaN or inf in {part} for finite arguments "
                    "(a degenerate limit of its inputs; see its docstring)"
                )
        return result

    return cast(F, wrapper)


@overload
def checked(fn: F, /) -> F: ...
@overload
def checked(*, finite_result: bool = True) -> Callable[[F], F]: ...
def checked(fn: Any = None, /, *, finite_result: bool = True) -> Any:
    """Check a public function's (or class constructor's) arguments on every call.

    Usable bare (``@checked``) or with options (``@checked(finite_result=False)``). On a class,
    the constructor is checked and the class is returned (apply it above ``@dataclass``).

    Arguments:
        fn: a public function or class whose parameters carry annotations. Annotations must be
            resolvable at call time: import the annotated types at module level, not only under
            ``TYPE_CHECKING``.
        finite_result: raise :class:`NonFiniteResult` when the result holds NaN or ±inf.

    Returns:
        The wrapped function, with ``fn``'s signature and docstring (or the class itself).
    """

    if not isinstance(finite_result, bool):
        raise TypeError(f"checked: finite_result must be a bool, got {finite_result!r}")

    def apply(target: Any) -> Any:
        if not callable(target):
            raise TypeError(f"checked: fn must be a function or a class, got {target!r}")
        if isinstance(target, type):
            init = target.__dict__.get("__init__", target.__init__)  # type: ignore[misc]
            name = target.__qualname__
            target.__init__ = _wrap(init, name, finite_result=False)  # type: ignore[misc]
            return target
        name = getattr(target, "__qualname__", getattr(target, "__name__", "function"))
        name = name.removesuffix(".__init__")
        return _wrap(target, name, finite_result=finite_result)

    if fn is None:
        return apply
    return apply(fn)


@functools.cache
def _field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def record(cls: C) -> C:
    """Mark a frozen dataclass as a *result record* and check its fields when it is built.

    Records (each chapter's ``results.py``, a solver's or a trainer's result) are built by the
    package's own functions. Their fields are checked at construction like a ``Settings`` block's
    (:func:`check_fields` with ``record=True``): types, dtypes, ranks and declared ranges, so a
    negative time, a list for a tensor or a float16 sample is refused; NaN is allowed (a value
    that was not measured) and so are empty or non-finite arrays. Records are outside the generic
    malformed-input test. Apply it above ``@dataclass``.

    Arguments:
        cls: a dataclass.

    Returns:
        ``cls``, whose constructor now checks its fields.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(
            f"record: cls must be a dataclass (apply @record above @dataclass), got {cls!r}"
        )
    init = cls.__dict__["__init__"]

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self) is cls:
            check_fields(self, record=True)

    cls.__init__ = __init__  # type: ignore[method-assign]
    return mark_record(cls)


def check_fields(obj: Any, *, record: bool = False) -> None:
    """Check a dataclass instance's fields against their annotations, as :func:`checked` would.

    Numbers with a declared range (or bare ``int``/``float``) are checked and stored back as
    Python numbers; arrays must be non-empty and finite unless their annotation says otherwise;
    every other field must match its type. Call it from ``__post_init__``.

    Arguments:
        obj: a dataclass instance (frozen ones included).
        record: the rules of a result record: NaN passes a number's range (a value not
            measured), and arrays may be empty or hold NaN/inf.

    Raises:
        TypeError, ValueError: naming ``Class.field``.
    """
    from beartype import BeartypeConf

    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"check_fields: obj must be a dataclass instance, got {obj!r}")
    if not isinstance(record, bool):
        raise TypeError(f"check_fields: record must be a bool, got {record!r}")
    conf = BeartypeConf(is_pep484_tower=True)
    cls = type(obj)
    hints = _field_hints(cls)
    arrays = any(is_array_hint(m) for h in hints.values() for m in members(h))
    # One jaxtyping context for all fields: a dimension name binds one size across them.
    with _array_context() if arrays else contextlib.nullcontext():
        _check_each_field(obj, cls, hints, record, conf)


def _array_context() -> Any:
    from jaxtyping import jaxtyped

    return jaxtyped("context")


def _check_each_field(obj: Any, cls: type, hints: dict[str, Any], record: bool, conf: Any) -> None:
    from beartype.door import die_if_unbearable
    from beartype.roar import BeartypeException

    for field in dataclasses.fields(obj):
        hint = hints.get(field.name, Any)
        value = getattr(obj, field.name)
        where = f"{cls.__name__}.{field.name}"
        if value is None and allows_none(hint):
            continue
        if (choices := outside_choices(hint, value)) is not None:
            raise ValueError(f"{where} must be one of {choices}{_or_else(hint)}, got {value!r}")
        if isinstance(value, tuple | list):
            value = _checked_elements(where, value, hint, record)
            object.__setattr__(obj, field.name, value)
        rule = number_rule(hint)
        if rule is not None:
            not_measured = record and isinstance(value, float | np.floating) and math.isnan(value)
            if not not_measured:
                object.__setattr__(obj, field.name, rule.check(where, value))
                continue
            rule = None
        if any(is_array_hint(m) for m in members(hint)) and not record:
            options = next(
                (m for m in metadata(hint) if isinstance(m, ArrayOptions)), ArrayOptions()
            )
            _check_array_values(cls.__name__, field.name, value, options)
        try:
            die_if_unbearable(value, hint, conf=conf)
        except BeartypeException as err:
            detail = str(err).splitlines()[0]
            size = re.search(r"the size of dimension .*", detail)
            raise TypeError(
                f"{where} does not match its declared type. Expected type: {_hint_text(hint)}. "
                f"Actual value: {_describe(value)}." + (f" ({size.group(0)})" if size else "")
            ) from None
