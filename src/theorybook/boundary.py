"""Checked public boundaries: array shapes and dtypes declared in annotations, checked at call time.

A public function declares its array arguments with jaxtyping annotations and is decorated with
:func:`checked`::

    from jaxtyping import Float
    from torch import Tensor

    @checked
    def denoise(images: Float[Tensor, "batch 1 h w"], sigma: float) -> Float[Tensor, "batch 1 h w"]:
        ...

A call with a wrong rank, a mismatched size between two arguments that share a dimension name,
an integer or complex array where a float one is declared, a NumPy array where a tensor is
declared, or a wrong Python type then fails *before the body runs* with a ``TypeError`` that names
the function, the parameter, what was expected and what came. The checks are those of jaxtyping,
run by beartype, two maintained libraries; this module only shortens their message.

What annotations cannot say (finite values, ranges, positive definiteness, symmetry) stays with
:mod:`theorybook.validation`, called at the top of the same function. Only public entry points are
decorated: the inner loops they call pay nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["checked"]

F = TypeVar("F", bound=Callable[..., Any])


def _summary(err: Exception, name: str) -> str:
    """The lines of a jaxtyping/beartype message that a reader needs: parameter, expected, actual."""
    text = str(err)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    param = next((ln for ln in lines if "typechecking parameter" in ln), "")
    expected = next((ln for ln in lines if ln.startswith("Expected type")), "")
    actual = next((ln for ln in lines if ln.startswith("Actual value")), "")
    if "return value" in text and not param:
        return f"{name} returned a value of the wrong type or shape: {text.splitlines()[0]}"
    if param:
        arg = param.split("parameter", 1)[1].strip(" .")
        reason = " ".join(x for x in (expected, actual) if x)
        reason = re.sub(r"<class '(.*)'>", r"\1", reason)
        return f"{name}: argument {arg} does not match its declared type. {reason}".strip()
    return f"{name}: {lines[0] if lines else type(err).__name__}"


def checked(fn: F) -> F:
    """Check ``fn``'s annotated arguments (shapes, dtypes, types) on every call.

    Arguments:
        fn: a public function whose parameters carry type annotations (jaxtyping ones for
            arrays). Annotations must be resolvable at call time: import the annotated types at
            module level, not only under ``TYPE_CHECKING``.

    Returns:
        The wrapped function, with ``fn``'s signature and docstring. A mismatched argument raises
        ``TypeError`` naming it.
    """
    from beartype import beartype
    from jaxtyping import TypeCheckError, jaxtyped

    inner = jaxtyped(typechecker=beartype)(fn)
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", "function"))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        except TypeCheckError as err:
            raise TypeError(_summary(err, name)) from None

    return cast(F, wrapper)
