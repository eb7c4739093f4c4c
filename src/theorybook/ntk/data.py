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
from typing import Annotated

import numpy as np
from jaxtyping import Float, Float64
from numpy.typing import NDArray

from theorybook.boundary import Interval, PositiveInt, PositiveReal, Seed, checked, record
from theorybook.validation import real_sequence

__all__ = [
    "DIRICHLET_SETTINGS",
    "ClassPrior",
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

ClassPrior = Annotated[float, Interval(low=0.0, high=1.0, low_open=True, high_open=True)]
"""The probability of class +1, strictly between 0 and 1."""

MIN_DISTANCE = 1e-6
"""Points closer than this are redrawn (a recursion in ``ξ = xᵀz`` cannot tell them apart)."""
_MAX_TRIES = 1000


@record
@dataclass(frozen=True)
class DirichletData:
    """Unit-norm points ``X`` (``n × D``), labels ``y`` in ``{±1}`` and the class parameters."""

    X: Float64[np.ndarray, "n D"]
    y: Float64[np.ndarray, " n"]
    alphas1: tuple[PositiveReal, ...]  # [D]
    alphas2: tuple[PositiveReal, ...]  # [D]
    prior: ClassPrior

    def __post_init__(self) -> None:
        for name in ("alphas1", "alphas2"):
            alphas = getattr(self, name)
            real_sequence(f"DirichletData.{name}", alphas, low=0.0, low_open=True)
            if isinstance(self.X, np.ndarray) and self.X.ndim == 2:
                if len(alphas) != self.X.shape[1]:
                    raise ValueError(
                        f"DirichletData.{name} must hold one parameter per coordinate of X "
                        f"({self.X.shape[1]}), got {len(alphas)}"
                    )

    @property
    def dim(self) -> int:
        """The ambient dimension ``D`` (the intrinsic dimension is ``D − 1``)."""
        return int(self.X.shape[1])

    @checked
    def split(self, n_train: PositiveInt) -> tuple[NDArray[np.float64], ...]:
        """``(X, y, Z, y_Z)``: the first ``n_train`` points to train on, the rest to test on."""
        n = n_train
        if n >= self.X.shape[0]:
            raise ValueError(f"n_train must be below the {self.X.shape[0]} points, got {n}")
        return self.X[:n], self.y[:n], self.X[n:], self.y[n:]


@checked
def dirichlet_setting(dim: PositiveInt) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The official ``(alphas1, alphas2)`` for ambient dimension ``dim`` ∈ {2, 3, 5, 9}.

    Arguments:
        dim: the ambient dimension ``D``.

    Returns:
        The concentrations of class +1 and of class −1, ``D`` each.
    """
    if dim not in DIRICHLET_SETTINGS:
        raise ValueError(f"dim must be one of {sorted(DIRICHLET_SETTINGS)}, got {dim}")
    return DIRICHLET_SETTINGS[dim]


@checked
def dirichlet_sphere_data(
    n: PositiveInt,
    alphas1: Sequence[PositiveReal],
    alphas2: Sequence[PositiveReal],
    prior: ClassPrior = OFFICIAL_PRIOR,
    seed: Seed = OFFICIAL_SEED,
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
            ``(0, 1)``; also for concentrations so small or so large that ``n`` points
            ``MIN_DISTANCE`` apart cannot be drawn (they pile up on the simplex's vertices or
            centre).
    """
    from scipy.spatial import cKDTree

    a1 = real_sequence("alphas1", alphas1, low=0.0, low_open=True, min_len=2)
    a2 = real_sequence("alphas2", alphas2, low=0.0, low_open=True, min_len=2)
    if len(a1) != len(a2):
        raise ValueError(
            f"alphas1 and alphas2 must have the same length, got {len(a1)} and {len(a2)}"
        )
    rng = np.random.default_rng(seed)
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
    else:
        raise ValueError(
            f"could not draw {n} points {MIN_DISTANCE} apart in {_MAX_TRIES} rounds: alphas1 "
            f"{a1} and alphas2 {a2} put the points at the simplex's vertices (concentrations "
            "≪ 1) or at one point (≫ 1), or n is too large; change the concentrations or lower n"
        )
    return DirichletData(X=X, y=y, alphas1=a1, alphas2=a2, prior=prior)


@checked
def sphere_points(n: PositiveInt, dim: PositiveInt, seed: Seed) -> Float[np.ndarray, "n dim"]:
    """``n`` points drawn uniformly on the unit sphere of ``R^dim`` (normalised Gaussians).

    Arguments:
        n: the number of points.
        dim: the ambient dimension.
        seed: the seed of the Gaussian draws.

    Returns:
        An ``(n, dim)`` array of unit-norm rows.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    out: NDArray[np.float64] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out
