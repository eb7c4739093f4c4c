"""The chapter's data: the 1-D mixture, the Gaussian of the linear case and the digits split.

Everything is generated or ships with scikit-learn (the digits, loaded under
:func:`theorybook.data.offline`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from jaxtyping import Float64, Int64
from numpy.typing import NDArray

from theorybook.boundary import Interval, Seed, checked, record
from theorybook.data import load_digits_images
from theorybook.rae.densities import GaussianMixture

__all__ = [
    "GAUSSIAN_COV",
    "DigitsSplit",
    "bimodal_mixture",
    "load_digits_split",
]

GAUSSIAN_COV: NDArray[np.float64] = np.array([[1.0, 0.6], [0.6, 0.5]])
"""The covariance of the 2-D Gaussian of the linear auto-encoder experiment."""


@checked
def bimodal_mixture() -> GaussianMixture:
    """``½ N(−1, 0.3²) + ½ N(1, 0.3²)``: two modes at ±1 and a density minimum at 0."""
    return GaussianMixture([[-1.0], [1.0]], [0.3, 0.3], [0.5, 0.5])


@record
@dataclass(frozen=True)
class DigitsSplit:
    """Digits as 64-vectors in ``[0, 1]`` (float64): a training part and a held-out part."""

    train: Float64[np.ndarray, "n_train 64"]
    train_labels: Int64[np.ndarray, " n_train"]
    test: Float64[np.ndarray, "n_test 64"]
    test_labels: Int64[np.ndarray, " n_test"]


@checked
def load_digits_split(
    *,
    test_fraction: Annotated[
        float, Interval(low=0.0, high=1.0, low_open=True, high_open=True)
    ] = 0.25,
    seed: Seed = 0,
) -> DigitsSplit:
    """scikit-learn's 1,797 digits, shuffled with ``seed`` and split into train / held-out.

    ``round(test_fraction · 1797)`` digits are held out; a fraction so close to 0 or 1 that
    either part would be empty raises ``ValueError``.
    """
    digits = load_digits_images(dtype=np.float64)
    x = digits.flat.astype(np.float64)
    y = digits.labels
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    if not 0 < n_test < len(x):
        raise ValueError(
            f"test_fraction = {test_fraction:g} leaves an empty part: {n_test} of {len(x)} "
            "digits held out"
        )
    te, tr = order[:n_test], order[n_test:]
    return DigitsSplit(x[tr], y[tr], x[te], y[te])
