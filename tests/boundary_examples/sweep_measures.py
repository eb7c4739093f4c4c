"""Valid calls of theorybook.sweep_measures."""

from __future__ import annotations

from malformed import call


def _notebook_run():  # type: ignore[no-untyped-def]
    from theorybook.sweep_measures import NotebookRun

    return NotebookRun("06_ar_net", "smoke", True, "", 1.0, ({"id": "x", "measured": 1.0},))


EXAMPLES = {
    "result_numbers": lambda: call({"x": 1.0}),
    "claim_numbers": lambda: call(_notebook_run()),
    # the kernel starts, the first cell overruns its one-second limit: a failed run, recorded
    "execute_notebook": lambda: call("06", "smoke", timeout=1),
}
