"""Valid calls of theorybook.training: the loop, the guard and the per-step checks."""

from __future__ import annotations

import numpy as np
import torch
from malformed import call

from theorybook.training import DivergenceGuard


def _step(t: int) -> float:
    return 1.0 / t


EXAMPLES = {
    "adam": lambda: call([torch.zeros(3, requires_grad=True)], lr=1e-3, weight_decay=0.1),
    "channels_last_weights": lambda: call(torch.nn.Conv2d(1, 2, 3)),
    "DivergenceGuard": lambda: call(where="toy", growth=10.0, floor=0.5),
    "check_finite_loss": lambda: call(np.float32(0.5), step=3, where="toy"),
    "check_iterates": lambda: call(np.ones(3), step=3, where="toy", limit=100.0),
    "train_loop": lambda: call(
        _step, 3, desc="toy", guard=DivergenceGuard(where="toy"), start=1, context="epoch 1"
    ),
}
