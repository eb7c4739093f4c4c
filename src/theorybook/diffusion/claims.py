"""The claims table of the diffusion-generalization chapter ({cite}`kadkhodaie2024generalization`).

The paper's ICLR 2024 text was read in full; its memorization/generalization results are figures
(Figs. 1–2) with no numbers, so reproductions cite them as qualitative references and carry no
paper value. Thresholds of the reproduction rows were fixed before these runs, from a separate
prototype study on this machine with other seeds (``calibrated_on`` says so; the measurement
seeds are disjoint, hence ``held_out``). Identities (homogeneity, ``x̂ = J y``, the sampler's
noise schedule, SURE) are ``exact``.
"""

from __future__ import annotations

import numpy as np
import torch

from theorybook.boundary import checked
from theorybook.claims import Claim, ClaimTable, at_least, at_most, close_to, reported
from theorybook.diffusion.config import Config
from theorybook.diffusion.results import CAlphaResult, DiskResult, Results
from theorybook.diffusion.synthetic import PAPER_CALPHA_SLOPES, PAPER_DISK_EIGENVALUES

__all__ = ["CHAPTER", "COPY_THRESHOLD", "chapter_claims"]

CHAPTER = "02_diffusion_generalization"
"""The notebook stem the table is filed under."""

COPY_THRESHOLD = 0.95
"""A sample whose cosine similarity to a training image exceeds this is a near-copy (the
paper's deduplication threshold, Fig. 6 caption)."""

_UNDERTRAINED = (
    "the two models of a pair converge to one denoiser only when trained long enough: the paper "
    "preset trains 32-channel two-level UNets for 20,000 steps, the book preset 16-channel "
    "one-level UNets for 1,500"
)
_SYNTH_PROBE = (
    "the synthetic nets' training noise range (σ_max = 0.4) and fit range, chosen in a probe "
    "on C^α images of other seeds"
)
_SYNTH_PENDING = "the smoke preset trains each UNet for 100 steps on 512 images"
_PROTOTYPE = "a prototype study on this machine (other seeds; thresholds fixed before this run)"


def _frac_above(values: torch.Tensor, threshold: float) -> float:
    return float((values > threshold).double().mean())


@checked
def chapter_claims(results: Results, cfg: Config) -> ClaimTable:
    """The chapter's claims from the experiments' results (the synthetic-image rows are
    unmeasured when ``results.calpha`` or ``results.disks`` is ``None``)."""
    check, transition, jac = results.check, results.transition, results.jacobian
    first, last = transition.results[0], transition.results[-1]
    k = (len(transition.psnr_sigmas) - 1) // 2
    sigma = transition.psnr_sigmas[k]
    gap = [r.psnr_train[k] - r.psnr_test[k] for r in transition.results]
    memo_gap = [r.memorizer_psnr_train[k] - r.memorizer_psnr_test[k] for r in transition.results]
    paired = transition.median("paired")
    nearest = transition.median("nearest_a")
    heldout = transition.median("heldout")
    memo_near = transition.median("memorizer_nearest")
    memo_paired = transition.median("memorizer_paired")
    sure_z = max(
        abs(s - m) / se if se > 0 else float("inf")
        for s, m, se in zip(jac.sure, jac.mse, jac.sure_se, strict=True)
    )
    tr = jac.trace
    decreasing = sum(b < a for a, b in zip(tr, tr[1:], strict=False)) / (len(tr) - 1)
    steps_note = f"{cfg.training.steps} steps per model, {cfg.network.channels}-channel UNet"
    claims = [
        Claim(
            "homogeneity",
            "A bias-free denoiser in eval mode is positively homogeneous: "
            "‖f(ay) − af(y)‖/‖af(y)‖ below 1e-5 (float32) for a in [0.1, 10].",
            kind="exact",
            where="§3.1 and Eq. (6) (bias-free networks are piecewise linear)",
            measured=jac.homogeneity,
            check=at_most(1e-5),
            baseline=jac.homogeneity_train_mode,
            baseline_name="the same network in training mode (batch statistics)",
            note=f"Trained UNet of N = {jac.n}, {cfg.jacobian.images} noisy test patches.",
        ),
        Claim(
            "jacobian-linear",
            "The bias-free denoiser equals its Jacobian applied to its input, x̂(y) = J(y) y.",
            kind="exact",
            where="Eq. (6)",
            measured=jac.linearity,
            check=at_most(1e-4),
            note="Max relative error over test patches; J from torch.func.jacrev.",
        ),
        Claim(
            "sampler-schedule",
            "With an exact MMSE denoiser the sampler's effective noise follows "
            "σ_t = σ_1 ∏_{s<t}(1 − βh_s) within 5 %.",
            kind="exact",
            where="App. A.2 and Alg. 1 (injected noise γ_t)",
            measured=check.max_rel_dev,
            check=at_most(0.05),
            note=(
                f"MMSE denoiser of a single {cfg.check.size}×{cfg.check.size} image (its residual "
                f"is exactly the noise); rms over {cfg.check.samples} samples; the schedule holds "
                "in mean square, so the deviation is sampling noise."
            ),
        ),
        Claim(
            "beta-one-no-noise",
            "β = 1 injects no noise: γ_t = 0 at every step.",
            kind="exact",
            where="Alg. 1 (γ_t² = ((1 − βh)² − (1 − h)²) σ_t²)",
            measured=check.gamma_max_beta1,
            check=at_most(0.0),
        ),
        Claim(
            "memorizer-copies",
            f"Samples from the empirical-optimal denoiser are training images: all have "
            f"cosine similarity > 0.99 to a training patch at N = {first.n}.",
            kind="exact",
            where="§2.2 (memorization regime); Eq. (8) with the empirical distribution",
            measured=_frac_above(first.memorizer.nearest_a, 0.99),
            check=at_least(1.0),
            note="Fractions above 0.99 at each N: "
            + ", ".join(
                f"N = {r.n}: {_frac_above(r.memorizer.nearest_a, 0.99):.2f}"
                for r in transition.results
            )
            + " (with more training images the sampler can stop between two of them).",
        ),
        Claim(
            "sure",
            "SURE matches the true MSE of the trained denoiser within sampling error "
            "(largest |SURE − MSE| in standard errors over the noise levels ≤ 3).",
            kind="exact",
            where="Eq. (7)",
            measured=sure_z,
            check=at_most(3.0),
            note=f"{cfg.jacobian.sure_images} test patches per σ in {list(jac.sigmas)}.",
        ),
        Claim(
            "paired-rises",
            f"Samples of the two models of a pair (disjoint training sets, same seeds) become "
            f"more similar as N grows: median paired similarity rises by at least 0.2 from "
            f"N = {first.n} to N = {last.n}.",
            kind="reproduction",
            where="Fig. 2 (qualitative: histograms shift right with N)",
            measured=paired[-1] - paired[0],
            check=at_least(0.2),
            calibrated_on=_PROTOTYPE,
            held_out=True,
            expected_at="paper",
            pending_reason=_UNDERTRAINED,
            note=f"Medians by N: {', '.join(f'{p:.2f}' for p in paired)}. {steps_note}.",
        ),
        Claim(
            "no-copies-large-N",
            f"At N = {last.n} the samples are no closer to their training set than fresh "
            "patches are: median nearest-train similarity minus that of held-out patches ≤ 0.05.",
            kind="reproduction",
            where="Fig. 2 (qualitative: samples no longer resemble training images at large N)",
            measured=nearest[-1] - heldout[-1],
            check=at_most(0.05),
            baseline=memo_near[-1] - heldout[-1],
            baseline_name="empirical-optimal memorizer",
            calibrated_on=_PROTOTYPE,
            held_out=True,
            note=(
                "On small patches a fresh patch is already close to some training patch "
                f"(median {heldout[-1]:.2f} at N = {last.n}), so the held-out value is the "
                "reference rather than a fixed level."
            ),
        ),
        Claim(
            "pair-beats-copy-large-N",
            f"At N = {last.n} a sample is closer to the other model's sample than to its "
            "nearest training patch (median paired − median nearest-train similarity ≥ 0).",
            kind="reproduction",
            where="Fig. 2 (qualitative: blue histogram right of orange at N = 10^5)",
            measured=paired[-1] - nearest[-1],
            check=at_least(0.0),
            baseline=memo_paired[-1] - memo_near[-1],
            baseline_name="empirical-optimal memorizer",
            calibrated_on=_PROTOTYPE,
            held_out=True,
            expected_at="paper",
            pending_reason=_UNDERTRAINED,
        ),
        Claim(
            "psnr-gap-closes",
            f"Train and test PSNR meet at N = {last.n}: train − test PSNR at σ = {sigma:g} is "
            "at most 1 dB.",
            kind="reproduction",
            where="Fig. 1 and §2.2 (qualitative; train and test PSNR identical at N = 10^5)",
            measured=gap[-1],
            check=at_most(1.0),
            baseline=memo_gap[-1],
            baseline_name="empirical-optimal memorizer",
            calibrated_on=_PROTOTYPE,
            held_out=True,
            note="Gaps by N (dB): " + ", ".join(f"{g:.1f}" for g in gap) + ".",
        ),
        Claim(
            "psnr-gap-small-N",
            f"At N = {first.n} the network does better on its training set than on test "
            f"patches: train − test PSNR at σ = {sigma:g} is at least 2 dB.",
            kind="reproduction",
            where="Fig. 1 (qualitative; train PSNR high, test PSNR poor at N = 1, 10)",
            measured=gap[0],
            check=at_least(2.0),
            calibrated_on=_PROTOTYPE,
            held_out=True,
            expected_at="book",
            pending_reason="the smoke preset trains each model for too few steps to fit N = 10",
        ),
        Claim(
            "memorization-small-N",
            f"At N = {first.n} at least 90 % of a trained model's samples are near-copies "
            f"(similarity > {COPY_THRESHOLD}) of training patches.",
            kind="reproduction",
            where="Fig. 2 (qualitative: N = 1 to 100 samples nearly identical to training images)",
            measured=_frac_above(first.pair.nearest_a, COPY_THRESHOLD),
            check=at_least(0.9),
            baseline=_frac_above(first.heldout_nearest, COPY_THRESHOLD),
            baseline_name="fresh held-out patches",
            calibrated_on=_PROTOTYPE,
            held_out=True,
            expected_at="paper",
            pending_reason=(
                "memorizing needs far longer training than the book's "
                f"{cfg.training.steps} steps (the paper preset trains 20,000 steps of a larger "
                "UNet)"
            ),
        ),
        Claim(
            "trace-decreases",
            "The effective dimension tr J(y) decreases as the noise level σ grows "
            "(fraction of consecutive noise levels where it falls = 1).",
            kind="reproduction",
            where="§3.1 after Eq. (7) and Eq. (10); §3.2 (non-zero eigenvalues increase as σ falls)",
            measured=decreasing,
            check=at_least(1.0),
            expected_at="book",
            pending_reason="the smoke preset's networks (8 channels, 100 steps) are barely trained",
            note="Mean tr J at σ = "
            + ", ".join(f"{s:g}: {t:.1f}" for s, t in zip(jac.sigmas, tr, strict=True))
            + f" (d = {jac.clean.numel()}).",
        ),
        Claim(
            "jacobian-asymmetry",
            "How far the trained network's Jacobian is from symmetric, ‖J − Jᵀ‖/‖J‖ "
            "(the MMSE denoiser's Jacobian is symmetric).",
            kind="extension",
            where="§3.1 ('approximately true of the network Jacobian'), Eq. (9)",
            measured=jac.asymmetry,
            check=reported(),
            note="Shown, not checked: the paper's claim concerns well-trained networks.",
        ),
        Claim(
            "sampler-throughput",
            "Sampling throughput with a trained UNet (images per second, batched).",
            kind="extension",
            where="App. A.2 (sampler settings h0 = 0.01, β = 0.1, σ0 = 1, σ∞ = 0.05)",
            measured=transition.images_per_second,
            check=reported(),
            note="Wall clock on this machine; depends on its load.",
        ),
        Claim(
            "jacobian-cost",
            "Time of one full Jacobian (torch.func.jacrev) at "
            + " and ".join(f"{s}×{s}" for s in jac.jacobian_sizes)
            + " pixels (ms, median of 3).",
            kind="extension",
            where="§3.1 (Jacobian eigendecomposition)",
            measured=jac.jacobian_ms[-1],
            check=reported(),
            note="; ".join(
                f"{s}×{s}: {t:.0f} ms"
                for s, t in zip(jac.jacobian_sizes, jac.jacobian_ms, strict=True)
            ),
        ),
    ]
    claims += _calpha_claims(cfg, results.calpha) + _disk_claims(cfg, results.disks)
    return ClaimTable(
        claims,
        chapter=CHAPTER,
        title="Generalization in diffusion models (Kadkhodaie et al., 2024)",
    )


def _calpha_claims(cfg: Config, res: CAlphaResult | None) -> list[Claim]:
    sig = ", ".join(f"{s:g}" for s in cfg.calpha.sigmas)
    syn = cfg.synthetic
    out = []
    for k, alpha in enumerate(cfg.calpha.alphas):
        opt = alpha / (alpha + 1)
        out.append(
            Claim(
                f"calpha-slope-{alpha:g}",
                f"On C^α images with α = {alpha:g} the log–log slope of the trained UNet's MSE "
                f"against σ² is within 0.1 of the optimal α/(α+1) = {opt:.2f}.",
                kind="reproduction",
                where="Eq. (13) and §3.2 'Cα images and bandlet bases'; Fig. 4 (network slopes)",
                measured=None if res is None else res.slopes[k],
                check=close_to(opt, abs_tol=0.1),
                paper_value=PAPER_CALPHA_SLOPES.get(float(alpha)),
                calibrated_on=_SYNTH_PROBE,
                held_out=True,
                expected_at="book",
                pending_reason=_SYNTH_PENDING,
                note=(
                    f"Our tolerance (±0.1) and fit range (σ = {sig}), fixed before the run; "
                    f"{syn.size}×{syn.size} images, UNet trained on "
                    f"{syn.n} images for {syn.training.steps} steps; paper value: its UNet "
                    "on 80×80 images, N = 10^5."
                ),
            )
        )
    return out


def _disk_claims(cfg: Config, res: DiskResult | None) -> list[Claim]:
    s_small, s_eig = cfg.disks.sigmas[0], cfg.disks.eig_sigma
    i_eig = cfg.disks.sigmas.index(s_eig)
    syn = cfg.synthetic
    n_img = f"{cfg.disks.images} test disks, {syn.size}×{syn.size}"
    count_exact = None if res is None else float(np.median(res.count_above("exact")))
    count_net = None if res is None else float(np.median(res.count_above("net")))
    paper_count = sum(lam > 0.5 for lam in PAPER_DISK_EIGENVALUES)
    return [
        Claim(
            "disk-optimal-trace",
            f"The exact MMSE denoiser of the disks has tr J = 5 (the manifold's dimension) at "
            f"small noise: mean tr J at σ = {s_small:g} within 0.5 of 5.",
            kind="exact",
            where="§3.2 'Low-dimensional manifolds' (optimal J projects on the tangent space)",
            measured=None if res is None else res.trace_exact[0],
            check=close_to(5.0, abs_tol=0.5),
            note=""
            if res is None
            else (
                "Posterior mean by grid integration over the geometry (intensities in closed "
                f"form); {n_img}. Mean tr J at σ = "
                + ", ".join(
                    f"{s:g}: {t:.2f}" for s, t in zip(res.sigmas, res.trace_exact, strict=True)
                )
                + "."
            ),
        ),
        Claim(
            "disk-optimal-rank",
            f"The exact MMSE denoiser's J at σ = {s_eig:g} has exactly 5 eigenvalues above 1/2 "
            "(median over test disks).",
            kind="exact",
            where="§3.2 'Low-dimensional manifolds'; Fig. 5",
            measured=count_exact,
            check=close_to(5.0, abs_tol=0.1),
            note=""
            if res is None
            else (
                f"Largest 6th eigenvalue over the disks: {float(res.eig_exact[:, 5].max()):.3f}; "
                f"smallest 5th: {float(res.eig_exact[:, 4].min()):.3f}."
            ),
        ),
        Claim(
            "disk-net-trace",
            f"A trained UNet uses more dimensions than the manifold: its mean tr J at "
            f"σ = {s_eig:g} is at least 7.5 (1.5 × 5, our threshold).",
            kind="reproduction",
            where="§3.2 'Low-dimensional manifolds', Fig. 5 (the network is suboptimal)",
            measured=None if res is None else res.trace_net[i_eig],
            check=at_least(7.5),
            baseline=None if res is None else res.trace_exact[i_eig],
            baseline_name="exact MMSE denoiser",
            calibrated_on=_SYNTH_PROBE,
            held_out=True,
            expected_at="book",
            pending_reason=_SYNTH_PENDING,
            note=(
                f"{n_img}; UNet trained on {syn.n} disks for {syn.training.steps} steps."
                if res is None
                else f"{n_img}. MSE·d/σ² (UNet, exact) at σ = "
                + ", ".join(
                    f"{s:g}: {a:.1f}, {b:.1f}"
                    for s, a, b in zip(res.sigmas, res.dims_net, res.dims_exact, strict=True)
                )
                + "."
            ),
        ),
        Claim(
            "disk-net-eigen",
            f"The trained UNet's J at σ = {s_eig:g} has more than 5 eigenvalues above 1/2 "
            "(median over test disks).",
            kind="reproduction",
            where="Fig. 5 (listed eigenvalues λ0–λ9 at σ = 0.04)",
            measured=count_net,
            check=at_least(6.0),
            paper_value=float(paper_count),
            baseline=count_exact,
            baseline_name="exact MMSE denoiser",
            calibrated_on=_SYNTH_PROBE,
            held_out=True,
            expected_at="book",
            pending_reason=_SYNTH_PENDING,
            note="Paper value: eigenvalues above 1/2 among the ten Fig. 5 lists.",
        ),
    ]
