"""Learned proximal networks (chapter 3 of the book; Fang, Buchanan & Sulam, ICLR 2024).

An LPN f_θ = ∇ψ_θ with ψ_θ input-convex is exactly the proximal operator of an explicit,
possibly nonconvex, regulariser R_θ; proximal matching trains it towards the MAP denoiser, so
R_θ approaches −σ² log p_x. This subpackage holds the models (:class:`LPN`, :class:`ConvLPN`),
the losses and schedule, the inversion that evaluates R_θ, PnP solvers and the operators they use.

Modules: :mod:`~theorybook.lpn.config` (presets, one settings block per concept),
:mod:`~theorybook.lpn.model`, :mod:`~theorybook.lpn.train`, :mod:`~theorybook.lpn.prior`,
:mod:`~theorybook.lpn.pnp`, :mod:`~theorybook.lpn.operators`, :mod:`~theorybook.lpn.patches`,
:mod:`~theorybook.lpn.toy` and :mod:`~theorybook.lpn.diagnostics` (the maths),
:mod:`~theorybook.lpn.data` (digits, patches, perturbations, CT phantoms, photo crops),
:mod:`~theorybook.lpn.image_models` (training and timing the image denoisers),
:mod:`~theorybook.lpn.pnp_benchmark` (the PnP tuning and benchmark harness),
:mod:`~theorybook.lpn.results` (the result types), :mod:`~theorybook.lpn.experiments`
(``run_*`` and ``run_all``) with :mod:`~theorybook.lpn.large_images` (patch averages, CT),
:mod:`~theorybook.lpn.sweeps` (the prior along perturbation sweeps),
:mod:`~theorybook.lpn.decomposition` (the recorded split of the LPN's gap to the CNN),
:mod:`~theorybook.lpn.figures`, and
:mod:`~theorybook.lpn.pnp_claims` and :mod:`~theorybook.lpn.claims` (``chapter_claims``).
"""

from theorybook.lpn.claims import chapter_claims
from theorybook.lpn.config import Config
from theorybook.lpn.data import (
    crop_split,
    ct_split,
    digits_split,
    patch_split,
    perturb,
    random_phantoms,
    shepp_logan,
)
from theorybook.lpn.decomposition import load_decomposition_record, run_decomposition
from theorybook.lpn.diagnostics import JacobianReport, jacobian_report, prox_grid_check
from theorybook.lpn.experiments import run_all
from theorybook.lpn.model import LPN, ConvexPotentialNet, ConvLPN, PlainCNN
from theorybook.lpn.operators import (
    CompressedSensing,
    GaussianBlur,
    LinearOp,
    RadonCT,
    operator_norm,
)
from theorybook.lpn.patches import PatchLPN, jacobian_asymmetry, patch_average
from theorybook.lpn.pnp import (
    PnPResult,
    image_metrics,
    objective_settling,
    pnp_admm,
    pnp_pgd,
    relax,
    tikhonov,
    tv_denoiser,
)
from theorybook.lpn.prior import Inversion, invert, learned_prior, prior_at_output
from theorybook.lpn.results import Results
from theorybook.lpn.toy import laplace_posterior_stats, soft_threshold
from theorybook.lpn.train import (
    Stage,
    loss_value,
    paper_schedule,
    proximal_matching_loss,
    split_schedule,
    train_lpn,
)

__all__ = [
    "CompressedSensing",
    "Config",
    "ConvLPN",
    "ConvexPotentialNet",
    "GaussianBlur",
    "Inversion",
    "JacobianReport",
    "LPN",
    "LinearOp",
    "PatchLPN",
    "PlainCNN",
    "PnPResult",
    "RadonCT",
    "Stage",
    "Results",
    "chapter_claims",
    "crop_split",
    "ct_split",
    "digits_split",
    "image_metrics",
    "objective_settling",
    "invert",
    "jacobian_asymmetry",
    "jacobian_report",
    "laplace_posterior_stats",
    "learned_prior",
    "load_decomposition_record",
    "loss_value",
    "operator_norm",
    "paper_schedule",
    "patch_average",
    "patch_split",
    "perturb",
    "pnp_admm",
    "pnp_pgd",
    "prior_at_output",
    "prox_grid_check",
    "random_phantoms",
    "relax",
    "shepp_logan",
    "proximal_matching_loss",
    "run_all",
    "run_decomposition",
    "split_schedule",
    "soft_threshold",
    "tikhonov",
    "tv_denoiser",
    "train_lpn",
]
