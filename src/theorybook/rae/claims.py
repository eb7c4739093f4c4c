"""The claims table of the regularized auto-encoder chapter (chapter 1).

The paper's body (theorem numbers, figures) was not available to check; rows therefore locate
the paper's claims by its abstract, which states them, and carry no paper values. The authors'
research repository records butterfly-energy KL values computed with a different (Parzen)
estimator; they are quoted in a note only.
"""

from __future__ import annotations

import numpy as np

from theorybook.boundary import checked
from theorybook.claims import Claim, ClaimTable, at_least, at_most, close_to, reported
from theorybook.rae.config import Config
from theorybook.rae.results import Results

__all__ = ["CHAPTER", "chapter_claims"]

CHAPTER = "01_regularized_autoencoders"
ABSTRACT = "Abstract"


@checked
def chapter_claims(results: Results, cfg: Config) -> ClaimTable:
    """Every claim of the chapter, measured on ``results`` (what :func:`run_all` returns for
    ``cfg``, or the same built from the ``run_*`` one at a time)."""
    tweedie, linear, scores, energy = (
        results.tweedie,
        results.linear,
        results.scores,
        results.energy,
    )
    mh, spiral, star, digits = results.mh, results.spiral, results.star, results.digits
    big, small = scores.sigmas[0], scores.sigmas[-1]
    rcae_ratio = scores.error_true[("rcae", big)] / scores.error_true[("rcae", small)]
    dae_ratio = scores.error_true[("dae", big)] / scores.error_true[("dae", small)]
    smoke, book = Config.preset("smoke"), Config.preset("book")
    small_steps = f"the smoke preset trains each network for {smoke.mixture.training.steps} steps"
    kl_exact = star.kl["exact"]
    sd = float(kl_exact.std(ddof=1))
    gap = {m: float(abs(star.kl[m].mean() - kl_exact.mean())) for m in star.kl}
    rows = [
        Claim(
            "tweedie",
            "The DAE optimum E[x | x̃] equals x̃ + σ²∇log p_σ(x̃) at finite σ "
            f"(σ = {tweedie.sigma:g}, 1-D mixture): max gap to the posterior mean computed by "
            "quadrature",
            kind="exact",
            where="DAE optimum, as derived here (Tweedie/Miyasawa)",
            measured=tweedie.max_error_quadrature,
            check=at_most(1e-8),
            note=f"Bayes' rule over components: gap {tweedie.max_error_bayes:.1e}",
        ),
        Claim(
            "linear-optimum",
            "For x ~ N(0, Σ), Σ(Σ + σ²I)⁻¹ zeroes the gradient of both criteria over linear maps",
            kind="exact",
            where="closed form derived here (Gaussian data)",
            measured=linear.gradient_at_optimum,
            check=at_most(1e-12),
            note=f"σ = {linear.sigma:g}; max |entry| of the analytic gradient",
        ),
        *[
            Claim(
                f"linear-trained-{crit}",
                f"A linear auto-encoder trained by the {crit.upper()} criterion matches "
                "Σ(Σ + σ²I)⁻¹ (max entry error)",
                kind="extension",
                where="extends the main theorems to a closed form",
                measured=linear.errors[crit],
                check=at_most(1e-2),
                note="finite sample: the error includes the sample covariance's",
                pending_reason=(
                    f"the smoke preset takes {smoke.linear.training.steps} steps on "
                    f"{smoke.linear.n_train / 1e4:g}·10⁴ samples"
                ),
                expected_at="book",
            )
            for crit in ("dae", "rcae")
        ],
        Claim(
            "finite-sigma-dae",
            f"At σ = {big:g} the DAE's (r − x)/σ² matches the smoothed score ∇log p_σ "
            "(p-weighted relative error on [−2, 2])",
            kind="reproduction",
            where=f"{ABSTRACT} (the score); finite-σ target derived here",
            measured=scores.error_smoothed[("dae", big)],
            check=at_most(0.05),
            note=f"against ∇log p itself: {scores.error_true[('dae', big)]:.3f}",
            pending_reason=small_steps,
            expected_at="book",
        ),
        Claim(
            "rcae-sigma-to-zero",
            f"The RCAE's error against ∇log p falls at least 5× from σ = {big:g} to σ = {small:g}",
            kind="reproduction",
            where=f"{ABSTRACT}: r(x) − x ∝ score as σ → 0",
            measured=rcae_ratio,
            check=at_least(5.0),
            baseline=dae_ratio,
            baseline_name="DAE without σ annealing",
            pending_reason=small_steps,
            expected_at="book",
            note=(
                f"RCAE errors {scores.error_true[('rcae', big)]:.3f} → "
                f"{scores.error_true[('rcae', small)]:.3f}; DAE annealed to σ = {small:g}: "
                f"{scores.error_true[('dae_annealed', small)]:.3f}"
            ),
        ),
        Claim(
            "scaled-parameterisation",
            f"With r = x + σ²h the RCAE's score error at σ = {small:g} is at most 0.15 "
            "(p-weighted relative error against ∇log p)",
            kind="extension",
            where="extends the main theorems: the parameterisation r = x + σ²h",
            measured=scores.error_true[("rcae", small)],
            check=at_most(0.15),
            baseline=scores.error_true[("rcae_unscaled", small)],
            baseline_name="RCAE with r = x + g",
            expected_at="book",
            pending_reason=small_steps,
        ),
        Claim(
            "hessian",
            f"(∂r/∂x − 1)/σ² of the RCAE approximates ∇²log p at σ = {small:g} "
            "(p-weighted relative error)",
            kind="reproduction",
            where=f"{ABSTRACT}: the auto-encoder locally characterizes the density's shape",
            measured=scores.hessian_error,
            check=at_most(0.2),
            expected_at="book",
            pending_reason=f"{small_steps}; the book preset trains {book.mixture.training.steps}",
        ),
        Claim(
            "not-an-energy",
            "‖r(x) − x‖² has local minima at both modes and at the density minimum x = 0 "
            "(largest distance from −1, 0, 1 to the nearest local minimum)",
            kind="reproduction",
            where=f"{ABSTRACT}: reconstruction error is not an energy",
            measured=energy.minimum_offset,
            check=at_most(0.1),
            note="value / maximum on [−2, 2]: "
            + ", ".join(f"x = {k:g}: {v:.1e}" for k, v in energy.at.items()),
        ),
        Claim(
            "delta-ranks",
            "The score integrated from x = 1 to x = 0 recovers log p(0) − log p(1) within 30%",
            kind="reproduction",
            where=f"{ABSTRACT}: approximate Metropolis–Hastings from the learned score",
            measured=energy.delta_learned,
            check=close_to(energy.delta_true, rel_tol=0.3),
            baseline=energy.delta_reconstruction,
            baseline_name="reconstruction error as energy, ‖r − x‖²/(2σ⁴)",
            note=f"true value {energy.delta_true:.2f}",
        ),
        Claim(
            "mh-modes",
            "Approximate MH on the learned score puts half its samples in each mode (|fraction "
            "in x > 0 − 0.5|)",
            kind="reproduction",
            where=f"{ABSTRACT}: approximate MCMC recovers samples",
            measured=abs(mh.mode_fraction - 0.5),
            check=at_most(0.03),
            expected_at="book",
            pending_reason=f"{small_steps} (a less symmetric learned score)",
            note=f"exact-MH chains: {abs(mh.exact_mode_fraction - 0.5):.3f}",
        ),
        Claim(
            "mh-std",
            "Approximate MH samples have the true standard deviation within 5% (|ratio − 1|)",
            kind="reproduction",
            where=f"{ABSTRACT}: approximate MCMC recovers samples",
            measured=abs(mh.std / mh.true_std - 1.0),
            check=at_most(0.05),
            note=f"sample std {mh.std:.3f}, true {mh.true_std:.3f}, exact MH {mh.exact_std:.3f}",
        ),
        Claim(
            "star-trapezoid",
            "On the ninja star, MH with Δ from the exact score (5-node trapezoid) reaches the "
            "exact-energy chain's KL within one sd over runs (|mean gap|)",
            kind="reproduction",
            where=f"{ABSTRACT}: approximate MCMC recovers samples",
            measured=gap["trapezoid"],
            check=at_most(sd),
            baseline=gap["one-point"],
            baseline_name="one-point rule Δ ≈ s(x)·(x* − x)",
            pending_reason=(
                f"the smoke preset runs {smoke.star.runs} runs of {smoke.star.sampler.steps} steps"
            ),
            expected_at="book",
            note=(
                f"{len(kl_exact)} runs; exact-energy KL {kl_exact.mean():.3f} ± {sd:.3f}. The "
                "authors' research repository records, on a butterfly energy with a Parzen KL "
                "over 51 runs, 1.34 ± 0.21 (exact energy) and 1.30 ± 0.23 (first-order Δ), "
                "with smaller proposal steps"
            ),
        ),
        Claim(
            "star-langevin",
            "Langevin MH on the exact score: |mean KL gap| to the exact-energy chains",
            kind="extension",
            where="extends the paper's sampler with Langevin proposals",
            measured=gap["langevin"],
            check=reported(),
            note=f"acceptance {star.acceptance['langevin']:.2f}",
        ),
        Claim(
            "star-learned",
            "On the ninja star, MH with Δ integrated along the score of a DAE trained on samples: "
            "mean KL to the reference",
            kind="reproduction",
            where=f"{ABSTRACT}: approximate MCMC recovers samples",
            measured=float(star.kl["learned"].mean()),
            check=reported(),
            note=(
                f"exact-energy chains {kl_exact.mean():.3f}; the DAE targets the smoothed "
                f"density p_σ, σ = {star.learned_sigma:g}"
            ),
        ),
        Claim(
            "spiral-attracts",
            "On the spiral, grid points 2σ to 4σ from the curve move closer to it under x ← r(x)",
            kind="extension",
            where="extends the paper's manifold picture to a measured fraction",
            measured=spiral.moved_closer,
            check=at_least(0.9),
            calibrated_on="the 2σ–4σ band, chosen on this seed's grid",
            pending_reason=(
                f"the smoke preset trains {smoke.spiral.training.steps} steps per σ level"
            ),
            expected_at="book",
            note=(
                f"{int(spiral.band.sum())} grid points, final σ = {spiral.sigma:g}; all points "
                f"closer than {spiral.near_distance:g}: {spiral.moved_closer_within:.2f}"
            ),
        ),
        Claim(
            "mh-throughput",
            "Approximate MH (1-D, learned score, 5 nodes): chain-steps per second, all chains "
            "batched",
            kind="extension",
            where="implementation",
            measured=mh.chain_steps_per_second,
            check=reported(),
            note=f"acceptance {mh.acceptance_rate:.2f}",
        ),
    ]
    lang = "Langevin MH"
    ratio = float(np.median(digits.nearest_train[lang]) / np.median(digits.nearest_train_heldout))
    rows += [
        Claim(
            "digits-near-data",
            "Langevin-MH samples of the digits DAE, denoised once by r, lie nearly as close "
            "to the training digits as held-out digits do (median nearest-distance ratio "
            "≤ 1.5)",
            kind="extension",
            where="extends the paper's MNIST sampling to the digits",
            measured=ratio,
            check=at_most(1.5),
            expected_at="book",
            pending_reason=(
                f"the smoke preset trains {smoke.digits.training.steps} steps per σ level"
            ),
            note=(
                "final states denoised once by r; median distance moved from the start "
                f"{float(np.median(digits.moved[lang])):.2f}; classes of the final states: "
                + ", ".join(f"{m}: {n}" for m, n in digits.classes_reached.items())
            ),
        ),
        Claim(
            "jacobian-cost",
            "RCAE loss at d = 64: exact Jacobian norm time / Hutchinson (1 probe) time",
            kind="extension",
            where="implementation",
            measured=digits.jacobian_seconds["exact"] / digits.jacobian_seconds["hutchinson"],
            check=reported(),
            note="median of 3 timings each, same run",
        ),
    ]
    return ClaimTable(rows, chapter=CHAPTER, title="What we reproduced")
