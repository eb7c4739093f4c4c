"""Stability intervals of explicit Runge–Kutta methods: the normalizer ``s_stab`` of the stiffness
estimate (equation :eq:`nde-srnode`).

This module needs only NumPy, so the JAX half of the chapter can use it without importing torch.
The Dormand–Prince 5(4) tableau below is the published one (Dormand & Prince 1980), the same that
torchdiffeq's ``dopri5`` and diffrax's ``Dopri5`` use (a test checks it against torchdiffeq).
"""

from __future__ import annotations

import functools

import numpy as np

from theorybook.training import SolverDiverged
from theorybook.validation import array, positive_int, positive_real

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


def stability_size(a: object, b: object, *, x_max: float = 10.0, n: int = 4001) -> float:
    """Length ``s`` of the negative real interval ``[-s, 0]`` in the stability region of an explicit
    Runge–Kutta method with stage matrix ``a`` and weights ``b``.

    The stability function is ``R(z) = 1 + z bᵀ (I − zA)⁻¹ 𝟙``; the result is the first ``s > 0``
    with ``|R(−s)| > 1`` (found on a grid of ``n`` points on ``[0, x_max]``, then refined by
    bisection). For Dormand–Prince 5(4) it is about 3.307; a step with ``h ρ`` above it is limited
    by stability, not accuracy.

    Arguments:
        a: the stage matrix ``A`` (square).
        b: the weights ``b`` (one per stage).
        x_max: the longest interval searched.
        n: points of the search grid (≥ 3).

    Returns:
        The length ``s_stab`` of the real stability interval.

    Raises:
        ValueError: if ``a`` is not square, ``b`` does not match it, or the interval is longer
            than ``x_max``.
    """
    a = array("a", a, ndim=2)
    b = array("b", b, ndim=1)
    x_max = positive_real("x_max", x_max)
    n = positive_int("n", n)
    if a.shape[0] != a.shape[1] or b.shape != (a.shape[0],):
        raise ValueError(f"need a square A and matching b, got A {a.shape} and b {b.shape}")
    if n < 3:
        raise ValueError(f"n must be >= 3, got {n}")
    s = a.shape[0]
    ones = np.ones(s)

    def r_abs(z: float) -> float:
        return float(abs(1.0 + z * b @ np.linalg.solve(np.eye(s) - z * a, ones)))

    xs = np.linspace(0.0, x_max, n)
    vals = np.array([r_abs(-x) for x in xs[1:]])
    bad = np.nonzero(vals > 1.0 + 1e-12)[0]
    if bad.size == 0:
        raise ValueError(f"stability interval longer than x_max={x_max}")
    lo, hi = xs[bad[0]], xs[bad[0] + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if r_abs(-mid) > 1.0 + 1e-12:
            hi = mid
        else:
            lo = mid
    return float(lo)


@functools.cache
def dopri5_stability_size() -> float:
    """Stability-interval length of Dormand–Prince 5(4) (≈ 3.307), computed once and cached."""
    return stability_size(DOPRI5_A, DOPRI5_B)
