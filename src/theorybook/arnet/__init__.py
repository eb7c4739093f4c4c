"""AR-Net (Triebe, Laptev, Rajagopal 2019): auto-regression as a one-layer network (chapter 6).

Data: :func:`generate_ar`, :func:`random_stationary_coef`, :func:`sparse_coef`, :func:`lag_matrix`,
:func:`standardise`, :func:`load_sunspots`. The regulariser: :func:`sparsity_regularizer`,
:func:`regularizer_terms`, :func:`lambda_max`, :func:`lambda_ramp` and the paper's rule
:func:`paper_c_lambda` (:mod:`~theorybook.arnet.regularizer`). Models: :func:`fit_arnet`
(:mod:`~theorybook.arnet.fit`), :func:`fit_least_squares`, :func:`fit_autoreg`
(:mod:`~theorybook.arnet.baselines`). Metrics: :func:`stpe`, :func:`one_step_mse`,
:func:`top_k_lags`. The pipeline: :class:`Config` (with its settings blocks :class:`Training`,
:class:`Regularizer`, ...), :func:`run_all` (:mod:`~theorybook.arnet.experiments`,
:mod:`~theorybook.arnet.small_data`) returning :class:`Results`, :func:`chapter_claims`; figures:
:mod:`theorybook.arnet.figures`.
"""

from theorybook.arnet.baselines import (
    ARFit,
    fit_autoreg,
    fit_least_squares,
    fit_top_k_least_squares,
)
from theorybook.arnet.claims import chapter_claims
from theorybook.arnet.config import (
    Config,
    Dense,
    Regularizer,
    SmallData,
    SparseOrder,
    Sunspots,
    Sweeps,
    Timing,
    Training,
)
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
    standardise,
    train_test_split,
)
from theorybook.arnet.experiments import run_all
from theorybook.arnet.fit import (
    ARNetHistory,
    ARNetResult,
    auto_batch_size,
    fit_arnet,
    scaled_lr,
    standardised_intercept,
)
from theorybook.arnet.metrics import one_step_mse, stpe, top_k_lags
from theorybook.arnet.recorded import load_high_order_record, load_timing_record
from theorybook.arnet.regularizer import (
    lambda_max,
    lambda_ramp,
    paper_c_lambda,
    regularizer_derivative,
    regularizer_gradient,
    regularizer_terms,
    sparsity_regularizer,
)
from theorybook.arnet.results import Results

__all__ = [
    "AR3_WEIGHTS",
    "ARFit",
    "ARNetHistory",
    "ARNetResult",
    "Config",
    "Dense",
    "Regularizer",
    "Results",
    "SPARSE_LAGS",
    "SPARSE_WEIGHTS",
    "SmallData",
    "SparseOrder",
    "Sunspots",
    "Sweeps",
    "Timing",
    "Training",
    "auto_batch_size",
    "chapter_claims",
    "check_series",
    "fit_arnet",
    "fit_autoreg",
    "fit_least_squares",
    "fit_top_k_least_squares",
    "generate_ar",
    "is_stationary",
    "lag_matrix",
    "lambda_max",
    "lambda_ramp",
    "load_high_order_record",
    "load_sunspots",
    "load_timing_record",
    "one_step_mse",
    "paper_c_lambda",
    "random_stationary_coef",
    "regularizer_derivative",
    "regularizer_gradient",
    "regularizer_terms",
    "run_all",
    "scaled_lr",
    "sparse_coef",
    "sparsity_regularizer",
    "standardise",
    "standardised_intercept",
    "stpe",
    "top_k_lags",
    "train_test_split",
]
