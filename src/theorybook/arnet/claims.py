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
    DenseResult,
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

__all__ = ["FIG2A_MEDIANS", "FIG4_ARNET_MEDIANS", "chapter_claims"]

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

SMALL_WHERE = "§4.1.1 (Small Datasets), p. 8"


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
    r0_train = float(sparsity_regularizer(torch.zeros(1, dtype=torch.float64), c1, c2, reg_eps))
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
            note=f"the paper's formula (ε = 0); training evaluates R at |θ| + ε with "
            f"ε = {reg_eps:g}, where R(0) = {r0_train:.4f} and R′(0) is finite",
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


def _small_claims(small: SmallDataResult, tuned: SmallDataResult | None) -> list[Claim]:
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
        claims += [
            Claim(
                "tuned-stpe",
                f"Small data: sTPE of sparse AR-Net with the chapter's c_λ = {tuned.c_lambda}",
                kind="extension",
                where=f"{SMALL_WHERE}; c_λ tuned here",
                paper_value=3.2,
                measured=float(np.mean(tuned.stpe_arnet)),
                check=close_to(3.2, abs_tol=2.0),
                baseline=float(np.mean(tuned.stpe_ls)),
                baseline_name="least squares",
                calibrated_on=TUNED_ON,
                note=_spread(tuned.stpe_arnet) + f"; measured on {seeds}",
            ),
            Claim(
                "tuned-support",
                f"Small data: every off-support |ŵ| < {OFF_SUPPORT_TOL:g} with c_λ = "
                f"{tuned.c_lambda} (fraction of seeds)",
                kind="extension",
                where="Fig. 6, p. 8 (qualitative); c_λ tuned here",
                measured=t_clean,
                check=at_least(0.8),
                baseline=t_clean_ls,
                baseline_name="least squares",
                calibrated_on=TUNED_ON,
                note=f"median largest off-support |ŵ|: AR-Net "
                f"{np.median(tuned.max_off_support):.3f}, LS "
                f"{np.median(tuned.max_off_support_ls):.3f}; measured on {seeds}",
            ),
        ]
    return claims


def _sparse_claims(sparse: SparseOrderResult | None) -> list[Claim]:
    claims: list[Claim] = []
    high = None
    note = "not run"
    if sparse is not None:
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


def _sparsity_claim(sweep: SparsitySweep) -> Claim:
    med = np.median(sweep.stpe, axis=1)
    k = int(np.argmin(np.abs(np.asarray(sweep.sparsities) - sweep.true_sparsity)))
    ratio = float(med.max() / med[k])
    worst = sweep.sparsities[int(np.argmax(med))]
    listed = ", ".join(f"s = {v:g}: {m:.1f}" for v, m in zip(sweep.sparsities, med, strict=True))
    tuned = sweep.c_lambda != "paper"
    return Claim(
        "sparsity-insensitive",
        "Small data: sTPE of sparse AR-Net with s off by up to 10× stays within 2× of its value "
        "at the true s (ratio of worst to true-s median)",
        kind="reproduction",
        where="§5, p. 9 (statement)",
        measured=ratio,
        check=at_most(2.0),
        calibrated_on=TUNED_ON if tuned else "",
        note=f"median sTPE {listed} (true s = {sweep.true_sparsity:g}); worst at s = {worst:g}; "
        f"c_λ = {sweep.c_lambda}, {len(sweep.seeds)} seeds",
    )


def _timing_claims(timing: TimingResult) -> list[Claim]:
    lo, hi = timing.orders[0], timing.orders[-1]
    return [
        Claim(
            "timing-ls",
            f"Least-squares fit time grows superlinearly in p (log-log slope, p = "
            f"{timing.orders[-2]} to {hi})",
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
            f"AR-Net time per epoch stays flat in p (ratio p = {hi} / {lo})",
            kind="reproduction",
            where="§4.1.2, p. 9; Fig. 8",
            measured=timing.ratio("arnet_epoch"),
            check=reported(),
            note=f"N = {timing.n}; {timing.epochs} epochs, median of {timing.repeats} runs; "
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
    sparsity_sweep: SparsitySweep | None = None,
    c1: float = 3.0,
    c2: float = 3.0,
    reg_eps: float = Config.reg_eps,
) -> ClaimTable:
    """The chapter's claims table from the experiments' results.

    ``small`` is the small-data run measured for the reproduction rows; run it with
    ``c_lambda="paper"`` (the paper's rule) — with the chapter's tuned constant instead, those
    rows show as *calibrated*. ``tuned`` (optional) is a run with the tuned constant, shown as
    extensions. ``sparsity_sweep`` (optional) adds the paper's insensitivity-to-``s`` claim.
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
    common = [p for p in dense.orders if p in FIG2A_MEDIANS]
    if common:
        p = max(common)
        i = dense.orders.index(p)
        claims.append(
            Claim(
                f"dense-stpe-p{p}",
                f"Dense AR({p}): median sTPE of AR-Net",
                kind="reproduction",
                where="§4.1, Fig. 2a, p. 6 (median read from the figure, ±0.05)",
                paper_value=FIG2A_MEDIANS[p],
                measured=float(np.median(dense.stpe_arnet[i])),
                check=reported(),
                note=_spread(dense.stpe_arnet[i])
                + f"; N = {dense.n_train} against the paper's 1e5 (sTPE shrinks like 1/√N), "
                "and the paper does not give its coefficient distribution",
            )
        )
    claims += _sparse_claims(sparse)
    claims += _small_claims(small, tuned)
    if sparsity_sweep is not None:
        claims.append(_sparsity_claim(sparsity_sweep))
    if timing is not None:
        claims += _timing_claims(timing)
    claims += _exact_claims(c1, c2, reg_eps)
    return ClaimTable(claims, chapter=CHAPTER, title="AR-Net: what we reproduced")
