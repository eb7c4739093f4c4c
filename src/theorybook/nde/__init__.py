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

The pipeline is :func:`~theorybook.nde.experiments.run_all` (``cfg`` →
:class:`~theorybook.nde.results.Results`) and :func:`~theorybook.nde.claims.chapter_claims`
(results → the claims table). Importing this package imports neither torch nor JAX: the PyTorch
half is in :mod:`~theorybook.nde.solver_torch`, :mod:`~theorybook.nde.train_torch`,
:mod:`~theorybook.nde.taynode_torch` and :mod:`~theorybook.nde.latent`, the JAX half in
:mod:`~theorybook.nde.solver_jax`, :mod:`~theorybook.nde.train_jax` and
:mod:`~theorybook.nde.sde` (which never import torch); import their names from those modules. The chapter's data are in
:mod:`~theorybook.nde.data`, its experiments in :mod:`~theorybook.nde.experiments`, its figures in
:mod:`~theorybook.nde.figures` and its claims table in :mod:`~theorybook.nde.claims`. A latent ODE on
irregularly sampled spirals (:mod:`~theorybook.nde.latent`) stands in for the paper's Physionet model;
:mod:`~theorybook.nde.sde` fits the paper's toy neural SDE with diffrax's adaptive SPaRK solver.
"""

from theorybook.nde.claims import chapter_claims
from theorybook.nde.config import Config
from theorybook.nde.data import (
    ClassificationData,
    SpiralData,
    make_circles_data,
    make_digits_data,
    make_moons_data,
    make_spirals,
)
from theorybook.nde.experiments import run_all
from theorybook.nde.results import Results
from theorybook.nde.seed_study import (
    SeedStudyRow,
    load_seed_study,
    seed_study_frame,
)
from theorybook.nde.stability import SolverError, dopri5_stability_size, stability_size

__all__ = [
    "SeedStudyRow",
    "load_seed_study",
    "seed_study_frame",
    "ClassificationData",
    "Config",
    "Results",
    "SolverError",
    "SpiralData",
    "chapter_claims",
    "dopri5_stability_size",
    "make_circles_data",
    "make_digits_data",
    "make_moons_data",
    "make_spirals",
    "run_all",
    "stability_size",
]
