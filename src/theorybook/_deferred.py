""":func:`theorybook.boundary.checked`, applied at the first call instead of at import.

``checked`` builds its jaxtyping/beartype wrapper when it decorates, and jaxtyping's first
``jaxtyped(...)`` imports JAX (to register its traceback filter) whenever JAX is installed. A
module with one ``@checked`` function therefore imports JAX at import time (about a second),
which the shared modules promise not to do (``import theorybook.runtime, theorybook.claims``
loads neither torch nor JAX; ``tests/test_runtime.py``).

This ``checked`` has the same signature and the same checks; it only waits for the first call
(of the function, or of the class's constructor) to build them. Once ``boundary.checked`` builds
its wrapper lazily itself, the shared modules import it from there again and this module goes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload

from theorybook import boundary

F = TypeVar("F", bound=Callable[..., Any])

__all__: list[str] = []


def _deferred(target: Any, finite_result: bool) -> Any:
    if isinstance(target, type):
        cls = target
        original = cls.__dict__.get("__init__", cls.__init__)  # type: ignore[misc]

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if cls.__dict__.get("__init__") is __init__:  # the first construction
                cls.__init__ = original  # type: ignore[misc]
                boundary.checked(finite_result=finite_result)(cls)
            cls.__dict__["__init__"](self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[misc]
        return cls

    wrapped: Callable[..., Any] | None = None

    @functools.wraps(target)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal wrapped
        if wrapped is None:
            wrapped = boundary.checked(finite_result=finite_result)(target)
        return wrapped(*args, **kwargs)

    return wrapper


@overload
def checked(fn: F, /) -> F: ...
@overload
def checked(*, finite_result: bool = True) -> Callable[[F], F]: ...
def checked(fn: Any = None, /, *, finite_result: bool = True) -> Any:
    """:func:`theorybook.boundary.checked`, built at the first call (see the module docstring)."""
    if fn is None:
        return lambda target: _deferred(target, finite_result)
    return _deferred(fn, finite_result)
