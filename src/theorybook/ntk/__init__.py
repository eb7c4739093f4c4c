"""Chapter 4: wide and deep neural networks achieve consistency for classification.

Radhakrishnan, Belkin & Uhler (PNAS 2023) show that infinitely wide and deep networks become one
of three classifiers, decided by the activation through its dual ``ǎ``: majority vote, 1-nearest
neighbour, or a singular kernel classifier ``sign Σ y_i ‖x − x_i‖^(−α)``; with ``α`` equal to the
intrinsic dimension the last is the consistent Hilbert-kernel estimate.

* :mod:`~theorybook.ntk.dual`: dual activations from Hermite coefficients, ``α``, the regime;
* :mod:`~theorybook.ntk.estimates`: duals estimated by quadrature and Monte Carlo (checks);
* :mod:`~theorybook.ntk.kernels`: the NNGP / NTK depth recursion (JAX, float64), Gram matrices;
* :mod:`~theorybook.ntk.logdomain`: the NNGP in the log domain (polynomial activations);
* :mod:`~theorybook.ntk.reference`: the same recursion in plain NumPy (checks and baseline);
* :mod:`~theorybook.ntk.classifiers`: the interpolating kernel classifier and the limits;
* :mod:`~theorybook.ntk.data`: two-class Dirichlet data on the sphere (known Bayes rule);
* :mod:`~theorybook.ntk.width`: empirical NNGP of random finite-width networks;
* :mod:`~theorybook.ntk.training`: finite networks trained with optax against the NTK dynamics;
* :mod:`~theorybook.ntk.config`: the :class:`Config` and its settings blocks;
* :mod:`~theorybook.ntk.checks`, :mod:`~theorybook.ntk.taxonomy`,
  :mod:`~theorybook.ntk.consistency`, :mod:`~theorybook.ntk.experiments`: the chapter's runs
  (:func:`run_all` runs them all), returning the types of :mod:`~theorybook.ntk.results`;
* :mod:`~theorybook.ntk.figures`, :mod:`~theorybook.ntk.claims`: its figures and claims table
  (:func:`chapter_claims`).
"""

from theorybook.ntk.claims import chapter_claims
from theorybook.ntk.classifiers import (
    agreement,
    bayes_classifier,
    hilbert_classifier,
    hilbert_classifiers,
    kernel_classifier,
    kernel_scores,
    majority_vote,
    one_nn,
)
from theorybook.ntk.config import Config
from theorybook.ntk.data import (
    DIRICHLET_SETTINGS,
    DirichletData,
    dirichlet_setting,
    dirichlet_sphere_data,
    sphere_points,
)
from theorybook.ntk.dual import (
    D_OPTIMAL,
    DESIGNED_ACTIVATIONS,
    NAMED_ACTIVATIONS,
    Activation,
    deep_limit,
    dual_activation,
    resolve_activation,
    singular_exponent,
)
from theorybook.ntk.estimates import hermite_coefficients, monte_carlo_dual
from theorybook.ntk.experiments import run_all
from theorybook.ntk.kernels import (
    kernel_sweep,
    nngp_gram,
    nngp_kernel,
    ntk_diagonal,
    ntk_gram,
    ntk_kernel,
)
from theorybook.ntk.logdomain import LogKernel, log_nngp_kernel
from theorybook.ntk.reference import nngp_kernel_numpy, ntk_kernel_numpy, ntk_kernel_unrolled
from theorybook.ntk.results import Results
from theorybook.ntk.training import TrainedNetwork, kernel_gradient_descent, train_network
from theorybook.ntk.width import empirical_nngp

__all__ = [
    "DESIGNED_ACTIVATIONS",
    "DIRICHLET_SETTINGS",
    "D_OPTIMAL",
    "NAMED_ACTIVATIONS",
    "Activation",
    "Config",
    "DirichletData",
    "LogKernel",
    "Results",
    "TrainedNetwork",
    "agreement",
    "bayes_classifier",
    "chapter_claims",
    "deep_limit",
    "dirichlet_setting",
    "dirichlet_sphere_data",
    "dual_activation",
    "empirical_nngp",
    "hermite_coefficients",
    "hilbert_classifier",
    "hilbert_classifiers",
    "kernel_classifier",
    "kernel_gradient_descent",
    "kernel_scores",
    "kernel_sweep",
    "log_nngp_kernel",
    "majority_vote",
    "monte_carlo_dual",
    "nngp_gram",
    "nngp_kernel",
    "nngp_kernel_numpy",
    "ntk_diagonal",
    "ntk_gram",
    "ntk_kernel",
    "ntk_kernel_numpy",
    "ntk_kernel_unrolled",
    "one_nn",
    "resolve_activation",
    "run_all",
    "singular_exponent",
    "sphere_points",
    "train_network",
]
