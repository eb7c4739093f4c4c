"""The experiments of the regularized auto-encoder chapter (chapter 1), and :func:`run_all`.

The experiments live in two rooms: :mod:`theorybook.rae.score_experiments` (what a trained
reconstruction knows: Tweedie, the Gaussian closed form, the score and Hessian against σ, "not an
energy", the spiral) and :mod:`theorybook.rae.sampling_experiments` (Metropolis–Hastings on the
learned score: 1-D, the ninja star, the digits). Each ``run_*`` takes the chapter's
:class:`~theorybook.rae.config.Config` first and returns a frozen result of
:mod:`theorybook.rae.results`; :func:`run_all` runs them all, in the notebook's order, into a
:class:`~theorybook.rae.results.Results`.
"""

from __future__ import annotations

from theorybook.boundary import checked
from theorybook.rae.config import Config
from theorybook.rae.results import Results
from theorybook.rae.sampling_experiments import run_digits, run_mh_1d, run_star
from theorybook.rae.score_experiments import (
    run_linear,
    run_not_an_energy,
    run_score_vs_sigma,
    run_spiral,
    run_tweedie,
)

__all__ = [
    "run_all",
    "run_digits",
    "run_linear",
    "run_mh_1d",
    "run_not_an_energy",
    "run_score_vs_sigma",
    "run_spiral",
    "run_star",
    "run_tweedie",
]


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Run every experiment of the chapter on ``cfg``, in the notebook's order.

    Arguments:
        cfg: the chapter's configuration (a preset of :class:`~theorybook.rae.config.Config`).
        progress: show progress bars for the longer experiments.

    Returns:
        The :class:`~theorybook.rae.results.Results` that
        :func:`~theorybook.rae.claims.chapter_claims` reads.
    """
    tweedie = run_tweedie(cfg, progress=progress)
    linear = run_linear(cfg, progress=progress)
    scores = run_score_vs_sigma(cfg, progress=progress)
    energy = run_not_an_energy(cfg, scores, progress=progress)
    spiral = run_spiral(cfg, progress=progress)
    mh = run_mh_1d(cfg, scores, progress=progress)
    star = run_star(cfg, progress=progress)
    digits = run_digits(cfg, progress=progress)
    return Results(
        tweedie=tweedie,
        linear=linear,
        scores=scores,
        energy=energy,
        mh=mh,
        spiral=spiral,
        star=star,
        digits=digits,
    )
