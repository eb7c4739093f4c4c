"""Unit tests of theorybook.lpn (chapter 3): exact-prox structure, losses, inversion, operators."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from theorybook.lpn import (
    LPN,
    CompressedSensing,
    Config,
    ConvLPN,
    GaussianBlur,
    PlainCNN,
    Stage,
    invert,
    jacobian_report,
    laplace_posterior_stats,
    learned_prior,
    objective_settling,
    operator_norm,
    paper_schedule,
    perturb,
    pnp_admm,
    pnp_pgd,
    prior_at_output,
    prox_grid_check,
    proximal_matching_loss,
    soft_threshold,
    train_lpn,
)
from theorybook.runtime import torch_threads
from theorybook.training import TrainingDiverged


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch):
    """Small models: one torch thread avoids oversubscribing a shared CPU (the ``run_*``
    functions follow the book's thread policy, which reads THEORYBOOK_THREADS)."""
    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    with torch_threads(1):
        yield


def _models(alpha: float = 0.05) -> list[torch.nn.Module]:
    torch.manual_seed(0)
    return [
        LPN(3, 16, 3, alpha=alpha).double(),
        ConvLPN(8, 1, 8, alpha=alpha, init="default").double(),
        ConvLPN(8, 1, 8, alpha=alpha, init="paper").double(),
    ]


# ------------------------------------------------------------------ model structure (claim 1)


def test_forward_is_gradient_of_potential_by_finite_differences() -> None:
    torch.manual_seed(1)
    model = LPN(3, 16, 3, alpha=0.1).double()
    y = torch.randn(4, 3, dtype=torch.float64)
    f = model(y).detach()
    eps = 1e-6
    for j in range(3):
        e = torch.zeros(3, dtype=torch.float64)
        e[j] = eps
        fd = (model.potential(y + e) - model.potential(y - e)).detach() / (2 * eps)
        assert torch.allclose(fd, f[:, j], atol=1e-7)


def test_forward_keeps_graph_and_leaves_caller_tensor_alone() -> None:
    model = ConvLPN(8, 1, 8, alpha=0.01).double()
    y = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    out = model(y)
    assert not y.requires_grad  # not mutated
    assert out.requires_grad  # graph kept: parameters can be trained through f
    yg = y.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(yg).sum(), yg)  # backprop through ∇ψ (the Hessian)
    assert torch.isfinite(g).all() and g.abs().sum() > 0
    with torch.no_grad():
        assert not model(y).requires_grad


def _autograd_gradient(model: torch.nn.Module, y: torch.Tensor) -> torch.Tensor:
    """∇ψ_θ(y) by ``torch.autograd.grad`` of the potential (the generic path)."""
    y_in = y.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.potential(y_in).sum(), y_in, create_graph=True)
    return grad


WRITTEN_OUT = {
    "LPN 1-d": (lambda: LPN(1, 50, 4, beta=10.0, alpha=0.01), (64, 1)),
    "LPN 3-d": (lambda: LPN(3, 16, 3, alpha=0.0), (16, 3)),
    "ConvLPN 8": (lambda: ConvLPN(8, 1, 8), (4, 1, 8, 8)),
    "ConvLPN 16 stride-2 first": (lambda: ConvLPN(16, 1, 8, strides=(2, 1, 2)), (4, 1, 16, 16)),
    "ConvLPN 28 three channels": (lambda: ConvLPN(28, 3, 4), (2, 3, 28, 28)),
    "ConvLPN 7 (autograd: 7 px do not pool to 4)": (lambda: ConvLPN(7, 1, 8), (4, 1, 7, 7)),
}


@pytest.mark.parametrize("name", list(WRITTEN_OUT))
def test_written_out_gradient_is_autograds_and_so_is_its_derivative(name: str) -> None:
    """LPN and ConvLPN write ∇ψ_θ out by the chain rule: it equals autograd's gradient of the
    potential to float64 rounding (also beyond softplus's linear threshold, where the slope is
    exactly 1), and so do its derivatives in the parameters (training) and the input (the
    Jacobian, which is the symmetric Hessian)."""
    make, shape = WRITTEN_OUT[name]
    torch.manual_seed(0)
    model = make().double()
    with torch.no_grad():  # weights away from the paper's tiny initialisation, still convex
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    model.project_()
    y = 2 * torch.randn(shape, dtype=torch.float64)
    ours, reference = model(y), _autograd_gradient(model, y)
    scale = reference.detach().abs().max()
    assert float((ours - reference).detach().abs().max() / scale) < 1e-13
    # some pre-activations in the linear region β·a > 20, where the slope must be exactly 1
    with torch.no_grad():
        pre = model._pre_activations(y)
        layers = [*pre[0], pre[1]] if isinstance(pre, tuple) else pre
        assert max(float((model.beta * a).max()) for a in layers) > 20
    weights = [p for p in model.parameters()]
    # (a bias of ψ's affine part does not reach the gradient: None in both)
    g_ours = torch.autograd.grad((ours * ours).sum(), weights, allow_unused=True)
    g_ref = torch.autograd.grad((reference * reference).sum(), weights, allow_unused=True)
    assert [a is None for a in g_ours] == [b is None for b in g_ref]
    assert sum(a is not None for a in g_ours) >= len(weights) - 1
    for a, b in zip(g_ours, g_ref, strict=True):
        if a is not None and b is not None:
            assert float((a - b).abs().max()) <= 1e-12 * max(1.0, float(b.abs().max()))
    point = y[:1].clone()
    jac = torch.autograd.functional.jacobian(lambda v: model(v).flatten(), point)
    jac = jac.reshape(point.numel(), point.numel())
    assert float((jac - jac.T).abs().max() / jac.abs().max()) < 1e-13
    with torch.no_grad():
        detached = model(y)
    assert not detached.requires_grad and torch.equal(detached, ours.detach())


def test_written_out_gradient_in_float32_is_autograds_to_rounding() -> None:
    """In float32 the slope needs no mask (σ rounds to 1 beyond β·a ≈ 16.6): the same gradient
    to float32 rounding."""
    torch.manual_seed(0)
    for model, y in (
        (LPN(1, 50, 4, beta=10.0), 3 * torch.randn(256, 1)),
        (ConvLPN(8, 1, 32, init="default"), torch.rand(16, 1, 8, 8)),
    ):
        ours, reference = model(y), _autograd_gradient(model, y)
        torch.testing.assert_close(
            ours, reference, rtol=1e-5, atol=1e-6 * float(reference.detach().abs().max())
        )


@pytest.mark.parametrize("index", [0, 1, 2])
def test_jacobian_symmetric_and_psd_with_lambda_min_2alpha(index: int) -> None:
    alpha = 0.05
    model = _models(alpha)[index]
    assert model.is_convex()
    shape = (3,) if index == 0 else (1, 8, 8)
    points = torch.randn(3, *shape, dtype=torch.float64)
    rep = jacobian_report(model, points)
    assert rep.asymmetry < 1e-5
    assert rep.lambda_min >= 2 * alpha - 1e-9


def _with_negative_weights(model: LPN) -> LPN:
    """``model`` with every weight that convexity needs non-negative drawn negative instead."""
    with torch.no_grad():
        for m in model.constrained_modules():
            m.weight.copy_(-torch.rand_like(m.weight))
    return model


def test_projection_restores_convexity_after_negative_weights() -> None:
    torch.manual_seed(2)
    model = _with_negative_weights(LPN(1, 8, 3, alpha=0.0).double())
    assert not model.is_convex()
    y = torch.linspace(-3, 3, 61, dtype=torch.float64).reshape(-1, 1)
    model.project_()
    assert model.is_convex()
    after = jacobian_report(model, y)
    assert after.lambda_min >= -1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_negative_control_nonconvex_model_fails_psd_and_exact_prox(seed: int) -> None:
    """The checks can fail: with negative hidden and output weights ψ_θ is not convex, the
    Jacobian has a negative eigenvalue and f_θ is not the prox of the R_θ of eq. (lpn-prior)."""
    torch.manual_seed(seed)
    model = _with_negative_weights(LPN(1, 16, 3, alpha=0.0).double())
    assert not model.is_convex()
    y = torch.linspace(-3, 3, 61, dtype=torch.float64).reshape(-1, 1)
    assert jacobian_report(model, y).lambda_min < -1.0
    err, gap = prox_grid_check(model, torch.linspace(-3, 3, 31))
    assert err > 100 * gap
    assert err > 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_negative_control_conv_lpn_with_negative_weights_is_not_psd(seed: int) -> None:
    """The image LPN's PSD check (the ``jacobian-psd`` row: λ_min − 2α ≥ −1e−9) fails once its
    constrained weights are negative, while the Jacobian stays symmetric (a Hessian)."""
    torch.manual_seed(seed)
    model = ConvLPN(8, 1, 8, alpha=0.0, init="default").double()
    with torch.no_grad():
        for m in model.constrained_modules():
            m.weight.copy_(-m.weight.abs() - 0.1)
    assert not model.is_convex()
    rep = jacobian_report(model, torch.randn(3, 1, 8, 8, dtype=torch.float64))
    assert rep.asymmetry < 1e-10
    assert rep.lambda_min - 2 * model.alpha < -1e-3


def test_objective_settling() -> None:
    obj = np.array([[10.0, 5.0], [4.0, 3.0], [3.0, 2.5], [2.9, 2.5]])
    # fraction 0.5 of 4 iterations: compare the last row with the one two iterations earlier
    assert objective_settling(obj, fraction=0.5) == pytest.approx(1.1 / 2.9)
    assert objective_settling(obj) == pytest.approx(0.1 / 2.9)
    assert objective_settling(np.ones((5, 3))) == 0.0
    with pytest.raises(ValueError, match="objective"):
        objective_settling(np.ones((1, 3)))
    with pytest.raises(ValueError, match="fraction"):
        objective_settling(obj, fraction=1.5)


def test_monotone_operator_inequality() -> None:
    alpha = 0.05
    model = ConvLPN(8, 1, 8, alpha=alpha, init="default").double()
    a, b = torch.randn(2, 5, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        lhs = ((model(a) - model(b)) * (a - b)).flatten(1).sum(1)
    assert (lhs >= 2 * alpha * (a - b).flatten(1).pow(2).sum(1) - 1e-10).all()


def test_training_keeps_lpn_convex_and_psd() -> None:
    torch.manual_seed(3)
    model = ConvLPN(8, 1, 8, alpha=0.01, init="default")

    def sampler() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(16, 1, 8, 8)
        return x, x + 0.1 * torch.randn_like(x)

    train_lpn(model, sampler, [Stage(15, "l1", 3e-2), Stage(5, "pm", 1e-2, gamma=2.0)])
    assert model.is_convex()
    rep = jacobian_report(model, torch.rand(2, 1, 8, 8))
    assert rep.asymmetry < 1e-5 and rep.lambda_min >= 0.02 - 1e-9


def test_flushing_subnormals_keeps_training_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training flushes subnormal floats (the paper init makes them); the losses and weights are
    those of the plain loop, bit for bit."""
    import contextlib

    from theorybook.lpn import train as train_module

    tiny = torch.tensor([1e-40], dtype=torch.float32)
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush subnormal floats")
    with train_module._flush_denormals(), train_module._flush_denormals():
        pass
    assert float(tiny * 1.0) != 0.0  # the nested blocks restored the default
    with train_module._flush_denormals():
        assert float(tiny * 1.0) == 0.0

    def train(flush: bool) -> tuple[tuple[float, ...], list[torch.Tensor]]:
        if not flush:  # the reference: the same loop without flushing
            monkeypatch.setattr(train_module, "_flush_denormals", contextlib.nullcontext)
        torch.manual_seed(5)
        model = ConvLPN(8, 1, 8)  # the paper's init: constrained weights ≈ 4.5e−5

        def sampler() -> tuple[torch.Tensor, torch.Tensor]:
            x = torch.rand(16, 1, 8, 8)
            return x, x + 0.1 * torch.randn_like(x)

        hist = train_lpn(model, sampler, [Stage(6, "l1", 1e-3), Stage(6, "pm", 1e-4, gamma=2.0)])
        monkeypatch.undo()
        return hist.losses, [p.detach().clone() for p in model.parameters()]

    (loss_a, params_a), (loss_b, params_b) = train(True), train(False)
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def test_tuning_psnr_is_image_metrics_psnr() -> None:
    from theorybook.lpn.pnp import _psnr_only, image_metrics

    gen = torch.Generator().manual_seed(0)
    truth = torch.rand(5, 1, 8, 8, generator=gen, dtype=torch.float64)
    est = truth + 0.3 * torch.randn(truth.shape, generator=gen, dtype=torch.float64)
    assert np.array_equal(_psnr_only(est, truth), image_metrics(est, truth)[0])


def test_input_validation() -> None:
    with pytest.raises(ValueError):
        LPN(0)
    with pytest.raises(ValueError):
        LPN(2)(torch.zeros(3, 3))
    with pytest.raises(TypeError):
        LPN(2)(torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError):
        ConvLPN(8)(torch.zeros(2, 1, 9, 9))
    with pytest.raises(ValueError):
        ConvLPN(8, strides=(3,))
    with pytest.raises(ValueError):
        LPN(1, alpha=-1.0)


# ------------------------------------------------------------------ losses and schedule


def test_proximal_matching_loss_formula_and_range() -> None:
    pred = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    target = torch.zeros(2, 2)
    val = proximal_matching_loss(pred, target, gamma=5.0)
    assert math.isclose(float(val), 0.5 * (0.0 + 1 - math.exp(-1.0)), rel_tol=1e-6)
    assert float(proximal_matching_loss(target, target, 0.1)) == 0.0
    assert float(proximal_matching_loss(pred * 100, target, 0.1)) < 1.0
    with pytest.raises(ValueError):
        proximal_matching_loss(pred, target, 0.0)
    with pytest.raises(TypeError, match="target"):
        proximal_matching_loss(pred, torch.zeros(2, 3), 1.0)


def test_paper_schedule_gammas_and_steps() -> None:
    sched = paper_schedule(40000, 2.24)
    assert sched[0].loss == "l1" and sched[0].steps == 20000 and sched[0].lr == 1e-3
    gammas = [s.gamma for s in sched[1:]]
    assert np.allclose(gammas, [17.92, 8.96, 4.48, 2.24])
    assert all(s.loss == "pm" and s.lr == 1e-4 for s in sched[1:])
    assert sum(s.steps for s in sched) == 40000
    with pytest.raises(ValueError):
        Stage(10, "pm", 1e-3)  # no gamma


def test_diverging_training_names_the_step() -> None:
    model = LPN(1, 4, 2)

    def bad() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.full((4, 1), float("nan")), torch.zeros(4, 1)

    with pytest.raises(TrainingDiverged, match="step 1"):
        train_lpn(model, bad, [Stage(3, "l2", 1e-3)])


# ------------------------------------------------------------------ inversion and the prior (claims 2, 3)


def test_inversion_recovers_preimage_to_1e4() -> None:
    torch.manual_seed(4)
    model = ConvLPN(8, 1, 8, alpha=0.01, init="default").double()
    y_true = torch.rand(6, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        x = model(y_true)
    inv = invert(model, x, y0=torch.zeros_like(x))
    assert float(inv.residual.max()) <= 1e-4
    assert float((inv.y - y_true).abs().max()) <= 1e-2  # injective: ‖ŷ − y‖ ≤ residual / (2α)


def test_learned_prior_matches_exact_formula_at_outputs() -> None:
    torch.manual_seed(5)
    model = LPN(2, 16, 3, alpha=0.05).double()
    y = torch.randn(7, 2, dtype=torch.float64)
    x, r_exact = prior_at_output(model, y)
    r_inv = learned_prior(model, x)
    assert torch.allclose(r_inv, r_exact, atol=1e-7)


def test_lpn_is_exactly_a_prox_on_a_1d_grid() -> None:
    torch.manual_seed(6)
    model = LPN(1, 16, 3, alpha=0.01)
    err, gap = prox_grid_check(model, torch.linspace(-3, 3, 31))
    assert err <= 2 * gap + 1e-9


# ------------------------------------------------------------------ operators, toy, PnP


@pytest.mark.parametrize("op", [GaussianBlur(8, 1.0), CompressedSensing(8, 32, seed=1)])
def test_adjoint_identity_and_normal_solve(op) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 1, 8, 8, generator=gen, dtype=torch.float64)
    y = op(torch.randn(3, 1, 8, 8, generator=gen, dtype=torch.float64))
    y = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    lhs = (op(x) * y).sum()
    rhs = (x * op.adjoint(y)).sum()
    assert abs(float(lhs - rhs)) <= 1e-10 * float(lhs.abs() + 1)
    b = torch.randn(3, 1, 8, 8, generator=gen, dtype=torch.float64)
    sol = op.normal_solve(b, 0.1)
    assert torch.allclose(op.normal(sol) + 0.1 * sol, b, atol=1e-7)
    assert operator_norm(op) <= 1 + 1e-6


def test_soft_threshold_and_posterior_stats() -> None:
    assert np.allclose(soft_threshold(np.array([-3, -0.5, 0, 0.7, 2.5])), [-2, 0, 0, 0, 1.5])
    ys = np.array([-2.0, 0.0, 0.5, 3.0])
    mean, median = laplace_posterior_stats(ys)

    def post(x: float, y: float) -> float:
        return math.exp(-abs(x) - 0.5 * (y - x) ** 2)

    for y, m in zip(ys, mean, strict=True):
        z = quad(post, -30, 30, args=(y,), points=[0.0])[0]
        ref = quad(lambda x, y=y: x * post(x, y), -30, 30, points=[0.0])[0] / z
        assert abs(m - ref) < 1e-6
    assert abs(median[1]) < 1e-6 and abs(mean[1]) < 1e-9
    assert median[2] > 0  # a Laplace prior has no point mass: the posterior median has no dead zone


def test_perturbations() -> None:
    imgs = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    assert np.array_equal(perturb(imgs, "noise", 0.0), imgs)
    noisy = perturb(imgs, "noise", 0.3)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, imgs)
    # the official pairing: image i mixes with image n − 1 − i (lpn/evaluate_prior.py)
    assert np.allclose(perturb(imgs, "mix", 0.5), 0.5 * imgs + 0.5 * imgs[::-1])
    assert np.allclose(perturb(imgs, "mix", 1.0), imgs[::-1])
    # the official blur: scipy's Gaussian filter with its default (reflecting) border
    from scipy.ndimage import gaussian_filter

    assert np.allclose(perturb(imgs, "blur", 2.0)[0, 0], gaussian_filter(imgs[0, 0], 2.0))
    with pytest.raises(ValueError):
        perturb(imgs, "rotate", 1.0)


def test_pnp_pgd_objective_never_increases_for_any_lpn() -> None:
    torch.manual_seed(7)
    model = ConvLPN(8, 1, 8, alpha=0.01, init="default").double()
    op = GaussianBlur(8, 1.0)
    x = torch.rand(3, 1, 8, 8, dtype=torch.float64)
    y = op(x) + 0.02 * torch.randn_like(x)
    res = pnp_pgd(op, y, model, step=0.95, iters=30)
    obj = res.objective  # (iters, batch)
    assert obj.shape == (30, 3)
    assert np.all(np.diff(obj, axis=0) <= 1e-9 * np.maximum(1.0, np.abs(obj[:-1])))
    assert res.step_norm[-1] < 0.1 * res.step_norm[0]
    adm = pnp_admm(op, y, model, rho=1.0, iters=5)
    assert adm.x.shape == x.shape and adm.objective.shape == (5, 3)
    with pytest.raises(ValueError):
        pnp_pgd(op, y, model, step=-1.0)


def test_relaxed_lpn_is_an_exact_prox_and_keeps_pgd_descent() -> None:
    from theorybook.lpn import PlainCNN, prior_at_output
    from theorybook.lpn.pnp import RelaxedDenoiser, RelaxedLPN, relax

    torch.manual_seed(3)
    model = ConvLPN(8, 1, 8, alpha=0.01, init="default").double()
    y = torch.rand(3, 1, 8, 8, dtype=torch.float64)
    f = relax(model, 0.3)
    assert isinstance(f, RelaxedLPN) and relax(model, 1.0) is model
    with torch.no_grad():
        assert torch.allclose(f(y), 0.7 * y + 0.3 * model(y))
    # the gradient of (1 − λ)½‖·‖² + λψ_θ: a symmetric Jacobian ⪰ (1 − λ + 2λα)I
    rep = jacobian_report(f, y[:1])
    assert rep.asymmetry < 1e-10 and rep.lambda_min >= 0.7 - 1e-9
    assert f.alpha == pytest.approx(0.35 + 0.3 * 0.01)
    # R_λ at the outputs, exactly and by inversion, agree
    x, r = prior_at_output(f, y)
    r_inv = learned_prior(f, x)
    assert isinstance(r_inv, torch.Tensor) and torch.allclose(r_inv, r, atol=1e-6)
    # PnP-PGD with the relaxed LPN still never increases ½‖y − Ax‖² + R_λ/η
    op = GaussianBlur(8, 1.0)
    meas = op(y) + 0.02 * torch.randn_like(y)
    run = pnp_pgd(op, meas, f, step=0.95, iters=30)
    obj = run.objective
    assert np.all(np.diff(obj, axis=0) <= 1e-9 * np.maximum(1.0, np.abs(obj[:-1])))
    # a network without a potential is relaxed the same way, with no objective
    cnn = PlainCNN(1, 4, 2).double()
    g = relax(cnn, 0.5)
    assert isinstance(g, RelaxedDenoiser)
    with torch.no_grad():
        assert torch.allclose(g(y), 0.5 * y + 0.5 * cnn(y))
    assert pnp_pgd(op, meas, g, step=0.95, iters=3).objective.size == 0
    with pytest.raises(ValueError):
        relax(model, 0.0)
    with pytest.raises(ValueError):
        relax(model, 1.5)


def test_decomposition_refuses_unequal_training() -> None:
    from theorybook.lpn import Config, run_decomposition

    cfg = Config.preset("smoke").replace(**{"digits.steps": 16, "digits.cnn_steps": 32})
    with pytest.raises(ValueError, match="equal training"):
        run_decomposition(cfg, seeds=(0,))
    with pytest.raises((TypeError, ValueError)):
        run_decomposition(cfg, seeds=(-1,))


def test_sweep_statistics() -> None:
    from theorybook.lpn.sweeps import clean_lowest, mixture_above_both, total_variation

    flat = np.full((1, 1, 4, 4), 0.5)
    edge = np.zeros((1, 1, 4, 4))
    edge[..., 2:] = 1.0
    np.testing.assert_allclose(total_variation(np.concatenate([flat, edge])), [0.0, 4.0])
    table = np.array([[1.0, 3.0], [2.0, 2.0], [4.0, 5.0]])
    assert clean_lowest(table).tolist() == [True, False]
    # pair (0, 3): ends 1 and 2, interior 3 and 4 above both; pair (1, 2): ends 5 and 1, 2 < 5
    mix = np.array(
        [[1.0, 5.0, 1.0, 2.0], [3.0, 2.0, 2.0, 4.0], [4.0, 2.0, 2.0, 3.0], [2.0, 1.0, 5.0, 1.0]]
    )
    assert mixture_above_both(mix, (0.0, 0.25, 0.75, 1.0)).tolist() == [True, False]
    with pytest.raises(ValueError):
        mixture_above_both(mix[:, :3], (0.0, 0.25, 0.75, 1.0))


# ------------------------------------------------------------------ run_pnp on any image set


def _tiny_pnp_setup():
    from theorybook.lpn import Config, PlainCNN

    cfg = Config.preset("smoke").replace(**{"pnp.images": 2, "pnp.val_images": 2, "pnp.iters": 4})
    torch.manual_seed(8)
    return cfg, ConvLPN(8, 1, 8, alpha=0.01), PlainCNN(1, 8, 2)


def test_patch_split_holds_out_a_photo_and_disjoint_tiles() -> None:
    from theorybook.lpn import Config
    from theorybook.lpn.data import patch_split

    cfg = Config.preset("smoke").replace(
        **{"patches.train": 50, "pnp.images": 6, "pnp.val_images": 4}
    )
    train, val, test = patch_split(cfg)
    assert train.shape == (50, 1, 8, 8) and val.shape == (4, 1, 8, 8) and test.shape == (6, 1, 8, 8)
    for arr in (train, val, test):
        assert arr.dtype == np.float32 and arr.min() >= 0 and arr.max() <= 1
    # evaluation tiles are textured and no validation tile reappears among the test tiles
    assert np.all(val.std(axis=(1, 2, 3)) >= cfg.patches.min_std - 1e-6)
    assert np.all(test.std(axis=(1, 2, 3)) >= cfg.patches.min_std - 1e-6)
    assert not any(np.array_equal(v, t) for v in val for t in test)
    with pytest.raises(ValueError):
        Config.preset("smoke").replace(**{"patches.size": 3})


def test_run_pnp_default_is_the_digits_split() -> None:
    from theorybook.lpn.data import digits_split
    from theorybook.lpn.experiments import run_pnp

    cfg, model, cnn = _tiny_pnp_setup()
    default = run_pnp(cfg, model, cnn)
    explicit = run_pnp(cfg, model, cnn, images=digits_split(cfg)[1:])
    assert [r.name for r in default] == ["deblurring", "compressed sensing"]
    for a, b in zip(default, explicit, strict=True):
        assert a.dataset == b.dataset == "digits"
        assert a.psnr == b.psnr and a.ssim == b.ssim and a.tuned == b.tuned


def test_run_pnp_on_natural_image_patches() -> None:
    from theorybook.lpn.data import patch_split
    from theorybook.lpn.experiments import run_pnp

    cfg, model, cnn = _tiny_pnp_setup()
    _, val, test = patch_split(cfg.replace(**{"patches.train": 10}))
    res = run_pnp(cfg, model, cnn, images=(val, test), dataset="patches")
    assert [(r.name, r.dataset) for r in res] == [
        ("deblurring", "patches"),
        ("compressed sensing", "patches"),
    ]
    for r in res:
        assert set(r.psnr) == {
            "Aᵀy",
            "Tikhonov",
            "PnP-PGD TV",
            "PnP-PGD CNN",
            "PnP-ADMM CNN",
            "PnP-PGD LPN",
            "PnP-ADMM LPN",
        }
        # each learned denoiser has its own ADMM ρ and PGD relaxation λ, tuned on the same grids
        assert set(r.tuned) == {
            "Tikhonov λ",
            "TV weight",
            "ADMM ρ",
            "ADMM ρ (CNN)",
            "PGD λ",
            "PGD λ (CNN)",
        }
        assert all(0 < r.tuned[k] <= 1 for k in ("PGD λ", "PGD λ (CNN)"))
        assert r.runs["PnP-ADMM CNN"].objective.size == 0  # no known R for the CNN
        assert all(np.isfinite(v) for v in r.psnr.values())
        assert all(-1 <= v <= 1 for v in r.ssim.values())
        assert r.runs["PnP-PGD LPN"].objective.shape == (cfg.pnp.iters, cfg.pnp.images)
        assert r.objective_max_increase <= 1e-8
        assert np.array_equal(r.examples["truth"], test[0, 0].astype(np.float64))
    # without the CNN baseline the other methods still run
    assert "PnP-PGD CNN" not in run_pnp(cfg, model, None, images=(val, test))[0].psnr


def test_run_pnp_validates_images() -> None:
    from theorybook.lpn.experiments import run_pnp

    cfg, model, cnn = _tiny_pnp_setup()
    good = np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="LPN expects 8×8"):
        run_pnp(cfg, model, cnn, images=(good, np.zeros((2, 1, 16, 16), np.float32)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        run_pnp(cfg, model, cnn, images=(good, good + 1))
    with pytest.raises(ValueError, match="shape"):
        run_pnp(cfg, model, cnn, images=(good[:, 0], good))
    with pytest.raises(TypeError):
        run_pnp(cfg, model, cnn, images=(good, good.astype(np.int64)))
    with pytest.raises(TypeError):
        run_pnp(cfg, model, cnn, images=[good, good])  # type: ignore[arg-type]


# ------------------------------------------------------------------ the paper preset starts


@pytest.mark.paper_preset
def test_paper_preset_builds_models_and_data_and_takes_one_step() -> None:
    """The paper preset validates, its data load at paper size (digits padded to 16×16,
    16×16 patch tiles), and each of its models, built at paper size, takes one optimiser step."""
    from theorybook.lpn import Config, PlainCNN
    from theorybook.lpn.data import digits_split, image_sampler, laplace_sampler, patch_split

    cfg = Config.preset("paper")
    cfg.validate()
    train, val, test = digits_split(cfg)
    assert train.shape[1:] == (1, 16, 16) and len(test) == cfg.digits.n_test
    assert len(val) == cfg.pnp.val_images
    # the 200k training patches take a while to cut; build the held-out tiles at full size and
    # a few training patches through the same code path
    p_train, p_val, p_test = patch_split(cfg.replace(**{"patches.train": cfg.denoisers.batch}))
    assert p_train.shape == (cfg.denoisers.batch, 1, 16, 16)
    assert len(p_val) == cfg.pnp.val_images and len(p_test) == cfg.pnp.images
    # Laplace toy: one step of each loss at batch 2000
    lap_sampler = laplace_sampler(cfg.laplace.batch)
    for loss, gamma in (("l2", None), ("l1", None), ("pm", cfg.laplace.gammas[0])):
        toy = LPN(1, cfg.laplace.hidden, cfg.laplace.layers, beta=cfg.laplace.beta)
        hist = train_lpn(toy, lap_sampler, [Stage(1, loss, cfg.laplace.pm_lrs[0], gamma)])
        assert len(hist.losses) == 1 and math.isfinite(hist.losses[0]) and toy.is_convex()
    # CT phantoms and photo crops at paper size; the CT matrix is built once (64², 60 views)
    from theorybook.lpn import PatchLPN, RadonCT
    from theorybook.lpn.data import crop_split, ct_split

    ct_val, ct_test = ct_split(cfg)
    assert ct_test.shape == (cfg.ct.images, 1, cfg.ct.size, cfg.ct.size)
    assert len(ct_val) == cfg.ct.val_images
    op = RadonCT(cfg.ct.size, cfg.ct.angles)
    assert op(torch.as_tensor(ct_test[:1], dtype=torch.float64)).shape == (1, op.m)
    crops = crop_split(cfg)[1]
    assert crops.shape == (4, 1, cfg.patches.crop_size, cfg.patches.crop_size)
    # image priors (digits and patches): width 64, batch 200, one ℓ1 and one PM step
    gamma_min = 0.08 * 16
    for images in (train, p_train):
        sampler = image_sampler(images, cfg.denoisers.batch, cfg.denoisers.noise)
        model = ConvLPN(
            16, 1, cfg.denoisers.hidden, beta=cfg.denoisers.beta, alpha=cfg.denoisers.alpha
        )
        hist = train_lpn(
            model, sampler, [Stage(1, "l1", 1e-3), Stage(1, "pm", 1e-4, 8 * gamma_min)]
        )
        assert len(hist.losses) == 2 and model.is_convex()
        cnn = PlainCNN(1, cfg.denoisers.hidden, cfg.denoisers.cnn_depth)
        hist = train_lpn(cnn, sampler, [Stage(1, "l2", 1e-3)])
        assert math.isfinite(hist.losses[0])
    # the patch LPN on a paper-size crop (periodic average, stride cfg.patches.stride)
    patch = PatchLPN(model, stride=cfg.patches.stride)
    with torch.no_grad():
        assert patch(torch.as_tensor(crops[:1])).shape == (
            1,
            1,
            cfg.patches.crop_size,
            cfg.patches.crop_size,
        )


# ------------------------------------------------------------------ divergence is named


HUGE_LR = 1e8


def _pairs(shape: tuple[int, ...]):
    def sampler() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(*shape)
        return x, x + 0.1 * torch.randn_like(x)

    return sampler


@pytest.mark.parametrize("loss", ["l2", "l1"])
def test_every_trainer_stops_at_a_huge_learning_rate(loss: str) -> None:
    """train_lpn (toy LPN, ConvLPN, plain CNN), the image trainers, the Laplace toy and the
    timing loop all go through train_loop: a learning rate of 1e8 raises TrainingDiverged
    naming the step instead of returning a ruined model."""
    from theorybook.lpn.image_models import time_training_steps, train_image_models

    torch.manual_seed(0)
    models = [
        (LPN(1, 8, 2), (16, 1)),
        (ConvLPN(8, 1, 4, alpha=0.01), (8, 1, 8, 8)),
        (PlainCNN(1, 4, 2), (8, 1, 8, 8)),
    ]
    for model, shape in models:
        with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
            train_lpn(model, _pairs(shape), [Stage(50, loss, HUGE_LR)])  # type: ignore[arg-type]
    cfg = Config.preset("smoke")
    huge = cfg.replace(
        **{
            "denoisers.lr_pretrain": HUGE_LR,
            "denoisers.cnn_lr": HUGE_LR,
            "laplace.pretrain_lrs": (HUGE_LR, HUGE_LR),
            "timing.lr": HUGE_LR,
            "timing.repeats": 40,
        }
    )
    images = np.random.default_rng(0).random((32, 1, 8, 8)).astype(np.float32)
    with pytest.raises(TrainingDiverged, match=r"images LPN \(stage 0: l1.*\) diverged at step"):
        train_image_models(images, lpn_steps=40, cnn_steps=None, denoisers=huge.denoisers)
    with pytest.raises(TrainingDiverged, match=r"images CNN .* diverged at step"):
        train_image_models(
            images,
            lpn_steps=8,
            cnn_steps=40,
            denoisers=huge.denoisers.replace(lr_pretrain=1e-3),
        )
    with pytest.raises(TrainingDiverged, match=r"Laplace l2 .* diverged at step"):
        from theorybook.lpn.experiments import run_laplacian

        run_laplacian(huge)
    with pytest.raises(TrainingDiverged, match=r"timing \(lpn\) diverged at step"):
        time_training_steps(huge)


def test_pnp_solvers_stop_at_a_huge_step() -> None:
    """PnP-PGD with an LPN at step 50 (far outside η < 1/‖AᵀA‖) and PnP-ADMM with an
    expanding denoiser blow up: SolverDiverged names the solver and the step."""
    from theorybook.training import SolverDiverged

    torch.manual_seed(0)
    model = ConvLPN(8, 1, 4, alpha=1.0).double()  # f ≈ identity + ∇(convex): not contracting
    op = GaussianBlur(8, 1.0)
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    y = op(x)
    with pytest.raises(SolverDiverged, match=r"PnP-PGD diverged at step \d+"):
        pnp_pgd(op, y, model, step=50.0, iters=200)
    with pytest.raises(SolverDiverged, match=r"PnP-ADMM diverged at step \d+"):
        pnp_admm(op, y, lambda v: 50.0 * v, rho=50.0, iters=200)
