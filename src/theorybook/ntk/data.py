"""Two-class Dirichlet data on the unit sphere, with the official code's settings.

Each class is a Dirichlet distribution on the simplex of ``R^D``; samples are moved radially onto
the unit sphere, which keeps them in the positive orthant of ``S^(D−1)`` (intrinsic dimension
``D − 1``). The Bayes rule is known exactly (:func:`~theorybook.ntk.classifiers.bayes_classifier`),
so a classifier's distance to the Bayes risk can be measured. Generated on the fly: nothing is
downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theorybook.validation import positive_int, probability, real_sequence
from theorybook.validation import seed as check_seed

__all__ = [
    "DIRICHLET_SETTINGS",
    "MIN_DISTANCE",
    "OFFICIAL_PRIOR",
    "OFFICIAL_SEED",
    "DirichletData",
    "dirichlet_setting",
    "dirichlet_sphere_data",
    "sphere_points",
]

DIRICHLET_SETTINGS: dict[int, tuple[tuple[float, ...], tuple[float, ...]]] = {
    2: ((1.0, 2.0), (2.0, 1.0)),
    3: ((0.5, 0.5, 2.5), (2.5, 0.1, 0.5)),
    5: ((3.0, 1.0, 2.0, 1.0, 1.0), (1.0, 2.0, 2.0, 2.0, 3.0)),
    9: (
        (1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        (1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 1.0),
    ),
}
"""The class concentration parameters per ambient dimension ``D`` (official ``main.py``)."""

OFFICIAL_PRIOR = 0.4
"""Probability of class +1 in the official experiments (``main.py``)."""

OFFICIAL_SEED = 1717
"""The official experiments' seed (``main.py``)."""

MIN_DISTANCE = 1e-6
"""Points closer than this are redrawn (a recursion in ``ξ = xᵀz`` cannot tell them apart)."""
_MAX_TRIES = 1000


@dataclass(frozen=True)
class DirichletData:
    """Unit-norm points ``X`` (``n × D``), labels ``y`` in ``{±1}`` and the class parameters."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    alphas1: tuple[float, ...]
    alphas2: tuple[float, ...]
    prior: float

    @property
    def dim(self) -> int:
        """The ambient dimension ``D`` (the intrinsic dimension is ``D − 1``)."""
        return int(self.X.shape[1])

    def split(self, n_train: int) -> tuple[NDArray[np.float64], ...]:
        """``(X, y, Z, y_Z)``: the first ``n_train`` points to train on, the rest to test on."""
        n = positive_int("n_train", n_train)
        if n >= self.X.shape[0]:
            raise ValueError(f"n_train must be below the {self.X.shape[0]} points, got {n}")
        return self.X[:n], self.y[:n], self.X[n:], self.y[n:]


def dirichlet_setting(dim: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The official ``(alphas1, alphas2)`` for ambient dimension ``dim`` ∈ {2, 3, 5, 9}."""
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if int(dim) not in DIRICHLET_SETTINGS:
        raise ValueError(f"dim must be one of {sorted(DIRICHLET_SETTINGS)}, got {dim}")
    return DIRICHLET_SETTINGS[int(dim)]


def dirichlet_sphere_data(
    n: int,
    alphas1: Sequence[float],
    alphas2: Sequence[float],
    prior: float = OFFICIAL_PRIOR,
    seed: int = OFFICIAL_SEED,
) -> DirichletData:
    """``n`` labelled points: ``y = +1`` with probability ``prior``, ``x ~ Dir(alphas)``, ``x/‖x‖``.

    Like the official code, points are redrawn until no two coincide: here, until no two lie
    closer than ``MIN_DISTANCE`` (only the later point of a close pair is redrawn, from its own
    class). This changes the distribution negligibly (it matters only for thousands of points
    on the one-dimensional arc of ``D = 2``) and keeps every pair resolvable by the kernels.

    Arguments:
        n: the number of points.
        alphas1: the Dirichlet concentrations of class +1 (the ambient dimension ``D``).
        alphas2: those of class −1 (same length).
        prior: the probability of class +1, in ``(0, 1)``.
        seed: the seed of the draws.

    Returns:
        The points, their labels and the class parameters.

    Raises:
        ValueError: for non-positive concentrations, mismatched lengths, or a prior outside
            ``(0, 1)``.
    """
    from scipy.spatial import cKDTree

    n = positive_int("n", n)
    a1 = real_sequence("alphas1", alphas1, low=0.0, low_open=True, min_len=2)
    a2 = real_sequence("alphas2", alphas2, low=0.0, low_open=True, min_len=2)
    if len(a1) != len(a2):
        raise ValueError(
            f"alphas1 and alphas2 must have the same length, got {len(a1)} and {len(a2)}"
        )
    prior = probability("prior", prior)
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must lie strictly between 0 and 1, got {prior}")
    rng = np.random.default_rng(check_seed("seed", seed))
    y = np.where(rng.random(n) < prior, 1.0, -1.0)
    simplex = np.where((y > 0)[:, None], rng.dirichlet(a1, size=n), rng.dirichlet(a2, size=n))
    X = simplex / np.linalg.norm(simplex, axis=1, keepdims=True)
    for _ in range(_MAX_TRIES):
        if n == 1:
            break
        pairs = cKDTree(X).query_pairs(MIN_DISTANCE, output_type="ndarray")
        if len(pairs) == 0:
            break
        redo = np.unique(pairs.max(axis=1))
        fresh = np.where(
            (y[redo] > 0)[:, None],
            rng.dirichlet(a1, size=redo.size),
            rng.dirichlet(a2, size=redo.size),
        )
        X[redo] = fresh / np.linalg.norm(fresh, axis=1, keepdims=True)
    else:  # pragma: no cover - needs pathological concentrations
        raise RuntimeError(
            f"could not draw {n} points {MIN_DISTANCE} apart in {_MAX_TRIES} rounds; "
            "raise the concentrations or lower n"
        )
    return DirichletData(X=X, y=y, alphas1=a1, alphas2=a2, prior=prior)


def sphere_points(n: int, dim: int, seed: int) -> NDArray[np.float64]:
    """``n`` points drawn uniformly on the unit sphere of ``R^dim`` (normalised Gaussians).

    Arguments:
        n: the number of points.
        dim: the ambient dimension.
        seed: the seed of the Gaussian draws.

    Returns:
        An ``(n, dim)`` array of unit-norm rows.
    """
    n, dim = positive_int("n", n), positive_int("dim", dim)
    rng = np.random.default_rng(check_seed("seed", seed))
    x = rng.standard_normal((n, dim))
    out: NDArray[np.float64] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out
