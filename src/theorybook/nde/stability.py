"""Stability intervals of explicit Runge–Kutta methods: the normalizer ``s_stab`` of the stiffness
estimate (equation :eq:`nde-srnode`).

This module needs only NumPy, so the JAX half of the chapter can use it without importing torch.
The Dormand–Prince 5(4) tableau below is the published one (Dormand & Prince 1980), the same that
torchdiffeq's ``dopri5`` and diffrax's ``Dopri5`` use (a test checks it against torchdiffeq).
"""

from __future__ import annotations

import functools
from typing import Annotated

import numpy as np
from jaxtyping import Real

from theorybook.boundary import IntRange, PositiveReal, checked
from theorybook.training import SolverDiverged

__all__ = ["DOPRI5_A", "DOPRI5_B", "SolverError", "dopri5_stability_size", "stability_size"]


class SolverError(SolverDiverged):
    """An ODE/SDE solve did not finish: the step-size underflowed, the state became non-finite, or
    the solver hit its step cap (``max_num_steps`` / ``max_steps``). The message says which (and,
    for torchdiffeq solves, at which step); a :class:`theorybook.training.SolverDiverged`."""


DOPRI5_A = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [1 / 5, 0, 0, 0, 0, 0, 0],
        [3 / 40, 9 / 40, 0, 0, 0, 0, 0],
        [44 / 45, -56 / 15, 32 / 9, 0, 0, 0, 0],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0, 0],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0, 0],
        [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
    ],
    dtype=np.float64,
)
"""Dormand–Prince 5(4) stage matrix, seven stages including the first-same-as-last one."""

DOPRI5_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
"""Dormand–Prince 5(4) fifth-order weights (the propagated solution)."""


MAX_GRID = 1_000_000
"""The most points :func:`stability_size` searches on (the bisection refines past the grid)."""


@checked
def stability_size(
    a: Real[np.ndarray, "s s"],
    b: Real[np.ndarray, " s"],
    *,
    x_max: PositiveReal = 10.0,
    n: Annotated[int, IntRange(low=3, high=MAX_GRID)] = 4001,
) -> float:
    """Length ``s`` of the negative real interval ``[-s, 0]`` in the stability region of an explicit
    Runge–Kutta method with stage matrix ``a`` and weights ``b``.

    The stability function is ``R(z) = 1 + z bᵀ (I − zA)⁻¹ 𝟙``; the result is the first ``s > 0``
    with ``|R(−s)| > 1`` (found on a grid of ``n`` points on ``[0, x_max]``, then refined by
    bisection). For Dormand–Prince 5(4) it is about 3.307; a step with ``h ρ`` above it is limited
    by stability, not accuracy.

    Arguments:
        a: the stage matrix ``A`` (square, strictly lower triangular: an explicit method).
        b: the weights ``b`` (one per stage).
        x_max: the longest interval searched.
        n: points of the search grid (3 ≤ n ≤ :data:`MAX_GRID`).

    Returns:
        The length ``s_stab`` of the real stability interval.

    Raises:
        TypeError: if ``a`` or ``b`` is not a real NumPy array, or their sizes disagree.
        ValueError: if ``a`` is not strictly lower triangular, or the interval is longer than
            ``x_max`` (a method whose weights sum to zero never leaves ``|R| ≤ 1``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if np.any(np.triu(a) != 0):
        raise ValueError(
            "a must be strictly lower triangular (the stage matrix of an explicit Runge-Kutta "
            "method)"
        )
    s = a.shape[0]
    ones = np.ones(s)

    def r_abs(z: float) -> float:
        # I − zA is unit lower triangular, hence invertible for every z.
        return float(abs(1.0 + z * b @ np.linalg.solve(np.eye(s) - z * a, ones)))

    xs = np.linspace(0.0, x_max, n)
    with np.errstate(over="ignore", invalid="ignore"):
        vals = np.array([r_abs(-x) for x in xs[1:]])
    # |R| that overflows to inf (or inf - inf = NaN) has left the unit disk too.
    bad = np.nonzero(~(vals <= 1.0 + 1e-12))[0]
    if bad.size == 0:
        raise ValueError(f"stability interval longer than x_max={x_max}")
    lo, hi = xs[bad[0]], xs[bad[0] + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        with np.errstate(over="ignore", invalid="ignore"):
            outside = not r_abs(-mid) <= 1.0 + 1e-12
        if outside:
            hi = mid
        else:
            lo = mid
    return float(lo)


@functools.cache
def dopri5_stability_size() -> float:
    """Stability-interval length of Dormand–Prince 5(4) (≈ 3.307), computed once and cached."""
    return stability_size(DOPRI5_A, DOPRI5_B)
