"""Valid calls of theorybook.scales."""

from __future__ import annotations

from malformed import call

EXAMPLES = {
    "check_scale": lambda: call(" Smoke ", "scale"),
    "scale_rank": lambda: call("book"),
}
