"""The one training loop of the book, and the divergence guard every trainer and solver uses.

Every trainer in the package, torch or JAX, is a *step function* run by :func:`train_loop`::

    def step(i: int) -> torch.Tensor:          # one optimiser step; returns its loss
        loss = criterion(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    history = train_loop(step, steps=1000, desc="denoiser", progress=progress)

The loop owns what every trainer used to write for itself: the progress bar
(:func:`theorybook.reporting.progress`), the per-step history (:class:`TrainingHistory`) and the
divergence check (:class:`DivergenceGuard`), which stops the run with :class:`TrainingDiverged`
naming the step and the loss as soon as the loss is NaN or infinite, or has grown by more than
``growth`` times its first value (a run at a learning rate of 1e8 whose loss climbs through 1e13
is stopped, not returned).

Iterative solvers and samplers (plug-and-play iterations, ODE/SDE samplers, kernel gradient
descent) call :func:`check_iterates` on their state every step; it raises
:class:`SolverDiverged` naming the step when an iterate stops being finite or blows up.

:func:`train_loop` and :class:`DivergenceGuard` check their arguments with
:func:`~theorybook.boundary.checked`. :func:`check_iterates`, :func:`check_finite_loss` and
:meth:`DivergenceGuard.check` run once per step of an inner loop, so they are not decorated: they
check their own arguments in a few microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from theorybook import validation as v
from theorybook.boundary import (
    ArrayOptions,
    Interval,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    checked,
    record,
)

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    import torch

__all__ = [
    "Diverged",
    "adam",
    "channels_last_weights",
    "DivergenceGuard",
    "SolverDiverged",
    "TrainingDiverged",
    "TrainingHistory",
    "check_finite_loss",
    "check_iterates",
    "train_loop",
]

DEFAULT_GROWTH = 1e6
"""A loss that grows past ``DEFAULT_GROWTH × max(|first loss|, floor)`` has diverged."""

DEFAULT_ITERATE_LIMIT = 1e12
"""An iterate whose largest absolute entry exceeds this has blown up."""

Growth = Annotated[float, Interval(low=1.0, low_open=True, finite=False)]
"""An allowed growth factor: a real > 1, or ``math.inf`` for no limit."""
Limit = Annotated[float, Interval(low=0.0, low_open=True, finite=False)]
"""The largest absolute iterate entry allowed: a real > 0, or ``math.inf`` for no limit."""
Iterate = Annotated[object, ArrayOptions(may_be_empty=True, may_be_nonfinite=True)]
"""A solver's state: a real torch tensor, NumPy or JAX array, or number. It may be empty, and
non-finite: that is what :func:`check_iterates` reports (as :class:`SolverDiverged`)."""


class Diverged(FloatingPointError):
    """A computation's numbers ran away: NaN, inf, or growth far past where they started."""


class TrainingDiverged(Diverged):
    """Training produced a NaN, infinite or exploding loss.

    The message names the step (and the epoch, stage or round where the chapter has them) and
    the loss, e.g. ``denoiser diverged at step 17: loss = nan``.
    """


class SolverDiverged(Diverged):
    """An iterative solver or sampler produced non-finite or exploding iterates.

    The message names the solver, the step and the offending value.
    """


def _as_float(value: object, what: str = "a loss") -> float:
    """A Python float from a number, a NumPy/JAX scalar or a one-element torch tensor."""
    if hasattr(value, "detach"):
        value = value.detach()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        shape = getattr(value, "shape", None)
        held = f" of shape {tuple(shape)}" if shape is not None else ""
        raise TypeError(
            f"{what} must be a real number or a one-element tensor, "
            f"got {type(value).__name__}{held}"
        ) from None


def _step_number(where: str, step: object) -> int:
    """``step`` as an int >= 0 (the fast path costs one type test: these run every step)."""
    if type(step) is int and step >= 0:
        return step
    return v.int_in_range(f"{where}: step", step, low=0)


def check_finite_loss(loss: object, *, step: NonNegativeInt, where: str = "training") -> float:
    """``loss`` as a float, or :class:`TrainingDiverged` naming ``where`` and the step.

    The finiteness half of :class:`DivergenceGuard`, for loops that cannot use
    :func:`train_loop` (a loss evaluated outside any training step).

    Not decorated with :func:`~theorybook.boundary.checked`: it may run once per step.

    Arguments:
        loss: a number, a NumPy/JAX scalar or a one-element tensor.
        step: the step's number (≥ 0), for the message.
        where: what is being trained, for the message.

    Returns:
        The loss as a Python float.

    Raises:
        TypeError: if ``loss`` is not a number or one-element tensor, or ``step`` not an int.
        TrainingDiverged: if ``loss`` is NaN or infinite.
    """
    step = _step_number("check_finite_loss", step)
    value = _as_float(loss, "loss")
    if not math.isfinite(value):
        raise TrainingDiverged(f"{where} diverged at step {step}: loss = {value}")
    return value


@checked
@dataclass
class DivergenceGuard:
    """Stops a run whose loss is not finite or has grown far past its start.

    A loss diverges at step ``t`` when it is NaN or infinite, or when
    ``|loss_t| > growth · max(|loss_1|, floor)``: losses of the book's models fall or wander by
    factors of a few, never by ``growth`` (default 10⁶). ``growth=math.inf`` keeps only the
    finiteness test (for losses, such as negative log-likelihoods, whose scale is not set by the
    first step).

    Arguments:
        where: what is being trained, for the message ("denoiser", "AR-Net (lr = 0.1)").
        growth: the allowed growth factor over the first loss (> 1, or ``math.inf``).
        floor: the smallest reference scale (> 0), so that a first loss near zero does not make
            every later one look like an explosion.
    """

    where: str = "training"
    growth: Growth = DEFAULT_GROWTH
    floor: PositiveReal = 1.0
    first: float | None = field(default=None, init=False)

    def check(self, loss: object, *, step: int, context: str = "") -> float:
        """``loss`` as a float, or :class:`TrainingDiverged` naming the step and the loss.

        ``context`` (e.g. ``"epoch 3"``) is added to the message. Called once per step, so not
        decorated: ``step`` is assumed to be the caller's loop counter.
        """
        value = _as_float(loss)
        where = f"{self.where} ({context})" if context else self.where
        if not math.isfinite(value):
            raise TrainingDiverged(f"{where} diverged at step {step}: loss = {value}")
        if self.first is None:
            self.first = value
            return value
        reference = max(abs(self.first), self.floor)
        if abs(value) > self.growth * reference:
            raise TrainingDiverged(
                f"{where} diverged at step {step}: loss = {value:.3g}, more than "
                f"{self.growth:g}× the first step's {self.first:.3g}; lower the learning rate"
            )
        return value


@record
@dataclass(frozen=True)
class TrainingHistory:
    """What :func:`train_loop` records: the loss of every step and any other per-step values.

    ``losses[t]`` is the loss returned by step ``t + 1``; ``records[name][t]`` the value a step
    reported under ``name`` (for example the regulariser's weight of a schedule).
    """

    losses: tuple[float, ...]
    records: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """The number of steps taken."""
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        """The last step's loss (NaN if no step ran)."""
        return self.losses[-1] if self.losses else math.nan


StepResult = Any
"""What a step function returns: its loss, or ``(loss, {name: value, ...})``."""


WEIGHT_CHECK_EVERY = 10
"""How often (in steps) :func:`train_loop` checks the watched parameters' growth."""


def _largest_entry(tensors: Sequence[Any]) -> float:
    """The largest ``|entry|`` over torch tensors (one host sync), NaN if any is NaN."""
    import torch

    with torch.no_grad():
        tops = [t.detach().abs().max() for t in tensors if t.numel()]
        if not tops:
            return 0.0
        try:  # one device, one sync
            stacked = torch.stack([x.to(torch.float32) for x in tops])
        except RuntimeError:  # tensors on several devices
            stacked = torch.stack([x.to(torch.float32).cpu() for x in tops])
        largest = float(stacked.max())
        return math.nan if bool(torch.isnan(stacked).any()) else largest


@checked
def train_loop(
    step: Callable[[int], StepResult],
    steps: PositiveInt,
    *,
    desc: str = "training",
    progress: bool = False,
    guard: DivergenceGuard | None = None,
    start: NonNegativeInt = 1,
    context: str = "",
    parameters: Sequence[Any] | None = None,
) -> TrainingHistory:
    """Run ``step(t)`` for ``t = start, …, start + steps − 1`` with a progress bar and a guard.

    A loss can stay bounded while the weights explode (a mean squared error of bounded outputs,
    or a network driven to the identity map at a huge learning rate): pass the model's
    ``parameters`` and the run also stops once their largest entry has grown more than
    ``guard.growth``-fold over its start (``max(·, 1)``), checked every
    :data:`WEIGHT_CHECK_EVERY` steps and at the last one.

    Arguments:
        step: one optimisation step. Returns the step's loss (a number, a NumPy/JAX scalar or a
            one-element tensor), or a pair ``(loss, extras)`` where ``extras`` maps names to
            numbers recorded in :attr:`TrainingHistory.records`.
        steps: how many steps to run (≥ 1).
        desc: the progress bar's label, and the guard's name for the run if ``guard`` is None.
        progress: show a progress bar (:func:`theorybook.reporting.progress`).
        guard: the divergence check; default ``DivergenceGuard(where=desc)``.
        start: the number of the first step (a schedule continued over several calls counts its
            steps from where it left off, so an error names the step of the whole run).
        context: where in a longer run this call is (``"epoch 3"``, ``"stage 2"``), added to a
            divergence message after the guard's name.
        parameters: the tensors the steps optimise (``list(model.parameters())``), watched for
            growth; None watches the loss only.

    Returns:
        The :class:`TrainingHistory` of the run.

    Raises:
        TrainingDiverged: at the first step whose loss is NaN, inf or has exploded, or whose
            weights have, naming the step (and ``context``).
        TypeError: if a step returns something other than a loss or ``(loss, extras)``.
    """
    from theorybook.reporting import progress as progress_bar

    guard = DivergenceGuard(where=desc) if guard is None else guard
    watched = list(parameters) if parameters is not None else []
    weight_limit = guard.growth * max(_largest_entry(watched), 1.0) if watched else math.inf
    losses: list[float] = []
    records: dict[str, list[float]] = {}
    bar = progress_bar(total=steps, desc=desc, disable=not progress, leave=False)
    try:
        for t in range(start, start + steps):
            out = step(t)
            extras: Mapping[str, object] = {}
            if isinstance(out, tuple):
                if len(out) != 2 or not isinstance(out[1], Mapping):
                    raise TypeError(
                        "a step function must return its loss or (loss, {name: value}); got a "
                        f"tuple of {len(out)} at step {t}"
                    )
                out, extras = out
            try:
                loss = _as_float(out, f"the loss returned by step {t}")
            except TypeError as err:
                raise TypeError(f"train_loop: {err}") from None
            losses.append(guard.check(loss, step=t, context=context))
            for name, value in extras.items():
                records.setdefault(name, []).append(
                    _as_float(value, f"the value {name!r} returned by step {t}")
                )
            last = t == start + steps - 1
            if watched and ((t - start + 1) % WEIGHT_CHECK_EVERY == 0 or last):
                largest = _largest_entry(watched)
                if not largest <= weight_limit:
                    where = f"{guard.where} ({context})" if context else guard.where
                    raise TrainingDiverged(
                        f"{where} diverged at step {t}: a weight reached {largest:.3g}, more than "
                        f"{guard.growth:g} times its initial scale (a learning rate too large)"
                    )
            bar.update()
    finally:
        bar.close()
    return TrainingHistory(
        losses=tuple(losses), records={k: tuple(vals) for k, vals in records.items()}
    )


@checked
def adam(
    params: Iterable[Any],
    *,
    lr: PositiveReal,
    weight_decay: NonNegativeReal = 0.0,
    foreach: bool = True,
) -> torch.optim.Adam:
    """The book's Adam: ``torch.optim.Adam`` with the multi-tensor (``foreach``) update.

    On the CPU PyTorch defaults to the single-tensor loop: a dozen small kernels per parameter
    tensor and step, which for the book's small networks (tens of tensors, steps of a few
    milliseconds) is a visible share of training. The multi-tensor form runs each operation of
    the update (``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``, ``θ ← θ − η m̂/(√v̂ + ε)``, and the
    ``weight_decay`` term ``g ← g + λθ`` first) once over all tensors, in the same order and
    arithmetic, so weights and losses come out bit for bit the same
    (``tests/test_training_adam.py`` compares the two on every chapter's networks).

    Arguments:
        params: the tensors (or parameter groups) to optimise.
        lr: the learning rate η (> 0).
        weight_decay: the L2 penalty λ added to the gradient (≥ 0), as ``torch.optim.Adam``.
        foreach: False gives PyTorch's single-tensor loop (the reference the tests compare with).

    Returns:
        The optimiser.
    """
    import torch

    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, foreach=foreach)


def channels_last_weights(model: Any) -> AbstractContextManager[None]:
    """A context inside which ``model``'s 4-D weights (its convolutions) are stored channels-last.

    oneDNN's CPU convolutions then skip a layout reorder per call, which is what makes the
    book's small convolutional networks train faster on a CPU; the arithmetic is the same up to
    rounding (another summation order). On exit, also after an error, the weights go back to
    PyTorch's default format, so everything downstream sees ordinary tensors. Only the storage
    changes: the parameter objects (and an optimiser that holds them) are kept.

    Arguments:
        model: the ``torch.nn.Module`` to train.

    Raises:
        TypeError: if ``model`` is not a ``torch.nn.Module`` (at the call, before the block).
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return _channels_last_block(model)


@contextmanager
def _channels_last_block(model: torch.nn.Module) -> Iterator[None]:
    import torch

    # Module.to takes memory_format at run time; torch's type stubs leave it out
    model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    try:
        yield
    finally:
        model.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]


def check_iterates(
    value: Iterate,
    *,
    step: NonNegativeInt,
    where: str,
    limit: Limit = DEFAULT_ITERATE_LIMIT,
) -> None:
    """Raise :class:`SolverDiverged` if an iterate holds NaN/inf or an entry beyond ``limit``.

    ``value`` is a torch tensor, a NumPy or JAX array, or a number. Call it once per iteration
    of an iterative solver or sampler (its cost is one reduction over the iterate). Not
    decorated with :func:`~theorybook.boundary.checked` for that reason: its arguments are
    checked in the body, in a few type tests.

    Arguments:
        value: the current iterate.
        step: the iteration's number (≥ 0), for the message.
        where: the solver's name, for the message ("PnP-PGD (step 50)").
        limit: the largest absolute entry allowed (> 0; ``math.inf`` keeps only the
            finiteness test).

    Raises:
        SolverDiverged: naming ``where``, the step and the largest entry.
        TypeError, ValueError: if ``value`` is not numeric, or ``step``/``limit`` are malformed.
    """
    import numpy as np

    step = _step_number("check_iterates", step)
    if type(limit) is not float or not limit > 0:
        limit = v.real("check_iterates: limit", limit, low=0.0, low_open=True, finite=False)
    if hasattr(value, "detach"):
        import torch

        t = value.detach()
        if t.dtype == torch.bool:  # abs() refuses bool tensors; they are finite and <= 1
            t = t.to(torch.uint8)
        elif t.is_complex():
            raise TypeError(
                f"{where}: the iterate (check_iterates' value) must be real, got {t.dtype}"
            )
        biggest = float(t.abs().max()) if t.numel() else 0.0
        finite = bool(torch.isfinite(t).all())
    else:
        arr = np.asarray(value)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(
                f"{where}: the iterate (check_iterates' value) must be numeric, "
                f"got {type(value).__name__}"
            )
        if np.iscomplexobj(arr):
            raise TypeError(
                f"{where}: the iterate (check_iterates' value) must be real, got {arr.dtype}"
            )
        biggest = float(np.max(np.abs(arr))) if arr.size else 0.0
        finite = bool(np.all(np.isfinite(arr)))
    if not finite:
        raise SolverDiverged(f"{where} diverged at step {step}: the iterate holds NaN or inf")
    if biggest > limit:
        raise SolverDiverged(
            f"{where} diverged at step {step}: an iterate entry reached {biggest:.3g} "
            f"(limit {limit:g}): a step size or learning rate too large, or a start outside the "
            "method's domain"
        )
