"""Tests of theorybook.diffusion: identities, bad inputs, the smoke claims and the paper preset."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from theorybook import diffusion as D
from theorybook.diffusion import Config, Sampler, Training
from theorybook.diffusion import experiments as ex
from theorybook.training import SolverDiverged, TrainingDiverged


@pytest.fixture(scope="module")
def unet() -> D.BiasFreeUNet:
    torch.manual_seed(0)
    net = D.BiasFreeUNet(channels=8, levels=1)
    x = torch.rand(16, 1, 8, 8)
    D.train_denoiser(net, x, training=Training(steps=5, batch_size=8))
    return net


# ---------------------------------------------------------------- denoisers


@pytest.mark.parametrize(
    "make", [lambda: D.BiasFreeUNet(channels=8, levels=2), lambda: D.BiasFreeCNN(channels=8)]
)
def test_bias_free_nets_are_homogeneous_and_linear_in_eval_mode(make) -> None:
    torch.manual_seed(1)
    net = make()
    D.train_denoiser(net, torch.rand(8, 1, 16, 16), training=Training(steps=3, batch_size=4))
    y = torch.rand(3, 1, 16, 16)
    assert D.homogeneity_error(net, y, (0.1, 3.0, 10.0)) < 1e-5
    assert D.linearity_error(net, y) < 1e-4
    assert not any(m.bias is not None for m in net.modules() if hasattr(m, "bias"))


def test_training_mode_is_not_homogeneous(unet: D.BiasFreeUNet) -> None:
    y = torch.rand(4, 1, 8, 8)
    unet.train()
    try:
        err = D.homogeneity_error(unet, y)
    finally:
        unet.eval()
    assert err > 1e-3


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_batch_norm_training_step_matches_autograd_through_var(dtype, tol) -> None:
    """The training-mode layer (one autograd node, its gradient written out) against the
    formula it replaces, differentiated by autograd: output, both gradients, running var."""
    torch.manual_seed(3)
    fast = D.BiasFreeBatchNorm2d(5).to(dtype)
    with torch.no_grad():
        fast.gamma.copy_(0.5 + torch.rand(1, 5, 1, 1))
    ref_gamma = fast.gamma.detach().clone().requires_grad_()
    x = (0.3 + 0.7 * torch.randn(16, 5, 6, 6, dtype=dtype)).requires_grad_()
    weight = torch.randn(16, 5, 6, 6, dtype=dtype)
    out = fast.train()(x)
    gx, gg = torch.autograd.grad((out * weight).sum(), (x, fast.gamma))
    var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
    ref = ref_gamma * x / torch.sqrt(var + fast.eps)
    rx, rg = torch.autograd.grad((ref * weight).sum(), (x, ref_gamma))
    running = 0.9 + 0.1 * var.detach()
    pairs = ((out, ref), (gx, rx), (gg, rg), (fast.running_var, running))
    for a, b in ((a.detach(), b.detach()) for a, b in pairs):
        assert float((a - b).abs().max() / b.abs().max()) < tol
    assert torch.autograd.gradcheck(
        lambda x_, g_: D.denoisers._BatchScale.apply(x_, g_, 1e-5)[0],
        (
            x.detach()[:4, :2, :3, :3].double().requires_grad_(),
            ref_gamma.detach()[:, :2].double().requires_grad_(),
        ),
    )


def _state(model: torch.nn.Module) -> tuple[dict[str, torch.Tensor], list[bool]]:
    return (
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        [m.training for m in model.modules()],
    )


def _same_state(model: torch.nn.Module, before: tuple[dict[str, torch.Tensor], list[bool]]) -> bool:
    after = _state(model)
    return after[1] == before[1] and all(torch.equal(after[0][k], v) for k, v in before[0].items())


def _diagnostics(train_mode: bool) -> dict[str, object]:
    """Every diagnostic of the package that evaluates a denoiser, as ``f(model)``; those that
    refuse a model in training mode (Jacobians) only when ``train_mode`` is false."""
    gen = torch.Generator().manual_seed(0)
    y = 0.5 + 0.3 * torch.randn(6, 1, 8, 8, generator=gen)
    x = torch.rand(6, 1, 8, 8, generator=gen)
    out: dict[str, object] = {
        "psnr": lambda m: D.psnr(m, x, 0.1),
        "image_errors": lambda m: D.image_errors(m, x, 0.1),
        "homogeneity_error": lambda m: D.homogeneity_error(m, y, (0.5, 10.0)),
        "sample": lambda m: D.sample(m, (4, 1, 8, 8), sampler=Sampler(max_steps=5)),
        "pairwise_generalization": lambda m: D.pairwise_generalization(
            m, m, x, x, n_samples=2, sampler=Sampler(max_steps=5)
        ),
    }
    if not train_mode:
        out |= {
            "denoiser_jacobian": lambda m: D.denoiser_jacobian(m, y[:2]),
            "effective_dimension": lambda m: D.effective_dimension(m, y[:2]),
            "sure_estimate": lambda m: D.sure_estimate(m, y[:2], 0.1),
            "jacobian_eigen": lambda m: D.jacobian_eigen(m, y[:1]),
            "linearity_error": lambda m: D.linearity_error(m, y[:2]),
        }
    return out


def test_every_diagnostic_is_checked_for_state_changes() -> None:
    import inspect

    takes_a_denoiser = {
        name
        for name in D.__all__
        if inspect.isfunction(fn := getattr(D, name))
        and {"denoiser", "model_a"} & set(inspect.signature(fn).parameters)
    }
    not_diagnostics = {"blind", "state_preserved"}  # a wrapper, and the guard itself
    assert takes_a_denoiser - not_diagnostics <= set(_diagnostics(train_mode=False))


@pytest.mark.parametrize("train_mode", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize(
    "make",
    [lambda: D.BiasFreeCNN(channels=4, layers=4), lambda: D.BiasFreeUNet(channels=4, levels=1)],
)
def test_diagnostics_leave_a_model_unchanged(make, train_mode: bool) -> None:
    torch.manual_seed(0)
    model = make()
    D.train_denoiser(model, torch.rand(16, 1, 8, 8), training=Training(steps=3, batch_size=8))
    model.train(train_mode)
    for name, diagnostic in _diagnostics(train_mode).items():
        before = _state(model)
        diagnostic(model)  # type: ignore[operator]
        assert _same_state(model, before), f"{name} changed the model's state"


@pytest.mark.parametrize(
    "make", [lambda: D.BiasFreeUNet(channels=8, levels=1), lambda: D.BiasFreeCNN(channels=8)]
)
def test_training_in_channels_last_layout_matches_the_default_layout(make) -> None:
    """train_denoiser trains in the channels-last layout and puts the weights back: the same
    losses and weights (to float32 rounding) as the same steps in the default layout."""
    torch.manual_seed(4)
    net = make()
    ref = copy.deepcopy(net)
    x = torch.rand(32, 1, 8, 8)
    training = Training(steps=5, batch_size=8)
    hist = D.train_denoiser(net, x, training=training, seed=2)
    assert all(p.is_contiguous() for p in net.parameters())
    assert not net.training
    gen = torch.Generator().manual_seed(2)
    opt = torch.optim.Adam(ref.parameters(), lr=training.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=training.steps)
    ref.train()
    losses = []
    for _ in range(training.steps):
        clean = x[torch.randint(len(x), (training.batch_size,), generator=gen)]
        u = torch.rand(len(clean), generator=gen)
        noisy = clean + (training.sigma_max * u.square())[:, None, None, None] * torch.randn(
            clean.shape, generator=gen
        )
        loss = (ref(noisy) - clean).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    np.testing.assert_allclose(hist.losses, losses, rtol=1e-5)
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_unet_defaults_work_on_16_and_larger() -> None:
    net = D.BiasFreeUNet().eval()
    for side in (16, 32):
        assert net(torch.rand(2, 1, side, side)).shape == (2, 1, side, side)
    with pytest.raises(ValueError, match="divisible"):
        net(torch.rand(1, 1, 10, 10))
    with pytest.raises(ValueError, match="channel"):
        net(torch.rand(1, 3, 16, 16))


# ---------------------------------------------------------------- optimal denoisers


def test_empirical_optimal_returns_training_images_at_small_sigma() -> None:
    train = torch.rand(5, 1, 4, 4)
    f = D.empirical_optimal_denoiser(train)
    y = train + 1e-3 * torch.randn_like(train)
    torch.testing.assert_close(f(y, 1e-3), train)
    w = f.weights(y, torch.full((5,), 0.5))
    torch.testing.assert_close(w.sum(1), torch.ones(5))
    # at huge sigma it returns the mean of the training set
    torch.testing.assert_close(
        f(y, 1e4), train.mean(0, keepdim=True).expand_as(y), atol=1e-4, rtol=0
    )


def test_gaussian_denoiser_is_wiener_and_sure_is_exact_for_it() -> None:
    g = D.gaussian_denoiser(4)
    x = g.sample(4000, seed=0)
    y = x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=x.dtype)
    f = g(y, 0.3)
    mse = float((f - x).square().mean())
    # Wiener MSE per pixel = σ² tr(C (C + σ²)^-1)/d
    ev = g.evals
    exact = float((0.09 * ev / (ev + 0.09)).mean())
    assert abs(mse - exact) / exact < 0.05

    def den(v: torch.Tensor) -> torch.Tensor:
        return g(v, 0.3)

    sure = D.sure_estimate(den, y[:500], 0.3)
    assert abs(float(sure.mean()) - exact) / exact < 0.1
    tr = D.effective_dimension(den, y[:2])
    torch.testing.assert_close(
        tr, torch.full((2,), float((ev / (ev + 0.09)).sum()), dtype=tr.dtype)
    )


# ---------------------------------------------------------------- sampler


def test_sampler_schedule_and_beta_one() -> None:
    cfg = Config.preset("smoke")
    r = ex.run_sampler_check(cfg)
    assert r.max_rel_dev < 0.05
    assert r.gamma_max_beta1 == 0.0


def test_sampler_same_seed_same_result_and_memorizer_copies() -> None:
    train = torch.rand(6, 1, 8, 8)
    f = D.blind(D.empirical_optimal_denoiser(train))
    a = D.sample(f, (8, 1, 8, 8), seed=3)
    b = D.sample(f, (8, 1, 8, 8), seed=3)
    torch.testing.assert_close(a.samples, b.samples)
    assert bool(a.converged.all())
    near, _ = D.nearest_similarity(a.samples, train)
    assert float(near.min()) > 0.99
    h = D.step_schedule(0.01, 3)
    torch.testing.assert_close(h, torch.tensor([0.01, 0.02 / 1.01, 0.03 / 1.02], dtype=h.dtype))


def test_sampler_step_cap_flags_non_convergence() -> None:
    cap = Sampler(max_steps=5)
    r = D.sample(lambda y: y, (2, 1, 4, 4), sampler=cap)  # identity: residual 0, stops at once
    assert bool(r.converged.all())
    r = D.sample(lambda y: y + 0.5, (2, 1, 4, 4), sampler=cap)  # sigma stays 0.5
    assert not bool(r.converged.any()) and int(r.steps.max()) <= 5


# ---------------------------------------------------------------- data and images


def test_dedup_and_similarity() -> None:
    x = torch.rand(5, 1, 4, 4)
    dup = torch.cat([x, 2 * x + 0.1])  # same images up to an affine change: similarity 1
    kept = D.deduplicate(dup)
    assert kept.tolist() == [0, 1, 2, 3, 4]
    torch.testing.assert_close(D.cosine_similarity(x, 3 * x), torch.ones(5, dtype=torch.float64))
    near, idx = D.nearest_similarity(dup[5:], x)
    assert idx.tolist() == [0, 1, 2, 3, 4]


def test_synthetic_images() -> None:
    c = D.c_alpha_images(3, 16, 2.0, seed=0)
    d = D.disk_images(3, 16, seed=0)
    for im in (c, d):
        assert im.shape == (3, 1, 16, 16) and im.dtype == torch.float32
        assert float(im.min()) >= 0.0 and float(im.max()) <= 1.0
    torch.testing.assert_close(D.c_alpha_images(3, 16, 2.0, seed=0), c)


def test_c_alpha_images_follow_the_official_generator() -> None:
    from theorybook.diffusion.images import _power_filter

    # |k|^-α on the integer frequencies, the zero frequency weighted as |k| = 1
    f = _power_filter((8,), 2.0)
    np.testing.assert_allclose(f, [1, 1, 1 / 4, 1 / 9, 1 / 16, 1 / 9, 1 / 4, 1])
    # the image is M·B1 + (1 − M)·B2: M a step down each column blurred by a stride-1 2×2 box,
    # one background spanning [u, 1] and the other [0, v]
    from theorybook.diffusion.images import _c_alpha_parts

    mask, b1, b2 = _c_alpha_parts(np.random.default_rng(2), 64, 16, 3.0, 3.0)
    torch.testing.assert_close(
        D.c_alpha_images(64, 16, 3.0, seed=2)[:, 0],
        torch.from_numpy((mask * b1 + (1 - mask) * b2).astype(np.float32)),
    )
    assert set(np.unique(mask * 4).tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert bool((np.diff(mask, axis=1) >= 0).all())  # 0 above the contour, 1 below
    lows = np.minimum(b1.min(axis=(1, 2)), b2.min(axis=(1, 2)))
    highs = np.maximum(b1.max(axis=(1, 2)), b2.max(axis=(1, 2)))
    np.testing.assert_allclose(lows, 0.0, atol=1e-12)
    np.testing.assert_allclose(highs, 1.0, atol=1e-12)
    bright_b1 = np.isclose(b1.max(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(
        np.where(bright_b1, b2.min(axis=(1, 2)), b1.min(axis=(1, 2))), 0.0, atol=1e-12
    )


def test_dct_oracle_is_the_sum_of_min_of_coefficient_and_noise_energy() -> None:
    import scipy.fft

    gen = torch.Generator().manual_seed(0)
    x = D.c_alpha_images(16, 8, 1.0, seed=1).double()
    sigma = 0.05
    draws = [
        D.dct_oracle_errors(
            x, x + sigma * torch.randn(x.shape, generator=gen, dtype=x.dtype), sigma
        )
        for _ in range(400)
    ]
    c = scipy.fft.dctn(x.numpy(), axes=(2, 3), norm="ortho")
    expected = np.minimum(c**2, sigma**2).reshape(16, -1).mean(1)  # Eq. (12), kept = σ² each
    np.testing.assert_allclose(np.mean(draws, axis=0), expected, rtol=0.1)
    # with no noise the oracle keeps the image's large coefficients exactly
    assert float(D.dct_oracle_errors(x, x, 1e-9).max()) < 1e-12


def test_wiener_filter_is_permutation_equivariant() -> None:
    x = D.c_alpha_images(200, 4, 1.0, seed=3)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(0))

    def shuffle(t: torch.Tensor) -> torch.Tensor:
        return t.flatten(1)[:, perm].reshape(t.shape)

    w, ws = D.wiener_denoiser(x), D.wiener_denoiser(shuffle(x))
    y = x[:5].double() + 0.1 * torch.randn(5, 1, 4, 4, dtype=torch.float64)
    torch.testing.assert_close(ws(shuffle(y), 0.1), shuffle(w(y, 0.1)))
    # its Jacobian does not depend on y: tr J = Σ λ/(λ + σ²)
    tr = D.effective_dimension(lambda v: w(v, 0.1), y[:2])
    torch.testing.assert_close(
        tr, torch.full((2,), float((w.evals / (w.evals + 0.01)).sum())).to(tr)
    )


def test_subspace_overlap() -> None:
    eye = torch.eye(6, dtype=torch.float64)
    assert D.subspace_overlap(eye[:, :2], eye[:, :2]) == pytest.approx(1.0)
    assert D.subspace_overlap(eye[:, :2], eye[:, 2:4]) == pytest.approx(0.0)
    assert D.subspace_overlap(eye[:, :2], eye[:, 1:3]) == pytest.approx(0.5)


def test_disk_images_are_rendered_from_their_parameters() -> None:
    p = D.disk_parameters(5, 16, seed=3)
    assert p.shape == (5, 5)
    torch.testing.assert_close(D.render_disks(p, 16), D.disk_images(5, 16, seed=3))
    held = D.held_out_disks(4, 16, seed=1)
    assert held.shape == (4, 1, 16, 16)
    flat = held.flatten(1)
    assert bool((flat.max(1).values - flat.min(1).values >= 0.3 - 1e-6).all())


def _noisy_disks(n: int, size: int, sigma: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = D.held_out_disks(n, size, seed=seed).double()
    gen = torch.Generator().manual_seed(seed)
    return x, x + sigma * torch.randn(x.shape, generator=gen, dtype=torch.float64)


def test_disk_mmse_jacobian_is_the_posterior_covariance() -> None:
    # J = Cov[x|y]/σ² (second-order Tweedie) must equal the autograd Jacobian of E[x|y]
    size, sigma = 12, 0.04
    den = D.DiskMMSEDenoiser(size)
    _, y = _noisy_disks(2, size, sigma, seed=4)
    mean, cov = den.moments(y, sigma)
    torch.testing.assert_close(mean, den(y, sigma))
    for i in range(2):
        auto = torch.func.jacrev(lambda v: den(v.reshape(1, 1, size, size), sigma).reshape(-1))(
            y[i].reshape(-1)
        )
        torch.testing.assert_close(auto, cov[i], atol=1e-8, rtol=0)
    torch.testing.assert_close(cov, cov.transpose(1, 2))


def test_disk_mmse_grid_is_converged() -> None:
    size, sigma = 12, 0.02
    _, y = _noisy_disks(3, size, sigma, seed=5)
    base = D.DiskMMSEDenoiser(size)(y, sigma)
    fine = D.DiskMMSEDenoiser(size, coarse=40, points=31, passes=4)(y, sigma)
    assert float((fine - base).abs().max()) < 0.05 * sigma


def test_disk_mmse_is_a_rank_five_projector_at_small_noise() -> None:
    size, sigma = 12, 0.005
    den = D.DiskMMSEDenoiser(size)
    x, y = _noisy_disks(4, size, sigma, seed=6)
    ev = torch.linalg.eigvalsh(den.jacobian(y, sigma)).flip(1)
    assert bool((ev[:, :5] > 0.8).all()) and bool((ev[:, 5] < 0.1).all())
    # expected error σ² E[tr J] ≈ 5σ²: average over 4 disks × 8 noise draws
    gen = torch.Generator().manual_seed(0)
    errs = []
    for _ in range(8):
        yk = x + sigma * torch.randn(x.shape, generator=gen, dtype=torch.float64)
        errs.append((den(yk, sigma) - x).flatten(1).square().sum(1) / sigma**2)
    assert 3.5 < float(torch.cat(errs).mean()) < 6.5


def test_loglog_slope_recovers_a_power_law() -> None:
    s = np.array([0.01, 0.02, 0.04, 0.08])
    assert abs(D.loglog_slope(s, 3.0 * s ** (2 * 0.6)) - 0.6) < 1e-9


# ---------------------------------------------------------------- settings


def test_settings_blocks_are_the_book_preset_and_the_function_defaults() -> None:
    book = Config.preset("book")
    assert book == Config()
    assert book.training == Training(steps=2000, batch_size=64, lr=2e-3, sigma_max=1.0)
    assert book.network == D.Network(kind="bfcnn", channels=32, layers=6)
    assert book.sampler == Sampler(sigma0=1.0, sigma_final=0.05, h0=0.01, beta=0.1)
    assert book.synthetic.training == Training(steps=1500, batch_size=32, sigma_max=0.4)
    assert book.synthetic.network.kind == "unet"
    smoke = Config.preset("smoke")
    assert smoke.synthetic.training.batch_size == smoke.training.batch_size == 32
    paper = Config.preset("paper")
    assert paper.synthetic.training == paper.training.replace(sigma_max=0.4)
    cfg = book.replace(**{"sampler.beta": 1.0, "training.steps": 5})
    assert cfg.sampler.beta == 1.0 and cfg.training.steps == 5 and cfg.patches == book.patches
    assert isinstance(D.build_network(book.network), D.BiasFreeCNN)
    assert isinstance(D.build_network(book.synthetic.network), D.BiasFreeUNet)


# ---------------------------------------------------------------- bad inputs


BAD_CALLS = [
    (lambda: D.BiasFreeUNet(levels=0), ValueError),
    (lambda: D.BiasFreeUNet(channels=2.5), TypeError),
    (lambda: D.BiasFreeCNN(layers=1), ValueError),
    (lambda: D.BiasFreeUNet()(torch.rand(16, 16)), ValueError),
    (lambda: D.BiasFreeUNet()(torch.zeros(1, 1, 16, 16, dtype=torch.long)), TypeError),
    (lambda: D.empirical_optimal_denoiser(torch.rand(3, 4, 4)), TypeError),  # rank
    (lambda: D.empirical_optimal_denoiser(torch.full((2, 1, 4, 4), float("nan"))), ValueError),
    (
        lambda: D.empirical_optimal_denoiser(torch.rand(2, 1, 4, 4))(torch.rand(1, 1, 4, 4), 0.0),
        ValueError,
    ),
    (
        lambda: D.empirical_optimal_denoiser(torch.rand(2, 1, 4, 4))(torch.rand(1, 1, 5, 5), 0.1),
        ValueError,
    ),
    (lambda: D.empirical_optimal_denoiser([[1.0]]), TypeError),
    (lambda: D.sample("nope", (1, 1, 4, 4)), TypeError),  # type: ignore[arg-type]
    (lambda: D.sample(lambda y: y, (1, 4, 4)), ValueError),
    (lambda: Sampler(sigma_final=2.0), ValueError),
    (lambda: Sampler(beta=0.0), ValueError),
    (lambda: Sampler(h0=1.5), ValueError),
    (lambda: Sampler(max_steps=0), ValueError),
    (lambda: D.sample(lambda y: y, (1, 1, 4, 4), sampler={"beta": 0.1}), TypeError),
    (lambda: D.sample(lambda y: y[:, :, :2], (1, 1, 4, 4)), ValueError),
    (lambda: D.sample(lambda y: y, (1, 1, 4, 4), seed=-1), ValueError),
    (lambda: D.denoiser_jacobian(lambda y: y, torch.rand(4, 4)), TypeError),
    (lambda: D.denoiser_jacobian(lambda y: y, torch.rand(1, 1, 80, 80)), ValueError),
    (lambda: D.denoiser_jacobian(D.BiasFreeCNN().train(), torch.rand(1, 1, 4, 4)), ValueError),
    (lambda: D.sure_estimate(lambda y: y, torch.rand(1, 1, 4, 4), -0.1), ValueError),
    (lambda: D.jacobian_eigen(lambda y: y, torch.rand(2, 1, 4, 4)), ValueError),
    (lambda: D.homogeneity_error(lambda y: y, torch.rand(1, 1, 4, 4), (0.0,)), ValueError),
    (lambda: D.train_denoiser("net", torch.rand(2, 1, 4, 4)), TypeError),  # type: ignore[arg-type]
    (lambda: Training(steps=0), ValueError),
    (lambda: Training(lr=float("inf")), ValueError),
    (lambda: D.train_denoiser(D.BiasFreeCNN(), torch.rand(2, 1, 4, 4), training=5), TypeError),
    (
        lambda: D.pairwise_generalization(
            lambda y: y, lambda y: y, torch.rand(2, 1, 4, 4), torch.rand(2, 1, 8, 8)
        ),
        TypeError,  # sizes that disagree between arguments sharing a dimension name
    ),
    (
        lambda: D.pairwise_generalization(
            lambda y: y, lambda y: y, torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4), n_samples=0
        ),
        ValueError,
    ),
    (lambda: D.cosine_similarity(torch.rand(2, 1, 4, 4), torch.rand(3, 1, 4, 4)), TypeError),
    (lambda: D.c_alpha_images(2, 16, -1.0), ValueError),
    (lambda: D.disk_images(0, 16), ValueError),
    (lambda: D.disk_parameters(2, 2), ValueError),
    (lambda: D.disk_masks(torch.rand(2, 4), 8), TypeError),
    (lambda: D.render_disks(np.array([[1.0, 2.0]]), 8), TypeError),
    (lambda: D.render_disks([[1.0, 2.0, 3.0, 0.5, 0.5]], 8), TypeError),  # a list
    (lambda: D.DiskMMSEDenoiser(3), ValueError),
    (lambda: D.DiskMMSEDenoiser(8, points=2), ValueError),
    (lambda: D.DiskMMSEDenoiser(8)(torch.rand(1, 1, 9, 9), 0.1), ValueError),
    (lambda: D.DiskMMSEDenoiser(8)(torch.rand(1, 1, 8, 8), 0.0), ValueError),
    (lambda: D.DiskMMSEDenoiser(8).jacobian(torch.rand(8, 8), 0.1), TypeError),
    (lambda: D.loglog_slope(np.array([0.1]), np.array([0.2])), ValueError),
    (lambda: D.loglog_slope(np.array([0.1, -0.2]), np.array([0.2, 0.3])), ValueError),
    (lambda: D.held_out_disks(0, 16, seed=0), ValueError),
    (lambda: D.Disks(eig_sigma=0.5), ValueError),
    (lambda: D.Synthetic(size=7), ValueError),
    (
        lambda: Config(synthetic=D.Synthetic(size=18, network=D.Network(kind="unet", levels=2))),
        ValueError,
    ),
    (lambda: D.CAlpha(alphas=(1.0,)), ValueError),
    (lambda: D.CAlpha(alphas=(3.0, 1.0)), ValueError),
    (lambda: D.Network(kind="mlp"), ValueError),
    (lambda: D.wiener_denoiser(torch.rand(1, 1, 4, 4)), ValueError),
    (lambda: D.CAlpha(sigmas=(0.2, 0.1)), ValueError),
    (lambda: D.deduplicate(torch.rand(3, 1, 4, 4), threshold=2.0), ValueError),
    (lambda: D.patch_pool(8, photos=()), ValueError),
    (lambda: D.blind(lambda y, s: y, iterations=0), ValueError),
    (lambda: D.Transition(ns=(100, 10)), ValueError),
    (
        lambda: Config(patches=D.Patches(patch_size=10), network=D.Network(kind="unet", levels=2)),
        ValueError,
    ),
    (lambda: Config().replace(**{"sampler.beta": 1.5}), ValueError),
    (lambda: Training(steps=True), TypeError),
    (lambda: D.JacobianStudy(sigmas=(0.1, 0.2)), ValueError),
    (lambda: Config(training=Sampler()), TypeError),
    (lambda: D.patch_split(D.Patches(n_test=10), n_train=10**7), ValueError),
]


@pytest.mark.parametrize("call,error", BAD_CALLS, ids=range(len(BAD_CALLS)))
def test_bad_inputs_raise_clear_errors(call, error) -> None:
    with pytest.raises(error):
        call()


def test_training_divergence_names_the_step() -> None:
    class Exploding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, y: torch.Tensor) -> torch.Tensor:
            return y * self.w * float("inf")

    with pytest.raises(TrainingDiverged, match="step 1"):
        D.train_denoiser(
            Exploding(), torch.rand(4, 1, 4, 4), training=Training(steps=3, batch_size=2)
        )


@pytest.mark.parametrize(
    "make,lr",
    [
        (lambda: D.BiasFreeCNN(channels=8), 1e8),
        # at lr = 1e8 this UNet's ReLUs all die after one step: the loss stays finite (the
        # network returns its input); at 1e4 the loss explodes
        (lambda: D.BiasFreeUNet(channels=8, levels=1), 1e4),
    ],
    ids=["cnn", "unet"],
)
def test_a_huge_learning_rate_stops_training_naming_the_step(make, lr: float) -> None:
    torch.manual_seed(0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        D.train_denoiser(
            make(),
            torch.rand(16, 1, 8, 8),
            training=Training(steps=50, batch_size=8, lr=lr),
            desc="huge lr",
        )


def test_a_huge_sampler_step_raises_solver_diverged_naming_the_step() -> None:
    # the step h_t r_t is huge when the residual is: a denoiser of gain 1e13
    with pytest.raises(SolverDiverged, match="step 1"):
        D.sample(lambda y: 1e13 * y, (2, 1, 4, 4))
    calls = []

    def nan_at_third_call(y: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return y * float("nan") if len(calls) == 3 else 0.9 * y + 0.05

    with pytest.raises(SolverDiverged, match="step 3"):
        D.sample(nan_at_third_call, (2, 1, 4, 4))
    with pytest.raises(SolverDiverged, match="step 1"):
        D.pairwise_generalization(
            lambda y: 1e13 * y, lambda y: y, torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4)
        )


# ---------------------------------------------------------------- the chapter at smoke scale


def test_the_jacobian_view_works_on_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh transition (the smoke preset's, trained 3 steps): run_jacobian leaves its models'
    # weights and train/eval modes as they were
    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    cfg = Config.preset("smoke").replace(**{"training.steps": 3})
    transition = ex.run_transition(cfg)
    before = {n: (_state(a), _state(b)) for n, (a, b) in transition.models.items()}
    jacobian = ex.run_jacobian(cfg, transition)
    assert jacobian is not None and len(before) > 0
    for n, (a, b) in transition.models.items():
        assert _same_state(a, before[n][0]) and _same_state(b, before[n][1])


def test_smoke_claims(smoke_chapter_run: Callable[[str], Any]) -> None:
    # run_all → chapter_claims of the smoke preset at THEORYBOOK_SCALE=smoke (the sampler check,
    # the transition, its Jacobian view, C^α images and disks), shared with the contract test
    run = smoke_chapter_run("diffusion")
    cfg, results, table = run.cfg, run.results, run.table
    assert cfg == Config.preset("smoke") and isinstance(results, D.Results)
    transition = results.transition
    calpha, disks = results.calpha, results.disks
    assert calpha is not None and disks is not None
    assert calpha.mse.shape == (len(cfg.calpha.alphas), len(cfg.calpha.sigmas))
    assert transition.shuffled is not None
    # the Wiener filter cannot tell shuffled pixels from the originals
    np.testing.assert_allclose(
        transition.shuffled.wiener_errors, transition.shuffled.wiener_shuffled_errors, rtol=1e-6
    )
    assert table.chapter == "02_diffusion_generalization"
    table.assert_hold(
        [
            "homogeneity",
            "jacobian-linear",
            "sampler-schedule",
            "beta-one-no-noise",
            "sure",
            "disk-optimal-trace",
            "disk-optimal-rank",
        ]
    )
    for c in table.of_kind("reproduction"):
        assert c.procedure and c.baseline_name, c.id
    from theorybook.diffusion import figures

    for fig in (
        figures.sampler_figure(results.check),
        figures.samples_figure(results.transition),
        figures.transition_figure(results.transition),
        figures.shuffled_figure(results.transition),
        figures.jacobian_figure(results.jacobian),
        figures.synthetic_figure(calpha, disks),
        figures.disk_eigenvectors_figure(disks),
    ):
        assert fig.get_size_inches()[0] <= 7.0 + 1e-9


# ---------------------------------------------------------------- paper preset


@pytest.mark.paper_preset
def test_paper_preset_builds_and_steps() -> None:
    cfg = Config.preset("paper")
    cfg.validate()
    ma, mb = ex.build_models(cfg)
    side = cfg.patches.patch_size
    x = torch.rand(cfg.training.batch_size, 1, side, side)
    for m in (ma, mb):
        hist = D.train_denoiser(m, x, training=cfg.training.replace(steps=1))
        assert len(hist.losses) == 1
    assert ma(x[:2]).shape == (2, 1, side, side)
    # the data: the pool at paper size must hold 2 N_max + n_test patches
    patches = cfg.patches
    pool = D.patch_pool(side, stride=patches.stride, min_std=patches.min_std, limit=64)
    assert pool.shape[1:] == (1, side, side)
