"""Valid calls of theorybook.reporting (files go to a temporary folder)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from malformed import call


@functools.cache
def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="theorybook-reporting-"))


EXAMPLES = {
    "environment_report": lambda: call(include_jax=False),
    "glue": lambda: call("a_number", 1.5, display=False),
    "progress": lambda: call(range(3), desc="items", total=3, disable=True, leave=False),
    "save_json": lambda: call(_folder() / "record.json", {"x": 0.5, "n": 1}),
    "save_manifest": lambda: call(
        _folder() / "manifest.json",
        chapter="99_test",
        seed=0,
        wall_seconds=1.0,
        config={"n": 1},
        numbers={"x": 0.5},
    ),
}
