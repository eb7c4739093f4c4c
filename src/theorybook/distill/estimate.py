"""The network estimate of the labels' weight: its negative control, and the grid optimum's noise.

Chapter 5 (*Self-distillation with ground-truth guidance*), after Borup & Andersen (2021). For a
network the projection :eq:`distill-alpha-star` of :mod:`~theorybook.distill.alpha` is an
estimate, made on held-out outputs against held-out labels (:eq:`distill-alpha-hat`). Made on the
*training* outputs against the training targets (:func:`training_projection`,
:eq:`distill-alpha-train`) it can never return a weight: in kernel ridge regression it is at least
``1 + 1/a₁ > 2`` (:func:`krr_training_projection`, :eq:`distill-alpha-train-bound`), which makes it
the chapter's negative control. The estimate is compared with a grid search, whose best weight is
itself noisy on a flat validation loss: :func:`grid_optimum_interval` bootstraps it over the
scored points.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from jaxtyping import Float
from scipy.linalg import cho_solve

from theorybook.boundary import Interval, IntRange, PositiveReal, Seed, checked
from theorybook.distill.alpha import _optimal_alpha
from theorybook.distill.checks import check_kernel, check_targets
from theorybook.distill.solve import ridge_cholesky

__all__ = ["grid_optimum_interval", "krr_training_projection", "training_projection"]


@checked
def training_projection(
    teacher_outputs: Float[np.ndarray, "*shape"],
    self_distilled_outputs: Float[np.ndarray, "*shape"],
    targets: Float[np.ndarray, "*shape"],
) -> float:
    """The projection of :eq:`distill-alpha-train` on the *training* targets, unconstrained.

    ``α̃⁽ᵗ⁾ = argmin_{α ∈ ℝ} ‖y − (α ŷ⁽¹⁾ + (1 − α) ŷ⁽ᵗ⁾_{α=0})‖²`` on the training points:
    :eq:`distill-alpha-star` with the step-1 fit ``ŷ⁽¹⁾`` (the ``α = 1`` student), the step-``t``
    student trained on its teacher only, and the training targets ``y`` as reference. It is
    the chapter's *negative control*: in kernel ridge regression it is at least
    ``1 + 1/a₁ > 2`` at step 2 for any kernel, ridge and data (:func:`krr_training_projection`),
    so it can never return a weight in ``[0, 1]``. The estimate tested on networks is the same
    projection on held-out outputs and labels (:eq:`distill-alpha-hat`):
    :func:`optimal_alpha` with ``clip=False``.

    Arguments:
        teacher_outputs: the step-1 fit ``ŷ⁽¹⁾`` on the training points (the ``α = 1`` student)
        self_distilled_outputs: the step-``t`` student trained on its teacher only (``α = 0``)
        targets: the training targets (one-hot labels), of the same shape

    Returns:
        ``α̃⁽ᵗ⁾``, a float (unconstrained). Raises as :func:`optimal_alpha` does.
    """
    return _optimal_alpha(
        teacher_outputs,
        self_distilled_outputs,
        targets,
        False,
        ("teacher_outputs", "self_distilled_outputs"),
    )


@checked
def krr_training_projection(
    K: Float[np.ndarray, "n n"], y: Float[np.ndarray, " n"], lam: PositiveReal
) -> tuple[float, float]:
    """``(α̃, 1 + 1/a₁)``: the step-2 training projection in kernel ridge regression, and its floor.

    At step 2 the ``α = 1`` student is the teacher ``ŷ⁽¹⁾ = V A Vᵀ y`` and the ``α = 0`` student
    ``V A² Vᵀ y``. In eigendirection ``k`` (``a_k = d_k/(d_k + λ)``, ``y_k = v_kᵀ y``) their
    difference is ``a_k(1 − a_k) y_k`` and the target's residual ``(1 − a_k)(1 + a_k) y_k``, so
    :func:`training_projection` is the mean of ``(1 + a_k)/a_k`` weighted by
    ``a_k²(1 − a_k)² y_k²`` (:eq:`distill-alpha-train-bound`): at least ``1 + 1/a₁ > 2``, with
    ``a₁`` the largest. Both are computed here, the projection from explicit fits.

    Arguments:
        K: the kernel matrix ``(n, n)`` (square, symmetric, PSD)
        y: the labels ``(n,)``
        lam: the ridge ``λ > 0``

    Returns:
        The projection and the floor ``1 + 1/a₁``.
    """
    Kc = check_kernel(K, psd=True)
    yv = check_targets("y", y, Kc.shape[0])
    factor = ridge_cholesky(Kc, lam)
    teacher = Kc @ cho_solve(factor, yv)
    student = Kc @ cho_solve(factor, teacher)
    d1 = float(np.linalg.eigvalsh(Kc)[-1])
    return (
        _optimal_alpha(teacher, student, yv, False, ("teacher", "student")),
        1.0 + (d1 + lam) / d1,
    )


@checked
def grid_optimum_interval(
    point_losses: Float[np.ndarray, "g m"],
    grid: Float[np.ndarray, " g"],
    *,
    level: Annotated[float, Interval(low=0.0, high=1.0, low_open=True, high_open=True)] = 0.95,
    resamples: Annotated[int, IntRange(low=100)] = 1000,
    seed: Seed = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval of a grid search's best weight over the scored points.

    ``point_losses[i, j]`` is the loss of the student of ``grid[i]`` on point ``j``; the grid's
    best weight minimises the mean over points. Resampling the points with replacement
    (``resamples`` times, seeded) and taking the best weight of each resample gives the
    interval's ends (the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles, grid values),
    widened if needed to contain the best weight on all points: how far the grid's optimum
    moves when the validation set is drawn again.

    Arguments:
        point_losses: the loss of each grid student on each scored point, ``(g, m)``
        grid: the weights, ``(g,)``
        level: the interval's coverage
        resamples: the number of bootstrap resamples (≥ 100)
        seed: the seed of the resampling

    Returns:
        ``(low, high)``, two grid values.
    """
    losses = np.asarray(point_losses, dtype=np.float64)
    gv = np.asarray(grid, dtype=np.float64)
    m = losses.shape[1]
    counts = np.random.default_rng(seed).multinomial(m, np.full(m, 1.0 / m), size=resamples)
    best = gv[np.argmin(losses @ counts.T, axis=0)]
    point = float(gv[int(np.argmin(losses.mean(axis=1)))])
    tail = (1.0 - level) / 2
    low = float(np.quantile(best, tail, method="inverted_cdf"))
    high = float(np.quantile(best, 1.0 - tail, method="inverted_cdf"))
    return min(low, point), max(high, point)
