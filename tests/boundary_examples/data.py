"""Valid calls of theorybook.data (small: one photograph, a few patches)."""

from __future__ import annotations

import numpy as np
from malformed import call

EXAMPLES = {
    "bundled_image": lambda: call("coins", grayscale=True, dtype=np.float32),
    "load_digits_images": lambda: call(pad_to=12, dtype=np.float64),
    "natural_image_patches": lambda: call(3, 4, images=("coins",), seed=1, dtype=np.float32),
    "offline": lambda: call("a test"),
}
