"""The result types of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Every experiment of :mod:`theorybook.lpn.experiments` returns one of these frozen dataclasses;
:class:`Results` gathers them, as :func:`~theorybook.lpn.experiments.run_all` returns them and
:func:`~theorybook.lpn.claims.chapter_claims` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from jaxtyping import Float64

from theorybook.boundary import (
    FiniteReal,
    Interval,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    record,
)
from theorybook.lpn._types import Float3264
from theorybook.lpn.diagnostics import JacobianReport
from theorybook.lpn.model import LPN
from theorybook.lpn.pnp import PnPResult
from theorybook.lpn.sweeps import clean_lowest, mixture_above_both
from theorybook.training import TrainingHistory

__all__ = [
    "CTResult",
    "DECOMPOSITION_METRICS",
    "DECOMPOSITION_MODELS",
    "DecompositionResult",
    "DigitsPriorResult",
    "LaplacianResult",
    "PRIOR_RANGE",
    "PatchProxResult",
    "PnPProblemResult",
    "PnPResults",
    "Results",
    "StepTiming",
]

PRIOR_RANGE = 3.0
"""|x| ≤ PRIOR_RANGE is where the Laplace toy's learned priors are compared with |x|."""

Spread = Annotated[float, Interval(low=1.0, finite=False)]
"""max/min of repeated timings (≥ 1; inf when the fastest run took no measurable time)."""


@record
@dataclass(frozen=True)
class LaplacianResult:
    """Denoisers and priors learned on the Laplace toy with ℓ₂, ℓ₁ and proximal matching.

    ``prior_errors[name]`` is the mean |(R_θ − min R_θ)(x) − |x|| over |x| ≤ 3, the distance of
    the learned prior from the true −σ² log p_x = |x| (up to its constant).
    """

    y: Float64[np.ndarray, " grid"]
    soft: Float64[np.ndarray, " grid"]
    mmse: Float64[np.ndarray, " grid"]
    median: Float64[np.ndarray, " grid"]
    outputs: dict[str, Float64[np.ndarray, " grid"]]
    prior_x: dict[str, Float64[np.ndarray, " prior_grid"]]
    prior_r: dict[str, Float64[np.ndarray, " prior_grid"]]
    potential: dict[str, Float64[np.ndarray, " grid"]]
    errors_soft: dict[str, NonNegativeReal]
    errors_mmse: dict[str, NonNegativeReal]
    errors_median: dict[str, NonNegativeReal]
    prior_errors: dict[str, NonNegativeReal]
    prox_check: tuple[NonNegativeReal, NonNegativeReal]
    inversion_gap: NonNegativeReal
    jacobian: JacobianReport
    histories: dict[str, TrainingHistory]
    models: dict[str, LPN] = field(repr=False, default_factory=dict)
    seconds: NonNegativeReal = 0.0


@record
@dataclass(frozen=True)
class DigitsPriorResult:
    """R_θ over perturbation sweeps: ``priors[kind]`` has shape (levels, digits.n_test).

    ``frac_below_by_level[kind][j]`` is the fraction of test digits with R_θ(clean) below R_θ at
    the (j+1)-th perturbed level; ``frac_mix_above_both`` the fraction of the ``n_test/2`` digit
    pairs whose mixtures at every 0 < λ < 1 have R_θ above both clean digits. ``tv[kind]`` is the
    total variation of the same images, shaped like ``priors[kind]`` (the hand-crafted prior the
    claims challenge R_θ with, :mod:`~theorybook.lpn.sweeps`).
    """

    levels: dict[str, tuple[NonNegativeReal, ...]]
    priors: dict[str, Float64[np.ndarray, "_levels test"]]
    examples: dict[str, Float3264[np.ndarray, "_levels side side"]]
    frac_monotone: dict[str, Probability]
    frac_clean_lowest: dict[str, Probability]
    frac_mix_above_both: Probability
    max_residual: NonNegativeReal
    jacobian: JacobianReport
    history: TrainingHistory
    seconds: NonNegativeReal = 0.0
    frac_below_by_level: dict[str, Float64[np.ndarray, " _perturbed"]] = field(default_factory=dict)
    tv: dict[str, Float64[np.ndarray, "_levels test"]] = field(default_factory=dict)

    @property
    def n_images(self) -> int:
        """The number of test digits of each sweep."""
        return int(next(iter(self.priors.values())).shape[1])

    def fractions(self, prior: Literal["R", "TV", "-TV"] = "R") -> dict[str, float]:
        """What the claims count, for the learned ``"R"`` (R_θ), total variation ``"TV"`` or its
        negative ``"-TV"`` (a prior that penalises smoothing): per kind, the fraction of digits
        whose clean value lies below every perturbed level (noise, blur), and the fraction of
        pairs whose interior mixtures score above both digits (mix)."""
        if prior not in ("R", "TV", "-TV"):
            raise ValueError(f"prior must be 'R', 'TV' or '-TV', got {prior!r}")
        tables = self.priors if prior == "R" else self.tv
        sign = -1.0 if prior == "-TV" else 1.0
        out = {}
        for kind, table in tables.items():
            if kind == "mix":
                out[kind] = float(np.mean(mixture_above_both(sign * table, self.levels[kind])))
            else:
                out[kind] = float(np.mean(clean_lowest(sign * table)))
        return out


@record
@dataclass(frozen=True)
class PnPProblemResult:
    """One inverse problem: metrics per method, tuned parameters, PnP diagnostics, examples.

    ``psnr_images[method]`` holds the per-test-image PSNRs (``psnr`` their mean);
    ``objective_reference`` is, per test image, the lowest PGD-LPN objective F reached by the
    same iteration continued to ``REFERENCE_FACTOR × pnp.iters`` iterations: the F* against which
    convergence F(x_k) − F* is plotted (a reference below every reported iterate).
    ``admm_theory`` is PnP-ADMM with the LPN at ``rho_theory`` =
    :data:`~theorybook.lpn.pnp_benchmark.RHO_THEORY_FACTOR` · ‖AᵀA‖ (objective and step norms
    recorded), the penalty range of the ADMM convergence theory, and ``admm_theory_cnn`` the
    plain CNN at the same penalty (its step norms; no objective).
    """

    name: str
    op_norm: PositiveReal
    psnr: dict[str, float]
    ssim: dict[str, float]
    tuned: dict[str, PositiveReal]
    runs: dict[str, PnPResult]
    examples: dict[str, Float3264[np.ndarray, "side side"]]
    objective_max_increase: FiniteReal
    dataset: str = "digits"
    psnr_images: dict[str, Float3264[np.ndarray, " images"]] = field(default_factory=dict)
    objective_reference: Float3264[np.ndarray, " images"] | Float64[np.ndarray, " 0"] = field(
        default_factory=lambda: np.empty(0)
    )
    reference_iters: NonNegativeInt = 0
    example_index: NonNegativeInt = 0
    admm_theory: PnPResult | None = None
    rho_theory: NonNegativeReal = 0.0
    admm_theory_cnn: PnPResult | None = None


@record
@dataclass(frozen=True)
class PnPResults:
    """The problems of one :func:`~theorybook.lpn.experiments.run_pnp` call (deblurring, compressed sensing), in order.

    Iterable, indexable and unpackable like the list it replaces: ``deb, cs = run_pnp(...)``.
    """

    problems: tuple[PnPProblemResult, ...]
    dataset: str = "digits"

    def __iter__(self) -> Iterator[PnPProblemResult]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __getitem__(self, index: int) -> PnPProblemResult:
        return self.problems[index]


@record
@dataclass(frozen=True)
class CTResult:
    """Sparse-view CT of phantoms: the PnP comparison (with FBP) and the operator's size.

    ``problem`` holds metrics per method as for :func:`~theorybook.lpn.experiments.run_pnp` (``"FBP"`` among them);
    ``angles`` views of ``size`` × ``size`` images, ``measurements`` detector readings;
    ``adjoint_gap`` = |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖‖y‖) at a random pair (float64).
    """

    problem: PnPProblemResult
    size: PositiveInt
    angles: PositiveInt
    measurements: PositiveInt
    fbp_filter: str = "ramp"
    adjoint_gap: NonNegativeReal = float("nan")
    seconds: NonNegativeReal = 0.0


@record
@dataclass(frozen=True)
class PatchProxResult:
    """The patch LPN on crops of side ``patches.crop_size``: is the patch average a prox, and how good is it.

    ``asymmetry[boundary]`` is ‖J − Jᵀ‖_F/‖J‖_F of the averaged operator (float64, at a
    ``2·patch``-pixel crop) for periodic and border windows; ``lambda_min`` the smallest
    eigenvalue of the periodic operator's symmetric Jacobian. ``denoise_psnr[method]`` holds
    per-crop PSNRs of denoising at noise ``digits_sigma`` (TV weight tuned on validation crops);
    ``deblur`` the PnP comparison of :func:`~theorybook.lpn.experiments.run_pnp` on the crops with the periodic patch LPN.
    """

    asymmetry: dict[str, NonNegativeReal]
    lambda_min: FiniteReal
    denoise_psnr: dict[str, Float3264[np.ndarray, " crops"]]
    tv_weight: PositiveReal
    deblur: PnPProblemResult
    photos: tuple[str, ...]
    examples: dict[str, Float3264[np.ndarray, "height width"]] = field(default_factory=dict)
    seconds: NonNegativeReal = 0.0


@record
@dataclass(frozen=True)
class StepTiming:
    """Median milliseconds per Adam step (forward, loss, backward) and parameter counts."""

    lpn_ms: NonNegativeReal
    cnn_ms: NonNegativeReal
    lpn_params: PositiveInt
    cnn_params: PositiveInt
    lpn_spread: Spread = 1.0
    cnn_spread: Spread = 1.0

    @property
    def ratio(self) -> float:
        return self.lpn_ms / self.cnn_ms


DECOMPOSITION_MODELS: tuple[str, ...] = ("CNN", "LPN ℓ2", "LPN PM")
"""The denoisers of the decomposition: the plain CNN (ℓ₂), the ConvLPN trained with ℓ₂ on the
paper's steps and learning rates, and the ConvLPN trained with the paper's schedule (ℓ₁, then
proximal matching)."""

DECOMPOSITION_METRICS: tuple[str, ...] = (
    "denoising",
    "ADMM deblurring",
    "ADMM compressed sensing",
    "PGD deblurring",
    "PGD compressed sensing",
)
"""What the decomposition measures: denoising PSNR at the training noise on the test digits, and
the test PSNR of PnP-ADMM and of relaxed PnP-PGD on the digits problems (each tuned on
validation digits)."""


@record
@dataclass(frozen=True)
class DecompositionResult:
    """Where the LPN's gap to the plain CNN comes from: the convexity constraint or the loss.

    ``psnr[metric][model]`` holds the mean test PSNR (dB) of each seed, one value per seed of
    ``seeds``, for every metric of :data:`DECOMPOSITION_METRICS` and model of
    :data:`DECOMPOSITION_MODELS`, all trained for ``steps`` steps; ``tuned[metric][model]`` the
    ADMM ρ or PGD λ tuned per seed (empty for denoising). ``commit``, ``recorded_on`` and
    ``wall_seconds`` describe the recorded run it was read from (empty for a fresh run).
    """

    seeds: tuple[NonNegativeInt, ...]
    steps: PositiveInt
    test_images: PositiveInt
    psnr: dict[str, dict[str, Float64[np.ndarray, " seeds"]]]
    tuned: dict[str, dict[str, Float64[np.ndarray, " seeds"]]] = field(default_factory=dict)
    commit: str = ""
    recorded_on: str = ""
    wall_seconds: NonNegativeReal = 0.0

    def gap(self, metric: str, better: str, worse: str) -> np.ndarray:
        """Per seed, PSNR of ``better`` minus PSNR of ``worse`` under ``metric`` (dB)."""
        return self.psnr[metric][better] - self.psnr[metric][worse]


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of the chapter, as :func:`~theorybook.lpn.experiments.run_all` runs them.

    ``laplacian`` the 1-D toy, ``prior`` the digits prior, ``pnp`` the digits inverse problems,
    ``patches`` the same problems on natural-image patches, ``ct`` sparse-view CT and
    ``patch_prox`` the patch LPN on larger images (the last three reuse the patch models), and
    ``timing`` the training-step cost, ``decomposition`` the recorded run that splits the
    LPN's gap to the CNN into its causes; the optional ones may be left out.
    """

    laplacian: LaplacianResult
    prior: DigitsPriorResult
    pnp: PnPResults
    patches: PnPResults | None = None
    ct: CTResult | None = None
    patch_prox: PatchProxResult | None = None
    timing: StepTiming | None = None
    decomposition: DecompositionResult | None = None
