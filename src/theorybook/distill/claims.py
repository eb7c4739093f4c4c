"""The *What we reproduced* table of chapter 5 (*Self-distillation with ground-truth guidance*).

:func:`chapter_claims` turns the :class:`~theorybook.distill.results.Results` of
:func:`~theorybook.distill.experiments.run_all` into a :class:`~theorybook.claims.ClaimTable`;
:mod:`~theorybook.distill.prose` writes the sentences the notebook glues from the table's
statuses and the results. What the paper's text says could be read here only as far
as its abstract; the locators therefore quote the abstract for each theoretical result and name the
official repository (``Kennethborup/self_distillation``: README and ``toy_example.ipynb``) where a
formula or a number comes from there. Identities and closed forms are kind ``exact``: they hold by
construction and show the code is right. The toy losses the authors publish are in their
repository, not in the paper text we could read: they are ``exact`` checks of our code against the
authors' (a deterministic computation matched to the five printed decimals), with the repository
as locator. The digits-network rows are our own tests (``extension``): the paper's estimator of the
weight for deep networks (its Algorithm 1) could not be read, and the official code has none, so
the estimate measured here is our reading of the abstract: the kernel projection applied to held-out
outputs, compared with the bootstrap interval of the grid's best weight and challenged by the best
single constant weight. The same projection on the training targets is a negative control, with an
``exact`` row for its kernel bound (at least ``1 + 1/a₁ > 2``, never a weight).
"""

from __future__ import annotations

import numpy as np

from theorybook.boundary import checked
from theorybook.claims import (
    Claim,
    ClaimTable,
    Spread,
    at_least,
    at_most,
    is_true,
    reported,
)
from theorybook.distill.config import SELECTION_SEEDS, Config
from theorybook.distill.data import (
    PUBLISHED_TOY_ALPHA0,
    PUBLISHED_TOY_ALPHA0_LIMIT,
    PUBLISHED_TOY_ALPHA025,
    PUBLISHED_TOY_ALPHA025_LIMIT,
    PUBLISHED_TOY_ALPHA035,
    PUBLISHED_TOY_ALPHA035_LIMIT,
)
from theorybook.distill.results import (
    ESTIMATE,
    HALF_CELL,
    DeepResult,
    Results,
    ToyResult,
)

__all__ = [
    "CHAPTER",
    "SPEEDUP_FLOOR",
    "TOY_ROWS",
    "chapter_claims",
]

#: the notebook stem the table belongs to.
CHAPTER = "05_self_distillation"
#: the closed-form α* must beat the 1,001-point grid by at least this factor (ratio of medians);
#: 2 solves against 1,001 give a few hundred here, so a loaded machine stays far above it.
SPEEDUP_FLOOR = 20.0

_REPO = "official repository (Kennethborup/self_distillation)"
#: the rows comparing the toy with the authors' published numbers, one per published weight.
TOY_ROWS = ("toy-alpha0", "toy-alpha035", "toy-alpha025")


def _toy_rows(toy: ToyResult) -> list[Claim]:
    rows: list[Claim] = []
    specs = (
        (
            "toy-alpha0",
            0.0,
            PUBLISHED_TOY_ALPHA0,
            PUBLISHED_TOY_ALPHA0_LIMIT,
            f"{_REPO}: README toy-example table, α = 0 column",
            "",
        ),
        (
            "toy-alpha035",
            0.35,
            PUBLISHED_TOY_ALPHA035,
            PUBLISHED_TOY_ALPHA035_LIMIT,
            f"{_REPO}: README toy-example table, second column",
            "The column is labelled 0.25 in the README since a 2021 relabelling; its values are "
            "the α = 0.35 run, which the README's text names and which we reproduce. ",
        ),
        (
            "toy-alpha025",
            0.25,
            PUBLISHED_TOY_ALPHA025,
            PUBLISHED_TOY_ALPHA025_LIMIT,
            f"{_REPO}: toy_example.ipynb, stored output at α = 0.25",
            "",
        ),
    )
    for cid, alpha, published, limit, where, extra in specs:
        try:
            i = toy.row(alpha)
        except KeyError:
            continue
        n = min(len(published), toy.losses.shape[1])
        ours = np.round(np.append(toy.losses[i, :n], toy.limit_losses[i]), 5)
        ref = np.asarray((*published[:n], limit))
        dev = float(np.max(np.abs(ours - ref)))
        raw = float(np.max(np.abs(np.append(toy.losses[i, :n], toy.limit_losses[i]) - ref)))
        rows.append(
            Claim(
                cid,
                f"Mobahi's toy, α = {alpha:g}: the loss against sin 2πx at steps 1–{n} and in the "
                "limit equals the authors' published numbers to their 5 decimals",
                kind="exact",
                where=where,
                paper_value=f"{published[0]:.5f} … {published[n - 1]:.5f}; ∞ {limit:.5f}",
                measured=dev,
                check=at_most(1e-9),
                note=extra
                + f"Measured: max |round(ours, 5) − published| over steps and limit (unrounded "
                f"{raw:.1e}). Kernel exp(−80(x − x')²), λ = 0.2. These numbers are the authors' "
                "code output, not a value printed in the paper text read here.",
            )
        )
    return rows


def _mean_sd(values: np.ndarray) -> str:
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return f"{float(np.mean(values)):+.1f} ± {sd:.1f}"


def _deep_rows(deep: DeepResult) -> list[Claim]:
    n = len(deep.seeds)
    cell = deep.seeds[0].cell
    best = [round(s.alpha_grid_best, 3) for s in deep.seeds]
    intervals = ", ".join(
        f"[{s.grid_best_interval[0]:g}, {s.grid_best_interval[1]:g}]" for s in deep.seeds
    )
    a_hat = [round(s.alpha_hat[0], 2) for s in deep.seeds]
    a_train = [round(s.alpha_train, 2) for s in deep.seeds]
    interior = (
        f"The grid's best α is inside (0, 1) for {sum(s.best_interior for s in deep.seeds)} "
        f"of {n} seed(s)."
    )
    setting = (
        f"Setting chosen on held-out seeds {SELECTION_SEEDS} (grid optimum inside (0, 1)); "
        f"measured on seeds {[s.seed for s in deep.seeds]}."
    )
    labels = list(deep.seeds[0].chains)
    final = "; ".join(
        f"{k}: {100 * deep.mean_chain(k)[-1]:.1f} ± {100 * deep.std_chain(k)[-1]:.1f}"
        for k in labels
    )
    teacher = 100 * deep.mean_chain(labels[0])[0]
    paired = "; ".join(
        f"{k}: {_mean_sd(100 * (deep.chain(k)[:, -1] - deep.chain(k)[:, 0]))}" for k in labels
    )
    students = deep.seeds[0].students_grid
    several = n > 1
    pending_on = ("digits.n_train", "training.epochs", "deep.seeds")
    return [
        Claim(
            "deep-alpha-hat",
            "Digits MLP, step 2: the held-out estimate $\\hat\\alpha$ (Eq. distill-alpha-hat: the "
            "projection of the validation outputs on the validation labels, unclipped), rounded "
            "to the grid, lies inside the 95 % bootstrap interval of the grid's best weight, for "
            "every seed",
            kind="extension",
            where="extends the Abstract ('show how to efficiently estimate this weighting "
            "parameter for deep learning'); the paper's estimator (its Algorithm 1) could not be "
            "read here and the official code has none: ours applies the kernel projection "
            "(Eq. distill-alpha-star) to held-out outputs",
            measured=deep.max_miss_cells,
            check=at_most(HALF_CELL),
            baseline=deep.constant_miss_cells,
            baseline_name=f"the best single constant weight for all seeds (α = "
            f"{deep.best_constant:g}, chosen on these seeds)",
            baseline_role="null model",
            spread=Spread.over_seeds([s.miss_cells for s in deep.seeds]) if several else None,
            expected_at="book",
            pending_on=pending_on,
            pending_reason="the book preset trains five seeds for longer on more data",
            note=f"Measured: the largest distance, in grid cells of {cell:g}, from α̂ to the "
            "interval of the grid's best weight (0 inside; at most half a cell rounds into it). "
            f"α̂ per seed {a_hat}; grid's best {best}; its interval per seed {intervals} "
            "(percentile bootstrap over the validation points, 1,000 resamples). "
            f"{interior} {setting}",
        ),
        Claim(
            "deep-alpha-train",
            "Negative control, digits MLP, step 2: the same projection on the training "
            "outputs and targets (Eq. distill-alpha-train) is at least 2, outside $[0, 1]$, for "
            "every seed, as the kernel bound predicts",
            kind="extension",
            where="our reading of the abstract's estimate on the training data; the bound: "
            "row train-projection-bound",
            measured=min(s.alpha_train for s in deep.seeds),
            check=at_least(2.0),
            baseline=min(s.alpha_hat[0] for s in deep.seeds),
            baseline_name="the same projection on held-out validation outputs and labels "
            "(the estimate α̂)",
            baseline_role="null model",
            spread=Spread.over_seeds([s.alpha_train for s in deep.seeds]) if several else None,
            note=f"Per seed {a_train} (held-out α̂ {a_hat}, at least 2 on "
            f"{sum(s.alpha_hat[0] >= 2.0 for s in deep.seeds)} of {n} seeds). On the training "
            "targets the teacher, which fitted the noisy labels, beats its distilled student, so "
            "the projection extrapolates far past α = 1. Measured: the smallest over seeds.",
        ),
        Claim(
            "deep-chains",
            f"Digits MLP: test accuracy (%) at step {deep.steps} of the chain run with the "
            f"held-out estimate at every step, mean over {n} seed(s)",
            kind="extension",
            where="extends the paper's CIFAR-10/ResNet experiments (Abstract) to an offline "
            "stand-in",
            measured=float(100 * deep.mean_chain(ESTIMATE)[-1]),
            check=reported(),
            note=f"Teacher (step 1): {teacher:.1f}. Step {deep.steps}, mean ± standard deviation: "
            f"{final}. Change from the teacher, paired by seed (points): {paired}. Chain "
            f"{ESTIMATE!r} uses the held-out estimate at every step.",
        ),
        Claim(
            "deep-cost",
            "Digits MLP: training time of the grid over that of the estimate at step 2 (students "
            "beyond the shared teacher, like for like)",
            kind="extension",
            where="extends the abstract's 'significantly reduce the computational requirements "
            "compared to a grid search'",
            measured=deep.estimate_speedup,
            check=reported(),
            note=f"The grid trains {students} students beyond the teacher (α = 1 is the teacher "
            "itself), the estimate 2 (α = 0 and α̂): a count ratio of "
            f"{students / 2:g}. One timed run per student on {deep.device}, summed over {n} "
            "seed(s): a wall-clock ratio, shown without a verdict.",
        ),
    ]


@checked
def chapter_claims(results: Results, cfg: Config) -> ClaimTable:
    """The chapter's *What we reproduced* table from the experiments' results.

    Arguments:
        results: what :func:`~theorybook.distill.experiments.run_all` returns (the digits rows
            are left out when ``results.deep`` is ``None``).
        cfg: the configuration the results were run with.

    Returns:
        The :class:`~theorybook.claims.ClaimTable` of chapter ``05_self_distillation``.
    """
    toy, exact, conv = results.toy, results.exactness, results.convergence
    sparse, search, deep = results.sparsification, results.alpha_search, results.deep
    proj = results.training_projection
    s = search.search
    claims = [
        Claim(
            "closed-form",
            "Every distillation step is an explicit function of the initial fit: the closed form "
            "V B⁽ᵗ⁾ Vᵀ y equals explicit refitting at every step (α ∈ "
            f"{{{', '.join(f'{a:g}' for a in exact.alphas)}}}, t ≤ {exact.steps}, float64)",
            kind="exact",
            where="Abstract ('calculated directly as a function of the initial fit'); "
            f"the step recursion of {_REPO}, toy_example.ipynb",
            measured=max(exact.max_abs_diff, exact.max_abs_diff_sum_vs_recursion),
            check=at_most(1e-10),
            note=f"max |diff| over training fits and predictions, on the toy and {exact.n_random} "
            "random 3-D points, against scikit-learn KernelRidge refits; includes the geometric-"
            f"sum form against the recursion ({exact.max_abs_diff_sum_vs_recursion:.1e}).",
        ),
        Claim(
            "geometric",
            "For α ∈ (0, 1), $|B^{(t)} - B^{(\\infty)}| \\le (1 - \\alpha)^{t-1} "
            "|B^{(1)} - B^{(\\infty)}|$ in every eigendirection (geometric convergence to the "
            "limit)",
            kind="exact",
            where=f"follows from the recursion B⁽ᵗ⁺¹⁾ = A((1 − α)B⁽ᵗ⁾ + αI) of {_REPO}, README",
            measured=conv.geometric_excess,
            check=at_most(1e-12),
            note="Measured: the largest excess of the gap over the bound (over α, t, k), relative "
            "to the step-1 gap; ≤ 0 up to round-off.",
        ),
        Claim(
            "limit-krr",
            "Infinitely many steps with α > 0 give kernel ridge regression with the ridge "
            "amplified to λ/α (B⁽∞⁾ = αD(αD + λI)⁻¹)",
            kind="exact",
            where="Abstract ('infinite distillation steps yields the same optimization problem "
            f"as the original with amplified regularization'); the factor λ/α: {_REPO}, "
            "toy_example.ipynb",
            measured=float(max(conv.limit_vs_sklearn.max(), conv.fixed_point_residual.max())),
            check=at_most(1e-10),
            note=f"For α ∈ {{{', '.join(f'{a:g}' for a in conv.alphas)}}}: max |closed-form limit "
            "− KernelRidge(λ/α)| and max fixed-point residual of the recursion. After "
            f"{conv.weight_errors.shape[1]} steps the iterates are within "
            f"{', '.join(f'{e:.0e}' for e in conv.fit_vs_sklearn)} of it.",
        ),
        Claim(
            "collapse",
            "α = 0 (pure self-distillation): ‖ŷ⁽ᵗ⁾‖ decreases to 0, below $a_{\\max}^t \\|y\\|$",
            kind="exact",
            where=f"Mobahi et al. (2020); {_REPO}, README ('for α = 0 everything collapses')",
            measured=bool(
                np.all(np.diff(conv.zero_alpha_norms) < 0)
                and np.all(conv.zero_alpha_norms <= conv.zero_alpha_bound + 1e-12)
            ),
            check=is_true(),
            note=f"‖ŷ⁽ᵗ⁾‖/‖y‖ at t = {len(conv.zero_alpha_norms)}: "
            f"{conv.zero_alpha_norms[-1]:.1e} (bound {conv.zero_alpha_bound[-1]:.1e}).",
        ),
        *_toy_rows(toy),
        Claim(
            "sparsify-0",
            "α = 0: the eigen-weight ratios $B_k / B_{k+1}$ never decrease with t (sparsification)",
            kind="exact",
            where=f"Mobahi et al. (2020); {_REPO}, README",
            measured=sparse.zero_min_increase,
            check=at_least(-1e-12),
            note="Measured: the smallest step-to-step change of any ratio on the toy.",
        ),
        Claim(
            "sparsify-alpha",
            f"α = {sparse.alpha:g}: every ratio $B_k / B_{{k+1}}$ stays at or above its step-1 "
            "value",
            kind="exact",
            where=f"{_REPO}, README (sparsification 'extended … to include all alpha in [0,1]')",
            measured=sparse.alpha_min_excess,
            check=at_least(-1e-12),
            note="Measured: the smallest R_k⁽ᵗ⁾ − R_k⁽¹⁾ on the toy. The ratios are "
            + (
                "not monotone in t here (they overshoot their limit)."
                if not sparse.alpha_monotone
                else "monotone in t here."
            ),
        ),
        Claim(
            "alpha-star",
            f"The closed-form α* at step {search.step} (a projection) is at least as good as the "
            f"best α on a {len(s.grid)}-point grid, both scored against the noiseless truth (an "
            "oracle reference)",
            kind="exact",
            where="Abstract ('a closed form solution for the optimal choice of weighting "
            "parameter at each step')",
            measured=s.loss_star - s.loss_grid_best,
            check=at_most(1e-9),
            note=f"loss(α*) − best grid loss on the toy; α* = {s.alpha_star:.4f}, grid's best "
            f"{s.alpha_grid_best:.3f}.",
        ),
        Claim(
            "train-projection-bound",
            "Kernel ridge regression, step 2: the projection on the training targets "
            "(Eq. distill-alpha-train) is at least $1 + 1/a_1 > 2$ for any data, kernel and "
            "$\\lambda$, so it never returns a weight in $[0, 1]$",
            kind="exact",
            where="follows from the step recursion of "
            f"{_REPO}, toy_example.ipynb (Eq. distill-alpha-train-bound)",
            measured=proj.min_relative_excess,
            check=at_least(-1e-9),
            note=f"Measured: the smallest (projection − floor)/floor over {len(proj.alphas)} "
            f"problems ({proj.problems}); projections from {proj.alphas.min():.3f} to "
            f"{proj.alphas.max():.3g}, floors down to {proj.floors.min():.3f}.",
        ),
        Claim(
            "alpha-star-speed",
            f"The closed-form α* is at least {SPEEDUP_FLOOR:g}× faster than the "
            f"{len(s.grid)}-point grid it matches",
            kind="extension",
            where="extends the abstract's 'significantly reduce the computational requirements "
            "compared to a grid search' to kernel ridge regression",
            measured=s.speedup,
            check=at_least(SPEEDUP_FLOOR),
            baseline=s.scalar_speedup,
            baseline_name=f"bounded Brent search (scipy minimize_scalar, {s.evaluations_scalar} "
            f"fits to half the grid's step; α = {s.alpha_scalar:.4f})",
            baseline_role="competitor",
            spread=Spread(
                *s.speedup_band,
                f"grid/closed-form time ratio over {s.repeats} × {s.repeats} timed runs "
                "(slowest against fastest)",
            ),
            note=f"Ratio of medians over {s.repeats} runs each (timing.best_of). All share one "
            f"Cholesky factor: 2 solves against {len(s.grid)} (a count ratio of "
            f"{len(s.grid) / 2:g}) and {s.evaluations_scalar} for the scalar search, whose ratio "
            f"over the runs spans {s.scalar_speedup_band[0]:.0f}–{s.scalar_speedup_band[1]:.0f}.",
        ),
    ]
    if deep is not None:
        claims += _deep_rows(deep)
    return ClaimTable(claims, chapter=CHAPTER, config=Config)
