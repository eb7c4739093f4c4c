"""Valid calls of theorybook.sweep_studies."""

from __future__ import annotations

from malformed import call

EXAMPLES = {
    "study": lambda: call("nde-seed-study"),
    "arnet_high_order": lambda: call(orders=(100, 300), seeds=2, n=10_000),
}
