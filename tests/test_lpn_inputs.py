"""Malformed inputs to theorybook.lpn get a clear TypeError/ValueError (or TrainingDiverged).

One row per malformed call: the callable, the exception it must raise and a fragment of the
message (the parameter's name), so an error is never silent or obscure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from theorybook import lpn
from theorybook.lpn import Config, data
from theorybook.lpn.config import Denoisers, Digits, Laplace, PnP, Timing
from theorybook.runtime import torch_threads
from theorybook.training import SolverDiverged, TrainingDiverged


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    with torch_threads(1):
        yield


def _op() -> lpn.GaussianBlur:
    return lpn.GaussianBlur(8, 1.0)


def _y() -> torch.Tensor:
    return _op()(torch.rand(2, 1, 8, 8, dtype=torch.float64))


def _lpn() -> lpn.ConvLPN:
    torch.manual_seed(0)
    return lpn.ConvLPN(8, 1, 4, alpha=0.01).double()


def _nan_y() -> torch.Tensor:
    y = _y()
    y[0, 0, 0, 0] = float("nan")
    return y


def _images() -> np.ndarray:
    return np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32)


def _bad_sampler_one() -> tuple[torch.Tensor]:
    return (torch.zeros(4, 1),)


def _bad_sampler_shapes() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(8), torch.zeros(8, 1)


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "l2 loss broadcast",
        lambda: lpn.loss_value("l2", torch.zeros(4, 1), torch.zeros(4)),
        TypeError,
        "target",
    ),
    (
        "l1 loss broadcast",
        lambda: lpn.loss_value("l1", torch.zeros(4, 1), torch.zeros(4)),
        TypeError,
        "target",
    ),
    (
        "unknown loss",
        lambda: lpn.loss_value("l3", torch.zeros(4), torch.zeros(4)),
        ValueError,
        "name",
    ),
    (
        "pm gamma nan",
        lambda: lpn.proximal_matching_loss(torch.zeros(2, 2), torch.zeros(2, 2), float("nan")),
        ValueError,
        "gamma",
    ),
    ("Stage lr str", lambda: lpn.Stage(10, "l2", "a"), TypeError, "Stage: lr"),
    (
        "Stage gamma inf",
        lambda: lpn.Stage(10, "pm", 1e-3, float("inf")),
        ValueError,
        "Stage: gamma",
    ),
    ("Stage gamma on l1", lambda: lpn.Stage(10, "l1", 1e-3, 0.1), ValueError, "gamma"),
    (
        "paper_schedule n_stages=0",
        lambda: lpn.paper_schedule(100, 0.1, n_stages=0),
        ValueError,
        "n_stages",
    ),
    ("paper_schedule gamma<0", lambda: lpn.paper_schedule(100, -0.1), ValueError, "gamma_min"),
    (
        "train_lpn sampler one value",
        lambda: lpn.train_lpn(lpn.LPN(1, 4, 2), _bad_sampler_one, [lpn.Stage(1, "l2", 1e-3)]),
        TypeError,
        "sampler",
    ),
    (
        "train_lpn sampler shapes",
        lambda: lpn.train_lpn(lpn.LPN(1, 4, 2), _bad_sampler_shapes, [lpn.Stage(1, "l2", 1e-3)]),
        ValueError,
        "shapes must match",
    ),
    (
        "train_lpn empty schedule",
        lambda: lpn.train_lpn(lpn.LPN(1, 4, 2), data.laplace_sampler(4), []),
        ValueError,
        "schedule",
    ),
    ("operator_norm iters=0", lambda: lpn.operator_norm(_op(), iters=0), ValueError, "iters"),
    ("operator_norm iters=-5", lambda: lpn.operator_norm(_op(), iters=-5), ValueError, "iters"),
    ("operator_norm not an op", lambda: lpn.operator_norm("op"), TypeError, "LinearOp"),
    ("pnp_pgd denoiser int", lambda: lpn.pnp_pgd(_op(), _y(), 5), TypeError, "denoiser"),
    (
        "pnp_pgd x_true shape",
        lambda: lpn.pnp_pgd(
            _op(),
            _y(),
            _lpn(),
            step=0.9,
            iters=2,
            x_true=torch.zeros(3, 1, 8, 8, dtype=torch.float64),
        ),
        TypeError,
        "x_true",
    ),
    ("pnp_pgd y NaN", lambda: lpn.pnp_pgd(_op(), _nan_y(), _lpn(), iters=2), ValueError, "y"),
    ("pnp_pgd iters=0", lambda: lpn.pnp_pgd(_op(), _y(), _lpn(), iters=0), ValueError, "iters"),
    ("pnp_admm rho=0", lambda: lpn.pnp_admm(_op(), _y(), _lpn(), rho=0.0), ValueError, "rho"),
    ("tikhonov lam=0", lambda: lpn.tikhonov(_op(), _y(), 0.0), ValueError, "lam"),
    ("tikhonov lam=-1", lambda: lpn.tikhonov(_op(), _y(), -1.0), ValueError, "lam"),
    (
        "image_metrics shape",
        lambda: lpn.image_metrics(np.zeros((2, 8, 8)), np.zeros((3, 8, 8))),
        TypeError,
        "x_true",
    ),
    ("image_metrics list", lambda: lpn.image_metrics([0.0], [0.0]), TypeError, "x_hat"),
    (
        "invert x NaN",
        lambda: lpn.invert(_lpn(), torch.full((1, 1, 8, 8), float("nan"), dtype=torch.float64)),
        ValueError,
        "x",
    ),
    (
        "invert tol NaN",
        lambda: lpn.invert(_lpn(), torch.zeros(1, 1, 8, 8, dtype=torch.float64), tol=float("nan")),
        ValueError,
        "tol",
    ),
    (
        "prior_at_output numpy",
        lambda: lpn.prior_at_output(_lpn(), np.zeros((1, 1, 8, 8))),
        TypeError,
        "y",
    ),
    ("soft_threshold NaN", lambda: lpn.soft_threshold(np.array([np.nan])), ValueError, "y"),
    ("soft_threshold list", lambda: lpn.soft_threshold([1.0]), TypeError, "y"),
    (
        "laplace n_grid=1",
        lambda: lpn.laplace_posterior_stats(np.array([1.0]), n_grid=1),
        ValueError,
        "n_grid",
    ),
    (
        "laplace n_grid=2",
        lambda: lpn.laplace_posterior_stats(np.array([1.0]), n_grid=2),
        ValueError,
        "n_grid",
    ),
    (
        "laplace half_width=0",
        lambda: lpn.laplace_posterior_stats(np.array([1.0]), half_width=0),
        ValueError,
        "half_width",
    ),
    ("laplace y NaN", lambda: lpn.laplace_posterior_stats(np.array([np.nan])), ValueError, "y"),
    (
        "laplace y beyond grid",
        lambda: lpn.laplace_posterior_stats(np.array([1e4])),
        ValueError,
        "half_width",
    ),
    ("PlainCNN beta=-1", lambda: lpn.PlainCNN(beta=-1), ValueError, "beta"),
    ("PlainCNN beta=0", lambda: lpn.PlainCNN(beta=0), ValueError, "beta"),
    (
        "CompressedSensing seed=-1",
        lambda: lpn.CompressedSensing(8, 10, seed=-1),
        ValueError,
        "seed",
    ),
    (
        "Config laplace.beta=-1",
        lambda: Config().replace(**{"laplace.beta": -1}),
        ValueError,
        "Laplace.beta",
    ),
    ("Denoisers noise<0", lambda: Denoisers(noise=-0.1), ValueError, "Denoisers.noise"),
    ("PnP blur_sigma=0", lambda: PnP(blur_sigma=0), ValueError, "PnP.blur_sigma"),
    ("PnP meas_noise<0", lambda: PnP(meas_noise=-1), ValueError, "PnP.meas_noise"),
    ("Config seed<0", lambda: Config(seed=-1), ValueError, "seed"),
    ("Laplace pm_lrs=0", lambda: Laplace(pm_lrs=(0, 0, 0, 0)), ValueError, "Laplace.pm_lrs"),
    ("Laplace gammas<0", lambda: Laplace(gammas=(-1, 1, 1, 1)), ValueError, "Laplace.gammas"),
    (
        "Laplace gammas/pm_lrs lengths",
        lambda: Laplace(gammas=(0.5, 0.1)),
        ValueError,
        "same length",
    ),
    (
        "Config n_test too big",
        lambda: Config(digits=Digits(n_test=2000)),
        ValueError,
        "digits.n_test",
    ),
    ("Denoisers alpha<0", lambda: Denoisers(alpha=-1.0), ValueError, "Denoisers.alpha"),
    ("Digits pad_to odd", lambda: Digits(pad_to=9), ValueError, "pad_to"),
    ("Timing warmup<0", lambda: Timing(warmup=-1), ValueError, "Timing.warmup"),
    ("Config block type", lambda: Config(pnp=Digits()), TypeError, "Config.pnp"),  # type: ignore[arg-type]
    (
        "Config replace unknown",
        lambda: Config().replace(**{"pnp.steps": 3}),
        TypeError,
        "steps",
    ),
    (
        "perturb level NaN",
        lambda: lpn.perturb(_images(), "noise", float("nan")),
        ValueError,
        "level",
    ),
    ("perturb mix level>1", lambda: lpn.perturb(_images(), "mix", 2.0), ValueError, "level"),
    ("perturb kind", lambda: lpn.perturb(_images(), "rotate", 0.1), ValueError, "kind"),
    ("perturb blur 1e300", lambda: lpn.perturb(_images(), "blur", 1e300), ValueError, "level"),
]


@pytest.mark.parametrize(("label", "call", "error", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_malformed_input_gets_a_clear_error(
    label: str, call: Callable[[], object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        call()


def test_numpy_scalars_are_accepted() -> None:
    lpn.GaussianBlur(8, np.float32(1.0))
    lpn.CompressedSensing(np.int64(8), np.int64(10), seed=np.int64(3))
    lpn.Stage(np.int64(5), "pm", np.float32(1e-3), np.float64(0.2))
    assert Config(seed=np.int64(3), laplace=Laplace(beta=np.float32(5.0))).seed == 3
    assert lpn.operator_norm(lpn.GaussianBlur(8, 1.0), iters=np.int64(20)) == pytest.approx(1.0)
    val = lpn.proximal_matching_loss(torch.zeros(2, 2), torch.ones(2, 2), np.float32(1.0))
    assert 0 < float(val) < 1


def test_image_metrics_accepts_numpy() -> None:
    x = _images()
    psnr, ssim = lpn.image_metrics(0.9 * x, x)
    assert psnr.shape == ssim.shape == (2,) and np.all(np.isfinite(psnr))


def test_divergent_pnp_names_the_iteration() -> None:
    with pytest.raises(SolverDiverged, match="PnP-PGD diverged at step 1"):
        lpn.pnp_pgd(_op(), _y(), lambda v: v * float("inf"), step=0.9, iters=3)
    with pytest.raises(SolverDiverged, match="PnP-PGD diverged at step"):
        lpn.pnp_pgd(_op(), _y(), lambda v: 1e200 * v, step=1e6, iters=20)
    with pytest.raises(SolverDiverged, match="PnP-ADMM diverged at step 1"):
        lpn.pnp_admm(_op(), _y(), lambda v: v * float("inf"), rho=1.0, iters=3)


def test_training_names_the_first_bad_step() -> None:
    torch.manual_seed(0)
    model = lpn.LPN(1, 4, 2)
    with pytest.raises(TrainingDiverged, match="step 1.*nan"):
        lpn.train_lpn(
            model,
            lambda: (torch.zeros(4, 1), torch.full((4, 1), float("nan"))),
            [lpn.Stage(3, "l2", 1e-3)],
        )


def test_negative_control_nonconvex_lpn_fails_psd_and_exact_prox() -> None:
    """A 'LPN' whose hidden weights turned negative is no longer a prox: the exact checks of the
    chapter catch it (they are not vacuous)."""
    torch.manual_seed(0)
    model = lpn.LPN(1, 16, 3, alpha=0.0)
    with torch.no_grad():
        model.out.weight.copy_(-model.out.weight.abs() - 1.0)
    assert not model.is_convex()
    rep = lpn.jacobian_report(model, torch.linspace(-3, 3, 25).reshape(-1, 1))
    assert rep.asymmetry < 1e-10  # symmetric anyway: a Hessian is symmetric for any ψ
    assert rep.lambda_min < -1e-3  # ... but not PSD
    err, gap = lpn.prox_grid_check(model, torch.linspace(-3, 3, 61))
    assert err / gap > 2.0  # and f is not the prox of the R it defines


def test_inversion_without_a_preimage_names_the_lbfgs_iteration() -> None:
    """An α = 0 LPN is bounded, so x far outside its range has no pre-image: the objective
    ψ_θ(y) − ⟨x, y⟩ is unbounded below and the L-BFGS iterates run off. Every point L-BFGS
    evaluates is checked, so this stops naming the iteration instead of returning NaN."""
    torch.manual_seed(0)
    model = lpn.LPN(1, 8, 2, alpha=0.0).double()
    far = torch.full((3, 1), 1e3, dtype=torch.float64)
    with pytest.raises(SolverDiverged, match=r"invert \(L-BFGS, chunk 0\) diverged at step \d+"):
        lpn.invert(model, far, max_iter=200)
    with pytest.raises(SolverDiverged, match=r"invert \(L-BFGS, chunk 0\) diverged at step \d+"):
        lpn.learned_prior(model, far, max_iter=200)
    # in the range, the same model inverts (the check does not stop a convergent run)
    inside = model(torch.linspace(-1, 1, 5, dtype=torch.float64).reshape(-1, 1)).detach()
    assert float(lpn.invert(model, inside, max_iter=200).residual.max()) < 1e-6


def test_networks_get_inputs_they_can_take() -> None:
    """An input of another dtype or shape than a network takes gets an error naming the
    argument (not torch's 'mat1 and mat2' from inside the network)."""
    model = _lpn()
    with pytest.raises(TypeError, match="x has dtype torch.float32"):
        lpn.invert(model, torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="y does not fit the model"):
        lpn.prior_at_output(model, torch.zeros(2, 1, 4, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="points does not fit the model"):
        lpn.jacobian_report(lpn.LPN(2, 4, 2), torch.zeros(3, 1))
    with pytest.raises(TypeError, match="images Aᵀy of y"):
        lpn.pnp_pgd(_op(), _y().float(), model, iters=2)
    with pytest.raises(TypeError, match="sampler"):
        lpn.train_lpn(
            lpn.LPN(1, 4, 2).double(),
            lambda: (torch.zeros(4, 1), torch.zeros(4, 1)),
            [lpn.Stage(2, "l2", 1e-3)],
        )
    with pytest.raises(ValueError, match=r"x \(cut into patch × patch windows\)"):
        lpn.patch_average(lpn.ConvLPN(8, 1, 4), torch.zeros(1, 1, 8, 8), patch=4)
    with pytest.raises(TypeError, match="denoiser must map"):
        lpn.pnp_pgd(_op(), _y(), lambda v: v[:, 0], iters=2)
    with pytest.raises(TypeError, match="fn cannot be applied to image"):
        lpn.jacobian_asymmetry(_lpn(), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="y must hold measurements of CompressedSensing"):
        lpn.tikhonov(lpn.CompressedSensing(8, 10), _y(), 0.1)
    with pytest.raises(ValueError, match="x0 must hold images of GaussianBlur"):
        lpn.pnp_admm(_op(), _y(), _lpn(), x0=torch.zeros(2, 1, 4, 4, dtype=torch.float64))


def test_forward_names_an_input_of_another_dtype() -> None:
    """Every network's forward (and potential) refuses a float64 batch when its weights are
    float32 with a TypeError naming the input, not torch's 'mat1 and mat2'; the abstract base
    says which subclasses to use."""
    torch.manual_seed(0)
    nets: list[tuple[torch.nn.Module, tuple[int, ...]]] = [
        (lpn.LPN(1, 8, 2), (4, 1)),
        (lpn.ConvLPN(8, 1, 4), (2, 1, 8, 8)),
        (lpn.PlainCNN(1, 4, 2), (2, 1, 8, 8)),
        (lpn.PatchLPN(lpn.ConvLPN(4, 1, 4), stride=2), (1, 1, 8, 8)),
    ]
    for net, shape in nets:
        x = torch.randn(*shape, dtype=torch.float64)
        with pytest.raises(TypeError, match=r"y has dtype torch.float64 .* torch.float32"):
            net(x)
        if isinstance(net, lpn.ConvexPotentialNet):
            with pytest.raises(TypeError, match=r"y has dtype torch.float64"):
                net.potential(x)
        assert net(x.float()).shape == shape
    for call in (
        lambda: lpn.ConvexPotentialNet()(torch.randn(4, 1)),
        lambda: lpn.ConvexPotentialNet().potential(torch.randn(4, 1)),
        lambda: lpn.ConvexPotentialNet().project_(),
    ):
        with pytest.raises(
            NotImplementedError, match=r"abstract base .* LPN .* ConvLPN .*PatchLPN"
        ):
            call()


def test_bounded_loss_with_exploding_weights_stops() -> None:
    """Proximal matching's loss is at most 1, so at a learning rate of 1e7 it stays bounded
    while the weights run off (to ~6e7 in 100 steps): train_lpn watches the parameters and
    stops with TrainingDiverged naming the run and the step."""
    torch.manual_seed(0)

    def sampler() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(16, 1)
        return x, x + 0.1 * torch.randn_like(x)

    with pytest.raises(TrainingDiverged, match=r"Laplace PM diverged at step \d+: a weight"):
        lpn.train_lpn(
            lpn.LPN(1, 8, 2), sampler, [lpn.Stage(100, "pm", 1e7, 0.5)], desc="Laplace PM"
        )


def test_degenerate_limits_are_handled() -> None:
    pred, target = torch.ones(3, 2), torch.zeros(3, 2)
    target[0] = 1.0  # sample 0 exact
    for gamma in (1e-30, 1e-200):  # γ² underflows in float32: the γ → 0 limit, 2 of 3 samples
        assert float(lpn.proximal_matching_loss(pred, target, gamma)) == pytest.approx(2 / 3)
    assert float(lpn.proximal_matching_loss(pred.double(), target.double(), 1e-200)) == (
        pytest.approx(2 / 3)
    )
    assert float(lpn.proximal_matching_loss(pred, target, 1e200)) == 0.0  # γ² = inf: 0
    assert float(lpn.loss_value("pm", pred, target, 1e-30)) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="n_stages"):
        lpn.paper_schedule(4000, 1e300, n_stages=40)
    assert lpn.paper_schedule(4000, 1e-300, n_stages=20)[1].gamma == pytest.approx(1e-300 * 2**19)
    with np.errstate(all="raise"):  # σ → 0: a unit impulse, without an overflow warning
        blur = lpn.GaussianBlur(8, 1e-200)
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    assert torch.allclose(blur(x), x)
    assert torch.allclose(lpn.GaussianBlur(8, 1e200)(x), x.mean().expand_as(x))
    assert lpn.operator_norm(_ZeroOp()) == 0.0
    with pytest.raises(ValueError, match="n_grid"):
        lpn.laplace_posterior_stats(np.array([0.0]), sigma=1e-200, half_width=30.0)


class _ZeroOp(lpn.LinearOp):
    """A = 0: the power iteration reaches the zero vector at once."""

    n = 4
    measurement_shape = (1, 4, 4)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(y)
