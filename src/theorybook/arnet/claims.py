"""The claims table of the AR-Net chapter (chapter 6): what the paper says, what we measured.

Every paper value and locator was checked against the paper's text (arXiv:1911.12436v1, the PDF
in the official repository; the values are in :mod:`theorybook.arnet.paper`); numbers read from
the paper's figures say so and carry the reading tolerance. Each reproduction's ``procedure`` names
the sections that specify what it measures. The exact rows are built in
:mod:`theorybook.arnet.exact`.
"""

from __future__ import annotations

from typing import Literal

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
    SparsitySweep,
    TimingResult,
)
from theorybook.arnet.small_claims import (
    lr_claims,
    mean_spread,
    median_spread,
    median_with_values,
    seed_bootstrap,
    small_data_claims,
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

__all__ = ["CHAPTER", "chapter_claims", "sparsity_claim"]

CHAPTER = "06_ar_net"

Kind = Literal["exact", "reproduction", "extension"]

_DENSE_PROCEDURE = (
    "§3.1 (p. 3): random AR(p) coefficients scaled to Σ|w_i| ≤ 1 with unit normal noise, the "
    "last part of each series for testing; §3.2 least squares (Classic-AR); §4.1 (p. 5): ten "
    "series per order, p known; sTPE as in §3.4 (p. 5). The coefficients are drawn as in the "
    "official code (arnet/create_ar_data.py), which the paper does not state"
)
_SPARSE_PROCEDURE = (
    "§3.1 (p. 3): AR(3) coefficients fixed to [0.2, 0.3, −0.5], new noise per series; §3.3.1 "
    "(p. 4–5): sparse AR-Net with s = 3/p, λ(s) = c_λ(1/s − 1) and R(θ); §4.1.1 (p. 7, Fig. 4): "
    "ten series per model order; sTPE as in §3.4 (p. 5). The paper gives no optimiser or epochs "
    "for this figure"
)
_RULE = "; c_λ by the paper's rule √L̂/100 (§3.3.1, p. 4)"
_TUNED = "; c_λ = {c:g}, tuned here on the small-data problem (the paper's rule not used)"


def _c_lambda_text(c_lambda: object) -> str:
    return _RULE if c_lambda == "paper" else _TUNED.format(c=float(c_lambda))  # type: ignore[arg-type]


def _sparse_kind(c_lambda: object) -> tuple[Kind, str]:
    """A sparse row's kind and ``calibrated_on``: with the paper's rule the procedure is the
    paper's (a reproduction); with the tuned constant it is ours (an extension)."""
    return ("reproduction", "") if c_lambda == "paper" else ("extension", TUNED_ON)


_HIGH_ORDER_SETTINGS = ("sparse.orders",)
_TIMING_PROCEDURE = (
    "§4.1.2 (p. 9) and Fig. 8: fit time against the order p, AR-Net for a fixed number of "
    "epochs, several runs per order; least squares here is NumPy's lstsq"
)


def _median_stpe_row(
    claim_id: str,
    statement: str,
    *,
    kind: Kind = "reproduction",
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
        kind=kind,
        where=f"{where} (median read from the figure, ±0.05)",
        procedure=procedure,
        paper_value=paper_value,
        measured=float(np.median(arnet)),
        check=reported(),
        spread=median_spread(arnet),
        note=spread_note(arnet)
        + f"; least squares median {np.median(least_squares):.2f}{ls_paper}"
        + (
            f"; N = {n_train} against the paper's 1e5: scaled by √(N/1e5) the median is "
            f"{np.median(arnet) * np.sqrt(n_train / 1e5):.2f}{caveat}"
            if n_train != 100_000
            else f"; N = 1e5 as in the paper{caveat}"
        ),
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
                f"AR(3) data fitted at $p = {p}$, $N = {sparse.n_train}$: median sTPE of sparse "
                "AR-Net ($s = 3/p$)",
                kind=_sparse_kind(sparse.c_lambda)[0],
                where="§4.1.1, Fig. 4, p. 7",
                paper_value=FIG4_ARNET_MEDIANS[p],
                arnet=sparse.stpe_arnet[i],
                least_squares=sparse.stpe_ls[i],
                n_train=sparse.n_train,
                procedure=_SPARSE_PROCEDURE + _c_lambda_text(sparse.c_lambda),
                ls_paper=f" (paper {ls_paper:.2f})" if ls_paper is not None else "",
            )
        )
    return rows


def _challenger(res: SparseOrderResult, i: int) -> tuple[float, str]:
    """The stronger (lower median sTPE) of least squares and least squares refitted on its three
    largest weights at order index ``i``: the simple fits that AR-Net's row must beat."""
    options = [(float(np.median(res.stpe_ls[i])), "least squares")]
    if res.stpe_topk is not None and res.orders[i] > 3:
        options.append(
            (float(np.median(res.stpe_topk[i])), "least squares refitted on its 3 largest weights")
        )
    return min(options)


def _challenger_note(res: SparseOrderResult, i: int) -> str:
    note = f"; least squares median {np.median(res.stpe_ls[i]):.2f}"
    if res.stpe_topk is not None:
        note += f", refitted on its 3 largest weights {np.median(res.stpe_topk[i]):.2f}"
    return note


def _precise_row(
    claim_id: str,
    res: SparseOrderResult,
    i: int,
    *,
    expected_at: Literal["book", "paper"],
    origin: str = "",
) -> Claim:
    """The verdict row at order ``res.orders[i]``: sparse AR-Net's median sTPE ≤ 1 (the paper's
    Fig. 4 medians stay below 0.8 up to p = 1000), against the stronger simple fit."""
    p = res.orders[i]
    kind, calibrated = _sparse_kind(res.c_lambda)
    baseline, name = _challenger(res, i)
    return Claim(
        claim_id,
        f"AR(3) data fitted at $p = {p}$ ($s = 3/p$), $N = {res.n_train}$: sparse AR-Net median "
        "sTPE ≤ 1",
        kind=kind,
        where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)"
        if p in FIG4_ARNET_MEDIANS
        else "§4.1.1, Fig. 4, p. 7 (the figure has no box at this order)",
        paper_value=FIG4_ARNET_MEDIANS.get(p),
        measured=float(np.median(res.stpe_arnet[i])),
        check=at_most(1.0),
        baseline=baseline,
        baseline_name=name,
        baseline_role="competitor",
        spread=median_with_values(res.stpe_arnet[i]),
        procedure=_SPARSE_PROCEDURE + _c_lambda_text(res.c_lambda),
        calibrated_on=calibrated,
        held_out=bool(calibrated),
        expected_at=expected_at,
        pending_on=("sparse.n_train",) if expected_at == "book" else _HIGH_ORDER_SETTINGS,
        pending_reason="the paper's rule for c_λ is made for N = 1e5; on fewer samples its λ is "
        "too weak (the small-data rows)",
        note=spread_note(res.stpe_arnet[i]) + _challenger_note(res, i) + origin,
        **({"scale": "paper"} if origin else {}),  # type: ignore[arg-type]
    )


def _recorded_claims(record: HighOrderRecord, sparse: SparseOrderResult | None) -> list[Claim]:
    """The high-order claim and one reported row per other order from a recorded run, leaving
    out the orders this run measured at the same sample size."""
    res = record.result
    origin = (
        f"; recorded run ({record.recorded_on}, commit {record.commit[:12]}, "
        f"{res.stpe_arnet.shape[1]} seeds, N = {res.n_train})"
    )
    measured_here: set[int] = set()
    if sparse is not None and sparse.n_train == res.n_train:
        measured_here = set(sparse.orders)
    kind, calibrated = _sparse_kind(res.c_lambda)
    claims = []
    for i, p in enumerate(res.orders):
        if p == 1000:
            claims.append(_precise_row("high-order", res, i, expected_at="paper", origin=origin))
        elif p not in measured_here:
            claims.append(
                Claim(
                    f"recorded-p{p}",
                    f"AR(3) data fitted at $p = {p}$, $N = {res.n_train}$: median sTPE of sparse "
                    "AR-Net (recorded run)",
                    kind=kind,
                    where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)"
                    if p in FIG4_ARNET_MEDIANS
                    else "§4.1.1, Fig. 4, p. 7 (the figure has no box at this order)",
                    paper_value=FIG4_ARNET_MEDIANS.get(p),
                    measured=float(np.median(res.stpe_arnet[i])),
                    check=reported(),
                    spread=median_spread(res.stpe_arnet[i]),
                    procedure=_SPARSE_PROCEDURE + _c_lambda_text(res.c_lambda),
                    calibrated_on=calibrated,
                    scale="paper",
                    note=spread_note(res.stpe_arnet[i]) + _challenger_note(res, i) + origin,
                )
            )
    return claims


def _sparse_claims(
    sparse: SparseOrderResult | None, record: HighOrderRecord | None = None
) -> list[Claim]:
    claims: list[Claim] = []
    if sparse is not None:
        claims += _sparse_order_rows(sparse)
        last = len(sparse.orders) - 1
        claims.append(_precise_row("sparse-order", sparse, last, expected_at="book"))
        if sparse.orders[last] >= 1000 and sparse.n_train >= 100_000:
            return [*claims[:-1], _precise_row("high-order", sparse, last, expected_at="paper")]
    if record is not None and 1000 in record.result.orders and record.result.n_train >= 100_000:
        return claims + _recorded_claims(record, sparse)
    claims.append(
        Claim(
            "high-order",
            "AR(3) data fitted at $p = 1000$ ($s = 0.003$), $N = 100000$: sparse AR-Net median "
            "sTPE ≤ 1",
            kind="reproduction",
            where="§4.1.1, Fig. 4, p. 7 (median read from the figure, ±0.05)",
            paper_value=FIG4_ARNET_MEDIANS[1000],
            measured=None,
            check=at_most(1.0),
            procedure=_SPARSE_PROCEDURE + _RULE,
            expected_at="paper",
            pending_on=_HIGH_ORDER_SETTINGS,
            pending_reason="the paper preset fits p = 1000 on N = 1e5 samples",
            note="not run",
        )
    )
    return claims


def sparsity_claim(sweep: SparsitySweep) -> Claim:
    """The paper's insensitivity to the sparsity estimate ``s`` (§5): the worst median sTPE over
    estimates a decade either side of the true density, against twice the median at the true
    one; the challenger is the stronger of least squares (which has no ``s``) and least squares
    refitted on its ``round(s·p)`` largest weights (told the same ``s``), at its worst ``s``."""
    med = np.median(sweep.stpe, axis=1)
    k = sweep.true_index
    bound = 2.0 * float(med[k])
    worst = int(np.argmax(med))
    near = sweep.within_factor(3.0)
    topk_worst = float(np.median(sweep.stpe_topk, axis=1).max())
    ls = float(np.median(sweep.stpe_ls))
    baseline, name = min(
        (ls, "least squares (no s)"),
        (topk_worst, "least squares refitted on its round(s·p) largest weights, worst s"),
    )
    kind, calibrated = _sparse_kind(sweep.c_lambda)
    listed = ", ".join(f"s = {v:.3g}: {m:.2f}" for v, m in zip(sweep.sparsities, med, strict=True))
    topk = ", ".join(f"{m:.2f}" for m in np.median(sweep.stpe_topk, axis=1))

    def worst_median(idx: NDArray[np.intp]) -> float:
        return float(np.median(sweep.stpe[:, idx], axis=1).max())

    return Claim(
        "sparsity-insensitive",
        f"AR(3) data fitted at $p = {sweep.order}$, $N = {sweep.n_train}$, with the estimate $s$ "
        f"off by up to 10× either way: the worst median sTPE of sparse AR-Net stays within 2× of "
        f"its median at the true $s = {sweep.true_sparsity:.3g}$ (≤ {bound:.2f})",
        kind=kind,
        where="§5, p. 9 (statement: insensitive to s for estimates up to one magnitude off)",
        procedure=_SPARSE_PROCEDURE
        + _c_lambda_text(sweep.c_lambda)
        + "; §5 (p. 9) states the insensitivity without a procedure: the Fig. 4 process at one "
        "order with s from a tenth to ten times the true density; the grid and the 2× bound are "
        "ours",
        measured=float(med[worst]),
        check=at_most(bound),
        baseline=baseline,
        baseline_name=name,
        baseline_role="competitor",
        spread=seed_bootstrap(worst_median, len(sweep.seeds)),
        calibrated_on=calibrated,
        expected_at="book",
        pending_on=("sparse.n_train",),
        pending_reason="the paper's rule for c_λ is made for N = 1e5",
        note=f"median sTPE {listed} (true s = {sweep.true_sparsity:.3g}); worst at "
        f"s = {sweep.sparsities[worst]:.3g}; within a factor of 3 of the true s the worst is "
        f"{med[near].max():.2f}; least squares refitted on its round(s·p) largest "
        f"weights, same s: {topk}; least squares {ls:.2f}; c_λ = {sweep.c_lambda}, "
        f"{len(sweep.seeds)} seeds",
    )


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
    truth_gap = float(dense.ls_error[small_dense].max())
    tol = float(1.0 / np.sqrt(dense.n_train))
    mse = float(dense.mse_arnet[small_dense].mean())
    claims = [
        Claim(
            "dense-agree",
            "Dense AR(p), $p \\le 10$: AR-Net's coefficients equal least squares' to within "
            f"$1/\\sqrt{{N}}$ = {tol:.3g}, the size of least squares' own standard error "
            "(max $|\\Delta w|$)",
            kind="reproduction",
            where="§4.1, Fig. 2a, p. 6 (qualitative: equal sTPE)",
            procedure=_DENSE_PROCEDURE + "; the coefficient gap is our measure of Fig. 2a's "
            "equal sTPE",
            measured=gap,
            check=at_most(tol),
            baseline=truth_gap,
            baseline_name="the true coefficients (their gap from least squares is its error)",
            baseline_role="null model",
            spread=Spread.over_seeds(gaps) if gaps.size > 1 else None,
            expected_at="book",
            pending_on=("dense.epochs",),
            pending_reason="SGD reaches the least-squares minimum to within 1/√N only after "
            "the book preset's epochs",
            note=f"max over p ∈ {[dense.orders[i] for i in small_dense]} and "
            f"{dense.max_gap.shape[1]} seeds, N = {dense.n_train}; any estimator as accurate as "
            "least squares sits about this far from it, so a looser bound would not tell AR-Net "
            "from any other good estimate",
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
                caveat=" (sTPE shrinks like 1/√N); the paper does not give its coefficient "
                "distribution",
            )
        )
    tuning = results.sweep
    claims += _sparse_claims(results.sparse, results.record)
    claims += small_data_claims(small, results.tuned, tuning)
    if results.sparsity_sweep is not None:
        claims.append(sparsity_claim(results.sparsity_sweep))
    if results.lr_sweep is not None:
        claims += lr_claims(results.lr_sweep, tuning)
    if results.timing is not None:
        claims += _timing_claims(results.timing)
    claims += exact_claims(cfg.regularizer)
    return ClaimTable(claims, chapter=CHAPTER, title="AR-Net: what we reproduced", config=Config)
