"""Input checks shared by every chapter: one place for "must be a positive int" and its kin.

Each checker takes the parameter's *name* (so the message names it) and the value, returns the
value converted to a plain Python or NumPy type, and raises

* ``TypeError`` when the value has the wrong type (a string for a number, a float for a count),
* ``ValueError`` when it has the right type but an impossible value (negative, NaN, wrong shape).

NumPy scalars are accepted wherever Python ones are (``np.int64(5)`` is a count, ``np.float32(0.1)``
a float); ``bool`` is never accepted as a number.

The checkers' own options (``low``, ``finite``, ``min_size``, …) are checked too, and an error in
one names the option. The checkers are not decorated with :func:`theorybook.boundary.checked`:
they run inside it (once per checked number) and in the package's inner loops, so each costs
microseconds, not the tens of microseconds of a checked call.

>>> from theorybook.validation import positive_int, real
>>> positive_int("epochs", 3)
3
>>> real("sigma", 0.5, low=0.0, low_open=True)
0.5

Used by every chapter's ``Config.validate`` and public functions (see *Contributing*).

Length: one concept, the checkers of single arguments; most of the lines are their documented
options and the checks of those options.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import numpy as np
from jaxtyping import Float
from jaxtyping import Real as RealDtype

if TYPE_CHECKING:  # torch is imported where it is used: the JAX chapters never load it
    import torch

# The ranges of the checkers' own options. Not theorybook.boundary's aliases: theorybook.declared
# checks every declared range with the checkers below, so importing it here would be an import
# cycle. An ``Annotated`` int or float without a range rule reads, for @checked and for the
# generic malformed-input test, as any int or any finite real.
IntBound = Annotated[int, "any int; None for no bound"] | None
"""An optional bound of an integer: any int, or ``None`` for no bound."""
RealBound = Annotated[float, "any finite real; None for no bound"] | None
"""An optional bound of a real number: any finite real, or ``None`` for no bound."""
Count = Annotated[int, "an int >= 0"]
"""A count that may be zero (``min_size``, ``min_len``, ``ndim``); checked in the body."""

__all__ = [
    "array",
    "callable_",
    "finite_tensor",
    "int_in_range",
    "int_sequence",
    "matches_module",
    "non_negative_int",
    "one_of",
    "positive_int",
    "positive_real",
    "probability",
    "real",
    "real_sequence",
    "same_length",
    "seed",
    "tensor",
]

T = TypeVar("T")

MAX_SEED = 2**32 - 1


def _type_name(value: object) -> str:
    return type(value).__name__


def _flag(where: str, name: str, value: object) -> bool:
    """An option that must be a bool (NumPy's included), as a Python bool."""
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{where}: {name} must be True or False, got {value!r} ({_type_name(value)})")


def _int_bound(where: str, name: str, value: object) -> int | None:
    """An optional integer bound (``low``, ``high``, ``min_size``) as a Python int or None."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
        raise TypeError(
            f"{where}: {name} must be an int or None, got {value!r} ({_type_name(value)})"
        )
    return int(value)


def _real_bound(where: str, name: str, value: object) -> float | None:
    """An optional real bound as a finite Python float or None."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise TypeError(
            f"{where}: {name} must be a real number or None, got {value!r} ({_type_name(value)})"
        )
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{where}: {name} must be finite (or None for no bound), got {out}")
    return out


def int_in_range(name: str, value: object, *, low: IntBound = None, high: IntBound = None) -> int:
    """``value`` as an ``int`` with ``low ≤ value ≤ high`` (either bound optional).

    Arguments:
        name: the parameter's name, for the message.
        value: the value to check.
        low: the smallest allowed value.
        high: the largest allowed value.

    Returns:
        ``value`` as a Python int.

    Raises:
        TypeError: unless ``value`` is an integer (Python or NumPy; not ``bool``).
        ValueError: if it lies outside the bounds.
    """
    if low is not None and type(low) is not int:
        low = _int_bound("int_in_range", "low", low)
    if high is not None and type(high) is not int:
        high = _int_bound("int_in_range", "high", high)
    if low is not None and high is not None and low > high:
        raise ValueError(f"int_in_range: low ({low}) must not exceed high ({high}) (for {name})")
    if type(value) is int:  # the common case, without the slower ABC test
        out = value
    elif isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({_type_name(value)})")
    else:
        out = int(value)
    if low is not None and out < low:
        raise ValueError(f"{name} must be >= {low}, got {out}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, got {out}")
    return out


def positive_int(name: str, value: object) -> int:
    """``value`` as an ``int ≥ 1`` (counts: epochs, widths, sample sizes)."""
    return int_in_range(name, value, low=1)


def non_negative_int(name: str, value: object) -> int:
    """``value`` as an ``int ≥ 0``."""
    return int_in_range(name, value, low=0)


def seed(name: str, value: object) -> int:
    """A random seed: an ``int`` in ``[0, 2**32 − 1]`` (what NumPy, torch and JAX all accept)."""
    return int_in_range(name, value, low=0, high=MAX_SEED)


def real(
    name: str,
    value: object,
    *,
    low: RealBound = None,
    high: RealBound = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a ``float`` in the interval given by ``low``/``high``.

    Arguments:
        name: the parameter's name, for the message.
        value: the value to check (a Python or NumPy real; not ``bool``).
        low: the lower end (inclusive unless ``low_open``).
        high: the upper end (inclusive unless ``high_open``).
        low_open: exclude ``low`` (``low=0, low_open=True`` means ``> 0``).
        high_open: exclude ``high``.
        finite: reject infinities (NaN is always rejected).

    Returns:
        ``value`` as a Python float.
    """
    if low is not None and (type(low) is not float or not math.isfinite(low)):
        low = _real_bound("real", "low", low)
    if high is not None and (type(high) is not float or not math.isfinite(high)):
        high = _real_bound("real", "high", high)
    if low_open is not False and low_open is not True:
        low_open = _flag("real", "low_open", low_open)
    if high_open is not False and high_open is not True:
        high_open = _flag("real", "high_open", high_open)
    if finite is not True and finite is not False:
        finite = _flag("real", "finite", finite)
    if type(value) is float:  # the common case, without the slower ABC test
        out = value
    elif isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({_type_name(value)})")
    else:
        out = float(value)
    if math.isnan(out) or (finite and math.isinf(out)):
        raise ValueError(f"{name} must be a finite number, got {out}")
    if low is not None and (out < low or (low_open and out == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {out}")
    if high is not None and (out > high or (high_open and out == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {out}")
    return out


def positive_real(name: str, value: object) -> float:
    """``value`` as a finite ``float > 0`` (step sizes, noise levels, learning rates)."""
    return real(name, value, low=0.0, low_open=True)


def probability(name: str, value: object) -> float:
    """``value`` as a ``float`` in ``[0, 1]``."""
    return real(name, value, low=0.0, high=1.0)


def one_of(name: str, value: T, choices: Iterable[T]) -> T:
    """``value`` itself when it is one of ``choices``.

    Arguments:
        name: the parameter's name, for the message.
        value: the value to check.
        choices: the allowed values.

    Returns:
        ``value``.

    Raises:
        ValueError: listing the choices.
        TypeError: if ``choices`` is not an iterable.
    """
    if isinstance(choices, str | bytes) or not isinstance(choices, Iterable):
        raise TypeError(
            f"one_of: choices must be a collection of the allowed values, got {_type_name(choices)}"
        )
    allowed = tuple(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def int_sequence(
    name: str,
    values: object,
    *,
    low: IntBound = None,
    min_len: Count = 1,
    unique: bool = False,
) -> tuple[int, ...]:
    """A sequence of ints as a tuple.

    Arguments:
        name: the parameter's name, for the message.
        values: the sequence.
        low: the smallest allowed entry.
        min_len: the fewest entries allowed.
        unique: reject repeated entries.

    Returns:
        The entries as a tuple of Python ints.
    """
    low = _int_bound("int_sequence", "low", low)
    min_len = int_in_range("int_sequence: min_len", min_len, low=0)
    unique = _flag("int_sequence", "unique", unique)
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of ints, got {_type_name(values)}")
    out = tuple(int_in_range(f"{name}[{i}]", v, low=low) for i, v in enumerate(values))
    if len(out) < min_len:
        raise ValueError(f"{name} must hold at least {min_len} value(s), got {len(out)}")
    if unique and len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat values, got {out}")
    return out


def real_sequence(
    name: str,
    values: object,
    *,
    low: RealBound = None,
    high: RealBound = None,
    low_open: bool = False,
    min_len: Count = 1,
) -> tuple[float, ...]:
    """A sequence of finite floats within the bounds, as a tuple.

    Arguments:
        name: the parameter's name, for the message.
        values: the sequence.
        low: the smallest allowed entry.
        high: the largest allowed entry.
        low_open: exclude ``low`` itself.
        min_len: the fewest entries allowed.

    Returns:
        The entries as a tuple of Python floats.
    """
    low = _real_bound("real_sequence", "low", low)
    high = _real_bound("real_sequence", "high", high)
    low_open = _flag("real_sequence", "low_open", low_open)
    min_len = int_in_range("real_sequence: min_len", min_len, low=0)
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of numbers, got {_type_name(values)}")
    out = tuple(
        real(f"{name}[{i}]", v, low=low, high=high, low_open=low_open) for i, v in enumerate(values)
    )
    if len(out) < min_len:
        raise ValueError(f"{name} must hold at least {min_len} value(s), got {len(out)}")
    return out


def callable_(name: str, value: T) -> T:
    """``value`` itself when it is callable; else ``TypeError``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_type_name(value)}")
    return value


def _shape_options(
    where: str, ndim: object, shape: object
) -> tuple[tuple[int, ...] | None, tuple[int | None, ...] | None]:
    """``ndim`` and ``shape`` of :func:`array`/:func:`tensor` as tuples, or an error naming them."""
    allowed: tuple[int, ...] | None = None
    if ndim is not None:
        if isinstance(ndim, Integral) and not isinstance(ndim, bool | np.bool_):
            allowed = (int(ndim),)
        elif isinstance(ndim, Sequence) and not isinstance(ndim, str | bytes):
            allowed = int_sequence(f"{where}: ndim", ndim, low=0)
        else:
            raise TypeError(
                f"{where}: ndim must be an int, a sequence of ints or None, got {ndim!r}"
            )
        if any(a < 0 for a in allowed):
            raise ValueError(f"{where}: ndim must be >= 0, got {ndim!r}")
    expected: tuple[int | None, ...] | None = None
    if shape is not None:
        if not isinstance(shape, Sequence) or isinstance(shape, str | bytes):
            raise TypeError(f"{where}: shape must be a sequence of ints or None, got {shape!r}")
        expected = tuple(
            None if e is None else int_in_range(f"{where}: shape[{i}]", e, low=0)
            for i, e in enumerate(shape)
        )
    return allowed, expected


def _check_shape(
    name: str,
    shape: tuple[int, ...],
    allowed: tuple[int, ...] | None,
    expected: tuple[int | None, ...] | None,
) -> None:
    if allowed is not None:
        if len(shape) not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {shape}")
    if expected is not None:
        if len(shape) != len(expected) or any(
            e is not None and e != s for e, s in zip(expected, shape, strict=False)
        ):
            want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
            raise ValueError(f"{name} must have shape {want}, got {shape}")


def array(
    name: str,
    value: object,
    *,
    ndim: Count | Sequence[Count] | None = None,
    shape: Sequence[Count | None] | None = None,
    min_size: Count = 1,
    finite: bool = True,
    dtype: Any = np.float64,
) -> np.ndarray:
    """``value`` as a NumPy array of ``dtype`` with the given dimensions, checked.

    Arguments:
        name: the parameter's name, for the message.
        value: an array or a (nested) list of numbers.
        ndim: allowed number(s) of dimensions.
        shape: the expected shape; ``None`` entries are free (``shape=(None, 2)``: any number of
            rows).
        min_size: the fewest elements allowed (default 1: empty arrays are rejected).
        finite: reject NaN and infinities (default).
        dtype: the dtype to convert to.

    Returns:
        The converted array.

    Raises:
        TypeError: if ``value`` is a torch tensor, a string, holds ``None``, or does not convert
            to a numeric array.
        ValueError: on a wrong shape, too few elements or non-finite entries.
    """
    allowed, expected = _shape_options("array", ndim, shape)
    min_size = int_in_range("array: min_size", min_size, low=0)
    finite = _flag("array", "finite", finite)
    try:
        target = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"array: dtype must be a NumPy dtype, got {dtype!r} ({err})") from None
    if (
        value is None
        or isinstance(value, str | bytes)
        or type(value).__module__.startswith("torch")
    ):
        raise TypeError(
            f"{name} must be a NumPy array or a list of numbers, got {_type_name(value)}"
        )
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be an array of numbers, got {_type_name(value)} ({err})"
        ) from None
    if raw.dtype == object and any(x is None for x in raw.flat):
        raise TypeError(f"{name} must be an array of numbers; it holds None")
    if np.iscomplexobj(raw) and not np.issubdtype(target, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got complex values (dtype {raw.dtype})")
    try:
        out = np.asarray(value, dtype=target)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be an array of numbers, got {_type_name(value)} ({err})"
        ) from None
    _check_shape(name, out.shape, allowed, expected)
    if out.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} element(s), got shape {out.shape}")
    if finite and np.issubdtype(out.dtype, np.number) and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold only finite values; it contains NaN or inf")
    return out


def tensor(
    name: str,
    value: object,
    *,
    ndim: Count | Sequence[Count] | None = None,
    shape: Sequence[Count | None] | None = None,
    floating: bool = True,
    finite: bool = True,
    min_size: Count = 1,
) -> torch.Tensor:
    """``value`` itself, checked to be a torch tensor of the given shape.

    Raises ``TypeError`` for NumPy arrays or lists (convert with ``torch.as_tensor`` first, so the
    dtype and device are the caller's choice) and ``ValueError`` for a wrong shape or NaN/inf.

    Arguments:
        name: the parameter's name, for the message.
        value: the tensor.
        ndim: allowed number(s) of dimensions.
        shape: the expected shape; ``None`` entries are free.
        floating: require a floating-point dtype (default).
        finite: reject NaN and infinities (default).
        min_size: the fewest elements allowed.

    Returns:
        ``value``.
    """
    import torch

    allowed, expected = _shape_options("tensor", ndim, shape)
    floating = _flag("tensor", "floating", floating)
    finite = _flag("tensor", "finite", finite)
    min_size = int_in_range("tensor: min_size", min_size, low=0)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_type_name(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    _check_shape(name, tuple(value.shape), allowed, expected)
    if value.numel() < min_size:
        raise ValueError(
            f"{name} must hold at least {min_size} element(s), got shape {tuple(value.shape)}"
        )
    if finite:
        finite_tensor(name, value)
    return value


def finite_tensor(name: str, value: RealDtype[torch.Tensor, "*shape"]) -> torch.Tensor:
    """``value`` itself, or ``ValueError`` if it holds NaN or inf.

    ``value`` is a real tensor (floating, integer or bool; an empty one is finite). A complex
    tensor raises ``TypeError``: the book's tensors are real.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_type_name(value)}")
    if value.is_complex():
        raise TypeError(f"{name} must be a real tensor, got dtype {value.dtype}")
    if value.is_floating_point() and not bool(torch.isfinite(value.detach()).all()):
        raise ValueError(f"{name} must hold only finite values; it contains NaN or inf")
    return value


def same_length(**named: Any) -> int:
    """The common first dimension of the named arrays/tensors, or ``ValueError`` naming them all.

    Raises ``TypeError`` naming an argument that has no length.
    """
    for k, v in named.items():
        if not hasattr(v, "__len__") or getattr(v, "ndim", 1) == 0:
            raise TypeError(f"{k} must be an array, tensor or sequence, got {_type_name(v)}")
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(f"these must have the same length, got {listed}")
    return next(iter(lengths.values())) if lengths else 0


def matches_module(
    name: str,
    value: Float[torch.Tensor, "*shape"],
    module: torch.nn.Module,
) -> torch.Tensor:
    """``value`` itself, or ``TypeError`` if its dtype or device differs from ``module``'s.

    ``value`` is a floating tensor; it may be empty or hold NaN: only its dtype and device are
    checked here.

    A float64 batch given to a float32 network (or a CPU tensor to a CUDA one) otherwise fails
    deep inside torch with a message about ``mat1`` and ``mat2``.

    Arguments:
        name: the parameter's name, for the message.
        value: the input tensor.
        module: the network it is fed to (its first parameter or buffer sets the dtype).

    Returns:
        ``value``.

    Raises:
        TypeError: if ``value`` is not a tensor, ``module`` not a ``torch.nn.Module``, or their
            dtypes or devices differ. (Only dtype and device: values and shapes are the caller's
            to check.)
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_type_name(value)}")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"matches_module: module must be a torch.nn.Module, got {_type_name(module)}"
        )
    first: torch.Tensor | None = next(iter(module.parameters()), None)
    if first is None:
        first = next(iter(module.buffers()), None)
    if first is None:
        return value
    if value.dtype != first.dtype:
        raise TypeError(
            f"{name} has dtype {value.dtype} but the model's parameters are {first.dtype}; "
            f"convert one of them (e.g. {name}.to({first.dtype}))"
        )
    if value.device != first.device:
        raise TypeError(
            f"{name} is on {value.device} but the model is on {first.device}; move one of them"
        )
    return value
