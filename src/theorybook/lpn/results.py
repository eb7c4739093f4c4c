"""The result types of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Every experiment of :mod:`theorybook.lpn.experiments` returns one of these frozen dataclasses;
:class:`Results` gathers them, as :func:`~theorybook.lpn.experiments.run_all` returns them and
:func:`~theorybook.lpn.claims.chapter_claims` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from theorybook.boundary import record
from theorybook.lpn.diagnostics import JacobianReport
from theorybook.lpn.model import LPN
from theorybook.lpn.pnp import PnPResult
from theorybook.training import TrainingHistory

__all__ = [
    "CTResult",
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


@record
@dataclass(frozen=True)
class LaplacianResult:
    """Denoisers and priors learned on the Laplace toy with ℓ₂, ℓ₁ and proximal matching.

    ``prior_errors[name]`` is the mean |(R_θ − min R_θ)(x) − |x|| over |x| ≤ 3, the distance of
    the learned prior from the true −σ² log p_x = |x| (up to its constant).
    """

    y: np.ndarray
    soft: np.ndarray
    mmse: np.ndarray
    median: np.ndarray
    outputs: dict[str, np.ndarray]
    prior_x: dict[str, np.ndarray]
    prior_r: dict[str, np.ndarray]
    potential: dict[str, np.ndarray]
    errors_soft: dict[str, float]
    errors_mmse: dict[str, float]
    errors_median: dict[str, float]
    prior_errors: dict[str, float]
    prox_check: tuple[float, float]
    inversion_gap: float
    jacobian: JacobianReport
    histories: dict[str, TrainingHistory]
    models: dict[str, LPN] = field(repr=False, default_factory=dict)
    seconds: float = 0.0


@record
@dataclass(frozen=True)
class DigitsPriorResult:
    """R_θ over perturbation sweeps: ``priors[kind]`` has shape (levels, digits.n_test).

    ``frac_below_by_level[kind][j]`` is the fraction of test digits with R_θ(clean) below R_θ at
    the (j+1)-th perturbed level; ``frac_mix_above_chord`` the fraction whose mixtures
    (1 − λ)x + λx′ all have R_θ above the chord (1 − λ)R_θ(x) + λR_θ(x′), for every λ > 0 swept.
    """

    levels: dict[str, tuple[float, ...]]
    priors: dict[str, np.ndarray]
    examples: dict[str, np.ndarray]
    frac_monotone: dict[str, float]
    frac_clean_lowest: dict[str, float]
    frac_mix_above_both: float
    max_residual: float
    jacobian: JacobianReport
    history: TrainingHistory
    seconds: float = 0.0
    frac_below_by_level: dict[str, np.ndarray] = field(default_factory=dict)
    frac_mix_above_chord: float = float("nan")


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
    recorded), the penalty range of the ADMM convergence theory.
    """

    name: str
    op_norm: float
    psnr: dict[str, float]
    ssim: dict[str, float]
    tuned: dict[str, float]
    runs: dict[str, PnPResult]
    examples: dict[str, np.ndarray]
    objective_max_increase: float
    dataset: str = "digits"
    psnr_images: dict[str, np.ndarray] = field(default_factory=dict)
    objective_reference: np.ndarray = field(default_factory=lambda: np.empty(0))
    reference_iters: int = 0
    example_index: int = 0
    admm_theory: PnPResult | None = None
    rho_theory: float = 0.0


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
    size: int
    angles: int
    measurements: int
    fbp_filter: str = "ramp"
    adjoint_gap: float = float("nan")
    seconds: float = 0.0


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

    asymmetry: dict[str, float]
    lambda_min: float
    denoise_psnr: dict[str, np.ndarray]
    tv_weight: float
    deblur: PnPProblemResult
    photos: tuple[str, ...]
    examples: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0


@record
@dataclass(frozen=True)
class StepTiming:
    """Median milliseconds per Adam step (forward, loss, backward) and parameter counts."""

    lpn_ms: float
    cnn_ms: float
    lpn_params: int
    cnn_params: int
    lpn_spread: float = 1.0
    cnn_spread: float = 1.0

    @property
    def ratio(self) -> float:
        return self.lpn_ms / self.cnn_ms


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of the chapter, as :func:`~theorybook.lpn.experiments.run_all` runs them.

    ``laplacian`` the 1-D toy, ``prior`` the digits prior, ``pnp`` the digits inverse problems,
    ``patches`` the same problems on natural-image patches, ``ct`` sparse-view CT and
    ``patch_prox`` the patch LPN on larger images (the last three reuse the patch models), and
    ``timing`` the training-step cost; the optional ones may be left out.
    """

    laplacian: LaplacianResult
    prior: DigitsPriorResult
    pnp: PnPResults
    patches: PnPResults | None = None
    ct: CTResult | None = None
    patch_prox: PatchProxResult | None = None
    timing: StepTiming | None = None
