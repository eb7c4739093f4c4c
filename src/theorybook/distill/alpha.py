"""The weight of the ground truth that minimises a squared loss: closed form and grid search.

Chapter 5 (*Self-distillation with ground-truth guidance*), after Borup & Andersen (2021).

Hold the steps before ``t`` fixed. The step-``t`` student trained with weight ``α`` on the labels
fits ``ỹ = α y + (1 − α) ŷ⁽ᵗ⁻¹⁾``, and kernel ridge regression is linear in its targets, so
``f_α = α f_gt + (1 − α) f_sd`` (:eq:`distill-affine-alpha`), where ``f_gt`` is the student
trained on the labels only (``α = 1``; in KRR, the teacher ``f⁽¹⁾``) and ``f_sd`` the student
trained on the teacher only (``α = 0``). For reference values ``z`` on some points,
``‖f_α − z‖²`` is a parabola in ``α`` whose minimiser is the projection

    α* = ⟨f_gt − f_sd, z − f_sd⟩ / ‖f_gt − f_sd‖²                     (:eq:`distill-alpha-star`)

(clipped to ``[0, 1]`` when asked). For a deep network the same projection is an *estimate*
(the network is not linear in its targets), made on held-out outputs against held-out labels
(:eq:`distill-alpha-hat`: :func:`optimal_alpha` with ``clip=False``); its negative control and
the noise of the grid's optimum are in :mod:`~theorybook.distill.estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from jaxtyping import Float, Float64
from numpy.typing import NDArray
from scipy.linalg import cho_solve
from scipy.optimize import minimize_scalar

from theorybook.boundary import (
    FiniteReal,
    Interval,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    checked,
    record,
)
from theorybook.distill.checks import (
    MAX_ELEMENTS,
    check_cross_kernel,
    check_kernel,
    check_targets,
    check_weights,
)
from theorybook.distill.solve import ridge_cholesky
from theorybook.timing import best_of

__all__ = [
    "MIN_GRID_STEP",
    "AlphaSearch",
    "alpha_grid",
    "greedy_optimal_alphas",
    "grid_search_alpha",
    "krr_step_alpha_search",
    "optimal_alpha",
]

Array = NDArray[np.float64]
#: the max/min ratio of timed runs (≥ 1; inf when the fastest run read 0 s).
Spread = Annotated[float, Interval(low=1.0, finite=False)]

#: the finest grid step :func:`alpha_grid` builds (a million and one points).
MIN_GRID_STEP = 1e-6


@checked
def optimal_alpha(
    f_ground_truth: Float[np.ndarray, "*shape"],
    f_self_distilled: Float[np.ndarray, "*shape"],
    reference: Float[np.ndarray, "*shape"],
    *,
    clip: bool = True,
) -> float:
    """Closed-form ``α*`` of :eq:`distill-alpha-star` for outputs that are affine in ``α``.

    ``α*`` is invariant to a common scale of the three arrays, so they are rescaled (by powers
    of two, exactly) first: huge finite inputs do not overflow the inner products, and outputs
    that differ only by a tiny amount do not underflow ``‖f_gt − f_sd‖²``.

    Arguments:
        f_ground_truth: outputs (any shape, e.g. ``(m,)`` values or ``(m, classes)``
            probabilities) of the step-``t`` student trained with ``α = 1``, on the points where
            the loss is measured.
        f_self_distilled: the same for the student trained with ``α = 0``.
        reference: the values the loss compares against (noiseless truth, held-out labels), of
            the same shape.
        clip: clip ``α*`` to ``[0, 1]`` (the paper's range); ``False`` returns the
            unconstrained optimum, which may be negative or above 1.

    Returns:
        ``α*``, a float.

    Raises:
        ValueError: for empty or non-finite inputs, or identical ``α = 1`` and ``α = 0``
            outputs (every ``α`` then gives the same loss).
        TypeError: for shapes that differ.
        NonFiniteResult: for an unclipped ``α*`` beyond ``10³⁰⁸`` (outputs that differ by
            some 10⁻³⁰⁸ of the reference's scale); clipped, it is 0 or 1.
    """
    return _optimal_alpha(f_ground_truth, f_self_distilled, reference, clip)


def _optimal_alpha(
    a: Array,
    b: Array,
    z: Array,
    clip: bool,
    names: tuple[str, str] = ("f_ground_truth", "f_self_distilled"),
) -> float:
    """:func:`optimal_alpha` without the checks, for the package's own loops.

    ``α* = ⟨a − b, z − b⟩ / ‖a − b‖²`` (:eq:`distill-alpha-star`). The three arrays are first
    divided by a power of two near their largest entry, and ``a − b`` by one near its own:
    exact operations (the same bits as the plain formula for ordinary inputs) that keep huge
    inputs from overflowing and nearly equal outputs from underflowing ``‖a − b‖²``.
    ``names`` are the arguments ``a`` and ``b`` of the public caller, for the error message.
    """
    a, b, z = (np.asarray(v, dtype=np.float64) for v in (a, b, z))
    e = int(np.frexp(max(float(np.max(np.abs(v))) for v in (a, b, z)))[1])
    a, b, z = np.ldexp(a, -e), np.ldexp(b, -e), np.ldexp(z, -e)
    diff = (a - b).ravel()
    if not np.any(diff):
        raise ValueError(
            f"{names[0]} and {names[1]} coincide (the α = 1 and α = 0 outputs are equal): "
            "every α gives the same loss"
        )
    k = int(np.frexp(float(np.max(np.abs(diff))))[1])
    diff = np.ldexp(diff, -k)
    with np.errstate(over="ignore"):
        alpha = float(np.ldexp(float(diff @ (z - b).ravel()) / float(diff @ diff), -k))
    return float(np.clip(alpha, 0.0, 1.0)) if clip else alpha


@checked
def alpha_grid(
    step: Annotated[float, Interval(low=MIN_GRID_STEP, high=1.0)] = 1e-3,
) -> Float[np.ndarray, " g"]:
    """The grid ``0, step, 2·step, …, 1``.

    ``1/step`` must be an integer and ``step`` at least :data:`MIN_GRID_STEP` (a finer grid
    would only spend memory: the closed form of :func:`optimal_alpha` is exact).
    """
    n = round(1.0 / step)
    if abs(n * step - 1.0) > 1e-9:
        raise ValueError(f"1/step must be an integer so the grid ends at 1, got step={step}")
    return np.linspace(0.0, 1.0, n + 1)


@checked
def grid_search_alpha(
    losses: Float[np.ndarray, " g"],
    grid: Float[np.ndarray, " g"],
    *,
    constrained: bool = True,
) -> tuple[float, float]:
    """``(best α, its loss)`` from losses measured on a grid of ``α`` (ties: the first one).

    Arguments:
        losses: the loss measured at each grid weight
        grid: the weights, of the same length; with ``constrained=True`` (the paper's range,
            the default) each must lie in ``[0, 1]``, else ``ValueError`` names the first
            outsider (``grid[i]``)
        constrained: ``False`` allows any finite grid (the unconstrained search of
            :func:`krr_step_alpha_search` with ``clip=False``)

    Returns:
        The best weight and its loss.
    """
    gv = check_weights("grid", grid) if constrained else grid
    return _grid_search_alpha(losses, gv)


def _grid_search_alpha(losses: Array, grid: Array) -> tuple[float, float]:
    """:func:`grid_search_alpha` without the checks, for the timed grid search."""
    i = int(np.argmin(losses))
    return float(grid[i]), float(losses[i])


@record
@dataclass(frozen=True)
class AlphaSearch:
    """Closed-form ``α*`` against a grid search and a scalar search at one KRR step.

    ``grid_losses[i]`` is the loss of a student explicitly refitted with ``grid[i]``; the
    closed form needs two fits (``α = 0`` and ``α = 1``), the grid one fit per grid point, and
    the competitor, :func:`scipy.optimize.minimize_scalar` (bounded Brent search on ``[0, 1]``,
    to half the grid's step), one fit per evaluation (``evaluations_scalar``).
    ``seconds_*`` are medians over ``repeats`` timed runs (:func:`theorybook.timing.best_of`),
    ``spread_*`` their max/min, ``times_*`` the runs themselves.
    """

    alpha_star: FiniteReal  # unconstrained (clip=False) it may leave [0, 1]
    loss_star: NonNegativeReal
    grid: Float64[np.ndarray, " g"]
    grid_losses: Float64[np.ndarray, " g"]
    alpha_grid_best: FiniteReal
    loss_grid_best: NonNegativeReal
    seconds_closed_form: NonNegativeReal
    seconds_grid: NonNegativeReal
    spread_closed_form: Spread = 1.0
    spread_grid: Spread = 1.0
    repeats: PositiveInt = 1
    alpha_scalar: FiniteReal = 0.0
    loss_scalar: NonNegativeReal = 0.0
    evaluations_scalar: PositiveInt = 1
    seconds_scalar: NonNegativeReal = 0.0
    times_closed_form: tuple[NonNegativeReal, ...] = ()
    times_grid: tuple[NonNegativeReal, ...] = ()
    times_scalar: tuple[NonNegativeReal, ...] = ()

    @property
    def speedup(self) -> float:
        """How many times faster the closed form was than the grid (ratio of medians)."""
        return self.seconds_grid / self.seconds_closed_form

    @property
    def scalar_speedup(self) -> float:
        """How many times faster the scalar search was than the grid (ratio of medians)."""
        return self.seconds_grid / self.seconds_scalar

    @staticmethod
    def _band(slow: tuple[float, ...], fast: tuple[float, ...]) -> tuple[float, float]:
        return min(slow) / max(fast), max(slow) / min(fast)

    @property
    def speedup_band(self) -> tuple[float, float]:
        """The grid/closed-form ratio over the timed runs: slowest closed form against the
        fastest grid, and the reverse (it contains :attr:`speedup`)."""
        return self._band(self.times_grid, self.times_closed_form)

    @property
    def scalar_speedup_band(self) -> tuple[float, float]:
        """The same for the scalar search."""
        return self._band(self.times_grid, self.times_scalar)


def _krr_student(
    factor: tuple[Array, bool], K_ref: Array, y: Array, prev_fit: Array, alpha: float, K: Array
) -> tuple[Array, Array]:
    """One student: KRR on ``α y + (1 − α) prev_fit``; returns (training fit, reference preds)."""
    c = cho_solve(factor, alpha * y + (1.0 - alpha) * prev_fit)
    return K @ c, K_ref @ c


@checked
def krr_step_alpha_search(
    K: Float[np.ndarray, "n n"],
    K_ref: Float[np.ndarray, "m n"],
    y: Float[np.ndarray, " n"],
    reference: Float[np.ndarray, " m"],
    lam: PositiveReal,
    prev_fit: Float[np.ndarray, " n"],
    *,
    grid: Float[np.ndarray, " g"] | None = None,
    clip: bool = True,
    repeats: PositiveInt = 5,
) -> AlphaSearch:
    """Closed-form ``α*`` (:eq:`distill-alpha-star`), a grid search and a scalar search for one
    KRR step.

    ``prev_fit`` is the teacher's fit ``ŷ⁽ᵗ⁻¹⁾`` at the training points; ``K_ref`` (m, n) the
    kernel between the m reference points and the training points, and ``reference`` (m,) the
    values the mean squared error compares against. Both searches refit students by a linear
    solve with one shared Cholesky factor of ``K + λI`` (computed outside the timings), so the
    timing compares 2 solves against ``len(grid)`` solves; each is timed ``repeats`` times. The
    competitor, :func:`scipy.optimize.minimize_scalar` (bounded Brent search over ``[0, 1]``, or
    over the grid's span with ``clip=False``, to half the grid's finest step), is timed alike.

    ``grid`` (default :func:`alpha_grid`) holds the weights to try. With ``clip=True`` (α is a
    weight, the paper's range) every grid value must lie in ``[0, 1]`` (``ValueError`` names the
    first outsider, ``grid[i]``); with ``clip=False`` the closed form is unconstrained and any
    finite grid is allowed. ``K`` must be PSD (checked from its eigenvalues, outside the
    timings); a ridge too small to lift a singular ``K`` raises ``ValueError`` naming ``lam``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        K_ref: the kernel ``(m, n)`` between the reference points and the training points
        y: the labels ``(n,)``
        reference: the values ``(m,)`` the mean squared error compares against
        lam: the ridge ``λ > 0``
        prev_fit: the teacher's fit ``ŷ⁽ᵗ⁻¹⁾`` at the training points
        grid: the weights to try (default :func:`alpha_grid`)
        clip: clip ``α*`` to ``[0, 1]`` (and require the grid inside it)
        repeats: how many timed runs each search's median takes

    Returns:
        The :class:`AlphaSearch`: the three answers, their losses and timings.
    """
    Kc = check_kernel(K, psd=True)
    n = Kc.shape[0]
    yv, pv = check_targets("y", y, n), check_targets("prev_fit", prev_fit, n)
    Kr = check_cross_kernel("K_ref", K_ref, n)
    z = np.asarray(reference, dtype=np.float64)
    if grid is None:
        gv = alpha_grid()
    elif clip:
        gv = check_weights("grid", grid)
    else:
        gv = np.asarray(grid, dtype=np.float64)
    factor = ridge_cholesky(Kc, lam)

    def closed_form() -> float:
        _, f_gt = _krr_student(factor, Kr, yv, pv, 1.0, Kc)
        _, f_sd = _krr_student(factor, Kr, yv, pv, 0.0, Kc)
        return _optimal_alpha(f_gt, f_sd, z, clip)

    def grid_search() -> tuple[Array, float, float]:
        losses = np.empty(gv.shape[0])
        for i, a in enumerate(gv):
            _, f = _krr_student(factor, Kr, yv, pv, float(a), Kc)
            losses[i] = np.mean((f - z) ** 2)
        best, loss = _grid_search_alpha(losses, gv)
        return losses, best, loss

    def loss_at(a: float) -> float:
        _, f = _krr_student(factor, Kr, yv, pv, a, Kc)
        return float(np.mean((f - z) ** 2))

    tol = float(np.min(np.diff(np.sort(gv)))) / 2 if gv.shape[0] > 1 else 1e-3
    low, high = (0.0, 1.0) if clip else (float(gv.min()), float(gv.max()))

    def scalar_search() -> Any:
        return minimize_scalar(
            loss_at, bounds=(low, high), method="bounded", options={"xatol": tol}
        )

    a_star = closed_form()
    losses, a_best, l_best = grid_search()
    scalar = scalar_search()
    t_cf = best_of(closed_form, repeats=repeats, warmup=1)
    t_grid = best_of(grid_search, repeats=repeats, warmup=1)
    t_scalar = best_of(scalar_search, repeats=repeats, warmup=1)
    return AlphaSearch(
        a_star,
        loss_at(a_star),
        gv,
        losses,
        a_best,
        l_best,
        t_cf.median,
        t_grid.median,
        t_cf.spread,
        t_grid.spread,
        repeats,
        alpha_scalar=float(scalar.x),
        loss_scalar=float(scalar.fun),
        evaluations_scalar=int(scalar.nfev),
        seconds_scalar=t_scalar.median,
        times_closed_form=t_cf.times,
        times_grid=t_grid.times,
        times_scalar=t_scalar.times,
    )


@checked
def greedy_optimal_alphas(
    K: Float[np.ndarray, "n n"],
    K_ref: Float[np.ndarray, "m n"],
    y: Float[np.ndarray, " n"],
    reference: Float[np.ndarray, " m"],
    lam: PositiveReal,
    steps: PositiveInt,
    *,
    clip: bool = True,
) -> tuple[Float[np.ndarray, " t1"], Float[np.ndarray, " t"]]:
    """Choose ``α*`` greedily at steps ``2 … T`` (:eq:`distill-alpha-star`), each given the
    previous fit.

    Returns ``(alphas, losses)``: ``alphas`` has length ``T − 1`` (steps 2..T), ``losses`` length
    ``T`` (step 1, the teacher, then each greedy student), the mean squared error against
    ``reference`` at the reference points. ``K`` must be PSD (checked); a ridge too small to
    lift a singular ``K`` raises ``ValueError`` naming ``lam``.

    Arguments:
        K: the kernel matrix ``(n, n)`` of the training points (square, symmetric, PSD)
        K_ref: the kernel ``(m, n)`` between the reference points and the training points
        y: the labels ``(n,)``
        reference: the values ``(m,)`` the mean squared error compares against
        lam: the ridge ``λ > 0``
        steps: the number of steps ``T`` (step 1 is the teacher)
        clip: clip each ``α*`` to ``[0, 1]``

    Returns:
        ``(alphas, losses)``, of lengths ``T − 1`` and ``T``.
    """
    T = steps
    Kc = check_kernel(K, psd=True)
    n = Kc.shape[0]
    yv = check_targets("y", y, n)
    Kr = check_cross_kernel("K_ref", K_ref, n)
    z = np.asarray(reference, dtype=np.float64)
    if T * n > MAX_ELEMENTS:
        raise ValueError(
            f"steps × n = {T} × {n} exceeds {MAX_ELEMENTS}: ask for fewer greedy steps"
        )
    factor = ridge_cholesky(Kc, lam)
    fit, pred = _krr_student(factor, Kr, yv, yv, 1.0, Kc)
    alphas: list[float] = []
    losses = [float(np.mean((pred - z) ** 2))]
    for _ in range(T - 1):
        _, f_gt = _krr_student(factor, Kr, yv, fit, 1.0, Kc)
        _, f_sd = _krr_student(factor, Kr, yv, fit, 0.0, Kc)
        a = _optimal_alpha(f_gt, f_sd, z, clip)
        fit, pred = _krr_student(factor, Kr, yv, fit, a, Kc)
        alphas.append(a)
        losses.append(float(np.mean((pred - z) ** 2)))
    return np.asarray(alphas), np.asarray(losses)
