"""Valid calls of theorybook.timing."""

from __future__ import annotations

from malformed import call

EXAMPLES = {
    "Timer": lambda: call("label", cuda_sync=False),
    "best_of": lambda: call(lambda: None, repeats=2, warmup=0, cuda_sync=False),
    "timed": lambda: call("label", cuda_sync=False, verbose=False),
}
