"""Generalization in diffusion models (chapter 2; Kadkhodaie, Guth, Simoncelli & Mallat, ICLR 2024).

Bias-free denoisers (:class:`BiasFreeUNet`, :class:`BiasFreeCNN`) trained blind over a range of
noise levels; the empirical-optimal denoiser that memorizes (:func:`empirical_optimal_denoiser`);
the stochastic coarse-to-fine sampler (:func:`sample`); two models trained on disjoint sets
compared sample by sample (:func:`pairwise_generalization`); the Jacobian view (``x̂ = J y``,
:func:`denoiser_jacobian`, :func:`effective_dimension`, :func:`sure_estimate`); and the synthetic
C^α and disk images of the paper's §3.2 (:func:`c_alpha_images`, :func:`disk_images`).

Modules: :mod:`~theorybook.diffusion.config` (presets and settings blocks),
:mod:`~theorybook.diffusion.denoisers`, :mod:`~theorybook.diffusion.optimal`,
:mod:`~theorybook.diffusion.training`, :mod:`~theorybook.diffusion.sampler`,
:mod:`~theorybook.diffusion.generalization`, :mod:`~theorybook.diffusion.jacobian`,
:mod:`~theorybook.diffusion.disks`, :mod:`~theorybook.diffusion.images` (the maths),
:mod:`~theorybook.diffusion.data` (patches, deduplication, similarities),
:mod:`~theorybook.diffusion.results` (the frozen result types),
:mod:`~theorybook.diffusion.experiments` (``run_*`` and ``run_all``),
:mod:`~theorybook.diffusion.synthetic` (the synthetic-image experiments),
:mod:`~theorybook.diffusion.figures` and :mod:`~theorybook.diffusion.claims`
(``chapter_claims(results, cfg)``).
"""

from theorybook.diffusion.claims import chapter_claims
from theorybook.diffusion.config import (
    CAlpha,
    Config,
    Disks,
    JacobianStudy,
    Network,
    NetworkKind,
    Patches,
    Sampler,
    SamplerCheck,
    Synthetic,
    Training,
    Transition,
)
from theorybook.diffusion.data import (
    PatchSplit,
    cosine_similarity,
    deduplicate,
    nearest_similarity,
    patch_pool,
    patch_split,
)
from theorybook.diffusion.denoisers import (
    BiasFreeBatchNorm2d,
    BiasFreeCNN,
    BiasFreeUNet,
    build_network,
    state_preserved,
)
from theorybook.diffusion.disks import DiskMMSEDenoiser, disk_masks, disk_parameters, render_disks
from theorybook.diffusion.experiments import (
    run_all,
    run_jacobian,
    run_sampler_check,
    run_transition,
)
from theorybook.diffusion.generalization import PairResult, pairwise_generalization
from theorybook.diffusion.images import c_alpha_images, disk_images
from theorybook.diffusion.jacobian import (
    JacobianEigen,
    denoiser_jacobian,
    effective_dimension,
    homogeneity_error,
    jacobian_eigen,
    linearity_error,
    sure_estimate,
)
from theorybook.diffusion.optimal import (
    EmpiricalOptimalDenoiser,
    GaussianDenoiser,
    blind,
    empirical_optimal_denoiser,
    gaussian_denoiser,
    wiener_denoiser,
)
from theorybook.diffusion.results import (
    CAlphaResult,
    DiskResult,
    JacobianResult,
    NResult,
    Results,
    SamplerCheckResult,
    ShuffledResult,
    TransitionResult,
)
from theorybook.diffusion.sampler import SampleResult, sample, step_schedule
from theorybook.diffusion.slopes import loglog_slope
from theorybook.diffusion.synthetic import (
    TANGENT_DIM,
    dct_oracle_errors,
    held_out_disks,
    run_calpha,
    run_disks,
    subspace_overlap,
)
from theorybook.diffusion.training import (
    add_noise,
    image_errors,
    noisy_images,
    psnr,
    train_denoiser,
)

__all__ = [
    "BiasFreeBatchNorm2d",
    "BiasFreeCNN",
    "BiasFreeUNet",
    "CAlpha",
    "CAlphaResult",
    "Config",
    "DiskMMSEDenoiser",
    "DiskResult",
    "Disks",
    "EmpiricalOptimalDenoiser",
    "GaussianDenoiser",
    "JacobianEigen",
    "JacobianResult",
    "JacobianStudy",
    "NResult",
    "Network",
    "NetworkKind",
    "PairResult",
    "PatchSplit",
    "Patches",
    "Results",
    "SampleResult",
    "Sampler",
    "SamplerCheck",
    "SamplerCheckResult",
    "ShuffledResult",
    "Synthetic",
    "TANGENT_DIM",
    "Training",
    "Transition",
    "TransitionResult",
    "add_noise",
    "blind",
    "build_network",
    "c_alpha_images",
    "chapter_claims",
    "cosine_similarity",
    "dct_oracle_errors",
    "deduplicate",
    "denoiser_jacobian",
    "disk_images",
    "disk_masks",
    "disk_parameters",
    "effective_dimension",
    "empirical_optimal_denoiser",
    "gaussian_denoiser",
    "held_out_disks",
    "homogeneity_error",
    "image_errors",
    "jacobian_eigen",
    "linearity_error",
    "loglog_slope",
    "nearest_similarity",
    "noisy_images",
    "pairwise_generalization",
    "patch_pool",
    "patch_split",
    "psnr",
    "render_disks",
    "run_all",
    "run_calpha",
    "run_disks",
    "run_jacobian",
    "run_sampler_check",
    "run_transition",
    "sample",
    "state_preserved",
    "step_schedule",
    "subspace_overlap",
    "sure_estimate",
    "train_denoiser",
    "wiener_denoiser",
]
