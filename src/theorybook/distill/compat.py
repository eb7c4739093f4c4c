"""Keyword-only hyperparameters that older code may still pass by position.

Chapter 5's functions take their numeric hyperparameters (``lam``, ``alpha``, ``steps``, …) by
keyword, so that two adjacent floats cannot be swapped silently. Code written before that change
passed them by position; :func:`keyword_only_after` keeps such calls working for now, with a
``DeprecationWarning`` naming the keywords to use.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["keyword_only_after"]

F = TypeVar("F", bound=Callable[..., Any])


def keyword_only_after(n: int) -> Callable[[F], F]:
    """Decorate a function whose parameters after the first ``n`` are keyword-only.

    Extra positional arguments are mapped, in order, onto the keyword-only parameters (the order
    they had when they were positional), with a ``DeprecationWarning``; too many positional
    arguments, or a value given both ways, raise ``TypeError``.
    """

    def decorate(fn: F) -> F:
        params = inspect.signature(fn).parameters.values()
        names = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n:
                extra = args[n:]
                if len(extra) > len(names):
                    raise TypeError(
                        f"{fn.__name__}() takes {n} positional arguments and the keywords "
                        f"{names}, got {len(args)} positional arguments"
                    )
                for name, value in zip(names, extra):
                    if name in kwargs:
                        raise TypeError(
                            f"{fn.__name__}() got multiple values for argument {name!r}"
                        )
                    kwargs[name] = value
                warnings.warn(
                    f"{fn.__name__}(): pass {', '.join(names[: len(extra)])} by keyword "
                    f"(e.g. {names[0]}=...); positional use is deprecated",
                    DeprecationWarning,
                    stacklevel=2,
                )
                args = args[:n]
            return fn(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
