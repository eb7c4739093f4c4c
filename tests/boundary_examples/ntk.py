"""Valid calls of chapter 4's public callables (theorybook.ntk) for the malformed-input test."""

from __future__ import annotations

import functools
import math

import numpy as np
from malformed import Call, call

from theorybook.ntk import Config, Results, log_nngp_kernel, run_all
from theorybook.ntk.config import (
    Consistency,
    Hilbert,
    OfficialSettings,
    Taxonomy,
    Timing,
    Training,
    Width,
)

_HALF = math.sqrt(0.5)


def _sphere(n: int, dim: int = 3, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim))
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def _labels(n: int, seed: int = 1) -> np.ndarray:
    return np.where(np.random.default_rng(seed).random(n) < 0.5, -1.0, 1.0)


def _coefficients() -> np.ndarray:
    """The Hermite coefficients of ``3d_opt``, as an array (so that they get mutated too)."""
    return np.array([0.0, _HALF, 0.0, _HALF])


def _kernel_call() -> Call:
    return call(_sphere(5), _sphere(4, seed=1), 3, "erf")


def _gram_call() -> Call:
    return call(_sphere(5), 3, "relu")


def _classifier_call() -> Call:
    X, Z = _sphere(6), _sphere(4, seed=1)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0])
    k_train, k_test = np.exp(-3.0 * (1 - X @ X.T)), np.exp(-3.0 * (1 - Z @ X.T))  # (m, n)
    return call(k_train, y, k_test)


def _points_call() -> Call:
    return call(_sphere(6), _labels(6), _sphere(4, seed=1))


def _log_kernel() -> Call:
    k = log_nngp_kernel(_sphere(4), _sphere(3, seed=1), 2, "hermite_2")
    return call(sign=k.sign.copy(), log_abs=k.log_abs.copy())


@functools.cache
def _tiny_config() -> Config:
    """Every experiment of the chapter at a few points each (seconds, mostly compilation)."""
    return Config(
        mc_samples=1000,
        taxonomy=Taxonomy(
            n_train=10, n_test=10, seeds=(0,), relu_depths=(1, 2), hermite_depths=(1, 2)
        ),
        hilbert=Hilbert(n_train=20, n_test=20, depths=(10, 60), ntk_depth=5),
        consistency=Consistency(ns=(10, 20), n_test=20, seeds=(0,)),
        official=OfficialSettings(dims=(3,), n=20, n_test=20),
        width=Width(widths=(8, 16), seeds=(0,), points=4, depth=2),
        training=Training(n=10, n_test=10, widths=(8, 16), seeds=(0,), steps=3),
        timing=Timing(n=10, depth=2, repeats=1),
    )


@functools.cache
def _tiny_results() -> Results:
    return run_all(_tiny_config())


EXAMPLES = {
    "Activation": lambda: call(name="custom", family="hermite", coefficients=(0.0, 0.6, 0.0, 0.8)),
    "LogKernel": _log_kernel,
    "agreement": lambda: call(_labels(8), _labels(8, seed=2)),
    "bayes_classifier": lambda: call(np.abs(_sphere(5)), (0.5, 0.5, 2.5), (2.5, 0.1, 0.5), 0.4),
    "chapter_claims": lambda: call(_tiny_results(), _tiny_config()),
    "deep_limit": lambda: call(_coefficients()),
    "dirichlet_sphere_data": lambda: call(12, (1.0, 2.0), (2.0, 1.0), 0.4, 3),
    "dual_activation": lambda: call(_coefficients()),
    "empirical_nngp": lambda: call(_sphere(4), _sphere(3, seed=1), 2, "erf", width=8, seed=1),
    "hermite_coefficients": lambda: call(np.tanh, 4, nodes=20),
    "hilbert_classifier": lambda: call(*_points_call().args, 2.0),
    "hilbert_classifiers": lambda: call(*_points_call().args, (1.0, 2.0)),
    "kernel_classifier": _classifier_call,
    "kernel_gradient_descent": lambda: call(
        *_points_call().args, "erf", steps=3, learning_rate=0.5
    ),
    "kernel_scores": _classifier_call,
    "kernel_sweep": lambda: call(_sphere(5), _sphere(4, seed=1), (1, 3), "relu", kernel="nngp"),
    "log_nngp_kernel": lambda: call(_sphere(5), _sphere(4, seed=1), 3, _coefficients()),
    "majority_vote": lambda: call(_labels(7), 3),
    "monte_carlo_dual": lambda: call(np.tanh, np.array([-0.5, 0.0, 0.9]), samples=64, seed=2),
    "nngp_gram": _gram_call,
    "nngp_kernel": _kernel_call,
    "nngp_kernel_numpy": _kernel_call,
    "ntk_diagonal": lambda: call(4, _coefficients()),
    "ntk_gram": _gram_call,
    "ntk_kernel": lambda: call(_sphere(5), _sphere(4, seed=1), 3, "3d_opt", normalized=True),
    "ntk_kernel_numpy": _kernel_call,
    "ntk_kernel_unrolled": _kernel_call,
    "one_nn": _points_call,
    "resolve_activation": lambda: call(_coefficients()),
    "run_all": lambda: call(_tiny_config()),
    "singular_exponent": lambda: call(_coefficients()),
    "train_network": lambda: call(
        *_points_call().args, "erf", width=8, steps=2, learning_rate=0.5, seed=1
    ),
}

NOT_DRIVEN: dict[str, str] = {}
