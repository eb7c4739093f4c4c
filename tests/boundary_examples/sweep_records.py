"""Valid calls of theorybook.sweep_records, reading a sweep recorded in a temporary folder."""

from __future__ import annotations

from malformed import call

from boundary_examples.sweeps import _results


def _cells():  # type: ignore[no-untyped-def]
    from theorybook.sweep_records import load_cells

    return load_cells("07", "tiny", root=_results())


EXAMPLES = {
    "load_cells": lambda: call("07", "tiny", root=_results()),
    "load_sweep": lambda: call("07", "tiny", root=_results()),
    "summarize": lambda: call(_cells()),
}
