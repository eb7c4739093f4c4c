"""The chapter's data: overlapping moons, concentric circles, scikit-learn's digits and irregularly sampled spirals.

Everything is generated locally or read from scikit-learn's bundled files (under
:func:`theorybook.data.offline`), and returned as NumPy arrays, so both the PyTorch and the JAX
halves of the chapter use it (this module imports no torch and no JAX).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorybook.data import offline
from theorybook.validation import int_in_range, positive_real, real, seed

__all__ = [
    "ClassificationData",
    "SpiralData",
    "make_circles_data",
    "make_digits_data",
    "make_moons_data",
    "make_spirals",
]


@dataclass(frozen=True)
class ClassificationData:
    """Train/test split as float32 features ``(n, dim)`` and int64 labels ``(n,)`` (NumPy)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if not isinstance(x, np.ndarray) or x.ndim != 2:
                raise ValueError(f"x_{part} must be a 2-D NumPy array (n, dim)")
            if not isinstance(y, np.ndarray) or y.ndim != 1:
                raise ValueError(f"y_{part} must be a 1-D NumPy array of labels")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{part} and y_{part} must have the same length, got {len(x)} and {len(y)}"
                )
            if len(x) == 0:
                raise ValueError(f"the {part} split is empty")
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise ValueError(
                f"train and test features differ in dimension: {self.x_train.shape[1]} vs "
                f"{self.x_test.shape[1]}"
            )

    @property
    def dim(self) -> int:
        """Number of features (the dimension of the ODE state)."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1)."""
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def make_circles_data(
    n_train: int, n_test: int, *, noise: float = 0.1, seed: int = 0
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
            ``noise``.
    """
    from sklearn.datasets import make_circles

    n_train, n_test, noise, rs = _check_2d_args(n_train, n_test, noise, seed)
    with offline("make_circles_data"):
        x, y = make_circles(n_train + n_test, noise=noise / 1.5, factor=1 / 3, random_state=rs)
    return _split_2d("circles", 1.5 * x, y, n_train)


def make_moons_data(
    n_train: int, n_test: int, *, noise: float = 0.3, seed: int = 0
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
            ``noise``.
    """
    from sklearn.datasets import make_moons

    n_train, n_test, noise, rs = _check_2d_args(n_train, n_test, noise, seed)
    with offline("make_moons_data"):
        x, y = make_moons(n_train + n_test, noise=noise, random_state=rs)
    return _split_2d("moons", (x - np.array([0.5, 0.25])) / 0.75, y, n_train)


def _check_2d_args(
    n_train: object, n_test: object, noise: object, seed: object
) -> tuple[int, int, float, int]:
    """The validated sizes (at least 4 each), noise (finite, ≥ 0) and seed of a 2-D problem."""
    return (
        int_in_range("n_train", n_train, low=4),
        int_in_range("n_test", n_test, low=4),
        real("noise", noise, low=0.0),
        _seed(seed),
    )


def _split_2d(name: str, x: np.ndarray, y: np.ndarray, n_train: int) -> ClassificationData:
    """The first ``n_train`` points for training, the rest for testing (float32 / int64)."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    return ClassificationData(name, x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def _seed(value: object) -> int:
    return seed("seed", value)


def make_digits_data(n_test: int = 397, *, seed: int = 0) -> ClassificationData:
    """scikit-learn's 8×8 digits (1797 images, 64 features), stratified split, standardized with
    the training statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    n_test = int_in_range("n_test", n_test, low=10, high=1797 - 10)
    rs = _seed(seed)
    with offline("make_digits_data"):
        x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=n_test, random_state=rs, stratify=y)
    sc = StandardScaler().fit(xtr)
    return ClassificationData(
        "digits",
        sc.transform(xtr).astype(np.float32),
        ytr.astype(np.int64),
        sc.transform(xte).astype(np.float32),
        yte.astype(np.int64),
    )


@dataclass(frozen=True)
class SpiralData:
    """Spirals on a shared irregular grid ``t`` (float32): ``x`` (n, T, 2), observation mask (n, T)."""

    t: np.ndarray
    x_train: np.ndarray
    mask_train: np.ndarray
    x_test: np.ndarray
    mask_test: np.ndarray


def make_spirals(
    n_train: int,
    n_test: int,
    *,
    n_times: int = 40,
    t_max: float = 4.0,
    obs_frac: float = 0.5,
    noise: float = 0.05,
    seed: int = 0,
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
    """
    n_train = int_in_range("n_train", n_train, low=2)
    n_test = int_in_range("n_test", n_test, low=2)
    n_times = int_in_range("n_times", n_times, low=4)
    t_max = positive_real("t_max", t_max)
    obs_frac = real("obs_frac", obs_frac, low=0.0, high=1.0, low_open=True)
    noise = real("noise", noise, low=0.0)
    rng = np.random.default_rng(_seed(seed))
    t = np.sort(np.concatenate([[0.0], rng.uniform(0.0, t_max, n_times - 1)]))
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
    x, mask = x.astype(np.float32), mask.astype(np.float32)
    return SpiralData(
        t.astype(np.float32), x[:n_train], mask[:n_train], x[n_train:], mask[n_train:]
    )
