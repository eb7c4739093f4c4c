"""One valid call of each public callable of ``theorybook.rae`` that its signature cannot give.

The rest (the settings blocks, the two model classes, ``NinjaStar``, the spiral functions,
``load_digits_split``, ``bimodal_mixture``) are synthesised from their annotations.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from malformed import call

from theorybook.rae import (
    GAUSSIAN_COV,
    Config,
    GaussianMixture,
    Results,
    Sampler,
    ScoreAutoencoder,
    Training,
    bimodal_mixture,
    run_all,
)


@functools.cache
def _model() -> ScoreAutoencoder:
    torch.manual_seed(0)
    return ScoreAutoencoder(2, hidden=8, sigma=0.1)


def _points(n: int = 8, d: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


@functools.cache
def _mixture_2d() -> GaussianMixture:
    return GaussianMixture(np.array([[0.5, -0.5], [-1.0, 0.0]]), [0.7, 0.4], [0.5, 0.5])


@functools.cache
def _config() -> Config:
    """The smallest configuration that runs every experiment (a few seconds in all)."""
    tiny_training = Training(steps=2, batch_size=16)
    return Config.preset("smoke").replace(
        **{
            "network.hidden": 8,
            "mixture.n_train": 100,
            "mixture.grid": 21,
            "mixture.training": tiny_training,
            "mixture.sampler": Sampler(chains=10, steps=10, burn_in=2),
            "linear.n_train": 100,
            "linear.training": tiny_training,
            "spiral.n_train": 100,
            "spiral.grid": 5,
            "spiral.training": tiny_training,
            "star.runs": 2,
            "star.reference": 30,
            "star.n_train": 100,
            "star.training": tiny_training,
            "star.sampler": Sampler(chains=20, steps=5, proposal_std=0.5),
            "digits.network.hidden": 8,
            "digits.training": tiny_training,
            "digits.sampler": Sampler(chains=2, steps=4, proposal_std=0.02, langevin_step=0.002),
            "digits.timing_batch": 2,
            "digits.n_shown": 2,
        }
    )


@functools.cache
def _results() -> Results:
    return run_all(_config())


EXAMPLES = {
    "GaussianMixture": lambda: call(
        np.array([[-1.0, 0.0], [1.0, 0.5]]), np.array([0.3, 0.5]), np.array([0.4, 0.6])
    ),
    "dae_loss": lambda: call(_model(), torch.randn(8, 2), 0.1),
    "rcae_loss": lambda: call(_model(), torch.randn(8, 2), 0.1),
    "jacobian_terms": lambda: call(_model(), torch.randn(8, 2)),
    "optimal_linear_reconstruction": lambda: call(GAUSSIAN_COV.copy(), 0.5),
    "linear_criterion_gradient": lambda: call(0.5 * np.eye(2), GAUSSIAN_COV.copy(), 0.5),
    "rcae_optimum_1d": lambda: call(bimodal_mixture(), 0.1, nodes=2001),
    "rcae_criterion_1d": lambda: call(
        bimodal_mixture(), 0.1, np.linspace(-4.0, 4.0, 401), np.zeros(401)
    ),
    "estimated_score": lambda: call(_model(), _points()),
    "estimated_hessian": lambda: call(_model(), _points()),
    "train_autoencoder": lambda: call(
        ScoreAutoencoder(2, hidden=4),
        _points(16),
        sigma_schedule=(0.3, 0.1),
        training=Training(steps=2, batch_size=8),
    ),
    "integrated_log_ratio": lambda: call(
        _mixture_2d().score, _points(6), _points(6, seed=1), n_points=3
    ),
    "approximate_mh": lambda: call(bimodal_mixture().score, np.zeros((4, 1)), 3, 0.5, 0),
    "exact_mh": lambda: call(bimodal_mixture().log_prob, np.zeros((4, 1)), 3, 0.5, 0),
    "langevin_mh": lambda: call(bimodal_mixture().score, np.zeros((4, 1)), 3, 0.05, 0),
    "knn_kl_divergence": lambda: call(_points(20), _points(15, seed=1), k=3),
    "run_all": lambda: call(_config()),
    "chapter_claims": lambda: call(_results(), _config()),
}

NOT_DRIVEN: dict[str, str] = {}
