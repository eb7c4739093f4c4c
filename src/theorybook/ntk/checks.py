"""The chapter's exact checks: identities of the implementation, each as a worst-case error.

The duals against Monte Carlo and their Hermite series, the exponent ``α`` of the designed
activations, the NTK recursion against its unrolled form, a NumPy loop and Cho & Saul's
arc-cosine kernels, and the analytic diagonal :eq:`ntk-diagonal` against the recursion run from
the rounding errors ``x·x`` can carry.
"""

from __future__ import annotations

import math

import numpy as np

from theorybook.ntk.config import Config
from theorybook.ntk.data import dirichlet_setting, dirichlet_sphere_data, sphere_points
from theorybook.ntk.dual import (
    D_OPTIMAL,
    DESIGNED_ACTIVATIONS,
    NAMED_ACTIVATIONS,
    float64,
    resolve_activation,
    singular_exponent,
)
from theorybook.ntk.estimates import hermite_coefficients, monte_carlo_dual
from theorybook.ntk.kernels import (
    COINCIDE_TOL,
    depth_recursion,
    nngp_kernel,
    ntk_diagonal,
    ntk_kernel,
)
from theorybook.ntk.reference import nngp_kernel_numpy, ntk_kernel_numpy, ntk_kernel_unrolled
from theorybook.ntk.results import ExactChecks
from theorybook.reporting import progress as progress_bar

__all__ = ["MC_EXCLUDED", "rounded_diagonal", "run_exact_checks"]

MC_EXCLUDED = ("2d_opt",)
"""Left out of the Monte-Carlo check: ``φ(u)φ(v)`` of degree 14 is so heavy-tailed that the
sample standard error is unreliable; its Hermite coefficients are checked by quadrature."""


def _relu_angle_form(xi: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Cho & Saul's arc-cosine kernels in angle form (arctan2), the ReLU NNGP and NTK."""
    sigma, k = xi.copy(), xi.copy()
    for _ in range(depth):
        theta = np.arctan2(np.sqrt(np.maximum(1.0 - sigma**2, 0.0)), sigma)
        new_sigma = (np.sin(theta) + (math.pi - theta) * np.cos(theta)) / math.pi
        k = new_sigma + k * (math.pi - theta) / math.pi
        sigma = new_sigma
    return sigma, k


def rounded_diagonal(depth: int, activation: str) -> np.ndarray:
    """The NTK recursion started one to three rounding errors below ξ = 1 (no diagonal fix)."""
    import jax.numpy as jnp

    act = resolve_activation(activation)
    start = 1.0 - np.arange(1, 4) * np.finfo(np.float64).epsneg
    with float64():
        xi = jnp.asarray(start)
        _, k = depth_recursion(xi, xi, depth, act, ntk=True)
        return np.array(k, dtype=np.float64)


def run_exact_checks(cfg: Config, *, progress: bool = False) -> ExactChecks:
    """Duals against Monte Carlo and their Hermite series, ``α`` of the designed activations,
    the recursion against its unrolled form and a NumPy loop, and the analytic diagonal."""
    names = tuple(n for n in NAMED_ACTIVATIONS + ("hermite_3",) if n not in MC_EXCLUDED)
    grid = np.linspace(-0.95, 0.95, 9)
    dual_err, z_dual, z_slope = 0.0, 0.0, 0.0
    for name in progress_bar(names, desc="duals vs Monte Carlo", disable=not progress):
        act = resolve_activation(name)
        dual_err = max(dual_err, abs(float(act.dual(np.float64(1.0))) - 1.0))
        exact = np.asarray(act.dual(grid), dtype=np.float64)
        slope = np.asarray(act.dual_prime(grid), dtype=np.float64)
        mean, err = monte_carlo_dual(act.phi_numpy, grid, samples=cfg.mc_samples, seed=cfg.seed)
        z_dual = max(z_dual, float(np.max(np.abs(mean - exact) / err)))
        mean, err = monte_carlo_dual(
            act.phi_prime_numpy, grid, samples=cfg.mc_samples, seed=cfg.seed + 1
        )
        z_slope = max(z_slope, float(np.max(np.abs(mean - slope) / err)))
    poly_err = 0.0
    for name in (*D_OPTIMAL, "hermite_2", "hermite_3"):
        act = resolve_activation(name)
        recovered = hermite_coefficients(act.phi_numpy, len(act.coefficients) + 2, nodes=40)
        padded = np.zeros_like(recovered)
        padded[: len(act.coefficients)] = act.coefficients
        poly_err = max(poly_err, float(np.max(np.abs(recovered - padded))))
    series_err = 0.0
    for name in ("erf", "sine_1", "sine_2.676"):
        act = resolve_activation(name)
        coeffs = hermite_coefficients(act.phi_numpy, 60, nodes=150)
        closed = np.asarray(act.dual(grid), dtype=np.float64)
        series = np.polynomial.polynomial.polyval(grid, coeffs**2)
        series_err = max(series_err, float(np.max(np.abs(series - closed))))
    exponents = {name: singular_exponent(name) for name in DESIGNED_ACTIVATIONS}
    exponent_err = max(abs(exponents[n] - (d - 1)) for n, d in DESIGNED_ACTIVATIONS.items())

    X = sphere_points(40, 3, cfg.seed)
    xi = np.clip(X @ X.T, -1.0, 1.0)
    depth = 12
    sigma_ref, k_ref = _relu_angle_form(xi, depth)
    k_ref[xi >= 1 - COINCIDE_TOL] = ntk_diagonal(depth, "relu")
    sigma_ref[xi >= 1 - COINCIDE_TOL] = 1.0
    angle_err = max(
        float(np.max(np.abs(nngp_kernel(X, X, depth, "relu") - sigma_ref))),
        float(np.max(np.abs(ntk_kernel(X, X, depth, "relu") - k_ref)) / (depth + 1)),
    )
    unrolled_err, numpy_err = 0.0, 0.0
    for name in ("relu", "erf", "3d_opt", "hermite_2"):
        k = ntk_kernel(X, X, depth, name)
        scale = float(np.max(np.abs(k)))
        unrolled_err = max(
            unrolled_err, float(np.max(np.abs(k - ntk_kernel_unrolled(X, X, depth, name)))) / scale
        )
        numpy_err = max(
            numpy_err,
            float(np.max(np.abs(k - ntk_kernel_numpy(X, X, depth, name)))) / scale,
            float(
                np.max(
                    np.abs(nngp_kernel(X, X, depth, name) - nngp_kernel_numpy(X, X, depth, name))
                )
            ),
        )
    data = dirichlet_sphere_data(400, *dirichlet_setting(3), seed=cfg.seed)
    diag_depth = 100
    target = ntk_diagonal(diag_depth, "3d_opt")
    fixed = np.diag(ntk_kernel(data.X, data.X, diag_depth, "3d_opt"))
    naive = rounded_diagonal(diag_depth, "3d_opt")
    return ExactChecks(
        dual_at_one_error=dual_err,
        mc_max_z_dual=z_dual,
        mc_max_z_slope=z_slope,
        hermite_series_error=series_err,
        polynomial_coefficient_error=poly_err,
        exponents=exponents,
        exponent_error=exponent_err,
        relu_angle_form_error=angle_err,
        unrolled_error=unrolled_err,
        numpy_error=numpy_err,
        diagonal_error_fixed=float(np.max(np.abs(fixed - target)) / target),
        diagonal_error_naive=float(np.max(np.abs(naive - target)) / target),
        diagonal_depth=diag_depth,
    )
