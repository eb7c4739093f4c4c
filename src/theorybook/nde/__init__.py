"""Chapter 7: regularizing internal solver heuristics of neural ODEs (Pal, Ma, Shah & Rackauckas 2021).

An adaptive Runge–Kutta solver computes, at every step and for free, a local error estimate and a
stiffness estimate. Adding them to the loss (ERNODE, SRNODE) trains dynamics that the solver
integrates in fewer steps. Implemented twice, without changing the libraries' solvers:

* PyTorch: :func:`~theorybook.nde.solver_torch.regularized_odeint` records the regularizers inside
  torchdiffeq's ``dopri5`` through its norm and step callbacks;
* JAX: :func:`~theorybook.nde.solver_jax.regularized_diffeqsolve` wraps a diffrax solver whose state
  accumulates them; :func:`~theorybook.nde.solver_jax.taynode_regularizer` is the TayNODE baseline.

The JAX part lives in :mod:`theorybook.nde.solver_jax` and :mod:`theorybook.nde.train_jax`, imported on
demand (``from theorybook.nde import regularized_diffeqsolve`` imports JAX). A latent ODE on
irregularly sampled spirals (:mod:`~theorybook.nde.latent`) stands in for the paper's Physionet model;
:mod:`~theorybook.nde.sde` fits the paper's toy neural SDE with diffrax's adaptive SPaRK solver.
"""

from typing import Any

from theorybook.nde.config import Config
from theorybook.nde.latent import LatentODE, LatentRun, SpiralData, make_spirals, train_latent_ode
from theorybook.nde.solver_torch import (
    DOPRI5_STABILITY_SIZE,
    SolveStats,
    regularized_odeint,
    stability_size,
)
from theorybook.nde.train_torch import (
    METHODS,
    ClassificationData,
    NODEClassifier,
    NodeRun,
    ODEFunc,
    lambda_schedule,
    make_circles_data,
    make_digits_data,
    train_node,
)

_JAX_NAMES = {
    "JaxSolveStats": "solver_jax",
    "RegularizedSolver": "solver_jax",
    "regularized_diffeqsolve": "solver_jax",
    "taynode_regularizer": "solver_jax",
    "taylor_derivative": "solver_jax",
    "train_node_jax": "train_jax",
    "JaxNodeRun": "train_jax",
    "ErrorRegularizedSolver": "sde",
    "SDEData": "sde",
    "SDERun": "sde",
    "make_sde_data": "sde",
    "solve_sde": "sde",
    "train_neural_sde": "sde",
}


def __getattr__(name: str) -> Any:
    if name in _JAX_NAMES:
        import importlib

        return getattr(importlib.import_module(f"theorybook.nde.{_JAX_NAMES[name]}"), name)
    raise AttributeError(f"module 'theorybook.nde' has no attribute {name!r}")


__all__ = [
    "DOPRI5_STABILITY_SIZE",
    "METHODS",
    "ClassificationData",
    "Config",
    "ErrorRegularizedSolver",
    "JaxNodeRun",
    "JaxSolveStats",
    "LatentODE",
    "LatentRun",
    "NODEClassifier",
    "NodeRun",
    "ODEFunc",
    "RegularizedSolver",
    "SDEData",
    "SDERun",
    "SolveStats",
    "SpiralData",
    "lambda_schedule",
    "make_circles_data",
    "make_digits_data",
    "make_sde_data",
    "make_spirals",
    "regularized_diffeqsolve",
    "regularized_odeint",
    "solve_sde",
    "stability_size",
    "taylor_derivative",
    "taynode_regularizer",
    "train_latent_ode",
    "train_neural_sde",
    "train_node",
    "train_node_jax",
]
