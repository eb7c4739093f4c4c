"""Chapter 5: self-distillation with ground-truth guidance (Borup & Andersen 2021).

Kernel ridge regression distilled into itself, with the labels mixed into every step's targets:
closed forms in the kernel eigenbasis (:mod:`~theorybook.distill.kernel`), the optimal weight of
the labels (:mod:`~theorybook.distill.alpha`), a small PyTorch network on digits
(:mod:`~theorybook.distill.deep`) and the chapter's experiments
(:mod:`~theorybook.distill.experiments`). ``deep`` imports torch lazily.
"""

from theorybook.distill.alpha import (
    AlphaSearch,
    alpha_grid,
    greedy_optimal_alphas,
    grid_search_alpha,
    krr_step_alpha_search,
    optimal_alpha,
)
from theorybook.distill.config import Config
from theorybook.distill.kernel import (
    KernelEigen,
    check_kernel,
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
    "AlphaSearch",
    "Config",
    "KernelEigen",
    "alpha_grid",
    "check_kernel",
    "distill_coefficients",
    "distill_fits",
    "distill_fits_by_refitting",
    "distill_predict",
    "eigen_weights",
    "greedy_optimal_alphas",
    "grid_search_alpha",
    "kernel_eigen",
    "krr_step_alpha_search",
    "limit_fit",
    "limit_predict",
    "limit_weights",
    "optimal_alpha",
    "sparsification_ratios",
]
