"""The chapter's data: overlapping moons, concentric circles, scikit-learn's digits and irregularly sampled spirals.

Everything is generated locally or read from scikit-learn's bundled files (under
:func:`theorybook.data.offline`), and returned as NumPy arrays, so both the PyTorch and the JAX
halves of the chapter use it (this module imports no torch and no JAX).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from jaxtyping import Float, Int

from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeReal,
    PositiveReal,
    Seed,
    checked,
)
from theorybook.data import offline

AtLeastFour = Annotated[int, IntRange(low=4)]
AtLeastTwo = Annotated[int, IntRange(low=2)]

__all__ = [
    "ClassificationData",
    "SpiralData",
    "make_circles_data",
    "make_digits_data",
    "make_moons_data",
    "make_spirals",
]


@checked
@dataclass(frozen=True)
class ClassificationData:
    """Train/test split as floating features ``(n, dim)`` and integer labels ``(n,)`` (NumPy;
    the book's makers give float32 and int64).

    Checked on construction: non-empty, finite features; as many labels as points; the same
    ``dim`` in both splits; labels ``≥ 0`` (class ``k`` is label ``k``).
    """

    name: str
    x_train: Float[np.ndarray, "n_train dim"]
    y_train: Int[np.ndarray, " n_train"]
    x_test: Float[np.ndarray, "n_test dim"]
    y_test: Int[np.ndarray, " n_test"]

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            if np.any(getattr(self, f"y_{part}") < 0):
                raise ValueError(f"y_{part} must hold labels >= 0 (class k is label k)")

    @property
    def dim(self) -> int:
        """Number of features (the dimension of the ODE state)."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1)."""
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


@checked
def make_circles_data(
    n_train: AtLeastFour, n_test: AtLeastFour, *, noise: NonNegativeReal = 0.1, seed: Seed = 0
) -> ClassificationData:
    """Concentric circles of radii 0.5 and 1.5 with Gaussian noise of standard deviation ``noise``
    (scikit-learn's ``make_circles``, rescaled). Label 0 is the outer circle, 1 the inner one.

    Arguments:
        n_train: training points (≥ 4), the first ones drawn.
        n_test: test points (≥ 4).
        noise: standard deviation of the Gaussian noise (≥ 0).
        seed: seed of the draw.

    Returns:
        The :class:`ClassificationData` (float32 features, int64 labels).

    Raises:
        TypeError, ValueError: for non-integer or too small sizes and a negative or non-finite
            ``noise``, or a ``noise`` so large that the points overflow float32.
    """
    from sklearn.datasets import make_circles

    with offline("make_circles_data"):
        x, y = make_circles(n_train + n_test, noise=noise / 1.5, factor=1 / 3, random_state=seed)
    return _split_2d("circles", 1.5 * x, y, n_train)


@checked
def make_moons_data(
    n_train: AtLeastFour, n_test: AtLeastFour, *, noise: NonNegativeReal = 0.3, seed: Seed = 0
) -> ClassificationData:
    """Two interleaving half-moons (scikit-learn's ``make_moons``) with Gaussian noise of standard
    deviation ``noise``, centred and scaled by ``1/0.75`` so both classes lie in about
    ``[−2, 2]²``. At ``noise = 0.3`` the classes overlap: no classifier is perfect (about 0.9 test
    accuracy for a neural ODE), so the accuracy a regularizer costs can be seen.

    Arguments:
        n_train: training points (≥ 4), the first ones drawn.
        n_test: test points (≥ 4).
        noise: standard deviation of the Gaussian noise (≥ 0).
        seed: seed of the draw.

    Returns:
        The :class:`ClassificationData` (float32 features, int64 labels).

    Raises:
        TypeError, ValueError: for non-integer or too small sizes and a negative or non-finite
            ``noise``, or a ``noise`` so large that the points overflow float32.
    """
    from sklearn.datasets import make_moons

    with offline("make_moons_data"):
        x, y = make_moons(n_train + n_test, noise=noise, random_state=seed)
    return _split_2d("moons", (x - np.array([0.5, 0.25])) / 0.75, y, n_train)


def _split_2d(name: str, x: np.ndarray, y: np.ndarray, n_train: int) -> ClassificationData:
    """The first ``n_train`` points for training, the rest for testing (float32 / int64)."""
    with np.errstate(over="ignore"):
        x = np.asarray(x, dtype=np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError(
            f"make_{name}_data: noise is so large that the points overflow float32; use a "
            "smaller noise"
        )
    y = np.asarray(y, dtype=np.int64)
    return ClassificationData(name, x[:n_train], y[:n_train], x[n_train:], y[n_train:])


@checked
def make_digits_data(
    n_test: Annotated[int, IntRange(low=10, high=1797 - 10)] = 397, *, seed: Seed = 0
) -> ClassificationData:
    """scikit-learn's 8×8 digits (1797 images, 64 features), stratified split, standardized with
    the training statistics.

    Arguments:
        n_test: test images (10 ≤ n_test ≤ 1787, so that every class is in both splits).
        seed: seed of the split.

    Returns:
        The :class:`ClassificationData` (float32 features, int64 labels).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    with offline("make_digits_data"):
        x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=n_test, random_state=seed, stratify=y)
    sc = StandardScaler().fit(xtr)
    return ClassificationData(
        "digits",
        sc.transform(xtr).astype(np.float32),
        ytr.astype(np.int64),
        sc.transform(xte).astype(np.float32),
        yte.astype(np.int64),
    )


@checked
@dataclass(frozen=True)
class SpiralData:
    """Trajectories on a shared time grid ``t`` (strictly increasing, at least two times):
    observations ``x`` (n, T, obs) and observation masks (n, T) of 0s and 1s, for training and
    testing (floating NumPy arrays; :func:`make_spirals` gives float32).
    """

    t: Float[np.ndarray, " T"]
    x_train: Float[np.ndarray, "n_train T obs"]
    mask_train: Float[np.ndarray, "n_train T"]
    x_test: Float[np.ndarray, "n_test T obs"]
    mask_test: Float[np.ndarray, "n_test T"]

    def __post_init__(self) -> None:
        if self.t.shape[0] < 2 or not np.all(np.diff(self.t) > 0):
            raise ValueError("t must be strictly increasing with at least two times")
        for name in ("mask_train", "mask_test"):
            mask = getattr(self, name)
            if not np.all((mask == 0) | (mask == 1)):
                raise ValueError(f"{name} must hold only 0s and 1s")


@checked
def make_spirals(
    n_train: AtLeastTwo,
    n_test: AtLeastTwo,
    *,
    n_times: AtLeastFour = 40,
    t_max: PositiveReal = 4.0,
    obs_frac: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.5,
    noise: NonNegativeReal = 0.05,
    seed: Seed = 0,
) -> SpiralData:
    """Damped spirals ``x(t) = e^{tA} x₀``, ``A = [[−0.1, ±2], [∓2, −0.1]]``, on ``n_times`` sorted
    uniform times in ``[0, t_max]``.

    ``x₀`` has radius in ``[0.5, 1.5]`` and a uniform angle; half the trajectories turn each way.
    Each trajectory observes a random fraction ``obs_frac`` of the grid (at least the first time).

    Arguments:
        n_train: training trajectories (≥ 2).
        n_test: test trajectories (≥ 2).
        n_times: points of the shared time grid (≥ 4).
        t_max: the grid's end time.
        obs_frac: the fraction of the grid each trajectory observes, in ``(0, 1]``.
        noise: standard deviation of the observation noise (≥ 0).
        seed: seed of the grid, the trajectories, the noise and the masks.

    Returns:
        The :class:`SpiralData` (float32).

    Raises:
        TypeError, ValueError: for malformed arguments, and for a grid float32 cannot hold
            (``t_max`` so small, or ``n_times`` so large, that times coincide; ``t_max`` so large
            that they overflow) or a ``noise`` whose observations overflow float32.
    """
    rng = np.random.default_rng(seed)
    t = np.sort(np.concatenate([[0.0], rng.uniform(0.0, t_max, n_times - 1)]))
    with np.errstate(over="ignore"):
        t32 = t.astype(np.float32)
    if not (np.all(np.isfinite(t32)) and np.all(np.diff(t32) > 0)):
        raise ValueError(
            f"make_spirals: the grid of n_times={n_times} times in [0, t_max={t_max:g}] does not "
            "fit float32 (times coincide or overflow); use another t_max or fewer n_times"
        )
    n = n_train + n_test
    r = rng.uniform(0.5, 1.5, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    ang = phi[:, None] + sign[:, None] * 2.0 * t[None, :]
    rad = r[:, None] * np.exp(-0.1 * t)[None, :]
    x = np.stack([rad * np.cos(ang), rad * np.sin(ang)], -1) + noise * rng.normal(
        size=(n, n_times, 2)
    )
    mask = rng.random((n, n_times)) < obs_frac
    mask[:, 0] = True
    with np.errstate(over="ignore"):
        x, mask = x.astype(np.float32), mask.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("make_spirals: noise is so large that the observations overflow float32")
    return SpiralData(t32, x[:n_train], mask[:n_train], x[n_train:], mask[n_train:])
