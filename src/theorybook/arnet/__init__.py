"""AR-Net (Triebe, Laptev, Rajagopal 2019): auto-regression as a one-layer network (chapter 6).

Data: :func:`generate_ar`, :func:`random_stationary_coef`, :func:`sparse_coef`, :func:`lag_matrix`,
:func:`load_sunspots`. Models: :func:`fit_arnet` (with the sparsity regulariser
:func:`sparsity_regularizer` and the paper's rule :func:`paper_c_lambda`),
:func:`fit_least_squares`, :func:`fit_autoreg`. Metrics: :func:`stpe`, :func:`one_step_mse`,
:func:`top_k_lags`. Experiments: :mod:`theorybook.arnet.experiments`; figures:
:mod:`theorybook.arnet.figures`; claims: :func:`chapter_claims`; presets: :class:`Config`.
"""

from theorybook.arnet.claims import chapter_claims
from theorybook.arnet.config import Config
from theorybook.arnet.data import (
    AR3_WEIGHTS,
    SPARSE_LAGS,
    SPARSE_WEIGHTS,
    check_series,
    generate_ar,
    is_stationary,
    lag_matrix,
    load_sunspots,
    random_stationary_coef,
    sparse_coef,
    train_test_split,
)
from theorybook.arnet.model import (
    ARFit,
    ARNetHistory,
    ARNetResult,
    TrainingDiverged,
    auto_batch_size,
    fit_arnet,
    fit_autoreg,
    fit_least_squares,
    lambda_max,
    lambda_ramp,
    one_step_mse,
    paper_c_lambda,
    regularizer_derivative,
    regularizer_terms,
    scaled_lr,
    sparsity_regularizer,
    standardised_intercept,
    stpe,
    top_k_lags,
)

__all__ = [
    "AR3_WEIGHTS",
    "ARFit",
    "ARNetHistory",
    "ARNetResult",
    "Config",
    "SPARSE_LAGS",
    "SPARSE_WEIGHTS",
    "TrainingDiverged",
    "auto_batch_size",
    "chapter_claims",
    "check_series",
    "fit_arnet",
    "fit_autoreg",
    "fit_least_squares",
    "generate_ar",
    "is_stationary",
    "lag_matrix",
    "lambda_max",
    "lambda_ramp",
    "load_sunspots",
    "one_step_mse",
    "paper_c_lambda",
    "random_stationary_coef",
    "regularizer_derivative",
    "regularizer_terms",
    "scaled_lr",
    "sparse_coef",
    "sparsity_regularizer",
    "standardised_intercept",
    "stpe",
    "top_k_lags",
    "train_test_split",
]
