"""A neural SDE fitted to a toy spiral SDE, with the error-estimate regularizer (JAX + diffrax).

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), the paper's toy neural-SDE
experiment. Data: ``du = A (u³) dt + 0.2 u ∘ dW`` from ``u₀ = (2, 0)`` on ``[0, 1]`` with
``A = [[−0.1, 2], [−2, −0.1]]`` (the cubic spiral of the DiffEqFlux examples), observed at 30 times
for 100 sample paths. Model: drift ``u ↦ MLP(u³)`` (2 → 50 → 2, tanh), diagonal diffusion
``u ↦ D u + d``; it is fitted to the empirical means and variances over 100 simulated paths.

Solver: diffrax's adaptive ``SPaRK`` (Stratonovich, with an embedded error estimate) under a PID
controller and a ``VirtualBrownianTree``. :class:`ErrorRegularizedSolver` accumulates
``R_E = Σ_j E_j h_j`` over accepted steps exactly as :class:`~theorybook.nde.solver_jax.RegularizedSolver`
does for ODEs (the stiffness estimate is not defined for these stochastic methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import diffrax
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optax

from theorybook.nde.solver_jax import WrappedAdaptiveSolver, error_ratio
from theorybook.runtime import Timer, TrainingDiverged, progress

__all__ = [
    "SDEData",
    "SDERun",
    "ErrorRegularizedSolver",
    "make_sde_data",
    "solve_sde",
    "train_neural_sde",
]

SPIRAL_A = np.array([[-0.1, 2.0], [-2.0, -0.1]], dtype=np.float32)


class ErrorRegularizedSolver(WrappedAdaptiveSolver, diffrax.AbstractStratonovichSolver):  # type: ignore[misc]
    """Wraps an adaptive diffrax ODE or Stratonovich SDE solver; its state also carries ``(R_E, max_j E_j)``.

    ``E_j = RMS(y_error / (atol + rtol·max(|y_{j-1}|, |y_j|)))``, the controller's own acceptance ratio
    (``rtol``/``atol`` must match the controller's); diffrax keeps the new state only on accepted steps.
    """

    @property
    def term_compatible_contr_kwargs(self) -> Any:  # type: ignore[override]
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
        y1, y_error, dense, inner, result = self.solver.step(
            terms, t0, t1, y0, args, inner, made_jump
        )
        e_j = error_ratio(y0, y1, y_error, self.rtol, self.atol)
        h = jnp.abs(t1 - t0).astype(jnp.result_type(y0))
        return y1, y_error, dense, (inner, (r_e + h * e_j, jnp.maximum(e_max, e_j))), result


def solve_sde(
    drift: Any,
    diffusion: Any,
    y0: jax.Array,
    ts: np.ndarray,
    key: jax.Array,
    *,
    tol: float,
    dt0: float = 0.05,
    max_steps: int = 4096,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One sample path of ``dy = drift(y) dt + diag(diffusion(y)) ∘ dW`` saved at the NumPy times ``ts``.

    Returns ``(ys, num_steps, R_E)``; ``num_steps`` counts accepted and rejected steps (``SPaRK`` makes
    three evaluations of drift and diffusion per step).
    """
    t0, t1 = float(np.asarray(ts)[0]), float(np.asarray(ts)[-1])
    bm = diffrax.VirtualBrownianTree(
        t0, t1, tol=1e-3, shape=y0.shape, key=key, levy_area=diffrax.SpaceTimeLevyArea
    )
    terms = diffrax.MultiTerm(
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
    )
    return sol.ys, sol.stats["num_steps"], sol.solver_state[1][0]


@dataclass(frozen=True)
class SDEData:
    """Observation times, empirical mean and variance (``(T, 2)`` each) of the true SDE's sample paths."""

    ts: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    y0: np.ndarray


def make_sde_data(
    n_paths: int = 100, n_times: int = 30, *, seed: int = 0, tol: float = 0.01
) -> SDEData:
    """Simulate the true spiral SDE (float32) with ``SPaRK`` at tolerance ``tol`` and summarize it."""
    if n_paths < 2 or n_times < 2:
        raise ValueError("need n_paths >= 2 and n_times >= 2")
    a = jnp.asarray(SPIRAL_A)
    ts = np.linspace(0.0, 1.0, n_times, dtype=np.float32)
    y0 = jnp.array([2.0, 0.0])
    keys = jax.random.split(jax.random.PRNGKey(seed), n_paths)
    ys, _, _ = jax.jit(
        jax.vmap(lambda k: solve_sde(lambda y: (y**3) @ a.T, lambda y: 0.2 * y, y0, ts, k, tol=tol))
    )(keys)
    ys = np.asarray(ys)
    return SDEData(np.asarray(ts), ys.mean(0), ys.var(0), np.asarray(y0))


@dataclass
class SDERun:
    """A neural-SDE training run; ``test_*`` use fresh Brownian paths (``history``: loss, reg, steps, wall)."""

    lam: float
    history: dict[str, list[float]]
    test_loss: float
    test_steps: float
    train_seconds: float
    iter_seconds: float
    predict_seconds: float
    params: dict[str, Any]


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
    params: dict[str, jax.Array], data: SDEData, key: jax.Array, n_paths: int, tol: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    def drift(y: jax.Array) -> jax.Array:
        return jnp.tanh(y**3 @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]

    def diffusion(y: jax.Array) -> jax.Array:
        return y @ params["D"] + params["d"]

    ts, y0 = data.ts, jnp.asarray(data.y0)
    ys, steps, r_e = jax.vmap(lambda k: solve_sde(drift, diffusion, y0, ts, k, tol=tol))(
        jax.random.split(key, n_paths)
    )
    loss = jnp.sum((ys.mean(0) - data.mean) ** 2) + jnp.sum((ys.var(0) - data.var) ** 2)
    return loss, jnp.mean(steps), jnp.mean(r_e)


def train_neural_sde(
    data: SDEData,
    *,
    lam: float = 0.0,
    iters: int = 300,
    n_paths: int = 100,
    hidden: int = 50,
    lr: float = 1e-2,
    tol: float = 0.3,
    seed: int = 0,
    show_progress: bool = True,
) -> SDERun:
    """AdaBelief (optax) on ``Σ_t ‖mean − mean_data‖² + ‖var − var_data‖² + λ mean_paths R_E``.

    Tolerance 0.3 as in the official code. Raises :class:`~theorybook.runtime.TrainingDiverged` naming
    the iteration on a non-finite loss.
    """
    if lam < 0 or iters < 2 or n_paths < 2 or tol <= 0 or lr <= 0:
        raise ValueError("need lam >= 0, iters >= 2, n_paths >= 2, tol > 0, lr > 0")
    params = _init(jax.random.PRNGKey(seed), hidden)
    opt = optax.adabelief(lr)
    state = opt.init(params)

    def objective(
        p: dict[str, jax.Array], key: jax.Array
    ) -> tuple[jax.Array, tuple[jax.Array, ...]]:
        loss, steps, r_e = _fit(p, data, key, n_paths, tol)
        return loss + lam * r_e, (loss, steps, r_e)

    @jax.jit
    def update(p: dict[str, jax.Array], s: Any, key: jax.Array) -> tuple[Any, ...]:
        (_, aux), g = jax.value_and_grad(objective, has_aux=True)(p, key)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, aux

    hist: dict[str, list[float]] = {k: [] for k in ("loss", "reg", "steps", "wall")}
    times: list[float] = []
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), iters)
    for it in progress(
        range(iters), desc=f"neural SDE λ={lam:g}", leave=False, disable=not show_progress
    ):
        with Timer() as timer:
            params, state, (loss, steps, r_e) = update(params, state, keys[it])
            loss = jax.block_until_ready(loss)
        if not bool(jnp.isfinite(loss)):
            raise TrainingDiverged(f"neural SDE λ={lam:g}: iteration {it}: loss {float(loss)}")
        times.append(timer.seconds)
        hist["loss"].append(float(loss))
        hist["reg"].append(float(r_e))
        hist["steps"].append(float(steps))
        hist["wall"].append(float(np.sum(times)))
    test = jax.jit(lambda p, k: _fit(p, data, k, n_paths, tol))
    key = jax.random.PRNGKey(seed + 10_000)
    loss, steps, _ = jax.block_until_ready(test(params, key))
    best = float("inf")
    for _ in range(3):
        with Timer() as timer:
            jax.block_until_ready(test(params, key))
        best = min(best, timer.seconds)
    return SDERun(
        lam,
        hist,
        float(loss),
        float(steps),
        float(np.sum(times)),
        float(np.median(times[1:])),
        best,
        params,
    )
