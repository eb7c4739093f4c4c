"""Valid calls of theorybook.plotting (figures are saved to a temporary folder)."""

from __future__ import annotations

import functools
import tempfile

from malformed import call

from theorybook.plotting import new_figure


@functools.cache
def _folder() -> str:
    return tempfile.mkdtemp(prefix="theorybook-figures-")


def _axes():  # a fresh figure each time: label_panels writes on it
    return new_figure(1, 2)[1]


@functools.cache
def _figure():
    return new_figure(width=1.0, height=1.0, dpi=20)[0]


EXAMPLES = {
    "label_panels": lambda: call(_axes(), start="b"),
    "new_figure": lambda: call(1, 2, width=3.0, height=2.0),
    "save_figure": lambda: call(_figure(), "tiny", _folder(), formats=("svg",)),
}
