"""Chapter 7's boundaries beyond ``theorybook.nde.__all__``: every module's public callables.

The generic test (``test_malformed_inputs.py``) drives the names the package exports; the solver,
trainer and figure functions live in the modules (``theorybook.nde.solver_torch`` and its kin,
which the package does not import so that importing it imports neither torch nor JAX). This file
runs the same engine (``malformed.py``) over those, with the same examples table
(``boundary_examples/nde.py``), and adds the checks the engine cannot derive from a signature: a
vector field of the wrong shape, divergence naming the step, degenerate limits.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import torch
from boundary_examples import nde as table
from malformed import bind, mutations, outcome, public_callables, synthesize, time_limit

from theorybook.runtime import torch_threads
from theorybook.training import SolverDiverged, TrainingDiverged

MODULES = (
    "agreement",
    "claims",
    "config",
    "data",
    "experiments",
    "figures",
    "latent",
    "results",
    "sde",
    "solver_jax",
    "solver_torch",
    "stability",
    "taynode_torch",
    "train_jax",
    "train_torch",
)

PACKAGE = public_callables("theorybook.nde")


def _module_callables() -> dict[str, object]:
    """Every public callable of the modules, once each, except those of the package's
    ``__all__`` (the generic test drives them)."""
    out: dict[str, object] = {}
    seen = {id(fn) for fn in PACKAGE.values()}
    for short in MODULES:
        for name, fn in public_callables(f"theorybook.nde.{short}").items():
            if id(fn) not in seen:
                seen.add(id(fn))
                out[name] = fn
    return out


CALLABLES = _module_callables()


def _example(name: str, fn: object) -> object:
    if name in table.EXAMPLES:
        return table.EXAMPLES[name]()
    return synthesize(fn)


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_module_callables_refuse_malformed_arguments_naming_them(name: str) -> None:
    fn = CALLABLES[name]
    example = _example(name, fn)
    assert example is not None, f"{name}: add a valid call to tests/boundary_examples/nde.py"
    if name not in table.BOUNDARY_ONLY:
        with time_limit(120):
            fn(*example.args, **example.kwargs)  # type: ignore[operator, attr-defined]
    problems = []
    for mutation in mutations(fn, dict(bind(fn, example).arguments)):  # type: ignore[arg-type]
        problem = outcome(fn, bind(fn, _example(name, fn)), mutation)  # type: ignore[arg-type]
        if problem is not None:
            problems.append(f"  {mutation.parameter} = {mutation.label}: {problem}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_every_module_callable_is_driven() -> None:
    undriven = [n for n, fn in CALLABLES.items() if _example(n, fn) is None]
    assert not undriven, f"no valid call for {undriven}"
    assert set(table.BOUNDARY_ONLY) <= set(CALLABLES)
    assert len(CALLABLES) >= 40  # the count the report gives; a new export raises it


def test_results_of_the_boundary_only_callables_match_their_return_annotations() -> None:
    """Their valid call is not run here, so check that the declared return type accepts what
    they return (a generic result type with an unresolvable parameter once failed there)."""
    import typing

    from beartype import BeartypeConf
    from beartype.door import is_bearable

    runs = table._sde_result().runs
    returns = {
        "run_taynode_comparison": table._taynode_result(),
        "train_node_jax": table._taynode_result()["ernode"],
        "train_neural_sde": runs["vanilla"],
        "train_neural_sde_sweep": list(runs.values()),
        "train_neural_sde_seeds": [list(runs.values())],
        "run_backend_agreement": table._results().agreement,
        "agreement_record": table._results().agreement.as_dict(),
    }
    conf = BeartypeConf(is_pep484_tower=True)
    for name, value in returns.items():
        hint = typing.get_type_hints(CALLABLES[name])["return"]
        assert is_bearable(value, hint, conf=conf), name


def test_every_public_number_of_the_modules_declares_its_range() -> None:
    """As ``test_malformed_inputs.test_every_public_number_declares_its_range``, for the modules
    (read through ``declared_parameters``: their ``Callable[[...], ...]`` hints hold lists)."""
    from theorybook.boundary import Interval, IntRange, declared_parameters
    from theorybook.declared import metadata

    bare = {
        name: params
        for name, fn in CALLABLES.items()
        if (
            params := [
                p.name
                for p in declared_parameters(fn).values()
                if p.number is not None
                and not any(isinstance(m, IntRange | Interval) for m in metadata(p.hint))
            ]
        )
    }
    assert not bare, f"parameters without a declared range: {bare}"


def test_results_are_records() -> None:
    from theorybook.boundary import is_record

    results = importlib.import_module("theorybook.nde.results")
    for name in results.__all__:
        obj = getattr(results, name)
        if isinstance(obj, type):
            assert is_record(obj), name


# --- the drop-in solvers: the vector field's output must be the state's ------------------------

T01 = torch.tensor([0.0, 1.0], dtype=torch.float64)


@pytest.mark.parametrize(
    "field",
    [
        lambda t, y: torch.tensor(1.0),  # a scalar: torch would broadcast it into every component
        lambda t, y: (-y).sum(-1, keepdim=True),  # (3, 1): broadcastable, still wrong
        lambda t, y: -y if float(t) < 0.5 else (-y).sum(),  # wrong only later in the solve
    ],
)
def test_regularized_odeint_refuses_a_field_of_another_shape(field: object) -> None:
    from theorybook.nde.solver_torch import regularized_odeint

    with pytest.raises(ValueError, match=r"func\(t, y\) must return the shape of y"):
        regularized_odeint(field, torch.ones(3, 2), T01)  # type: ignore[arg-type]


def test_regularized_odeint_refuses_a_field_of_another_dtype() -> None:
    from theorybook.nde.solver_torch import regularized_odeint

    with pytest.raises(TypeError, match="func.*dtype"):
        regularized_odeint(lambda t, y: (-y).double(), torch.ones(3, 2), T01)


def test_regularized_odeint_checks_its_options_naming_them() -> None:
    from theorybook.nde.solver_torch import regularized_odeint

    for options, match in (
        ({"first_step": -1.0}, r"options\['first_step'\]"),
        ({"first_stpe": 0.1}, "unknown key 'first_stpe'"),
        ({"step_t": "0.5"}, r"options\['step_t'\]"),
        ({"safety": 2.0}, r"options\['safety'\]"),
    ):
        with pytest.raises((TypeError, ValueError), match=match):
            regularized_odeint(lambda t, y: -y, torch.ones(2), T01, options=options)


def test_regularized_diffeqsolve_refuses_a_field_of_another_shape() -> None:
    import diffrax
    import jax.numpy as jnp

    from theorybook.nde.solver_jax import regularized_diffeqsolve

    for vf in (lambda t, y, a: jnp.sum(y), lambda t, y, a: -y[:1]):
        with pytest.raises(ValueError, match="terms: the vector field must return y0's shape"):
            regularized_diffeqsolve(diffrax.ODETerm(vf), jnp.ones(2), 0.0, 1.0)


def test_jax_fields_of_another_shape_are_refused() -> None:
    import jax
    import jax.numpy as jnp

    from theorybook.nde.sde import solve_sde
    from theorybook.nde.solver_jax import taylor_derivative

    with pytest.raises(ValueError, match=r"f\(t, z\) must return z's shape"):
        taylor_derivative(lambda t, z: jnp.sum(z), 0.0, jnp.ones(2), 2)
    ts = np.linspace(0.0, 1.0, 3, dtype=np.float32)
    with pytest.raises(ValueError, match="diffusion"):
        solve_sde(lambda y: -y, lambda y: 0.1, jnp.ones(2), ts, jax.random.PRNGKey(0), tol=0.3)


# --- divergence names the step ----------------------------------------------------------------


@torch_threads(1)
@pytest.mark.parametrize("method", ["srnode", "ernode+srnode"])
def test_the_other_torch_trainers_diverge_naming_the_step(method: str) -> None:
    """lr = 1e8 (``test_nde.py`` covers vanilla, ERNODE, STEER and TayNODE)."""
    from theorybook.nde import make_circles_data, make_spirals
    from theorybook.nde.latent import train_latent_ode
    from theorybook.nde.train_torch import train_node

    stiff = 0.1 if method == "ernode+srnode" else None
    d = make_circles_data(32, 8)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_node(d, method, lam0=0.1, lam_stiff=stiff, epochs=20, lr=1e8, hidden=16,
                   max_num_steps=200)  # fmt: skip
    spirals = make_spirals(8, 4, n_times=6, seed=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_latent_ode(spirals, method, lam0=0.1, lam_stiff=stiff, epochs=20, batch_size=4,
                         hidden=8, lr=1e8, max_num_steps=200)  # fmt: skip


def test_a_non_finite_state_in_the_package_loops_is_divergence_not_a_bad_argument() -> None:
    """The loops call the unchecked solver: a blown-up model's NaN state is divergence at step 0
    (it used to surface as "y0 must hold only finite values", a malformed-argument error)."""
    from theorybook.nde.latent import LatentODE
    from theorybook.nde.solver_torch import SolverError, _regularized_odeint

    with pytest.raises(SolverDiverged, match="diverged at step 0"):
        _regularized_odeint(
            lambda t, y: -y,
            torch.tensor([[math.nan, 1.0]]),
            T01,
            rtol=1e-5,
            atol=1e-5,
            land_on_end=True,
        )
    model = LatentODE(hidden=4)
    with torch.no_grad():
        for p in model.to_q.parameters():
            p.fill_(math.inf)
    d = table._spirals()
    t, x, m = (torch.from_numpy(a) for a in (d.t, d.x_train, d.mask_train))
    with pytest.raises(SolverError, match="not finite"):
        model(t, x, m)


@torch_threads(1)
def test_latent_trainer_reports_a_blown_up_encoder_as_divergence_naming_the_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The encoder's weights become inf during training: TrainingDiverged naming the step."""
    from theorybook.nde.latent import train_latent_ode

    real_step = torch.optim.Adam.step

    def poisoned(self: torch.optim.Adam, *args: object, **kwargs: object) -> object:
        out = real_step(self, *args, **kwargs)
        with torch.no_grad():
            self.param_groups[0]["params"][0].fill_(math.inf)  # the GRU's first weight
        return out

    monkeypatch.setattr(torch.optim.Adam, "step", poisoned)
    with pytest.raises(TrainingDiverged, match=r"diverged at step 2 \(epoch 0, minibatch 1\)"):
        train_latent_ode(table._spirals(), epochs=2, batch_size=2, hidden=2)


def test_the_jax_solvers_name_the_step_where_they_fail() -> None:
    """Blow-up dynamics: the ODE and SDE solvers raise SolverDiverged naming the step (the JAX
    and SDE trainers turn a failed solve into TrainingDiverged: ``test_nde_jax.py``)."""
    import diffrax
    import jax
    import jax.numpy as jnp

    from theorybook.nde.sde import solve_sde
    from theorybook.nde.solver_jax import regularized_diffeqsolve

    with pytest.raises(SolverDiverged, match=r"diverged at step \d+"):
        regularized_diffeqsolve(
            diffrax.ODETerm(lambda t, y, a: y**2), jnp.array([10.0]), 0.0, 1.0, dt0=0.5
        )
    ts = np.linspace(0.0, 1.0, 3, dtype=np.float32)
    with pytest.raises(SolverDiverged, match=r"diverged at step 8"):
        solve_sde(lambda y: y**3, lambda y: 0.1 * y, jnp.full(2, 10.0), ts,
                  jax.random.PRNGKey(0), tol=0.3, max_steps=8)  # fmt: skip


# --- degenerate limits ----------------------------------------------------------------------


def test_degenerate_limits_are_named() -> None:
    from theorybook.nde import make_circles_data, make_spirals, stability_size
    from theorybook.nde.latent import train_latent_ode
    from theorybook.nde.train_torch import lambda_schedule

    with pytest.raises(ValueError, match="t_max"):
        make_spirals(4, 2, t_max=1e-200)
    with pytest.raises(ValueError, match="t_max"):
        make_spirals(4, 2, t_max=1e300)
    with pytest.raises(ValueError, match="noise"):
        make_circles_data(8, 8, noise=1e300)
    for sigma in (1e-200, 1e200):
        with pytest.raises(ValueError, match="obs_sigma"):
            train_latent_ode(table._spirals(), obs_sigma=sigma, epochs=1)
    all_seen = table._spirals()
    full = type(all_seen)(all_seen.t, all_seen.x_train, all_seen.mask_train, all_seen.x_test,
                          np.ones_like(all_seen.mask_test))  # fmt: skip
    with pytest.raises(ValueError, match="mask_test"):
        train_latent_ode(full, epochs=1)
    # λ₀/λ₁ overflowing: the schedule stays finite (log space), and ends at λ₁.
    assert math.isfinite(lambda_schedule(0, 10, 1e300, 1e-300))
    assert lambda_schedule(10, 10, 1e300, 1e-300) == pytest.approx(1e-300, rel=1e-6)
    # A method whose weights sum to zero never leaves |R| <= 1: named, not an endless search.
    with pytest.raises(ValueError, match="x_max"):
        stability_size(np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="strictly lower triangular"):
        stability_size(np.ones((2, 2)), np.ones(2))


def test_t0_t1_that_collapse_in_the_state_precision_are_named() -> None:
    import diffrax
    import jax.numpy as jnp

    from theorybook.nde.solver_jax import regularized_diffeqsolve

    term = diffrax.ODETerm(lambda t, y, a: -y)
    with pytest.raises(ValueError, match="t1 > t0"):
        regularized_diffeqsolve(term, jnp.ones(2), 1.0, 1.0 + 1e-12)  # equal in float32
    with pytest.raises(ValueError, match="t1 > t0"):
        regularized_diffeqsolve(term, jnp.ones(2), 0.0, 1e300)  # inf in float32


@torch_threads(1)
def test_the_torch_trainers_watch_their_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both torch trainers pass the model's parameters to ``train_loop`` (the loss of a solve
    that still finishes can hide exploding weights). At a huge learning rate their solves fail
    first, so the wiring is checked directly: ``train_loop`` gets every parameter of the model,
    and weights that grow 10⁶-fold stop the run with TrainingDiverged naming the step."""
    from theorybook import training
    from theorybook.nde import latent, train_torch
    from theorybook.nde.data import make_circles_data, make_spirals

    seen: dict[str, int] = {}

    def blow_up(step: object, steps: int, **kwargs: object) -> object:
        params = kwargs["parameters"]
        assert isinstance(params, list) and params
        seen[str(kwargs["desc"])] = len(params)

        def exploding(t: int) -> float:
            loss = step(t)  # type: ignore[operator]
            with torch.no_grad():
                params[0].mul_(1e4)  # the loss stays bounded for a step or two; the weights do not
            return float(loss.detach())

        return training.train_loop(exploding, steps, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(train_torch, "train_loop", blow_up)
    monkeypatch.setattr(latent, "train_loop", blow_up)
    d = make_circles_data(16, 8, seed=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+: a weight reached"):
        train_torch.train_node(d, epochs=20, batch_size=16, hidden=4, max_num_steps=200)
    spirals = make_spirals(8, 4, n_times=6, seed=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+: a weight reached"):
        latent.train_latent_ode(spirals, epochs=20, batch_size=8, hidden=4, max_num_steps=200)
    assert len(seen) == 2


def test_findings_of_the_review_are_refused_by_name() -> None:
    from theorybook.nde.config import Config
    from theorybook.nde.figures import taynode_figure
    from theorybook.nde.latent import LatentODE
    from theorybook.nde.train_torch import NODEClassifier, ODEFunc, lambda_schedule

    with pytest.raises(ValueError, match="rtol"):
        Config.preset("smoke").replace(rtol=1e-300, atol=1e-300)
    with pytest.raises(ValueError, match="lam0 and lam1 both > 0"):
        lambda_schedule(5, 10, 0.0, 1.0)
    with pytest.raises(ValueError, match="lam0 and lam1 both > 0"):
        lambda_schedule(5, 10, 1.0, 0.0)
    assert lambda_schedule(5, 10, 0.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="empty"):
        taynode_figure({})
    with pytest.raises(TypeError, match="z has dtype torch.float64"):
        ODEFunc(2, 4)(torch.tensor(0.0), torch.randn(3, 2).double())
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        NODEClassifier(2, 4, 2)(torch.randn(3, 2).double())
    t, x, m = torch.linspace(0, 1, 5), torch.randn(2, 5, 2), torch.ones(2, 5)
    for name, args in (("t", (t.double(), x, m)), ("mask", (t, x, m.double()))):
        with pytest.raises(TypeError, match=f"{name} has dtype torch.float64"):
            LatentODE(2, 3, 4)(*args)


def test_records_refuse_values_outside_their_declared_ranges() -> None:
    import dataclasses

    from theorybook.nde.config import Config
    from theorybook.nde.experiments import run_solver_checks

    checks = run_solver_checks(Config.preset("smoke"))
    with pytest.raises(ValueError, match="SolverChecks.nfe_plain"):
        dataclasses.replace(checks, nfe_plain=-5)
    with pytest.raises(TypeError, match="SolverChecks.step_sizes"):
        dataclasses.replace(checks, step_sizes=checks.step_sizes[:-1])
    with pytest.raises(TypeError, match="SolverChecks.h_stiff"):
        dataclasses.replace(checks, h_stiff=checks.h_stiff.astype(np.float16))
    assert math.isnan(
        dataclasses.replace(checks, replay_max_abs_diff=float("nan")).replay_max_abs_diff
    )
