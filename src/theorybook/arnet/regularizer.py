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

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from theorybook.arnet.config import RAMPS, Ramp, Regularizer
from theorybook.arnet.data import check_series, lag_matrix, standardise
from theorybook.validation import array, one_of, positive_int, positive_real, real, tensor

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


def _check_c(c1: float, c2: float) -> tuple[float, float]:
    return positive_real("c1", c1), positive_real("c2", c2)


def regularizer_terms(
    theta: ArrayLike, c1: float = Regularizer.c1, c2: float = Regularizer.c2
) -> NDArray[np.float64]:
    """Per-weight penalty :math:`r(\\theta) = 2/(1 + e^{-c_1 |\\theta|^{1/c_2}}) - 1
    = \\tanh(c_1|\\theta|^{1/c_2}/2)`.

    The summand of :eq:`arnet-reg`; NumPy version for plots and tables
    (:func:`sparsity_regularizer` is the differentiable mean). ``theta`` must be finite.

    Arguments:
        theta: weights (a number or an array of up to two dimensions).
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.

    Returns:
        :math:`r(\\theta)` elementwise, in ``[0, 1)``.
    """
    c1, c2 = _check_c(c1, c2)
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    return 2.0 / (1.0 + np.exp(-c1 * x ** (1.0 / c2))) - 1.0


def regularizer_derivative(
    theta: ArrayLike, c1: float = Regularizer.c1, c2: float = Regularizer.c2
) -> NDArray[np.float64]:
    """:math:`r'(|\\theta|) = 2\\sigma(1-\\sigma)\\,\\frac{c_1}{c_2}\\,|\\theta|^{1/c_2 - 1}` with
    :math:`\\sigma = 1/(1 + e^{-c_1|\\theta|^{1/c_2}})` (:eq:`arnet-dreg`).

    Infinite at 0 when ``c2 > 1``. ``theta`` must be finite.

    Arguments:
        theta: weights (a number or an array of up to two dimensions).
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.

    Returns:
        :math:`r'(|\\theta|)` elementwise.
    """
    c1, c2 = _check_c(c1, c2)
    x = np.abs(array("theta", theta, ndim=(0, 1, 2)))
    with np.errstate(divide="ignore"):
        u = x ** (1.0 / c2)
        sig = 1.0 / (1.0 + np.exp(-c1 * u))
        return 2.0 * sig * (1.0 - sig) * (c1 / c2) * x ** (1.0 / c2 - 1.0)


def sparsity_regularizer(
    theta: torch.Tensor,
    c1: float = Regularizer.c1,
    c2: float = Regularizer.c2,
    eps: float = Regularizer.eps,
) -> torch.Tensor:
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
    tensor("theta", theta)
    c1, c2 = _check_c(c1, c2)
    eps = real("eps", eps, low=0.0)
    return penalty(theta, c1, c2, eps)


def penalty(theta: torch.Tensor, c1: float, c2: float, eps: float) -> torch.Tensor:
    """:func:`sparsity_regularizer` without the argument checks, for the training loop.

    Arguments:
        theta: a floating-point tensor of weights.
        c1: the steepness constant.
        c2: the root constant.
        eps: the shift added to ``|theta|``.

    Returns:
        The scalar tensor :math:`R(\\theta)` at :math:`|\\theta| + \\varepsilon`.
    """
    u = (theta.abs() + eps) ** (1.0 / c2)
    return (2.0 * torch.sigmoid(c1 * u) - 1.0).mean()


def regularizer_gradient(
    theta: torch.Tensor,
    c1: float = Regularizer.c1,
    c2: float = Regularizer.c2,
    eps: float = Regularizer.eps,
) -> torch.Tensor:
    """The gradient :math:`\\nabla_\\theta R(\\theta)` of :func:`sparsity_regularizer` by autograd
    (``torch.autograd.grad``; ``theta`` itself is left without a ``.grad``).

    At exactly zero autograd takes :math:`\\operatorname{sign}(0) = 0`, so the gradient there is 0.

    Arguments:
        theta: a floating-point tensor of weights, finite and not empty.
        c1: the steepness constant :math:`c_1 > 0`.
        c2: the root constant :math:`c_2 > 0`.
        eps: the shift :math:`\\varepsilon \\ge 0`.

    Returns:
        A tensor shaped like ``theta``: :math:`\\operatorname{sign}(\\theta_i)\\,
        r'(|\\theta_i| + \\varepsilon)/p`.
    """
    x = tensor("theta", theta).detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(sparsity_regularizer(x, c1, c2, eps), x)
    return grad


def lambda_max(sparsity: float | None, c_lambda: float) -> float:
    """:math:`\\lambda(s) = c_\\lambda (1/s - 1)` (:eq:`arnet-lambda`, paper §3.3.1); 0 when
    ``sparsity`` is ``None`` or 1.

    ``sparsity`` is the estimated density of non-zero weights, in (0, 1]; ``c_lambda >= 0``.
    """
    c_lambda = real("c_lambda", c_lambda, low=0.0)
    if sparsity is None:
        return 0.0
    sparsity = real("sparsity", sparsity, low=0.0, high=1.0, low_open=True)
    return c_lambda * (1.0 / sparsity - 1.0)


def lambda_ramp(
    progress: float,
    lam: float,
    ramp: Ramp = Regularizer.ramp,
    ramp_end: float = Regularizer.ramp_end,
) -> float:
    """Regularisation weight at training ``progress`` in [0, 1] (the warm-up of the official code).

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
    progress = real("progress", progress, low=0.0, high=1.0 + 1e-9)
    lam = real("lam", lam, low=0.0)
    ramp_end = real("ramp_end", ramp_end, low=0.0, high=1.0, low_open=True)
    one_of("ramp", ramp, RAMPS)
    frac = min(1.0, progress / ramp_end)
    if ramp == "quadratic":
        return lam * frac**2
    if ramp == "linear":
        return lam * frac
    return lam


def lambda_schedule(
    total_steps: int,
    lam_top: float,
    *,
    regularizer: Regularizer = Regularizer(),
) -> NDArray[np.float64]:
    """:func:`lambda_ramp` at every step ``t / total_steps``, ``t = 0 … total_steps - 1``,
    vectorised (the weight each training step uses).

    Arguments:
        total_steps: the number of optimiser steps.
        lam_top: the full weight :math:`\\lambda` (:func:`lambda_max`).
        regularizer: the ramp's shape and end (``ramp``, ``ramp_end``).

    Returns:
        The ``total_steps`` weights.
    """
    total_steps = positive_int("total_steps", total_steps)
    lam_top = real("lam_top", lam_top, low=0.0)
    frac = np.minimum(1.0, np.arange(total_steps) / total_steps / regularizer.ramp_end)
    if regularizer.ramp == "quadratic":
        return lam_top * frac**2
    if regularizer.ramp == "linear":
        return lam_top * frac
    return np.full(total_steps, lam_top)


def paper_c_lambda(series: ArrayLike, p: int) -> float:
    r"""The paper's rule :math:`c_\lambda = \sqrt{\hat L}/100` (§3.3.1) on the standardised series.

    :math:`\hat L` is the estimated noise variance of the data, taken as the residual mean square
    of a least-squares AR fit of order ``min(p, 100)`` to the standardised series (the loss
    AR-Net is trained on). This is what ``fit_arnet`` uses with ``c_lambda="paper"``.
    """
    y = check_series(series, p)
    z, _, _ = standardise(y)
    q = min(positive_int("p", p), 100)
    design = np.empty((z.size - q, q + 1))
    design[:, 0] = 1.0
    design[:, 1:] = lag_matrix(z, q)
    beta, *_ = np.linalg.lstsq(design, z[q:], rcond=None)
    loss = float(np.mean((z[q:] - design @ beta) ** 2))
    return math.sqrt(loss) / 100.0
