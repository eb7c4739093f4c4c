"""AR-Net (Triebe, Laptev, Rajagopal 2019): auto-regression as a one-layer network (chapter 6).

Data: :func:`generate_ar`, :func:`random_stationary_coef`, :func:`sparse_coef`, :func:`lag_matrix`.
Models: :func:`fit_arnet` (with the sparsity regulariser :func:`sparsity_regularizer`),
:func:`fit_least_squares`, :func:`fit_autoreg`. Metrics: :func:`stpe`, :func:`one_step_mse`.
Experiments and presets: :mod:`theorybook.arnet.experiments`, :class:`Config`.
"""

from theorybook.arnet.config import Config
from theorybook.arnet.data import (
    SPARSE_LAGS,
    SPARSE_WEIGHTS,
    check_series,
    generate_ar,
    is_stationary,
    lag_matrix,
    random_stationary_coef,
    sparse_coef,
)
from theorybook.arnet.model import (
    ARFit,
    ARNetHistory,
    ARNetResult,
    TrainingDiverged,
    fit_arnet,
    fit_autoreg,
    fit_least_squares,
    lambda_max,
    lambda_ramp,
    one_step_mse,
    regularizer_derivative,
    regularizer_terms,
    sparsity_regularizer,
    stpe,
)

__all__ = [
    "ARFit",
    "ARNetHistory",
    "ARNetResult",
    "Config",
    "SPARSE_LAGS",
    "SPARSE_WEIGHTS",
    "TrainingDiverged",
    "check_series",
    "fit_arnet",
    "fit_autoreg",
    "fit_least_squares",
    "generate_ar",
    "is_stationary",
    "lag_matrix",
    "lambda_max",
    "lambda_ramp",
    "one_step_mse",
    "random_stationary_coef",
    "regularizer_derivative",
    "regularizer_terms",
    "sparse_coef",
    "sparsity_regularizer",
    "stpe",
]
