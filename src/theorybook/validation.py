"""Input checks shared by every chapter: one place for "must be a positive int" and its kin.

Each checker takes the parameter's *name* (so the message names it) and the value, returns the
value converted to a plain Python or NumPy type, and raises

* ``TypeError`` when the value has the wrong type (a string for a number, a float for a count),
* ``ValueError`` when it has the right type but an impossible value (negative, NaN, wrong shape).

NumPy scalars are accepted wherever Python ones are (``np.int64(5)`` is a count, ``np.float32(0.1)``
a float); ``bool`` is never accepted as a number.

>>> from theorybook.validation import positive_int, real
>>> positive_int("epochs", 3)
3
>>> real("sigma", 0.5, low=0.0, low_open=True)
0.5

Used by every chapter's ``Config.validate`` and public functions (see *Contributing*).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
import torch

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


def int_in_range(
    name: str, value: object, *, low: int | None = None, high: int | None = None
) -> int:
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
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({_type_name(value)})")
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
    low: float | None = None,
    high: float | None = None,
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
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({_type_name(value)})")
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
    """
    allowed = tuple(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def int_sequence(
    name: str, values: object, *, low: int | None = None, min_len: int = 1, unique: bool = False
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
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    min_len: int = 1,
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


def _check_shape(
    name: str,
    shape: tuple[int, ...],
    ndim: int | Sequence[int] | None,
    expected: Sequence[int | None] | None,
) -> None:
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
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
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    min_size: int = 1,
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
        TypeError: if ``value`` is a torch tensor, a string, or does not convert to a numeric
            array.
        ValueError: on a wrong shape, too few elements or non-finite entries.
    """
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
    if np.iscomplexobj(raw) and not np.issubdtype(np.dtype(dtype), np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got complex values (dtype {raw.dtype})")
    try:
        out = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be an array of numbers, got {_type_name(value)} ({err})"
        ) from None
    _check_shape(name, out.shape, ndim, shape)
    if out.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} element(s), got shape {out.shape}")
    if finite and np.issubdtype(out.dtype, np.number) and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold only finite values; it contains NaN or inf")
    return out


def tensor(
    name: str,
    value: object,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    floating: bool = True,
    finite: bool = True,
    min_size: int = 1,
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
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_type_name(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    _check_shape(name, tuple(value.shape), ndim, shape)
    if value.numel() < min_size:
        raise ValueError(
            f"{name} must hold at least {min_size} element(s), got shape {tuple(value.shape)}"
        )
    if finite:
        finite_tensor(name, value)
    return value


def finite_tensor(name: str, value: torch.Tensor) -> torch.Tensor:
    """``value`` itself, or ``ValueError`` if it holds NaN or inf."""
    if value.is_floating_point() and not bool(torch.isfinite(value.detach()).all()):
        raise ValueError(f"{name} must hold only finite values; it contains NaN or inf")
    return value


def same_length(**named: Any) -> int:
    """The common first dimension of the named arrays/tensors, or ``ValueError`` naming them all."""
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(f"these must have the same length, got {listed}")
    return next(iter(lengths.values())) if lengths else 0


def matches_module(name: str, value: torch.Tensor, module: torch.nn.Module) -> torch.Tensor:
    """``value`` itself, or ``TypeError`` if its dtype or device differs from ``module``'s.

    A float64 batch given to a float32 network (or a CPU tensor to a CUDA one) otherwise fails
    deep inside torch with a message about ``mat1`` and ``mat2``.

    Arguments:
        name: the parameter's name, for the message.
        value: the input tensor.
        module: the network it is fed to (its first parameter or buffer sets the dtype).

    Returns:
        ``value``.
    """
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
