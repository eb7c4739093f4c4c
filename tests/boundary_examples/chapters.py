"""Valid calls of theorybook.chapters (describing a chapter; nothing is run)."""

from __future__ import annotations

from malformed import call

EXAMPLES = {
    "Chapter": lambda: call("06_ar_net", "arnet"),
    "chapter": lambda: call("06"),
}
