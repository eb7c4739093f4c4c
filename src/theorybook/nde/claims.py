"""The claims table of chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021).

Only the abstract of the ICML paper and its official repository (``avik-pal/RegNeuralDE.jl``) could
be read when this table was written, so no row shows a number as the paper's unless the abstract
states it; values taken from the official code say so in ``where``. Solver-level facts are
``exact`` (they hold by construction and check the code); results the paper reports are
``reproduction``, each naming in ``procedure`` the official experiment script that specifies what
it measures (``experiments/mnist_node.jl``, ``latent_ode.jl``, ``sde_toy_problem.jl`` at commit
bb252b5); thresholds and settings of our own are ``extension``. Rows over several held-out seeds
carry their spread.

Length: one table, one function: each row reads the run's values, its challenger and its spread
next to its statement, so a reader checks a row in one place.
"""

from __future__ import annotations

from typing import Any

from theorybook.boundary import checked
from theorybook.claims import Claim, ClaimTable, Spread, at_least, at_most, is_true, reported
from theorybook.nde.config import Config
from theorybook.nde.results import Results, kept_accuracy_cut, kept_fit_cut

__all__ = ["CHAPTER", "chapter_claims"]

CHAPTER = "07_nde_solver_regularization"

_REPO = "official code (avik-pal/RegNeuralDE.jl @ bb252b5), experiments/"
_MNIST = (
    f"{_REPO}mnist_node.jl: the NODE classifier trained without and with λ·R_E (R_E from "
    "integrator.EEst·dt on accepted steps, λ annealed 100 → 10) and with STEER (b = 0.5); "
)
_LATENT = (
    f"{_REPO}latent_ode.jl: the latent ODE trained without and with λ·R_E (λ annealed 1000 → 100), "
    "its NFE and test loss recorded; here synthetic spirals in place of Physionet, a constant λ"
)
_SDE = (
    f"{_REPO}sde_toy_problem.jl: the spiral neural SDE (drift Dense(2→50, tanh)→2 on x³, SOSRI at "
    "tolerance 0.3, AdaBelief 0.01, 250 iterations) fitted to means and variances without and "
    "with the error regulariser, its solver cost and loss then recorded; here the adaptive "
    "solver's steps per path on test Brownian paths"
)
_MOONS = "here two-dimensional moons in place of MNIST, torchdiffeq's dopri5, a constant λ"


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _mean(values: list[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


def _paired_drop(a: Any, b: Any) -> Spread | None:
    """The 95 % bootstrap interval over test points of run ``a``'s accuracy minus run ``b``'s
    (paired: the same test points), or ``None`` if either run is missing or kept no per-point
    record."""
    if a is None or b is None or a.test_correct is None or b.test_correct is None:
        return None
    diff = a.test_correct.astype(float) - b.test_correct.astype(float)
    return Spread.bootstrap(diff, unit="test points (paired)")


@checked
def chapter_claims(results: Results, cfg: Config) -> ClaimTable:
    """The chapter's claims with the values this run measured.

    Arguments:
        results: every experiment's result (:func:`~theorybook.nde.experiments.run_all`, or the
            notebook's runs gathered in :class:`~theorybook.nde.results.Results`); the digits,
            latent-ODE and neural-SDE rows are pending where the preset skipped them (``None``).
        cfg: the configuration the results were run with.

    Returns:
        The :class:`~theorybook.claims.ClaimTable` of chapter 7.
    """
    checks, agreement, circles = results.checks, results.agreement, results.circles
    jax_runs, digits, latent, sde = results.taynode, results.digits, results.latent, results.sde
    v, e = circles.runs["vanilla"], circles.runs["ernode"]
    st = circles.runs.get("steer")
    strong = max(circles.sweep, key=lambda r: r.lam0) if circles.sweep else None
    held_v = circles.held_out.get("vanilla", [])
    held_e = circles.held_out.get("ernode", [])
    pairs = list(zip(held_v, held_e, strict=True))
    held_ratios = [_ratio(a.test_nfe, b.test_nfe) for a, b in pairs]
    held_drops = [a.test_acc - b.test_acc for a, b in pairs]
    held_cuts = [kept_accuracy_cut(r, d) for r, d in zip(held_ratios, held_drops, strict=True)]
    mean_ratio = (
        _ratio(sum(a.test_nfe for a, _ in pairs), sum(b.test_nfe for _, b in pairs))
        if pairs
        else None
    )
    train_ratio = (
        _ratio(sum(b.train_seconds for _, b in pairs), sum(a.train_seconds for a, _ in pairs))
        if pairs
        else _ratio(e.train_seconds, v.train_seconds)
    )
    predict_ratio = (
        _ratio(sum(b.predict_seconds for _, b in pairs), sum(a.predict_seconds for a, _ in pairs))
        if pairs
        else _ratio(e.predict_seconds, v.predict_seconds)
    )
    seeds_txt = ", ".join(str(r.seed) for r in held_v) or "none"
    problem = circles.data.name
    calibrated = f"seed {cfg.seed} (λ₀ = {cfg.classifier.lam_error:g} and the {problem} setting)"
    smoke_reason = (
        f"the book preset trains 300 epochs on 512 points (smoke: {cfg.classifier.epochs} on "
        f"{cfg.classifier.n_train}) and {len(cfg.seeds)} held-out seeds at book scale, long enough for "
        "the vanilla flow's NFE to grow"
    )
    strong_drop = None if strong is None else v.test_acc - strong.test_acc
    strong_name = "—" if strong is None else f"ERNODE λ = {strong.lam0:g} (seed {cfg.seed})"
    per_seed = ", ".join(
        f"seed {a.seed}: {a.test_nfe}/{b.test_nfe} NFE, acc {a.test_acc:.3f}/{b.test_acc:.3f}"
        for a, b in pairs
    )
    moons_on = ("classifier.epochs", "classifier.n_train", "seeds")
    several = len(pairs) > 1
    tay: Any = jax_runs["taynode"] if jax_runs is not None else None
    ern: Any = jax_runs["ernode"] if jax_runs is not None else None
    van: Any = jax_runs.get("vanilla") if jax_runs is not None else None

    claims = [
        # --- exact: the solver-level bookkeeping --------------------------------------------
        Claim(
            "free-nfe",
            "Recording $R_E$ and $R_S$ costs no extra function evaluation (NFE equal to a plain "
            "solve)",
            kind="exact",
            where="abstract (the estimates are 'cheap'); plain torchdiffeq.odeint as reference",
            measured=checks.nfe_regularized == checks.nfe_plain,
            check=is_true(),
            note=f"NFE {checks.nfe_regularized} with recording, {checks.nfe_plain} without",
        ),
        Claim(
            "error-bounded",
            "$E_j \\le 1$ on every accepted step",
            kind="exact",
            where="acceptance rule of the embedded Runge–Kutta controller",
            measured=checks.max_error,
            check=at_most(1.0),
            note="max over accepted steps of a random MLP field; it bounds our "
            f"$R_E/(t_1 - t_0) = \\sum_j E_j |h_j| / \\sum_j |h_j|$ = {checks.r_e / checks.span:.3g} "
            "(the official code, experiments/mnist_node.jl, averages integrator.EEst·dt over the "
            "accepted steps instead: agg = mean)",
        ),
        Claim(
            "error-replay",
            "Each recorded $E_j$ equals the error ratio of the step replayed independently",
            kind="exact",
            where="error estimate of Dormand–Prince 5(4) with Shampine's embedded weights",
            measured=checks.replay_max_abs_diff,
            check=at_most(1e-9),
            note=f"max |E_j(replay) − E_j(recorded)| over {checks.replay_steps} accepted steps, "
            "float64",
        ),
        Claim(
            "re-gradient",
            "$\\partial R_E / \\partial \\theta$ is non-zero (gradients flow through the error "
            "estimate)",
            kind="exact",
            where="abstract (the estimates are trained through the solver)",
            measured=checks.grad_norm,
            check=at_least(1e-8),
            note="norm of the gradient",
        ),
        Claim(
            "adjoint-refused",
            "A continuous adjoint, which cannot see the solver's internals, is refused",
            kind="exact",
            where="this implementation (discretise-then-optimise only)",
            measured=checks.adjoint_raises,
            check=is_true(),
        ),
        Claim(
            "stiff-exact",
            "$\\rho_j = 100$ at every step on the stiff eigenvector of diag(−1, −100)",
            kind="exact",
            where="stiffness estimate from the last two Dormand–Prince stages (Hairer & Wanner)",
            measured=checks.stiff_rel_dev,
            check=at_most(1e-8),
            note="max |ρ_j/100 − 1|, float64",
        ),
        Claim(
            "stiff-range",
            "$\\rho_j \\in [1, 100]$ from a mixed start",
            kind="exact",
            where="stiffness estimate from the last two Dormand–Prince stages (Hairer & Wanner)",
            measured=checks.mixed_in_range,
            check=is_true(),
            note=f"range [{checks.rho_mixed.min():.2f}, {checks.rho_mixed.max():.2f}]",
        ),
        Claim(
            "backends-steps",
            "torchdiffeq and diffrax take the same number of steps and evaluations",
            kind="exact",
            where="both implementations (same tableau, controller, tolerances, first step)",
            measured=agreement.steps_jax == agreement.steps_torch
            and agreement.nfe_jax == agreement.nfe_torch,
            check=is_true(),
            note=f"{agreement.steps_torch} steps, NFE {agreement.nfe_torch} / "
            f"{agreement.nfe_jax}, float64",
        ),
        Claim(
            "backends-re",
            "… and record the same $R_E$ (relative difference)",
            kind="exact",
            where="both implementations (same tableau, controller, tolerances, first step)",
            measured=agreement.r_e_rel_diff,
            check=at_most(1e-8),
            note=f"R_S relative difference {agreement.r_s_rel_diff:.2g}",
        ),
        # --- reproductions --------------------------------------------------------------------
        Claim(
            "ernode-nfe",
            f"ERNODE cuts the test NFE of the {problem} classifier ≥ 2× at a kept accuracy (per "
            "held-out seed: vanilla/ERNODE NFE where ERNODE's accuracy is at most 0.5 points "
            "below vanilla's, else 1; mean over the held-out seeds)",
            kind="reproduction",
            where="abstract ('can halve the prediction time'; NFE is its machine-independent "
            "proxy)",
            measured=_mean(held_cuts),
            check=at_least(2.0),
            baseline=None
            if st is None
            else kept_accuracy_cut(_ratio(v.test_nfe, st.test_nfe), v.test_acc - st.test_acc),
            baseline_name=f"STEER (seed {cfg.seed}), the same rule",
            baseline_role="competitor",
            spread=Spread.over_seeds(held_cuts) if several else None,
            procedure=_MNIST + "the NFE of a solve recorded after training; " + _MOONS,
            calibrated_on=calibrated,
            held_out=True,
            expected_at="book",
            pending_on=moons_on,
            pending_reason=smoke_reason,
            note=f"held-out seeds {seeds_txt}, vanilla/ERNODE: {per_seed or 'none'}; per-seed "
            "NFE ratios "
            + ", ".join(f"{r:.2f}" for r in held_ratios)
            + "; ratio of mean NFEs "
            + ("—" if mean_ratio is None else f"{mean_ratio:.2f}")
            + " (an NFE-only check is passed by the untrained network, whose flow stays at the "
            "NFE floor: the accuracy condition rules it out)",
        ),
        Claim(
            "ernode-predict",
            "ERNODE about halves prediction time (ERNODE/vanilla, summed median test-solve "
            "times over the held-out seeds)",
            kind="reproduction",
            where="abstract",
            procedure=_MNIST + "the time of one forward solve of a batch recorded after "
            "training; " + _MOONS,
            paper_value="can halve",
            measured=predict_ratio,
            check=reported(),
            note="wall-clock on a shared CPU: reported, not checked",
        ),
        Claim(
            "ernode-train",
            "ERNODE does not increase training time (ERNODE/vanilla ≤ 1, summed training times "
            "over the held-out seeds)",
            kind="reproduction",
            where="abstract ('a similar reduction in training time')",
            measured=train_ratio,
            check=reported(),
            baseline=None if st is None else _ratio(st.train_seconds, v.train_seconds),
            baseline_name=f"STEER/vanilla (seed {cfg.seed})",
            baseline_role="competitor",
            procedure=_MNIST + "the time of the gradient steps summed over the epochs; " + _MOONS,
            note="one training run per method and seed on a shared CPU: reported, not checked",
        ),
    ]
    dv: Any = digits.runs["vanilla"] if digits else None
    de: Any = digits.runs["ernode"] if digits else None
    nulls: Any = digits.nulls if digits else None
    digits_cut = (
        None
        if dv is None
        else kept_accuracy_cut(_ratio(dv.test_nfe, de.test_nfe), dv.test_acc - de.test_acc)
    )
    untrained_cut = (
        None
        if nulls is None
        else kept_accuracy_cut(
            _ratio(dv.test_nfe, nulls.untrained_nfe), dv.test_acc - nulls.untrained_acc
        )
    )
    claims.append(
        Claim(
            "digits-nfe",
            "On digits (64-d state) ERNODE cuts test NFE ≥ 2× at a kept accuracy "
            "(vanilla/ERNODE NFE if ERNODE's accuracy is at most 0.5 points below vanilla's, "
            "else 1)",
            kind="reproduction",
            where="MNIST classifier experiment; tolerance 1.4e-8 from the official repository "
            "(experiments/mnist_node.jl)",
            measured=digits_cut,
            check=at_least(2.0),
            baseline=untrained_cut,
            baseline_name="the untrained network (same architecture, seed and tolerance), "
            "the same rule",
            baseline_role="null model",
            procedure=_MNIST + "the NFE of a solve recorded after training; here scikit-learn's "
            "digits in place of MNIST, torchdiffeq's dopri5",
            expected_at="book",
            pending_on=("digits.epochs",),
            pending_reason="skipped at smoke scale; the book preset runs it",
            note="not run at this scale"
            if dv is None or nulls is None
            else f"{dv.test_nfe} → {de.test_nfe} NFE, accuracy {dv.test_acc:.3f} → "
            f"{de.test_acc:.3f}, at rtol = atol = {cfg.digits.rtol:g} in {cfg.digits.dtype}, λ "
            f"annealed {cfg.digits.lam_error:g} → {cfg.digits.lam_error_end:g} over "
            f"{cfg.digits.epochs} epochs; one seed. Untrained network: NFE "
            f"{nulls.untrained_nfe} (vanilla/untrained "
            f"{_ratio(dv.test_nfe, nulls.untrained_nfe):.1f}), accuracy "
            f"{nulls.untrained_acc:.3f}; logistic regression on the pixels (no solve): accuracy "
            f"{nulls.linear_acc:.3f}",
        )
    )
    sde_lams = ", ".join(f"{lam:g}" for lam in cfg.sde.lams)
    book_reason = "skipped at smoke scale; the book preset runs it"
    book_latent = type(cfg).preset("book").latent
    latent_reason = (
        f"this run trains {cfg.latent.epochs} epochs on {cfg.latent.n_train} spirals and "
        f"{1 + len(cfg.latent.seeds)} seed(s), the book preset {book_latent.epochs} on "
        f"{book_latent.n_train} and {1 + len(book_latent.seeds)} seeds"
    )
    latent_on = ("latent.epochs", "latent.n_train", "latent.seeds")
    lat_rows = latent.seed_table() if latent else []
    lat_cuts = [r["cut at kept error"] for r in lat_rows]
    lat_fits = [r["MSE ratio"] for r in lat_rows]
    lat_steer: Any = latent.runs.get("steer") if latent else None
    lat_v: Any = latent.runs["vanilla"] if latent else None
    lat_lam = latent.main_ernode().lam0 if latent else float("nan")
    lat_seeds = ", ".join(str(r["seed"]) for r in lat_rows)
    lat_per_seed = "; ".join(
        f"seed {r['seed']}: NFE {r['vanilla NFE']} → {r['ERNODE NFE']}, MSE ratio "
        f"{r['MSE ratio']:.2f}"
        for r in lat_rows
    )
    sde_rows = sde.seed_table() if sde else []
    sde_cuts = [r["cut at kept fit"] for r in sde_rows]
    sde_fits = [r["MSE ratio"] for r in sde_rows]
    sde_strong = [r["largest-λ cut at kept fit"] for r in sde_rows]
    sde_per_seed = "; ".join(
        f"seed {r['seed']}: λ = {r['chosen λ']:g}, steps {r['vanilla steps']:.2f} → "
        f"{r['ERNSDE steps']:.2f}, MSE ratio {r['MSE ratio']:.2f}"
        for r in sde_rows
    )
    sde_on = ("sde.iters", "sde.seeds")
    sde_reason = (
        "skipped at smoke scale; the book preset runs it on "
        f"{1 + len(type(cfg).preset('book').sde.seeds)} seeds"
    )
    largest = f"ERNSDE λ = {max(cfg.sde.lams):g}" if sde else "—"
    claims += [
        Claim(
            "latent-nfe",
            "Latent ODE: ERNODE cuts the test NFE ≥ 1.25× at a kept interpolation error (per "
            "seed: vanilla/ERNODE NFE where ERNODE's test MSE is ≤ 1.1× vanilla's, else 1; mean "
            "over seeds)",
            kind="reproduction",
            where="Physionet latent-ODE experiment (official repository, "
            "experiments/latent_ode.jl); synthetic spirals stand in",
            measured=_mean(lat_cuts),
            check=at_least(1.25),
            baseline=None
            if lat_steer is None
            else kept_fit_cut(
                lat_v.test_nfe / lat_steer.test_nfe, lat_steer.test_mse / lat_v.test_mse
            ),
            baseline_name=f"STEER (seed {cfg.seed})",
            baseline_role="competitor",
            spread=Spread.over_seeds(lat_cuts) if len(lat_cuts) > 1 else None,
            procedure=_LATENT,
            expected_at="book",
            pending_on=latent_on,
            pending_reason=latent_reason,
            note="not run at this scale"
            if not lat_rows
            else f"λ = {lat_lam:g} fixed in advance; seeds {lat_seeds}: "
            f"{lat_per_seed}; threshold ours",
        ),
        Claim(
            "latent-mse",
            "… its interpolation error (test MSE ERNODE/vanilla, mean over seeds; the row above "
            "requires it ≤ 1.1 seed by seed)",
            kind="reproduction",
            where="Physionet latent-ODE experiment (official repository, "
            "experiments/latent_ode.jl); synthetic spirals stand in",
            measured=_mean(lat_fits),
            check=reported(),
            spread=Spread.over_seeds(lat_fits) if len(lat_fits) > 1 else None,
            procedure=_LATENT,
            note="not run at this scale"
            if not lat_rows
            else "per seed " + ", ".join(f"{f:.2f}" for f in lat_fits) + "; the verdict is "
            "the row above's",
        ),
        Claim(
            "sde-steps",
            "Neural SDE: the error regularizer at the λ chosen on validation paths cuts the "
            "adaptive solver's steps per test path ≥ 1.05× at a kept fit (per seed: "
            "vanilla/ERNSDE steps where ERNSDE's test MSE is ≤ 1.1× vanilla's, else 1; mean "
            "over seeds)",
            kind="reproduction",
            where="toy spiral neural-SDE experiment (setting of the official repository, "
            "experiments/sde_toy_problem.jl)",
            measured=_mean(sde_cuts),
            check=at_least(1.05),
            baseline=_mean(sde_strong),
            baseline_name=f"{largest} on every seed, the same rule",
            baseline_role="competitor",
            spread=Spread.over_seeds(sde_cuts) if len(sde_cuts) > 1 else None,
            procedure=_SDE,
            calibrated_on="λ, chosen on each seed's 1,000 validation Brownian paths (not the "
            "test paths)",
            held_out=True,
            expected_at="book",
            pending_on=sde_on,
            pending_reason=sde_reason,
            note="not run at this scale"
            if not sde_rows
            else f"λ chosen among {sde_lams} on validation paths, seed by seed: {sde_per_seed}; "
            "threshold: the size of the reduction in the first author's thesis copy of the "
            "table (NFE 528.67 → 502.00, MSE 0.0217 → 0.0227)",
        ),
        Claim(
            "sde-fit",
            "… the test fit at that λ (MSE of means and variances ERNSDE/vanilla, mean over "
            "seeds; the row above requires it ≤ 1.1 seed by seed)",
            kind="reproduction",
            where="toy spiral neural-SDE experiment (setting of the official repository, "
            "experiments/sde_toy_problem.jl)",
            measured=_mean(sde_fits),
            check=reported(),
            spread=Spread.over_seeds(sde_fits) if len(sde_fits) > 1 else None,
            procedure=_SDE,
            note="not run at this scale"
            if not sde_rows
            else "per seed "
            + ", ".join(f"{f:.2f}" for f in sde_fits)
            + "; vanilla test MSE "
            + ", ".join(f"{r['vanilla MSE']:.4f}" for r in sde_rows)
            + "; the thesis copy reports 0.0217 → 0.0227; the verdict is the row above's",
        ),
    ]
    # --- extensions ---------------------------------------------------------------------------
    claims += [
        Claim(
            "ernode-acc",
            f"ERNODE keeps test accuracy within 0.5 points of vanilla on {problem} (vanilla − "
            "ERNODE, mean over the held-out seeds)",
            kind="extension",
            where="extends the abstract's speed-up claim: accuracy is kept (threshold ours)",
            measured=_mean(held_drops),
            check=at_most(0.005),
            baseline=strong_drop,
            baseline_name=strong_name,
            baseline_role="competitor",
            spread=Spread.mean_interval(held_drops) if several else None,
            calibrated_on=calibrated,
            held_out=True,
            expected_at="book",
            pending_on=moons_on,
            pending_reason=smoke_reason,
            note="per-seed drops "
            + ", ".join(f"{d:+.3f}" for d in held_drops)
            + f"; vanilla accuracy {v.test_acc:.3f} on seed {cfg.seed} (below the ceiling)",
        ),
        Claim(
            "lambda-collapse",
            "Too large λ collapses the dynamics (accuracy drop at the largest swept λ ≥ 2 points)",
            kind="extension",
            where=f"our λ sweep on {problem}",
            measured=strong_drop,
            check=at_least(0.02),
            baseline=v.test_acc - e.test_acc,
            baseline_name=f"ERNODE λ₀ = {cfg.classifier.lam_error:g} (seed {cfg.seed})",
            baseline_role="null model",
            spread=_paired_drop(v, strong),
            expected_at="book",
            pending_on=moons_on,
            pending_reason=smoke_reason,
            note=""
            if strong is None
            else f"λ = {strong.lam0:g}: acc {strong.test_acc:.3f}, NFE {strong.test_nfe}",
        ),
        Claim(
            "steer-acc",
            "STEER keeps accuracy within 2 points (vanilla − STEER)",
            kind="extension",
            where="STEER baseline (Ghosh et al. 2020) as compared in the paper",
            measured=None if st is None else v.test_acc - st.test_acc,
            check=at_most(0.02),
            spread=_paired_drop(v, st),
            baseline=strong_drop,
            baseline_name=strong_name,
            baseline_role="competitor",
            expected_at="book",
            pending_on=moons_on,
            pending_reason=smoke_reason,
            note="STEER not run"
            if st is None
            else f"seed {cfg.seed}; NFE {v.test_nfe} → {st.test_nfe}",
        ),
        Claim(
            "taynode-cost",
            "A TayNODE training iteration costs more than an ERNODE one (JAX, same model and "
            "solver; TayNODE/ERNODE median iteration time)",
            kind="extension",
            where="TayNODE baseline (Kelly et al. 2020) as compared in the paper",
            measured=None if tay is None else _ratio(tay.iter_seconds, ern.iter_seconds),
            check=reported(),
            baseline=None if van is None else _ratio(van.iter_seconds, ern.iter_seconds),
            baseline_name="vanilla/ERNODE",
            baseline_role="null model",
            note="not run"
            if tay is None
            else f"ratio of median jitted-iteration times over {len(tay.history['loss']) - 1} "
            f"iterations; test NFE TayNODE {tay.test_nfe}, ERNODE {ern.test_nfe}; wall-clock "
            "on a shared CPU, which book runs of the same code measured from about 1 to about "
            "6: reported, not checked; vanilla/ERNODE beside it is the part of the ratio that "
            "ERNODE's fewer steps alone explain",
        ),
    ]
    tt: Any = circles.runs.get("taynode")
    claims.append(
        Claim(
            "taynode-train-torch",
            f"TayNODE (order 2, PyTorch) trains slower than ERNODE on {problem} "
            "(TayNODE/ERNODE training time)",
            kind="extension",
            where="TayNODE baseline (Kelly et al. 2020) as compared in the paper",
            measured=None if tt is None else _ratio(tt.train_seconds, e.train_seconds),
            check=reported(),
            note="not run at this scale"
            if tt is None
            else f"seed {cfg.seed}, one run each on a shared CPU: reported; test NFE TayNODE "
            f"{tt.test_nfe}, ERNODE {e.test_nfe}, accuracy {tt.test_acc:.3f} vs {e.test_acc:.3f}",
        )
    )
    claims.append(
        Claim(
            "digits-acc",
            "On digits ERNODE keeps test accuracy within 0.5 points (vanilla − ERNODE)",
            kind="extension",
            where="extends the MNIST classifier experiment (our threshold)",
            measured=None if dv is None else dv.test_acc - de.test_acc,
            check=at_most(0.005),
            spread=_paired_drop(dv, de),
            baseline=None if nulls is None else dv.test_acc - nulls.linear_acc,
            baseline_name="logistic regression on the pixels (no ODE; scikit-learn, C = 1)",
            baseline_role="null model",
            expected_at="book",
            pending_on=("digits.epochs",),
            pending_reason=book_reason,
            note="not run at this scale"
            if dv is None or nulls is None
            else f"{dv.test_acc:.3f} vs {de.test_acc:.3f}; one seed, spread over its test "
            f"images; logistic regression {nulls.linear_acc:.3f}",
        )
    )
    return ClaimTable(claims, chapter=CHAPTER, config=Config)
