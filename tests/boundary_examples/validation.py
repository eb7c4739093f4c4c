"""Valid calls of theorybook.validation's checkers.

Each checker takes the checked parameter's name and its value; the name given here is the
checker's own parameter name (``"value"``, ``"values"``), so that an error about the value names
the parameter the generic test mutates. The checkers' options are mutated from their annotations.
"""

from __future__ import annotations

import numpy as np
import torch
from malformed import call

EXAMPLES = {
    "array": lambda: call("value", [[1.0, 2.0]], ndim=2, shape=(None, 2), min_size=1),
    "callable_": lambda: call("value", len),
    # a 0-d tensor: an empty one is finite (accepted), which this table cannot declare (below)
    "finite_tensor": lambda: call("value", torch.tensor(1.0)),
    "int_in_range": lambda: call("value", 5, low=0, high=10),
    "int_sequence": lambda: call("values", [1, 2], low=0, min_len=1, unique=True),
    "non_negative_int": lambda: call("value", 0),
    "one_of": lambda: call("value", "a", ("a", "b")),
    "positive_int": lambda: call("value", np.int64(3)),
    "positive_real": lambda: call("value", 0.5),
    "probability": lambda: call("value", 0.5),
    "real": lambda: call("value", 0.5, low=0.0, high=1.0, low_open=True, high_open=False),
    "real_sequence": lambda: call("values", (0.5, 1.0), low=0.0, high=2.0, low_open=True),
    "seed": lambda: call("value", 7),
    "tensor": lambda: call("value", torch.ones(2, 3), ndim=2, shape=(None, 3), min_size=1),
}

NOT_DRIVEN = {
    "matches_module": (
        "it checks a tensor's dtype and device only, so an empty or NaN tensor is valid; saying so "
        "(ArrayOptions(may_be_empty=True, may_be_nonfinite=True)) needs theorybook.declared, which "
        "validation cannot import (declared imports validation: an import cycle); its own tests "
        "are in tests/test_shared_boundaries.py"
    ),
}
