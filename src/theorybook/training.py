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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from theorybook import validation as v

__all__ = [
    "Diverged",
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


def _as_float(value: object) -> float:
    """A Python float from a number, a NumPy/JAX scalar or a one-element torch tensor."""
    if hasattr(value, "detach"):
        value = value.detach()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(
            f"a loss must be a real number or a one-element tensor, got {type(value).__name__}"
        ) from None


def check_finite_loss(loss: object, *, step: int, where: str = "training") -> float:
    """``loss`` as a float, or :class:`TrainingDiverged` naming ``where`` and the step.

    The finiteness half of :class:`DivergenceGuard`, for loops that cannot use
    :func:`train_loop` (a loss evaluated outside any training step).

    Arguments:
        loss: a number, a NumPy/JAX scalar or a one-element tensor.
        step: the step's number, for the message.
        where: what is being trained, for the message.

    Returns:
        The loss as a Python float.
    """
    value = _as_float(loss)
    if not math.isfinite(value):
        raise TrainingDiverged(f"{where} diverged at step {step}: loss = {value}")
    return value


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
        growth: the allowed growth factor over the first loss (> 1).
        floor: the smallest reference scale (> 0), so that a first loss near zero does not make
            every later one look like an explosion.
    """

    where: str = "training"
    growth: float = DEFAULT_GROWTH
    floor: float = 1.0
    first: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.where, str):
            raise TypeError(f"where must be a string, got {type(self.where).__name__}")
        self.growth = v.real("growth", self.growth, low=1.0, low_open=True, finite=False)
        self.floor = v.positive_real("floor", self.floor)

    def check(self, loss: object, *, step: int, context: str = "") -> float:
        """``loss`` as a float, or :class:`TrainingDiverged` naming the step and the loss.

        ``context`` (e.g. ``"epoch 3"``) is added to the message.
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


def train_loop(
    step: Callable[[int], StepResult],
    steps: int,
    *,
    desc: str = "training",
    progress: bool = False,
    guard: DivergenceGuard | None = None,
    start: int = 1,
) -> TrainingHistory:
    """Run ``step(t)`` for ``t = start, …, start + steps − 1`` with a progress bar and a guard.

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

    Returns:
        The :class:`TrainingHistory` of the run.

    Raises:
        TrainingDiverged: at the first step whose loss is NaN, inf or has exploded.
    """
    from theorybook.reporting import progress as progress_bar

    v.callable_("step", step)
    steps = v.positive_int("steps", steps)
    start = v.non_negative_int("start", start)
    guard = DivergenceGuard(where=desc) if guard is None else guard
    if not isinstance(guard, DivergenceGuard):
        raise TypeError(f"guard must be a DivergenceGuard, got {type(guard).__name__}")
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
                        f"tuple of {len(out)}"
                    )
                out, extras = out
            losses.append(guard.check(out, step=t))
            for name, value in extras.items():
                records.setdefault(name, []).append(_as_float(value))
            bar.update()
    finally:
        bar.close()
    return TrainingHistory(
        losses=tuple(losses), records={k: tuple(vals) for k, vals in records.items()}
    )


def check_iterates(
    value: object,
    *,
    step: int,
    where: str,
    limit: float = DEFAULT_ITERATE_LIMIT,
) -> None:
    """Raise :class:`SolverDiverged` if an iterate holds NaN/inf or an entry beyond ``limit``.

    ``value`` is a torch tensor, a NumPy or JAX array, or a number. Call it once per iteration
    of an iterative solver or sampler (its cost is one reduction over the iterate).

    Arguments:
        value: the current iterate.
        step: the iteration's number, for the message.
        where: the solver's name, for the message ("PnP-PGD (step 50)").
        limit: the largest absolute entry allowed (> 0).

    Raises:
        SolverDiverged: naming ``where``, the step and the largest entry.
    """
    import numpy as np

    if hasattr(value, "detach"):
        import torch

        t = value.detach()
        biggest = float(t.abs().max()) if t.numel() else 0.0
        finite = bool(torch.isfinite(t).all())
    else:
        arr = np.asarray(value)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{where}: iterate must be numeric, got {type(value).__name__}")
        biggest = float(np.max(np.abs(arr))) if arr.size else 0.0
        finite = bool(np.all(np.isfinite(arr)))
    if not finite:
        raise SolverDiverged(f"{where} diverged at step {step}: the iterate holds NaN or inf")
    if biggest > limit:
        raise SolverDiverged(
            f"{where} diverged at step {step}: an iterate entry reached {biggest:.3g} "
            f"(limit {limit:g}); use a smaller step"
        )
