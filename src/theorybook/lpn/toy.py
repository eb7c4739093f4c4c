"""The 1-D Laplacian denoising problem and its three Bayes denoisers (chapter 3; the official README's Laplacian experiment).

x ~ Laplace(0, b), y = x + σ·N(0, 1). The posterior is ``p(x | y) ∝ exp(−|x|/b − (y − x)²/(2σ²))``, and

* MAP (the target of proximal matching): soft-thresholding at σ²/b, the prox of ``(σ²/b)|x|``;
* MMSE E[x | y] (the ℓ₂ minimiser) and the posterior median (the ℓ₁ minimiser): computed here
  by trapezoid quadrature on a fine grid (``scipy.integrate``).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from jaxtyping import Float64, Real
from scipy.integrate import cumulative_trapezoid, trapezoid

from theorybook.boundary import (
    MAY_BE_EMPTY,
    IntRange,
    NonNegativeReal,
    PositiveReal,
    checked,
)

__all__ = ["laplace_posterior_stats", "soft_threshold"]


@checked
def soft_threshold(
    y: Annotated[Real[np.ndarray, "*shape"], MAY_BE_EMPTY], tau: NonNegativeReal = 1.0
) -> Float64[np.ndarray, "*shape"]:
    """``sign(y)·max(|y| − τ, 0)``, the prox of ``τ|·|`` and the MAP denoiser of the Laplace toy.

    Arguments:
        y: the inputs, a NumPy array of any shape (empty allowed), finite.
        tau: the threshold τ ≥ 0.

    Returns:
        The thresholded values, float64, the shape of ``y``.
    """
    arr = np.asarray(y, dtype=np.float64)
    return np.sign(arr) * np.maximum(np.abs(arr) - tau, 0.0)


@checked
def laplace_posterior_stats(
    y: Real[np.ndarray, " n"],
    *,
    b: PositiveReal = 1.0,
    sigma: PositiveReal = 1.0,
    half_width: PositiveReal = 30.0,
    n_grid: Annotated[int, IntRange(low=3)] = 20001,
) -> tuple[Float64[np.ndarray, " n"], Float64[np.ndarray, " n"]]:
    """(posterior mean, posterior median) of x given y for the Laplace toy, by quadrature.

    The trapezoid grid has ``n_grid`` points on [−half_width, half_width]. It must resolve the
    posterior (spacing at most min(b, σ)/10) and contain it: every ``|y|`` must lie at least
    10·σ inside the grid, or ``ValueError`` says which bound is violated. Scales so extreme that
    the quadrature overflows (σ or b beyond ~1e150) raise
    :class:`~theorybook.boundary.NonFiniteResult`.

    Arguments:
        y: the observations, a 1-D NumPy array.
        b: the Laplace scale of x.
        sigma: the noise σ.
        half_width: the grid covers [−half_width, half_width].
        n_grid: the number of grid points.

    Returns:
        ``(mean, median)``, one value per ``y``.
    """
    ys = np.asarray(y, dtype=np.float64)
    spacing = 2 * half_width / (n_grid - 1)
    if spacing > min(b, sigma) / 10:
        raise ValueError(
            f"the grid spacing 2·half_width/(n_grid − 1) = {spacing:.3g} must be at most "
            f"min(b, sigma)/10 = {min(b, sigma) / 10:.3g}: raise n_grid"
        )
    if np.max(np.abs(ys)) > half_width - 10 * sigma:
        raise ValueError(
            f"max |y| = {np.max(np.abs(ys)):.3g} must be at most half_width − 10·sigma = "
            f"{half_width - 10 * sigma:.3g}: the posterior would be cut by the grid"
        )
    grid = np.linspace(-half_width, half_width, n_grid)
    # sigma * sigma, not sigma**2: the same float, but inf rather than OverflowError for a huge σ
    log_post = -np.abs(grid)[None, :] / b - (ys[:, None] - grid[None, :]) ** 2 / (2 * sigma * sigma)
    w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    z = trapezoid(w, grid, axis=1)
    mean = trapezoid(w * grid[None, :], grid, axis=1) / z
    cdf = cumulative_trapezoid(w, grid, axis=1, initial=0.0) / z[:, None]
    median = np.array([np.interp(0.5, c, grid) for c in cdf])
    return mean, median
