"""Valid calls of chapter 7's public callables (``theorybook.nde`` and its modules' ``__all__``).

The generic test (``test_malformed_inputs.py``) drives the names of ``theorybook.nde.__all__``;
``test_nde_boundary.py`` drives, with the same engine and this same table, the callables every
module of the subpackage exports. Callables not listed here are synthesised from their signature.
Heavy inputs are built once (``functools.cache``) and never mutated by the calls.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from malformed import Call, call

T01 = (0.0, 1.0)


@functools.cache
def _circles() -> Any:
    from theorybook.nde import make_circles_data

    return make_circles_data(8, 8, seed=0)


@functools.cache
def _spirals() -> Any:
    from theorybook.nde import make_spirals

    return make_spirals(4, 2, n_times=5, seed=0)


@functools.cache
def _sde_data() -> Any:
    from theorybook.nde.sde import SDEData

    ts = np.linspace(0.0, 1.0, 4, dtype=np.float32)
    return SDEData(
        ts,
        np.zeros((4, 2), np.float32),
        np.full((4, 2), 0.1, np.float32),
        np.array([2.0, 0.0], np.float32),
    )


@functools.cache
def _cfg() -> Any:
    """The smallest configuration whose experiments still run (digits and SDE skipped)."""
    from theorybook.nde import Config
    from theorybook.nde.config import Classifier, Latent

    return Config(
        classifier=Classifier(
            n_train=8, n_test=8, hidden=2, epochs=1, methods=("vanilla", "ernode"), lam_sweep=()
        ),
        latent=Latent(
            epochs=1,
            n_train=4,
            n_test=2,
            hidden=2,
            batch_size=4,
            lams=(1.0,),
            methods=("vanilla", "ernode"),
        ),  # fmt: skip
        seeds=(),
    )


@functools.cache
def _model() -> Any:
    import torch

    from theorybook.nde.train_torch import NODEClassifier

    torch.manual_seed(0)
    return NODEClassifier(2, 4, 2, rtol=1e-3, atol=1e-3)


def _node_run(method: str, nfe: int, acc: float, seed: int = 0) -> Any:
    from theorybook.nde.train_torch import NodeRun

    history = {"epoch": [0.0, 1.0], "loss": [0.7, 0.6], "nfe": [20.0, 18.0], "reg": [0.1, 0.1]}
    return NodeRun(method, 0.1, history, acc, nfe, 1.0, 0.01, _model(), seed)


@functools.cache
def _circles_result() -> Any:
    from theorybook.nde.results import CirclesResult

    runs = {"vanilla": _node_run("vanilla", 26, 0.9), "ernode": _node_run("ernode", 20, 0.9)}
    held = {
        "vanilla": [_node_run("vanilla", 26, 0.9, 1)],
        "ernode": [_node_run("ernode", 20, 0.9, 1)],
    }
    return CirclesResult(_circles(), runs, [_node_run("ernode", 14, 0.8)], held)


@functools.cache
def _checks() -> Any:
    from theorybook.nde.results import SolverChecks

    steps = np.array([0.25, 0.25, 0.5])
    return SolverChecks(
        nfe_plain=20, nfe_regularized=20, max_error=0.5, r_e=0.3, span=1.0, grad_norm=1.0,
        adjoint_raises=True, step_errors=steps, step_sizes=steps, rho_stiff=np.full(3, 100.0),
        rho_mixed=np.array([1.0, 50.0, 99.0]), h_stiff=steps, h_mixed=steps, s_stab=3.3,
        replay_max_abs_diff=0.0, replay_steps=3,
    )  # fmt: skip


@functools.cache
def _results() -> Any:
    from theorybook.nde import Results
    from theorybook.nde.results import AgreementResult

    agreement = AgreementResult(10, 10, 61, 61, 0.3, 0.3, 0.0, 1.0, 1.0, 0.0, 0.0)
    return Results(_checks(), agreement, _circles_result(), None)


@functools.cache
def _taynode_result() -> Any:
    from theorybook.nde.results import TaynodeResult
    from theorybook.nde.train_jax import JaxNodeRun

    history = {"loss": [0.7, 0.6], "reg": [0.1, 0.1], "nfe": [20.0, 18.0], "wall": [0.1, 0.2]}
    run = JaxNodeRun("ernode", 0.1, history, 0.9, 20, 0.2, 1.0, 0.01, 0.01, {})
    return TaynodeResult({"ernode": run, "taynode": run})


@functools.cache
def _latent_result() -> Any:
    from theorybook.nde.latent import LatentODE, LatentRun
    from theorybook.nde.results import LatentResult

    history = {"epoch": [0.0, 1.0], "loss": [3.0, 2.0], "reg": [0.1, 0.1], "nfe": [20.0, 18.0]}
    model = LatentODE(hidden=4, rtol=1e-3, atol=1e-3)
    runs = {
        "vanilla": LatentRun("vanilla", 0.0, history, 0.1, 20, 1.0, 0.01, model),
        "ernode λ=1": LatentRun("ernode", 1.0, history, 0.1, 18, 1.0, 0.01, model),
    }
    return LatentResult(_spirals(), runs)


@functools.cache
def _sde_result() -> Any:
    from theorybook.nde.results import SDEResult
    from theorybook.nde.sde import SDERun

    history = {"loss": [1.0, 0.5], "reg": [0.1, 0.1], "steps": [30.0, 20.0], "wall": [0.1, 0.2]}
    runs = {
        "vanilla": SDERun(0.0, history, 0.5, 30.0, 1.0, 0.01, 0.1, {}, 0.5, 30.0),
        "ernode λ=1": SDERun(1.0, history, 0.52, 20.0, 1.0, 0.01, 0.1, {}, 0.52, 20.0),
    }
    return SDEResult(_sde_data(), runs)


def _classification_data() -> Call:
    d = _circles()
    return call(d.name, d.x_train, d.y_train, d.x_test, d.y_test)


def _spiral_data() -> Call:
    d = _spirals()
    return call(d.t, d.x_train, d.mask_train, d.x_test, d.mask_test)


def _rk4() -> Call:
    a = np.zeros((4, 4))
    a[1, 0], a[2, 1], a[3, 2] = 0.5, 0.5, 1.0
    return call(a, np.array([1.0, 2.0, 2.0, 1.0]) / 6)


def _torch_field() -> Call:
    import torch

    return call(lambda t, y: -y, torch.ones(3, 2), torch.tensor(T01))


def _second_time_derivative() -> Call:
    import torch

    return call(lambda t, z: -z, torch.tensor(0.0), torch.ones(3, 2))


def _evaluate_node() -> Call:
    d = _circles()
    import torch

    return call(_model(), torch.from_numpy(d.x_test), torch.from_numpy(d.y_test), repeats=1)


def _diffeqsolve() -> Call:
    import diffrax
    import jax.numpy as jnp

    return call(diffrax.ODETerm(lambda t, y, args: -y), jnp.ones(2), *T01, rtol=1e-3, atol=1e-3)


def _taylor(shape: tuple[int, ...]) -> Call:
    import jax.numpy as jnp

    return call(lambda t, z: -z, 0.0, jnp.ones(shape), 2)


@functools.cache
def _params() -> Any:
    import jax

    from theorybook.nde.train_jax import init_mlp

    return init_mlp(jax.random.PRNGKey(0), 2, 3, 2)


def _jax_node_loss() -> Call:
    import jax.numpy as jnp

    d = _circles()
    x, y = jnp.asarray(d.x_train[:4]), jnp.asarray(d.y_train[:4])
    return call(_params(), x, y, "ernode", 0.1, rtol=1e-3, atol=1e-3, dt0=0.1, max_steps=64)


def _solve_sde() -> Call:
    import jax
    import jax.numpy as jnp

    ts = np.linspace(0.0, 1.0, 3, dtype=np.float32)
    return call(lambda y: -y, lambda y: 0.1 * y, jnp.ones(2), ts, jax.random.PRNGKey(0), tol=0.3)


def _sde_data_call() -> Call:
    d = _sde_data()
    return call(d.ts, d.mean, d.var, d.y0)


def _sde_train() -> Call:
    return call(_sde_data(), iters=2, n_paths=2, eval_paths=2, hidden=2, max_steps=64)


_RESULTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "results"


def _seed_study_rows() -> Any:
    from theorybook.nde import load_seed_study

    return load_seed_study(root=_RESULTS)


EXAMPLES = {
    # --- theorybook.nde (the generic test) ----------------------------------------------------
    "ClassificationData": _classification_data,
    "SpiralData": _spiral_data,
    "stability_size": _rk4,
    "chapter_claims": lambda: call(_results(), _cfg()),
    # --- the modules' own exports (test_nde_boundary.py) -----------------------------------
    "regularized_odeint": _torch_field,
    "TaylorAugmentedField": lambda: call(lambda t, z: -z),
    "second_time_derivative": _second_time_derivative,
    "evaluate_node": _evaluate_node,
    "train_node": lambda: call(_circles(), "vanilla", epochs=1, hidden=2, rtol=1e-3, atol=1e-3),
    "train_latent_ode": lambda: call(
        _spirals(), "vanilla", epochs=1, batch_size=4, hidden=2, rtol=1e-3, atol=1e-3
    ),
    "has_stiffness_estimate": lambda: call(__import__("diffrax").Tsit5()),
    "RegularizedSolver": lambda: call(rtol=1e-3, atol=1e-3),
    "regularized_diffeqsolve": _diffeqsolve,
    "taylor_derivative": lambda: _taylor((2,)),
    "taynode_regularizer": lambda: _taylor((3, 2)),
    "init_mlp": lambda: call(__import__("jax").random.PRNGKey(0), 2, 3, 2),
    "mlp_field": lambda: call(_params()),
    "jax_node_loss": _jax_node_loss,
    "train_node_jax": lambda: call(_circles(), "vanilla", iters=2, hidden=2, max_steps=64),
    "ErrorRegularizedSolver": lambda: call(__import__("diffrax").SPaRK(), 0.3, 0.3),
    "solve_sde": _solve_sde,
    "SDEData": _sde_data_call,
    "make_sde_data": lambda: call(2, 2, tol=0.3),
    "train_neural_sde": _sde_train,
    "train_neural_sde_sweep": lambda: Call(
        (_sde_data(), (0.0,)), dict(iters=2, n_paths=2, eval_paths=2, hidden=2, max_steps=64)
    ),
    "train_neural_sde_seeds": lambda: Call(
        (_sde_data(), (0.0,), (0, 1)),
        dict(iters=2, n_paths=2, eval_paths=2, hidden=2, max_steps=64),
    ),
    "kept_fit_cut": lambda: call(1.5, 1.05),
    "kept_accuracy_cut": lambda: call(1.5, 0.001),
    "make_problem": lambda: call(_cfg(), 0),
    "run_solver_checks": lambda: call(_cfg()),
    "run_circles": lambda: call(_cfg()),
    "run_digits": lambda: call(_cfg()),
    "run_latent": lambda: call(_cfg()),
    "run_sde": lambda: call(_cfg()),
    "run_taynode_comparison": lambda: call(_cfg()),
    "run_backend_agreement": lambda: call(_cfg()),
    "start_backend_agreement": lambda: call(_cfg()),
    "PendingAgreement": lambda: call(0, _cfg().agreement),
    "agreement_record": lambda: call(0),
    "stiffness_figure": lambda: call(_checks()),
    "circles_training_figure": lambda: call(_circles_result(), smooth=1),
    "methods_figure": lambda: call(_circles_result()),
    "vector_field": lambda: call(_model(), n=3),
    "trajectories": lambda: call(_model(), _circles().x_test, n_times=3),
    "vector_fields_figure": lambda: call(_circles_result(), n_points=4, n_grid=3),
    "taynode_figure": lambda: call(_taynode_result()),
    "latent_figure": lambda: call(_latent_result()),
    "sde_figure": lambda: call(_sde_result(), smooth=1),
    "load_seed_study": lambda: call(root=_RESULTS),
    "seed_study_frame": lambda: call(_seed_study_rows()),
}

NOT_DRIVEN = {
    "run_all": "runs every experiment of the chapter, JAX compilations and the float64 agreement "
    "subprocess included (about a minute even at the smallest configuration); each of its parts "
    "is driven on its own in test_nde_boundary.py",
}

BOUNDARY_ONLY = {
    "train_node_jax": "compiling its training and test steps takes about 10 s; its valid runs are "
    "run_taynode_comparison's in the smoke run (checked by "
    "test_nde_jax.py::test_train_node_jax_taynode_runs) and the divergence test's",
    "train_neural_sde": "compiling the SDE training step takes about 15 s; its valid run is "
    "test_nde_jax.py::test_sde_sweep_shares_the_start_and_lambda_is_chosen_on_validation",
    "train_neural_sde_sweep": "as train_neural_sde; its valid run is "
    "test_nde_jax.py::test_sde_sweep_shares_the_start_and_lambda_is_chosen_on_validation",
    "train_neural_sde_seeds": "as train_neural_sde; its valid run is "
    "test_nde_jax.py::test_sde_sweep_shares_the_start_and_lambda_is_chosen_on_validation",
    "run_taynode_comparison": "compiles two JAX trainers (about 15 s); run by run_all in "
    "test_contract.py::test_run_all_builds_the_claim_table_at_smoke_scale",
    "run_backend_agreement": "starts a float64 JAX process (seconds); its valid run is the "
    "agreement fixture of test_nde_jax.py",
    "start_backend_agreement": "starts a float64 JAX process; as run_backend_agreement",
    "PendingAgreement": "starts a float64 JAX process; as run_backend_agreement",
    "agreement_record": "needs JAX in float64, which only its own process has (run there by "
    "run_backend_agreement)",
}
"""Callables of the modules whose valid call is too slow (or needs another process) to repeat
here: ``test_nde_boundary.py`` checks that every malformed call is refused at the boundary,
before the body runs, and names where their valid call is tested."""
