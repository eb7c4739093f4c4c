"""Valid calls of theorybook.boundary's public callables (the mechanism itself)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from malformed import call

from theorybook.boundary import PositiveReal, declared_parameters
from theorybook.scales import Settings
from theorybook.training import TrainingHistory


def _toy(x: PositiveReal, *, name: str = "toy") -> float:
    return x


@dataclass(frozen=True)
class _Block(Settings):
    lr: PositiveReal = 0.1


def _fresh_class() -> type:  # record() wraps the class it is given: a new one for each call
    return dataclasses.make_dataclass("Fresh", [("x", float)], frozen=True)


EXAMPLES = {
    "DeclaredParameter": lambda: call(**vars(declared_parameters(_toy)["x"])),
    "check_fields": lambda: call(_Block()),
    "checked": lambda: call(_toy, finite_result=True),
    "declared_parameters": lambda: call(_toy),
    "is_record": lambda: call(TrainingHistory),
    "record": lambda: call(_fresh_class()),
}
