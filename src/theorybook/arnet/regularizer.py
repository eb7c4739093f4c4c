"""AR-Net's sparsity regulariser (chapter 6, {cite}`triebe2019arnet` §3.3.1) and its weight.

The regulariser (:eq:`arnet-reg`) is

.. math::  R(\\theta) = \\frac1p \\sum_{i=1}^p \\Big[\\frac{2}{1 + \\exp(-c_1 |\\theta_i|^{1/c_2})}
           - 1\\Big] \\qquad (c_1 = c_2 = 3),

weighted by :math:`\\lambda(s) = c_\\lambda (1/s - 1)` (:eq:`arnet-lambda`), where ``s`` is the
user's estimate of the fraction of non-zero coefficients; training ramps :math:`\\lambda` up
(:func:`lambda_ramp`). The paper's rule for the constant is :math:`c_\\lambda = \\sqrt{\\hat L}/100`
(:func:`paper_c_lambda`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from jaxtyping import Float, Real
from numpy.typing import NDArray
from torch import Tensor

from theorybook.arnet.config import Density, Ramp, Regularizer
from theorybook.arnet.data import Series, _lag_matrix, _series, _standardise
from theorybook.boundary import (
    FiniteReal,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    checked,
)
from theorybook.validation import array

__all__ = [
    "lambda_max",
    "lambda_ramp",
    "lambda_schedule",
    "paper_c_lambda",
    "penalty",
    "regularizer_derivative",
    "regularizer_gradient",
    "regularizer_terms",
    "sparsity_regularizer",
]


Weights = Real[np.ndarray, "*shape"] | FiniteReal
"""Weights for the NumPy forms of the regulariser: a number or an array (up to two dimensions)."""
Terms = Float[np.ndarray, "*shape"] | float
"""Their elementwise value: an array shaped like the weights (a number for a number)."""


@checked
def regularizer_terms(
    theta: Weights, c1: PositiveReal = Regularizer.c1, c2: PositiveReal = Regularizer.c2
) -> Terms:
    """Per-weight penalty :math:`r(\\theta) = 2/(1 + e^{-c_1 |\\theta|^{1/c_2}}) - 1
    = \\tanh(c_1|\\theta|^{1/c_2}/2)`.

    The summand of :eq:`arnet-reg`; NumPy version for plots and tables
    (:func:`sparsity_regularizer` is the differentiable mean). ``theta`` must be finite.

    Arguments:
        theta: weights (a number or an array of up to two dimensions).
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.

    Returns:
        :math:`r(\\theta)` elementwise, in ``[0, 1]`` (1 once :math:`c_1|\\theta|^{1/c_2}` is
        large enough that the exponential underflows).
    """
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    with np.errstate(over="ignore", under="ignore"):
        return 2.0 / (1.0 + np.exp(-c1 * x ** (1.0 / c2))) - 1.0


@checked(finite_result=False)
def regularizer_derivative(
    theta: Weights, c1: PositiveReal = Regularizer.c1, c2: PositiveReal = Regularizer.c2
) -> Terms:
    """:math:`r'(|\\theta|) = 2\\sigma(1-\\sigma)\\,\\frac{c_1}{c_2}\\,|\\theta|^{1/c_2 - 1}` with
    :math:`\\sigma = 1/(1 + e^{-c_1|\\theta|^{1/c_2}})` (:eq:`arnet-dreg`).

    ``+inf`` at 0 when ``c2 > 1`` (the root's slope; the result is checked for NaN only, not for
    that meaningful infinity). ``theta`` must be finite.

    Arguments:
        theta: weights (a number or an array of up to two dimensions).
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.

    Returns:
        :math:`r'(|\\theta|)` elementwise.

    Raises:
        ValueError: when the formula has no value (NaN) at a weight: constants so extreme that
            :math:`c_1/c_2` or a power overflows (say ``c2 = 1e-310``) meet a factor that
            underflows to 0.
    """
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        u = x ** (1.0 / c2)
        sig = 1.0 / (1.0 + np.exp(-c1 * u))
        out = 2.0 * sig * (1.0 - sig) * (c1 / c2) * x ** (1.0 / c2 - 1.0)
    if np.any(np.isnan(out)):
        raise ValueError(
            f"regularizer_derivative has no finite value at some weights for c1 = {c1:g}, "
            f"c2 = {c2:g}: c1/c2 or |theta|^(1/c2) overflows while another factor underflows"
        )
    return out


@checked
def sparsity_regularizer(
    theta: Float[Tensor, "*shape"],
    c1: PositiveReal = Regularizer.c1,
    c2: PositiveReal = Regularizer.c2,
    eps: NonNegativeReal = Regularizer.eps,
) -> Float[Tensor, ""]:
    """The paper's sparsity regulariser :math:`R(\\theta)`, the mean of :func:`regularizer_terms`
    at :math:`|\\theta| + \\varepsilon`.

    ``theta`` is any tensor of weights (the mean runs over all entries, ``p`` of them for AR-Net's
    single layer). ``eps`` is added to ``|theta|`` before the root so that the gradient at exactly
    zero is large but finite; the default is the chapter's training value
    (:attr:`Regularizer.eps <theorybook.arnet.config.Regularizer>`), and ``eps=0`` gives the
    paper's formula :eq:`arnet-reg`.

    Arguments:
        theta: a floating-point tensor of weights, finite and not empty.
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.
        eps: the shift :math:`\\varepsilon \\ge 0`.

    Returns:
        The scalar tensor :math:`R(\\theta)`, differentiable in ``theta``.

    Raises:
        TypeError: unless ``theta`` is a floating-point tensor.
        ValueError: if it is empty or holds NaN/inf, or for non-positive ``c1``, ``c2`` or
            negative ``eps``.
    """
    return penalty(theta, c1, c2, eps)


def penalty(
    theta: Any, c1: Any, c2: Any, eps: Any, *, sigmoid: Callable[[Any], Any] = torch.sigmoid
) -> Any:
    """:func:`sparsity_regularizer` without the argument checks, for the training loops.

    One formula for both trainers: ``theta`` is a torch tensor (the default ``sigmoid``) or a
    JAX array (with ``sigmoid=jax.nn.sigmoid``, inside the jitted fit of
    :mod:`theorybook.arnet.scan`; the constants may then be traced scalars).

    Arguments:
        theta: a floating-point tensor (or JAX array) of weights.
        c1: the steepness constant.
        c2: the root constant.
        eps: the shift added to ``|theta|``.
        sigmoid: the logistic function of ``theta``'s array library.

    Returns:
        The scalar :math:`R(\\theta)` at :math:`|\\theta| + \\varepsilon`.
    """
    u = (abs(theta) + eps) ** (1.0 / c2)
    return (2.0 * sigmoid(c1 * u) - 1.0).mean()


@checked
def regularizer_gradient(
    theta: Float[Tensor, "*shape"],
    c1: PositiveReal = Regularizer.c1,
    c2: PositiveReal = Regularizer.c2,
    eps: NonNegativeReal = Regularizer.eps,
) -> Float[Tensor, "*shape"]:
    """The gradient :math:`\\nabla_\\theta R(\\theta)` of :func:`sparsity_regularizer` by autograd
    (``torch.autograd.grad``; ``theta`` itself is left without a ``.grad``).

    At exactly zero the gradient is 0: autograd takes :math:`\\operatorname{sign}(0) = 0` there
    (with ``eps = 0`` the root's infinite slope times that 0 is NaN in autograd, so zero weights
    are set to the subgradient 0 explicitly).

    Arguments:
        theta: a floating-point tensor of weights, finite and not empty.
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.
        eps: the shift :math:`\\varepsilon \\ge 0`.

    Returns:
        A tensor shaped like ``theta``: :math:`\\operatorname{sign}(\\theta_i)\\,
        r'(|\\theta_i| + \\varepsilon)/p`.

    Raises:
        NonFiniteResult: (:mod:`theorybook.boundary`) when the gradient has no finite value:
            constants so extreme (``c2`` near 0, ``c1`` near the largest float) that a factor of
            :math:`r'` overflows while another underflows.
    """
    x = theta.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(penalty(x, c1, c2, eps), x)
    return torch.where(x.detach() == 0, torch.zeros_like(grad), grad)


@checked
def lambda_max(sparsity: Density | None, c_lambda: NonNegativeReal) -> float:
    """:math:`\\lambda(s) = c_\\lambda (1/s - 1)` (:eq:`arnet-lambda`, paper §3.3.1); 0 when
    ``sparsity`` is ``None`` or 1.

    ``sparsity`` is the estimated density of non-zero weights, in (0, 1]; ``c_lambda >= 0``.
    A ``sparsity`` so small (or ``c_lambda`` so large) that :math:`\\lambda` overflows raises
    ``ValueError`` naming both.
    """
    if sparsity is None:
        return 0.0
    lam = c_lambda * (1.0 / sparsity - 1.0)
    if not math.isfinite(lam):
        raise ValueError(
            f"lambda(s) = c_lambda (1/s - 1) overflows for sparsity = {sparsity:g} and "
            f"c_lambda = {c_lambda:g}"
        )
    return lam


@checked
def lambda_ramp(
    progress: Probability,
    lam: NonNegativeReal,
    ramp: Ramp = Regularizer.ramp,
    ramp_end: Density = Regularizer.ramp_end,
) -> float:
    """Regularisation weight at training ``progress`` in [0, 1] (the warm-up of the official code).

    The ramp is defined over training only: a ``progress`` past its end (above 1) or before its
    start is refused (``ValueError`` naming ``progress``), never extrapolated.

    ``"quadratic"`` (AR-Net v1.2): :math:`\\lambda \\min(1, t/t_e)^2`, reaching ``lam`` at
    ``ramp_end`` (default half of training). ``"linear"`` (v0.1, NeuralProphet): :math:`\\lambda
    \\min(1, t/t_e)`. ``"none"``: ``lam`` throughout. ``lam`` must be finite and ``>= 0``.

    Arguments:
        progress: the fraction of training done, in ``[0, 1]``.
        lam: the full weight :math:`\\lambda` (:func:`lambda_max`).
        ramp: ``"quadratic"``, ``"linear"`` or ``"none"``.
        ramp_end: the fraction of training at which the ramp reaches ``lam``, in ``(0, 1]``.

    Returns:
        The weight at ``progress``.
    """
    frac = min(1.0, progress / ramp_end)
    if ramp == "quadratic":
        return lam * frac**2
    if ramp == "linear":
        return lam * frac
    return lam


@checked
def lambda_schedule(
    total_steps: PositiveInt,
    lam_top: NonNegativeReal,
    *,
    regularizer: Regularizer = Regularizer(),
) -> Float[np.ndarray, " steps"]:
    """:func:`lambda_ramp` at every step ``t / total_steps``, ``t = 0 … total_steps - 1``,
    vectorised (the weight each training step uses).

    Arguments:
        total_steps: the number of optimiser steps.
        lam_top: the full weight :math:`\\lambda` (:func:`lambda_max`).
        regularizer: the ramp's shape and end (``ramp``, ``ramp_end``).

    Returns:
        The ``total_steps`` weights (the schedule has no entry past its end: index
        ``total_steps`` does not exist).
    """
    return _lambda_schedule(total_steps, lam_top, regularizer)


def _lambda_schedule(
    total_steps: int, lam_top: float, regularizer: Regularizer
) -> NDArray[np.float64]:
    """:func:`lambda_schedule` on checked arguments (what :func:`fit_arnet` calls)."""
    frac = np.minimum(1.0, np.arange(total_steps) / total_steps / regularizer.ramp_end)
    if regularizer.ramp == "quadratic":
        return lam_top * frac**2
    if regularizer.ramp == "linear":
        return lam_top * frac
    return np.full(total_steps, lam_top)


@checked
def paper_c_lambda(series: Series, p: PositiveInt) -> float:
    r"""The paper's rule :math:`c_\lambda = \sqrt{\hat L}/100` (§3.3.1) on the standardised series.

    :math:`\hat L` is the estimated noise variance of the data, taken as the residual mean square
    of a least-squares AR fit of order ``min(p, 100)`` to the standardised series (the loss
    AR-Net is trained on). This is what ``fit_arnet`` uses with ``c_lambda="paper"``.
    """
    return _paper_c_lambda(_series(series, p), p)


def _paper_c_lambda(y: NDArray[np.float64], p: int, residual_ms: float | None = None) -> float:
    r""":func:`paper_c_lambda` of a checked series.

    ``residual_ms``: the residual mean square of a least-squares AR(``p``) fit with intercept to
    ``y`` itself (in the series' units), when the caller has one and ``p <= 100``: least squares
    is affine-equivariant, so on the standardised series that fit's residual mean square is
    ``residual_ms / std²``, the same :math:`\hat L` without a second factorisation.
    """
    z, _, std = _standardise(y)
    q = min(p, 100)
    if residual_ms is not None and q == p:
        return math.sqrt(residual_ms / std**2) / 100.0
    design = np.empty((z.size - q, q + 1))
    design[:, 0] = 1.0
    design[:, 1:] = _lag_matrix(z, q)
    beta, *_ = np.linalg.lstsq(design, z[q:], rcond=None)
    loss = float(np.mean((z[q:] - design @ beta) ** 2))
    return math.sqrt(loss) / 100.0
