"""The claims table of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

The body of the paper could not be read for this book: its abstract, its section titles and the
official repository (README, configs, figure assets) could. So no row shows a paper number as
the paper's own: locators name the README or the asset a statement comes from, and asset numbers
(single example images) appear only in notes. Identities that hold by construction are
``exact``; the PnP comparisons, on other data than the paper's and with other baselines, are
``extension``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theorybook.claims import Claim, ClaimTable, at_least, at_most
from theorybook.lpn.config import Config
from theorybook.lpn.experiments import (
    BASELINES,
    PRIOR_RANGE,
    TUNING_GRIDS,
    CTResult,
    DigitsPriorResult,
    LaplacianResult,
    PatchProxResult,
    PnPProblemResult,
    PnPResults,
)
from theorybook.lpn.pnp import objective_settling

__all__ = [
    "CHAPTER",
    "admm_claims",
    "ct_claims",
    "patch_prox_claims",
    "best_baseline",
    "chapter_claims",
    "grid_edges",
    "separation_margin",
]

CHAPTER = "03_learned_proximal_networks"
"""The notebook stem the table is filed under."""

_SECTION3 = "§3 Learned Proximal Networks (construction; section body not readable here)"
_ABSTRACT_PROX = "Abstract: LPNs are exact proximal operators; §3"
_ABSTRACT_PNP = "Abstract: convergence guarantees for PnP with LPNs (theorem not readable here)"
_LAPLACE = "Fig. 1 (qualitative; figure number from the official README)"
_MNIST = "official README, MNIST experiment ('Figures 3 and 7'); asset mnist_{}.png"
_ADMM_THEORY = (
    "Abstract (PnP-ADMM convergence with LPNs); the condition ρ > ‖AᵀA‖ is the penalty condition "
    "of nonconvex-ADMM analyses, not verified against the theorem's text"
)
_PNP_WHERE = "§5 Experiments (CelebA deblurring, MayoCT CS); official README assets"
_STRUCTURAL = (
    "jacobian-sym",
    "jacobian-psd",
    "exact-prox",
    "inversion",
    "laplace-inversion",
    "pgd-descent",
)


def best_baseline(r: PnPProblemResult) -> tuple[str, float]:
    """The baseline (of :data:`BASELINES` present in ``r``) with the highest mean PSNR."""
    return max(((m, r.psnr[m]) for m in BASELINES if m in r.psnr), key=lambda t: t[1])


def separation_margin(r: PnPProblemResult, method: str, baseline: str) -> float:
    """Two standard errors (dB) of the per-image PSNR difference ``method − baseline``.

    At least 0.1 dB. A method "beats" a baseline when its mean PSNR exceeds the baseline's by
    more than this: a paired test over the same test images at about the 95 % level.
    """
    if method not in r.psnr_images or baseline not in r.psnr_images:
        return 0.1
    diff = np.asarray(r.psnr_images[method]) - np.asarray(r.psnr_images[baseline])
    if len(diff) < 2:
        return 0.1
    return max(0.1, float(2 * diff.std(ddof=1) / np.sqrt(len(diff))))


def grid_edges(r: PnPProblemResult) -> list[str]:
    """The tuned scalars of ``r`` that sit at an end of their grid in :data:`TUNING_GRIDS`."""
    out = []
    for key, grid in TUNING_GRIDS.items():
        value = r.tuned.get(key)
        if value is not None and value in (min(grid), max(grid)):
            end = "smallest" if value == min(grid) else "largest"
            why = ""
            if key == "Tikhonov λ" and end == "smallest":
                why = (
                    " (as λ → 0 the estimate tends to the minimum-norm least-squares "
                    "solution, a finite limit: the grid has reached it)"
                )
            if key == "TV weight" and end == "smallest":
                why = (
                    " (as the weight → 0, PnP-PGD with TV tends to plain gradient descent on "
                    "the data term stopped after the run's iterations, a finite limit that the "
                    "grid has reached)"
                )
            if key.startswith("PGD η") and end == "largest":
                why = " (the largest step of the descent range η < 1/‖AᵀA‖)"
            out.append(f"{key} = {value:g} is the {end} value of its grid{why}")
    return out


def _like_for_like_note(r: PnPProblemResult, method: str, lpn_steps: int, cnn_steps: int) -> str:
    grid = TUNING_GRIDS["ADMM ρ"]
    edges = grid_edges(r)
    edge = (
        f" At the grid's edge: {'; '.join(edges)}." if edges else " Every tuned value is interior."
    )
    same = "the same number of" if lpn_steps == cnn_steps else f"{cnn_steps} against {lpn_steps}"
    return (
        "Learned denoisers like for like: the LPN and the plain CNN each run in PnP-PGD "
        "with their own step η‖A‖² tuned on "
        f"{', '.join(f'{g:g}' for g in TUNING_GRIDS['PGD η‖A‖²'])} (inside η < 1/‖AᵀA‖) and in "
        "PnP-ADMM with their own ρ tuned on "
        f"{', '.join(f'{g:g}' for g in grid)} (validation images), after {same} training "
        "steps; TV weight and Tikhonov λ tuned the same way. The CNN is ℓ2-trained, the LPN "
        f"uses the paper's schedule; TV runs in PnP-PGD only.{edge}"
    )


def _pnp_claim(
    cfg: Config,
    r: PnPProblemResult,
    *,
    claim_id: str,
    method: str,
    data: str,
    lpn_steps: int,
    cnn_steps: int,
    paper_note: str,
) -> Claim:
    base_name, base = best_baseline(r)
    margin = separation_margin(r, method, base_name)
    tuned = "ADMM ρ" if "ADMM" in method else "no LPN scalar"
    return Claim(
        claim_id,
        f"{method} beats the best baseline on {data} {r.name}: mean test PSNR (dB) above the "
        "baseline's by more than two standard errors of the paired difference",
        kind="extension",
        where=_PNP_WHERE,
        measured=r.psnr[method],
        check=at_least(base + margin),
        baseline=base,
        baseline_name=base_name,
        calibrated_on=f"{tuned}, Tikhonov λ and TV weight on validation images",
        held_out=True,
        expected_at="book",
        pending_reason="more LPN training steps and PnP iterations",
        note=(
            f"{len(r.psnr_images.get(method, []))} test images, margin {margin:.2f} dB. "
            + _like_for_like_note(r, method, lpn_steps, cnn_steps)
            + paper_note
        ),
    )


def admm_claims(problems: Sequence[PnPProblemResult], *, data: str = "digits") -> list[Claim]:
    """Convergence rows of PnP-ADMM with the LPN (objective and step norms, as for PnP-PGD).

    The scaled ADMM of eq. :eq:`lpn-admm` minimises F(z) = ½‖y − Az‖² + ρ·R_θ(z); analyses of
    nonconvex ADMM ask the penalty ρ to exceed the Lipschitz constant ‖AᵀA‖ of the data term's
    gradient. The rows check whether the tuned ρ lies in that range and whether, at
    ρ = 1.05‖AᵀA‖, F settles and the steps ‖z_{k+1} − z_k‖ vanish.
    """
    theory = [r for r in problems if r.admm_theory is not None]
    if not theory:
        return []
    ratio = min(r.tuned["ADMM ρ"] / r.op_norm**2 for r in problems)
    tuned_runs = [r.runs["PnP-ADMM LPN"] for r in problems]
    steps_tuned = max(run.step_norm[-1] / run.step_norm[0] for run in tuned_runs)
    steps_theory = max(
        r.admm_theory.step_norm[-1] / r.admm_theory.step_norm[0]
        for r in theory
        if r.admm_theory is not None
    )
    settle_theory = max(
        objective_settling(r.admm_theory.objective) for r in theory if r.admm_theory is not None
    )
    settle_tuned = max(objective_settling(run.objective) for run in tuned_runs)
    psnr_note = "; ".join(
        f"{r.name}: {r.psnr['PnP-ADMM LPN']:.2f} dB at the tuned ρ = {r.tuned['ADMM ρ']:g}, "
        f"{_mean_psnr(r):.2f} dB at ρ = {r.rho_theory:.3g}"
        for r in theory
    )
    more = "more PnP iterations (pnp_iters)"
    return [
        Claim(
            "admm-rho-condition",
            f"the tuned ρ satisfies the ADMM theory's ρ > ‖AᵀA‖ on {data}: smallest ρ/‖AᵀA‖ "
            "over the problems",
            kind="extension",
            where=_ADMM_THEORY,
            measured=ratio,
            check=at_least(1.0),
            note="ρ is tuned by validation PSNR; the theory's range is not what gives the best "
            f"images. {psnr_note}",
        ),
        Claim(
            "admm-steps",
            f"PnP-ADMM steps vanish at ρ = 1.05‖AᵀA‖ on {data}: last step ‖z_{{k+1}} − z_k‖ "
            "over the first, worst problem",
            kind="reproduction",
            where=_ADMM_THEORY,
            measured=steps_theory,
            check=at_most(0.1),
            expected_at="book",
            pending_reason=more,
            note=f"at the tuned ρ (outside the theory's range) the same ratio is {steps_tuned:.3g}",
        ),
        Claim(
            "admm-objective",
            f"the PnP-ADMM objective ½‖y − Az‖² + ρR_θ(z) settles at ρ = 1.05‖AᵀA‖ on {data}: "
            "largest relative change over the last quarter of the iterations",
            kind="reproduction",
            where=_ADMM_THEORY,
            measured=settle_theory,
            check=at_most(1e-3),
            expected_at="book",
            pending_reason=more,
            note="R_θ(z) exact at every z = f_θ(x + u). At the tuned ρ the same change is "
            f"{settle_tuned:.2g}",
        ),
    ]


_TOMO_ASSET = (
    " Official repository asset assets/tomo.png (one MayoCT image, 200 angles, LPN applied to "
    "128-pixel patches at stride 64; not the paper's text): FBP 21.59 dB, AR 32.37 dB, "
    "LPN 33.16 dB."
)


def ct_claims(cfg: Config, ct: CTResult) -> list[Claim]:
    """Rows of the sparse-view CT section: the operator's adjoint, PGD descent with the periodic
    patch LPN (an exact prox), and the PnP comparison against the best baseline and FBP."""
    r = ct.problem
    setting = (
        f"{ct.angles} views of {ct.size}×{ct.size} phantoms ({ct.measurements} readings), "
        f"FBP filter '{ct.fbp_filter}' tuned on validation phantoms; the patch models (trained "
        "on natural-image patches) are reused, the LPN as the periodic patch average."
    )
    fbp_margin = separation_margin(r, "PnP-ADMM LPN", "FBP")
    return [
        Claim(
            "ct-adjoint",
            "the explicit Radon matrix and its transpose are adjoint: "
            "|⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖‖y‖) at a random pair",
            kind="exact",
            where="§5 (sparse-view CT); our operator from skimage.transform.radon",
            measured=ct.adjoint_gap,
            check=at_most(1e-12),
        ),
        Claim(
            "pgd-descent-ct",
            "PnP-PGD objective never increases on sparse-view CT with the periodic patch LPN "
            "(largest relative rise over the run and its reference continuation)",
            kind="exact",
            where=_ABSTRACT_PNP,
            measured=r.objective_max_increase,
            check=at_most(1e-5),
            note="the periodic patch average is ∇ of a convex function, hence an exact prox; "
            "the CT runs are float32, so the bound is float32 rounding, not 1e-8",
        ),
        Claim(
            "pnp-ct-fbp",
            "PnP-ADMM with the LPN beats filtered back-projection on sparse-view CT: mean test "
            "PSNR (dB) above FBP's by more than two standard errors of the paired difference",
            kind="extension",
            where=_PNP_WHERE,
            measured=r.psnr["PnP-ADMM LPN"],
            check=at_least(r.psnr["FBP"] + fbp_margin),
            baseline=r.psnr["FBP"],
            baseline_name="FBP",
            calibrated_on="ADMM ρ and the FBP filter on validation phantoms",
            held_out=True,
            expected_at="book",
            pending_reason="more LPN training steps and PnP iterations",
            note=f"margin {fbp_margin:.2f} dB. {setting}" + _TOMO_ASSET,
        ),
        _pnp_claim(
            cfg,
            r,
            claim_id="pnp-ct",
            method="PnP-ADMM LPN",
            data="phantoms,",
            lpn_steps=cfg.patch_steps,
            cnn_steps=cfg.patch_cnn_steps,
            paper_note=" " + setting,
        ),
    ]


def patch_prox_claims(cfg: Config, pp: PatchProxResult) -> list[Claim]:
    """Rows of the patch-wise section: which patch averages are proximal operators (Jacobian
    symmetry), and the patch LPN on larger images against its baselines."""
    lpn_d = pp.denoise_psnr["LPN periodic"]
    bases = {k: v for k, v in pp.denoise_psnr.items() if k in ("TV", "CNN")}
    base_name = max(bases, key=lambda k: float(np.mean(bases[k])))
    base = bases[base_name]
    border = pp.denoise_psnr["LPN border"]
    n = len(lpn_d)
    diff = lpn_d - base
    margin = max(0.1, float(2 * diff.std(ddof=1) / np.sqrt(n))) if n > 1 else 0.1
    crops = f"{n} crops of {', '.join(pp.photos)} ({cfg.crop_size}×{cfg.crop_size})"
    return [
        Claim(
            "patch-periodic-prox",
            "the periodic patch average (uniform coverage) has a symmetric Jacobian: "
            "‖J − Jᵀ‖_F/‖J‖_F, float64",
            kind="exact",
            where="our analysis of the paper's patch-wise prox (eq. lpn-patch)",
            measured=pp.asymmetry["periodic"],
            check=at_most(1e-10),
            note=f"λ_min of J = {pp.lambda_min:.3g} ≥ 0: the Hessian of a convex function",
        ),
        Claim(
            "patch-border-not-prox",
            "the border-normalised patch average (non-uniform coverage) is not a gradient field: "
            "‖J − Jᵀ‖_F/‖J‖_F, float64",
            kind="extension",
            where="our analysis of the paper's patch-wise prox (eq. lpn-patch)",
            measured=pp.asymmetry["border"],
            check=at_least(1e-3),
            baseline=pp.asymmetry["periodic"],
            baseline_name="periodic patch average",
            note="a non-symmetric Jacobian rules out f = ∇ψ, so the operator is not a prox",
        ),
        Claim(
            "patch-denoise",
            "the periodic patch LPN denoises larger images better than the best baseline: mean "
            "PSNR (dB) at the training noise level, above the baseline by two standard errors",
            kind="extension",
            where="§5 (patch-wise LPN on larger images); our test",
            measured=float(np.mean(lpn_d)),
            check=at_least(float(np.mean(base)) + margin),
            baseline=float(np.mean(base)),
            baseline_name=base_name,
            calibrated_on="TV weight on validation crops",
            held_out=True,
            expected_at="book",
            pending_reason="more LPN training steps (patch_steps)",
            note=f"{crops}; none of these photographs is among the patch models' training ones. "
            f"The border-normalised average (not a prox) gives {float(np.mean(border)):.2f} dB",
        ),
        _pnp_claim(
            cfg,
            pp.deblur,
            claim_id="pnp-crop-deblur",
            method="PnP-ADMM LPN",
            data="larger image crops,",
            lpn_steps=cfg.patch_steps,
            cnn_steps=cfg.patch_cnn_steps,
            paper_note=f" {crops}; the LPN is the periodic patch average.",
        ),
    ]


def _by_level(prior: DigitsPriorResult, kind: str) -> str:
    fracs = prior.frac_below_by_level.get(kind)
    if fracs is None or len(fracs) == 0:
        return ""
    levels = prior.levels[kind][1:]
    pairs = ", ".join(f"{lv:g}: {f:.2f}" for lv, f in zip(levels, fracs, strict=True))
    return f"R_θ(clean) below the perturbed level, by level: {pairs}"


def _mean_psnr(r: PnPProblemResult) -> float:
    if r.admm_theory is None or len(r.admm_theory.psnr) == 0:
        return float("nan")
    return float(r.admm_theory.psnr[-1])


def chapter_claims(
    cfg: Config,
    lap: LaplacianResult,
    prior: DigitsPriorResult,
    pnp: PnPResults | Sequence[PnPProblemResult],
    patches: PnPResults | Sequence[PnPProblemResult] | None = None,
    *,
    ct: CTResult | None = None,
    patch_prox: PatchProxResult | None = None,
) -> ClaimTable:
    """The chapter's claims table, filed under ``"03_learned_proximal_networks"``.

    ``pnp`` holds the digits problems of :func:`~theorybook.lpn.experiments.run_pnp`;
    ``patches``, if given, the same problems on natural-image patches; ``ct`` and
    ``patch_prox`` the results of :func:`~theorybook.lpn.experiments.run_ct` and
    :func:`~theorybook.lpn.experiments.run_patch_prox`.
    """
    if ct is not None and not isinstance(ct, CTResult):
        raise TypeError(f"ct must be a CTResult, got {type(ct).__name__}")
    if patch_prox is not None and not isinstance(patch_prox, PatchProxResult):
        raise TypeError(f"patch_prox must be a PatchProxResult, got {type(patch_prox).__name__}")
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.lpn.Config, got {type(cfg).__name__}")
    if not isinstance(lap, LaplacianResult) or not isinstance(prior, DigitsPriorResult):
        raise TypeError("lap and prior must be a LaplacianResult and a DigitsPriorResult")
    for what, res in (("pnp", pnp), ("patches", patches)):
        if res is None and what == "patches":
            continue
        if (
            not isinstance(res, PnPResults | Sequence)
            or len(res) != 2
            or not all(isinstance(r, PnPProblemResult) for r in res)
        ):
            raise TypeError(f"{what} must be the two problems of run_pnp (PnPResults)")
    deb, cs = pnp
    more_lap = "more training steps (lap_pretrain_steps, lap_pm_steps) and a larger batch"
    more_digits = "more training steps (digits_steps) for the digits LPN"
    claims = [
        Claim(
            "jacobian-sym",
            "the Jacobian of f_θ is symmetric (relative asymmetry, float64, trained digits LPN)",
            kind="exact",
            where=_SECTION3,
            measured=prior.jacobian.asymmetry,
            check=at_most(1e-10),
            note="an autograd Hessian of ψ_θ: symmetric for any ψ_θ, convex or not",
        ),
        Claim(
            "jacobian-psd",
            "the Jacobian is PSD with λ_min ≥ 2α (λ_min − 2α, trained digits LPN)",
            kind="exact",
            where=_SECTION3,
            measured=prior.jacobian.lambda_min - 2 * cfg.conv_alpha,
            check=at_least(-1e-9),
            note="holds because the constrained weights are non-negative (projection)",
        ),
        Claim(
            "exact-prox",
            "argmin over a grid of ½(x−y)² + R_θ(x) reproduces f_θ(y) (error / local grid gap)",
            kind="exact",
            where=_ABSTRACT_PROX,
            measured=lap.prox_check[0] / lap.prox_check[1],
            check=at_most(2.0),
            note=f"error {lap.prox_check[0]:.1e}, grid gap {lap.prox_check[1]:.1e}",
        ),
        Claim(
            "inversion",
            "L-BFGS inversion gives ‖f_θ(ŷ) − x‖ ≤ 1e-4 on all digits sweeps",
            kind="exact",
            where=_SECTION3,
            measured=prior.max_residual,
            check=at_most(1e-4),
        ),
        Claim(
            "laplace-inversion",
            "R_θ by inversion equals the exact parametrisation at outputs, up to a constant "
            "(spread of the difference, Laplace PM model)",
            kind="exact",
            where=_SECTION3,
            measured=lap.inversion_gap,
            check=at_most(1e-4),
        ),
        Claim(
            "pgd-descent",
            "PnP-PGD objective ½‖y−Ax‖² + R_θ/η never increases, digits "
            "(largest relative rise over the run and its reference continuation)",
            kind="exact",
            where=_ABSTRACT_PNP,
            measured=max(deb.objective_max_increase, cs.objective_max_increase),
            check=at_most(1e-8),
            note="by construction for η < 1/‖AᵀA‖ with an exact prox (here the tuned "
            f"η‖A‖² = {deb.tuned['PGD η‖A‖²']:g} (deblurring), {cs.tuned['PGD η‖A‖²']:g} "
            "(compressed sensing))",
        ),
        Claim(
            "laplace-map",
            "proximal matching learns soft-thresholding, the MAP denoiser: mean |f_θ − soft₁| "
            "on [−4, 4]",
            kind="reproduction",
            where=_LAPLACE,
            measured=lap.errors_soft["pm"],
            check=at_most(0.1),
            baseline=lap.errors_soft["l1"],
            baseline_name="ℓ1-trained LPN",
            expected_at="book",
            pending_reason=more_lap,
            note="the paper reports this as a figure only; the exact posterior median (the ℓ1 "
            f"optimum) is {float(np.mean(np.abs(lap.median - lap.soft))):.3f} from soft₁",
        ),
        Claim(
            "laplace-prior",
            f"proximal matching learns the log-prior: mean |(R_θ − min R_θ) − |x|| on "
            f"|x| ≤ {PRIOR_RANGE:g}",
            kind="reproduction",
            where=_LAPLACE,
            measured=lap.prior_errors["pm"],
            check=at_most(0.1 * PRIOR_RANGE),
            baseline=min(lap.prior_errors["l1"], lap.prior_errors["l2"]),
            baseline_name="better of the ℓ1/ℓ2-trained LPNs",
            expected_at="book",
            pending_reason=more_lap,
            note="bound: a tenth of the range of |x| on the window. The official asset shows "
            "R_θ(±3.4) − min ≈ 3.4 (PM), 2.9 (ℓ1), 2.7 (ℓ2), read by eye ± 0.1 (repository "
            "asset, not the paper's text)",
        ),
        Claim(
            "laplace-bayes",
            "ℓ2 training learns the posterior mean and ℓ1 the posterior median (worse of the two "
            "mean gaps on [−4, 4])",
            kind="extension",
            where="extends the official README's Laplacian experiment (Bayes estimators)",
            measured=max(lap.errors_mmse["l2"], lap.errors_median["l1"]),
            check=at_most(0.06),
            baseline=max(lap.errors_soft["l2"], lap.errors_soft["l1"]),
            baseline_name="the same models against soft-thresholding",
            expected_at="book",
            pending_reason=more_lap,
        ),
        Claim(
            "prior-noise",
            "R_θ(clean) < R_θ(noisy) at every noise level σ ≤ 0.3: fraction of test digits",
            kind="reproduction",
            where=_MNIST.format("gaussian") + " (qualitative)",
            measured=prior.frac_clean_lowest["noise"],
            check=at_least(0.9),
            expected_at="book",
            pending_reason=more_digits,
            note="official asset (one digit '3', σ = 0…0.3, not the paper's text): R_θ = 1.50, "
            f"5.07, 9.37, 18.84, 32.71. Strictly rising along all levels here: "
            f"{prior.frac_monotone['noise']:.2f}",
        ),
        Claim(
            "prior-blur",
            "R_θ(clean) < R_θ(blurred) at every blur level: fraction of test digits",
            kind="reproduction",
            where=_MNIST.format("blur") + " (qualitative)",
            measured=prior.frac_clean_lowest["blur"],
            check=at_least(0.9),
            expected_at="book",
            pending_reason=more_digits,
            note="official asset (digit '0', blur σ = 0…4 on 28×28, not the paper's text): "
            "R_θ = 2.19, 2.83, 5.38, 7.48, 9.12. Our blur widths are scaled to 8×8 images. "
            f"Strictly rising along all levels here: {prior.frac_monotone['blur']:.2f}. "
            + _by_level(prior, "blur"),
        ),
        Claim(
            "prior-mix",
            "R_θ(clean) < R_θ(mixture of two digits) at every λ ≤ ½: fraction of test digits",
            kind="reproduction",
            where=_MNIST.format("convex") + " (qualitative)",
            measured=prior.frac_clean_lowest["mix"],
            check=at_least(0.9),
            expected_at="book",
            pending_reason=more_digits,
            note="official asset ('9→2', λ = 0…1, not the paper's text): R_θ = 1.68, 5.19, 6.60, "
            f"5.24, 2.05. λ = ½ mixture above both of its clean digits here: "
            f"{prior.frac_mix_above_both:.2f}. " + _by_level(prior, "mix"),
        ),
        Claim(
            "prior-mix-chord",
            "R_θ along the segment between two digits lies above the chord "
            "(1 − λ)R_θ(x) + λR_θ(x′) at every λ ∈ (0, ½]: fraction of test digit pairs",
            kind="extension",
            where=_MNIST.format("convex") + " (qualitative; our reformulation)",
            measured=prior.frac_mix_above_chord,
            check=at_least(0.9),
            expected_at="book",
            pending_reason=more_digits,
            note="the clean-endpoint check of prior-mix fails whenever the other digit x′ has a "
            "much lower R_θ than x (the official '4→1' asset ends at 0.40 from 1.66): the chord "
            "compares each mixture with both endpoints at once",
        ),
        Claim(
            "pgd-steps",
            "PnP-PGD steps vanish, ‖x_{k+1} − x_k‖ → 0: last step over first step, worst "
            "digits problem",
            kind="reproduction",
            where=_ABSTRACT_PNP,
            measured=max(
                r.runs["PnP-PGD LPN"].step_norm[-1] / r.runs["PnP-PGD LPN"].step_norm[0]
                for r in pnp
            ),
            check=at_most(0.1),
            expected_at="book",
            pending_reason="more PnP iterations (pnp_iters)",
        ),
    ]
    claims.extend(admm_claims(list(pnp)))
    asset_deb = (
        " Official asset (two CelebA images, blur 1, noise 0.02; not the paper's text): LPN "
        "30.41 and 32.30 dB against PnP-GS 30.41 and 32.17 dB."
    )
    asset_cs = (
        " Official asset (one MayoCT image, M = 16384; not the paper's text): LPN 38.82 dB "
        "against AR 31.44 dB."
    )
    for r, cid, note in ((deb, "pnp-deblur", asset_deb), (cs, "pnp-cs", asset_cs)):
        for method, suffix in (("PnP-ADMM LPN", ""), ("PnP-PGD LPN", "-pgd")):
            claims.append(
                _pnp_claim(
                    cfg,
                    r,
                    claim_id=cid + suffix,
                    method=method,
                    data="digits",
                    lpn_steps=cfg.digits_steps,
                    cnn_steps=cfg.cnn_steps,
                    paper_note=note if not suffix else "",
                )
            )
    if patches is not None:
        p_deb, p_cs = patches
        claims.append(
            Claim(
                "pgd-descent-patches",
                "PnP-PGD objective never increases on natural-image patches "
                "(largest relative rise over the run and its reference continuation)",
                kind="exact",
                where=_ABSTRACT_PNP,
                measured=max(p_deb.objective_max_increase, p_cs.objective_max_increase),
                check=at_most(1e-8),
            )
        )
        for r, cid, note in ((p_deb, "pnp-patch-deblur", asset_deb), (p_cs, "pnp-patch-cs", "")):
            claims.append(
                _pnp_claim(
                    cfg,
                    r,
                    claim_id=cid,
                    method="PnP-ADMM LPN",
                    data="natural-image patches,",
                    lpn_steps=cfg.patch_steps,
                    cnn_steps=cfg.patch_cnn_steps,
                    paper_note=note,
                )
            )
    if ct is not None:
        claims.extend(ct_claims(cfg, ct))
    if patch_prox is not None:
        claims.extend(patch_prox_claims(cfg, patch_prox))
    return ClaimTable(claims, chapter=CHAPTER, title="Learned proximal networks: claims")


STRUCTURAL_CLAIMS: tuple[str, ...] = (
    *_STRUCTURAL,
    "pgd-descent-patches",
    "ct-adjoint",
    "pgd-descent-ct",
    "patch-periodic-prox",
)
"""The ids of the ``exact`` rows, which hold at every scale."""
