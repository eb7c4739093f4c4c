"""Learned proximal networks (chapter 3 of the book; Fang, Buchanan & Sulam, ICLR 2024).

An LPN f_θ = ∇ψ_θ with ψ_θ input-convex is exactly the proximal operator of an explicit,
possibly nonconvex, regulariser R_θ; proximal matching trains it towards the MAP denoiser, so
R_θ approaches −σ² log p_x. This subpackage holds the models (:class:`LPN`, :class:`ConvLPN`),
the losses and schedule, the inversion that evaluates R_θ, PnP solvers and the operators they use.
"""

from theorybook.lpn.config import Config
from theorybook.lpn.model import LPN, ConvexPotentialNet, ConvLPN, PlainCNN
from theorybook.lpn.operators import CompressedSensing, GaussianBlur, LinearOp, operator_norm
from theorybook.lpn.pnp import PnPResult, image_metrics, pnp_admm, pnp_pgd, tikhonov, tv_denoiser
from theorybook.lpn.prior import Inversion, invert, learned_prior, prior_at_output
from theorybook.lpn.toy import laplace_posterior_stats, soft_threshold
from theorybook.lpn.train import (
    Stage,
    TrainHistory,
    TrainingDiverged,
    loss_value,
    paper_schedule,
    proximal_matching_loss,
    train_lpn,
)

__all__ = [
    "CompressedSensing",
    "Config",
    "ConvLPN",
    "ConvexPotentialNet",
    "GaussianBlur",
    "Inversion",
    "LPN",
    "LinearOp",
    "PlainCNN",
    "PnPResult",
    "Stage",
    "TrainHistory",
    "TrainingDiverged",
    "image_metrics",
    "invert",
    "laplace_posterior_stats",
    "learned_prior",
    "loss_value",
    "operator_norm",
    "paper_schedule",
    "pnp_admm",
    "pnp_pgd",
    "prior_at_output",
    "proximal_matching_loss",
    "soft_threshold",
    "tikhonov",
    "tv_denoiser",
    "train_lpn",
]
