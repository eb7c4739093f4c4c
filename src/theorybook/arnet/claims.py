"""The claims table of the AR-Net chapter (chapter 6): what the paper says, what we measured.

Every paper value and locator was checked against the paper's text (arXiv:1911.12436v1, the PDF
in the official repository); numbers read from the paper's figures say so and carry the reading
tolerance.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from theorybook.arnet.config import TUNED_ON, Config
from theorybook.arnet.data import generate_ar, lag_matrix
from theorybook.arnet.experiments import (
    OFF_SUPPORT_TOL,
    CLambdaSweep,
    DenseResult,
    HighOrderRecord,
    LearningRateSweep,
    SmallDataResult,
    SparseOrderResult,
    SparsitySweep,
    TimingResult,
)
from theorybook.arnet.model import (
    fit_least_squares,
    regularizer_derivative,
    regularizer_terms,
    sparsity_regularizer,
    standardised_intercept,
)
from theorybook.claims import (
    Claim,
    ClaimTable,
    at_least,
    at_most,
    close_to,
    is_true,
    reported,
)
from theorybook.validation import positive_real

__all__ = ["FIG2A_MEDIANS", "FIG4_ARNET_MEDIANS", "FIG4_LS_MEDIANS", "LR_LOW", "chapter_claims"]

CHAPTER = "06_ar_net"

FIG2A_MEDIANS: dict[int, float] = {3: 0.71, 5: 0.78, 10: 1.88, 15: 3.13, 20: 3.20, 25: 3.63}
"""Median sTPE per order in the paper's Fig. 2a (dense AR(p), N = 1e5; both methods), read from
the figure's raster to ±0.05."""
FIG4_ARNET_MEDIANS: dict[int, float] = {
    3: 0.24,
    5: 0.33,
    10: 0.29,
    15: 0.37,
    20: 0.37,
    25: 0.36,
    30: 0.29,
    50: 0.42,
    100: 0.41,
    200: 0.43,
    500: 0.72,
    1000: 0.79,
}
"""Median sTPE of sparse AR-Net per model order in the paper's Fig. 4 (AR(3) data, N = 1e5), read
from the figure's raster to ±0.05."""
FIG4_LS_MEDIANS: dict[int, float] = {3: 0.24, 5: 0.60, 10: 1.40, 15: 1.94, 20: 2.68, 25: 3.26}
"""Median sTPE of Classic-AR per model order in the paper's Fig. 4 (run only up to p = 25), read
from the figure's raster to ±0.05."""

SMALL_WHERE = "§4.1.1 (Small Datasets), p. 8"

LR_LOW = 3e-3
"""The one-cycle learning-rate claim covers peak rates from this value up (a 30× range to 0.1);
chosen on seeds 100–102 of the small-data problem, where 0.001 left the fit unsettled after 100
epochs whatever the schedule."""


def _spread(x: NDArray[np.float64]) -> str:
    x = np.asarray(x, dtype=float)
    return (
        f"mean {np.mean(x):.2f}, median {np.median(x):.2f}, range {np.min(x):.2f}–{np.max(x):.2f} "
        f"over {x.size} seeds"
    )


def _exact_claims(c1: float, c2: float, reg_eps: float) -> list[Claim]:
    grid = np.concatenate(([0.0], np.logspace(-6, 3, 400)))
    r = regularizer_terms(grid, c1, c2)
    tanh_gap = float(np.max(np.abs(r - np.tanh(c1 * grid ** (1.0 / c2) / 2.0))))
    dr = regularizer_derivative(grid[1:], c1, c2)
    shape_ok = bool(
        regularizer_terms(0.0, c1, c2) == 0.0
        and regularizer_terms(1e9, c1, c2) > 0.999
        and np.all(np.diff(r) >= 0)
        and np.all(np.diff(dr) < 0)
    )
    # the penalty as training evaluates it: the paper's term at |θ| + ε (eps = reg_eps)
    th_grid = torch.tensor(np.concatenate((-grid[::-1], grid)), dtype=torch.float64)
    train_terms = [
        float(sparsity_regularizer(th_grid[i : i + 1], c1, c2, reg_eps))
        for i in range(0, th_grid.numel(), 40)
    ]
    expected_terms = regularizer_terms(np.abs(th_grid.numpy()[::40]) + reg_eps, c1, c2)
    train_gap = float(np.max(np.abs(np.asarray(train_terms) - expected_terms)))
    r0_train = float(sparsity_regularizer(torch.zeros(1, dtype=torch.float64), c1, c2, reg_eps))
    r0_expected = float(np.tanh(c1 * reg_eps ** (1.0 / c2) / 2.0))
    # one-sided slope next to 0 (autograd gives 0 at exactly 0, where sign(0) = 0)
    z0 = torch.tensor([1e-12], dtype=torch.float64, requires_grad=True)
    sparsity_regularizer(z0, c1, c2, reg_eps).backward()
    assert z0.grad is not None
    slope0 = float(z0.grad.abs().max())
    train_ok = bool(
        train_gap < 1e-12
        and abs(r0_train - r0_expected) < 1e-12
        and np.isfinite(slope0)
        and abs(slope0 - float(regularizer_derivative(reg_eps, c1, c2))) < 1e-6 * slope0
    )
    # autograd of the torch regulariser (eps = 0) against the closed-form derivative
    theta = torch.tensor([0.003, -0.05, 0.3, -0.8, 2.0], dtype=torch.float64, requires_grad=True)
    sparsity_regularizer(theta, c1, c2, eps=0.0).backward()
    assert theta.grad is not None
    th = theta.detach().numpy()
    expected = np.sign(th) * regularizer_derivative(th, c1, c2) / th.size
    grad_gap = float(np.max(np.abs(theta.grad.numpy() - expected) / np.abs(expected)))
    # the intercept mapping from the standardised series back to series units
    y = generate_ar([0.5, -0.2, 0.1], 500, seed=0) * 7.0 + 3.0
    m, s = float(y.mean()), float(y.std())
    z = (y - m) / s
    fit_z = fit_least_squares(z, 3)
    b = standardised_intercept(fit_z.intercept, fit_z.coef, mean=m, std=s)
    pred_y = b + lag_matrix(y, 3) @ fit_z.coef
    map_gap = float(np.max(np.abs(pred_y - (m + s * fit_z.predict(z)))))
    x = lag_matrix(y, 5)
    loop = np.array([[y[t - i] for i in range(1, 6)] for t in range(5, y.size)])
    return [
        Claim(
            "reg-tanh",
            "Each term of R equals tanh(c₁|θ|^(1/c₂)/2) (max abs. difference on a grid)",
            kind="exact",
            where="§3.3.1, p. 5 (R(θ))",
            measured=tanh_gap,
            check=at_most(1e-12),
            note="401 points, θ = 0 and 1e-6 … 1e3",
        ),
        Claim(
            "reg-shape",
            "R(0) = 0, R → 1 as |θ| → ∞, R increasing and R′ decreasing on |θ| > 0",
            kind="exact",
            where="§3.3.1, p. 5 (R(θ))",
            measured=shape_ok,
            check=is_true(),
            note="the paper's formula (ε = 0); training shifts it by ε (next row)",
        ),
        Claim(
            "reg-train",
            f"The penalty training uses is the paper's term at |θ| + ε (ε = {reg_eps:g}): "
            f"R_ε(0) = tanh(c₁ε^(1/c₂)/2) and its slope next to 0 is r′(ε), finite",
            kind="exact",
            where="§3.3.1, p. 5 (R(θ)); ε is ours",
            measured=train_ok,
            check=is_true(),
            note=f"R_ε(0) = {r0_train:.4f} (not 0: a constant, so it moves no weight); "
            f"slope next to 0 {slope0:.1f} per weight (0 at exactly 0, where autograd takes "
            f"sign(0) = 0); largest difference from the shifted "
            f"formula {train_gap:.1e}",
        ),
        Claim(
            "reg-grad",
            "Autograd of the torch regulariser equals the closed-form derivative R′ / p",
            kind="exact",
            where="§3.3.1, p. 5 (R(θ), derivative derived)",
            measured=grad_gap,
            check=at_most(1e-9),
            note="largest relative difference, float64, five weights",
        ),
        Claim(
            "intercept-map",
            "A fit on the standardised series maps back to series units exactly",
            kind="exact",
            where="§3.2, p. 3 (the AR model with intercept c)",
            measured=map_gap,
            check=at_most(1e-9),
            note="max |one-step prediction difference| on a series scaled by 7 and shifted by 3",
        ),
        Claim(
            "lag-matrix",
            "The strided lag matrix equals the explicit lag loop (lag 1 first)",
            kind="exact",
            where="§3.2, p. 3 (y_t from y_{t−1} … y_{t−p})",
            measured=bool(np.array_equal(x, loop)),
            check=is_true(),
        ),
    ]


def _tuning(tuned: SmallDataResult, tuning: CLambdaSweep | None) -> tuple[str, bool, str]:
    """What ``tuned``'s constant was tuned on, whether its seeds are disjoint from the tuning
    seeds, and the locator's tail."""
    if tuning is not None and isinstance(tuned.c_lambda, float) and tuned.c_lambda == tuning.best:
        disjoint = not set(tuned.seeds) & set(tuning.seeds)
        return tuning.describe(), disjoint, "c_λ tuned here on held-out seeds"
    return TUNED_ON, False, "c_λ tuned here"


def _small_claims(
    small: SmallDataResult, tuned: SmallDataResult | None, tuning: CLambdaSweep | None
) -> list[Claim]:
    paper_rule = small.c_lambda == "paper"
    c_text = (
        f"paper's rule c_λ = √L̂/100 (here {np.mean(small.c_lambda_used):.4f} on average)"
        if paper_rule
        else f"c_λ = {small.c_lambda}"
    )
    calibrated = "" if paper_rule else TUNED_ON
    clean, clean_ls = small.off_support_clean()
    claims = [
        Claim(
            "small-ls",
            "Small data (N = 1000, AR(20) model on the sparse process): sTPE of least squares",
            kind="reproduction",
            where=SMALL_WHERE,
            paper_value=18.3,
            measured=float(np.mean(small.stpe_ls)),
            check=close_to(18.3, abs_tol=6.0),
            note=_spread(small.stpe_ls),
        ),
        Claim(
            "small-arnet",
            f"Small data: sTPE of sparse AR-Net (s = 0.15) with the {c_text}",
            kind="reproduction",
            where=SMALL_WHERE,
            paper_value=3.2,
            measured=float(np.mean(small.stpe_arnet)),
            check=close_to(3.2, abs_tol=2.0),
            baseline=float(np.mean(small.stpe_ls)),
            baseline_name="least squares",
            calibrated_on=calibrated,
            note=_spread(small.stpe_arnet)
            + f"; test MSE AR-Net {np.mean(small.mse_arnet):.3f}, LS {np.mean(small.mse_ls):.3f}"
            + "; the paper gives no optimiser settings, epochs or c_λ for this run",
        ),
        Claim(
            "small-support",
            f"Small data: every off-support |ŵ| < {OFF_SUPPORT_TOL:g} (fraction of seeds), "
            f"{c_text}",
            kind="reproduction",
            where="Fig. 6, p. 8 (qualitative)",
            measured=clean,
            check=at_least(0.8),
            baseline=clean_ls,
            baseline_name="least squares",
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
                f"Small data: sTPE of sparse AR-Net with the tuned c_λ = {tuned.c_lambda:g}",
                kind="extension",
                where=f"{SMALL_WHERE}; {tail}",
                paper_value=3.2,
                measured=float(np.mean(tuned.stpe_arnet)),
                check=close_to(3.2, abs_tol=2.0),
                baseline=float(np.mean(tuned.stpe_ls)),
                baseline_name="least squares",
                calibrated_on=tuned_on,
                held_out=held_out,
                note=_spread(tuned.stpe_arnet) + f"; measured on {seeds}",
            ),
            Claim(
                "tuned-support",
                f"Small data: every off-support |ŵ| < {OFF_SUPPORT_TOL:g} with the tuned c_λ = "
                f"{tuned.c_lambda:g} (fraction of seeds)",
                kind="extension",
                where=f"Fig. 6, p. 8 (qualitative); {tail}",
                measured=t_clean,
                check=at_least(0.8),
                baseline=t_clean_ls,
                baseline_name="least squares",
                calibrated_on=tuned_on,
                held_out=held_out,
                note=f"median largest off-support |ŵ|: AR-Net "
                f"{np.median(tuned.max_off_support):.3f}, LS "
                f"{np.median(tuned.max_off_support_ls):.3f}; measured on {seeds}",
            ),
        ]
    return claims


def _median_stpe_row(
    claim_id: str,
    statement: str,
    *,
    where: str,
    paper_value: float,
    arnet: NDArray[np.float64],
    least_squares: NDArray[np.float64],
    n_train: int,
    ls_paper: str = "",
    caveat: str = "",
) -> Claim:
    """A reported row: AR-Net's median sTPE over seeds at one order, against the paper's median
    read from its figure, with the spread and least squares' median in the note."""
    return Claim(
        claim_id,
        statement,
        kind="reproduction",
        where=f"{where} (median read from the figure, ±0.05)",
        paper_value=paper_value,
        measured=float(np.median(arnet)),
        check=reported(),
        note=_spread(arnet)
        + f"; least squares median {np.median(least_squares):.2f}{ls_paper}"
        + f"; N = {n_train} against the paper's 1e5{caveat}",
    )


def _sparse_order_rows(sparse: SparseOrderResult) -> list[Claim]:
    """One reported row per order that the paper's Fig. 4 shows (below the largest order run)."""
    rows = []
    for i, p in enumerate(sparse.orders[:-1]):
        if p not in FIG4_ARNET_MEDIANS:
            continue
        ls_paper = FIG4_LS_MEDIANS.get(p)
        rows.append(
            _median_stpe_row(
                f"sparse-stpe-p{p}",
                f"AR(3) data fitted at p = {p}: median sTPE of sparse AR-Net (s = 3/p)",
                where="§4.1.1, Fig. 4, p. 7",
                paper_value=FIG4_ARNET_MEDIANS[p],
                arnet=sparse.stpe_arnet[i],
                least_squares=sparse.stpe_ls[i],
                n_train=sparse.n_train,
                ls_paper=f" (paper {ls_paper:.2f})" if ls_paper is not None else "",
            )
        )
    return rows


def _recorded_claims(record: HighOrderRecord) -> list[Claim]:
    """The high-order claim and one reported row per other order, from a recorded run."""
    res = record.result
    origin = (
        f"recorded run ({record.recorded_on}, commit {record.commit[:12]}, "
        f"{res.stpe_arnet.shape[1]} seeds, N = {res.n_train})"
    )
    claims = []
    for i, p in enumerate(res.orders):
        ls_note = f"; least squares median {np.median(res.stpe_ls[i]):.2f}; {origin}"
        if p == 1000:
            claims.append(
                Claim(
                    "high-order",
                    "AR(3) data fitted at p = 1000 (s = 0.003), N = 1e5: sparse AR-Net median "
                    "sTPE ≤ 1",
                    kind="reproduction",
                    where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)",
                    paper_value=FIG4_ARNET_MEDIANS[1000],
                    measured=float(np.median(res.stpe_arnet[i])),
                    check=at_most(1.0),
                    baseline=float(np.median(res.stpe_ls[i])),
                    baseline_name="least squares",
                    calibrated_on=TUNED_ON,
                    held_out=True,
                    expected_at="paper",
                    scale="paper",
                    note=_spread(res.stpe_arnet[i]) + ls_note,
                )
            )
        else:
            claims.append(
                Claim(
                    f"recorded-p{p}",
                    f"AR(3) data fitted at p = {p}, N = {res.n_train}: median sTPE of sparse "
                    "AR-Net (recorded run)",
                    kind="reproduction",
                    where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)"
                    if p in FIG4_ARNET_MEDIANS
                    else "§4.1.1, Fig. 4, p. 7 (the figure has no box at this order)",
                    paper_value=FIG4_ARNET_MEDIANS.get(p),
                    measured=float(np.median(res.stpe_arnet[i])),
                    check=reported(),
                    scale="paper",
                    note=_spread(res.stpe_arnet[i]) + ls_note,
                )
            )
    return claims


def _sparse_claims(
    sparse: SparseOrderResult | None, record: HighOrderRecord | None = None
) -> list[Claim]:
    claims: list[Claim] = []
    high = None
    note = "not run"
    if sparse is not None:
        claims += _sparse_order_rows(sparse)
        last = len(sparse.orders) - 1
        p = sparse.orders[last]
        if p >= 1000 and sparse.n_train >= 100_000:
            high = float(np.median(sparse.stpe_arnet[last]))
        note = (
            f"largest order run: p = {p}, N = {sparse.n_train}: AR-Net "
            f"{_spread(sparse.stpe_arnet[last])}; least squares "
            f"median {np.median(sparse.stpe_ls[last]):.1f}"
        )
        claims.append(
            Claim(
                "sparse-order",
                f"AR(3) data fitted at p = {p} (s = 3/p), N = {sparse.n_train}: sparse AR-Net "
                "median sTPE ≤ 3",
                kind="reproduction",
                where="§4.1.1, Fig. 4, p. 7 (medians read from the figure, ±0.05)",
                paper_value=FIG4_ARNET_MEDIANS.get(p),
                measured=float(np.median(sparse.stpe_arnet[last])),
                check=at_most(3.0),
                baseline=float(np.median(sparse.stpe_ls[last])),
                baseline_name="least squares",
                calibrated_on=TUNED_ON,
                held_out=True,
                expected_at="book",
                pending_reason="the book preset trains 10 epochs on N = 1e4 samples",
                note=_spread(sparse.stpe_arnet[last])
                + "; c_λ was tuned on a different process (the small-data one)"
                + "; the paper's value is at N = 1e5"
                + ("" if p in FIG4_ARNET_MEDIANS else f" and is not given for p = {p}"),
            )
        )
    if record is not None and 1000 in record.result.orders and record.result.n_train >= 100_000:
        return claims + _recorded_claims(record)
    claims.append(
        Claim(
            "high-order",
            "AR(3) data fitted at p = 1000 (s = 0.003), N = 1e5: sparse AR-Net median sTPE ≤ 1",
            kind="reproduction",
            where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)",
            paper_value=FIG4_ARNET_MEDIANS[1000],
            measured=high,
            check=at_most(1.0),
            expected_at="paper",
            pending_reason="the paper preset fits p = 1000 on N = 1e5 samples",
            note=note,
        )
    )
    return claims


def _sparsity_claim(sweep: SparsitySweep, tuning: CLambdaSweep | None) -> Claim:
    med = np.median(sweep.stpe, axis=1)
    k = int(np.argmin(np.abs(np.asarray(sweep.sparsities) - sweep.true_sparsity)))
    ratio = float(med.max() / med[k])
    worst = sweep.sparsities[int(np.argmax(med))]
    listed = ", ".join(f"s = {v:g}: {m:.1f}" for v, m in zip(sweep.sparsities, med, strict=True))
    tuned_on, held_out = "", False
    if sweep.c_lambda != "paper":
        tuned_on, held_out = TUNED_ON, False
        if tuning is not None and sweep.c_lambda == tuning.best:
            tuned_on = tuning.describe()
            held_out = not set(sweep.seeds) & set(tuning.seeds)
    return Claim(
        "sparsity-insensitive",
        "Small data: sTPE of sparse AR-Net with s off by up to 10× stays within 2× of its value "
        "at the true s (ratio of worst to true-s median)",
        kind="reproduction",
        where="§5, p. 9 (statement)",
        measured=ratio,
        check=at_most(2.0),
        calibrated_on=tuned_on,
        held_out=held_out,
        note=f"median sTPE {listed} (true s = {sweep.true_sparsity:g}); worst at s = {worst:g}; "
        f"c_λ = {sweep.c_lambda}, {len(sweep.seeds)} seeds",
    )


def _lr_claims(sweep: LearningRateSweep, tuning: CLambdaSweep | None) -> list[Claim]:
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
        f"{sweep.diverged['constant']}; c_λ = {sweep.c_lambda}, {len(sweep.seeds)} seeds"
    )
    return [
        Claim(
            "lr-sensitive",
            f"Small data: at a constant learning rate, sparse AR-Net's median sTPE varies by "
            f"at least 2× over peak lr {lo:g} to {hi:g} (worst / best)",
            kind="reproduction",
            where="§5, p. 9 (statement: sensitive to the learning rate)",
            measured=sweep.spread("constant"),
            check=at_least(2.0),
            calibrated_on=tuned_on,
            held_out=held_out,
            note=note,
        ),
        Claim(
            "lr-one-cycle",
            f"Small data: with the one-cycle schedule the median sTPE stays within 2× of its "
            f"best over peak lr {low:g} to {hi:g} (worst / best)",
            kind="extension",
            where="§5, p. 9 (one-cycle suggested as future work)",
            measured=sweep.spread("one-cycle", low=low),
            check=at_most(2.0),
            baseline=sweep.spread("constant", low=low),
            baseline_name="constant learning rate",
            calibrated_on=tuned_on,
            held_out=held_out,
            note=note,
        ),
    ]


def _timing_claims(timing: TimingResult) -> list[Claim]:
    lo, hi = timing.orders[0], timing.orders[-1]
    return [
        Claim(
            "timing-ls",
            f"Least-squares fit time against p: log-log slope between p = "
            f"{timing.orders[-2]} and {hi} (2 for the O(p²N) cost)",
            kind="reproduction",
            where="§4.1.2, p. 9 (O(p²N)); Fig. 8",
            measured=timing.slope("lstsq"),
            check=reported(),
            note=f"N = {timing.n}; median of {timing.repeats} runs; ratio p = {hi} / {lo}: "
            f"{timing.ratio('lstsq'):.1f}; wall-clock on a shared machine, not robust enough "
            "to decide",
        ),
        Claim(
            "timing-arnet",
            f"AR-Net time per epoch against p: ratio p = {hi} / {lo} (1 if flat)",
            kind="reproduction",
            where="§4.1.2, p. 9; Fig. 8",
            measured=timing.ratio("arnet_epoch"),
            check=reported(),
            note=f"N = {timing.n}; per-epoch time = time of a fixed {timing.epochs}-epoch fit / "
            f"{timing.epochs}, median of {timing.repeats} runs; full fit / least squares at "
            f"p = {hi}: "
            f"{timing.arnet_full[-1] / timing.lstsq[-1]:.2f}; "
            "wall-clock on a shared machine, not robust enough to decide",
        ),
    ]


def chapter_claims(
    dense: DenseResult,
    small: SmallDataResult,
    sparse: SparseOrderResult | None = None,
    timing: TimingResult | None = None,
    *,
    tuned: SmallDataResult | None = None,
    tuning: CLambdaSweep | None = None,
    sparsity_sweep: SparsitySweep | None = None,
    lr_sweep: LearningRateSweep | None = None,
    record: HighOrderRecord | None = None,
    c1: float = 3.0,
    c2: float = 3.0,
    reg_eps: float = Config.reg_eps,
) -> ClaimTable:
    """The chapter's claims table from the experiments' results.

    ``small`` is the small-data run measured for the reproduction rows; run it with
    ``c_lambda="paper"`` (the paper's rule) — with the chapter's tuned constant instead, those
    rows show as *calibrated*. ``tuned`` (optional) is a run with the tuned constant, shown as
    extensions; with ``tuning``, the sweep that chose it on seeds disjoint from ``tuned``'s, they
    count as held out. ``sparsity_sweep`` (optional) adds the paper's insensitivity-to-``s`` claim.
    ``lr_sweep`` (optional) adds the learning-rate rows (a constant rate against one-cycle).
    ``record`` (optional) is the recorded paper-size high-order grid
    (:func:`~theorybook.arnet.experiments.load_high_order_record`); its rows say so.
    The p = 1000, N = 1e5 claim is measured only when ``sparse`` contains that order
    at that size; otherwise it is pending (needs the paper preset).
    """
    if not isinstance(dense, DenseResult) or not isinstance(small, SmallDataResult):
        raise TypeError("chapter_claims needs a DenseResult and a SmallDataResult")
    c1, c2 = positive_real("c1", c1), positive_real("c2", c2)
    small_dense = [i for i, p in enumerate(dense.orders) if p <= 10]
    if not small_dense:
        raise ValueError("dense result has no order <= 10 (the agreement claim is about p <= 10)")
    gap = float(dense.max_gap[small_dense].max())
    mse = float(dense.mse_arnet[small_dense].mean())
    claims = [
        Claim(
            "dense-agree",
            "Dense AR(p), p ≤ 10: AR-Net coefficients equal least squares' (max |Δw|)",
            kind="reproduction",
            where="§4.1, Fig. 2a, p. 6 (qualitative: equal sTPE)",
            measured=gap,
            check=at_most(0.05),
            note=f"max over p ∈ {[dense.orders[i] for i in small_dense]} and "
            f"{dense.max_gap.shape[1]} seeds, N = {dense.n_train}",
        ),
        Claim(
            "dense-mse",
            "Dense AR(p), p ≤ 10: one-step test MSE of AR-Net equals the noise variance 1",
            kind="reproduction",
            where="§4.1, Fig. 2b, p. 6",
            paper_value=1.0,
            measured=mse,
            check=close_to(1.0, abs_tol=0.03),
            note=f"mean over orders and seeds; least squares "
            f"{dense.mse_ls[small_dense].mean():.3f}",
        ),
    ]
    for i, p in enumerate(dense.orders):
        if p not in FIG2A_MEDIANS:
            continue
        claims.append(
            _median_stpe_row(
                f"dense-stpe-p{p}",
                f"Dense AR({p}): median sTPE of AR-Net",
                where="§4.1, Fig. 2a, p. 6",
                paper_value=FIG2A_MEDIANS[p],
                arnet=dense.stpe_arnet[i],
                least_squares=dense.stpe_ls[i],
                n_train=dense.n_train,
                caveat=" (sTPE shrinks like 1/√N), and the paper does not give its coefficient "
                "distribution",
            )
        )
    claims += _sparse_claims(sparse, record)
    claims += _small_claims(small, tuned, tuning)
    if sparsity_sweep is not None:
        claims.append(_sparsity_claim(sparsity_sweep, tuning))
    if lr_sweep is not None:
        claims += _lr_claims(lr_sweep, tuning)
    if timing is not None:
        claims += _timing_claims(timing)
    claims += _exact_claims(c1, c2, reg_eps)
    return ClaimTable(claims, chapter=CHAPTER, title="AR-Net: what we reproduced")
