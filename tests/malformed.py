"""The engine of the generic malformed-input test (``test_malformed_inputs.py``).

For every public callable of a subpackage (the functions and constructible classes in its
``__all__``), the test needs one *valid* call. It comes from the subpackage's table in
``boundary_examples/`` or, failing that, is synthesised from the signature: arrays from their
jaxtyping shape and dtype, numbers from their declared range, ``Literal``s from their first choice.

From the valid call, :func:`mutations` derives malformed calls, one parameter at a time, from what
that parameter's annotation declares (and what its valid value is): NaN or inf inside an array,
complex or integer arrays for floating ones, an empty array, a wrong rank, a size that disagrees
with another argument sharing a dimension name, a value just outside the declared range, a wrong
Python type, a string outside a ``Literal``. Nobody lists these calls: a new public function gets
them from its signature.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import importlib
import inspect
import math
import re
import signal
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from theorybook.boundary import DeclaredParameter, declared_parameters, is_record

SUBPACKAGES = (
    "theorybook.rae",
    "theorybook.diffusion",
    "theorybook.lpn",
    "theorybook.ntk",
    "theorybook.distill",
    "theorybook.arnet",
    "theorybook.nde",
    "theorybook.boundary",
    "theorybook.chapters",
    "theorybook.claims",
    "theorybook.claims_comparison",
    "theorybook.data",
    "theorybook.plotting",
    "theorybook.records",
    "theorybook.reporting",
    "theorybook.runtime",
    "theorybook.scales",
    "theorybook.sweeps",
    "theorybook.sweep_measures",
    "theorybook.sweep_records",
    "theorybook.sweep_studies",
    "theorybook.timing",
    "theorybook.training",
    "theorybook.validation",
)

CALL_TIMEOUT_S = 60
"""A call that runs longer than this is reported as hanging."""


@dataclass
class Call:
    """One call's arguments."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def call(*args: Any, **kwargs: Any) -> Call:
    """``call(x, sigma=0.1)``: the arguments of one valid call, for the examples tables."""
    return Call(args, kwargs)


def public_callables(module_name: str) -> dict[str, Any]:
    """The functions and constructible classes of a subpackage's ``__all__``.

    Left out: constants, exceptions, protocols, enums and result records (classes marked with
    :func:`theorybook.boundary.record`: they are built by the package's own functions).
    """
    module = importlib.import_module(module_name)
    out: dict[str, Any] = {}
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            out[name] = obj
        elif inspect.isclass(obj):
            if (
                issubclass(obj, BaseException | enum.Enum)
                or getattr(obj, "_is_protocol", False)
                or is_record(obj)
            ):
                continue
            out[name] = obj
    return out


# --- valid calls from signatures -----------------------------------------------------------------

DIM_SIZE = 4


def _dims(hint: Any) -> list[Any]:
    return list(getattr(hint, "dims", ()))


def _has_variadic(hint: Any) -> bool:
    return getattr(hint, "index_variadic", None) is not None or any(
        "Variadic" in type(d).__name__ or "Anonymous" in type(d).__name__ for d in _dims(hint)
    )


def _dim_name(dim: Any) -> str | None:
    name = getattr(dim, "name", None)
    return name if isinstance(name, str) and "Named" in type(dim).__name__ else None


def _synth_array(hint: Any) -> Any:
    """An array matching a jaxtyping annotation: standard normal values, named dims of size 4."""
    shape: list[int] = []
    for dim in _dims(hint):
        size = getattr(dim, "size", None)
        if isinstance(size, int):
            shape.append(size)
        elif _dim_name(dim) is not None:
            shape.append(DIM_SIZE)
        else:
            return None
    dtypes = set(getattr(hint, "dtypes", ()))
    rng = np.random.default_rng(0)
    array_type = hint.array_type
    if "float32" in dtypes:
        values: Any = rng.standard_normal(shape)
        dtype = "float32" if array_type is torch.Tensor or "float64" not in dtypes else "float64"
    elif "int64" in dtypes:
        values, dtype = rng.integers(0, 3, size=shape), "int64"
    elif "bool" in dtypes:
        values, dtype = rng.random(shape) < 0.5, "bool"
    else:
        return None
    if array_type is torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=dtype))
    if array_type is np.ndarray:
        return np.asarray(values, dtype=dtype)
    if getattr(array_type, "__module__", "").startswith("jax"):
        import jax.numpy as jnp

        return jnp.asarray(np.asarray(values, dtype=dtype))
    return None


_MISSING = object()


def _synth_value(p: DeclaredParameter) -> Any:
    rule = p.number
    if rule is not None:
        if hasattr(rule, "low_open"):  # an Interval
            low = rule.low if rule.low is not None else None
            high = rule.high if rule.high is not None else None
            if low is not None and high is not None:
                return (low + high) / 2
            if low is not None:
                return low + 0.5
            if high is not None:
                return high - 0.5
            return 0.5
        low_i = rule.low if rule.low is not None else 2
        value = max(low_i, 2)
        return min(value, rule.high) if rule.high is not None else value
    if p.array is not None:
        out = _synth_array(p.array)
        return _MISSING if out is None else out
    hint = p.hint
    if hint is bool:
        return True
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)[0]
    return _MISSING


def synthesize(fn: Any) -> Call | None:
    """A call of ``fn`` built from its signature, or None if a required parameter is opaque."""
    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    for p in declared_parameters(fn).values():
        if p.default is not inspect.Parameter.empty:
            continue
        value = _synth_value(p)
        if value is _MISSING:
            return None
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
    return Call(tuple(args), kwargs)


# --- malformed calls -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One malformed value for one parameter.

    ``strict``: the call must raise ``ValueError``/``TypeError`` naming the parameter. Otherwise
    (another floating dtype) a clear error naming the parameter *or* a normal return both pass.
    ``partners``: for a size mismatched with other arguments sharing a dimension name, those
    arguments; an error naming one of them (the one whose size disagrees with the first seen)
    also passes.
    """

    parameter: str
    label: str
    value: Any
    strict: bool = True
    partners: tuple[str, ...] = ()


def _is_array(value: Any) -> bool:
    if isinstance(value, np.ndarray | torch.Tensor):
        return True
    return type(value).__module__.startswith("jax") and hasattr(value, "shape")


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "c" if value.is_complex() else "f" if value.is_floating_point() else "i"
    return np.dtype(value.dtype).kind


def _with_element(value: Any, element: float) -> Any:
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        out.view(-1)[-1] = element
        return out
    if isinstance(value, np.ndarray):
        out = value.copy()
        out.reshape(-1)[-1] = element
        return out
    return value.reshape(-1).at[-1].set(element).reshape(value.shape)


def _astype(value: Any, kind: str) -> Any:
    if isinstance(value, torch.Tensor):
        dtype = {"c": torch.complex64, "i": torch.int64, "h": torch.float16}[kind]
        return value.detach().to(dtype)
    np_dtype = {"c": np.complex128, "i": np.int64, "h": np.float16}[kind]
    if isinstance(value, np.ndarray):
        return value.astype(np_dtype)
    return value.astype(np_dtype)


def _take(value: Any, axis: int, size: int) -> Any:
    index = [slice(None)] * value.ndim
    index[axis] = slice(0, size)
    return value[tuple(index)]


def _declares_float(hint: Any) -> bool:
    dtypes = set(getattr(hint, "dtypes", ()))
    return bool(dtypes) and "float32" in dtypes and "int64" not in dtypes


def _shared_dims(name: str, params: dict[str, DeclaredParameter], bound: dict[str, Any]) -> set:
    """Dimension names of ``name`` that another array argument of this call also declares."""
    others: set[str] = set()
    for other, p in params.items():
        if other != name and p.array is not None and _is_array(bound.get(other)):
            others |= {n for n in map(_dim_name, _dims(p.array)) if n is not None}
    return others


def _dim_partners(
    name: str, dim_name: str, params: dict[str, DeclaredParameter], bound: dict
) -> tuple[str, ...]:
    """The other array arguments of this call that declare the dimension ``dim_name``."""
    return tuple(
        other
        for other, p in params.items()
        if other != name
        and p.array is not None
        and _is_array(bound.get(other))
        and dim_name in map(_dim_name, _dims(p.array))
    )


def _accepts_str(hint: Any) -> bool:
    if hint is Any or hint is object or hint is str:
        return True
    args = typing.get_args(hint)
    if typing.get_origin(hint) is Literal:
        return False
    return any(_accepts_str(a) for a in args) if args else False


def _array_mutations(
    name: str, p: DeclaredParameter, value: Any, params: dict[str, DeclaredParameter], bound: dict
) -> Iterator[Mutation]:
    kind = _kind(value)
    hint = p.array
    if kind == "f":
        if not p.options.may_be_nonfinite:
            yield Mutation(name, "NaN inside", _with_element(value, math.nan))
            yield Mutation(name, "inf inside", _with_element(value, math.inf))
        yield Mutation(name, "complex", _astype(value, "c"))
        if hint is not None and _declares_float(hint):
            yield Mutation(name, "integer", _astype(value, "i"))
        if isinstance(value, torch.Tensor):
            yield Mutation(name, "float16", _astype(value, "h"), strict=False)
            other = torch.float64 if value.dtype == torch.float32 else torch.float32
            yield Mutation(name, f"{other}", value.detach().to(other), strict=False)
    if value.ndim >= 1 and value.shape[0] > 0 and not p.options.may_be_empty:
        yield Mutation(name, "empty", _take(value, 0, 0))
    if hint is not None and not _has_variadic(hint):
        yield Mutation(name, "one more axis", value[None])
        if value.ndim >= 1:
            yield Mutation(name, "one axis fewer", value[0])
        shared = _shared_dims(name, params, bound)
        for axis, dim in enumerate(_dims(hint)):
            dim_name = _dim_name(dim)
            if dim_name in shared and axis < value.ndim and value.shape[axis] >= 2:
                yield Mutation(
                    name,
                    f"size of {dim_name!r} mismatched",
                    _take(value, axis, value.shape[axis] - 1),
                    partners=_dim_partners(name, dim_name, params, bound),
                )
    yield Mutation(name, "a string", "not an array")


def mutations(fn: Any, bound: dict[str, Any]) -> Iterator[Mutation]:
    """The malformed values of each parameter of ``fn`` given one valid call's arguments."""
    params = declared_parameters(fn)
    for name, p in params.items():
        if name.startswith("_"):
            continue
        value = bound.get(name, p.default)
        if value is inspect.Parameter.empty:
            continue
        if p.number is not None:
            for bad in p.number.outside():
                if bad is True and isinstance(value, bool):
                    continue
                yield Mutation(name, f"{bad!r}", bad)
        elif _is_array(value):
            yield from _array_mutations(name, p, value, params, bound)
        elif typing.get_origin(p.hint) is Literal:
            yield Mutation(name, "a string outside the Literal", "no-such-choice")
        elif p.hint is bool:
            yield Mutation(name, "a string for a bool", "yes")
        elif inspect.isclass(p.hint) and p.hint not in (object, str) and not _accepts_str(p.hint):
            yield Mutation(name, "a string for an object", "not the right object")


# --- running calls -------------------------------------------------------------------------------


class Hung(Exception):
    """A call ran past :data:`CALL_TIMEOUT_S`."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise :class:`Hung` in the main thread after ``seconds``."""

    def handler(signum: int, frame: Any) -> None:
        raise Hung(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def bind(fn: Any, example: Call) -> inspect.BoundArguments:
    """``example``'s arguments bound to ``fn``'s (or its constructor's) signature."""
    target = fn.__init__ if inspect.isclass(fn) else fn
    signature = inspect.signature(inspect.unwrap(target))
    if inspect.isclass(fn):
        params = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=params)
    return signature.bind(*example.args, **example.kwargs)


def names_parameter(message: str, name: str) -> bool:
    """Whether an error message names the parameter (as a word)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def outcome(fn: Any, bound: inspect.BoundArguments, mutation: Mutation) -> str | None:
    """None if the malformed call was handled as it should; else what went wrong."""
    arguments = dict(bound.arguments)
    arguments[mutation.parameter] = mutation.value
    # BoundArguments places each argument (positional-only ones, *args, **kwargs) where it goes
    mutated = inspect.BoundArguments(bound.signature, arguments)  # type: ignore[arg-type]
    try:
        with time_limit(CALL_TIMEOUT_S):
            fn(*mutated.args, **mutated.kwargs)
    except Hung:
        return "hung"
    except (ValueError, TypeError) as err:
        if any(names_parameter(str(err), p) for p in (mutation.parameter, *mutation.partners)):
            return None
        return f"{type(err).__name__} not naming the argument: {str(err)[:160]!r}"
    except Exception as err:
        return f"{type(err).__name__} from inside: {str(err)[:160]!r}"
    return "returned silently" if mutation.strict else None


def _positional_only(fn: Any) -> list[str]:
    target = fn.__init__ if inspect.isclass(fn) else fn
    return [
        name
        for name, p in inspect.signature(inspect.unwrap(target)).parameters.items()
        if p.kind is p.POSITIONAL_ONLY and name != "self"
    ]


def dataclass_fields(obj: Any) -> list[str]:
    """The field names of a dataclass (for messages)."""
    return [f.name for f in dataclasses.fields(obj)]
