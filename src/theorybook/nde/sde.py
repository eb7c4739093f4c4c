"""A neural SDE fitted to a toy spiral SDE, with the error-estimate regularizer (JAX + diffrax).

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), the paper's toy neural-SDE
experiment. Data: the Itô SDE ``du = A (u³) dt + 0.2 u dW`` from ``u₀ = (2, 0)`` on ``[0, 1]``
with ``A = [[−0.1, 2], [−2, −0.1]]`` (the cubic spiral of the DiffEqFlux examples), simulated in
its Stratonovich form ``du = (A u³ − 0.02 u) dt + 0.2 u ∘ dW`` and summarized at 30 times by the
means and variances of 10,000 sample paths. Model: drift ``u ↦ MLP(u³)`` (2 → 50 → 2, tanh),
diagonal diffusion ``u ↦ D u + d``; it is fitted with AdaBelief (learning rate 0.01) to the
data's means and variances, estimated from 100 simulated paths per iteration.

Solver: the paper's official code uses SOSRI (an adaptive Itô SRK method for diagonal noise) at
tolerance 0.3; diffrax has no adaptive Itô SRK with an error estimate, so we use its adaptive
``SPaRK`` (Stratonovich, with an embedded error estimate; the model learns its drift in that
calculus) under a PID controller at the same tolerance and a ``VirtualBrownianTree``. :class:`ErrorRegularizedSolver` accumulates
``R_E = Σ_j E_j h_j`` over accepted steps exactly as :class:`~theorybook.nde.solver_jax.RegularizedSolver`
does for ODEs (the stiffness estimate is not defined for these stochastic methods).

Length: one experiment, kept together: the data, the regularized SDE solver, the model and its
trainer share the solve (:func:`_solve_sde`) and the fit (:func:`_fit`), the trainer's compiled
steps serve every ``λ`` and seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optax
from jaxtyping import Float, UInt32

from theorybook.boundary import (
    IntRange,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
    checked,
    record,
)
from theorybook.declared import MAX_SEED
from theorybook.nde.config import SDE
from theorybook.nde.solver_jax import WrappedAdaptiveSolver, error_ratio
from theorybook.nde.stability import SolverError
from theorybook.timing import Timer
from theorybook.training import TrainingDiverged, train_loop
from theorybook.validation import int_sequence, real

__all__ = [
    "SDEData",
    "SDERun",
    "ErrorRegularizedSolver",
    "make_sde_data",
    "solve_sde",
    "train_neural_sde",
    "train_neural_sde_seeds",
    "train_neural_sde_sweep",
]

AtLeastTwo = Annotated[int, IntRange(low=2)]
Drift = Callable[[jax.Array], jax.Array]  # y ↦ an array shaped like y

SPIRAL_A = np.array([[-0.1, 2.0], [-2.0, -0.1]], dtype=np.float32)


@checked
class ErrorRegularizedSolver(WrappedAdaptiveSolver, diffrax.AbstractStratonovichSolver):
    """Wraps an adaptive diffrax ODE or Stratonovich SDE solver; its state also carries ``(R_E, max_j E_j)``.

    ``E_j = RMS(y_error / (atol + rtol·max(|y_{j-1}|, |y_j|)))``, the controller's own acceptance ratio
    (``rtol``/``atol`` must match the controller's); diffrax keeps the new state only on accepted steps.
    """

    @property
    def term_compatible_contr_kwargs(self) -> Any:
        return self.solver.term_compatible_contr_kwargs

    def __check_init__(self) -> None:
        if isinstance(self.solver, diffrax.AbstractItoSolver):
            raise TypeError(
                "ErrorRegularizedSolver is for ODE or Stratonovich solvers; got an Itô solver"
            )
        if not (self.rtol > 0 and self.atol > 0):
            raise ValueError(f"rtol and atol must be > 0, got {self.rtol}, {self.atol}")

    def strong_order(self, terms: Any) -> Any:
        return self.solver.strong_order(terms)

    def init(self, terms: Any, t0: Any, t1: Any, y0: Any, args: Any) -> Any:
        z = jnp.zeros((), jnp.result_type(y0))
        return self.solver.init(terms, t0, t1, y0, args), (z, z)

    def step(
        self, terms: Any, t0: Any, t1: Any, y0: Any, args: Any, solver_state: Any, made_jump: Any
    ) -> Any:
        inner, (r_e, e_max) = solver_state
        y1, y_error, dense, inner, result = self.solver.step(  # y_error: not None (adaptive)
            terms, t0, t1, y0, args, inner, made_jump
        )
        e_j = error_ratio(y0, y1, cast(jax.Array, y_error), self.rtol, self.atol)
        h = jnp.abs(t1 - t0).astype(jnp.result_type(y0))
        return y1, y_error, dense, (inner, (r_e + h * e_j, jnp.maximum(e_max, e_j))), result


@checked
def solve_sde(
    drift: Drift,
    diffusion: Drift,
    y0: Float[jax.Array, " dim"],
    ts: Float[np.ndarray, " times"],
    key: UInt32[jax.Array, " 2"],
    *,
    tol: PositiveReal,
    dt0: PositiveReal = 0.05,
    max_steps: PositiveInt = 4096,
    throw: bool = True,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One sample path of ``dy = drift(y) dt + diag(diffusion(y)) ∘ dW`` saved at the NumPy times
    ``ts`` (increasing, at least two).

    Returns ``(ys, num_steps, R_E)``; ``num_steps`` counts accepted and rejected steps (``SPaRK``
    makes three evaluations of drift and diffusion per step), at most ``max_steps``. With
    ``throw=False`` (inside ``jit``/``vmap``) a failed solve returns non-finite ``ys`` or
    ``num_steps == max_steps`` instead of raising; with ``throw=True`` called outside ``jit`` it
    raises :class:`~theorybook.nde.stability.SolverError`.

    Arguments:
        drift: ``y ↦`` the drift, shaped like ``y``.
        diffusion: ``y ↦`` the diagonal of the diffusion, shaped like ``y``.
        y0: the initial state (a vector).
        ts: the save times (strictly increasing in float32, at least two).
        key: the key of the virtual Brownian tree (``jax.random.PRNGKey``).
        tol: the controller's relative and absolute tolerance.
        dt0: the first step.
        max_steps: the cap on attempted steps.
        throw: raise on a failed solve.

    Returns:
        ``(ys, num_steps, R_E)``.

    Raises:
        TypeError, ValueError: for malformed arguments, naming them (``drift`` or ``diffusion``
            returning another shape than ``y0``'s, found by ``jax.eval_shape``).
        SolverError: with ``throw=True``, when the solve fails.
    """
    ts32 = np.asarray(ts, dtype=np.float32)
    if ts32.size < 2 or not np.all(np.diff(ts32) > 0):
        raise ValueError("ts must be strictly increasing (in float32) with at least two times")
    for name, fn in (("drift", drift), ("diffusion", diffusion)):
        try:
            out = jax.eval_shape(fn, y0)
        except Exception as err:
            raise TypeError(f"{name} fails on y0: {type(err).__name__}: {err}") from None
        if getattr(out, "shape", None) != y0.shape:
            raise ValueError(
                f"{name}(y) must return y0's shape {y0.shape}, got {getattr(out, 'shape', out)!r}"
            )
    return _solve_sde(
        drift, diffusion, y0, ts32, key, tol=tol, dt0=dt0, max_steps=max_steps, throw=throw
    )


def _solve_sde(
    drift: Drift,
    diffusion: Drift,
    y0: jax.Array,
    ts: np.ndarray,
    key: jax.Array,
    *,
    tol: float,
    dt0: float = 0.05,
    max_steps: int = 4096,
    throw: bool = True,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """:func:`solve_sde` unchecked (run under ``jit``/``vmap`` by the package's loops)."""
    ts = np.asarray(ts, dtype=np.float32)
    t0, t1 = float(ts[0]), float(ts[-1])
    bm = diffrax.VirtualBrownianTree(
        t0, t1, tol=1e-3, shape=y0.shape, key=key, levy_area=diffrax.SpaceTimeLevyArea
    )
    terms: Any = diffrax.MultiTerm(
        diffrax.ODETerm(lambda t, y, a: drift(y)),
        diffrax.ControlTerm(lambda t, y, a: lx.DiagonalLinearOperator(diffusion(y)), bm),
    )
    sol = diffrax.diffeqsolve(
        terms,
        ErrorRegularizedSolver(diffrax.SPaRK(), tol, tol),
        t0,
        t1,
        dt0,
        y0,
        saveat=diffrax.SaveAt(ts=jnp.asarray(ts), solver_state=True),
        stepsize_controller=diffrax.PIDController(rtol=tol, atol=tol, dtmin=1e-4),
        max_steps=max_steps,
        throw=False,  # a failure is raised below, naming the step
    )
    steps = sol.stats["num_steps"]
    if throw:  # under jit/vmap, when the compiled solve runs
        failed = sol.result != diffrax.RESULTS.successful
        why = f"more than max_steps={max_steps} steps or a non-finite state (a blow-up)"
        if isinstance(steps, jax.core.Tracer):
            sol = eqx.error_if(sol, failed, f"solve_sde: the solve failed: {why}")
        elif bool(failed):
            raise SolverError(f"solve_sde: the solve diverged at step {int(steps)}: {why}")
    return sol.ys, steps, sol.solver_state[1][0]


@checked
@dataclass(frozen=True)
class SDEData:
    """Observation times ``ts`` (strictly increasing, at least two), empirical mean and variance
    (``(T, dim)`` each, variances ``≥ 0``) of the true SDE's sample paths, and their start ``y0``."""

    ts: Float[np.ndarray, " T"]
    mean: Float[np.ndarray, "T dim"]
    var: Float[np.ndarray, "T dim"]
    y0: Float[np.ndarray, " dim"]

    def __post_init__(self) -> None:
        ts32 = np.asarray(self.ts, dtype=np.float32)
        if ts32.size < 2 or not np.all(np.diff(ts32) > 0):
            raise ValueError("ts must be strictly increasing (in float32) with at least two times")
        if np.any(self.var < 0):
            raise ValueError("var must hold variances >= 0")


@checked
def make_sde_data(
    n_paths: AtLeastTwo = 10_000,
    n_times: AtLeastTwo = 30,
    *,
    seed: Seed = 0,
    tol: PositiveReal = 0.01,
) -> SDEData:
    """Simulate the paper's Itô spiral SDE ``du = A u³ dt + 0.2 u dW`` (float32) with ``SPaRK`` at
    tolerance ``tol``, through its Stratonovich form (drift ``A u³ − ½ σ ∂σ/∂u = A u³ − 0.02 u``
    for the diagonal ``σ(u) = 0.2 u``), and summarize ``n_paths`` paths (the paper: 10,000).

    Arguments:
        n_paths: sample paths (≥ 2).
        n_times: save times in ``[0, 1]`` (≥ 2).
        seed: seed of the Brownian paths.
        tol: the solver's tolerance.

    Returns:
        The :class:`SDEData` (times, means, variances, initial state).
    """
    a = jnp.asarray(SPIRAL_A)
    ts = np.linspace(0.0, 1.0, n_times, dtype=np.float32)
    y0 = jnp.array([2.0, 0.0])
    keys = jax.random.split(jax.random.PRNGKey(seed), n_paths)
    ys, _, _ = jax.jit(
        jax.vmap(
            lambda k: _solve_sde(
                lambda y: (y**3) @ a.T - 0.02 * y,
                lambda y: 0.2 * y,
                y0,
                ts,
                k,
                tol=tol,
                throw=False,
            )
        )
    )(keys)
    ys = np.asarray(ys)
    if not np.all(np.isfinite(ys)):  # pragma: no cover - the true SDE is well behaved
        raise SolverError("make_sde_data: a sample path of the true SDE failed to solve")
    return SDEData(np.asarray(ts), ys.mean(0), ys.var(0), np.asarray(y0))


@record
@dataclass(frozen=True)
class SDERun:
    """A neural-SDE training run (``history``: loss, reg, steps, wall).

    ``val_*`` and ``test_*`` simulate ``eval_paths`` fresh Brownian paths each, with two
    different keys: the validation paths choose ``λ``, the test paths measure the claims;
    ``predict_seconds`` is the time of the test evaluation (compiled beforehand); ``seed`` the
    seed of the initialization and of every Brownian key.
    """

    lam: NonNegativeReal
    history: dict[str, list[float]]
    test_loss: NonNegativeReal
    test_steps: NonNegativeReal
    train_seconds: NonNegativeReal
    iter_seconds: NonNegativeReal
    predict_seconds: NonNegativeReal
    params: dict[str, Any]
    val_loss: NonNegativeReal = float("nan")
    val_steps: NonNegativeReal = float("nan")
    seed: Seed = 0


def _init(key: jax.Array, hidden: int) -> dict[str, jax.Array]:
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "W1": 0.3 * jax.random.normal(k1, (2, hidden)),
        "b1": jnp.zeros(hidden),
        "W2": 0.1 * jax.random.normal(k2, (hidden, 2)),
        "b2": jnp.zeros(2),
        "D": 0.1 * jax.random.normal(k3, (2, 2)),
        "d": jnp.zeros(2),
    }


def _fit(
    params: dict[str, jax.Array],
    data: SDEData,
    key: jax.Array,
    n_paths: int,
    tol: float,
    max_steps: int = 4096,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    def drift(y: jax.Array) -> jax.Array:
        return jnp.tanh(y**3 @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]

    def diffusion(y: jax.Array) -> jax.Array:
        return y @ params["D"] + params["d"]

    ts, y0 = data.ts, jnp.asarray(data.y0)
    ys, steps, r_e = jax.vmap(
        lambda k: _solve_sde(drift, diffusion, y0, ts, k, tol=tol, max_steps=max_steps, throw=False)
    )(jax.random.split(key, n_paths))
    loss = jnp.sum((ys.mean(0) - data.mean) ** 2) + jnp.sum((ys.var(0) - data.var) ** 2)
    ok = jnp.all(jnp.isfinite(ys)) & jnp.all(steps < max_steps)
    return loss, jnp.mean(steps), jnp.mean(r_e), ok


@checked
def train_neural_sde(
    data: SDEData,
    *,
    lam: NonNegativeReal = 0.0,
    iters: AtLeastTwo = SDE.iters,
    n_paths: AtLeastTwo = 100,
    eval_paths: AtLeastTwo = 1000,
    hidden: PositiveInt = SDE.hidden,
    lr: PositiveReal = SDE.lr,
    tol: PositiveReal = 0.3,
    seed: Seed = 0,
    progress: bool = False,
    max_steps: PositiveInt = 4096,
) -> SDERun:
    """AdaBelief (optax) on ``Σ_t ‖mean − mean_data‖² + ‖var − var_data‖² + λ mean_paths R_E``.

    250 iterations of 100 paths, learning rate 0.01 and tolerance 0.3 as in the paper's official
    code (``experiments/sde_toy_problem.jl``). One ``λ`` of :func:`train_neural_sde_sweep`.

    Arguments:
        data: the true SDE's means and variances.
        lam: the weight ``λ ≥ 0`` of ``R_E`` (0: vanilla).
        iters: as in :func:`train_neural_sde_sweep`, like every other argument.
        n_paths: sample paths per step.
        eval_paths: sample paths of each evaluation.
        hidden: width of the drift.
        lr: AdaBelief's learning rate.
        tol: the solver's tolerance.
        seed: seed of the initialization and the Brownian keys.
        progress: show a progress bar.
        max_steps: the step cap of each sample path.

    Returns:
        The :class:`SDERun` of ``λ = lam``.
    """
    return train_neural_sde_sweep(
        data,
        (lam,),
        iters=iters,
        n_paths=n_paths,
        eval_paths=eval_paths,
        hidden=hidden,
        lr=lr,
        tol=tol,
        seed=seed,
        progress=progress,
        max_steps=max_steps,
    )[0]


@checked
def train_neural_sde_sweep(
    data: SDEData,
    lams: tuple[float, ...] | list[float],
    *,
    iters: AtLeastTwo = SDE.iters,
    n_paths: AtLeastTwo = 100,
    eval_paths: AtLeastTwo = 1000,
    hidden: PositiveInt = SDE.hidden,
    lr: PositiveReal = SDE.lr,
    tol: PositiveReal = 0.3,
    seed: Seed = 0,
    progress: bool = False,
    max_steps: PositiveInt = 4096,
) -> list[SDERun]:
    """:func:`train_neural_sde` for each ``λ`` of ``lams`` from the same initialization and
    Brownian keys, sharing one compiled training step (``λ`` is an argument of it): the one seed
    of :func:`train_neural_sde_seeds`.

    Arguments:
        data: the true SDE's means and variances (:func:`make_sde_data`).
        lams: the weights ``λ ≥ 0`` of ``R_E`` (0: vanilla), one run each.
        iters: optimisation steps per run (≥ 2: the first one compiles).
        n_paths: sample paths per step.
        eval_paths: sample paths of the validation and of the test evaluation.
        hidden: width of the drift.
        lr: AdaBelief's learning rate.
        tol: the solver's relative and absolute tolerance.
        seed: seed of the initialization and the Brownian keys.
        progress: show a progress bar.
        max_steps: the step cap of each sample path.

    Returns:
        One :class:`SDERun` per ``λ``, in the order of ``lams``.

    Raises:
        TypeError, ValueError: for malformed arguments (``lams`` must be non-negative reals).
        TrainingDiverged: as :func:`train_neural_sde_seeds`.
    """
    return train_neural_sde_seeds(
        data,
        lams,
        (seed,),
        iters=iters,
        n_paths=n_paths,
        eval_paths=eval_paths,
        hidden=hidden,
        lr=lr,
        tol=tol,
        progress=progress,
        max_steps=max_steps,
    )[0]


@checked
def train_neural_sde_seeds(
    data: SDEData,
    lams: tuple[float, ...] | list[float],
    seeds: tuple[int, ...] | list[int],
    *,
    iters: AtLeastTwo = SDE.iters,
    n_paths: AtLeastTwo = 100,
    eval_paths: AtLeastTwo = 1000,
    hidden: PositiveInt = SDE.hidden,
    lr: PositiveReal = SDE.lr,
    tol: PositiveReal = 0.3,
    progress: bool = False,
    max_steps: PositiveInt = 4096,
) -> list[list[SDERun]]:
    """The sweep over ``lams`` on each seed of ``seeds``, every run sharing one compiled training
    step and one compiled evaluation (the seed's keys and ``λ`` are arguments of them).

    On each seed every ``λ`` starts from the same initialization (``PRNGKey(seed)``) and sees the
    same training Brownian keys; the validation and test paths are fresh keys of that seed. Each
    optimisation step runs through :func:`theorybook.training.train_loop`.

    Arguments:
        data: the true SDE's means and variances (:func:`make_sde_data`).
        lams: the weights ``λ ≥ 0`` of ``R_E`` (0: vanilla), one run each per seed.
        seeds: the seeds (distinct, at least one): initialization and Brownian keys.
        iters: optimisation steps per run (≥ 2).
        n_paths: sample paths per step.
        eval_paths: sample paths of the validation and of the test evaluation.
        hidden: width of the drift.
        lr: AdaBelief's learning rate.
        tol: the solver's relative and absolute tolerance.
        progress: show a progress bar.
        max_steps: the step cap of each sample path.

    Returns:
        For each seed, one :class:`SDERun` per ``λ`` in the order of ``lams``.

    Raises:
        TypeError, ValueError: for malformed arguments (``lams`` must be non-negative reals,
            ``seeds`` distinct seeds).
        TrainingDiverged: naming the step on a non-finite or exploding loss or a failed solve
            (more than ``max_steps`` steps on a path, a non-finite state), or naming the run
            when an evaluation solve after training fails.
    """
    lams = [real(f"lams[{i}]", lam, low=0.0) for i, lam in enumerate(lams)]
    if not lams:
        raise ValueError("lams must hold at least one value")
    seeds = int_sequence("seeds", seeds, low=0, min_len=1, unique=True)
    if any(s > MAX_SEED for s in seeds):
        raise ValueError(f"seeds must be <= {MAX_SEED}, got {seeds}")
    if data.y0.shape != (2,):
        raise ValueError(
            f"data must describe a two-dimensional SDE (the model's drift maps R² to R²), got "
            f"y0 of shape {data.y0.shape}"
        )
    opt = optax.adabelief(lr)

    def objective(
        p: dict[str, jax.Array], key: jax.Array, lam: jax.Array
    ) -> tuple[jax.Array, tuple[jax.Array, ...]]:
        loss, steps, r_e, ok = _fit(p, data, key, n_paths, tol, max_steps)
        return loss + lam * r_e, (loss, steps, r_e, ok)

    @jax.jit
    def update(p: dict[str, jax.Array], s: Any, key: jax.Array, lam: jax.Array) -> tuple[Any, ...]:
        (_, aux), g = jax.value_and_grad(objective, has_aux=True)(p, key, lam)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, aux

    evaluate = jax.jit(lambda p, k: _fit(p, data, k, eval_paths, tol, max_steps))
    # Compile both once, outside the timed iterations (the results are discarded).
    init0 = _init(jax.random.PRNGKey(seeds[0]), hidden)
    zero = jnp.asarray(0.0, jnp.float32)
    jax.block_until_ready(update(init0, opt.init(init0), jax.random.PRNGKey(0), zero))
    jax.block_until_ready(evaluate(init0, jax.random.PRNGKey(0)))

    def fit_one(lam: float, seed: int) -> SDERun:
        keys = jax.random.split(jax.random.PRNGKey(seed + 1), iters)
        test_key, val_key = jax.random.PRNGKey(seed + 10_000), jax.random.PRNGKey(seed + 20_000)
        params = _init(jax.random.PRNGKey(seed), hidden)
        state = opt.init(params)
        hist: dict[str, list[float]] = {k: [] for k in ("loss", "reg", "steps", "wall")}
        times: list[float] = []
        where = f"neural SDE λ={lam:g}" + (f" (seed {seed})" if len(seeds) > 1 else "")
        lam_arr = jnp.asarray(lam, jnp.float32)

        def step(it: int) -> jax.Array:
            nonlocal params, state
            with Timer() as timer:
                new_params, new_state, (loss, steps, r_e, ok) = update(
                    params, state, keys[it - 1], lam_arr
                )
                loss = jax.block_until_ready(loss)
            if not bool(ok):
                raise TrainingDiverged(
                    f"{where} diverged at step {it}: a sample path failed to solve (more than "
                    f"max_steps={max_steps} steps or a non-finite state)"
                )
            params, state = new_params, new_state
            times.append(timer.seconds)
            hist["loss"].append(float(loss))
            hist["reg"].append(float(r_e))
            hist["steps"].append(float(steps))
            hist["wall"].append(float(np.sum(times)))
            return loss

        train_loop(step, iters, desc=where, progress=progress)
        with Timer() as timer:
            loss, steps, _, ok = jax.block_until_ready(evaluate(params, test_key))
        v_loss, v_steps, _, v_ok = jax.block_until_ready(evaluate(params, val_key))
        if not (bool(ok) and bool(v_ok)):
            raise TrainingDiverged(f"{where}: the evaluation solves after training failed")
        return SDERun(
            lam,
            hist,
            float(loss),
            float(steps),
            float(np.sum(times)),
            float(np.median(times[1:])),
            timer.seconds,
            params,
            float(v_loss),
            float(v_steps),
            seed,
        )

    return [[fit_one(lam, seed) for lam in lams] for seed in seeds]
