"""The claims on the small-data problem of the AR-Net chapter (chapter 6): the paper's
small-data numbers, the support, and the sensitivity to the learning rate (§4.1.1 *Small
Datasets*, §5).

Rows with the chapter's tuned constant say what it was tuned on (``calibrated_on``), and count as
held out when the :math:`c_\\lambda` sweep chose it on seeds disjoint from theirs. Rows measured
over seeds carry the spread of what they measure: a t-interval for a mean, a bootstrap interval for
a median and a Wilson interval for a fraction of seeds (:class:`~theorybook.claims.Spread`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from theorybook.arnet.config import TUNED_ON
from theorybook.arnet.paper import SMALL_ARNET_STPE, SMALL_LS_STPE, SMALL_WHERE
from theorybook.arnet.results import (
    OFF_SUPPORT_TOL,
    CLambdaSweep,
    LearningRateSweep,
    SmallDataResult,
)
from theorybook.claims import Claim, Spread, at_least, at_most, close_to

__all__ = [
    "LR_LOW",
    "SMALL_PROCEDURE",
    "fraction_spread",
    "lr_claims",
    "mean_spread",
    "median_spread",
    "median_with_values",
    "seed_bootstrap",
    "small_data_claims",
    "spread_note",
]

SMALL_PROCEDURE = (
    "§3.1 (p. 3) and §4.1.1 Small Datasets (p. 8): 1000 training samples with unit normal noise "
    "of the sparse process (Fig. 6 caption: non-zero lags 1, 3 and 10, weights 0.2, 0.3, −0.5), "
    "fitted by an AR(20) model; least squares is the paper's Classic-AR (§3.2), AR-Net the sparse "
    "model of §3.3.1 (p. 4–5); sTPE as in §3.4 (p. 5)"
)
"""Where the paper specifies the small-data problem (verified against its text)."""

LR_LOW = 3e-3
"""The one-cycle learning-rate claim covers peak rates from this value up (a 30× range to 0.1);
chosen on seeds 100–102 of the small-data problem, where 0.001 left the fit unsettled after 100
epochs whatever the schedule."""


def spread_note(x: NDArray[np.float64]) -> str:
    """Mean, median and range of ``x`` over its seeds, for a row's note."""
    x = np.asarray(x, dtype=float)
    return (
        f"mean {np.mean(x):.2f}, median {np.median(x):.2f}, range {np.min(x):.2f}–{np.max(x):.2f} "
        f"over {x.size} seeds"
    )


def mean_spread(x: NDArray[np.float64]) -> Spread | None:
    """The t-interval of the mean of ``x`` over its seeds (``None`` for one seed)."""
    return Spread.mean_interval(x) if np.size(x) > 1 else None


def median_spread(x: NDArray[np.float64]) -> Spread | None:
    """A bootstrap interval of the median of ``x`` over its seeds (``None`` for one seed)."""
    return Spread.bootstrap(x, statistic=np.median, unit="seeds") if np.size(x) > 1 else None


def median_with_values(x: NDArray[np.float64]) -> Spread | None:
    """:func:`median_spread` that keeps the per-seed values, to show them beside the row."""
    band = median_spread(x)
    return None if band is None else replace(band, values=tuple(float(v) for v in np.ravel(x)))


def seed_bootstrap(
    statistic: Callable[[NDArray[np.intp]], float], n_seeds: int, *, resamples: int = 2000
) -> Spread | None:
    """A 95% percentile bootstrap interval of ``statistic(seed_indices)``, the seeds resampled
    with replacement jointly across every setting of a sweep (``None`` for one seed)."""
    if n_seeds < 2:
        return None
    rng = np.random.default_rng(0)
    draws = [statistic(rng.integers(0, n_seeds, n_seeds)) for _ in range(resamples)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return Spread(float(low), float(high), f"95% bootstrap interval over {n_seeds} seeds")


def fraction_spread(ok: NDArray[np.bool_]) -> Spread:
    """The Wilson interval of the fraction of seeds where ``ok`` holds."""
    return Spread.binomial(int(np.sum(ok)), int(np.size(ok)), unit="seeds")


def _tuning(tuned: SmallDataResult, tuning: CLambdaSweep | None) -> tuple[str, bool, str]:
    """What ``tuned``'s constant was tuned on, whether its seeds are disjoint from the tuning
    seeds, and the locator's tail."""
    if tuning is not None and isinstance(tuned.c_lambda, float) and tuned.c_lambda == tuning.best:
        disjoint = not set(tuned.seeds) & set(tuning.seeds)
        return tuning.describe(), disjoint, "c_λ tuned here on held-out seeds"
    return TUNED_ON, False, "c_λ tuned here"


def _topk_note(run: SmallDataResult) -> str:
    if run.stpe_topk is None:
        return ""
    return f"; {TOPK_NAME}: median {np.median(run.stpe_topk):.2f} ({_per_seed(run.stpe_topk)})"


def _admitted_n(stpe_ls: NDArray[np.float64], value: float, n: int = 1000) -> float:
    """The N at which least squares' median sTPE, scaled as 1/√N from ``n``, equals ``value``."""
    return n * (float(np.median(stpe_ls)) / value) ** 2


def _per_seed(x: NDArray[np.float64]) -> str:
    return "per seed " + ", ".join(f"{v:.1f}" for v in np.ravel(x))


ONE_SERIES = (
    "the paper's value is one series (its Fig. 6 bars give about 3.1), ours the median over "
    "seeds, every seed shown"
)
"""How the small-data rows compare with the paper's single series."""


TOPK_NAME = "least squares refitted on its round(s·p) largest weights"
"""The competitor told AR-Net's sparsity estimate: hard thresholding, then a refit."""


def _stpe_challenger(run: SmallDataResult) -> tuple[float, str]:
    """The median sTPE nearer the paper's 3.2 of least squares and of its top-``s·p`` refit: the
    simple fit that comes closest to passing a row that asks for the paper's value."""
    options = [(float(np.median(run.stpe_ls)), "least squares")]
    if run.stpe_topk is not None:
        options.append((float(np.median(run.stpe_topk)), TOPK_NAME))
    return min(options, key=lambda o: abs(o[0] - SMALL_ARNET_STPE))


def _support_challenger(run: SmallDataResult, clean_ls: float) -> tuple[float, str]:
    """Least squares' fraction of clean supports, or 1 for its top-``s·p`` refit, whose
    off-support weights are zero by construction."""
    if run.stpe_topk is None:
        return clean_ls, "least squares"
    return 1.0, TOPK_NAME + " (off-support zero by construction)"


def small_data_claims(
    small: SmallDataResult, tuned: SmallDataResult | None, tuning: CLambdaSweep | None
) -> list[Claim]:
    """The small-data rows: least squares (the paper's Classic-AR) as a reproduction; sparse
    AR-Net with ``small``'s setting (the paper's rule, whose procedure the paper does not give for
    this run) and with ``tuned``'s constant (optional; held out when ``tuning`` chose it on other
    seeds) as extensions."""
    paper_rule = small.c_lambda == "paper"
    c_text = (
        f"the paper's rule $c_\\lambda = \\sqrt{{\\hat L}}/100$ "
        f"(here {np.mean(small.c_lambda_used):.4f} on average)"
        if paper_rule
        else f"$c_\\lambda = {small.c_lambda}$"
    )
    calibrated = "" if paper_rule else TUNED_ON
    clean, clean_ls = small.off_support_clean()
    rule = "; c_λ by the paper's rule √L̂/100 (§3.3.1, p. 4)" if paper_rule else ""
    unverified = (
        "; the paper does not say which c_λ, optimiser or epochs produced its small-data numbers, "
        "so the procedure of these rows is ours"
    )
    n_dependence = (
        "; the rule's c_λ does not shrink with N while the least-squares noise that the penalty "
        "must remove from the off-support weights shrinks like 1/√N: at the paper's N = 1e5 the "
        "rule works (rows sparse-order, sparsity-insensitive), at N = 1000 its λ is several "
        "times too weak"
        if paper_rule
        else ""
    )
    claims = [
        Claim(
            "small-ls",
            "Small data ($N = 1000$, AR(20) model on the sparse process): median sTPE of least "
            "squares",
            kind="reproduction",
            where=SMALL_WHERE,
            paper_value=SMALL_LS_STPE,
            measured=float(np.median(small.stpe_ls)),
            check=close_to(SMALL_LS_STPE, abs_tol=6.0),
            spread=median_with_values(small.stpe_ls),
            procedure=SMALL_PROCEDURE,
            unchallenged_reason="the row measures the paper's own baseline on the paper's data; "
            "a simpler estimator that lands on the same error would be a different fit, not a "
            "challenge to this one (the zero estimator scores 100, sparse AR-Net below)",
            note=spread_note(small.stpe_ls)
            + f" ({_per_seed(small.stpe_ls)}); the paper's 18.3 is one series, and the ±6 "
            f"allows for one series' spread ({6.0 / np.std(small.stpe_ls, ddof=1):.1f} standard "
            "deviations over our seeds); "
            "with sTPE ∝ 1/√N the band admits the median of any N from "
            f"{_admitted_n(small.stpe_ls, SMALL_LS_STPE + 6.0):.0f} to "
            f"{_admitted_n(small.stpe_ls, SMALL_LS_STPE - 6.0):.0f}, so it confirms the order "
            "of magnitude of N, not N = 1000 itself",
        ),
        Claim(
            "small-arnet",
            f"Small data ($N = 1000$): median sTPE of sparse AR-Net ($s = 0.15$) with {c_text}",
            kind="extension",
            where=f"{SMALL_WHERE} (one series)",
            paper_value=SMALL_ARNET_STPE,
            measured=float(np.median(small.stpe_arnet)),
            check=close_to(SMALL_ARNET_STPE, abs_tol=2.0),
            baseline=_stpe_challenger(small)[0],
            baseline_name=_stpe_challenger(small)[1],
            baseline_role="competitor",
            spread=median_with_values(small.stpe_arnet),
            procedure=SMALL_PROCEDURE + rule + unverified,
            calibrated_on=calibrated,
            note=spread_note(small.stpe_arnet)
            + f" ({_per_seed(small.stpe_arnet)}); {ONE_SERIES}"
            + f"; test MSE AR-Net {np.mean(small.mse_arnet):.3f}, LS {np.mean(small.mse_ls):.3f}"
            + _topk_note(small)
            + n_dependence,
        ),
        Claim(
            "small-support",
            f"Small data: every off-support $|\\hat w| < {OFF_SUPPORT_TOL:g}$ (fraction of "
            f"seeds), {c_text}",
            kind="extension",
            where="Fig. 6, p. 8 (qualitative)",
            measured=clean,
            check=at_least(0.8),
            baseline=_support_challenger(small, clean_ls)[0],
            baseline_name=_support_challenger(small, clean_ls)[1],
            baseline_role="competitor",
            spread=fraction_spread(small.max_off_support < OFF_SUPPORT_TOL),
            procedure=SMALL_PROCEDURE + rule + unverified + "; the off-support threshold is ours",
            calibrated_on=calibrated,
            note=f"median largest off-support |ŵ|: AR-Net {np.median(small.max_off_support):.3f}, "
            f"LS {np.median(small.max_off_support_ls):.3f}; top-3 |ŵ| at lags 1, 3, 10: "
            f"AR-Net {np.mean(small.support_ok):.2f}, LS {np.mean(small.support_ok_ls):.2f}",
        ),
    ]
    if tuned is not None:
        t_clean, t_clean_ls = tuned.off_support_clean()
        seeds = f"seeds {tuned.seeds[0]}–{tuned.seeds[-1]}"
        tuned_on, held_out, tail = _tuning(tuned, tuning)
        claims += [
            Claim(
                "tuned-stpe",
                f"Small data: median sTPE of sparse AR-Net with the tuned "
                f"$c_\\lambda = {tuned.c_lambda:g}$",
                kind="extension",
                where=f"{SMALL_WHERE} (one series); {tail}",
                paper_value=SMALL_ARNET_STPE,
                measured=float(np.median(tuned.stpe_arnet)),
                check=close_to(SMALL_ARNET_STPE, abs_tol=2.0),
                baseline=_stpe_challenger(tuned)[0],
                baseline_name=_stpe_challenger(tuned)[1],
                baseline_role="competitor",
                spread=median_with_values(tuned.stpe_arnet),
                calibrated_on=tuned_on,
                held_out=held_out,
                note=spread_note(tuned.stpe_arnet)
                + f" ({_per_seed(tuned.stpe_arnet)}); {ONE_SERIES}; measured on {seeds}"
                + _topk_note(tuned),
            ),
            Claim(
                "tuned-support",
                f"Small data: every off-support $|\\hat w| < {OFF_SUPPORT_TOL:g}$ with the tuned "
                f"$c_\\lambda = {tuned.c_lambda:g}$ (fraction of seeds)",
                kind="extension",
                where=f"Fig. 6, p. 8 (qualitative); {tail}",
                measured=t_clean,
                check=at_least(0.8),
                baseline=_support_challenger(tuned, t_clean_ls)[0],
                baseline_name=_support_challenger(tuned, t_clean_ls)[1],
                baseline_role="competitor",
                spread=fraction_spread(tuned.max_off_support < OFF_SUPPORT_TOL),
                calibrated_on=tuned_on,
                held_out=held_out,
                note=f"median largest off-support |ŵ|: AR-Net "
                f"{np.median(tuned.max_off_support):.3f}, LS "
                f"{np.median(tuned.max_off_support_ls):.3f}; measured on {seeds}",
            ),
        ]
    return claims


def _ratio_spread(sweep: LearningRateSweep, schedule: str, low: float) -> Spread | None:
    """The bootstrap interval of :meth:`LearningRateSweep.spread` over the sweep's seeds."""
    keep = np.asarray(sweep.lrs) >= low
    stpe = sweep.stpe[schedule][keep]

    def ratio(idx: NDArray[np.intp]) -> float:
        med = np.median(stpe[:, idx], axis=1)
        return float(med.max() / med.min())

    return seed_bootstrap(ratio, len(sweep.seeds))


def lr_claims(sweep: LearningRateSweep, tuning: CLambdaSweep | None) -> list[Claim]:
    """The learning-rate rows (§5): a constant rate is sensitive, one-cycle much less; each is
    the other's challenger, over the same range of peak rates."""
    tuned_on, held_out = "", False
    if sweep.c_lambda != "paper":
        tuned_on = TUNED_ON
        if tuning is not None and sweep.c_lambda == tuning.best:
            tuned_on = tuning.describe()
            held_out = not set(sweep.seeds) & set(tuning.seeds)
    lo, hi = min(sweep.lrs), max(sweep.lrs)
    low = max(LR_LOW, lo)

    def listed(k: str) -> str:
        med = np.median(sweep.stpe[k], axis=1)
        return ", ".join(f"{v:g}: {m:.1f}" for v, m in zip(sweep.lrs, med, strict=True))

    note = (
        f"median sTPE per peak lr, one-cycle {listed('one-cycle')}; constant {listed('constant')}"
        f"; diverged fits (counted as 100): one-cycle {sweep.diverged['one-cycle']}, constant "
        f"{sweep.diverged['constant']}; c_λ = {sweep.c_lambda}, {len(sweep.seeds)} seeds; the "
        f"range starts at {low:g} because at {lo:g} 100 epochs are too few for either schedule"
    )
    constant = sweep.spread("constant", low=low)
    cycle = sweep.spread("one-cycle", low=low)
    where_tail = "; the problem, the range of rates and the 2× bound are ours"
    return [
        Claim(
            "lr-sensitive",
            f"Small data: at a constant learning rate, sparse AR-Net's median sTPE varies by "
            f"at least 2× over peak lr {low:g} to {hi:g} (worst / best)",
            kind="extension",
            where="§5, p. 9 (statement: sensitive to the learning rate)" + where_tail,
            measured=constant,
            check=at_least(2.0),
            baseline=cycle,
            baseline_name="one-cycle schedule (same rates)",
            baseline_role="null model",
            spread=_ratio_spread(sweep, "constant", low),
            calibrated_on=tuned_on,
            held_out=held_out,
            note=note,
        ),
        Claim(
            "lr-one-cycle",
            f"Small data: with the one-cycle schedule the median sTPE stays within 2× of its "
            f"best over peak lr {low:g} to {hi:g} (worst / best)",
            kind="extension",
            where="§5, p. 9 (one-cycle suggested as future work)" + where_tail,
            measured=cycle,
            check=at_most(2.0),
            baseline=constant,
            baseline_name="constant learning rate",
            baseline_role="competitor",
            spread=_ratio_spread(sweep, "one-cycle", low),
            calibrated_on=tuned_on,
            held_out=held_out,
            note=note,
        ),
    ]
