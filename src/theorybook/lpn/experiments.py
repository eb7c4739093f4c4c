"""The experiments of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Each ``run_*`` function takes a :class:`~theorybook.lpn.config.Config`, seeds itself, runs under
the book's thread policy (:func:`theorybook.runtime.torch_threads`) and returns a frozen
dataclass that :mod:`theorybook.lpn.figures` draws and :mod:`theorybook.lpn.claims` checks:

* :func:`run_laplacian`: the 1-D Laplacian toy (the official README's "Laplacian experiment");
* :func:`train_digits_models` and :func:`run_digits_prior`: the learned prior of digits under
  noise, blur and mixing (the README's MNIST experiment, on scikit-learn digits);
* :func:`run_pnp`: plug-and-play deblurring and compressed sensing of digits or of
  natural-image patches (:func:`train_patch_models`);
* :func:`run_ct`: sparse-view CT of phantoms with the patch models;
* :func:`run_patch_prox`: the patch LPN averaged over overlapping patches of larger images;
* :func:`time_training_steps`: the training-step cost of the exact-prox guarantee.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import torch

from theorybook.lpn.config import Config
from theorybook.lpn.data import (
    CROP_PHOTOS,
    PATCH_TEST_PHOTO,
    PATCH_TRAIN_PHOTOS,
    PERTURBATIONS,
    check_images,
    crop_split,
    ct_split,
    digits_split,
    image_sampler,
    laplace_sampler,
    patch_split,
    perturb,
)
from theorybook.lpn.diagnostics import JacobianReport, jacobian_report, prox_grid_check
from theorybook.lpn.model import LPN, ConvexPotentialNet, ConvLPN, PlainCNN
from theorybook.lpn.operators import (
    CompressedSensing,
    GaussianBlur,
    LinearOp,
    RadonCT,
    operator_norm,
)
from theorybook.lpn.patches import BOUNDARIES, PatchLPN, jacobian_asymmetry, patch_average
from theorybook.lpn.pnp import (
    PnPDiverged,
    PnPResult,
    image_metrics,
    pnp_admm,
    pnp_pgd,
    tikhonov,
    tv_denoiser,
)
from theorybook.lpn.prior import learned_prior, prior_at_output
from theorybook.lpn.toy import laplace_posterior_stats, soft_threshold
from theorybook.lpn.train import Stage, TrainHistory, paper_schedule, train_lpn
from theorybook.runtime import seed_everything, torch_threads
from theorybook.timing import best_of
from theorybook.training import check_finite_loss
from theorybook.validation import int_in_range, non_negative_int, positive_int

__all__ = [
    "BASELINES",
    "CTResult",
    "FBP_FILTERS",
    "PatchProxResult",
    "DigitsPriorResult",
    "JacobianReport",
    "LaplacianResult",
    "PATCH_TEST_PHOTO",
    "PATCH_TRAIN_PHOTOS",
    "PERTURBATIONS",
    "PRIOR_RANGE",
    "PnPProblemResult",
    "PnPResults",
    "REFERENCE_FACTOR",
    "RHO_THEORY_FACTOR",
    "StepTiming",
    "PGD_STEPS",
    "TUNING_GRIDS",
    "digits_split",
    "jacobian_report",
    "patch_split",
    "perturb",
    "prox_grid_check",
    "run_digits_prior",
    "run_laplacian",
    "run_ct",
    "run_patch_prox",
    "run_pnp",
    "time_training_steps",
    "train_digits_models",
    "train_image_models",
    "train_patch_models",
]


def __getattr__(name: str) -> Any:
    # deprecated location of the claims builder (moved to theorybook.lpn.claims)
    if name == "chapter_claims":
        import warnings

        from theorybook.lpn.claims import chapter_claims

        warnings.warn(
            "theorybook.lpn.experiments.chapter_claims moved to theorybook.lpn.claims",
            DeprecationWarning,
            stacklevel=2,
        )
        return chapter_claims
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_cfg(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.lpn.Config, got {type(cfg).__name__}")
    return cfg


# ------------------------------------------------------------------------------------------------
# Experiment 1: the Laplacian toy
# ------------------------------------------------------------------------------------------------


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
    histories: dict[str, TrainHistory]
    models: dict[str, LPN] = field(repr=False, default_factory=dict)
    seconds: float = 0.0


PRIOR_RANGE = 3.0
"""|x| ≤ PRIOR_RANGE is where the Laplace toy's learned priors are compared with |x|."""


@torch_threads()
def run_laplacian(cfg: Config, *, progress: bool = False) -> LaplacianResult:
    """The Laplacian toy: x ~ Laplace(0, 1), y = x + N(0, 1); LPNs trained with ℓ₂, ℓ₁ and PM.

    ℓ₂ and ℓ₁ models are trained from the same seed for ``lap_pretrain_steps`` (half at lr 1e−3,
    half at 1e−4); the proximal-matching model warm-starts from the ℓ₁ model and runs the γ
    stages ``lap_gammas`` / ``lap_pm_lrs``. Errors are mean |f_θ − target| on y ∈ [−4, 4].
    """
    cfg = _check_cfg(cfg)
    start = time.perf_counter()
    seed_everything(cfg.seed)
    sampler = laplace_sampler(cfg.lap_batch)
    half = cfg.lap_pretrain_steps // 2
    models: dict[str, LPN] = {}
    histories: dict[str, TrainHistory] = {}
    for loss in ("l2", "l1"):
        seed_everything(cfg.seed)
        model = LPN(1, cfg.lap_hidden, cfg.lap_layers, beta=cfg.lap_beta)
        sched = [Stage(half, loss, 1e-3), Stage(cfg.lap_pretrain_steps - half, loss, 1e-4)]
        histories[loss] = train_lpn(
            model, sampler, sched, progress=progress, desc=f"Laplace {loss}"
        )
        models[loss] = model
    pm = copy.deepcopy(models["l1"])
    sched = [
        Stage(cfg.lap_pm_steps, "pm", lr, g)
        for g, lr in zip(cfg.lap_gammas, cfg.lap_pm_lrs, strict=True)
    ]
    histories["pm"] = train_lpn(pm, sampler, sched, progress=progress, desc="Laplace PM")
    models["pm"] = pm

    y = np.linspace(-4, 4, 801)
    soft = soft_threshold(y, 1.0)
    mmse, median = laplace_posterior_stats(y)
    yt = torch.as_tensor(y).reshape(-1, 1)
    outputs, prior_x, prior_r, potential = {}, {}, {}, {}
    errs_soft, errs_mmse, errs_med, errs_prior = {}, {}, {}, {}
    u = torch.linspace(-6, 6, 1201, dtype=torch.float64).reshape(-1, 1)
    x_eval = np.linspace(-PRIOR_RANGE, PRIOR_RANGE, 301)
    for name, model in models.items():
        m64 = copy.deepcopy(model).double()
        with torch.no_grad():
            out = m64(yt).numpy().ravel()
            potential[name] = m64.potential(yt).numpy()
        outputs[name] = out
        errs_soft[name] = float(np.mean(np.abs(out - soft)))
        errs_mmse[name] = float(np.mean(np.abs(out - mmse)))
        errs_med[name] = float(np.mean(np.abs(out - median)))
        xs, rs = prior_at_output(m64, u)
        xs_sorted, rs_sorted = _sorted(xs.numpy().ravel(), rs.numpy())
        prior_x[name] = xs_sorted
        prior_r[name] = rs_sorted - float(rs.min())
        r_eval = np.interp(x_eval, xs_sorted, rs_sorted)
        errs_prior[name] = float(np.mean(np.abs(r_eval - r_eval.min() - np.abs(x_eval))))
    pm64 = copy.deepcopy(pm).double()
    check = prox_grid_check(pm, torch.linspace(-4, 4, 81))
    # R_θ by inversion (learned_prior) against the exact parametrisation, on x in the range
    x_probe = torch.linspace(-2.5, 2.5, 21, dtype=torch.float64).reshape(-1, 1)
    xs, rs = prior_at_output(pm64, u)
    r_inv = learned_prior(pm64, x_probe)
    assert isinstance(r_inv, torch.Tensor)
    r_exact = np.interp(x_probe.numpy().ravel(), *_sorted(xs.numpy().ravel(), rs.numpy()))
    gap = float(np.ptp(r_inv.numpy() - r_exact))  # both are defined up to a constant
    jac = jacobian_report(pm, torch.linspace(-4, 4, 33).reshape(-1, 1))
    return LaplacianResult(
        y=y,
        soft=soft,
        mmse=mmse,
        median=median,
        outputs=outputs,
        prior_x=prior_x,
        prior_r=prior_r,
        potential=potential,
        errors_soft=errs_soft,
        errors_mmse=errs_mmse,
        errors_median=errs_med,
        prior_errors=errs_prior,
        prox_check=check,
        inversion_gap=gap,
        jacobian=jac,
        histories=histories,
        models=models,
        seconds=time.perf_counter() - start,
    )


def _sorted(x: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(x)
    return x[order], r[order]


# ------------------------------------------------------------------------------------------------
# Training the image denoisers
# ------------------------------------------------------------------------------------------------


@torch_threads()
def train_image_models(
    cfg: Config,
    train: np.ndarray,
    *,
    lpn_steps: int,
    cnn_steps: int | None,
    progress: bool = False,
    label: str = "images",
) -> tuple[ConvLPN, PlainCNN | None, dict[str, TrainHistory]]:
    """Train a ConvLPN denoiser, and optionally the plain-CNN baseline, on clean ``train`` images.

    ``train`` is ``(n, 1, s, s)`` in [0, 1]; noise σ = ``cfg.digits_sigma``, batch
    ``cfg.digits_batch``. The LPN follows the paper's schedule (:func:`paper_schedule`: ℓ₁
    for half of ``lpn_steps``, then four proximal-matching stages with γ_min = 0.08·√pixels);
    unless ``cnn_steps`` is None, the plain CNN is trained with the ℓ₂ loss at lr 1e−3 for
    ``cnn_steps`` steps. The caller seeds.
    """
    cfg = _check_cfg(cfg)
    check_images(train, "train")
    lpn_steps = int_in_range("lpn_steps", lpn_steps, low=8)
    if cnn_steps is not None:
        cnn_steps = positive_int("cnn_steps", cnn_steps)
    size = int(train.shape[-1])
    sampler = image_sampler(train, cfg.digits_batch, cfg.digits_sigma)
    model = ConvLPN(size, 1, cfg.conv_hidden, beta=cfg.conv_beta, alpha=cfg.conv_alpha)
    gamma_min = 0.08 * float(np.sqrt(size**2))
    hist = {
        "lpn": train_lpn(
            model,
            sampler,
            paper_schedule(lpn_steps, gamma_min),
            progress=progress,
            desc=f"{label} LPN",
        )
    }
    cnn = None
    if cnn_steps is not None:
        seed_everything(cfg.seed + 1)
        cnn = PlainCNN(1, cfg.conv_hidden, cfg.cnn_depth)
        hist["cnn"] = train_lpn(
            cnn, sampler, [Stage(cnn_steps, "l2", 1e-3)], progress=progress, desc=f"{label} CNN"
        )
    return model, cnn, hist


def train_digits_models(
    cfg: Config, *, progress: bool = False, with_cnn: bool = True
) -> tuple[ConvLPN, PlainCNN | None, dict[str, TrainHistory]]:
    """Train the digits ConvLPN (``digits_steps``, paper schedule) and, optionally, the plain-CNN
    baseline (``cnn_steps``) on the training digits of :func:`digits_split`."""
    cfg = _check_cfg(cfg)
    seed_everything(cfg.seed)
    train, _, _ = digits_split(cfg)
    return train_image_models(
        cfg,
        train,
        lpn_steps=cfg.digits_steps,
        cnn_steps=cfg.cnn_steps if with_cnn else None,
        progress=progress,
        label="digits",
    )


def train_patch_models(
    cfg: Config, *, progress: bool = False, with_cnn: bool = True
) -> tuple[ConvLPN, PlainCNN | None, dict[str, TrainHistory]]:
    """Train the natural-image ConvLPN (``patch_steps``, paper schedule) and, optionally, the
    plain-CNN baseline (``patch_cnn_steps``) on the training patches of :func:`patch_split`."""
    cfg = _check_cfg(cfg)
    seed_everything(cfg.seed)
    train, _, _ = patch_split(cfg)
    return train_image_models(
        cfg,
        train,
        lpn_steps=cfg.patch_steps,
        cnn_steps=cfg.patch_cnn_steps if with_cnn else None,
        progress=progress,
        label="patches",
    )


# ------------------------------------------------------------------------------------------------
# Experiment 2: the learned prior on digits
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitsPriorResult:
    """R_θ over perturbation sweeps: ``priors[kind]`` has shape (levels, n_test).

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
    history: TrainHistory
    seconds: float = 0.0
    frac_below_by_level: dict[str, np.ndarray] = field(default_factory=dict)
    frac_mix_above_chord: float = float("nan")


@torch_threads()
def run_digits_prior(
    cfg: Config,
    model: ConvLPN,
    *,
    history: TrainHistory | None = None,
    progress: bool = False,
) -> DigitsPriorResult:
    """R_θ (by inversion) on ``n_test`` test digits under noise, blur and mixing.

    ``frac_monotone[kind]`` is the fraction of images whose R_θ rises strictly along all levels;
    ``frac_clean_lowest[kind]`` the fraction with R_θ(clean) below every perturbed level;
    ``frac_mix_above_both`` the fraction whose half-half mixture has R_θ above both clean digits.
    """
    cfg = _check_cfg(cfg)
    if not isinstance(model, ConvLPN):
        raise TypeError(f"model must be a ConvLPN, got {type(model).__name__}")
    if model.image_size != cfg.pad_to or model.channels != 1:
        raise ValueError(
            f"model expects {model.image_size}×{model.image_size} images, the digits are "
            f"{cfg.pad_to}×{cfg.pad_to} (cfg.pad_to)"
        )
    start = time.perf_counter()
    seed_everything(cfg.seed)
    _, _, test = digits_split(cfg)
    m64 = copy.deepcopy(model).double()
    priors, examples, mono, lowest, by_level = {}, {}, {}, {}, {}
    residual = 0.0
    kinds: Any = PERTURBATIONS.items()
    if progress:
        from theorybook.reporting import progress as progress_bar

        kinds = progress_bar(kinds, desc="digits prior sweeps", total=len(PERTURBATIONS))
    for kind, levels in kinds:
        batch = np.concatenate([perturb(test, kind, lv, seed=cfg.seed) for lv in levels])
        out = learned_prior(m64, torch.as_tensor(batch, dtype=torch.float64), return_inversion=True)
        assert isinstance(out, tuple)
        r, inv = out
        residual = max(residual, float(inv.residual.max()))
        table = r.numpy().reshape(len(levels), len(test))
        priors[kind] = table
        examples[kind] = batch.reshape(len(levels), len(test), *test.shape[-2:])[:, 0]
        mono[kind] = float(np.mean(np.all(np.diff(table, axis=0) > 0, axis=0)))
        lowest[kind] = float(np.mean(np.all(table[1:] > table[0], axis=0)))
        by_level[kind] = np.mean(table[1:] > table[0], axis=1)
    # the mixture at λ = 1/2 against both of its clean endpoints x and x′ (x′ = the previous image)
    ends = np.maximum(priors["mix"][0], np.roll(priors["mix"][0], 1))
    above_both = float(np.mean(priors["mix"][-1] > ends))
    # the chord between the endpoints: R_θ along the segment x → x′ against linear interpolation
    lam = np.asarray(PERTURBATIONS["mix"])[:, None]
    chord = (1 - lam) * priors["mix"][0] + lam * np.roll(priors["mix"][0], 1)
    above_chord = float(np.mean(np.all(priors["mix"][1:] > chord[1:], axis=0)))
    jac = jacobian_report(model, torch.as_tensor(test[:3]))
    return DigitsPriorResult(
        levels=dict(PERTURBATIONS),
        priors=priors,
        examples=examples,
        frac_monotone=mono,
        frac_clean_lowest=lowest,
        frac_mix_above_both=above_both,
        max_residual=residual,
        jacobian=jac,
        history=history if history is not None else TrainHistory(),
        seconds=time.perf_counter() - start,
        frac_below_by_level=by_level,
        frac_mix_above_chord=above_chord,
    )


# ------------------------------------------------------------------------------------------------
# Experiment 3: plug-and-play deblurring and compressed sensing
# ------------------------------------------------------------------------------------------------

PGD_STEPS: tuple[float, ...] = (0.25, 0.5, 0.95)
"""PnP-PGD steps η, in units of 1/‖A‖², tuned for each learned denoiser. The iteration
x ← f(x − η∇h(x)) with f = prox_R is PGD on h + R/η, so η is the weight of the data term
against the learned prior; every value keeps the descent condition η < 1/‖AᵀA‖."""

TV_PGD_STEP = 0.95
"""PnP-PGD step of TV, in units of 1/‖A‖² (TV's own weight is tuned instead)."""

TUNING_GRIDS: dict[str, tuple[float, ...]] = {
    "Tikhonov λ": (1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
    "TV weight": (0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3),
    "ADMM ρ": (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "ADMM ρ (CNN)": (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "PGD η‖A‖²": PGD_STEPS,
    "PGD η‖A‖² (CNN)": PGD_STEPS,
}
"""The grids on which each method's one scalar is tuned by validation PSNR (the LPN's and the
CNN's ADMM penalty on the same grid, and their PnP-PGD step on :data:`PGD_STEPS`)."""

FBP_FILTERS: tuple[str, ...] = ("ramp", "shepp-logan", "cosine", "hamming", "hann")
"""The filters of filtered back-projection (``skimage.transform.iradon``) tuned for CT."""

BASELINES: tuple[str, ...] = ("Aᵀy", "FBP", "Tikhonov", "PnP-PGD TV", "PnP-PGD CNN", "PnP-ADMM CNN")
"""The methods an LPN reconstruction is compared with."""

REFERENCE_FACTOR = 5
"""The PGD-LPN reference run is this many times longer than the reported run (see
:attr:`PnPProblemResult.objective_reference`)."""

RHO_THEORY_FACTOR = 1.05
"""PnP-ADMM is also run at ρ = ``RHO_THEORY_FACTOR`` · ‖AᵀA‖, inside the range ρ > ‖AᵀA‖ (penalty
above the Lipschitz constant of the data term's gradient) that nonconvex-ADMM convergence
analyses require."""


@dataclass(frozen=True)
class PnPProblemResult:
    """One inverse problem: metrics per method, tuned parameters, PnP diagnostics, examples.

    ``psnr_images[method]`` holds the per-test-image PSNRs (``psnr`` their mean);
    ``objective_reference`` is, per test image, the lowest PGD-LPN objective F reached by the
    same iteration continued to ``REFERENCE_FACTOR × pnp_iters`` iterations: the F* against which
    convergence F(x_k) − F* is plotted (a reference below every reported iterate).
    ``admm_theory`` is PnP-ADMM with the LPN at ``rho_theory`` = :data:`RHO_THEORY_FACTOR` ·
    ‖AᵀA‖ (objective and step norms recorded), the penalty range of the ADMM convergence theory.
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


@dataclass(frozen=True)
class PnPResults:
    """The problems of one :func:`run_pnp` call (deblurring, compressed sensing), in order.

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


def _tune(values: tuple[float, ...], score: Callable[[float], float]) -> float:
    def safe(v: float) -> float:
        try:
            return score(v)
        except PnPDiverged:
            return float("-inf")

    scores = [safe(v) for v in values]
    return values[int(np.argmax(scores))]


def _measure(op: LinearOp, x: torch.Tensor, noise: float, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    y = op(x)
    return y + noise * torch.randn(y.shape, generator=gen, dtype=y.dtype)


def _max_relative_rise(obj: np.ndarray) -> float:
    if len(obj) < 2:
        return 0.0
    return float(np.max(np.diff(obj, axis=0) / np.maximum(1.0, np.abs(obj[:-1]))))


@dataclass(frozen=True)
class _Tuner:
    """Validation PSNR of each method's reconstruction (a class, so no closure captures a loop
    variable)."""

    op: LinearOp
    y_val: torch.Tensor
    val: torch.Tensor
    eta: float
    iters: int
    lpn: ConvexPotentialNet
    cnn: PlainCNN | None = None

    def score(self, x_hat: torch.Tensor) -> float:
        return float(image_metrics(x_hat, self.val)[0].mean())

    def tikhonov(self, lam: float) -> float:
        return self.score(tikhonov(self.op, self.y_val, lam))

    def tv(self, weight: float) -> float:
        run = pnp_pgd(self.op, self.y_val, tv_denoiser(weight), step=self.eta, iters=self.iters)
        return self.score(run.x)

    def pgd(self, scale: float) -> float:
        step = scale * self.eta / TV_PGD_STEP
        return self.score(pnp_pgd(self.op, self.y_val, self.lpn, step=step, iters=self.iters).x)

    def pgd_cnn(self, scale: float) -> float:
        if self.cnn is None:
            return float("nan")
        step = scale * self.eta / TV_PGD_STEP
        return self.score(pnp_pgd(self.op, self.y_val, self.cnn, step=step, iters=self.iters).x)

    def admm(self, rho: float) -> float:
        return self.score(pnp_admm(self.op, self.y_val, self.lpn, rho=rho, iters=self.iters).x)

    def admm_cnn(self, rho: float) -> float:
        if self.cnn is None:
            return float("nan")
        return self.score(pnp_admm(self.op, self.y_val, self.cnn, rho=rho, iters=self.iters).x)


def _check_learned(lpn: object, cnn: object) -> None:
    if not isinstance(lpn, ConvexPotentialNet):
        raise TypeError(f"lpn must be an LPN (ConvLPN or PatchLPN), got {type(lpn).__name__}")
    if cnn is not None and not isinstance(cnn, PlainCNN):
        raise TypeError(f"cnn must be a PlainCNN or None, got {type(cnn).__name__}")


def _solve_problem(
    cfg: Config,
    name: str,
    op: LinearOp,
    val: torch.Tensor,
    test: torch.Tensor,
    lpn64: ConvexPotentialNet,
    cnn64: PlainCNN | None,
    *,
    dataset: str,
    fbp_filter: str | None = None,
    example: int | None = None,
    theory: bool = True,
    reference_factor: int = REFERENCE_FACTOR,
) -> PnPProblemResult:
    """Tune every method on ``val`` and run it on ``test`` for one operator (see :func:`run_pnp`).

    ``theory=False`` skips the PnP-ADMM run at ρ = 1.05‖AᵀA‖; ``reference_factor`` sets the
    length of the PGD-LPN reference run (in multiples of ``pnp_iters``).
    """
    norm = operator_norm(op)
    eta = TV_PGD_STEP / norm**2
    y_val = _measure(op, val, cfg.meas_noise, cfg.seed + 7)
    y = _measure(op, test, cfg.meas_noise, cfg.seed + 11)
    tuner = _Tuner(op, y_val, val, eta, max(4, cfg.pnp_iters // 2), lpn64, cnn64)
    tuned = {
        "Tikhonov λ": _tune(TUNING_GRIDS["Tikhonov λ"], tuner.tikhonov),
        "TV weight": _tune(TUNING_GRIDS["TV weight"], tuner.tv),
        "ADMM ρ": _tune(TUNING_GRIDS["ADMM ρ"], tuner.admm),
        "PGD η‖A‖²": _tune(TUNING_GRIDS["PGD η‖A‖²"], tuner.pgd),
    }
    if cnn64 is not None:
        tuned["ADMM ρ (CNN)"] = _tune(TUNING_GRIDS["ADMM ρ (CNN)"], tuner.admm_cnn)
        tuned["PGD η‖A‖² (CNN)"] = _tune(TUNING_GRIDS["PGD η‖A‖² (CNN)"], tuner.pgd_cnn)
    eta_lpn = tuned["PGD η‖A‖²"] / norm**2
    estimates: dict[str, torch.Tensor] = {"Aᵀy": op.adjoint(y)}
    if fbp_filter is not None and isinstance(op, RadonCT):
        estimates["FBP"] = op.fbp(y, filter_name=fbp_filter)
    estimates["Tikhonov"] = tikhonov(op, y, tuned["Tikhonov λ"])
    runs: dict[str, PnPResult] = {}
    runs["PnP-PGD TV"] = pnp_pgd(
        op, y, tv_denoiser(tuned["TV weight"]), step=eta, iters=cfg.pnp_iters, x_true=test
    )
    if cnn64 is not None:
        eta_cnn = tuned["PGD η‖A‖² (CNN)"] / norm**2
        runs["PnP-PGD CNN"] = pnp_pgd(op, y, cnn64, step=eta_cnn, iters=cfg.pnp_iters, x_true=test)
        runs["PnP-ADMM CNN"] = pnp_admm(
            op, y, cnn64, rho=tuned["ADMM ρ (CNN)"], iters=cfg.pnp_iters, x_true=test
        )
    runs["PnP-PGD LPN"] = pnp_pgd(
        op, y, lpn64, step=eta_lpn, iters=cfg.pnp_iters, x_true=test, keep_iterates=True
    )
    runs["PnP-ADMM LPN"] = pnp_admm(
        op, y, lpn64, rho=tuned["ADMM ρ"], iters=cfg.pnp_iters, x_true=test
    )
    rho_theory = RHO_THEORY_FACTOR * norm**2
    admm_theory = (
        pnp_admm(op, y, lpn64, rho=rho_theory, iters=cfg.pnp_iters, x_true=test) if theory else None
    )
    # the reference optimum F*: the same PGD-LPN iteration continued from its last iterate
    extra = (reference_factor - 1) * cfg.pnp_iters
    cont = pnp_pgd(op, y, lpn64, step=eta_lpn, iters=extra, x0=runs["PnP-PGD LPN"].x)
    obj = runs["PnP-PGD LPN"].objective
    reference = np.minimum(obj.min(axis=0), cont.objective.min(axis=0))
    for key, run in runs.items():
        estimates[key] = run.x
    psnr, ssim, per_image = {}, {}, {}
    for key, est in estimates.items():
        p, s = image_metrics(est, test)
        per_image[key] = p
        psnr[key], ssim[key] = float(p.mean()), float(s.mean())
    # the example shown in figures: the test image with the median PSNR of the LPN (ADMM)
    order = np.argsort(per_image["PnP-ADMM LPN"])
    idx = int(order[len(order) // 2]) if example is None else example
    examples = {"truth": test[idx, 0].numpy()}
    for key, est in estimates.items():
        examples[key] = est[idx, 0].clamp(0, 1).numpy()
    return PnPProblemResult(
        name=name,
        op_norm=norm,
        psnr=psnr,
        ssim=ssim,
        tuned=tuned,
        runs=runs,
        examples=examples,
        objective_max_increase=max(
            _max_relative_rise(obj),
            _max_relative_rise(np.concatenate([obj[-1:], cont.objective])),
        ),
        dataset=dataset,
        psnr_images=per_image,
        objective_reference=reference,
        reference_iters=reference_factor * cfg.pnp_iters,
        example_index=idx,
        admm_theory=admm_theory,
        rho_theory=rho_theory,
    )


@torch_threads()
def run_pnp(
    cfg: Config,
    lpn: ConvLPN,
    cnn: PlainCNN | None,
    *,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    dataset: str = "digits",
    progress: bool = False,
) -> PnPResults:
    """PnP deblurring and compressed sensing with every method, tuned on validation images.

    Gaussian blur σ = ``blur_sigma`` and compressed sensing of ``cs_fraction`` of the pixels,
    measurement noise ``meas_noise``, on ``images = (validation, test)``, each an array
    ``(n, 1, s, s)`` in [0, 1] with s the LPN's ``image_size``; by default the validation and test
    digits of :func:`digits_split` (for patches pass ``patch_split(cfg)[1:]``). ``dataset`` only
    labels the results. Tikhonov λ, the TV weight, and the ADMM ρ and PnP-PGD step η of the LPN
    and of the plain CNN (each its own, on the same grids) are tuned by PSNR on all validation
    images over :data:`TUNING_GRIDS` (a grid value at which a PnP run diverges scores −∞). Both
    learned denoisers run in PnP-PGD and in PnP-ADMM. All methods then run on the first
    ``pnp_images`` test images. The PGD steps stay in the descent range η < 1/‖AᵀA‖
    (:data:`PGD_STEPS`); TV's PGD step is η = 0.95/‖A‖². Returns one
    :class:`PnPProblemResult` per problem.
    """
    cfg = _check_cfg(cfg)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be a ConvLPN, got {type(lpn).__name__}")
    _check_learned(lpn, cnn)
    if not isinstance(dataset, str) or not dataset:
        raise TypeError(f"dataset must be a non-empty label, got {dataset!r}")
    seed_everything(cfg.seed)
    if images is None:
        _, val_np, test_np = digits_split(cfg)
    else:
        if not isinstance(images, tuple) or len(images) != 2:
            raise TypeError("images must be a (validation, test) tuple of arrays")
        val_np, test_np = images
    for what, arr in (("validation images", val_np), ("test images", test_np)):
        check_images(arr, what)
        if arr.shape[-1] != lpn.image_size or lpn.channels != 1:
            raise ValueError(
                f"{what} are {arr.shape[-1]}×{arr.shape[-1]}, the LPN expects "
                f"{lpn.image_size}×{lpn.image_size} with one channel"
            )
    val = torch.as_tensor(val_np, dtype=torch.float64)
    test = torch.as_tensor(test_np[: cfg.pnp_images], dtype=torch.float64)
    n = int(test.shape[-1])
    ops: dict[str, LinearOp] = {
        "deblurring": GaussianBlur(n, cfg.blur_sigma),
        "compressed sensing": CompressedSensing(
            n, max(1, round(cfg.cs_fraction * n * n)), seed=cfg.seed
        ),
    }
    lpn64 = copy.deepcopy(lpn).double()
    cnn64 = copy.deepcopy(cnn).double() if cnn is not None else None
    problems: Any = list(ops.items())
    if progress:
        from theorybook.reporting import progress as progress_bar

        problems = progress_bar(problems, desc=f"PnP problems ({dataset})", leave=False)
    results = [
        _solve_problem(cfg, name, op, val, test, lpn64, cnn64, dataset=dataset)
        for name, op in problems
    ]
    return PnPResults(tuple(results), dataset=dataset)


# ------------------------------------------------------------------------------------------------
# Experiment 4: sparse-view CT with the patch LPN
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CTResult:
    """Sparse-view CT of phantoms: the PnP comparison (with FBP) and the operator's size.

    ``problem`` holds metrics per method as for :func:`run_pnp` (``"FBP"`` among them);
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


@torch_threads()
def run_ct(cfg: Config, lpn: ConvLPN, cnn: PlainCNN | None, *, progress: bool = False) -> CTResult:
    """Sparse-view CT (:class:`RadonCT`, ``ct_angles`` views of phantoms of side ``ct_size``).

    The patch models (trained on natural-image patches, :func:`train_patch_models`) are reused:
    the LPN as the periodic patch average :class:`PatchLPN` (stride ``patch_stride``), an exact
    prox on the whole image; the plain CNN, fully convolutional, on the whole image. Validation
    and test images come from :func:`ct_split`; every method is tuned and run as in
    :func:`run_pnp`, with filtered back-projection as a further baseline (its filter, one of
    :data:`FBP_FILTERS`, tuned on the validation phantoms).
    """
    cfg = _check_cfg(cfg)
    _check_learned(lpn, cnn)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be the patch ConvLPN, got {type(lpn).__name__}")
    start = time.perf_counter()
    seed_everything(cfg.seed)
    val_np, test_np = ct_split(cfg)
    op = RadonCT(cfg.ct_size, cfg.ct_angles)
    # float32: float64 convolutions are several times slower on a CPU (the objective's
    # monotonicity is then checked to float32 precision)
    lpn32 = PatchLPN(copy.deepcopy(lpn).float(), stride=cfg.patch_stride)
    cnn32 = copy.deepcopy(cnn).float() if cnn is not None else None
    val = torch.as_tensor(val_np, dtype=torch.float32)
    y_val = _measure(op, val, cfg.meas_noise, cfg.seed + 7)  # as _solve_problem measures

    def fbp_score(index: float) -> float:
        est = op.fbp(y_val, filter_name=FBP_FILTERS[int(index)])
        return float(image_metrics(est, val)[0].mean())

    fbp_filter = FBP_FILTERS[int(_tune(tuple(map(float, range(len(FBP_FILTERS)))), fbp_score))]
    gen = torch.Generator().manual_seed(cfg.seed + 17)
    x_r = torch.randn(1, 1, op.n, op.n, generator=gen, dtype=torch.float64)
    y_r = torch.randn(1, op.m, generator=gen, dtype=torch.float64)
    ax = op(x_r)
    gap = float((ax * y_r).sum() - (x_r * op.adjoint(y_r)).sum()) / float(ax.norm() * y_r.norm())
    problem = _solve_problem(
        cfg,
        "sparse-view CT",
        op,
        val,
        torch.as_tensor(test_np, dtype=torch.float32),
        lpn32,
        cnn32,
        dataset="phantoms",
        fbp_filter=fbp_filter,
        example=0,  # the Shepp–Logan phantom
        theory=False,
        reference_factor=2,
    )
    return CTResult(
        problem=problem,
        size=cfg.ct_size,
        angles=cfg.ct_angles,
        measurements=op.m,
        fbp_filter=fbp_filter,
        adjoint_gap=abs(gap),
        seconds=time.perf_counter() - start,
    )


# ------------------------------------------------------------------------------------------------
# Experiment 5: the patch LPN on larger images
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchProxResult:
    """The patch LPN on crops of side ``crop_size``: is the patch average a prox, and how good is it.

    ``asymmetry[boundary]`` is ‖J − Jᵀ‖_F/‖J‖_F of the averaged operator (float64, at a
    ``2·patch``-pixel crop) for periodic and border windows; ``lambda_min`` the smallest
    eigenvalue of the periodic operator's symmetric Jacobian. ``denoise_psnr[method]`` holds
    per-crop PSNRs of denoising at noise ``digits_sigma`` (TV weight tuned on validation crops);
    ``deblur`` the PnP comparison of :func:`run_pnp` on the crops with the periodic patch LPN.
    """

    asymmetry: dict[str, float]
    lambda_min: float
    denoise_psnr: dict[str, np.ndarray]
    tv_weight: float
    deblur: PnPProblemResult
    photos: tuple[str, ...]
    examples: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0


@torch_threads()
def run_patch_prox(
    cfg: Config, lpn: ConvLPN, cnn: PlainCNN | None, *, progress: bool = False
) -> PatchProxResult:
    """The patch LPN applied to larger images by averaging overlapping patch proxes.

    Jacobian asymmetry of :func:`patch_average` with periodic and border windows on a small
    crop; then denoising (noise σ = ``digits_sigma``, the training level) and PnP deblurring of
    the test crops of :func:`crop_split`, tuned on its validation crops.
    """
    cfg = _check_cfg(cfg)
    _check_learned(lpn, cnn)
    if not isinstance(lpn, ConvLPN):
        raise TypeError(f"lpn must be the patch ConvLPN, got {type(lpn).__name__}")
    start = time.perf_counter()
    seed_everything(cfg.seed)
    val_np, test_np = crop_split(cfg)
    m64 = copy.deepcopy(lpn).double()
    p, s = m64.image_size, cfg.patch_stride
    small = torch.as_tensor(test_np[:1, :, : 2 * p, : 2 * p], dtype=torch.float64)
    periodic = PatchLPN(m64, stride=s)
    asym = {
        b: jacobian_asymmetry(partial(patch_average, m64, patch=p, stride=s, boundary=b), small)
        for b in BOUNDARIES
    }
    lam_min = jacobian_report(periodic, small).lambda_min
    # the image-size experiments run in float32 (float64 convolutions are several times slower
    # on a CPU); the Jacobians above are float64
    m32 = copy.deepcopy(lpn).float()
    periodic32 = PatchLPN(m32, stride=s)
    val = torch.as_tensor(val_np, dtype=torch.float32)
    test = torch.as_tensor(test_np, dtype=torch.float32)
    gen = torch.Generator().manual_seed(cfg.seed + 13)
    noisy_val = val + cfg.digits_sigma * torch.randn(val.shape, generator=gen, dtype=val.dtype)
    noisy = test + cfg.digits_sigma * torch.randn(test.shape, generator=gen, dtype=test.dtype)

    def score(weight: float) -> float:
        return float(image_metrics(tv_denoiser(weight)(noisy_val), val)[0].mean())

    tv_w = _tune(TUNING_GRIDS["TV weight"], score)
    with torch.no_grad():
        outs = {
            "noisy": noisy,
            "TV": tv_denoiser(tv_w)(noisy),
            "LPN periodic": periodic32(noisy),
            "LPN border": patch_average(m32, noisy, patch=p, stride=s, boundary="border"),
        }
        if cnn is not None:
            outs["CNN"] = copy.deepcopy(cnn).float()(noisy)
    denoise = {k: image_metrics(v, test)[0] for k, v in outs.items()}
    examples = {"truth": test[0, 0].numpy()}
    examples.update({k: v[0, 0].clamp(0, 1).numpy() for k, v in outs.items()})
    cnn32 = copy.deepcopy(cnn).float() if cnn is not None else None
    deblur = _solve_problem(
        cfg,
        "deblurring",
        GaussianBlur(cfg.crop_size, cfg.blur_sigma),
        val,
        test,
        periodic32,
        cnn32,
        dataset="crops",
        theory=False,
        reference_factor=2,
    )
    return PatchProxResult(
        asymmetry=asym,
        lambda_min=lam_min,
        denoise_psnr=denoise,
        tv_weight=tv_w,
        deblur=deblur,
        photos=CROP_PHOTOS,
        examples=examples,
        seconds=time.perf_counter() - start,
    )


# ------------------------------------------------------------------------------------------------
# The cost of the guarantee
# ------------------------------------------------------------------------------------------------


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


@torch_threads()
def time_training_steps(cfg: Config, *, steps: int = 30, warmup: int = 5) -> StepTiming:
    """Time ConvLPN training steps (forward = a gradient, so backward is a double backward)
    against the plain CNN of similar size, same batch, same run, same device (CPU unless CUDA
    is present): the median of ``steps`` timed steps after ``warmup`` (:func:`best_of`)."""
    from theorybook.runtime import device

    cfg = _check_cfg(cfg)
    steps = positive_int("steps", steps)
    warmup = non_negative_int("warmup", warmup)
    seed_everything(cfg.seed)
    dev = device()
    nets: dict[str, torch.nn.Module] = {
        "lpn": ConvLPN(cfg.pad_to, 1, cfg.conv_hidden, beta=cfg.conv_beta, alpha=cfg.conv_alpha).to(
            dev
        ),
        "cnn": PlainCNN(1, cfg.conv_hidden, cfg.cnn_depth).to(dev),
    }
    x = torch.rand(cfg.digits_batch, 1, cfg.pad_to, cfg.pad_to, device=dev)
    y = x + cfg.digits_sigma * torch.randn_like(x)
    stats = {}
    for key, net in nets.items():
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        counter = [0]

        def step(
            net: torch.nn.Module = net,
            opt: torch.optim.Optimizer = opt,
            counter: list[int] = counter,
        ) -> None:
            loss = torch.nn.functional.l1_loss(net(y), x)
            check_finite_loss(loss, step=counter[0], where="timing")
            counter[0] += 1
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        stats[key] = best_of(step, repeats=steps, warmup=warmup, cuda_sync=dev.type == "cuda")
    return StepTiming(
        1000 * stats["lpn"].median,
        1000 * stats["cnn"].median,
        sum(p.numel() for p in nets["lpn"].parameters()),
        sum(p.numel() for p in nets["cnn"].parameters()),
        stats["lpn"].spread,
        stats["cnn"].spread,
    )
