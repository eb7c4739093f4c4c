"""Error and stiffness regularizers recorded inside torchdiffeq's adaptive Runge–Kutta solvers.

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021). torchdiffeq already computes,
at every step of its adaptive solvers (``dopri5``, ``bosh3``, ``fehlberg2``, ``adaptive_heun``,
``dopri8``), the embedded error estimate and, for ``dopri5`` and ``dopri8`` (as their last two
stages), the two evaluations a stiffness estimate needs; it just does not return them. This module
records them without changing the solver:

* the error ratio: torchdiffeq calls the ``norm`` option on
  ``ỹ_j / (atol + rtol·max(|y_{j-1}|, |y_j|))`` to decide acceptance; the norm we pass is the usual
  RMS norm that also records its value while a step is in progress;
* the step size and acceptance: torchdiffeq's ``callback_step`` / ``callback_accept_step`` /
  ``callback_reject_step`` hooks on the vector field;
* the last two stages: for ``dopri5`` and ``dopri8`` both are evaluated at ``t_j`` (Dormand–Prince
  has ``c₆ = c₇ = 1``), at the input ``g₆`` of the second-to-last stage and at the new point ``y_j``
  (first-same-as-last), so the vector-field wrapper keeps the last two evaluations of each step.
  The other methods have no two stages at ``t_j``: their ``R_S`` is ``None``.

Tableau, error norm and step-size controller are torchdiffeq's own; written here is only the
accumulation of equations :eq:`nde-ernode` and :eq:`nde-srnode` of the chapter (and the checks of
the public boundary; the package's own loops call the unchecked ``_regularized_odeint``).

Length: one concept, the recorder and the one entry point that wraps ``torchdiffeq.odeint`` with
it; most of the length is that entry point's drop-in boundary (torchdiffeq's arguments, tuple
states, tolerances and options, each checked or refused with its reason) and the replay check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import torch
from jaxtyping import AbstractDtype
from torch import Tensor

from theorybook.boundary import PositiveReal, checked
from theorybook.declared import mark_record
from theorybook.nde.stability import SolverError, dopri5_stability_size, stability_size
from theorybook.validation import one_of, positive_int, real

__all__ = [
    "ADAPTIVE_METHODS",
    "DEFAULT_MAX_NUM_STEPS",
    "TORCHDIFFEQ_ATOL",
    "TORCHDIFFEQ_MAX_NUM_STEPS",
    "TORCHDIFFEQ_RTOL",
    "STIFFNESS_FORMS",
    "STIFFNESS_METHODS",
    "SolveStats",
    "SolverError",
    "regularized_odeint",
    "method_stability_size",
    "stability_size",
]


if TYPE_CHECKING:  # what jaxtyping's own dtypes are to a static checker
    from typing import Annotated as Float3264
else:

    class Float3264(AbstractDtype):
        """jaxtyping dtype float32 or float64 (torchdiffeq's float16 step control underflows)."""

        dtypes = ["float32", "float64"]


Field = Callable[[Tensor, Tensor], Tensor]
"""A vector field ``f(t, y)``: returns a tensor shaped like ``y``, of ``y``'s dtype."""

AdaptiveMethod = Literal["dopri5", "bosh3", "fehlberg2", "adaptive_heun", "dopri8"]
ADAPTIVE_METHODS: tuple[str, ...] = get_args(AdaptiveMethod)
"""torchdiffeq methods with an embedded error estimate, hence an ``R_E``."""

StiffnessMethod = Literal["dopri5", "dopri8"]
STIFFNESS_METHODS: tuple[str, ...] = get_args(StiffnessMethod)
"""Methods whose last two stages both sit at ``t_j``, the second at ``y_j``: these give ``R_S``."""


@checked
def method_stability_size(method: StiffnessMethod) -> float:
    """``s_stab`` of a torchdiffeq method in :data:`STIFFNESS_METHODS`, from torchdiffeq's own
    tableau (stage matrix from its ``beta`` rows, weights ``c_sol``); cached."""
    return _method_stability_size(method)


@functools.cache
def _method_stability_size(method: str) -> float:
    if method == "dopri5":
        return dopri5_stability_size()
    from torchdiffeq._impl.dopri8 import _DOPRI8_TABLEAU as tab

    s = len(tab.alpha) + 1
    a = np.zeros((s, s))
    for i, row in enumerate(tab.beta):
        a[i + 1, : len(row)] = row.double().numpy()
    return stability_size(a, tab.c_sol.double().numpy())


STIFFNESS_FORMS: tuple[str, ...] = ("integral", "max")
"""Forms of ``R_S``: ``Σ_j |h_j| ρ_j / s_stab`` or ``max_j ρ_j / s_stab`` (see :meth:`SolveStats.stiffness`)."""

DEFAULT_MAX_NUM_STEPS = 10_000
"""Step cap of every solve (accepted plus rejected steps), unless ``options`` sets its own."""


@mark_record  # built by every solve of a training loop: marked, its fields not re-checked
@dataclass
class SolveStats:
    """What one :func:`regularized_odeint` solve recorded.

    ``error_estimate`` is ``R_E = Σ_j E_j |h_j|`` over accepted steps (equation ``ernode``) and
    ``stiffness_estimate`` is ``R_S = Σ_j |h_j| ρ_j / s_stab`` (equation ``srnode``); both are scalar
    tensors that carry gradients to the parameters of the vector field. ``stiffness_max`` is
    ``max_j ρ_j / s_stab``, the form of the official code (no step size, maximum over steps). The
    stiffness fields are ``None`` for methods outside :data:`STIFFNESS_METHODS` or when skipped.
    The per-step tensors are detached copies in the state's dtype, for inspection; ``step_sizes``
    are ``|h_j|``. ``nfe`` counts every call of the vector field, including the two of the
    initial-step selection. ``time_direction`` is ``-1`` for a solve backwards in time.
    """

    nfe: int
    num_steps: int
    num_accepted: int
    num_rejected: int
    error_estimate: torch.Tensor
    stiffness_estimate: torch.Tensor | None
    stiffness_max: torch.Tensor | None
    step_errors: torch.Tensor = field(repr=False)
    step_sizes: torch.Tensor = field(repr=False)
    step_stiffness: torch.Tensor | None = field(repr=False)
    step_starts: list[tuple[float, Any]] = field(default_factory=list, repr=False)
    time_direction: int = 1

    def stiffness(self, form: str = "integral") -> torch.Tensor:
        """The stiffness regularizer in one of two forms: ``"integral"``,
        ``R_S = Σ_j |h_j| ρ_j / s_stab`` (equation :eq:`nde-srnode`, the default), or ``"max"``,
        ``max_j ρ_j / s_stab`` (the official code's form: no step size, maximum over steps).
        ``ValueError`` for another ``form``, or when the method gives no stiffness estimate.
        """
        form = one_of("form", form, STIFFNESS_FORMS)
        value = self.stiffness_estimate if form == "integral" else self.stiffness_max
        if value is None:
            raise ValueError(
                f"this solve has no stiffness estimate: solve with one of {STIFFNESS_METHODS}"
            )
        return value


def _rms(x: torch.Tensor) -> torch.Tensor:
    """torchdiffeq's RMS norm, with a finite gradient at zero (``sqrt`` alone gives NaN there)."""
    ms = x.abs().pow(2).mean()
    pos = ms > 0
    return torch.where(pos, torch.where(pos, ms, torch.ones_like(ms)).sqrt(), torch.zeros_like(ms))


State = Tensor | tuple[Tensor, ...]
"""A state: one tensor or, as torchdiffeq allows, a tuple of tensors (each of any shape)."""


def _parts(y: State) -> tuple[Tensor, ...]:
    return (y,) if isinstance(y, Tensor) else tuple(y)


def _flat(y: State) -> Tensor:
    """``y`` as one vector (a tuple state is concatenated, as torchdiffeq does internally)."""
    return y if isinstance(y, Tensor) else torch.cat([c.reshape(-1) for c in y])


def _finite(y: State) -> bool:
    return all(bool(torch.isfinite(c.detach()).all()) for c in _parts(y))


def _mixed_rms(x: State) -> Tensor:
    """torchdiffeq's error norm: RMS for a tensor; for a tuple state its ``_mixed_norm``, the
    largest of the components' RMS norms (Python's ``max``, so the same component is picked)."""
    if isinstance(x, Tensor):
        return _rms(x)
    return max(_rms(c) for c in x)


def _check_field_output(out: object, y: State, evaluation: int) -> None:
    """Raise naming ``func`` unless ``out`` has ``y``'s shape and dtype (for a tuple state: a tuple
    of as many tensors, each of its component's shape and dtype): at every evaluation, since a
    scalar (or a shape that changes with ``t``) would be broadcast into a wrong solution."""
    if isinstance(y, Tensor):
        _check_component(out, y, evaluation, "")
        return
    if not isinstance(out, tuple | list) or len(out) != len(y):
        raise TypeError(
            f"func must return a tuple of {len(y)} tensors for a tuple state, got "
            f"{type(out).__name__} at evaluation {evaluation}"
        )
    for i, (o, c) in enumerate(zip(out, y, strict=True)):
        _check_component(o, c, evaluation, f"[{i}]")


def _check_component(out: object, y: Tensor, evaluation: int, part: str) -> None:
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"func must return a torch.Tensor{part}, got {type(out).__name__}")
    if out.shape != y.shape:
        raise ValueError(
            f"func(t, y){part} must return the shape of y{part} {tuple(y.shape)}, got "
            f"{tuple(out.shape)} at evaluation {evaluation}"
        )
    if out.dtype != y.dtype:
        raise TypeError(
            f"func(t, y){part} must return the dtype of y{part} ({y.dtype}), got {out.dtype} at "
            f"evaluation {evaluation}"
        )


class _StepRecorder:
    """Wraps the vector field: counts calls and records the quantities of each accepted step
    (a plain object: a module's ``__setattr__`` costs more than this bookkeeping)."""

    def __init__(
        self, func: Callable[..., Any], *, stiffness: bool, record_states: bool = False
    ) -> None:
        self.func = func
        self.stiffness = stiffness
        self.nfe = 0
        self.armed = False
        self.ratio: torch.Tensor | None = None
        self.last: list[tuple[State, State]] = []
        self.errors: list[torch.Tensor] = []
        self.steps: list[torch.Tensor] = []
        self.rhos: list[torch.Tensor] = []
        self.rejected = 0
        self.record_states = record_states
        self.starts: list[tuple[float, State]] = []

    def __call__(self, t: torch.Tensor, y: State) -> State:
        self.nfe += 1
        out = self.func(t, y)
        _check_field_output(out, y, self.nfe)
        if self.armed and self.stiffness:
            self.last = [*self.last[-1:], (y, out)]
        return out

    def norm(self, x: State) -> torch.Tensor:
        """torchdiffeq's error norm (RMS; the largest component RMS for a tuple state, as its
        ``_mixed_norm``); records the value while a step is in progress."""
        value = _mixed_rms(x)
        if self.armed:
            self.ratio = value
        return value

    def callback_step(self, t0: torch.Tensor, y0: State, dt: torch.Tensor) -> None:
        self.check_state(y0)
        self.armed = True
        self.ratio = None
        self.last = []

    def check_state(self, y: State) -> None:
        """:class:`SolverError` naming the step if the state ``y`` is not finite (an accepted step
        that blew up: torchdiffeq would carry the inf or NaN on silently)."""
        if not _finite(y):
            step = len(self.errors)
            raise SolverError(
                f"regularized_odeint diverged at step {step}: the state after it is non-finite "
                "(the step is too large or the dynamics blow up)"
            )

    def callback_accept_step(self, t0: torch.Tensor, y0: State, dt: torch.Tensor) -> None:
        if self.ratio is None or (self.stiffness and len(self.last) < 2):  # pragma: no cover
            raise RuntimeError("the Runge-Kutta step did not go through the recorder as expected")
        h = dt.detach().abs().to(self.ratio.dtype)
        if self.stiffness:
            (g6, k6), (y1, k7) = (tuple(map(_flat, pair)) for pair in self.last)
            num = _rms(k7 - k6).to(self.ratio.dtype)
            den = _rms(y1 - g6).to(self.ratio.dtype)
            ok = den > 0
            rho = torch.where(
                ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num)
            )
            self.rhos.append(rho)
        self.errors.append(self.ratio)
        if self.record_states:
            kept = tuple(c.detach().clone() for c in _parts(y0))
            self.starts.append((float(t0.detach()), kept[0] if isinstance(y0, Tensor) else kept))
        self.steps.append(h)
        self.armed = False

    def callback_reject_step(self, t0: torch.Tensor, y0: State, dt: torch.Tensor) -> None:
        self.rejected += 1
        self.armed = False


TORCHDIFFEQ_RTOL = 1e-7
TORCHDIFFEQ_ATOL = 1e-9
"""``torchdiffeq.odeint``'s default tolerances, the defaults of :func:`regularized_odeint`."""

TORCHDIFFEQ_MAX_NUM_STEPS = 2**31 - 1
"""torchdiffeq's own step cap, the default of :func:`regularized_odeint` (the package's loops
pass theirs, :data:`DEFAULT_MAX_NUM_STEPS` unless configured)."""

Tolerance = PositiveReal | Tensor | tuple[PositiveReal | Tensor, ...]
"""``rtol``/``atol`` as torchdiffeq takes them: a number, a tensor (per element of ``y``) or, for
a tuple state, one number or tensor per component."""


@checked
def regularized_odeint(
    func: Callable[..., Any],
    y0: Float3264[Tensor, "*state"] | tuple[Float3264[Tensor, "*_part"], ...],
    t: Float3264[Tensor, " times"],
    method: str | None = None,
    rtol: Tolerance = TORCHDIFFEQ_RTOL,
    atol: Tolerance = TORCHDIFFEQ_ATOL,
    *,
    options: dict[str, Any] | None = None,
    event_fn: Callable[..., Tensor] | None = None,
    adjoint: bool = False,
    land_on_end: bool = False,
    record_states: bool = False,
) -> tuple[Any, SolveStats]:
    """``torchdiffeq.odeint`` that also records ``R_E`` and ``R_S``: a drop-in replacement.

    Implements equations :eq:`nde-ernode` and :eq:`nde-srnode` (Pal et al. 2021): over accepted
    steps ``j`` with sizes ``h_j``,

    ``R_E = Σ_j E_j |h_j|``, ``E_j = RMS(ỹ_j / (atol + rtol·max(|y_{j-1}|, |y_j|)))`` and
    ``R_S = Σ_j |h_j| ρ_j / s_stab``, ``ρ_j = ‖k₇ − k₆‖ / ‖y_j − g₆‖``.

    Gradients flow through ``E_j`` and ``ρ_j`` (discretise-then-optimise, as in the paper); the step
    sizes carry none (torchdiffeq's controller runs under ``no_grad``). With the same arguments,
    the steps, the solution, its gradients and the number of vector-field evaluations are exactly
    those of ``torchdiffeq.odeint`` (bit for bit: the chapter's tests run torchdiffeq's own test
    problems, forward and reverse time, tensor and tuple states, both dtypes, every method below).
    The defaults are torchdiffeq's: ``method=None`` (``dopri5``), ``rtol=1e-7``, ``atol=1e-9``,
    its step cap ``2**31 − 1``, no extra step at ``t[-1]``.

    What torchdiffeq's ``odeint`` accepts, and what of it is supported here:

    * ``y0``: a float32/float64 tensor of any shape, or a **tuple** of such tensors (one dtype);
      ``func(t, y)`` then takes and returns a tuple. The error norm is torchdiffeq's for tuples
      (``_mixed_norm``): ``E_j`` is the **largest of the components' RMS** ratios, exactly the
      value its controller accepts on. ``ρ_j`` is the ratio of RMS norms of the concatenated
      stage differences (the state as one vector: a Rayleigh-like estimate of the Jacobian's
      largest eigenvalue, which a per-component maximum would not be).
    * ``t``: ≥ 2 strictly increasing **or decreasing** times. In reverse time torchdiffeq
      integrates ``−f(−s, y)`` in ``s = −t``; ``h_j`` is then the step size in ``s``, so
      ``R_E = Σ_j E_j |h_j|`` and ``R_S`` are the integrals of the heuristics over ``|dt|``.
    * ``rtol``, ``atol``: positive numbers, tensors (per element of ``y``, no gradient) or, for a
      tuple state, tuples with one entry per component (as torchdiffeq).
    * ``method``: ``None`` or one of :data:`ADAPTIVE_METHODS`. Fixed-step (``euler``, ``rk4``,
      …), Adams and ``scipy_solver`` methods are **refused** (``ValueError`` naming ``method``):
      they have no embedded error estimate torchdiffeq can report, so there is no ``E_j`` and no
      ``R_E``. ``R_S`` needs two last stages at ``t_j``: ``None`` except for ``dopri5``, ``dopri8``.
    * ``options``: torchdiffeq's adaptive-solver options ``first_step``, ``min_step``,
      ``max_step``, ``safety``, ``ifactor``, ``dfactor``, ``max_num_steps``, ``step_t``,
      ``jump_t``, ``dtype``, each checked. ``norm`` is **refused**: the recorder passes
      torchdiffeq's default norm itself, and ``E_j`` is defined by it (another norm would change
      the regularizer). The fixed-grid options (``step_size``, ``grid_constructor``, ``perturb``,
      ``interp``) are refused with the fixed-step methods.
    * ``event_fn``: supported. The solve stops at the event, as torchdiffeq's does; the first
      element returned is then torchdiffeq's ``(event_t, solution)``; the regularizers run over
      the accepted steps taken (the last one may pass the event; the solution is interpolated).
    * the adjoint (``torchdiffeq.odeint_adjoint``, here ``adjoint=True``) is **refused**: it solves
      a separate adjoint ODE backwards and never differentiates the forward solver's error
      estimates, so ``dR_E/dθ`` would be lost.

    Deliberate differences, all on inputs torchdiffeq would mishandle or on failures: a failed
    solve raises :class:`SolverError` (torchdiffeq: a bare ``AssertionError``); an unknown option
    raises (torchdiffeq: a warning); ``func``'s output is checked at every evaluation; a
    non-finite ``y0`` is refused; ``step_t``/``jump_t`` given as lists are made tensors, so that
    in reverse time they are negated with ``t`` (torchdiffeq negates only a tensor, and leaves a
    list in the wrong time coordinate).

    Parameters
    ----------
    func, y0, t, method, rtol, atol, options, event_fn
        as for ``torchdiffeq.odeint`` (above). ``func(t, y)`` must return ``y``'s shape and dtype
        at every evaluation (checked at each: a scalar is not broadcast); ``y0`` finite.
    adjoint
        must stay ``False`` (above).
    land_on_end
        add ``t[-1]`` to ``step_t`` so the last step ends exactly at ``t[-1]`` (as diffrax does)
        instead of overshooting and interpolating; then ``Σ |h_j| = |t[-1] − t[0]|``. Off by
        default (torchdiffeq's behaviour); not with ``event_fn`` (the solve ends at the event).
    record_states
        also keep ``(t_{j-1}, y_{j-1})`` of every accepted step in ``stats.step_starts`` (detached
        copies), so that a step can be replayed (see :func:`replay_error_ratios`).

    Returns
    -------
    (solution, stats)
        what ``torchdiffeq.odeint`` returns (the solution at the times ``t``, shape
        ``(len(t), *y0.shape)``, a tuple for a tuple state; ``(event_t, solution)`` with
        ``event_fn``) and a :class:`SolveStats`.

    Raises
    ------
    TypeError, ValueError
        for malformed or refused inputs, naming the argument (``func`` included, see above).
    SolverError
        naming the step, when the solve fails: step-size underflow, a non-finite state, or more
        than ``max_num_steps`` steps (torchdiffeq's bare ``AssertionError`` never escapes).
    """
    if adjoint:
        raise ValueError(
            "regularized_odeint cannot use the adjoint method: odeint_adjoint solves a separate "
            "adjoint ODE and never sees the forward solver's error estimates, so dR_E/dθ would be "
            "lost. Use adjoint=False (backpropagate through the solver, as Pal et al. do)."
        )
    method = _checked_method(method)
    if isinstance(y0, tuple):
        if not y0:
            raise ValueError("y0 must be a tensor or a non-empty tuple of tensors")
        if not all(isinstance(c, Tensor) and c.dtype in _FLOATS for c in y0):
            raise TypeError(
                "the components of a tuple y0 must be float32/float64 tensors, got "
                f"{[getattr(c, 'dtype', type(c).__name__) for c in y0]}"
            )
        if len({c.dtype for c in y0}) > 1:
            raise TypeError(
                f"the components of y0 must share one dtype, got {[c.dtype for c in y0]}"
            )
        if not _finite(y0) or any(c.numel() == 0 for c in y0):
            raise ValueError("the components of y0 must be non-empty and finite")
    if t.shape[0] < 2:
        raise ValueError("regularized_odeint: t must hold at least two times")
    step = t[1:] - t[:-1]
    if not (bool((step > 0).all()) or bool((step < 0).all())):
        raise ValueError("regularized_odeint: t must be strictly increasing or decreasing")
    if event_fn is not None and land_on_end:
        raise ValueError(
            "land_on_end needs an end time; with event_fn the solve ends at the event (t[-1] "
            "is ignored, as by torchdiffeq): use land_on_end=False"
        )
    opts = _checked_options(options)
    opts.setdefault("max_num_steps", TORCHDIFFEQ_MAX_NUM_STEPS)
    return _regularized_odeint(
        func,
        y0,
        t,
        method,
        rtol=_checked_tol("rtol", rtol, y0),
        atol=_checked_tol("atol", atol, y0),
        options=opts,
        land_on_end=land_on_end,
        record_states=record_states,
        event_fn=event_fn,
    )


def _checked_method(method: object) -> str:
    """``method`` (``None`` is torchdiffeq's default ``dopri5``), refused unless adaptive."""
    if method is None:
        return "dopri5"
    if method in ADAPTIVE_METHODS:
        return str(method)
    from torchdiffeq._impl.odeint import SOLVERS

    why = (
        f"{method!r} is a torchdiffeq method without an embedded error estimate that it reports "
        "(fixed-step, Adams or the SciPy wrapper), so there is no E_j and no R_E to record"
        if method in SOLVERS
        else f"{method!r} is not a torchdiffeq method"
    )
    raise ValueError(
        f"method must be one of {ADAPTIVE_METHODS} or None (torchdiffeq's default, dopri5): {why}"
    )


def _checked_tol(name: str, value: object, y0: State) -> Any:
    """A tolerance as torchdiffeq takes it (see :func:`regularized_odeint`), checked."""
    if isinstance(value, tuple):
        if isinstance(y0, Tensor):
            raise TypeError(f"{name}: a tuple of tolerances needs a tuple state y0")
        if len(value) != len(y0):
            raise ValueError(
                f"{name} must hold one tolerance per component of y0 ({len(y0)}), got {len(value)}"
            )
        return tuple(_checked_tol(f"{name}[{i}]", v, c) for i, (v, c) in enumerate(zip(value, y0)))
    if isinstance(value, Tensor):
        if not value.is_floating_point():
            raise TypeError(f"{name} must be a floating tensor, got {value.dtype}")
        if value.requires_grad:
            raise ValueError(f"{name} cannot require gradient (torchdiffeq's rule)")
        if not (bool(torch.isfinite(value).all()) and bool((value > 0).all())):
            raise ValueError(f"{name} must hold positive finite tolerances")
        sizes = {c.numel() for c in _parts(y0)}
        fits = (
            value.ndim <= 1 and value.numel() in {1, *sizes}
            if not isinstance(y0, Tensor)
            else _broadcasts(value.shape, y0.shape)
        )
        if not fits:
            raise ValueError(
                f"{name} of shape {tuple(value.shape)} does not fit the state's shape "
                f"{[tuple(c.shape) for c in _parts(y0)]} (one tolerance per element)"
            )
        return value
    return real(name, value, low=0.0, low_open=True)


def _broadcasts(shape: torch.Size, target: torch.Size) -> bool:
    try:
        return torch.broadcast_shapes(shape, target) == target
    except RuntimeError:
        return False


_OPTION_RULES: dict[str, dict[str, Any]] = {
    "first_step": dict(low=0.0, low_open=True),
    "min_step": dict(low=0.0),
    "max_step": dict(low=0.0, low_open=True, finite=False),
    "safety": dict(low=0.0, high=1.0, low_open=True),
    "ifactor": dict(low=1.0),
    "dfactor": dict(low=0.0, high=1.0, low_open=True),
}

_FLOATS = (torch.float32, torch.float64)

_FIXED_GRID_OPTIONS = ("step_size", "grid_constructor", "perturb", "interp")


def _checked_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``options``: torchdiffeq's adaptive-solver options, checked, named in errors."""
    opts = dict(options or {})
    known = sorted({*_OPTION_RULES, "step_t", "jump_t", "max_num_steps", "dtype"})
    for key, value in opts.items():
        name = f"options[{key!r}]"
        if key == "norm":
            raise ValueError(
                f"{name} is refused: the recorder passes torchdiffeq's default (RMS) norm, and "
                "E_j, hence R_E, is defined by it"
            )
        if key in _FIXED_GRID_OPTIONS:
            raise ValueError(
                f"{name} is an option of torchdiffeq's fixed-step methods, which are refused "
                "(no error estimate, no R_E)"
            )
        if key not in known:
            raise ValueError(f"options has an unknown key {key!r}; known keys: {known}")
        if key in _OPTION_RULES and value is not None:
            opts[key] = real(name, value, **_OPTION_RULES[key])
        elif key == "max_num_steps":
            opts[key] = positive_int(name, value)
        elif key == "dtype" and not (isinstance(value, torch.dtype) and value.is_floating_point):
            raise TypeError(f"{name} must be a floating torch.dtype, got {value!r}")
        elif key in ("step_t", "jump_t") and value is not None:
            if not isinstance(value, torch.Tensor | np.ndarray | list | tuple):
                raise TypeError(f"{name} must be a 1-D tensor of times, got {type(value).__name__}")
            try:
                opts[key] = torch.as_tensor(value, dtype=torch.float64)
            except (TypeError, ValueError, RuntimeError):
                raise TypeError(f"{name} must hold real times") from None
            if opts[key].ndim != 1 or not bool(torch.isfinite(opts[key]).all()):
                raise ValueError(f"{name} must be a 1-D tensor of finite times")
    return opts


def _regularized_odeint(
    func: Callable[..., Any],
    y0: State,
    t: Tensor,
    method: str = "dopri5",
    *,
    rtol: Any,
    atol: Any,
    land_on_end: bool,
    options: dict[str, Any] | None = None,
    record_states: bool = False,
    stiffness: bool = True,
    event_fn: Callable[..., Tensor] | None = None,
) -> tuple[Any, SolveStats]:
    """:func:`regularized_odeint` unchecked, for the package's loops (training steps, test
    solves): ``rtol``, ``atol`` and ``land_on_end`` have no defaults (each call site says what it
    uses), and ``options`` without ``max_num_steps`` caps the steps at
    :data:`DEFAULT_MAX_NUM_STEPS`. A non-finite ``y0`` (from a model that has blown up) raises
    :class:`SolverError` naming step 0, so that a trainer reports divergence, not a malformed
    argument. ``stiffness=False`` leaves ``R_S`` out (``None``), for a loss without it."""
    from torchdiffeq import odeint

    if not _finite(y0):
        raise SolverError(
            "regularized_odeint diverged at step 0: the initial state y0 is not finite (the "
            "model that produced it has blown up)"
        )
    first = _parts(y0)[0]
    stiff = stiffness and method in STIFFNESS_METHODS
    opts = dict(options or {})
    opts["max_num_steps"] = opts.get("max_num_steps") or DEFAULT_MAX_NUM_STEPS
    t = t.to(first.device)
    if land_on_end and event_fn is None:
        extra = t[-1:].detach().to(torch.float64)
        jumps = opts.get("jump_t")
        if jumps is not None and bool((torch.as_tensor(jumps).to(extra) == extra).any()):
            extra = extra[:0]  # a jump at t[-1] already ends a step there
        if "step_t" in opts and opts["step_t"] is not None:
            given = torch.as_tensor(opts["step_t"], dtype=torch.float64, device=first.device)
            extra = torch.unique(torch.cat([given, extra]))
        opts["step_t"] = extra
    recorder = _StepRecorder(func, stiffness=stiff, record_states=bool(record_states))
    opts["norm"] = recorder.norm
    try:
        out = odeint(
            recorder,
            y0,
            t,
            rtol=rtol,
            atol=atol,
            method=method,
            options=opts,
            event_fn=event_fn,
        )
    except AssertionError as err:  # torchdiffeq reports solver failures as bare assertions
        msg = str(err)
        if "max_num_steps" in msg:
            why = f"more than max_num_steps={opts['max_num_steps']} steps"
        elif "underflow" in msg:
            why = "the step size underflowed (the dynamics blow up or are too stiff)"
        elif "non-finite" in msg:
            why = "the state became non-finite (the dynamics blow up)"
        else:
            why = msg
        step = len(recorder.errors) + recorder.rejected + 1
        raise SolverError(
            f"regularized_odeint: the {method} solve diverged at step {step} (after "
            f"{recorder.nfe} evaluations): {why}"
        ) from None
    sol = out if event_fn is None else out[1]
    recorder.check_state(sol[-1] if isinstance(sol, Tensor) else tuple(c[-1] for c in sol))
    fdtype = torch.promote_types(torch.float64, first.dtype)
    if recorder.errors:
        errs = torch.stack(recorder.errors)
        hs = torch.stack(recorder.steps)
    else:  # pragma: no cover - a solve always takes a step
        errs = hs = torch.zeros(0, dtype=fdtype, device=first.device)
    r_e = (errs * hs).sum()
    r_s = s_max = rhos = None
    if stiff:
        s_stab = _method_stability_size(method)
        rhos = torch.stack(recorder.rhos) if recorder.rhos else torch.zeros_like(hs)
        r_s = (rhos * hs).sum() / s_stab
        zero = torch.zeros((), dtype=fdtype, device=first.device)
        s_max = (rhos.max() if rhos.numel() else zero) / s_stab
    n_acc = len(recorder.errors)
    stats = SolveStats(
        nfe=recorder.nfe,
        num_steps=n_acc + recorder.rejected,
        num_accepted=n_acc,
        num_rejected=recorder.rejected,
        error_estimate=r_e,
        stiffness_estimate=r_s,
        stiffness_max=s_max,
        step_errors=errs.detach(),
        step_sizes=hs.detach(),
        step_stiffness=None if rhos is None else rhos.detach(),
        step_starts=recorder.starts,
        time_direction=-1 if bool(t[1] < t[0]) else 1,
    )
    return out, stats


DOPRI5_B_ERROR = (
    35 / 384 - 1951 / 21600,
    0.0,
    500 / 1113 - 22642 / 50085,
    125 / 192 - 451 / 720,
    -2187 / 6784 + 12231 / 42400,
    11 / 84 - 649 / 6300,
    -1 / 60,
)
"""``b − b̃`` of Dormand–Prince 5(4) with Shampine's embedded weights (those torchdiffeq and
diffrax use): the weights of the error estimate."""


@checked
def replay_error_ratios(
    func: Field, stats: SolveStats, *, rtol: PositiveReal, atol: PositiveReal
) -> Tensor:
    """Recompute every accepted step's ``E_j`` (equation :eq:`nde-error-estimate`) from scratch.

    Each step ``(t_{j-1}, y_{j-1}, h_j)`` recorded with ``record_states=True`` is taken again with
    the published Dormand–Prince tableau (:data:`~theorybook.nde.stability.DOPRI5_A`), written
    out here independently of torchdiffeq; returns the replayed ratios (float64), to compare with
    ``stats.step_errors``. A solve backwards in time is replayed with steps ``−|h_j|``; tuple
    states are refused (``ValueError``): the replay is written for one tensor.
    """
    from theorybook.nde.stability import DOPRI5_A

    if len(stats.step_starts) != len(stats.step_sizes):
        raise ValueError("stats has no recorded step starts: solve with record_states=True")
    if any(not isinstance(y0, Tensor) for _, y0 in stats.step_starts):
        raise ValueError("stats: replay_error_ratios replays solves of one tensor, not a tuple")
    c = DOPRI5_A.sum(axis=1)
    out: list[torch.Tensor] = []
    with torch.no_grad():
        for (t0, y0), size in zip(stats.step_starts, stats.step_sizes.tolist(), strict=True):
            h = stats.time_direction * size
            y = y0.to(torch.float64)
            ks: list[torch.Tensor] = []
            for i in range(7):
                g = y + h * sum(
                    (float(DOPRI5_A[i, m]) * ks[m] for m in range(i)), torch.zeros_like(y)
                )
                ti = torch.tensor(t0 + float(c[i]) * h, dtype=torch.float64)
                gi = g.to(y0.dtype)
                k = func(ti, gi)
                _check_field_output(k, gi, len(out) * 7 + i + 1)
                ks.append(k.to(torch.float64))
            y1 = g  # stage 7 is evaluated at the new point (first-same-as-last)
            err = h * sum(
                (w * k for w, k in zip(DOPRI5_B_ERROR, ks, strict=True)), torch.zeros_like(y)
            )
            scale = atol + rtol * torch.maximum(y.abs(), y1.abs())
            out.append(_rms(err / scale))
    return torch.stack(out) if out else torch.zeros(0, dtype=torch.float64)
