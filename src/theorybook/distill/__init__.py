"""Chapter 5: self-distillation with ground-truth guidance (Borup & Andersen 2021).

Kernel ridge regression distilled into itself, with the labels mixed into every step's targets:
closed forms in the kernel eigenbasis (:mod:`~theorybook.distill.kernel`, the losses of many
weights at once in :mod:`~theorybook.distill.sweep`, the checks of kernels and of solves with
``K + λI`` in :mod:`~theorybook.distill.checks` and :mod:`~theorybook.distill.solve`), the
optimal weight of the labels (:mod:`~theorybook.distill.alpha`), a small PyTorch network on
digits (:mod:`~theorybook.distill.deep`, not imported by the package: it needs torch), the toy
problem, published numbers and data splits (:mod:`~theorybook.distill.data`), the settings
(:mod:`~theorybook.distill.config`),
the network estimate's negative control (:mod:`~theorybook.distill.estimate`),
the experiments (:mod:`~theorybook.distill.experiments`: :func:`run_all` returns the
:class:`Results` of :mod:`~theorybook.distill.results`), figures
(:mod:`~theorybook.distill.figures`), the claims table (:func:`chapter_claims`) and the
sentences glued from it (:mod:`~theorybook.distill.prose`).
"""

from theorybook.distill.alpha import (
    MIN_GRID_STEP,
    AlphaSearch,
    alpha_grid,
    greedy_optimal_alphas,
    grid_search_alpha,
    krr_step_alpha_search,
    optimal_alpha,
)
from theorybook.distill.checks import (
    MAX_ELEMENTS,
    check_cross_kernel,
    check_kernel,
    check_targets,
)
from theorybook.distill.claims import chapter_claims
from theorybook.distill.config import (
    SELECTION_SEEDS,
    Config,
    Convergence,
    Deep,
    Digits,
    Exactness,
    Search,
    Sparsification,
    Toy,
    Training,
)
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
from theorybook.distill.estimate import (
    grid_optimum_interval,
    krr_training_projection,
    training_projection,
)
from theorybook.distill.experiments import (
    run_all,
    run_alpha_search,
    run_convergence,
    run_deep_digits,
    run_exactness,
    run_sparsification,
    run_toy,
    run_training_projection,
)
from theorybook.distill.figures import (
    alpha_search_figure,
    convergence_figure,
    deep_figure,
    sparsification_figure,
    toy_figure,
)
from theorybook.distill.kernel import (
    KernelEigen,
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
from theorybook.distill.prose import (
    chain_changes_text,
    deep_verdict,
    speed_verdict,
    toy_agreement,
)
from theorybook.distill.results import (
    ESTIMATE,
    AlphaSearchResult,
    ConvergenceResult,
    DeepResult,
    DeepSeedResult,
    ExactnessResult,
    Results,
    SparsificationResult,
    ToyResult,
    TrainingProjectionResult,
    deep_numbers,
)
from theorybook.distill.selection import (
    SelectionRow,
    load_selection,
    selection_frame,
    selection_sentence,
)
from theorybook.distill.sweep import AlphaSweep, alpha_sweep

__all__ = [
    "ESTIMATE",
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
    "Convergence",
    "ConvergenceResult",
    "Deep",
    "DeepResult",
    "DeepSeedResult",
    "Digits",
    "DigitsSplit",
    "Exactness",
    "ExactnessResult",
    "KernelEigen",
    "Results",
    "Search",
    "Sparsification",
    "SparsificationResult",
    "Toy",
    "ToyProblem",
    "ToyResult",
    "Training",
    "TrainingProjectionResult",
    "alpha_grid",
    "alpha_search_figure",
    "alpha_sweep",
    "chain_changes_text",
    "chapter_claims",
    "check_cross_kernel",
    "check_kernel",
    "check_targets",
    "convergence_figure",
    "deep_figure",
    "deep_numbers",
    "deep_verdict",
    "distill_coefficients",
    "distill_fits",
    "distill_fits_by_refitting",
    "distill_predict",
    "eigen_weights",
    "greedy_optimal_alphas",
    "grid_optimum_interval",
    "grid_search_alpha",
    "kernel_eigen",
    "krr_step_alpha_search",
    "krr_training_projection",
    "limit_fit",
    "limit_predict",
    "limit_weights",
    "load_digits_split",
    "mobahi_toy",
    "optimal_alpha",
    "random_problem",
    "run_all",
    "run_alpha_search",
    "run_convergence",
    "run_deep_digits",
    "load_selection",
    "SelectionRow",
    "selection_frame",
    "selection_sentence",
    "run_exactness",
    "run_sparsification",
    "run_toy",
    "run_training_projection",
    "sparsification_figure",
    "sparsification_ratios",
    "speed_verdict",
    "toy_agreement",
    "toy_figure",
    "training_projection",
]
