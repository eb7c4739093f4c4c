"""Valid calls of theorybook.runtime."""

from __future__ import annotations

import numpy as np
from malformed import call

EXAMPLES = {
    "device": lambda: call("cpu"),
    "seed_everything": lambda: call(np.int64(3)),
    "torch_threads": lambda: call(1),
}
