"""Chapter 7 (theorybook.nde), PyTorch side: the regularized torchdiffeq solve, claims 1-3, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchdiffeq import odeint

from theorybook.nde import (
    Config,
    SolverError,
    dopri5_stability_size,
    make_circles_data,
    make_spirals,
    stability_size,
)
from theorybook.nde.latent import LatentODE, train_latent_ode
from theorybook.nde.solver_torch import regularized_odeint
from theorybook.nde.train_torch import NODEClassifier, ODEFunc, lambda_schedule, train_node
from theorybook.runtime import torch_threads
from theorybook.training import SolverDiverged, TrainingDiverged

DOPRI5_STABILITY_SIZE = dopri5_stability_size()

T01 = torch.tensor([0.0, 1.0], dtype=torch.float64)


@pytest.fixture
def mlp() -> ODEFunc:
    torch.manual_seed(0)
    return ODEFunc(2, 16)


@pytest.fixture
def x() -> torch.Tensor:
    return torch.from_numpy(make_circles_data(32, 4).x_train)


def test_config_presets_and_validation() -> None:
    for s in ("smoke", "book", "paper"):
        assert isinstance(Config.preset(s), Config)
    with pytest.raises(ValueError):
        Config.preset("smoke").replace(**{"classifier.epochs": 0})
    with pytest.raises(ValueError):
        Config.preset("smoke").replace(**{"regularizers.steer_b": 1.5})
    with pytest.raises(ValueError):
        Config.preset("smoke").replace(**{"jax.methods": ("vanilla",)})


def test_stability_size_matches_known_values() -> None:
    # Forward Euler: |1 + z| <= 1 on [-2, 0]; classical RK4: about 2.785.
    assert stability_size(np.zeros((1, 1)), np.ones(1)) == pytest.approx(2.0, abs=1e-6)
    a = np.zeros((4, 4))
    a[1, 0], a[2, 1], a[3, 2] = 0.5, 0.5, 1.0
    assert stability_size(a, np.array([1, 2, 2, 1]) / 6) == pytest.approx(2.7853, abs=1e-3)
    assert DOPRI5_STABILITY_SIZE == pytest.approx(3.3066, abs=1e-3)


def test_claim1_recording_costs_no_extra_nfe(mlp: ODEFunc, x: torch.Tensor) -> None:
    calls = [0]

    def counted(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return mlp(t, y)

    with torch.no_grad():
        plain = odeint(
            counted, x, T01, rtol=1e-5, atol=1e-5, method="dopri5", options={"step_t": T01[-1:]}
        )
    sol, st = regularized_odeint(mlp, x, T01, rtol=1e-5, atol=1e-5, land_on_end=True)
    assert st.nfe == calls[0]
    # dopri5 is FSAL: 2 evaluations to start (f0 and the initial-step probe), 6 per attempted step.
    assert st.nfe == 2 + 6 * st.num_steps
    assert st.num_steps == st.num_accepted + st.num_rejected
    torch.testing.assert_close(sol.detach(), plain)


def test_claim2_error_bounded_and_gradient_flows(mlp: ODEFunc, x: torch.Tensor) -> None:
    _, st = regularized_odeint(
        mlp,
        3 * x,
        torch.tensor([0.0, 2.0], dtype=torch.float64),
        rtol=1e-4,
        atol=1e-4,
        land_on_end=True,
    )
    assert st.step_errors.max() <= 1.0
    assert float(st.step_sizes.sum()) == pytest.approx(2.0, rel=1e-12)  # lands on t1
    assert float(st.error_estimate.detach()) <= 2.0
    assert float(st.error_estimate.detach()) == pytest.approx(
        float((st.step_errors * st.step_sizes).sum()), rel=1e-6
    )
    st.error_estimate.backward()
    g = torch.cat([p.grad.flatten() for p in mlp.parameters() if p.grad is not None])
    assert float(g.norm()) > 0


def test_claim2_stiffness_gradient(mlp: ODEFunc, x: torch.Tensor) -> None:
    _, st = regularized_odeint(mlp, x, T01, rtol=1e-5, atol=1e-5, land_on_end=True)
    st.stiffness_estimate.backward()
    grads = [p.grad.flatten() for p in mlp.parameters() if p.grad is not None]
    assert float(torch.cat(grads).norm()) > 0


def test_solve_without_stiffness_is_the_same_solve(mlp: ODEFunc, x: torch.Tensor) -> None:
    # The trainers of the methods without R_S skip it: same steps, solution, R_E and gradient.
    from theorybook.nde.solver_torch import _regularized_odeint

    kw = dict(rtol=1e-5, atol=1e-5, land_on_end=True)
    ys, st = _regularized_odeint(mlp, x, T01, **kw)
    (g,) = torch.autograd.grad(st.error_estimate, [mlp.net[2].weight])
    ys_off, off = _regularized_odeint(mlp, x, T01, stiffness=False, **kw)
    (g_off,) = torch.autograd.grad(off.error_estimate, [mlp.net[2].weight])
    assert (off.nfe, off.num_steps) == (st.nfe, st.num_steps)
    assert torch.equal(ys_off, ys) and torch.equal(off.error_estimate, st.error_estimate)
    assert torch.equal(g_off, g)
    assert off.stiffness_estimate is None and off.step_stiffness is None
    with pytest.raises(ValueError, match="no stiffness estimate"):
        off.stiffness()


def test_encoder_update_where_observed_is_the_masked_blend() -> None:
    # The GRU encoder keeps h where a point is unobserved: in one `where` for a 0/1 mask, which
    # must give the blend m·GRU(x, h) + (1 − m)·h bit for bit (values and gradients), and the
    # blend itself for a mask with other values. The encoder calls the GRU cell's operation
    # directly on per-time views; the reference below goes through the nn.GRUCell module.
    d = make_spirals(8, 4, n_times=10, seed=1)
    torch.manual_seed(0)
    lat = LatentODE(hidden=8)
    t, xs = torch.from_numpy(d.t), torch.from_numpy(d.x_train)

    def blend(mask: torch.Tensor) -> torch.Tensor:
        h = xs.new_zeros(xs.shape[0], lat.hidden)
        dts = torch.cat([t[1:] - t[:-1], t.new_zeros(1)])
        for i in range(t.shape[0] - 1, -1, -1):
            m = mask[:, i : i + 1]
            inp = torch.cat([xs[:, i] * m, m.expand(-1, 2), dts[i].expand(xs.shape[0], 1)], -1)
            h = m * lat.gru(inp, h) + (1 - m) * h
        return torch.cat(lat.to_q(h).chunk(2, -1), -1)

    for mask in (torch.from_numpy(d.mask_train), 0.5 * torch.from_numpy(d.mask_train)):
        got = torch.cat(lat.encode(t, xs, mask), -1)
        want = blend(mask)
        assert torch.equal(got, want)
        g_got = torch.autograd.grad(got.square().sum(), list(lat.gru.parameters()))
        g_want = torch.autograd.grad(want.square().sum(), list(lat.gru.parameters()))
        assert all(torch.equal(a, b) for a, b in zip(g_got, g_want, strict=True))


def test_claim3_stiffness_estimate_exact_for_linear_system() -> None:
    a = torch.diag(torch.tensor([-1.0, -100.0], dtype=torch.float64))
    _, s1 = regularized_odeint(
        lambda t, y: y @ a,
        torch.tensor([[0.0, 1.0]], dtype=torch.float64),
        T01,
        rtol=1e-6,
        atol=1e-6,
        land_on_end=True,
    )
    np.testing.assert_allclose(s1.step_stiffness.numpy(), 100.0, rtol=1e-8)
    _, s2 = regularized_odeint(
        lambda t, y: y @ a,
        torch.tensor([[1.0, 1.0]], dtype=torch.float64),
        T01,
        rtol=1e-6,
        atol=1e-6,
        land_on_end=True,
    )
    rho = s2.step_stiffness.numpy()
    assert rho.min() >= 1 - 1e-9 and rho.max() <= 100 * (1 + 1e-9)
    assert rho.min() < 99  # the mixed start really is mixed
    # R_S = Σ h ρ / s_stab and its maximum.
    assert float(s1.stiffness_estimate) == pytest.approx(100.0 / DOPRI5_STABILITY_SIZE, rel=1e-8)
    assert float(s1.stiffness_max) == pytest.approx(100.0 / DOPRI5_STABILITY_SIZE, rel=1e-8)


@pytest.mark.parametrize("method", ["dopri5", "bosh3", "fehlberg2", "adaptive_heun", "dopri8"])
def test_every_adaptive_method_matches_a_plain_solve(
    method: str, mlp: ODEFunc, x: torch.Tensor
) -> None:
    from theorybook.nde.solver_torch import STIFFNESS_METHODS

    calls = [0]

    def counted(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return mlp(t, y)

    t = torch.tensor([0.0, 0.5, 1.5], dtype=torch.float64)
    kw = {"rtol": 1e-4, "atol": 1e-4, "method": method}
    with torch.no_grad():
        plain = odeint(counted, 2 * x, t, **kw)  # type: ignore[arg-type]
        sol, st = regularized_odeint(mlp, 2 * x, t, land_on_end=False, **kw)  # type: ignore[arg-type]
    # Same steps, same solution, no extra evaluation of the vector field.
    assert st.nfe == calls[0]
    torch.testing.assert_close(sol, plain, rtol=0, atol=0)
    assert st.num_steps == st.num_accepted + st.num_rejected and st.num_accepted >= 2
    assert bool((st.step_errors <= 1.0).all())
    assert float(st.error_estimate) == pytest.approx(
        float((st.step_errors * st.step_sizes).sum()), rel=1e-12
    )
    if method in STIFFNESS_METHODS:
        assert st.stiffness_estimate is not None and float(st.stiffness_estimate) > 0
        # Σ h ρ / s_stab lies between (min h) and (Σ h) times max ρ / s_stab.
        s_max, hs = float(st.stiffness("max")), st.step_sizes
        assert float(st.stiffness()) <= float(hs.sum()) * s_max * (1 + 1e-9)
        assert float(st.stiffness()) >= float(hs.min()) * s_max * (1 - 1e-9)
    else:
        assert st.stiffness_estimate is None and st.stiffness_max is None
        with pytest.raises(ValueError, match="no stiffness"):
            st.stiffness()


def test_dopri8_stiffness_estimate_exact_for_linear_system() -> None:
    from theorybook.nde.solver_torch import method_stability_size

    a = torch.diag(torch.tensor([-1.0, -100.0], dtype=torch.float64))
    y0 = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    _, st = regularized_odeint(lambda t, y: y @ a, y0, T01, method="dopri8", rtol=1e-6, atol=1e-6)
    assert st.step_stiffness is not None
    np.testing.assert_allclose(st.step_stiffness.numpy(), 100.0, rtol=1e-8)
    s8 = method_stability_size("dopri8")
    assert s8 > DOPRI5_STABILITY_SIZE  # DOP853's real stability interval is longer
    assert float(st.stiffness("max")) == pytest.approx(100.0 / s8, rel=1e-8)
    assert method_stability_size("dopri5") == DOPRI5_STABILITY_SIZE
    with pytest.raises(ValueError):
        st.stiffness("mean")


def test_input_validation(mlp: ODEFunc, x: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="adjoint"):
        regularized_odeint(mlp, x, T01, adjoint=True)
    with pytest.raises(ValueError, match="method must be one of"):  # rk4: no error estimate
        regularized_odeint(mlp, x, T01, method="rk4")
    with pytest.raises(ValueError, match="method"):
        regularized_odeint(mlp, x, T01, method="dopri7")
    with pytest.raises(ValueError, match="increasing"):  # decreasing is allowed, not both
        regularized_odeint(mlp, x, torch.tensor([0.0, 1.0, 0.5]))
    with pytest.raises(TypeError):
        regularized_odeint(mlp, x.long(), T01)
    with pytest.raises(ValueError, match="norm"):
        regularized_odeint(mlp, x, T01, options={"norm": lambda v: v.abs().max()})
    with pytest.raises(ValueError):
        regularized_odeint(mlp, x, T01, rtol=0.0)


def test_lambda_schedule() -> None:
    assert lambda_schedule(0, 10, 100.0, 10.0) == pytest.approx(100.0)
    assert lambda_schedule(10, 10, 100.0, 10.0) == pytest.approx(10.0)
    assert lambda_schedule(5, 10, 100.0, 10.0) == pytest.approx(np.sqrt(1000.0))
    assert lambda_schedule(3, 10, 0.1, 0.1) == 0.1
    with pytest.raises(ValueError):
        lambda_schedule(0, 0, 1.0, 1.0)


@torch_threads(1)
def test_history_reg_is_each_methods_own_quantity() -> None:
    # Full batch: epoch 0 logs the regularizer of the initial model, rebuilt here from the seed.
    from theorybook.runtime import seed_everything

    d = make_circles_data(48, 8)
    seed_everything(3)
    model = NODEClassifier(d.dim, 8, 2, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        _, st = model(torch.from_numpy(d.x_train).float())
    r_e, r_s, r_max = float(st.error_estimate), float(st.stiffness()), float(st.stiffness("max"))
    logged = {
        (m, form): train_node(
            d, m, lam0=1e-6 if m == "srnode" else 0.0, epochs=1, hidden=8, seed=3,
            stiffness=form,
        ).history["reg"][0]
        for m, form in (("vanilla", "integral"), ("steer", "integral"), ("srnode", "integral"),
                        ("srnode", "max"))
    }  # fmt: skip
    assert logged["vanilla", "integral"] == pytest.approx(r_e, rel=1e-2)
    assert logged["srnode", "integral"] == pytest.approx(r_s, rel=1e-2)
    assert logged["srnode", "max"] == pytest.approx(r_max, rel=1e-2)
    assert not 0.5 < r_s / r_e < 2  # the two quantities differ, so the test can fail
    # STEER solves to a random end time: its R_E is of the same kind, not R_S.
    assert not 0.5 < logged["steer", "integral"] / r_s < 2
    with pytest.raises(ValueError, match="stiffness"):
        train_node(d, "srnode", lam0=1.0, epochs=1, stiffness="mean")


@torch_threads(1)
def test_train_node_history_and_regularizer_effect() -> None:
    d = make_circles_data(64, 64)
    v = train_node(d, "vanilla", epochs=12, hidden=16, lr=1e-2)
    e = train_node(d, "ernode", lam0=10.0, epochs=12, hidden=16, lr=1e-2)
    for r in (v, e):
        assert len(r.history["loss"]) == 12 and len(r.history["nfe"]) == 12
        assert np.all(np.diff(r.history["wall"]) > 0)
        assert 0.0 <= r.test_acc <= 1.0 and r.test_nfe >= 8
    # A strong error penalty makes the learned dynamics cheaper to solve; both histories log R_E.
    assert e.history["reg"][-1] < v.history["reg"][-1]
    assert e.test_nfe <= v.test_nfe
    with pytest.raises(ValueError):
        train_node(d, "taynode")
    with pytest.raises(ValueError):
        train_node(d, "ernode", lam0=0.0)


def test_training_divergence_is_reported() -> None:
    d = make_circles_data(16, 8)
    with pytest.raises(ValueError, match="'x_train' contains NaN"):  # refused before training
        type(d)(d.name, d.x_train * np.float32(np.nan), d.y_train, d.x_test, d.y_test)


def test_spirals_and_latent_ode() -> None:
    d = make_spirals(12, 6, n_times=10, seed=3)
    assert d.x_train.shape == (12, 10, 2) and d.mask_test.shape == (6, 10)
    assert np.all(np.diff(d.t) >= 0) and d.t[0] == 0.0
    assert np.all(d.mask_train[:, 0] == 1)
    with torch_threads(1):
        r = train_latent_ode(d, "ernode", lam0=1.0, epochs=2, batch_size=6, hidden=8)
    assert len(r.history["loss"]) == 2 and np.all(np.isfinite(r.history["loss"]))
    assert r.test_nfe >= 8 and r.test_mse >= 0
    out = r.model.reconstruct(
        torch.from_numpy(d.t),
        torch.from_numpy(d.x_test),
        torch.from_numpy(d.mask_test),
        torch.linspace(0, float(d.t[-1]), 7),
    )
    assert out.shape == (6, 7, 2)
    with pytest.raises(ValueError):
        train_latent_ode(d, "srnode")
    with pytest.raises(ValueError):
        make_spirals(12, 6, obs_frac=0.0)


def test_zero_dynamics_give_finite_gradients() -> None:
    # A field that is exactly zero at the start has E_j = 0 and y_j - g6 = 0: gradients stay finite.
    w = torch.zeros(2, 2, requires_grad=True)
    _, st = regularized_odeint(lambda t, y: y @ w, torch.ones(3, 2), T01)
    (st.error_estimate + st.stiffness_estimate).backward()
    assert w.grad is not None and torch.isfinite(w.grad).all()


def test_dopri5_tableau_matches_torchdiffeq() -> None:
    from torchdiffeq._impl.dopri5 import _DORMAND_PRINCE_SHAMPINE_TABLEAU as tab

    from theorybook.nde.stability import DOPRI5_A, DOPRI5_B

    for i, row in enumerate(tab.beta):
        np.testing.assert_allclose(DOPRI5_A[i + 1, : len(row)], row.numpy(), rtol=1e-15)
    np.testing.assert_allclose(DOPRI5_B, tab.c_sol.numpy(), rtol=1e-15)


def _modules_after_import(module: str) -> set[str]:
    import subprocess
    import sys

    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "module",
    [
        "theorybook.nde",
        "theorybook.nde.solver_jax",
        "theorybook.nde.train_jax",
        "theorybook.nde.sde",
        "theorybook.nde.stability",
        "theorybook.nde.data",
    ],
)
def test_jax_side_and_package_import_no_torch(module: str) -> None:
    assert "torch" not in _modules_after_import(module)


def test_torch_side_imports_no_torchdiffeq_at_import_time() -> None:
    mods = _modules_after_import("theorybook.nde.solver_torch")
    assert not any(m.startswith("torchdiffeq") for m in mods)


def test_bad_inputs_give_clear_errors(mlp: ODEFunc, x: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="shape of y"):
        regularized_odeint(lambda t, y: y[:, :1], x, T01)
    with pytest.raises(ValueError, match="'y0' contains NaN"):
        regularized_odeint(mlp, torch.tensor([[float("nan"), 1.0]]), T01)
    with pytest.raises(ValueError, match="rtol"):
        regularized_odeint(mlp, x, T01, rtol=float("nan"))
    with pytest.raises(ValueError, match="max_num_steps"):
        regularized_odeint(mlp, x, T01, options={"max_num_steps": 0})
    with pytest.raises(ValueError, match="noise"):
        make_circles_data(8, 8, noise=-1)
    with pytest.raises(TypeError, match="n_train"):
        make_circles_data(8.5, 8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hidden"):
        ODEFunc(2, -1)
    model = NODEClassifier(2, 8, 2)
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        model(torch.ones(3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model(torch.ones(3, 5))
    with pytest.raises(ValueError, match="latent"):
        LatentODE(latent=-1)
    lat = LatentODE()
    spirals = make_spirals(4, 2, n_times=5)
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        lat.encode(
            torch.from_numpy(spirals.t),
            torch.from_numpy(spirals.x_train).double(),
            torch.from_numpy(spirals.mask_train),
        )
    with pytest.raises(TypeError, match="epoch"):
        lambda_schedule(0.5, 10, 1.0, 1.0)  # type: ignore[arg-type]


def test_blow_up_and_step_cap_raise_solver_error() -> None:
    with pytest.raises(SolverError, match="underflow|non-finite"):
        regularized_odeint(lambda t, y: y**2, torch.tensor([[10.0]]), T01)
    with pytest.raises(SolverError, match="max_num_steps=3"):
        regularized_odeint(
            lambda t, y: -50 * y, torch.ones(1, 2), T01, options={"max_num_steps": 3}
        )


def test_train_node_bad_arguments() -> None:
    d = make_circles_data(16, 8)
    kw: dict[str, object] = dict(epochs=1, hidden=4)
    for bad, err in (
        (dict(batch_size=0), ValueError),
        (dict(batch_size=-5), ValueError),
        (dict(torch_device="bogus"), ValueError),
        (dict(lam0=-5.0), ValueError),
        (dict(lam0=1.0), ValueError),  # a regularizer weight for vanilla would be ignored
        (dict(lr=float("nan")), ValueError),
        (dict(dtype="float16"), ValueError),
    ):
        with pytest.raises(err):
            train_node(d, "vanilla", **{**kw, **bad})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="epochs"):
        train_node(d, epochs=2.5, hidden=4)  # type: ignore[arg-type]
    short = type(d)(d.name, d.x_train, d.y_train, d.x_test, d.y_test)
    with pytest.raises(TypeError, match="'y_train'"):  # as many labels as points
        type(d)(d.name, d.x_train, d.y_train[:5], d.x_test, d.y_test)
    assert short.dim == 2
    spirals = make_spirals(6, 4, n_times=6)
    with pytest.raises(ValueError, match="latent"):
        train_latent_ode(spirals, latent=0, epochs=1, batch_size=3, hidden=4)
    with pytest.raises(ValueError, match="lam0"):
        train_latent_ode(spirals, "vanilla", lam0=1.0, epochs=1)


@torch_threads(1)
def test_large_learning_rate_stops_with_training_diverged() -> None:
    d = make_circles_data(32, 32)
    with pytest.raises(TrainingDiverged, match="step"):
        train_node(d, epochs=5, lr=1e3, hidden=64, max_num_steps=200)


@torch_threads(1)
@pytest.mark.parametrize("method", ["vanilla", "ernode", "steer", "taynode"])
def test_every_torch_trainer_diverges_loudly_at_a_huge_learning_rate(method: str) -> None:
    """lr = 1e8: the classifier and the latent ODE stop with TrainingDiverged naming the step."""
    lam = {"vanilla": 0.0, "steer": 0.0, "ernode": 0.1, "taynode": 0.01}[method]
    d = make_circles_data(32, 8)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_node(d, method, lam0=lam, epochs=20, lr=1e8, hidden=16, max_num_steps=200)
    spirals = make_spirals(8, 4, n_times=6, seed=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_latent_ode(
            spirals, method, lam0=lam, epochs=20, batch_size=4, hidden=8, lr=1e8, max_num_steps=200
        )


def test_solver_with_a_huge_step_raises_solver_diverged_naming_the_step() -> None:
    """A first step far too large on blow-up dynamics: SolverDiverged naming the step."""
    with pytest.raises(SolverDiverged, match=r"diverged at step \d+"):
        regularized_odeint(
            lambda t, y: y**2, torch.tensor([[10.0]]), T01, options={"first_step": 1e6}
        )


def test_config_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="noise"):
        Config.preset("smoke").replace(**{"classifier.noise": float("nan")})
    with pytest.raises(ValueError, match="torch_device"):
        Config.preset("smoke").replace(torch_device="bogus")
    with pytest.raises(ValueError, match="seeds"):
        Config.preset("smoke").replace(seeds=(0,))
    with pytest.raises(TypeError, match="epochs"):
        Config.preset("smoke").replace(**{"classifier.epochs": 2.5})


@pytest.mark.paper_preset
def test_paper_preset_builds_and_steps() -> None:
    """The paper preset's models at paper size take one optimisation step each on the CPU."""
    from theorybook.nde.data import make_digits_data
    from theorybook.nde.train_torch import DTYPES

    cfg = Config.preset("paper")
    cfg.validate()
    c, dg = cfg.classifier, cfg.digits
    circles = make_circles_data(c.n_train, c.n_test, noise=c.noise, seed=cfg.seed)
    digits = make_digits_data(dg.n_test, seed=cfg.seed)
    spirals = make_spirals(cfg.latent.n_train, cfg.latent.n_test, seed=cfg.seed)
    assert len(circles.x_train) == c.n_train and digits.dim == 64
    with torch_threads(1):
        for data, hidden, tol, dtype, bs in (
            (circles, c.hidden, cfg.rtol, c.dtype, None),
            (digits, dg.hidden, dg.rtol, dg.dtype, dg.batch_size),
        ):
            tdt = DTYPES[dtype]
            model = NODEClassifier(data.dim, hidden, data.n_classes, rtol=tol, atol=tol).to(tdt)
            opt = torch.optim.Adam(model.parameters(), lr=c.lr)
            xb = torch.from_numpy(data.x_train[:bs]).to(tdt)
            logits, st = model(xb)
            loss = torch.nn.functional.cross_entropy(
                logits, torch.from_numpy(data.y_train[:bs])
            ) + c.lam_error * st.error_estimate.to(tdt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            assert torch.isfinite(loss)
        lat = LatentODE()
        opt = torch.optim.Adam(lat.parameters(), lr=1e-2)
        t = torch.from_numpy(spirals.t)
        xh, mu, logvar, st = lat(
            t, torch.from_numpy(spirals.x_train[:50]), torch.from_numpy(spirals.mask_train[:50])
        )
        loss = ((xh - torch.from_numpy(spirals.x_train[:50])) ** 2).mean() + st.error_estimate
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss)


def test_moons_data_overlap_and_validation() -> None:
    from theorybook.nde.data import make_moons_data

    d = make_moons_data(200, 100, seed=3)
    assert d.name == "moons" and d.x_train.shape == (200, 2) and d.x_test.dtype == np.float32
    assert set(np.unique(d.y_train)) == {0, 1}
    again = make_moons_data(200, 100, seed=3)
    np.testing.assert_array_equal(d.x_train, again.x_train)
    # Noise 0.3 makes the classes overlap: the best linear-free rule (1-NN on the training set)
    # misclassifies some test points, which a separable problem would not.
    dist = ((d.x_test[:, None, :] - d.x_train[None, :, :]) ** 2).sum(-1)
    nn_acc = float((d.y_train[dist.argmin(1)] == d.y_test).mean())
    assert nn_acc < 0.97
    with pytest.raises(ValueError, match="noise"):
        make_moons_data(10, 10, noise=-1.0)
    with pytest.raises(ValueError, match="n_train"):
        make_moons_data(2, 10)


def test_taynode_second_derivative_on_a_linear_field() -> None:
    from theorybook.nde.taynode_torch import TaylorAugmentedField, second_time_derivative

    a = torch.tensor([[-0.5, 2.0], [-2.0, -0.5]], dtype=torch.float64)
    b = torch.tensor([0.3, -0.1], dtype=torch.float64)

    def lin(t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return z @ a.T + t * b  # z'' = A f + b

    z = torch.randn(5, 2, dtype=torch.float64)
    t = torch.tensor(0.7, dtype=torch.float64)
    f, d2 = second_time_derivative(lin, t, z)
    torch.testing.assert_close(d2, f @ a.T + b)
    # The augmented field integrates ||z''||^2 in its last column; gradients reach the field.
    torch.manual_seed(0)
    func = ODEFunc(2, 8).double()
    aug = TaylorAugmentedField(func)
    state = torch.cat([z, torch.zeros(5, 1, dtype=torch.float64)], -1)
    out = aug(t, state)
    _, d2f = second_time_derivative(func, t, z)
    torch.testing.assert_close(out[:, -1], d2f.pow(2).sum(-1))
    out[:, -1].sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in func.parameters())
    with pytest.raises(TypeError):
        second_time_derivative(lin, t, z.numpy())  # type: ignore[arg-type]


def test_combined_and_taynode_methods_train() -> None:
    data = make_circles_data(32, 16, seed=0)
    kw = dict(epochs=2, hidden=8)
    both = train_node(data, "ernode+srnode", lam0=0.1, lam_stiff=0.1, **kw)  # type: ignore[arg-type]
    er = train_node(data, "ernode", lam0=0.1, **kw)  # type: ignore[arg-type]
    # Same first solve (same seed): the logged R_E agrees, the loss differs only by λ_S R_S.
    assert both.history["reg"][0] == pytest.approx(er.history["reg"][0])
    assert both.history["loss"][0] == pytest.approx(er.history["loss"][0])
    assert both.history["wall"][-1] > 0 and both.test_nfe > 0
    tay = train_node(data, "taynode", lam0=0.01, **kw)  # type: ignore[arg-type]
    assert tay.history["reg"][0] > 0 and np.isfinite(tay.test_acc)
    with pytest.raises(ValueError, match="lam_stiff"):
        train_node(data, "ernode+srnode", lam0=0.1, **kw)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam_stiff"):
        train_node(data, "ernode", lam0=0.1, lam_stiff=0.1, **kw)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam0"):
        train_node(data, "taynode", **kw)  # type: ignore[arg-type]


def test_summary_spread_over_seeds() -> None:
    from theorybook.nde import experiments as ex
    from theorybook.nde.config import Classifier
    from theorybook.nde.results import CirclesResult

    cfg = Config.preset("smoke")
    with pytest.raises(ValueError, match="methods"):
        Classifier(methods=("ernode", "srnode"))
    with pytest.raises(ValueError, match="problem"):
        Config(classifier=Classifier(problem="spirals"))
    d = ex.make_problem(cfg, 1, n_train=16)
    assert d.name == "moons" and len(d.x_train) == 16
    data = make_circles_data(32, 16, seed=0)
    runs = {m: train_node(data, m, epochs=1, hidden=8, **k) for m, k in
            (("vanilla", {}), ("ernode", {"lam0": 0.1}))}  # fmt: skip
    held = {m: [train_node(data, m, epochs=1, hidden=8, seed=1, **k)] for m, k in
            (("vanilla", {}), ("ernode", {"lam0": 0.1}))}  # fmt: skip
    res = CirclesResult(data, runs, [], held)
    rows = {r["method"]: r for r in res.summary()}
    nfes = [runs["vanilla"].test_nfe, held["vanilla"][0].test_nfe]
    assert rows["vanilla"]["seeds"] == 2
    assert rows["vanilla"]["test NFE"] == pytest.approx(np.mean(nfes))
    assert rows["vanilla"]["test NFE sd"] == pytest.approx(np.std(nfes, ddof=1))


def test_latent_ode_runs_every_method() -> None:
    from theorybook.nde.latent import LATENT_METHODS

    data = make_spirals(8, 4, n_times=6, seed=0)
    kw: dict = dict(epochs=1, batch_size=8, latent=2, hidden=4)
    lams = {
        "vanilla": {},
        "steer": {},
        "ernode": {"lam0": 1.0},
        "srnode": {"lam0": 0.1},
        "ernode+srnode": {"lam0": 1.0, "lam_stiff": 0.1},
        "taynode": {"lam0": 0.01},
    }
    assert set(lams) == set(LATENT_METHODS)
    runs = {m: train_latent_ode(data, m, **lams[m], **kw) for m in LATENT_METHODS}
    for m, r in runs.items():
        assert np.isfinite(r.test_mse) and r.test_nfe > 0, m
    # Same first solve for the same seed: ERNODE and ERNODE+SRNODE log the same R_E.
    assert runs["ernode+srnode"].history["reg"][0] == pytest.approx(
        runs["ernode"].history["reg"][0]
    )
    assert runs["taynode"].history["reg"][0] > 0
    with pytest.raises(ValueError, match="lam_stiff"):
        train_latent_ode(data, "ernode+srnode", lam0=1.0, **kw)
    with pytest.raises(ValueError, match="lam0"):
        train_latent_ode(data, "steer", lam0=1.0, **kw)
