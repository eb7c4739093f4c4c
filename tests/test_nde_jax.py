"""Chapter 7 (theorybook.nde), JAX side: the diffrax wrapper, exact NFE, TayNODE, agreement with torch, claims."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import io_callback

from theorybook.nde import Config
from theorybook.nde.agreement import run_backend_agreement
from theorybook.nde.results import AgreementResult
from theorybook.nde.solver_jax import (
    regularized_diffeqsolve,
    taylor_derivative,
    taynode_regularizer,
)


def test_jax_x64_is_not_switched_on_in_this_process() -> None:
    # The float64 agreement check runs in a subprocess; this process stays in JAX's default float32.
    assert not jax.config.read("jax_enable_x64")


def _counted_field() -> tuple[Any, list[int]]:
    """The field -3y + sin(4t) and a one-element list counting its evaluations on the host
    (the callback's zero enters the field, scaled by ``args``, so it cannot be optimised away)."""
    count = [0]

    def bump(_: object) -> np.ndarray:
        count[0] += 1
        return np.zeros((), np.float32)

    def f(t: Any, y: jax.Array, args: Any) -> jax.Array:
        z = io_callback(bump, jax.ShapeDtypeStruct((), jnp.float32), y[0], ordered=True)
        return -3.0 * y + jnp.sin(4 * t) + (1.0 if args is None else args) * z

    return f, count


def test_nfe_formula_matches_a_host_side_counter() -> None:
    f, count = _counted_field()
    sol, st = regularized_diffeqsolve(
        diffrax.ODETerm(f), jnp.ones(3), 0.0, 3.0, rtol=1e-5, atol=1e-5, dt0=0.1
    )
    jax.block_until_ready(sol.ys)
    assert int(st.nfe) == count[0]
    assert int(st.num_steps) > int(st.num_accepted)  # the counter also covers rejected steps


@pytest.mark.parametrize("name", ["Tsit5", "Dopri5", "Dopri8", "Bosh3", "Heun"])
def test_every_listed_solver_matches_a_plain_diffeqsolve(name: str) -> None:
    from theorybook.nde.solver_jax import has_stiffness_estimate

    solver = getattr(diffrax, name)()
    f, count = _counted_field()
    # A user's controller (PI control, clipped factors), passed with diffrax's own keyword.
    ctl = diffrax.PIDController(rtol=1e-4, atol=1e-4, pcoeff=0.2, icoeff=0.4, factormax=5.0)
    y0 = jnp.array([1.0, -0.5, 2.0])
    kw: dict[str, Any] = dict(stepsize_controller=ctl, args=1.0, max_steps=2000)
    sol, st = regularized_diffeqsolve(
        diffrax.ODETerm(f), y0, 0.0, 3.0, solver=solver, dt0=0.1, **kw
    )
    jax.block_until_ready(sol.ys)
    n_reg, count[0] = count[0], 0
    plain = diffrax.diffeqsolve(
        diffrax.ODETerm(f), solver, 0.0, 3.0, 0.1, y0, saveat=diffrax.SaveAt(t1=True), **kw
    )
    jax.block_until_ready(plain.ys)
    # Same steps, same solution, no extra evaluation; the NFE formula is exact.
    assert int(st.num_steps) == int(plain.stats["num_steps"]) >= 5
    assert int(st.num_accepted) == int(plain.stats["num_accepted_steps"])
    np.testing.assert_array_equal(np.asarray(sol.ys), np.asarray(plain.ys))
    assert n_reg == count[0]
    if name == "Bosh3":
        # diffrax evaluates Bosh3's field one or two times more than its FSAL count says.
        assert 0 <= n_reg - int(st.nfe) <= 2
    else:
        assert n_reg == int(st.nfe)
    assert 0 < float(st.max_error) <= 1.0 and float(st.error_estimate) <= 3.0 * (1 + 1e-6)
    if has_stiffness_estimate(solver):
        assert st.stiffness_estimate is not None and st.stiffness_max is not None
        assert float(st.stiffness_estimate) > 0
    else:
        assert st.stiffness_estimate is None and st.stiffness_max is None


def test_user_controller_norm_defines_the_error_ratio() -> None:
    def max_norm(x: Any) -> jax.Array:
        return jnp.max(jnp.abs(x))

    term = diffrax.ODETerm(lambda t, y, args: -3.0 * y + jnp.sin(4 * t))
    ctl = diffrax.PIDController(rtol=1e-4, atol=1e-4, norm=max_norm)
    y0 = jnp.array([1.0, -0.5, 2.0])
    kw: dict[str, Any] = dict(stepsize_controller=ctl, dt0=0.1)
    _, st = regularized_diffeqsolve(term, y0, 0.0, 3.0, solver=diffrax.Tsit5(), **kw)
    _, st_rms = regularized_diffeqsolve(
        term, y0, 0.0, 3.0, solver=diffrax.Tsit5(), rtol=1e-4, atol=1e-4, dt0=0.1
    )
    plain = diffrax.diffeqsolve(term, diffrax.Tsit5(), 0.0, 3.0, y0=y0, **kw)
    assert int(st.num_steps) == int(plain.stats["num_steps"])
    # Every accepted max-norm ratio is at most 1, and it differs from the RMS run's.
    assert 0 < float(st.max_error) <= 1.0
    assert float(st.error_estimate) != pytest.approx(float(st_rms.error_estimate), rel=1e-3)


def test_tsit5_and_dopri8_stiffness_estimates_exact_for_linear_system() -> None:
    a = jnp.diag(jnp.array([-1.0, -100.0]))
    term = diffrax.ODETerm(lambda t, y, args: a @ y)
    for solver in (diffrax.Tsit5(), diffrax.Dopri8()):
        _, st = regularized_diffeqsolve(
            term, jnp.array([0.0, 1.0]), 0.0, 1.0, solver=solver, rtol=1e-4, atol=1e-4, dt0=0.01
        )
        assert st.stiffness_max is not None
        from theorybook.nde.solver_jax import _tableau_matrices
        from theorybook.nde.stability import stability_size

        s_stab = stability_size(*_tableau_matrices(solver.tableau))
        assert float(st.stiffness_max) * s_stab == pytest.approx(100.0, rel=1e-3)
    with pytest.raises(TypeError, match="PIDController"):
        regularized_diffeqsolve(
            term,
            jnp.ones(2),
            0.0,
            1.0,
            stepsize_controller=diffrax.ConstantStepSize(),  # type: ignore[arg-type]
        )


def test_claims_2_3_in_jax() -> None:
    a = jnp.diag(jnp.array([-1.0, -100.0]))
    term = diffrax.ODETerm(lambda t, y, args: a @ y)
    _, st = regularized_diffeqsolve(
        term, jnp.array([1.0, 1.0]), 0.0, 1.0, rtol=1e-4, atol=1e-4, dt0=0.01
    )
    assert float(st.max_error) <= 1.0
    assert float(st.error_estimate) <= 1.0 + 1e-6
    assert float(st.stiffness_max) * 3.3066 == pytest.approx(100.0, rel=1e-3)

    def re(w: jax.Array) -> jax.Array:
        _, s = regularized_diffeqsolve(
            diffrax.ODETerm(lambda t, y, args: jnp.tanh(w @ y)), jnp.ones(2), 0.0, 1.0, dt0=0.05
        )
        return s.error_estimate

    g = jax.grad(re)(jnp.array([[0.5, -2.0], [1.5, 0.3]]))
    assert float(jnp.linalg.norm(g)) > 0


def test_wrong_adjoint_and_inputs_are_refused() -> None:
    term = diffrax.ODETerm(lambda t, y, args: -y)
    with pytest.raises(ValueError, match="BacksolveAdjoint"):
        regularized_diffeqsolve(term, jnp.ones(2), 0.0, 1.0, adjoint=diffrax.BacksolveAdjoint())
    with pytest.raises(ValueError, match="dt0"):  # dt0=None is diffrax's choice; not 0
        regularized_diffeqsolve(term, jnp.ones(2), 0.0, 1.0, dt0=0.0)
    with pytest.raises(ValueError, match="t1 > t0"):
        regularized_diffeqsolve(term, jnp.ones(2), 1.0, 0.0)
    with pytest.raises(TypeError):
        regularized_diffeqsolve(term, jnp.ones(2), 0.0, 1.0, solver=diffrax.Euler())  # type: ignore[arg-type]


def test_taylor_derivatives_match_closed_forms() -> None:
    # z' = -z (autonomous): z^(K) = (-1)^K z.  z' = t z: z'' = z + t² z, z''' = 3 t z + t³ z.
    z = jnp.array([[0.3, -1.2], [2.0, 0.5]])
    for k in (1, 2, 3):
        np.testing.assert_allclose(
            taylor_derivative(lambda t, x: -x, 0.0, z, k), (-1.0) ** k * z, rtol=1e-5
        )
    t = 0.7
    np.testing.assert_allclose(
        taylor_derivative(lambda s, x: s * x, t, z, 2), (1 + t**2) * z, rtol=1e-5
    )
    np.testing.assert_allclose(
        taylor_derivative(lambda s, x: s * x, t, z, 3), (3 * t + t**3) * z, rtol=1e-5
    )
    r = taynode_regularizer(lambda s, x: -x, 0.0, z, order=2)
    assert float(r) == pytest.approx(float(jnp.mean(jnp.sum(z**2, -1))), rel=1e-5)
    with pytest.raises(TypeError, match="'z'"):  # (batch, dim) required
        taynode_regularizer(lambda s, x: -x, 0.0, z[0], order=2)


@pytest.fixture(scope="module")
def agreement() -> AgreementResult:
    return run_backend_agreement(Config.preset("smoke").replace(seed=1, seeds=(2,)))


def test_claim4_torch_and_jax_agree(agreement: AgreementResult) -> None:
    rec = agreement
    assert rec.steps_jax == rec.steps_torch
    assert rec.nfe_jax == rec.nfe_torch
    assert rec.r_e_rel_diff <= 1e-5
    assert rec.r_s_rel_diff <= 1e-5
    assert set(rec.as_dict()) >= {"steps_jax", "r_e_rel_diff", "y1_max_diff"}


def test_train_node_jax_taynode_runs(smoke_chapter_run: Callable[[str], Any]) -> None:
    from theorybook.nde import make_circles_data
    from theorybook.nde.train_jax import train_node_jax

    # The smoke run's TayNODE (the contract test's run, shared: compiling a JAX trainer takes
    # seconds), trained by train_node_jax in run_taynode_comparison.
    run = smoke_chapter_run("nde")
    r = run.results.taynode["taynode"]
    iters = run.cfg.jax.iters
    assert len(r.history["loss"]) == iters and np.all(np.isfinite(r.history["reg"]))
    assert r.history["reg"][0] > 0  # the Taylor integral is positive
    assert 0.0 <= r.test_acc <= 1.0 and r.test_nfe >= 7
    d = make_circles_data(32, 32)
    with pytest.raises(ValueError):
        train_node_jax(d, "srnode")
    with pytest.raises(ValueError):
        train_node_jax(d, "ernode", lam=0.0)


def test_claim_table_at_smoke_scale(
    agreement: AgreementResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.pyplot as plt

    from theorybook.nde import figures
    from theorybook.nde.claims import CHAPTER, chapter_claims
    from theorybook.nde.experiments import run_circles, run_solver_checks
    from theorybook.nde.results import Results

    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    cfg = Config.preset("smoke").replace(
        **{
            "classifier.n_train": 48,
            "classifier.n_test": 48,
            "classifier.hidden": 8,
            "classifier.epochs": 4,
            "classifier.lam_sweep": (10.0,),
        },
        seeds=(1,),
    )
    checks = run_solver_checks(cfg)
    circles = run_circles(cfg)
    table = chapter_claims(Results(checks, agreement, circles, None), cfg)
    assert table.chapter == CHAPTER == "07_nde_solver_regularization"
    exact = [c.id for c in table.claims if c.kind == "exact"]
    assert len(exact) == 9
    table.assert_hold(exact)
    assert table["taynode-cost"].measured is None
    for c in table.claims:
        assert "[recollection]" not in c.where + c.note and "[unverified]" not in c.where
        if c.id in ("ernode-predict", "ernode-train"):
            assert c.status.label == "reported"
    for fig in (
        figures.stiffness_figure(checks),
        figures.circles_training_figure(circles),
        figures.vector_fields_figure(circles, n_points=10),
    ):
        assert fig.get_size_inches()[0] <= 7.0 + 1e-9
        plt.close(fig)


def test_jax_trainer_divergence_is_training_diverged() -> None:
    from theorybook.nde import make_circles_data
    from theorybook.nde.train_jax import train_node_jax
    from theorybook.training import TrainingDiverged

    d = make_circles_data(32, 32)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_node_jax(d, "vanilla", iters=30, hidden=16, lr=1e3, max_steps=64)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_node_jax(d, "ernode", lam=0.1, iters=30, hidden=16, lr=1e8, max_steps=64)


def test_sde_trainer_diverges_loudly_at_a_huge_learning_rate() -> None:
    from theorybook.nde.sde import SDEData, train_neural_sde
    from theorybook.training import TrainingDiverged

    ts = np.linspace(0.0, 1.0, 4, dtype=np.float32)
    data = SDEData(
        ts,
        np.zeros((4, 2), np.float32),
        np.full((4, 2), 0.1, np.float32),
        np.array([2.0, 0.0], np.float32),
    )
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_neural_sde(data, lam=1.0, iters=10, n_paths=4, eval_paths=4, hidden=4, lr=1e8,
                         max_steps=64)  # fmt: skip


def test_diffrax_bad_inputs_are_clear() -> None:
    from theorybook.nde import SolverError

    term = diffrax.ODETerm(lambda t, y, args: -y)
    with pytest.raises(ValueError, match="'y0' contains NaN"):
        regularized_diffeqsolve(term, jnp.array([jnp.nan, 1.0]), 0.0, 1.0)
    with pytest.raises(ValueError, match="max_steps"):
        regularized_diffeqsolve(term, jnp.ones(2), 0.0, 1.0, max_steps=0)
    with pytest.raises(SolverError):
        regularized_diffeqsolve(diffrax.ODETerm(lambda t, y, a: y**2), jnp.array([10.0]), 0.0, 1.0)
    with pytest.raises(TypeError, match="order"):
        taylor_derivative(lambda t, x: -x, 0.0, jnp.ones((2, 2)), 2.5)  # type: ignore[arg-type]


def test_error_regularized_solver_matches_ode_wrapper() -> None:
    from theorybook.nde.sde import ErrorRegularizedSolver

    term = diffrax.ODETerm(lambda t, y, args: jnp.array([[-0.5, 2.0], [-2.0, -0.5]]) @ y)
    _, st = regularized_diffeqsolve(
        term, jnp.array([1.0, 0.5]), 0.0, 2.0, rtol=1e-4, atol=1e-4, dt0=0.05
    )
    sol = diffrax.diffeqsolve(
        term,
        ErrorRegularizedSolver(diffrax.Dopri5(), 1e-4, 1e-4),
        0.0,
        2.0,
        0.05,
        jnp.array([1.0, 0.5]),
        saveat=diffrax.SaveAt(t1=True, solver_state=True),
        stepsize_controller=diffrax.PIDController(rtol=1e-4, atol=1e-4),
    )
    assert float(sol.solver_state[1][0]) == pytest.approx(float(st.error_estimate), rel=1e-6)
    with pytest.raises(TypeError):
        ErrorRegularizedSolver(diffrax.ItoMilstein(), 1e-3, 1e-3)
    # The neural SDE trained with this solver (R_E ≥ 0 in its history): the next test's runs.


def test_sde_sweep_shares_the_start_and_lambda_is_chosen_on_validation() -> None:
    from types import SimpleNamespace

    from theorybook.nde.results import SDE_FIT_TOLERANCE, SDEResult
    from theorybook.nde.sde import (
        SDEData,
        train_neural_sde,
        train_neural_sde_seeds,
        train_neural_sde_sweep,
    )

    ts = np.linspace(0.0, 1.0, 4, dtype=np.float32)
    data = SDEData(
        ts,
        np.zeros((4, 2), np.float32),
        np.full((4, 2), 0.1, np.float32),
        np.array([2.0, 0.0], np.float32),
    )
    kw = dict(iters=2, n_paths=4, eval_paths=4, hidden=4)
    # Each call compiles its training step (~15 s), so two calls check everything: the sweep
    # over two λ on two seeds, and its last run (second seed, second λ) alone.
    both = train_neural_sde_seeds(data, (0.0, 1.0), (0, 3), **kw)  # type: ignore[arg-type]
    assert [[r.seed for r in runs] for runs in both] == [[0, 0], [3, 3]]
    assert [[r.lam for r in runs] for runs in both] == [[0.0, 1.0], [0.0, 1.0]]
    # On a seed every λ starts from the same initialization and keys.
    for runs in both:
        assert runs[0].history["loss"][0] == pytest.approx(runs[1].history["loss"][0])
    assert np.isfinite(both[0][1].val_loss) and both[0][1].val_steps >= 1
    # The seeds share the compiled steps, yet each run equals that run alone: train_neural_sde
    # is train_neural_sde_sweep of one λ, which is train_neural_sde_seeds of one seed, so a run
    # that carried anything over from the runs before it in the sweep (parameters, optimiser
    # state, keys, the first seed) would differ here.
    alone = train_neural_sde(data, lam=1.0, seed=3, **kw)  # type: ignore[arg-type]
    assert (alone.seed, alone.lam) == (3, 1.0)
    assert both[1][1].history["loss"] == pytest.approx(alone.history["loss"])
    assert both[1][1].history["loss"] != pytest.approx(both[0][1].history["loss"])
    # A trained run's record (the error-regularized solver's R_E is non-negative).
    assert len(alone.history["loss"]) == 2 and np.isfinite(alone.test_loss)
    assert alone.test_steps >= 1 and all(v >= 0 for v in alone.history["reg"])
    with pytest.raises(ValueError, match="lams"):
        train_neural_sde_sweep(data, (), **kw)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seeds"):
        train_neural_sde_seeds(data, (0.0,), (1, 1), **kw)  # type: ignore[arg-type]

    def run(lam: float, val_loss: float, val_steps: float) -> SimpleNamespace:
        return SimpleNamespace(lam=lam, val_loss=val_loss, val_steps=val_steps)

    base = run(0.0, 1.0, 9.0)
    ok_slow, ok_fast, bad_fast = run(0.1, 1.05, 8.5), run(1.0, 1.09, 8.0), run(10.0, 5.0, 5.0)
    res = SDEResult(data, {"vanilla": base, "a": ok_slow, "b": ok_fast, "c": bad_fast})
    assert SDE_FIT_TOLERANCE == 1.1
    assert res.main_ernode() is ok_fast and res.strongest() is bad_fast
    none_ok = SDEResult(data, {"vanilla": base, "c": bad_fast, "d": run(30.0, 9.0, 4.0)})
    assert none_ok.main_ernode() is bad_fast  # the smallest λ when none keeps the fit
    assert res.mse(8.0, data) == pytest.approx(8.0 / 16)


def test_sde_and_latent_verdicts_need_the_cut_at_a_kept_fit_on_every_seed() -> None:
    """The SDE and latent rows give one verdict: the cost cut where the fit is kept (else 1),
    over seeds; a λ that cuts steps only by ruining the fit, or a cut on one seed only, fails
    or is within noise."""
    from dataclasses import replace as dc_replace
    from types import SimpleNamespace

    from theorybook.nde.claims import chapter_claims
    from theorybook.nde.config import SDE as SDEBlock
    from theorybook.nde.config import Latent
    from theorybook.nde.results import FIT_TOLERANCE, SDEResult, kept_fit_cut

    assert kept_fit_cut(2.0, FIT_TOLERANCE) == 2.0 and kept_fit_cut(2.0, 1.2) == 1.0
    assert kept_fit_cut(0.9, 1.0) == 0.9  # more steps at a kept fit: a ratio below 1

    def run(lam: float, loss: float, steps: float, seed: int) -> SimpleNamespace:
        return SimpleNamespace(
            lam=lam, val_loss=loss, val_steps=steps, test_loss=loss, test_steps=steps, seed=seed
        )

    def sweep(seed: int, kept: float, ruined: float) -> dict[str, SimpleNamespace]:
        return {
            "vanilla": run(0.0, 1.0, 10.0, seed),
            "ernode λ=1": run(1.0, 1.05, 10.0 / kept, seed),
            "ernode λ=10": run(10.0, 5.0, 10.0 / ruined, seed),
        }

    data = SimpleNamespace(mean=np.zeros((4, 2)))
    sde = SDEResult.__new__(SDEResult)  # plain namespaces as runs: skip the record's check
    object.__setattr__(sde, "data", data)
    object.__setattr__(sde, "runs", sweep(0, 1.2, 2.0))
    object.__setattr__(sde, "others", {1: sweep(1, 1.0, 2.0), 2: sweep(2, 1.1, 2.0)})
    rows = sde.seed_table()
    assert [r["seed"] for r in rows] == [0, 1, 2]
    assert [r["cut at kept fit"] for r in rows] == pytest.approx([1.2, 1.0, 1.1])
    assert all(r["largest-λ cut at kept fit"] == 1.0 for r in rows)  # its fit is ruined

    from boundary_examples.nde import _latent_result, _results

    cfg = Config.preset("book")
    results = dc_replace(_results(), latent=_latent_result(), sde=sde)
    table = chapter_claims(results, cfg.replace(latent=Latent(), sde=SDEBlock(lams=(1.0, 10.0))))
    steps = table["sde-steps"]
    assert steps.measured == pytest.approx((1.2 + 1.0 + 1.1) / 3)
    assert steps.baseline == 1.0 and steps.spread is not None
    assert steps.status.label == "within noise"  # passes on average, not on seed 1
    assert table["sde-fit"].status.label == "reported"
    assert table["latent-nfe"].measured == pytest.approx(20 / 18)
    assert table["latent-mse"].status.label == "reported"
