"""The same regularizers inside diffrax, and the TayNODE baseline with Taylor-mode AD.

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021). Following the recipe of
the diffrax GitHub tracker (#196), :class:`RegularizedSolver` wraps a diffrax Runge–Kutta solver; its solver state is
``(inner_state, accumulators)`` and each ``step`` adds ``E_j h_j`` and ``h_j ρ_j / s_stab`` computed
from the step's own ``y_error`` and stage increments ``k``. diffrax keeps a new solver state only when
the controller accepts the step, so the sums run over accepted steps exactly as in the paper.
The tableau and the PID controller are diffrax's own.

:func:`taynode_regularizer` is the baseline of Kelly et al. (2020): the ``K``-th total time
derivative of the solution, by ``K − 1`` calls of ``jax.experimental.jet``.

JAX is imported by this module (torch is not); it works in float32 by default (float64 only if the
caller has enabled it with :func:`theorybook.runtime.enable_jax_x64`).

Length: the chapter's whole diffrax side, each part short: the wrapped solver, its entry point
(whose docstring states what of ``diffrax.diffeqsolve`` is supported and why the rest is not)
and the Taylor-mode baseline it is compared with.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import jet
from jaxtyping import Float

from theorybook.boundary import FiniteReal, PositiveInt, PositiveReal, checked
from theorybook.declared import mark_record
from theorybook.nde.config import TaylorOrder
from theorybook.nde.stability import SolverError, stability_size

__all__ = [
    "JaxSolveStats",
    "SolverError",
    "RegularizedSolver",
    "has_stiffness_estimate",
    "regularized_diffeqsolve",
    "taynode_regularizer",
    "taylor_derivative",
]


def _rms(x: jax.Array) -> jax.Array:
    """RMS norm with a finite gradient at zero (``sqrt`` alone gives NaN gradients for an exact zero)."""
    ms = jnp.mean(jnp.square(x))
    pos = ms > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, ms, 1.0)), 0.0)


def error_ratio(
    y0: jax.Array, y1: jax.Array, y_error: jax.Array, rtol: float, atol: float
) -> jax.Array:
    """``E_j = RMS(ỹ_j / (atol + rtol·max(|y_{j−1}|, |y_j|)))``: the controller's acceptance ratio
    (equation :eq:`nde-error-estimate`), at most 1 on an accepted step."""
    return _rms(y_error / (atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))))


class WrappedAdaptiveSolver(diffrax.AbstractAdaptiveSolver):
    """Base of the chapter's diffrax wrappers: delegates everything but ``init``/``step`` to ``solver``.

    Subclasses extend the solver state with running sums; diffrax keeps a new state only when a
    step is accepted, so the sums run over accepted steps. ``rtol``/``atol`` must be the step-size
    controller's, so that :func:`error_ratio` is the controller's own acceptance ratio.
    """

    solver: diffrax.AbstractSolver
    rtol: PositiveReal
    atol: PositiveReal

    @property
    def term_structure(self) -> Any:
        return self.solver.term_structure

    @property
    def interpolation_cls(self) -> Any:  # type: ignore[override]
        return self.solver.interpolation_cls

    def order(self, terms: Any) -> Any:
        return self.solver.order(terms)

    def error_order(self, terms: Any) -> Any:
        return self.solver.error_order(terms)

    def func(self, terms: Any, t0: Any, y0: Any, args: Any) -> Any:
        return self.solver.func(terms, t0, y0, args)


def _tableau_matrices(tab: Any) -> tuple[np.ndarray, np.ndarray]:
    s = len(tab.a_lower) + 1
    a = np.zeros((s, s))
    for i, row in enumerate(tab.a_lower):
        a[i + 1, : len(row)] = row
    return a, np.asarray(tab.b_sol, dtype=np.float64)


_DISCRETE_ADJOINTS = (
    diffrax.RecursiveCheckpointAdjoint,
    diffrax.DirectAdjoint,
)
"""Adjoints that differentiate through the solver's own steps (discretise-then-optimise)."""


@mark_record  # a pytree built inside jit (its fields may be tracers): marked, not checked
class JaxSolveStats(NamedTuple):
    """What one :func:`regularized_diffeqsolve` recorded (a pytree: usable under ``jit``/``grad``).

    ``error_estimate`` is ``R_E = Σ_j E_j h_j`` and ``stiffness_estimate`` is
    ``R_S = Σ_j h_j ρ_j / s_stab`` over accepted steps; ``stiffness_max`` is ``max_j ρ_j / s_stab``
    (the official code's form); both stiffness fields are ``None`` for a solver without two last
    stages at ``t_j`` (Bosh3, Heun). ``max_error`` is ``max_j E_j`` (≤ 1 by construction); ``nfe``
    is exact (see :func:`regularized_diffeqsolve`).
    """

    nfe: jax.Array
    num_steps: jax.Array
    num_accepted: jax.Array
    error_estimate: jax.Array
    stiffness_estimate: jax.Array | None
    stiffness_max: jax.Array | None
    max_error: jax.Array


@checked
def has_stiffness_estimate(solver: diffrax.AbstractERK) -> bool:
    """Whether ``solver``'s stages give the stiffness estimate ``ρ_j``: first-same-as-last with its
    last two stages both at ``t_j`` (Dopri5, Tsit5, Dopri8; not Bosh3, Heun)."""
    tab: Any = getattr(solver, "tableau", None)
    return bool(
        tab is not None and tab.fsal and len(tab.c) >= 2 and tab.c[-1] == 1.0 and tab.c[-2] == 1.0
    )


@checked
class RegularizedSolver(WrappedAdaptiveSolver):
    """A diffrax Runge–Kutta solver whose state also accumulates ``R_E`` and ``R_S`` (equations :eq:`nde-ernode`, :eq:`nde-srnode`).

    Any explicit RK solver with an embedded error estimate (``diffrax.AbstractERK`` with
    ``b_error``: Tsit5, Dopri5, Dopri8, Bosh3, Heun, ...) gives ``R_E``. When the method is
    first-same-as-last with its last two stages both at ``t_j`` (Dopri5, Tsit5, Dopri8), then
    ``k_s − k_{s−1} = h (f(t_j, y_j) − f(t_j, g_{s−1}))`` and
    ``ρ_j = ‖k_s − k_{s−1}‖ / (h ‖y_j − g_{s−1}‖)``, with ``g_{s−1}`` rebuilt from the tableau;
    otherwise ``R_S`` stays zero and :func:`regularized_diffeqsolve` reports ``None``.
    ``rtol``/``atol``/``norm`` must be those of the step-size controller, so that ``E_j`` is the
    controller's own acceptance ratio.
    """

    solver: diffrax.AbstractERK
    stab: float
    stiff: bool
    norm: Callable[[Any], Any] | None

    def __init__(
        self,
        solver: diffrax.AbstractERK | None = None,
        *,
        rtol: PositiveReal,
        atol: PositiveReal,
        norm: Callable[[Any], Any] | None = None,
    ) -> None:
        solver = diffrax.Dopri5() if solver is None else solver
        tab = getattr(solver, "tableau", None)
        if not isinstance(solver, diffrax.AbstractERK) or tab is None or tab.b_error is None:
            raise TypeError(
                "RegularizedSolver needs an explicit Runge-Kutta solver with an embedded error "
                f"estimate (Tsit5, Dopri5, Dopri8, Bosh3, Heun), got {solver!r}"
            )
        self.solver = solver
        self.rtol = float(rtol)
        self.atol = float(atol)
        rms = getattr(norm, "__name__", "") == "rms_norm" and str(
            getattr(norm, "__module__", "")
        ).startswith(("diffrax", "optimistix"))
        self.norm = None if norm is None or rms else norm  # diffrax's default: the same RMS
        self.stiff = has_stiffness_estimate(solver)
        self.stab = stability_size(*_tableau_matrices(tab)) if self.stiff else 1.0

    def init(self, terms: Any, t0: Any, t1: Any, y0: Any, args: Any) -> Any:
        inner = self.solver.init(terms, t0, t1, y0, args)
        z = jnp.zeros((), dtype=jnp.result_type(y0))
        return inner, (z, z, z, z)

    def step(
        self, terms: Any, t0: Any, t1: Any, y0: Any, args: Any, solver_state: Any, made_jump: Any
    ) -> Any:
        inner, (r_e, r_s, e_max, s_max) = solver_state
        y1, y_error, dense_info, inner, result = self.solver.step(
            terms, t0, t1, y0, args, inner, made_jump
        )
        h = jnp.abs(t1 - t0).astype(jnp.result_type(y0))
        if self.norm is None:
            e_j = error_ratio(y0, y1, y_error, self.rtol, self.atol)
        else:
            scale = self.atol + self.rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
            e_j = jnp.asarray(self.norm(y_error / scale), dtype=h.dtype)
        if self.stiff:
            ks = dense_info["k"]  # stage increments h·f_i, shape (stages, *y.shape)
            tab: Any = self.solver.tableau
            a6 = jnp.asarray(tab.a_lower[-2], dtype=ks.dtype)
            g6 = y0 + jnp.tensordot(a6, ks[: a6.shape[0]], axes=1)
            num = _rms(ks[-1] - ks[-2])
            den = h * _rms(y1 - g6)
            ok = den > 0
            rho = jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)
            r_s, s_max = r_s + h * rho / self.stab, jnp.maximum(s_max, rho / self.stab)
        acc = (r_e + h * e_j, r_s, jnp.maximum(e_max, e_j), s_max)
        return y1, y_error, dense_info, (inner, acc), result


@checked
def regularized_diffeqsolve(
    terms: diffrax.AbstractTerm,
    y0: Float[jax.Array, "*state"] | Float[np.ndarray, "*state"],
    t0: FiniteReal,
    t1: FiniteReal,
    *,
    solver: diffrax.AbstractERK | None = None,
    dt0: PositiveReal | None = 0.05,
    rtol: PositiveReal = 1e-5,
    atol: PositiveReal = 1e-5,
    args: Any = None,
    saveat: diffrax.SaveAt | None = None,
    stepsize_controller: diffrax.PIDController | None = None,
    adjoint: diffrax.AbstractAdjoint | None = None,
    max_steps: PositiveInt = 4096,
    throw: bool = True,
) -> tuple[diffrax.Solution, JaxSolveStats]:
    """``diffrax.diffeqsolve`` that also records ``R_E`` and ``R_S`` (equations :eq:`nde-ernode`, :eq:`nde-srnode`).

    ``solver`` is any ``diffrax.AbstractERK`` with an embedded error estimate (default
    ``Dopri5``; Tsit5, Dopri8, Bosh3, Heun, ...). ``stepsize_controller`` is diffrax's keyword: a
    ``diffrax.PIDController`` of the user's (its ``rtol``, ``atol`` and ``norm`` then define
    ``E_j`` and the ``rtol``/``atol`` arguments are not used); by default
    ``diffrax.PIDController(rtol, atol)`` (pure integral control, factors 0.2–10, safety 0.9),
    i.e. the rule torchdiffeq uses. The steps taken are exactly those of ``diffrax.diffeqsolve``
    with the same solver and controller. NFE is computed from the step count: a FSAL method costs
    one evaluation at ``t0`` and ``stages − 1`` per attempted step (accepted or rejected: a rejected
    step reuses the stored first stage), any other ``stages`` per attempted step (also with
    ``dt0=None``: a host-side counter sees no further evaluation for Dopri5); the chapter's tests
    check this against a host-side
    call counter for every listed solver (exact for Tsit5, Dopri5, Dopri8 and Heun; for Bosh3
    diffrax makes one or two evaluations more than this count). ``R_S`` is ``None`` unless
    :func:`has_stiffness_estimate`.

    Against ``diffrax.diffeqsolve`` with the same solver, ``dt0``, controller, ``saveat``,
    ``adjoint`` and ``max_steps`` (tested): the same steps and the same solution, bit for bit,
    and the same gradients of the solution. Supported: ``dt0`` a positive number or ``None``
    (diffrax picks the first step itself); the discretise-then-optimise adjoints
    ``RecursiveCheckpointAdjoint`` (diffrax's default) and ``DirectAdjoint``, under which ``R_E``
    and ``R_S`` are differentiated exactly as in the paper. Out of scope, refused with
    ``ValueError`` naming ``adjoint``: ``ForwardMode`` (jvp fails on a custom_vjp inside the
    regularized solve), ``BacksolveAdjoint`` (optimise-then-discretise: it integrates a separate adjoint
    ODE backwards and never differentiates the forward solver's error estimates, so the
    regularizers' gradients would be lost) and ``ImplicitAdjoint`` (it differentiates a steady
    state, not the path). Also out of scope: reverse time (``t1 < t0``, refused), pytree states
    (``y0`` one array), constant step sizes (no error estimate: ``stepsize_controller`` must be a
    ``PIDController``) and SDE terms (see :mod:`theorybook.nde.sde`). Differences from
    ``diffeqsolve``'s defaults: ``dt0=0.05``, ``stepsize_controller=PIDController(rtol, atol)``
    (diffrax's default constant step has no error estimate).

    ``max_steps`` caps the attempted steps. With ``throw=False`` (inside a jitted training step) a
    failed solve returns ``sol.result`` unsuccessful instead of raising; the trainers turn that into
    :class:`~theorybook.training.TrainingDiverged`.

    Arguments:
        terms: the ``diffrax.ODETerm`` of the dynamics.
        y0: the initial state (a floating-point JAX or NumPy array, any shape; no pytrees).
        t0: the start time.
        t1: the end time (``> t0``).
        solver: an adaptive explicit Runge–Kutta solver (default ``Dopri5``).
        dt0: the first step (> 0), or ``None``: diffrax selects it.
        rtol: relative tolerance of the default controller.
        atol: absolute tolerance of the default controller.
        args: passed to the term.
        saveat: diffrax's ``SaveAt`` (default: the end time).
        stepsize_controller: a ``diffrax.PIDController`` (default: ``PIDController(rtol, atol)``).
        adjoint: ``RecursiveCheckpointAdjoint`` (default) or ``DirectAdjoint``.
        max_steps: the cap on attempted steps.
        throw: raise on a failed solve (``False`` inside ``jit``).

    Returns:
        ``(sol, stats)``: diffrax's solution and the :class:`JaxSolveStats` (NFE, steps, ``R_E``,
        ``R_S``, ``max_j E_j``).

    Raises
    ------
    TypeError, ValueError
        for malformed arguments, naming them: an adjoint other than
        ``RecursiveCheckpointAdjoint`` or ``DirectAdjoint`` (above), a
        non-finite or empty ``y0``, ``max_steps < 1``,
        ``t1 <= t0`` (also in ``y0``'s precision), a non-positive ``dt0``/tolerance, or an
        ``ODETerm`` whose vector field does not return ``y0``'s shape and dtype (diffrax would
        broadcast a scalar into every component: a wrong solution).
    SolverError
        (with ``throw=True``, called outside ``jit``) when the solve fails, naming the step:
        more than ``max_steps`` steps, or a non-finite state (the dynamics blow up). Under
        ``jit`` the same message is raised by the compiled solve (``equinox``'s runtime error).
    """
    if adjoint is not None and not isinstance(adjoint, _DISCRETE_ADJOINTS):
        why = (
            "differentiates a steady state, not the solver's path"
            if isinstance(adjoint, diffrax.ImplicitAdjoint)
            else "is not supported: forward-mode differentiation (jvp) fails on the custom_vjp "
            "inside the regularized solve"
            if isinstance(adjoint, diffrax.ForwardMode)
            else "solves a separate adjoint ODE backwards and never differentiates the forward "
            "solver's error estimates, so the regularizers' gradients would be lost"
        )
        raise ValueError(
            f"adjoint: {type(adjoint).__name__} {why}; use diffrax.RecursiveCheckpointAdjoint "
            "(discretise-then-optimise, as Pal et al. do) or DirectAdjoint"
        )
    dtype = jnp.result_type(y0)
    low, high = (np.asarray(v, dtype=dtype) for v in (t0, t1))
    step = np.asarray(1.0 if dt0 is None else dt0, dtype=dtype)
    if not (np.isfinite(high) and np.isfinite(low) and high > low):
        raise ValueError(
            f"need t1 > t0 (in y0's precision, {dtype}), got t0={t0}, t1={t1} (reverse time is "
            "out of scope)"
        )
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"dt0={dt0} is not a positive finite number in y0's precision ({dtype})")
    if isinstance(terms, diffrax.ODETerm):
        try:
            out = jax.eval_shape(terms.vector_field, t0, jnp.asarray(y0), args)
        except Exception as err:  # the user's field fails on the state: say so, naming terms
            raise TypeError(
                f"terms: the vector field fails on y0: {type(err).__name__}: {err}"
            ) from None
        shape = getattr(out, "shape", None)
        if shape != jnp.shape(y0) or getattr(out, "dtype", None) != dtype:
            raise ValueError(
                f"terms: the vector field must return y0's shape {jnp.shape(y0)} and dtype "
                f"{dtype}, got {shape} ({getattr(out, 'dtype', type(out).__name__)}); diffrax "
                "would broadcast it into a wrong solution"
            )
    return _regularized_diffeqsolve(
        terms,
        jnp.asarray(y0),
        t0,
        t1,
        solver=solver,
        dt0=dt0,
        rtol=rtol,
        atol=atol,
        args=args,
        saveat=saveat,
        stepsize_controller=stepsize_controller,
        adjoint=adjoint,
        max_steps=max_steps,
        throw=throw,
    )


def _regularized_diffeqsolve(
    terms: diffrax.AbstractTerm,
    y0: jax.Array,
    t0: float,
    t1: float,
    *,
    solver: diffrax.AbstractERK | None = None,
    dt0: float | None = 0.05,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    args: Any = None,
    saveat: diffrax.SaveAt | None = None,
    stepsize_controller: diffrax.PIDController | None = None,
    adjoint: diffrax.AbstractAdjoint | None = None,
    max_steps: int = 4096,
    throw: bool = True,
) -> tuple[diffrax.Solution, JaxSolveStats]:
    """:func:`regularized_diffeqsolve` unchecked, for the package's jitted training steps."""
    if adjoint is None:
        adjoint = diffrax.RecursiveCheckpointAdjoint()
    if stepsize_controller is None:
        stepsize_controller = diffrax.PIDController(rtol=rtol, atol=atol)
    ctl = stepsize_controller
    reg = RegularizedSolver(solver, rtol=float(ctl.rtol), atol=float(ctl.atol), norm=ctl.norm)
    base = saveat if saveat is not None else diffrax.SaveAt(t1=True)
    saveat_full = eqx.tree_at(lambda s: s.solver_state, base, True)
    sol = diffrax.diffeqsolve(
        terms,
        reg,
        t0,
        t1,
        dt0,
        y0,
        args=args,
        saveat=saveat_full,
        stepsize_controller=ctl,
        adjoint=adjoint,
        max_steps=max_steps,
        throw=False,  # a failure is raised below, naming the step
    )
    if throw:
        failed = sol.result != diffrax.RESULTS.successful
        steps = sol.stats["num_steps"]
        if isinstance(steps, jax.core.Tracer):  # under jit: fail when the solve runs
            sol = eqx.error_if(sol, failed, _solver_failure(str(sol.result), max_steps, None))
        elif bool(failed):
            raise SolverError(_solver_failure(str(sol.result), max_steps, int(steps)))
    _, (r_e, r_s, e_max, s_max) = sol.solver_state
    tableau: Any = reg.solver.tableau
    n_stages = len(tableau.c) + 1
    num_steps = sol.stats["num_steps"]
    nfe = 1 + (n_stages - 1) * num_steps if tableau.fsal else n_stages * num_steps
    stats = JaxSolveStats(
        nfe=nfe,
        num_steps=num_steps,
        num_accepted=sol.stats["num_accepted_steps"],
        error_estimate=r_e,
        stiffness_estimate=r_s if reg.stiff else None,
        stiffness_max=s_max if reg.stiff else None,
        max_error=e_max,
    )
    return sol, stats


def _solver_failure(message: str, max_steps: int, step: int | None) -> str:
    """The message of a failed solve: why (from diffrax's ``RESULTS``) and, when known, the
    step (attempted steps, accepted or rejected) at which it stopped."""
    if "max_steps" in message or "maximum number of solver steps" in message:
        why = f"more than max_steps={max_steps} steps (the dynamics blow up or are too stiff)"
    elif "non-finite" in message or "NaN" in message or "nan" in message:
        why = "the state or step size became non-finite (the dynamics blow up)"
    else:
        why = f"diffrax reported an unsuccessful solve ({message})"
    at = "" if step is None else f" diverged at step {step}:"
    return f"regularized_diffeqsolve: the solve failed;{at} {why}"


@checked
def taylor_derivative(
    f: Callable[[Any, jax.Array], jax.Array],
    t: FiniteReal,
    z: Float[jax.Array, "*state"],
    order: TaylorOrder,
) -> jax.Array:
    """``d^K z/dt^K`` along the solution of ``z' = f(t, z)`` at ``(t, z)``, by Taylor-mode AD.

    With ``x = (z, t)`` and ``g(x) = (f(t, z), 1)`` the solution obeys ``x' = g(x)``, so
    ``x^{(k+1)} = (g∘x)^{(k)}``: one ``jax.experimental.jet`` call of ``g`` turns the derivatives
    ``x^{(1..k)}`` into ``x^{(2..k+1)}``. ``K = 1`` is ``f`` itself; ``K − 1`` jet calls give order ``K``.

    Arguments:
        f: the vector field ``f(t, z)``, returning an array shaped like ``z``.
        t: the time.
        z: the state.
        order: ``1 ≤ K ≤ 8`` (each order above 1 costs one more ``jet`` call).

    Returns:
        ``z^{(K)}(t)``, shaped like ``z``.
    """
    _check_jax_field(f, t, z)  # f(t, z) shaped like z (jax.eval_shape: nothing is computed)
    shape = z.shape

    def g(x: jax.Array) -> jax.Array:
        zz, tt = x[:-1].reshape(shape), x[-1]
        return jnp.concatenate([f(tt, zz).reshape(-1), jnp.ones((1,), dtype=x.dtype)])

    x0 = jnp.concatenate([z.reshape(-1), jnp.asarray(t, dtype=z.dtype)[None]])
    derivs = [g(x0)]
    for _ in range(order - 1):
        _, out = jet.jet(g, (x0,), (derivs,))
        derivs = [derivs[0], *out]
    return derivs[-1][:-1].reshape(shape)


_taylor_derivative = inspect.unwrap(taylor_derivative)
""":func:`taylor_derivative` without the argument checks of its boundary (called inside jitted
vector fields, where ``t`` is a tracer)."""


def _check_jax_field(f: Callable[[Any, jax.Array], jax.Array], t: Any, z: jax.Array) -> None:
    """``ValueError`` naming ``f`` unless ``f(t, z)`` has ``z``'s shape (found by
    ``jax.eval_shape``: nothing is computed)."""
    try:
        out = jax.eval_shape(f, jnp.asarray(t, dtype=z.dtype), z)
    except Exception as err:
        raise TypeError(f"f fails on z: {type(err).__name__}: {err}") from None
    if getattr(out, "shape", None) != z.shape:
        raise ValueError(
            f"f(t, z) must return z's shape {z.shape}, got {getattr(out, 'shape', out)!r}"
        )


@checked
def taynode_regularizer(
    f: Callable[[Any, jax.Array], jax.Array],
    t: FiniteReal,
    z: Float[jax.Array, "batch dim"],
    order: TaylorOrder = 2,
) -> jax.Array:
    """Integrand of TayNODE's ``R_K = ∫ ‖d^K z/dt^K‖² dt`` (Kelly et al. 2020), averaged over the batch.

    ``z`` has shape ``(batch, dim)``: returns ``mean_b ‖z_b^{(K)}(t)‖²``. Integrate it by appending one
    scalar to the ODE state (see :func:`theorybook.nde.train_jax.jax_node_loss`).

    Arguments:
        f: the vector field ``f(t, z)``.
        t: the time.
        z: the batch of states, ``(batch, dim)``.
        order: ``1 ≤ K ≤ 8`` (equation :eq:`nde-taynode`).

    Returns:
        The scalar ``mean_b ‖z_b^{(K)}(t)‖²``.
    """
    _check_jax_field(f, t, z)
    return _taynode_regularizer(f, t, z, order)


def _taynode_regularizer(
    f: Callable[[Any, jax.Array], jax.Array], t: Any, z: jax.Array, order: int = 2
) -> jax.Array:
    """:func:`taynode_regularizer` unchecked (called at every stage of a jitted solve)."""
    dk = _taylor_derivative(f, t, z, order)
    return jnp.mean(jnp.sum(jnp.square(dk), axis=-1))
