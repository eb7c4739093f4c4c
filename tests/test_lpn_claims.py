"""Claim tests of chapter 3 (learned proximal networks) at smoke scale.

The smoke experiments run once per module (about 15 s on one thread). Structural claims (exact
prox, symmetric PSD Jacobian, inversion, monotone PnP-PGD objective) must hold at any scale; the
trained-behaviour claims are checked in weaker forms that still could fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from theorybook.lpn import Config, Results, chapter_claims, figures, pnp_claims, run_all
from theorybook.lpn import experiments as ex
from theorybook.lpn.claims import CHAPTER, STRUCTURAL_CLAIMS
from theorybook.lpn.pnp_benchmark import FBP_FILTERS, RHO_THEORY_FACTOR
from theorybook.lpn.results import CTResult, PatchProxResult, PnPResults
from theorybook.plotting import COLUMN_WIDTH
from theorybook.runtime import torch_threads

_EXTRA: dict[str, object] = {}
"""The CT and patch-prox results of the smoke run (the fixture's tuple keeps its old shape)."""


@pytest.fixture(scope="module")
def smoke_run():
    with pytest.MonkeyPatch.context() as mp, torch_threads(1):
        mp.setenv("THEORYBOOK_SCALE", "smoke")
        mp.setenv("THEORYBOOK_THREADS", "1")
        cfg = Config.preset("smoke")
        results = run_all(cfg)
        table = chapter_claims(results, cfg)
    _EXTRA.update(ct=results.ct, patch_prox=results.patch_prox, results=results)
    return cfg, results.laplacian, results.prior, results.pnp, results.patches, table


def test_structural_claims_hold_at_smoke(smoke_run, smoke_scale) -> None:
    *_, table = smoke_run
    table.assert_hold(list(STRUCTURAL_CLAIMS))


def test_table_is_claims_v2(smoke_run) -> None:
    *_, table = smoke_run
    assert table.chapter == CHAPTER
    by_id = {c.id: c for c in table.claims}
    assert {by_id[i].kind for i in STRUCTURAL_CLAIMS} == {"exact"}
    # the paper's body is not readable here: no row shows a number as the paper's own
    assert all(c.paper_value is None for c in table.claims)
    # comparative rows carry their baseline, and the PnP rows say how the methods were treated
    for cid in ("laplace-map", "laplace-prior", "pnp-deblur", "pnp-cs", "pnp-patch-cs"):
        assert by_id[cid].baseline is not None and by_id[cid].baseline_name
    for cid in ("pnp-deblur", "pnp-cs", "pnp-deblur-pgd", "pnp-patch-deblur", "pnp-patch-cs"):
        assert by_id[cid].kind == "extension"
        assert "Learned denoisers like for like" in by_id[cid].note
        assert "the same number of training steps" in by_id[cid].note
        assert not by_id[cid].baseline_passes
    text = " ".join(f"{c.statement} {c.where} {c.note}" for c in table.claims)
    for banned in ("[recollection]", "[unverified]", "the issue", "research notes"):
        assert banned not in text


def test_chapter_claims_takes_the_results_and_the_config(smoke_run) -> None:
    cfg, *_ = smoke_run
    results = _EXTRA["results"]
    assert isinstance(results, Results) and results.timing is not None
    with pytest.raises(TypeError, match="results"):
        chapter_claims(cfg, results)  # type: ignore[arg-type]
    # the optional sections may be left out: their rows are
    core = Results(laplacian=results.laplacian, prior=results.prior, pnp=results.pnp)
    ids = {c.id for c in chapter_claims(core, cfg).claims}
    assert "pnp-deblur" in ids and not ids & {"ct-adjoint", "pnp-patch-cs", "patch-denoise"}
    assert not hasattr(ex, "chapter_claims")  # no alias shim in experiments


def test_results_are_frozen(smoke_run) -> None:
    import dataclasses

    _, lap, prior, pnp, *_ = smoke_run
    for result in (lap, prior, pnp[0], pnp[0].runs["PnP-PGD LPN"]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.seconds = 1.0  # type: ignore[misc]


def test_figures_fit_the_column(smoke_run) -> None:
    _, lap, prior, pnp, patches, _ = smoke_run
    figs = [
        figures.laplace_figure(lap),
        figures.digits_prior_figure(prior),
        figures.pnp_convergence_figure(pnp),
        figures.pnp_examples_figure(pnp),
        figures.pnp_examples_figure(patches, grey_range="truth"),
        figures.pnp_convergence_figure(patches),
        figures.ct_figure(_EXTRA["ct"]),  # type: ignore[arg-type]
        figures.patch_prox_figure(_EXTRA["patch_prox"]),  # type: ignore[arg-type]
    ]
    for fig in figs:
        assert fig.get_figwidth() <= COLUMN_WIDTH + 1e-9
        assert all(ax.get_xlabel() or ax.images or not ax.axison for ax in fig.axes)


def test_convergence_reference_lies_below_every_iterate(smoke_run) -> None:
    _, _, _, pnp, patches, _ = smoke_run
    for r in [*pnp, *patches]:
        obj = r.runs["PnP-PGD LPN"].objective
        gap = obj - r.objective_reference[None, :]
        assert np.all(gap[:-1] > 0) and np.all(gap >= 0)
        assert r.reference_iters > obj.shape[0]


def test_laplacian_bayes_split_at_smoke(smoke_run) -> None:
    _, lap, *_ = smoke_run
    # proximal matching is closer to the MAP denoiser than either Bayes-loss model
    assert lap.errors_soft["pm"] < min(lap.errors_soft["l1"], lap.errors_soft["l2"])
    # the ℓ2 model is closer to the posterior mean than to soft-thresholding
    assert lap.errors_mmse["l2"] < lap.errors_soft["l2"]
    # PM is monotone (a prox of a 1-D function is non-decreasing) and near zero at y = 0
    out = lap.outputs["pm"]
    assert np.all(np.diff(out) >= -1e-9)
    assert abs(out[len(out) // 2]) < 0.2
    assert lap.inversion_gap < 1e-4


def test_digits_prior_is_finite_and_noise_raises_it_on_average(smoke_run) -> None:
    _, _, prior, *_ = smoke_run
    for table in prior.priors.values():
        assert np.isfinite(table).all()
    noise = prior.priors["noise"]
    assert noise[-1].mean() > noise[0].mean()


def test_pnp_diagnostics(smoke_run) -> None:
    cfg, _, _, pnp, _, _ = smoke_run
    assert [r.name for r in pnp] == ["deblurring", "compressed sensing"]
    assert isinstance(pnp, PnPResults) and pnp.dataset == "digits" and len(pnp) == 2
    for r in pnp:
        assert r.op_norm <= 1 + 1e-6
        run = r.runs["PnP-PGD LPN"]
        assert run.objective.shape == (cfg.pnp.iters, cfg.pnp.images)
        assert len(run.psnr) == cfg.pnp.iters
        # every PnP reconstruction beats the raw back-projection Aᵀy
        assert r.psnr["PnP-ADMM LPN"] > r.psnr["Aᵀy"]
        # ADMM records its objective and steps, also at the theory's penalty ρ > ‖AᵀA‖
        assert r.runs["PnP-ADMM LPN"].objective.shape == (cfg.pnp.iters, cfg.pnp.images)
        assert r.admm_theory is not None
        assert r.rho_theory == pytest.approx(RHO_THEORY_FACTOR * r.op_norm**2)
        assert r.admm_theory.objective.shape == (cfg.pnp.iters, cfg.pnp.images)
        assert np.isfinite(r.admm_theory.objective).all()
        assert len(r.admm_theory.step_norm) == cfg.pnp.iters


def test_prior_orderings_by_level_and_chord(smoke_run) -> None:
    _, _, prior, *_, table = smoke_run
    for kind, table_r in prior.priors.items():
        fracs = prior.frac_below_by_level[kind]
        assert fracs.shape == (table_r.shape[0] - 1,)
        # "below every level" can hold for no more digits than "below the hardest level"
        assert prior.frac_clean_lowest[kind] <= fracs.min() + 1e-12
    r = prior.priors["mix"]
    lam = np.asarray(prior.levels["mix"])[:, None]
    chord = (1 - lam) * r[0] + lam * np.roll(r[0], 1)
    expected = np.mean(np.all(r[1:] > chord[1:], axis=0))
    assert prior.frac_mix_above_chord == pytest.approx(expected)
    by_id = {c.id: c for c in table.claims}
    assert by_id["prior-mix-chord"].measured == pytest.approx(expected)


def test_admm_rows_and_grid_edges(smoke_run) -> None:
    cfg, _, _, pnp, _, table = smoke_run
    by_id = {c.id: c for c in table.claims}
    rho = by_id["admm-rho-condition"]
    expected = min(r.tuned["ADMM ρ"] / r.op_norm**2 for r in pnp)
    assert rho.measured == pytest.approx(expected)
    assert by_id["admm-steps"].kind == "reproduction"
    assert 0 <= by_id["admm-objective"].measured
    # a tuned value at an end of its grid is named in the PnP rows' notes
    for r in pnp:
        for edge in pnp_claims.grid_edges(r):
            assert edge in by_id["pnp-deblur" if r.name == "deblurring" else "pnp-cs"].note


def test_patch_pnp_at_smoke(smoke_run) -> None:
    cfg, *_, patches, table = smoke_run
    assert [(r.name, r.dataset) for r in patches] == [
        ("deblurring", "patches"),
        ("compressed sensing", "patches"),
    ]
    ids = [c.id for c in table.claims]
    assert {"pgd-descent-patches", "pnp-patch-deblur", "pnp-patch-cs"} <= set(ids)
    cs = patches[1]
    assert cs.runs["PnP-ADMM LPN"].objective.shape == (cfg.pnp.iters, cfg.pnp.images)
    # half the pixels through a random filter: any prior beats back-projection by a wide margin
    assert cs.psnr["PnP-ADMM LPN"] > cs.psnr["Aᵀy"] + 3


def test_ct_and_patch_prox_at_smoke(smoke_run) -> None:
    cfg, *_, table = smoke_run
    ct, pp = _EXTRA["ct"], _EXTRA["patch_prox"]
    assert isinstance(ct, CTResult) and isinstance(pp, PatchProxResult)
    r = ct.problem
    assert r.dataset == "phantoms" and r.example_index == 0  # the Shepp–Logan phantom
    assert {"FBP", "Tikhonov", "PnP-ADMM LPN", "PnP-ADMM CNN", "PnP-PGD TV"} <= set(r.psnr)
    assert len(r.psnr_images["FBP"]) == cfg.ct.images
    assert ct.fbp_filter in FBP_FILTERS
    # FBP and every PnP method beat the raw back-projection
    assert r.psnr["FBP"] > r.psnr["Aᵀy"] and r.psnr["PnP-ADMM LPN"] > r.psnr["Aᵀy"]
    assert pp.asymmetry["periodic"] < 1e-12 < 1e-3 < pp.asymmetry["border"]
    assert pp.lambda_min >= -1e-9
    assert set(pp.denoise_psnr) == {"noisy", "TV", "CNN", "LPN periodic", "LPN border"}
    # the tuned TV baseline improves on the noisy crops (the LPN needs book-scale training)
    assert pp.denoise_psnr["TV"].mean() > pp.denoise_psnr["noisy"].mean()
    by_id = {c.id: c for c in table.claims}
    for cid in (
        "pnp-ct",
        "pnp-ct-fbp",
        "patch-denoise",
        "pnp-crop-deblur",
        "patch-border-not-prox",
    ):
        assert by_id[cid].kind == "extension" and by_id[cid].baseline is not None
    assert by_id["pnp-ct-fbp"].baseline_name == "FBP"
    assert "tomo.png" in by_id["pnp-ct-fbp"].note
