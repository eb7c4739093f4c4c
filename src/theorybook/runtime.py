"""Where and how a run computes: the torch device, the thread policy, seeds and JAX settings.

Heavy libraries (torch, jax) are imported lazily, inside the functions that need them, so that
``import theorybook.runtime`` stays cheap. The scale switch lives in :mod:`theorybook.scales`,
timing in :mod:`theorybook.timing`, the run card and progress bars in
:mod:`theorybook.reporting`, the training loop in :mod:`theorybook.training`.

The functions check their arguments with :func:`~theorybook.boundary.checked` (built at their
first call, so that importing this module imports neither torch nor JAX).
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Iterator
from contextlib import _GeneratorContextManager, contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from theorybook.boundary import PositiveInt, Seed, checked

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    import torch
else:

    class _OnFirstUse(ModuleType):
        """A module imported when one of its attributes is first read.

        The annotations (``-> torch.device``) are read at run time by
        :func:`~theorybook.boundary.checked`; this name resolves them without importing torch
        when this module is imported.
        """

        def __getattr__(self, attribute: str) -> Any:
            return getattr(importlib.import_module(self.__name__), attribute)

    torch = _OnFirstUse("torch")

__all__ = [
    "DEVICE_ENV_VAR",
    "MALLOC_ENV",
    "THREADS_ENV_VAR",
    "compute_threads",
    "device",
    "enable_jax_x64",
    "jax_key",
    "malloc_policy",
    "use_book_malloc",
    "seed_everything",
    "torch_threads",
]

DEVICE_ENV_VAR = "THEORYBOOK_DEVICE"
THREADS_ENV_VAR = "THEORYBOOK_THREADS"

MALLOC_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
}
"""The glibc ``malloc`` settings the book's chapters and tests run under: ``make book`` and
``make test`` export them, and the scripts that start chapters apply them
(:func:`use_book_malloc`).

A training step on a CPU allocates and frees the same buffers, from a few hundred kilobytes to a
few megabytes, every step. Under glibc's defaults those buffers are often fresh ``mmap`` pages,
or heap that was handed back to the system at the end of the previous step, so each step
faults its memory in again (the kernel zeroes every page). With these settings blocks up to
32 MiB come from the heap and up to 1 GiB of freed heap is kept for the next step; a process then
keeps its peak memory. Other C libraries (macOS, musl) ignore them. They change where buffers live, not what is
computed. The Reproducing page gives the measured effect."""


@checked
def device(prefer: str | None = None) -> torch.device:
    """The torch device to compute on: CUDA when available, else CPU.

    ``prefer="cpu"`` forces the CPU; ``THEORYBOOK_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) overrides
    the choice for a whole run. Never hard-code ``cuda:0`` in a chapter: call this.

    Raises:
        ValueError: naming ``prefer`` (or ``THEORYBOOK_DEVICE``, whichever gave the name) if it
            is not a torch device, or asks for CUDA where there is none.
    """
    import torch

    source = "prefer" if prefer is not None else DEVICE_ENV_VAR
    choice = prefer if prefer is not None else os.environ.get(DEVICE_ENV_VAR)
    if choice and choice.strip():
        try:
            dev = torch.device(choice.strip())
        except RuntimeError:
            raise ValueError(
                f"{source}={choice!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:N'"
            ) from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{source}={choice!r} asks for CUDA, which is not available here")
        if dev.type not in {"cpu", "cuda"}:
            raise ValueError(
                f"{source}={choice!r}: theorybook runs on 'cpu' or 'cuda' devices only"
            )
        return dev
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


_MALLOPT_PARAMS = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}
"""glibc's ``mallopt`` parameter numbers (``M_TRIM_THRESHOLD``, ``M_MMAP_THRESHOLD``)."""


@checked
def use_book_malloc() -> bool:
    """Apply :data:`MALLOC_ENV` to this process and to the processes it starts.

    The variables are read when a process starts, so for the running process (a notebook
    kernel, a script) the same parameters are set through glibc's ``mallopt``; they are also
    put in ``os.environ`` (where not set already), which child processes, such as notebook
    kernels, inherit. Returns True if ``mallopt`` accepted them, False where the C library has
    no ``mallopt`` (not glibc: macOS, musl), which changes nothing.
    """
    import ctypes

    values = {}
    for name, default in MALLOC_ENV.items():
        raw = os.environ.setdefault(name, default)
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = -1
        if not 0 <= values[name] < 2**31:
            raise ValueError(f"{name} must be a whole number of bytes below 2**31, got {raw!r}")
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(_MALLOPT_PARAMS[name], value) == 1 for name, value in values.items())


def _is_glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError, AttributeError):  # not a confstr name here (macOS, musl)
        return False


@checked
def malloc_policy() -> str:
    """Whether this process runs under the book's :data:`MALLOC_ENV`: ``"book settings"`` when
    every variable has the book's value, ``"allocator defaults"`` when none is set, otherwise the
    variables as set (``"MALLOC_TRIM_THRESHOLD_=…"``); ``"not glibc (no effect)"`` where the C
    library is not glibc. The chapters' run cards show it."""
    if not _is_glibc():
        return "not glibc (no effect)"
    set_here = {name: os.environ[name] for name in MALLOC_ENV if name in os.environ}
    if set_here == MALLOC_ENV:
        return "book settings"
    if not set_here:
        return "allocator defaults"
    return ", ".join(f"{name}={value}" for name, value in sorted(set_here.items()))


@checked
def compute_threads() -> int | None:
    """The book's thread policy for small CPU models: the number of torch threads to use.

    The book's models are small: on a CPU they train as fast on one thread as on several (and
    several times faster when other processes share the cores, as in ``make test``'s parallel
    runs), and one thread makes results independent of the core count. Returns
    ``THEORYBOOK_THREADS`` when set, otherwise 1; returns ``None`` (leave torch's choice alone)
    on a GPU run, where the thread count does not matter.
    """
    raw = os.environ.get(THREADS_ENV_VAR, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"{THREADS_ENV_VAR} must be a positive int, got {raw!r}") from None
        if n < 1:
            raise ValueError(f"{THREADS_ENV_VAR} must be a positive int, got {raw!r}")
        return n
    if device().type == "cuda":
        return None
    return 1


@checked
def torch_threads(
    n: PositiveInt | None | Literal["policy"] = "policy",
) -> _GeneratorContextManager[None]:
    """Run the block with ``torch.set_num_threads(n)`` and restore the previous count afterwards.

    The default ``"policy"`` uses :func:`compute_threads` (read when the block starts); ``None``
    leaves the count unchanged. A notebook that changes the global count must not leak it into
    later cells, so every experiment runs inside this context (it also works as a decorator:
    ``@torch_threads()``).

    Raises:
        TypeError, ValueError: naming ``n`` when the context is made (not when it is entered),
            unless it is a positive int, ``None`` or ``"policy"``.
    """
    if n is not None and n != "policy":
        from theorybook.validation import positive_int

        n = positive_int("torch_threads: n", n)
    return _threads(n)


@contextmanager
def _threads(n: int | None | Literal["policy"]) -> Iterator[None]:
    import torch

    if n == "policy":
        n = compute_threads()
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@checked
def seed_everything(seed: Seed) -> int:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Returns the seed itself (a Python int, also for a NumPy integer), which
    ``jax.random.PRNGKey`` accepts (see :func:`jax_key`), so a JAX experiment starts from
    ``key = jax_key(seed_everything(0))``. New NumPy code should still take an explicit
    ``np.random.default_rng(seed)``.
    """
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return seed
    torch.manual_seed(seed)  # seeds every CUDA device too
    return seed


@checked
def jax_key(seed: Seed) -> Any:
    """A ``jax.random.PRNGKey`` for ``seed`` (imports JAX)."""
    import jax

    return jax.random.PRNGKey(seed)


@checked
def enable_jax_x64() -> None:
    """Switch JAX to float64. Call it before any JAX array exists: JAX defaults to float32."""
    import jax

    jax.config.update("jax_enable_x64", True)
