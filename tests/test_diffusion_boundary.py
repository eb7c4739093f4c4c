"""theorybook.diffusion at its boundaries: divergence named by step, degenerate limits, hot paths.

The generic malformed-input test (``test_malformed_inputs.py -k diffusion``) covers wrong types,
shapes, dtypes and ranges of every public callable; this file covers what it cannot: runs driven
to divergence, valid inputs at a degenerate limit (σ → 0, an overflow), a denoiser that returns
the wrong thing, and the private twins that the inner loops call.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorybook import diffusion as D
from theorybook.boundary import NonFiniteResult
from theorybook.diffusion import Sampler, Training
from theorybook.training import SolverDiverged, TrainingDiverged


def _images(n: int = 3, side: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, side, side, generator=torch.Generator().manual_seed(seed))


def _cnn(dtype: torch.dtype = torch.float32) -> D.BiasFreeCNN:
    torch.manual_seed(0)
    return D.BiasFreeCNN(channels=2, layers=2).to(dtype).eval()


# ---------------------------------------------------------------- divergence


def test_a_huge_learning_rate_in_the_synthetic_training_names_the_step() -> None:
    # the trainer of every experiment (transition, C^α, disks) is train_denoiser
    torch.manual_seed(0)
    with pytest.raises(TrainingDiverged, match=r"C\^α diverged at step \d+"):
        D.train_denoiser(
            D.BiasFreeCNN(channels=4, layers=3),
            D.c_alpha_images(8, 8, 1.0),
            training=Training(steps=30, batch_size=4, lr=1e8),
            desc="C^α",
        )


@pytest.mark.parametrize("lr", [1e6, 1e7])
def test_a_huge_learning_rate_with_a_bounded_loss_stops_on_the_weights_growth(lr: float) -> None:
    # at these rates the UNet is driven to the identity map: its loss stays bounded (the noise)
    # while its weights explode; train_denoiser passes the parameters to train_loop
    torch.manual_seed(0)
    with pytest.raises(TrainingDiverged, match=r"disks diverged at step \d+: a weight"):
        D.train_denoiser(
            D.BiasFreeUNet(channels=8, levels=1),
            torch.rand(16, 1, 8, 8),
            training=Training(steps=50, batch_size=8, lr=lr),
            desc="disks",
        )


def test_the_blind_fixed_point_names_the_step_where_its_sigma_estimate_diverges() -> None:
    calls = []

    def nan_at_second_call(y: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return y * float("nan") if len(calls) == 2 else 0.5 * y

    with pytest.raises(SolverDiverged, match=r"blind \(the σ estimate\) diverged at step 2"):
        D.blind(nan_at_second_call, iterations=3)(_images())


def test_the_sampler_names_the_step_when_the_final_denoised_samples_are_not_finite() -> None:
    calls = []

    def nan_after_the_loop(y: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return y * float("nan") if len(calls) == 3 else 0.5 * y + 0.25

    with pytest.raises(SolverDiverged, match="final output.*step 2"):
        D.sample(nan_after_the_loop, (2, 1, 4, 4), sampler=Sampler(max_steps=2))


def test_a_sampler_driven_by_an_exploding_blind_memorizer_names_the_step() -> None:
    memo = D.blind(lambda y, s: 1e13 * D.empirical_optimal_denoiser(_images())(y, s))
    with pytest.raises(SolverDiverged, match="step 1"):
        D.sample(memo, (2, 1, 4, 4))


# ---------------------------------------------------------------- degenerate limits


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("sigma", [1e-3, 1e-25, 1e-200])
def test_the_memorizer_at_vanishing_sigma_returns_the_nearest_training_image(dtype, sigma) -> None:
    x = _images().to(dtype)
    y = x[:2] + 0.01
    out = D.empirical_optimal_denoiser(x)(y, sigma)
    torch.testing.assert_close(out, x[:2])


def test_the_memorizer_splits_its_weight_between_equally_near_images_at_vanishing_sigma() -> None:
    x = torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])
    w = D.empirical_optimal_denoiser(x).weights(torch.full((1, 1, 2, 2), 0.5), 1e-30)
    torch.testing.assert_close(w, torch.tensor([[0.5, 0.5]]))


def test_the_wiener_denoiser_at_vanishing_sigma_is_finite_and_keeps_the_signal() -> None:
    g = D.gaussian_denoiser(4)
    y = g.sample(3, seed=1).float()
    out = g(y, 1e-30)  # σ² underflows in float32: the shrinkage is its σ → 0 limit
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, y, atol=1e-4, rtol=0)


def test_gaussian_std_limits() -> None:
    flat = D.gaussian_denoiser(4, std=1e-200)  # std² underflows: zero covariance
    out = flat(torch.rand(2, 1, 4, 4, dtype=torch.float64), 0.1)
    torch.testing.assert_close(out, torch.full_like(out, 0.5))
    with pytest.raises(ValueError, match="std"):
        D.gaussian_denoiser(4, std=1e200)


def test_the_gaussian_denoiser_refuses_inconsistent_parts() -> None:
    eye = torch.eye(4, dtype=torch.float64)
    with pytest.raises(ValueError, match="shape"):
        D.GaussianDenoiser(mean=eye[0], cov=eye, shape=(1, 3, 3), evals=eye[0], evecs=eye)
    with pytest.raises(ValueError, match="evals"):
        D.GaussianDenoiser(mean=eye[0], cov=eye, shape=(1, 2, 2), evals=-eye[0], evecs=eye)


def test_the_disk_mmse_denoiser_at_vanishing_sigma_raises_a_named_error() -> None:
    den = D.DiskMMSEDenoiser(8, coarse=5, points=5, passes=1)
    y = D.disk_images(1, 8)
    assert torch.isfinite(den.jacobian(y, 1e-100)).all()
    with pytest.raises(NonFiniteResult, match="DiskMMSEDenoiser.moments"):
        den.moments(y, 1e-200)
    with pytest.raises(NonFiniteResult, match="DiskMMSEDenoiser.__call__"):
        den(y, 1e-200)


def test_relative_errors_at_a_zero_image_are_zero_for_a_bias_free_net() -> None:
    zero = torch.zeros(2, 1, 4, 4)
    assert D.homogeneity_error(_cnn(), zero) == 0.0
    assert D.linearity_error(_cnn(), zero) == 0.0


def test_a_scale_that_overflows_the_images_is_named() -> None:
    with pytest.raises(ValueError, match="scales"):
        D.homogeneity_error(_cnn(), _images(), (0.5, 1e39))


def test_a_perfect_denoiser_gets_the_psnr_cap() -> None:
    x = _images()
    assert D.psnr(lambda y: x, x, 0.1) == 200.0


def test_a_constant_image_has_zero_similarity() -> None:
    sims = D.cosine_similarity(torch.ones(2, 1, 4, 4), _images(2))
    torch.testing.assert_close(sims, torch.zeros(2, dtype=torch.float64))


def test_loglog_slope_needs_two_distinct_noise_levels() -> None:
    with pytest.raises(ValueError, match="distinct"):
        D.loglog_slope(np.array([0.1, 0.1]), np.array([0.01, 0.02]))
    with pytest.raises(ValueError, match="mses"):
        D.loglog_slope(np.array([0.1, 0.2]), np.array([0.01, 0.0]))


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"min_std": 0.49}, "min_std"),
        ({"patch_size": 5000}, "patch_size"),
        ({"photos": ("camera", "no-such-photo")}, "photos"),
        ({"photos": ()}, "photos"),
    ],
)
def test_a_patch_pool_left_empty_is_named(kwargs, named) -> None:
    with pytest.raises(ValueError, match=named):
        D.patch_pool(**{"limit": 4, **kwargs})


def test_held_out_disks_draws_more_when_too_few_are_accepted(monkeypatch) -> None:
    from theorybook.diffusion import synthetic

    real = synthetic.disk_parameters
    sizes = []

    def few_accepted(n: int, size: int, seed: int = 0) -> np.ndarray:
        sizes.append(n)
        p = real(n, size, seed=seed)
        if len(sizes) == 1:
            p[:, 3] = p[:, 4]  # no contrast: every disk of the first draw is rejected
        return p

    monkeypatch.setattr(synthetic, "disk_parameters", few_accepted)
    x = D.held_out_disks(3, 8, seed=0)
    assert x.shape == (3, 1, 8, 8) and sizes == [120, 240]


# ---------------------------------------------------------------- denoisers that misbehave


def test_a_denoiser_returning_another_shape_is_named() -> None:
    x = _images()
    with pytest.raises(ValueError, match="denoiser must return"):
        D.denoiser_jacobian(lambda y: y[..., :2], x)
    with pytest.raises(ValueError, match="denoiser must return"):
        D.psnr(lambda y: y[0], x, 0.1)
    with pytest.raises(ValueError, match="denoiser must return"):
        D.blind(lambda y, s: y[:, :, :2])(x)
    with pytest.raises(ValueError, match="denoiser must return"):
        D.sure_estimate(lambda y: y.flatten(1) if y.shape[0] > 1 else y, x, 0.1)


def test_a_module_of_another_dtype_is_named_not_failed_inside_torch() -> None:
    x = _images()
    with pytest.raises(TypeError, match="images has dtype torch.float64"):
        D.train_denoiser(_cnn(), x.double(), training=Training(steps=1, batch_size=2))
    with pytest.raises(TypeError, match="y has dtype torch.float64"):
        D.denoiser_jacobian(_cnn(), x.double())
    with pytest.raises(TypeError, match="images has dtype torch.float64"):
        D.psnr(_cnn(), x.double(), 0.1)


def test_the_sampler_follows_a_float64_network() -> None:
    res = D.sample(_cnn(torch.float64), (2, 1, 4, 4), sampler=Sampler(max_steps=3))
    assert res.samples.dtype == torch.float64


# ---------------------------------------------------------------- hot paths


def test_the_inner_loops_call_the_unchecked_twins(monkeypatch) -> None:
    from theorybook.diffusion import training

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a checked public function was called from an inner loop")

    monkeypatch.setattr(training, "add_noise", refuse)
    hist = D.train_denoiser(_cnn().train(), _images(), training=Training(steps=2, batch_size=2))
    assert hist.steps == 2


@pytest.mark.parametrize(
    "make", [lambda: D.BiasFreeCNN(channels=2, layers=2), lambda: D.BiasFreeUNet(channels=2)]
)
def test_a_network_called_on_images_of_another_dtype_names_them(make) -> None:
    with pytest.raises(TypeError, match="y has dtype torch.float64"):
        make()(torch.rand(1, 1, 8, 8, dtype=torch.float64))
    net = make().double()
    assert net(torch.rand(1, 1, 8, 8, dtype=torch.float64)).dtype == torch.float64


def test_the_parts_of_a_network_name_an_input_of_another_dtype() -> None:
    x = torch.rand(2, 2, 8, 8, dtype=torch.float64)
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        D.BiasFreeBatchNorm2d(2)(x)
    for net in (D.BiasFreeCNN(channels=2, layers=2), D.BiasFreeUNet(channels=2)):
        with pytest.raises(TypeError, match="y has dtype torch.float64"):
            net.residual(x[:, :1])


# ---------------------------------------------------------------- result records


def _pair(n: int = 3) -> D.PairResult:
    x = torch.rand(n, 1, 4, 4)
    s = torch.rand(n, dtype=torch.float64)
    i = torch.zeros(n, dtype=torch.long)
    return D.PairResult(x, x, s, s, s, i, i, torch.ones(n, dtype=torch.bool), i)


def test_records_refuse_what_their_fields_do_not_declare() -> None:
    import dataclasses

    pair = _pair()
    with pytest.raises(TypeError, match="PairResult.paired"):
        dataclasses.replace(pair, paired=torch.rand(4, dtype=torch.float64))  # 4 ≠ 3 samples
    with pytest.raises(TypeError, match="PairResult.samples_a"):
        dataclasses.replace(pair, samples_a=pair.samples_a.half())
    with pytest.raises(TypeError, match="PairResult.samples_b"):
        dataclasses.replace(pair, samples_b=pair.samples_b.flatten())
    check = D.SamplerCheckResult((1.0, 0.5), (1.0, 0.5), 0.0, 0.0, 10.0, 5)
    with pytest.raises(ValueError, match="steps_beta1"):
        dataclasses.replace(check, steps_beta1=-5)
    with pytest.raises(ValueError, match=r"sigma_rms\[1\]"):
        dataclasses.replace(check, sigma_rms=(1.0, -0.5))
    with pytest.raises(ValueError, match="sigma_rms, predicted must have one length"):
        dataclasses.replace(check, predicted=(1.0,))
    assert dataclasses.replace(check, max_rel_dev=float("nan")).steps_beta1 == 5  # NaN passes
    calpha = D.CAlphaResult(
        (1.0,),
        (0.1, 0.2),
        np.ones((1, 2, 3)),
        np.ones((1, 2, 3)),
        (0.5,),
        torch.rand(1, 2, 1, 4, 4),
    )
    with pytest.raises(ValueError, match=r"optimal\[0\]"):
        dataclasses.replace(calpha, optimal=(1.5,))
    with pytest.raises(ValueError, match="errors and oracle_errors must be"):
        dataclasses.replace(calpha, errors=np.ones((1, 3, 3)))
    with pytest.raises(ValueError, match="errors and oracle_errors must be"):
        dataclasses.replace(calpha, oracle_errors=np.ones((1, 2, 4)))
