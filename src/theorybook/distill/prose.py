"""Sentences of chapter 5 (*Self-distillation with ground-truth guidance*) written from its table.

The notebook glues these into its prose, so a verdict sentence can never disagree with the
*What we reproduced* table of :func:`~theorybook.distill.claims.chapter_claims`: each reads the
status of its row (:meth:`~theorybook.claims.Claim.verdict`) and the results the row was built from.
"""

from __future__ import annotations

from theorybook.boundary import checked
from theorybook.claims import ClaimTable, Status
from theorybook.distill.claims import SPEEDUP_FLOOR, TOY_ROWS
from theorybook.distill.results import ESTIMATE, AlphaSearchResult, DeepResult

__all__ = ["chain_changes_text", "deep_verdict", "speed_verdict", "toy_agreement"]


@checked
def toy_agreement(table: ClaimTable) -> tuple[int, int]:
    """``(rows that hold, rows)`` among the toy rows :data:`TOY_ROWS` present in ``table``."""
    rows = [c for c in table if c.id in TOY_ROWS]
    return sum(c.status is Status.HOLDS for c in rows), len(rows)


@checked
def deep_verdict(table: ClaimTable, deep: DeepResult) -> str:
    """The digits section's verdict on the held-out estimate and the negative control.

    Arguments:
        table: the chapter's table (rows ``deep-alpha-hat`` and ``deep-alpha-train``;
            ``ValueError`` without them).
        deep: the digits run the table was built from.

    Returns:
        A paragraph of Markdown: whether the held-out ``α̂`` lands in the bootstrap interval of
        the grid's best weight (the row's status), whether a single constant weight does as
        well, what the students trained at ``α̂`` reach, and what the projection on the training
        targets gives (the negative control's status).
    """
    ids = {c.id for c in table}
    missing = sorted({"deep-alpha-hat", "deep-alpha-train"} - ids)
    if missing:
        raise ValueError(
            f"table has no row(s) {missing}: build it with chapter_claims from Results that "
            "hold the digits run (deep)"
        )
    n = len(deep.seeds)
    hats = ", ".join(f"{s.alpha_hat[0]:.2f}" for s in deep.seeds)
    intervals = ", ".join(
        f"$[{s.grid_best_interval[0]:g}, {s.grid_best_interval[1]:g}]$" for s in deep.seeds
    )
    est_chain = 100 * deep.mean_chain(ESTIMATE)
    hit = bool(table["deep-alpha-hat"].baseline_passes)
    guess = f" A single constant weight, $\\alpha = {deep.best_constant:g}$ for every seed, "
    within = (
        f"The held-out estimate, rounded to the grid, lies inside the 95 % bootstrap interval "
        f"of the grid's best weight for all {n} seeds (estimates {hats}; intervals "
        f"{intervals})."
        + guess
        + (
            "lands in every interval too: the grid's optimum moves so much with the "
            "validation sample that the check cannot tell an estimate from a fixed guess."
            if hit
            else f"misses by up to {deep.constant_miss_cells:.1f} cells."
        )
    )
    missed = (
        f"The held-out estimate misses: at step 2 it is {hats} for the {n} seeds, against "
        f"95 % bootstrap intervals of the grid's best weight of {intervals}, up to "
        f"{deep.max_miss_cells:.1f} grid cells of {deep.seeds[0].cell:g} outside."
        + guess
        + (
            "lands in every interval: a fixed guess does better than the estimate, and the "
            "intervals are so wide that even an estimate landing in them would not be told "
            "apart from that guess."
            if hit
            else f"misses by up to {deep.constant_miss_cells:.1f} cells."
        )
    )
    text = table["deep-alpha-hat"].verdict(holds=within, not_separating=within, other=missed)
    text += (
        f" Trained at the estimate at every step, the students reach {est_chain[-1]:.1f} % test "
        f"accuracy at step {deep.steps} on average, against the teacher's {est_chain[0]:.1f} %."
    )
    trains = ", ".join(f"{s.alpha_train:.2f}" for s in deep.seeds)
    text += " " + table["deep-alpha-train"].verdict(
        holds=f"The negative control behaves as the kernel bound says: projected on the "
        f"*training* targets, the weight is {trains}, above 2 for every seed, while the "
        "held-out projection is not.",
        not_separating=f"Projected on the *training* targets the weight is {trains}, above 2 for "
        "every seed as the kernel bound says, but so is the held-out projection: the control "
        "does not single out the training targets here.",
        other=f"Projected on the *training* targets the weight is {trains}: not above 2 for "
        "every seed, so the kernel bound does not carry over to this network.",
    )
    interior = sum(s.best_interior for s in deep.seeds)
    return text + f" The grid's optimum is inside $(0, 1)$ for {interior} of {n} seeds."


@checked
def chain_changes_text(deep: DeepResult) -> str:
    """Change of test accuracy from the teacher to the last step, per fixed-weight chain.

    Mean ± standard deviation over seeds of the per-seed change, in points, with a closing
    sentence when no fixed-weight chain moves by more than its spread over seeds.
    """
    n = len(deep.seeds)
    changes = {}
    for label in deep.seeds[0].chains:
        acc = 100 * deep.chain(label)
        diff = acc[:, -1] - acc[:, 0]
        changes[label] = (diff.mean(), diff.std(ddof=1) if n > 1 else 0.0)
    fixed = [k for k in changes if k.startswith("α=")]
    listed = "; ".join(
        f"$\\alpha = {k[2:]}$: {changes[k][0]:+.1f} ± {changes[k][1]:.1f}" for k in fixed
    )
    text = (
        f"From the teacher to step {deep.steps}, test accuracy changes by {listed} points "
        "(mean ± standard deviation of the per-seed change)."
    )
    if all(abs(changes[k][0]) < changes[k][1] for k in fixed):
        text += (
            " No fixed-weight change exceeds its spread over seeds: on this stand-in a few steps "
            "do not separate the chains, so the CIFAR-10 picture of pure self-distillation "
            "degrading while ground-truth guidance holds is not reproduced here."
        )
    return text


@checked
def speed_verdict(table: ClaimTable, search: AlphaSearchResult) -> str:
    """The α* section's sentence on the speed row ``alpha-star-speed`` and its competitor.

    Arguments:
        table: the chapter's table (``KeyError`` without the row).
        search: the α* search the table was built from.

    Returns:
        A sentence of Markdown from the row's status.
    """
    s = search.search
    row = table["alpha-star-speed"]
    brent = (
        f"a bounded Brent search needs only {s.evaluations_scalar} fits and is "
        f"{s.scalar_speedup:.0f} times faster than the grid as well"
    )
    return row.verdict(
        not_separating=f"That speed is not the closed form's alone: {brent}, since on an exact "
        "parabola its interpolation steps land on the minimum at once; against the search the "
        f"closed form saves {s.evaluations_scalar - 2} of {s.evaluations_scalar} fits, not a grid.",
        holds=f"Beyond the grid, {brent.replace(' as well', '')}, below the row's floor.",
        other=f"The closed form is not {SPEEDUP_FLOOR:g} times faster than the grid in this "
        f"run ({row.status.label}); {brent}.",
    )
