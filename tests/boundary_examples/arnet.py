"""Valid calls of theorybook.arnet's public callables that the signature alone cannot give.

The series must be long enough for the model order (``2p + 1`` values) and not constant; the
pipeline (``run_all``, ``chapter_claims``) runs on a tiny config of one seed, one epoch and short
series, so that one call takes about a second.
"""

from __future__ import annotations

import functools

import numpy as np
from malformed import call

from theorybook.arnet import (
    Config,
    Dense,
    Results,
    SmallData,
    SparseOrder,
    Sunspots,
    Sweeps,
    Timing,
    Training,
    generate_ar,
    run_all,
)


@functools.cache
def _cached_series() -> np.ndarray:
    return generate_ar([0.5, -0.2], 64, seed=0)


def _series() -> np.ndarray:
    return _cached_series().copy()


@functools.cache
def _tiny_config() -> Config:
    return Config(
        seeds=1,
        test_n=50,
        dense=Dense(orders=(3,), n_train=200, epochs=1),
        sparse=SparseOrder(
            orders=(3, 4),
            n_train=200,
            epochs=1,
            sweep_order=6,
            sweep_factors=(1.0, 2.0),
            sweep_seeds=1,
        ),
        small=SmallData(seeds=1, n_train=100, order=10, epochs=1),
        sweeps=Sweeps(seeds=1, c_values=(0.05,), lrs=(0.01,)),
        timing=Timing(orders=(3, 4), n=200, repeats=1, epochs=1, autoreg=False),
        sunspots=Sunspots(order=2, epochs=1, seeds=1, n_test=10),
    )


@functools.cache
def _tiny_results() -> Results:
    return run_all(_tiny_config())


EXAMPLES = {
    "fit_arnet": lambda: call(_series(), 2, 0.5, 1, training=Training(batch_size=32), seed=1),
    "fit_autoreg": lambda: call(_series(), 2),
    "fit_least_squares": lambda: call(_series(), 2),
    "fit_top_k_least_squares": lambda: call(_series(), 3, 1),
    "lag_matrix": lambda: call(_series(), 2),
    "paper_c_lambda": lambda: call(_series(), 2),
    "one_step_mse": lambda: call(_series(), np.array([0.5, -0.2]), 0.1),
    "run_all": lambda: call(_tiny_config()),
    "chapter_claims": lambda: call(_tiny_results(), _tiny_config()),
}

NOT_DRIVEN: dict[str, str] = {}
