"""Valid calls of theorybook.claims_comparison, on records written to a temporary folder."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from malformed import call


def _records_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="claims-"))
    (folder / "09_toy.json").write_text(json.dumps([{"id": "a", "status": "holds", "measured": 1}]))
    return folder


def _records():  # type: ignore[no-untyped-def]
    from theorybook.claims_comparison import load_claim_records

    return load_claim_records(_records_folder())


EXAMPLES = {
    "load_claim_records": lambda: call(_records_folder()),
    "compare_claims": lambda: call(_records(), _records()),
}
