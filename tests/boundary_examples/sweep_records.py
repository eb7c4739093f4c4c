"""Valid calls of theorybook.sweep_records, reading a sweep recorded in a temporary folder."""

from __future__ import annotations

from malformed import call

from boundary_examples.sweeps import _results


def _cells():  # type: ignore[no-untyped-def]
    from theorybook.sweep_records import load_cells

    return load_cells("07", "tiny", root=_results())


def _notebook_run():  # type: ignore[no-untyped-def]
    from theorybook.sweep_records import NotebookRun

    return NotebookRun("06_ar_net", "smoke", True, "", 1.0, ({"id": "x", "measured": 1.0},))


EXAMPLES = {
    "load_cells": lambda: call("07", "tiny", root=_results()),
    "load_sweep": lambda: call("07", "tiny", root=_results()),
    "summarize": lambda: call(_cells()),
    "result_numbers": lambda: call({"x": 1.0}),
    "claim_numbers": lambda: call(_notebook_run()),
    # the kernel starts, the first cell overruns its one-second limit: a failed run, recorded
    "execute_notebook": lambda: call("06", "smoke", timeout=1),
}
