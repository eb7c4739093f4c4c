"""Wall-clock timing: one timer and one ``best_of`` loop for every benchmark of the book.

Speed is measured, never asserted: benchmarks and timing sections report
``best_of(...).median`` against a baseline timed by the same call in the same run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from theorybook.boundary import NonNegativeInt, NonNegativeReal, PositiveInt, checked, record

__all__ = ["Timer", "TimingStats", "best_of", "timed"]


def _sync(cuda_sync: bool) -> None:
    """Wait for queued CUDA work (when asked and CUDA is there)."""
    if cuda_sync:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


@checked
@dataclass
class Timer:
    """Wall-clock timer: ``with Timer() as t: ...`` then ``t.seconds``.

    With ``cuda_sync=True`` it waits for queued CUDA work before reading the clock, so GPU
    timings measure the work and not only its launch. ``seconds`` is NaN until the block ends.
    """

    label: str = ""
    cuda_sync: bool = False
    seconds: float = field(default=math.nan, init=False)
    _start: float = field(default=0.0, init=False, repr=False)

    def __enter__(self) -> Timer:
        _sync(self.cuda_sync)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        _sync(self.cuda_sync)
        self.seconds = time.perf_counter() - self._start

    def __str__(self) -> str:
        prefix = f"{self.label}: " if self.label else ""
        return f"{prefix}{self.seconds:.3f} s"


@record
@dataclass(frozen=True)
class TimingStats:
    """Wall-clock times of repeated runs of one callable (seconds)."""

    times: tuple[NonNegativeReal, ...]

    @property
    def median(self) -> float:
        """The median run time: what the book reports."""
        ordered = sorted(self.times)
        n = len(ordered)
        return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])

    @property
    def best(self) -> float:
        """The fastest run."""
        return min(self.times)

    @property
    def spread(self) -> float:
        """``max / min`` of the runs: how noisy the measurement was (``inf`` when the fastest run
        took no measurable time: the clock's resolution, not a real ratio)."""
        return max(self.times) / min(self.times) if min(self.times) > 0 else math.inf


@checked
def best_of(
    fn: Callable[[], object],
    *,
    repeats: PositiveInt = 5,
    warmup: NonNegativeInt = 1,
    cuda_sync: bool = False,
) -> TimingStats:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls, in this process.

    The one timing loop of the book: benchmarks and timing sections report
    ``best_of(...).median`` and compare it with a baseline timed by the same call in the same run.

    Arguments:
        fn: the callable to time (no arguments).
        repeats: timed calls (≥ 1).
        warmup: untimed calls first (≥ 0).
        cuda_sync: wait for queued CUDA work before each clock reading.

    Returns:
        The :class:`TimingStats` of the timed calls.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(cuda_sync)
        start = time.perf_counter()
        fn()
        _sync(cuda_sync)
        times.append(time.perf_counter() - start)
    return TimingStats(tuple(times))


@contextmanager
@checked
def timed(label: str = "", *, cuda_sync: bool = False, verbose: bool = False) -> Iterator[Timer]:
    """Context manager around :class:`Timer` that can print the elapsed time on exit.

    Arguments:
        label: printed before the time.
        cuda_sync: wait for queued CUDA work before each clock reading.
        verbose: print the time on exit.

    Returns:
        The running :class:`Timer` (its ``seconds`` are set on exit).
    """
    timer = Timer(label=label, cuda_sync=cuda_sync)
    with timer:
        yield timer
    if verbose:
        print(timer)
