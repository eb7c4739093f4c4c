"""Chapter 7 (theorybook.nde): ``regularized_odeint`` as a drop-in for ``torchdiffeq.odeint``.

The problems are torchdiffeq's own test problems (its ``tests/problems.py``: ``constant``,
``sine``, ``linear``, ``harmonic``, solved on ``linspace(1, 8, 10)``, forward or reversed),
written again here. Each is solved by ``torchdiffeq.odeint`` and by ``regularized_odeint`` with
the same arguments (defaults: none given) and the solutions, the gradients (with respect to the
initial state, the parameters and the times) and the evaluation counts are compared **bit for
bit** (``torch.equal``): the recorder only observes the solver, so nothing may differ.

Tolerances are torchdiffeq's defaults (``rtol=1e-7``, ``atol=1e-9``: none passed) for
``dopri5`` and ``dopri8`` on every problem and for every method on ``constant``. The low-order
methods (``bosh3``, ``fehlberg2``, ``adaptive_heun``) take thousands of steps at those
tolerances on the other problems (``adaptive_heun`` more than 3000 on ``sine``), too long for a
test on one core; they run on ``harmonic`` in float64 at :data:`LOOSE` (``rtol=1e-5``,
``atol=1e-6``), the same code path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn
from torchdiffeq import odeint

from theorybook.nde.solver_torch import (
    ADAPTIVE_METHODS,
    STIFFNESS_METHODS,
    SolverError,
    regularized_odeint,
    replay_error_ratios,
)

DTYPES = (torch.float32, torch.float64)
LOOSE: dict[str, float] = {"rtol": 1e-5, "atol": 1e-6}


def tolerances(name: str, method: str) -> dict[str, Any]:
    """No tolerance (torchdiffeq's defaults) where the solve is short, else :data:`LOOSE`."""
    return {} if method in STIFFNESS_METHODS or name == "constant" else dict(LOOSE)


class Constant(nn.Module):
    """``y' = a + (y − (a t + b))⁵``, solved by ``y = a t + b``."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.2))
        self.b = nn.Parameter(torch.tensor(3.0))

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return self.a + (y - (self.a * t + self.b)) ** 5

    def exact(self, t: Tensor) -> Tensor:
        return self.a * t + self.b


class Sine(nn.Module):
    """``y' = 2y/t + t⁴ sin 2t − t² + 4t³`` (no parameters)."""

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return 2 * y / t + t**4 * torch.sin(2 * t) - t**2 + 4 * t**3

    def exact(self, t: Tensor) -> Tensor:
        c, s = torch.cos(2 * t), torch.sin(2 * t)
        return (
            -0.5 * t**4 * c
            + 0.5 * t**3 * s
            + 0.25 * t**2 * c
            - t**3
            + 2 * t**4
            + (math.pi - 0.25) * t**2
        )


class Linear(nn.Module):
    """``y' = A y`` with ``A = U − Uᵀ`` skew-symmetric (``U`` of scale 0.1), ``y ∈ ℝ¹⁰``."""

    def __init__(self, dim: int = 10) -> None:
        super().__init__()
        u = 0.1 * torch.randn(dim, dim)
        self.A = nn.Parameter(u - u.T)

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return self.A @ y

    def exact(self, t: Tensor) -> Tensor:
        ones = torch.ones(self.A.shape[0], dtype=self.A.dtype)
        return torch.stack([torch.linalg.matrix_exp(self.A * ti) @ ones for ti in t])


class Harmonic(nn.Module):
    """``y' = y D`` for a row ``y ∈ ℝ⁴``, ``D = [[0, −diag κ], [I, 0]]`` (two damped-free
    oscillators, ``κ = 0.1 |N(0, 1)|``)."""

    def __init__(self, dim: int = 4) -> None:
        super().__init__()
        n = dim // 2
        kappa = 0.1 * torch.randn(n).abs()
        top = torch.cat([torch.zeros(n, n), torch.diag(-kappa)], dim=1)
        bottom = torch.cat([torch.eye(n), torch.zeros(n, n)], dim=1)
        self.D = nn.Parameter(torch.cat([top, bottom], dim=0))

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return (y.reshape(1, -1) @ self.D).reshape(-1)

    def exact(self, t: Tensor) -> Tensor:
        ones = torch.ones(1, self.D.shape[0], dtype=self.D.dtype)
        return torch.stack([(ones @ torch.linalg.matrix_exp(self.D * ti))[0] for ti in t])


PROBLEMS: dict[str, type[nn.Module]] = {
    "constant": Constant,
    "sine": Sine,
    "linear": Linear,
    "harmonic": Harmonic,
}


def problem(name: str, dtype: torch.dtype, reverse: bool) -> tuple[nn.Module, Tensor, Tensor]:
    """torchdiffeq's ``construct_problem``: ``t = linspace(1, 8, 10)`` (requiring a gradient;
    reversed and detached when ``reverse``), ``y0`` the exact solution at ``t[0]``."""
    torch.manual_seed(0)
    f = PROBLEMS[name]().to(dtype)
    t = torch.linspace(1, 8, 10, dtype=dtype, requires_grad=True)
    if reverse:
        t = t.flip(0).detach()
    with torch.no_grad():
        y0 = f.exact(t[:1])[0]  # type: ignore[operator]
    return f, y0.detach().requires_grad_(True), t


def counted(f: Callable[..., Any]) -> tuple[Callable[..., Any], list[int]]:
    calls = [0]

    def g(t: Tensor, y: Any) -> Any:
        calls[0] += 1
        return f(t, y)

    return g, calls


def gradients(out: Tensor | tuple[Tensor, ...], inputs: list[Tensor]) -> tuple[Tensor, ...]:
    """Gradients of a fixed weighting of the solution with respect to ``inputs``."""
    parts = (out,) if isinstance(out, Tensor) else out
    loss = torch.stack(
        [(p * torch.linspace(-1, 2, p.numel()).reshape(p.shape).to(p)).sum() for p in parts]
    ).sum()
    return torch.autograd.grad(loss, inputs, allow_unused=True, materialize_grads=True)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, Tensor):
        return isinstance(b, Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))


def solve_both(f: Callable[..., Any], y0: Any, t: Tensor, inputs: list[Tensor], **kw: Any) -> Any:
    """Solve with ``torchdiffeq.odeint`` and ``regularized_odeint`` (same ``kw``); return
    ``(plain, ours, plain_grads, our_grads, plain_nfe, stats)``, or the two exceptions' types."""
    g, calls = counted(f)
    try:
        plain = odeint(g, y0, t, **kw)
    except AssertionError:  # torchdiffeq's own failure (step underflow, too many steps)
        with pytest.raises(SolverError):
            regularized_odeint(f, y0, t, **kw)
        return None
    ours, st = regularized_odeint(f, y0, t, **kw)
    return plain, ours, gradients(plain, inputs), gradients(ours, inputs), calls[0], st


CASES = [
    (name, method, dtype, reverse)
    for name in PROBLEMS
    for method in ADAPTIVE_METHODS
    for dtype in DTYPES
    for reverse in (False, True)
    if method in STIFFNESS_METHODS
    or name == "constant"
    or (name == "harmonic" and dtype == torch.float64)
]


@pytest.mark.parametrize(("name", "method", "dtype", "reverse"), CASES)
def test_torchdiffeq_problems_bit_for_bit(
    name: str, method: str, dtype: torch.dtype, reverse: bool
) -> None:
    f, y0, t = problem(name, dtype, reverse)
    inputs = [y0, *f.parameters(), *([t] if t.requires_grad else [])]
    kw: dict[str, Any] = {} if method == "dopri5" else {"method": method}  # defaults otherwise
    kw |= tolerances(name, method)
    out = solve_both(f, y0, t, inputs, **kw)
    if out is None:
        return
    plain, ours, g_plain, g_ours, nfe, st = out
    assert same(plain, ours)
    assert same(g_plain, g_ours)
    assert any(bool(g.abs().sum() > 0) for g in g_ours)
    assert st.nfe == nfe
    assert st.time_direction == (-1 if reverse else 1)
    assert bool((st.step_errors <= 1).all())
    assert (st.stiffness_estimate is not None) == (method in STIFFNESS_METHODS)
    assert bool(torch.isfinite(st.error_estimate))


def tuple_problem(
    dtype: torch.dtype, reverse: bool
) -> tuple[Callable[..., Any], Any, Tensor, list]:
    """The four problems as one tuple state ``(y_constant, y_sine, y_linear, y_harmonic)``
    (shapes ``()``, ``()``, ``(10,)``, ``(4,)``)."""
    fs, y0s = [], []
    t = None
    for name in PROBLEMS:
        f, y0, t = problem(name, dtype, reverse)
        fs.append(f)
        y0s.append(y0)
    assert t is not None

    def field(tt: Tensor, y: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        return tuple(f(tt, c) for f, c in zip(fs, y, strict=True))

    inputs = [*y0s, *(p for f in fs for p in f.parameters()), *([t] if t.requires_grad else [])]
    return field, tuple(y0s), t, inputs


@pytest.mark.parametrize("method", [*STIFFNESS_METHODS, "bosh3"])  # bosh3 at LOOSE
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_tuple_states_bit_for_bit(method: str, dtype: torch.dtype, reverse: bool) -> None:
    field, y0, t, inputs = tuple_problem(dtype, reverse)
    out = solve_both(field, y0, t, inputs, method=method, **tolerances("tuple", method))
    if out is None:
        return
    plain, ours, g_plain, g_ours, nfe, st = out
    assert isinstance(ours, tuple) and len(ours) == 4
    assert same(plain, ours)
    assert same(g_plain, g_ours)
    assert st.nfe == nfe
    assert bool((st.step_errors <= 1).all())


def test_tensor_and_tuple_tolerances_bit_for_bit() -> None:
    f, y0, t = problem("linear", torch.float64, False)
    atol = torch.logspace(-9, -6, 10, dtype=torch.float64)
    out = solve_both(f, y0, t, [y0, *f.parameters()], rtol=1e-6, atol=atol)
    assert out is not None
    assert same(out[0], out[1]) and same(out[2], out[3]) and out[4] == out[5].nfe
    field, y0s, t, inputs = tuple_problem(torch.float64, True)
    out = solve_both(field, y0s, t, inputs, rtol=(1e-6, 1e-7, 1e-6, 1e-8), atol=1e-8)
    assert out is not None
    assert same(out[0], out[1]) and same(out[2], out[3]) and out[4] == out[5].nfe


def test_options_and_event_fn_bit_for_bit() -> None:
    f, y0, t = problem("sine", torch.float64, True)
    # jump_t as a tensor: torchdiffeq negates only a tensor in reverse time (a list stays, in the
    # wrong time coordinate); regularized_odeint makes every step_t/jump_t a tensor first.
    jump = torch.tensor([4.5], dtype=torch.float64)
    opts = {"first_step": 0.01, "safety": 0.8, "ifactor": 5.0, "dfactor": 0.3, "jump_t": jump}
    out = solve_both(f, y0, t, [y0], method="dopri8", options=opts)
    assert out is not None
    assert same(out[0], out[1]) and same(out[2], out[3]) and out[4] == out[5].nfe

    # A ball thrown up, y = (height, velocity), stops when it hits the ground (torchdiffeq's
    # event handling): same event time and solution.
    g = torch.tensor(9.81, dtype=torch.float64, requires_grad=True)

    def ball(tt: Tensor, y: Tensor) -> Tensor:
        return torch.stack([y[1], -g])

    def ground(tt: Tensor, y: Tensor) -> Tensor:
        return y[0]

    y0b = torch.tensor([1.0, 10.0], dtype=torch.float64, requires_grad=True)
    t0 = torch.tensor([0.0, 5.0], dtype=torch.float64)
    plain_t, plain = odeint(ball, y0b, t0, event_fn=ground)
    (ev_t, sol), st = regularized_odeint(ball, y0b, t0, event_fn=ground)
    assert same(plain_t, ev_t) and same(plain, sol)
    assert float(ev_t) == pytest.approx((10.0 + math.sqrt(100.0 + 2 * 9.81)) / 9.81, rel=1e-6)
    assert st.num_accepted >= 1 and float(st.error_estimate.detach()) >= 0


def test_regularizers_with_tuple_states() -> None:
    """``E_j`` of a tuple state is torchdiffeq's mixed norm, the largest component RMS: a tuple
    of one tensor, or of two copies of it, gives the tensor's ``E_j`` exactly, and ``ρ_j`` of the
    concatenated state; ``R_E`` carries a gradient to the field's parameters."""
    torch.manual_seed(1)
    w = (0.5 * torch.randn(3, 3, dtype=torch.float64)).requires_grad_(True)
    y = torch.randn(4, 3, dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    _, ref = regularized_odeint(lambda tt, z: torch.tanh(z @ w), y, t, rtol=1e-6, atol=1e-6)
    _, one = regularized_odeint(
        lambda tt, z: (torch.tanh(z[0] @ w),), (y,), t, rtol=1e-6, atol=1e-6
    )
    _, two = regularized_odeint(
        lambda tt, z: tuple(torch.tanh(c @ w) for c in z), (y, y.clone()), t, rtol=1e-6, atol=1e-6
    )
    for st in (one, two):
        assert torch.equal(st.step_errors, ref.step_errors)
        assert torch.equal(st.step_sizes, ref.step_sizes)
        assert torch.equal(st.error_estimate, ref.error_estimate)
    # rho is a ratio of RMS norms of the whole state: two copies give the same ratio.
    assert ref.step_stiffness is not None and two.step_stiffness is not None
    torch.testing.assert_close(two.step_stiffness, ref.step_stiffness, rtol=1e-12, atol=0)
    # The mixed norm picks the component with the larger ratio: scaling one component up raises E_j.
    _, mixed = regularized_odeint(
        lambda tt, z: (torch.tanh(z[0] @ w), 3.0 * torch.tanh(z[1] @ w)),
        (y, y.clone()),
        t,
        rtol=1e-6,
        atol=1e-6,
    )
    assert bool((mixed.step_errors <= 1).all())
    (grad,) = torch.autograd.grad(mixed.error_estimate, [w])
    assert float(grad.abs().sum()) > 0


def test_regularizers_in_reverse_time() -> None:
    """Backwards in time the regularizers integrate over ``|dt|``: solving ``y' = f(y)`` from 1
    to 0 takes the steps of solving ``y' = −f(y)`` from 0 to 1, so ``R_E`` and ``R_S`` agree
    (to rounding: the times differ), land on the end with ``Σ|h_j| = 1``, and every ``E_j``
    replays with the published tableau at steps ``−|h_j|``."""
    torch.manual_seed(2)
    w = torch.randn(2, 2, dtype=torch.float64)
    y = torch.randn(8, 2, dtype=torch.float64)
    kw: dict[str, Any] = dict(rtol=1e-6, atol=1e-6, land_on_end=True)
    back = torch.tensor([1.0, 0.0], dtype=torch.float64)
    fwd = torch.tensor([0.0, 1.0], dtype=torch.float64)
    yb, sb = regularized_odeint(lambda tt, z: torch.tanh(z @ w), y, back, record_states=True, **kw)
    yf, sf = regularized_odeint(lambda tt, z: -torch.tanh(z @ w), y, fwd, **kw)
    assert sb.time_direction == -1 and sb.num_accepted == sf.num_accepted
    assert float(sb.step_sizes.sum()) == pytest.approx(1.0, abs=1e-12)
    assert float(sb.error_estimate) == pytest.approx(float(sf.error_estimate), rel=1e-9)
    assert float(sb.stiffness()) == pytest.approx(float(sf.stiffness()), rel=1e-9)
    torch.testing.assert_close(yb[-1], yf[-1], rtol=1e-10, atol=1e-12)
    replayed = replay_error_ratios(lambda tt, z: torch.tanh(z @ w), sb, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(replayed, sb.step_errors, rtol=1e-9, atol=1e-12)
    ts, st_tuple = regularized_odeint(lambda tt, z: (-z[0],), (y,), fwd, record_states=True)
    with pytest.raises(ValueError, match="tuple"):
        replay_error_ratios(lambda tt, z: -z, st_tuple, rtol=1e-7, atol=1e-9)


def test_defaults_are_torchdiffeqs() -> None:
    import inspect

    from torchdiffeq._impl.rk_common import RKAdaptiveStepsizeODESolver

    ours = inspect.signature(regularized_odeint).parameters
    theirs = inspect.signature(odeint).parameters
    for name in ("method", "rtol", "atol", "options", "event_fn"):
        assert ours[name].default == theirs[name].default, name
    assert ours["land_on_end"].default is False
    cap = inspect.signature(RKAdaptiveStepsizeODESolver).parameters["max_num_steps"].default
    from theorybook.nde.solver_torch import TORCHDIFFEQ_MAX_NUM_STEPS

    assert cap == TORCHDIFFEQ_MAX_NUM_STEPS


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        (dict(method="rk4"), ValueError, "method.*without an embedded error estimate"),
        (dict(method="implicit_adams"), ValueError, "method.*without an embedded error estimate"),
        (dict(method="tsit5"), ValueError, "method.*not a torchdiffeq method"),
        (dict(adjoint=True), ValueError, "adjoint"),
        (dict(options={"norm": torch.linalg.norm}), ValueError, "norm.*refused"),
        (dict(method="dopri5", options={"step_size": 0.1}), ValueError, "step_size.*fixed-step"),
        (dict(options={"grid_constructor": None}), ValueError, "grid_constructor"),
        (dict(event_fn=lambda t, y: y[0], land_on_end=True), ValueError, "land_on_end"),
        (dict(rtol=(1e-3, 1e-3)), TypeError, "rtol.*tuple state"),
        (dict(atol=torch.ones(7)), ValueError, "atol.*does not fit"),
        (dict(atol=-torch.ones(1)), ValueError, "atol.*positive"),
        (dict(rtol=-1.0), ValueError, "rtol"),
    ],
)
def test_refusals_name_the_option(kw: dict[str, Any], error: type, match: str) -> None:
    y0 = torch.ones(3, dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    with pytest.raises(error, match=match):
        regularized_odeint(lambda tt, y: -y, y0, t, **kw)


def test_tuple_state_refusals() -> None:
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    one = torch.ones(2, dtype=torch.float64)
    with pytest.raises(TypeError, match="one dtype"):
        regularized_odeint(lambda tt, y: y, (one, one.float()), t)
    with pytest.raises(TypeError, match="y0"):  # beartype or the body check, whichever first
        regularized_odeint(lambda tt, y: y, (one, 1.0), t)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        regularized_odeint(lambda tt, y: y, (one, one * math.nan), t)
    with pytest.raises(ValueError, match="one tolerance per component"):
        regularized_odeint(lambda tt, y: y, (one, one), t, rtol=(1e-3,))
    with pytest.raises(TypeError, match="tuple of 2 tensors"):
        regularized_odeint(lambda tt, y: y[0], (one, one), t)
    with pytest.raises(ValueError, match=r"\[1\] must return the shape"):
        regularized_odeint(lambda tt, y: (y[0], y[1][:1]), (one, one), t)
    with pytest.raises(ValueError, match="strictly increasing or decreasing"):
        regularized_odeint(lambda tt, y: -y, one, torch.tensor([0.0, 1.0, 0.5]))
