"""The claims table of the AR-Net chapter (chapter 6): what the paper says, what we measured.

Every paper value and locator was checked against the paper's text (arXiv:1911.12436v1, the PDF
in the official repository; the values are in :mod:`theorybook.arnet.paper`); numbers read from
the paper's figures say so and carry the reading tolerance. Each reproduction's ``procedure`` names
the sections that specify what it measures. The exact rows are built in
:mod:`theorybook.arnet.exact`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from theorybook.arnet.config import TUNED_ON, Config
from theorybook.arnet.exact import exact_claims
from theorybook.arnet.paper import (
    FIG2A_MEDIANS,
    FIG4_ARNET_MEDIANS,
    FIG4_LS_MEDIANS,
)
from theorybook.arnet.results import (
    DenseResult,
    HighOrderRecord,
    Results,
    SmallDataResult,
    SparseOrderResult,
    TimingResult,
)
from theorybook.arnet.small_claims import (
    lr_claims,
    mean_spread,
    median_spread,
    small_data_claims,
    sparsity_claim,
    spread_note,
)
from theorybook.boundary import checked
from theorybook.claims import (
    Claim,
    ClaimTable,
    Spread,
    at_most,
    close_to,
    reported,
)

__all__ = ["CHAPTER", "chapter_claims"]

CHAPTER = "06_ar_net"

_DENSE_PROCEDURE = (
    "§3.1 (p. 3): random AR(p) coefficients scaled to Σ|w_i| ≤ 1 with unit normal noise, the "
    "last part of each series for testing; §3.2 least squares (Classic-AR); §4.1 (p. 5): ten "
    "series per order, p known; sTPE as in §3.4 (p. 5). The coefficients are drawn as in the "
    "official code (arnet/create_ar_data.py), which the paper does not state"
)
_SPARSE_PROCEDURE = (
    "§3.1 (p. 3): AR(3) coefficients fixed to [0.2, 0.3, −0.5], new noise per series; §3.3.1 "
    "(p. 4–5): sparse AR-Net with s = 3/p, λ(s) = c_λ(1/s − 1) and R(θ); §4.1.1 (p. 7, Fig. 4): "
    "ten series per model order; sTPE as in §3.4 (p. 5). The paper gives no c_λ, optimiser or "
    "epochs for this figure"
)
_HIGH_ORDER_SETTINGS = ("sparse.orders", "sparse.n_train")
_TIMING_PROCEDURE = (
    "§4.1.2 (p. 9) and Fig. 8: fit time against the order p, AR-Net for a fixed number of "
    "epochs, several runs per order; least squares here is NumPy's lstsq"
)


def _median_stpe_row(
    claim_id: str,
    statement: str,
    *,
    where: str,
    paper_value: float,
    arnet: NDArray[np.float64],
    least_squares: NDArray[np.float64],
    n_train: int,
    procedure: str,
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
        procedure=procedure,
        paper_value=paper_value,
        measured=float(np.median(arnet)),
        check=reported(),
        note=spread_note(arnet)
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
                procedure=_SPARSE_PROCEDURE,
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
                    baseline_role="competitor",
                    spread=median_spread(res.stpe_arnet[i]),
                    procedure=_SPARSE_PROCEDURE,
                    calibrated_on=TUNED_ON,
                    held_out=True,
                    expected_at="paper",
                    pending_on=_HIGH_ORDER_SETTINGS,
                    scale="paper",
                    note=spread_note(res.stpe_arnet[i]) + ls_note,
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
                    procedure=_SPARSE_PROCEDURE,
                    scale="paper",
                    note=spread_note(res.stpe_arnet[i]) + ls_note,
                )
            )
    return claims


def _sparse_claims(
    sparse: SparseOrderResult | None, record: HighOrderRecord | None = None
) -> list[Claim]:
    claims: list[Claim] = []
    high = high_ls = None
    note = "not run"
    if sparse is not None:
        claims += _sparse_order_rows(sparse)
        last = len(sparse.orders) - 1
        p = sparse.orders[last]
        if p >= 1000 and sparse.n_train >= 100_000:
            high = float(np.median(sparse.stpe_arnet[last]))
            high_ls = float(np.median(sparse.stpe_ls[last]))
        note = (
            f"largest order run: p = {p}, N = {sparse.n_train}: AR-Net "
            f"{spread_note(sparse.stpe_arnet[last])}; least squares "
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
                baseline_role="competitor",
                spread=median_spread(sparse.stpe_arnet[last]),
                procedure=_SPARSE_PROCEDURE,
                calibrated_on=TUNED_ON,
                held_out=True,
                expected_at="book",
                pending_on=("sparse.n_train", "sparse.epochs"),
                pending_reason="the book preset trains 10 epochs on N = 1e4 samples",
                note=spread_note(sparse.stpe_arnet[last])
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
            baseline=high_ls,
            baseline_name="least squares" if high_ls is not None else "",
            baseline_role="competitor",
            procedure=_SPARSE_PROCEDURE,
            expected_at="paper",
            pending_on=_HIGH_ORDER_SETTINGS,
            pending_reason="the paper preset fits p = 1000 on N = 1e5 samples",
            note=note,
        )
    )
    return claims


def _timing_claims(timing: TimingResult) -> list[Claim]:
    lo, hi = timing.orders[0], timing.orders[-1]
    return [
        Claim(
            "timing-ls",
            f"Least-squares fit time against p: log-log slope between p = "
            f"{timing.orders[-2]} and {hi} (2 for the O(p²N) cost)",
            kind="reproduction",
            where="§4.1.2, p. 9 (O(p²N)); Fig. 8",
            procedure=_TIMING_PROCEDURE,
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
            procedure=_TIMING_PROCEDURE,
            measured=timing.ratio("arnet_epoch"),
            check=reported(),
            note=f"N = {timing.n}; per-epoch time = time of a fixed {timing.epochs}-epoch fit / "
            f"{timing.epochs}, median of {timing.repeats} runs; full fit / least squares at "
            f"p = {hi}: "
            f"{timing.arnet_full[-1] / timing.lstsq[-1]:.2f}; "
            "wall-clock on a shared machine, not robust enough to decide",
        ),
    ]


@checked
def chapter_claims(results: Results, cfg: Config) -> ClaimTable:
    """The chapter's claims table from the experiments' results (:func:`run_all
    <theorybook.arnet.experiments.run_all>`).

    ``results.small`` is the small-data run measured for the reproduction rows; run it with
    ``c_lambda="paper"`` (the paper's rule): with the chapter's tuned constant instead, those
    rows show as *calibrated*. ``results.tuned`` (optional) is a run with the tuned constant,
    shown as extensions; with ``results.sweep``, the sweep that chose it on seeds disjoint from
    ``tuned``'s, they count as held out. ``results.sparsity_sweep`` (optional) adds the paper's
    insensitivity-to-``s`` claim, ``results.lr_sweep`` (optional) the learning-rate rows (a
    constant rate against one-cycle), ``results.timing`` the timing rows. ``results.record``
    (optional) is the recorded paper-size high-order grid; its rows say so. The p = 1000,
    N = 1e5 claim is measured only when ``results.sparse`` contains that order at that size, or
    from the record; otherwise it is pending (needs the paper preset). The exact rows use
    ``cfg.regularizer``'s constants.
    """
    dense, small = results.dense, results.small
    if not isinstance(dense, DenseResult) or not isinstance(small, SmallDataResult):
        raise TypeError("chapter_claims needs a DenseResult and a SmallDataResult")
    small_dense = [i for i, p in enumerate(dense.orders) if p <= 10]
    if not small_dense:
        raise ValueError("dense result has no order <= 10 (the agreement claim is about p <= 10)")
    gaps = dense.max_gap[small_dense].max(axis=0)
    gap = float(gaps.max())
    mse = float(dense.mse_arnet[small_dense].mean())
    claims = [
        Claim(
            "dense-agree",
            "Dense AR(p), p ≤ 10: AR-Net coefficients equal least squares' (max |Δw|)",
            kind="reproduction",
            where="§4.1, Fig. 2a, p. 6 (qualitative: equal sTPE)",
            procedure=_DENSE_PROCEDURE + "; the coefficient gap is our measure of Fig. 2a's "
            "equal sTPE",
            measured=gap,
            check=at_most(0.05),
            spread=Spread.over_seeds(gaps) if gaps.size > 1 else None,
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
            baseline=float(dense.mse_ls[small_dense].mean()),
            baseline_name="least squares",
            baseline_role="competitor",
            spread=mean_spread(dense.mse_arnet[small_dense].mean(axis=0)),
            procedure=_DENSE_PROCEDURE,
            note="mean over orders and seeds; the spread is over the seeds' means",
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
                procedure=_DENSE_PROCEDURE,
                caveat=" (sTPE shrinks like 1/√N), and the paper does not give its coefficient "
                "distribution",
            )
        )
    tuning = results.sweep
    claims += _sparse_claims(results.sparse, results.record)
    claims += small_data_claims(small, results.tuned, tuning)
    if results.sparsity_sweep is not None:
        claims.append(sparsity_claim(results.sparsity_sweep, tuning))
    if results.lr_sweep is not None:
        claims += lr_claims(results.lr_sweep, tuning)
    if results.timing is not None:
        claims += _timing_claims(results.timing)
    claims += exact_claims(cfg.regularizer)
    return ClaimTable(claims, chapter=CHAPTER, title="AR-Net: what we reproduced", config=Config)
