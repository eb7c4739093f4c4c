"""Chapter 7: regularizing internal solver heuristics of neural ODEs (Pal, Ma, Shah & Rackauckas 2021).

An adaptive Runge–Kutta solver computes, at every step and for free, a local error estimate and a
stiffness estimate. Adding them to the loss (ERNODE, SRNODE) trains dynamics that the solver
integrates in fewer steps. Implemented twice, without changing the libraries' solvers:

* PyTorch: :func:`~theorybook.nde.solver_torch.regularized_odeint` records the regularizers inside
  torchdiffeq's ``dopri5`` through its norm and step callbacks;
* JAX: :func:`~theorybook.nde.solver_jax.regularized_diffeqsolve` wraps a diffrax solver whose state
  accumulates them; :func:`~theorybook.nde.solver_jax.taynode_regularizer` is the TayNODE baseline.

TayNODE of order 2 also exists in PyTorch (:mod:`theorybook.nde.taynode_torch`, one forward-mode
Jacobian-vector product per evaluation), so every torch experiment can run every method.

The JAX part lives in :mod:`theorybook.nde.solver_jax`, :mod:`theorybook.nde.train_jax` and
:mod:`theorybook.nde.sde`, imported on demand (``from theorybook.nde import regularized_diffeqsolve``
imports JAX; those modules never import torch). The chapter's data are in
:mod:`~theorybook.nde.data`, its experiments in :mod:`~theorybook.nde.experiments`, its figures in
:mod:`~theorybook.nde.figures` and its claims table in :mod:`~theorybook.nde.claims`. A latent ODE on
irregularly sampled spirals (:mod:`~theorybook.nde.latent`) stands in for the paper's Physionet model;
:mod:`~theorybook.nde.sde` fits the paper's toy neural SDE with diffrax's adaptive SPaRK solver.
"""

from typing import TYPE_CHECKING, Any

from theorybook.nde.config import Config
from theorybook.nde.data import (
    ClassificationData,
    SpiralData,
    make_circles_data,
    make_digits_data,
    make_moons_data,
    make_spirals,
)
from theorybook.nde.stability import SolverError, dopri5_stability_size, stability_size

if TYPE_CHECKING:  # pragma: no cover - the names below are imported on first use
    from theorybook.nde.claims import chapter_claims
    from theorybook.nde.latent import LatentODE, LatentRun, train_latent_ode
    from theorybook.nde.sde import (
        ErrorRegularizedSolver,
        SDEData,
        SDERun,
        make_sde_data,
        solve_sde,
        train_neural_sde,
    )
    from theorybook.nde.solver_jax import (
        JaxSolveStats,
        RegularizedSolver,
        regularized_diffeqsolve,
        taylor_derivative,
        taynode_regularizer,
    )
    from theorybook.nde.solver_torch import SolveStats, regularized_odeint
    from theorybook.nde.taynode_torch import TaylorAugmentedField, second_time_derivative
    from theorybook.nde.train_jax import JaxNodeRun, train_node_jax
    from theorybook.nde.train_torch import (
        METHODS,
        NODEClassifier,
        NodeRun,
        ODEFunc,
        lambda_schedule,
        train_node,
    )

# Imported on first use, so that the JAX half never imports torch and the torch half never JAX.
_LAZY = {
    "chapter_claims": "claims",
    "LatentODE": "latent",
    "LatentRun": "latent",
    "train_latent_ode": "latent",
    "SolveStats": "solver_torch",
    "regularized_odeint": "solver_torch",
    "METHODS": "train_torch",
    "NODEClassifier": "train_torch",
    "NodeRun": "train_torch",
    "ODEFunc": "train_torch",
    "lambda_schedule": "train_torch",
    "train_node": "train_torch",
    "JaxSolveStats": "solver_jax",
    "RegularizedSolver": "solver_jax",
    "regularized_diffeqsolve": "solver_jax",
    "taynode_regularizer": "solver_jax",
    "taylor_derivative": "solver_jax",
    "train_node_jax": "train_jax",
    "TaylorAugmentedField": "taynode_torch",
    "second_time_derivative": "taynode_torch",
    "JaxNodeRun": "train_jax",
    "ErrorRegularizedSolver": "sde",
    "SDEData": "sde",
    "SDERun": "sde",
    "make_sde_data": "sde",
    "solve_sde": "sde",
    "train_neural_sde": "sde",
}


def __getattr__(name: str) -> Any:
    if name == "DOPRI5_STABILITY_SIZE":  # computed on first use, not at import time
        return dopri5_stability_size()
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"theorybook.nde.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'theorybook.nde' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "SolverError",
    "SpiralData",
    "TaylorAugmentedField",
    "chapter_claims",
    "dopri5_stability_size",
    "lambda_schedule",
    "make_circles_data",
    "make_digits_data",
    "make_moons_data",
    "make_sde_data",
    "make_spirals",
    "regularized_diffeqsolve",
    "regularized_odeint",
    "second_time_derivative",
    "solve_sde",
    "stability_size",
    "taylor_derivative",
    "taynode_regularizer",
    "train_latent_ode",
    "train_neural_sde",
    "train_node",
    "train_node_jax",
]
