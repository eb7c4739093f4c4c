"""The 1-D Laplacian denoising problem and its three Bayes denoisers (chapter 3; the official README's Laplacian experiment).

x ~ Laplace(0, b), y = x + σ·N(0, 1). The posterior is ``p(x | y) ∝ exp(−|x|/b − (y − x)²/(2σ²))``, and

* MAP (the target of proximal matching): soft-thresholding at σ²/b, the prox of ``(σ²/b)|x|``;
* MMSE E[x | y] (the ℓ₂ minimiser) and the posterior median (the ℓ₁ minimiser): computed here
  by trapezoid quadrature on a fine grid (``scipy.integrate``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import cumulative_trapezoid, trapezoid

from theorybook.validation import array, int_in_range, positive_real, real

__all__ = ["laplace_posterior_stats", "soft_threshold"]


def soft_threshold(y: ArrayLike, tau: float = 1.0) -> NDArray[np.float64]:
    """``sign(y)·max(|y| − τ, 0)``, the prox of ``τ|·|`` and the MAP denoiser of the Laplace toy."""
    tau = real("tau", tau, low=0.0)
    arr = array("y", y, min_size=0)
    return np.sign(arr) * np.maximum(np.abs(arr) - tau, 0.0)


def laplace_posterior_stats(
    y: ArrayLike,
    *,
    b: float = 1.0,
    sigma: float = 1.0,
    half_width: float = 30.0,
    n_grid: int = 20001,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(posterior mean, posterior median) of x given y for the Laplace toy, by quadrature.

    The trapezoid grid has ``n_grid`` points on [−half_width, half_width]. It must resolve the
    posterior (spacing at most min(b, σ)/10) and contain it: every ``|y|`` must lie at least
    10·σ inside the grid, or ``ValueError`` says which bound is violated.

    Arguments:
        y: the observations.
        b: the Laplace scale of x.
        sigma: the noise σ.
        half_width: the grid covers [−half_width, half_width].
        n_grid: the number of grid points.

    Returns:
        ``(mean, median)``, one value per ``y``.
    """
    b, sigma = positive_real("b", b), positive_real("sigma", sigma)
    half_width = positive_real("half_width", half_width)
    n_grid = int_in_range("n_grid", n_grid, low=3)
    ys = np.atleast_1d(array("y", y))
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
    log_post = -np.abs(grid)[None, :] / b - (ys[:, None] - grid[None, :]) ** 2 / (2 * sigma**2)
    w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    z = trapezoid(w, grid, axis=1)
    mean = trapezoid(w * grid[None, :], grid, axis=1) / z
    cdf = cumulative_trapezoid(w, grid, axis=1, initial=0.0) / z[:, None]
    median = np.array([np.interp(0.5, c, grid) for c in cdf])
    return mean, median
