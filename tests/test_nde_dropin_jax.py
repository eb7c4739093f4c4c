"""Chapter 7 (theorybook.nde): ``regularized_diffeqsolve`` against plain ``diffrax.diffeqsolve``.

Supported: ``dt0=None`` (diffrax selects the first step) and the discretise-then-optimise adjoints
``RecursiveCheckpointAdjoint`` and ``DirectAdjoint``. For each, the regularized
solve and ``diffeqsolve`` with the same solver, ``dt0``, controller, adjoint and ``max_steps``
must take the same steps and give the same solution bit for bit; the NFE formula must match a
host-side counter; the solution's gradient must agree to float32 rounding (``rtol=1e-6``: the
two programs compile to different XLA graphs, the regularized one carrying the accumulators, so
the fused reductions of the backward pass may round differently). Refused, naming ``adjoint``:
``BacksolveAdjoint``, ``ImplicitAdjoint`` and ``ForwardMode``.
"""

from __future__ import annotations

from typing import Any

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import io_callback

from theorybook.nde.solver_jax import regularized_diffeqsolve

Y0 = jnp.array([1.0, -0.5, 2.0])
W = jnp.array([[-1.0, 0.5, 0.0], [0.3, -2.0, 0.4], [0.0, 0.2, -0.7]])
ADJOINTS = {
    "RecursiveCheckpointAdjoint": diffrax.RecursiveCheckpointAdjoint,
    "DirectAdjoint": diffrax.DirectAdjoint,
}


def field(t: Any, y: jax.Array, w: jax.Array) -> jax.Array:
    return jnp.tanh(w @ y) + 0.3 * jnp.sin(3 * t)


def counted_field() -> tuple[Any, list[int]]:
    count = [0]

    def bump(_: object) -> np.ndarray:
        count[0] += 1
        return np.zeros((), np.float32)

    def f(t: Any, y: jax.Array, w: jax.Array) -> jax.Array:
        z = io_callback(bump, jax.ShapeDtypeStruct((), jnp.float32), y[0], ordered=True)
        return field(t, y, w) + z * w[0, 0]

    return f, count


def solves(dt0: float | None, adjoint: diffrax.AbstractAdjoint, f: Any = field) -> Any:
    """``(regularized, plain)`` solution functions of ``w`` with the same arguments."""
    ctl = diffrax.PIDController(rtol=1e-4, atol=1e-5)
    kw: dict[str, Any] = dict(stepsize_controller=ctl, adjoint=adjoint, max_steps=256)
    solver = diffrax.Dopri5()

    def ours(w: jax.Array) -> tuple[diffrax.Solution, Any]:
        return regularized_diffeqsolve(
            diffrax.ODETerm(f), Y0, 0.0, 2.0, solver=solver, dt0=dt0, args=w, **kw
        )

    def plain(w: jax.Array) -> diffrax.Solution:
        return diffrax.diffeqsolve(
            diffrax.ODETerm(f),
            solver,
            0.0,
            2.0,
            dt0,
            Y0,
            args=w,
            saveat=diffrax.SaveAt(t1=True),
            **kw,
        )

    return ours, plain


@pytest.mark.parametrize(
    ("dt0", "adjoint"), [(None, "RecursiveCheckpointAdjoint"), (0.1, "DirectAdjoint")]
)
def test_same_steps_solution_nfe_and_gradient_as_diffeqsolve(
    dt0: float | None, adjoint: str
) -> None:
    f, count = counted_field()
    ours, plain = solves(dt0, ADJOINTS[adjoint](), f)
    sol, st = ours(W)
    jax.block_until_ready(sol.ys)
    n_ours, count[0] = count[0], 0
    ref = plain(W)
    jax.block_until_ready(ref.ys)
    assert int(st.num_steps) == int(ref.stats["num_steps"]) >= 5
    np.testing.assert_array_equal(np.asarray(sol.ys), np.asarray(ref.ys))
    assert n_ours == count[0] == int(st.nfe)
    assert 0 < float(st.max_error) <= 1

    ours, plain = solves(dt0, ADJOINTS[adjoint]())
    g_ours = jax.grad(lambda w: jnp.sum(ours(w)[0].ys ** 2))(W)
    g_plain = jax.grad(lambda w: jnp.sum(plain(w).ys ** 2))(W)
    np.testing.assert_allclose(np.asarray(g_ours), np.asarray(g_plain), rtol=1e-6, atol=1e-7)
    g_re = jax.grad(lambda w: ours(w)[1].error_estimate)(W)
    assert float(jnp.linalg.norm(g_re)) > 0


@pytest.mark.parametrize(
    ("adjoint", "match"),
    [
        (diffrax.BacksolveAdjoint(), "adjoint: BacksolveAdjoint .*separate adjoint ODE"),
        (diffrax.ImplicitAdjoint(), "adjoint: ImplicitAdjoint .*steady state"),
        (diffrax.ForwardMode(), "adjoint: ForwardMode .*forward-mode"),
    ],
)
def test_continuous_and_implicit_adjoints_are_refused(
    adjoint: diffrax.AbstractAdjoint, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        regularized_diffeqsolve(diffrax.ODETerm(field), Y0, 0.0, 1.0, args=W, adjoint=adjoint)


def test_reverse_time_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="reverse time is out of scope"):
        regularized_diffeqsolve(diffrax.ODETerm(field), Y0, 1.0, 0.0, args=W)
