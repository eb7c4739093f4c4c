"""Valid calls of theorybook.records, reading from a temporary results folder."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

from malformed import call


@functools.cache
def _results() -> Path:
    root = Path(tempfile.mkdtemp(prefix="theorybook-results-"))
    (root / "README.md").write_text("recorded runs\n")
    (root / "99_test").mkdir()
    (root / "99_test" / "run.json").write_text(json.dumps({"x": 1.0}))
    return root


EXAMPLES = {
    "find_results_dir": lambda: call(_results()),
    "load_record": lambda: call("99_test", "run.json", root=_results()),
    "record_path": lambda: call("99_test", "run.json", root=str(_results())),
}
