"""Valid calls of theorybook.claims: checks, a claim and a table of claims."""

from __future__ import annotations

from malformed import call

from theorybook.claims import Claim, at_most


def _claim() -> Claim:
    return Claim("c", "a statement", "exact", "Eq. (1)", 0.5, at_most(1.0), scale="smoke")


EXAMPLES = {
    "Check": lambda: call("range", low=0.0, high=1.0),
    "Claim": lambda: call(
        "c",
        "a statement",
        "reproduction",
        "Table 2",
        0.5,
        at_most(1.0),
        paper_value=0.4,
        baseline=2.0,
        baseline_name="least squares",
        calibrated_on="seed 0",
        held_out=True,
        expected_at="book",
        pending_on=("training.steps",),
        pending_reason="more steps",
        procedure="§4.1 of the paper",
        scale="smoke",
        note="",
    ),
    "ClaimTable": lambda: call([_claim()], chapter="99_test", title="What we reproduced"),
    "close_to": lambda: call(0.5, abs_tol=0.1, rel_tol=0.01),
    "Spread": lambda: call(0.1, 0.3, "range over 3 seeds", values=(0.1, 0.2, 0.3)),
    "inline_math_html": lambda: call("$R_\\theta$ is convex"),
    "inline_math_text": lambda: call("$R_\\theta$ is convex"),
}
