"""The chapter's data: the 1-D mixture, the Gaussian of the linear case and the digits split.

Everything is generated or ships with scikit-learn (the digits, loaded under
:func:`theorybook.data.offline`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theorybook.data import load_digits_images
from theorybook.rae.densities import GaussianMixture
from theorybook.validation import probability, seed

__all__ = [
    "GAUSSIAN_COV",
    "DigitsSplit",
    "bimodal_mixture",
    "load_digits_split",
]

GAUSSIAN_COV: NDArray[np.float64] = np.array([[1.0, 0.6], [0.6, 0.5]])
"""The covariance of the 2-D Gaussian of the linear auto-encoder experiment."""


def bimodal_mixture() -> GaussianMixture:
    """``½ N(−1, 0.3²) + ½ N(1, 0.3²)``: two modes at ±1 and a density minimum at 0."""
    return GaussianMixture([[-1.0], [1.0]], [0.3, 0.3], [0.5, 0.5])


@dataclass(frozen=True)
class DigitsSplit:
    """Digits as 64-vectors in ``[0, 1]`` (float64): a training part and a held-out part."""

    train: NDArray[np.float64]
    train_labels: NDArray[np.int64]
    test: NDArray[np.float64]
    test_labels: NDArray[np.int64]


def load_digits_split(*, test_fraction: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's 1,797 digits, shuffled with ``seed`` and split into train / held-out."""
    frac = probability("test_fraction", test_fraction)
    if not 0.0 < frac < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {frac}")
    digits = load_digits_images(dtype=np.float64)
    x = digits.flat.astype(np.float64)
    y = digits.labels
    order = np.random.default_rng(_seed(seed)).permutation(len(x))
    n_test = int(round(frac * len(x)))
    te, tr = order[:n_test], order[n_test:]
    return DigitsSplit(x[tr], y[tr], x[te], y[te])


def _seed(value: object) -> int:
    return seed("seed", value)
