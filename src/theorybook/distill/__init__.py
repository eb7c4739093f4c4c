"""Chapter 5: self-distillation with ground-truth guidance (Borup & Andersen 2021).

Kernel ridge regression distilled into itself, with the labels mixed into every step's targets:
closed forms in the kernel eigenbasis (:mod:`~theorybook.distill.kernel`), the optimal weight of
the labels (:mod:`~theorybook.distill.alpha`), a small PyTorch network on digits
(:mod:`~theorybook.distill.deep`, which imports torch lazily), the toy problem, published numbers
and data splits (:mod:`~theorybook.distill.data`), the chapter's experiments
(:mod:`~theorybook.distill.experiments`, the digits network in
:mod:`~theorybook.distill.deep_experiments`), figures (:mod:`~theorybook.distill.figures`) and claims
table (:mod:`~theorybook.distill.claims`).
"""

from theorybook.distill.alpha import (
    MIN_GRID_STEP,
    AlphaSearch,
    alpha_grid,
    estimate_alpha,
    greedy_optimal_alphas,
    grid_search_alpha,
    krr_step_alpha_search,
    optimal_alpha,
)
from theorybook.distill.claims import chapter_claims
from theorybook.distill.config import SELECTION_SEEDS, Config
from theorybook.distill.data import (
    PUBLISHED_TOY_ALPHA0,
    PUBLISHED_TOY_ALPHA0_LIMIT,
    PUBLISHED_TOY_ALPHA025,
    PUBLISHED_TOY_ALPHA025_LIMIT,
    PUBLISHED_TOY_ALPHA035,
    PUBLISHED_TOY_ALPHA035_LIMIT,
    DigitsSplit,
    ToyProblem,
    load_digits_split,
    mobahi_toy,
    random_problem,
)
from theorybook.distill.deep_experiments import ESTIMATE, ESTIMATE_VAL, deep_numbers
from theorybook.distill.experiments import (
    AlphaSearchResult,
    ConvergenceResult,
    DeepResult,
    DeepSeedResult,
    ExactnessResult,
    SparsificationResult,
    ToyResult,
    run_alpha_search,
    run_convergence,
    run_deep_digits,
    run_exactness,
    run_sparsification,
    run_toy,
)
from theorybook.distill.figures import (
    alpha_search_figure,
    convergence_figure,
    deep_figure,
    sparsification_figure,
    toy_figure,
)
from theorybook.distill.kernel import (
    MAX_ELEMENTS,
    AlphaSweep,
    KernelEigen,
    alpha_sweep,
    check_cross_kernel,
    check_kernel,
    check_targets,
    distill_coefficients,
    distill_fits,
    distill_fits_by_refitting,
    distill_predict,
    eigen_weights,
    kernel_eigen,
    limit_fit,
    limit_predict,
    limit_weights,
    sparsification_ratios,
)

__all__ = [
    "ESTIMATE",
    "ESTIMATE_VAL",
    "MAX_ELEMENTS",
    "MIN_GRID_STEP",
    "PUBLISHED_TOY_ALPHA0",
    "PUBLISHED_TOY_ALPHA0_LIMIT",
    "PUBLISHED_TOY_ALPHA025",
    "PUBLISHED_TOY_ALPHA025_LIMIT",
    "PUBLISHED_TOY_ALPHA035",
    "PUBLISHED_TOY_ALPHA035_LIMIT",
    "SELECTION_SEEDS",
    "AlphaSearch",
    "AlphaSearchResult",
    "AlphaSweep",
    "Config",
    "ConvergenceResult",
    "DeepResult",
    "DeepSeedResult",
    "DigitsSplit",
    "ExactnessResult",
    "KernelEigen",
    "SparsificationResult",
    "ToyProblem",
    "ToyResult",
    "alpha_grid",
    "alpha_search_figure",
    "alpha_sweep",
    "chapter_claims",
    "check_cross_kernel",
    "check_kernel",
    "check_targets",
    "convergence_figure",
    "deep_figure",
    "deep_numbers",
    "distill_coefficients",
    "distill_fits",
    "distill_fits_by_refitting",
    "distill_predict",
    "eigen_weights",
    "estimate_alpha",
    "greedy_optimal_alphas",
    "grid_search_alpha",
    "kernel_eigen",
    "krr_step_alpha_search",
    "limit_fit",
    "limit_predict",
    "limit_weights",
    "load_digits_split",
    "mobahi_toy",
    "optimal_alpha",
    "random_problem",
    "run_alpha_search",
    "run_convergence",
    "run_deep_digits",
    "run_exactness",
    "run_sparsification",
    "run_toy",
    "sparsification_figure",
    "sparsification_ratios",
    "toy_figure",
]
