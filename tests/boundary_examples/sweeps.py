"""Valid calls of theorybook.sweeps: a two-cell sweep of chapter 7's classifier, shrunk to seconds,
recorded once in a temporary results folder (so a valid run_sweeps call finds nothing to run)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from malformed import call

TINY = {
    "classifier.n_train": 16,
    "classifier.n_test": 16,
    "classifier.hidden": 4,
    "classifier.epochs": 2,
    "classifier.methods": ["vanilla", "ernode"],
    "classifier.held_out_methods": ["vanilla", "ernode"],
    "classifier.lam_sweep": [],
    "seeds": [],
}


def _sweep():  # type: ignore[no-untyped-def]
    from theorybook.sweeps import Sweep

    return Sweep("tiny", "07", experiment="run_circles", scale="smoke", seeds=(0,), fixed=TINY)


@functools.cache
def _results() -> Path:
    from theorybook.sweeps import run_sweeps

    root = Path(tempfile.mkdtemp(prefix="theorybook-sweeps-"))
    (root / "README.md").write_text("recorded runs\n")
    run_sweeps(_sweep(), out=root)
    return root


EXAMPLES = {
    "Sweep": lambda: call(
        "tiny", "07", experiment="run_circles", scale="smoke", seeds=(0, 1), fixed=TINY
    ),
    "cell_path": lambda: call(_sweep().cells()[0], _results()),
    "missing_cells": lambda: call(_sweep().cells(), _results()),
    "run_cell": lambda: call(_sweep().cells()[0], Path(tempfile.mkdtemp()), threads=1),
    "run_sweeps": lambda: call(_sweep(), out=_results(), executor="inprocess", jobs=1),
}
