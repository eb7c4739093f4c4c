"""What regularized auto-encoders learn from the data-generating distribution (chapter 1).

Alain and Bengio (2014): the optimal reconstruction ``r`` of a denoising or contractive
auto-encoder at small noise ``σ`` is ``x + σ²∇log p(x)``, so ``(r(x) − x)/σ²`` estimates the score.

Densities: :class:`GaussianMixture`, :class:`NinjaStar`, :func:`sample_spiral`.
Criteria: :func:`dae_loss`, :func:`rcae_loss`, :func:`optimal_linear_reconstruction`, and the
exact finite-σ RCAE optimum in 1-D, :func:`rcae_optimum_1d`, with the criterion by quadrature,
:func:`rcae_criterion_1d`.
Models: :class:`ScoreAutoencoder` (``r = x + σ²h``), :class:`LinearAutoencoder`,
:func:`estimated_score`, :func:`estimated_hessian`. Training: :func:`train_autoencoder` (its
options in a :class:`Training` block). Sampling: :func:`approximate_mh`, :func:`langevin_mh`,
:func:`exact_mh`, and :func:`energy_distance` to compare samples. The pipeline: :class:`Config` (presets) → :func:`run_all` → :class:`Results` →
:func:`chapter_claims`; the experiments one at a time in :mod:`theorybook.rae.experiments`, the
figures in :mod:`~theorybook.rae.figures`.
"""

from theorybook.rae.claims import chapter_claims
from theorybook.rae.config import (
    Config,
    Digits,
    LinearGaussian,
    Mixture,
    Network,
    Sampler,
    Spiral,
    Star,
    Training,
)
from theorybook.rae.criteria import (
    dae_loss,
    jacobian_terms,
    linear_criterion_gradient,
    optimal_linear_reconstruction,
    rcae_criterion_1d,
    rcae_loss,
    rcae_optimum_1d,
)
from theorybook.rae.data import GAUSSIAN_COV, DigitsSplit, bimodal_mixture, load_digits_split
from theorybook.rae.densities import (
    GaussianMixture,
    NinjaStar,
    distance_to_spiral,
    sample_spiral,
    spiral_curve,
)
from theorybook.rae.experiments import run_all
from theorybook.rae.models import (
    LinearAutoencoder,
    ReconstructionModel,
    ScoreAutoencoder,
    estimated_hessian,
    estimated_score,
)
from theorybook.rae.results import Results
from theorybook.rae.sampling import (
    MCMCResult,
    approximate_mh,
    energy_distance,
    exact_mh,
    integrated_log_ratio,
    knn_kl_divergence,
    langevin_mh,
)
from theorybook.rae.training import train_autoencoder

__all__ = [
    "Config",
    "Digits",
    "DigitsSplit",
    "GAUSSIAN_COV",
    "GaussianMixture",
    "LinearAutoencoder",
    "LinearGaussian",
    "MCMCResult",
    "Mixture",
    "Network",
    "NinjaStar",
    "ReconstructionModel",
    "Results",
    "Sampler",
    "ScoreAutoencoder",
    "Spiral",
    "Star",
    "Training",
    "approximate_mh",
    "bimodal_mixture",
    "chapter_claims",
    "dae_loss",
    "distance_to_spiral",
    "energy_distance",
    "estimated_hessian",
    "estimated_score",
    "exact_mh",
    "integrated_log_ratio",
    "jacobian_terms",
    "knn_kl_divergence",
    "langevin_mh",
    "linear_criterion_gradient",
    "load_digits_split",
    "optimal_linear_reconstruction",
    "rcae_criterion_1d",
    "rcae_loss",
    "rcae_optimum_1d",
    "run_all",
    "sample_spiral",
    "spiral_curve",
    "train_autoencoder",
]
