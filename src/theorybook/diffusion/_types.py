"""Array dtypes and tuple checks shared by the chapter's result records.

:class:`Float3264` is a jaxtyping dtype of single or double precision only (float16 or bfloat16
results make no sense here). :func:`check_tuples` does for a record's ``tuple[X, ...]`` fields what
jaxtyping's shared dimension names do for its arrays: each element within its declared range (NaN
passes: a value not measured) and the tuples that run over one grid of the same length.
"""

from __future__ import annotations

import math
import typing
from typing import TYPE_CHECKING, Annotated, Any

from jaxtyping import AbstractDtype

from theorybook.declared import Interval, IntRange, metadata

__all__ = ["Float3264", "check_tuples"]


if TYPE_CHECKING:  # for type checkers, Float3264[Tensor, ...] is a Tensor, as Float[...] is
    from jaxtyping import Float as Float3264
else:

    class Float3264(AbstractDtype):
        """float32 or float64."""

        dtypes = ("float32", "float64")


_RULES: dict[type, dict[str, IntRange | Interval]] = {}


def _element_rules(cls: type) -> dict[str, IntRange | Interval]:
    """field name → the declared range of the elements of a ``tuple[Annotated[...], ...]``."""
    if cls in _RULES:
        return _RULES[cls]
    hints = typing.get_type_hints(cls, include_extras=True)
    out: dict[str, IntRange | Interval] = {}
    for name, hint in hints.items():
        args = typing.get_args(hint)
        if typing.get_origin(hint) is not tuple or len(args) != 2 or args[1] is not Ellipsis:
            continue
        if typing.get_origin(args[0]) is not Annotated:
            continue
        rule = next((m for m in metadata(args[0]) if isinstance(m, IntRange | Interval)), None)
        if rule is not None:
            out[name] = rule
    _RULES[cls] = out
    return out


def check_tuples(obj: Any, *same_length: tuple[str, ...]) -> None:
    """``ValueError`` naming ``Class.field[i]`` for an element of a tuple field outside its
    declared range, or naming the fields of a group in ``same_length`` whose lengths differ.
    Call it from a record's ``__post_init__``."""
    cls = type(obj)
    for name, rule in _element_rules(cls).items():
        value = getattr(obj, name)
        if not isinstance(value, tuple):
            continue  # the record's own check names the wrong type
        for i, x in enumerate(value):
            if isinstance(x, float) and math.isnan(x):
                continue
            rule.check(f"{cls.__name__}.{name}[{i}]", x)
    for group in same_length:
        lengths = {name: len(getattr(obj, name)) for name in group}
        if len(set(lengths.values())) > 1:
            found = ", ".join(f"{name} has {n}" for name, n in lengths.items())
            raise ValueError(f"{cls.__name__}: {', '.join(group)} must have one length; {found}")
