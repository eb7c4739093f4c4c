"""Claim tests of chapter 3 (learned proximal networks) at smoke scale.

The smoke experiments run once per module (about 15 s on one thread). Structural claims (exact
prox, symmetric PSD Jacobian, inversion, monotone PnP-PGD objective) must hold at any scale; the
trained-behaviour claims are checked in weaker forms that still could fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorybook.lpn import Config
from theorybook.lpn import experiments as ex


@pytest.fixture(scope="module")
def smoke_run():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = Config.preset("smoke")
        lap = ex.run_laplacian(cfg)
        lpn_model, cnn_model, hist = ex.train_digits_models(cfg)
        prior = ex.run_digits_prior(cfg, lpn_model, history=hist["lpn"])
        pnp = ex.run_pnp(cfg, lpn_model, cnn_model)
        patch_lpn, patch_cnn, _ = ex.train_patch_models(cfg)
        patches = ex.run_pnp(
            cfg, patch_lpn, patch_cnn, images=ex.patch_split(cfg)[1:], dataset="patches"
        )
        table = ex.chapter_claims(cfg, lap, prior, pnp, patches)
    finally:
        torch.set_num_threads(old)
    return cfg, lap, prior, pnp, patches, table


def test_structural_claims_hold_at_smoke(smoke_run, smoke_scale) -> None:
    *_, table = smoke_run
    table.assert_hold(
        [
            "jacobian-sym",
            "jacobian-psd",
            "exact-prox",
            "inversion",
            "pgd-descent",
            "pgd-descent-patches",
        ]
    )


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
    for r in pnp:
        assert r.op_norm <= 1 + 1e-6
        run = r.runs["PnP-PGD LPN"]
        assert run.objective.shape == (cfg.pnp_iters, cfg.pnp_images)
        assert len(run.psnr) == cfg.pnp_iters
        # every PnP reconstruction beats the raw back-projection Aᵀy
        assert r.psnr["PnP-ADMM LPN"] > r.psnr["Aᵀy"]


def test_patch_pnp_at_smoke(smoke_run) -> None:
    cfg, *_, patches, table = smoke_run
    assert [(r.name, r.dataset) for r in patches] == [
        ("deblurring", "patches"),
        ("compressed sensing", "patches"),
    ]
    ids = [c.id for c in table.claims]
    assert {"pgd-descent-patches", "pnp-patch-deblur", "pnp-patch-cs"} <= set(ids)
    cs = patches[1]
    assert cs.runs["PnP-ADMM LPN"].objective.shape == (cfg.pnp_iters, cfg.pnp_images)
    # half the pixels through a random filter: any prior beats back-projection by a wide margin
    assert cs.psnr["PnP-ADMM LPN"] > cs.psnr["Aᵀy"] + 3
