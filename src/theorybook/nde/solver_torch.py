"""Error and stiffness regularizers recorded inside torchdiffeq's adaptive Dormand–Prince solver.

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021). torchdiffeq already computes,
at every step of its ``dopri5`` solver, the embedded error estimate and (as its last two stages) the
two evaluations a stiffness estimate needs; it just does not return them. This module records them
without changing the solver:

* the error ratio: torchdiffeq calls the ``norm`` option on
  ``ỹ_j / (atol + rtol·max(|y_{j-1}|, |y_j|))`` to decide acceptance; the norm we pass is the usual
  RMS norm that also records its value while a step is in progress;
* the step size and acceptance: torchdiffeq's ``callback_step`` / ``callback_accept_step`` /
  ``callback_reject_step`` hooks on the vector field;
* the last two stages: both are evaluated at ``t_j`` (Dormand–Prince has ``c₆ = c₇ = 1``), at the
  stage-6 input ``g₆`` and at the new point ``y_j`` (first-same-as-last), so the vector-field wrapper
  keeps the last two evaluations of each step.

Tableau, error norm and step-size controller are torchdiffeq's own; written here is only the
accumulation of equations (ernode) and (srnode) of the chapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "SolveStats",
    "regularized_odeint",
    "stability_size",
    "DOPRI5_STABILITY_SIZE",
]


def stability_size(a: np.ndarray, b: np.ndarray, *, x_max: float = 10.0, n: int = 4001) -> float:
    """Length of the negative real interval ``[-s, 0]`` inside the stability region of an explicit RK method.

    The stability function is ``R(z) = 1 + z bᵀ (I − zA)⁻¹ 𝟙``; the result is the first ``s > 0`` with
    ``|R(−s)| > 1`` (found on a grid of ``n`` points, then refined by bisection). For Dormand–Prince
    5(4) it is about 3.307; a step with ``h ρ`` above it is limited by stability, not accuracy.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or b.shape != (a.shape[0],):
        raise ValueError(f"need a square A and matching b, got A {a.shape} and b {b.shape}")
    s = a.shape[0]
    ones = np.ones(s)

    def r_abs(z: float) -> float:
        return float(abs(1.0 + z * b @ np.linalg.solve(np.eye(s) - z * a, ones)))

    xs = np.linspace(0.0, x_max, n)
    vals = np.array([r_abs(-x) for x in xs[1:]])
    bad = np.nonzero(vals > 1.0 + 1e-12)[0]
    if bad.size == 0:
        raise ValueError(f"stability interval longer than x_max={x_max}")
    lo, hi = xs[bad[0]], xs[bad[0] + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if r_abs(-mid) > 1.0 + 1e-12:
            hi = mid
        else:
            lo = mid
    return float(lo)


def _dopri5_tableau() -> tuple[np.ndarray, np.ndarray]:
    """Dormand–Prince tableau, read from torchdiffeq (7 stages incl. the FSAL stage)."""
    from torchdiffeq._impl.dopri5 import _DORMAND_PRINCE_SHAMPINE_TABLEAU as tab

    s = len(tab.beta) + 1
    a = np.zeros((s, s))
    for i, row in enumerate(tab.beta):
        a[i + 1, : len(row)] = row.numpy()
    return a, tab.c_sol.numpy()


DOPRI5_STABILITY_SIZE: float = stability_size(*_dopri5_tableau())
"""Stability-interval length of torchdiffeq's ``dopri5`` (≈ 3.307), the normalizer of ``S_j``."""


@dataclass
class SolveStats:
    """What one :func:`regularized_odeint` solve recorded.

    ``error_estimate`` is ``R_E = Σ_j E_j |h_j|`` over accepted steps (equation ``ernode``) and
    ``stiffness_estimate`` is ``R_S = Σ_j |h_j| ρ_j / s_stab`` (equation ``srnode``); both are scalar
    tensors that carry gradients to the parameters of the vector field. The per-step tensors are
    detached float64 copies, for inspection. ``nfe`` counts every call of the vector field, including
    the two of the initial-step selection.
    """

    nfe: int
    num_steps: int
    num_accepted: int
    num_rejected: int
    error_estimate: torch.Tensor
    stiffness_estimate: torch.Tensor
    stiffness_max: torch.Tensor
    step_errors: torch.Tensor = field(repr=False)
    step_sizes: torch.Tensor = field(repr=False)
    step_stiffness: torch.Tensor = field(repr=False)


def _rms(x: torch.Tensor) -> torch.Tensor:
    """torchdiffeq's RMS norm, with a finite gradient at zero (``sqrt`` alone gives NaN there)."""
    ms = x.abs().pow(2).mean()
    pos = ms > 0
    return torch.where(pos, torch.where(pos, ms, torch.ones_like(ms)).sqrt(), torch.zeros_like(ms))


class _StepRecorder(nn.Module):
    """Wraps the vector field: counts calls and records the quantities of each accepted step."""

    def __init__(self, func: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.func = func
        self.nfe = 0
        self.armed = False
        self.ratio: torch.Tensor | None = None
        self.last: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.errors: list[torch.Tensor] = []
        self.steps: list[torch.Tensor] = []
        self.rhos: list[torch.Tensor] = []
        self.rejected = 0

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        out = self.func(t, y)
        if self.armed:
            self.last = [*self.last[-1:], (y, out)]
        return out

    def norm(self, x: torch.Tensor) -> torch.Tensor:
        """torchdiffeq's RMS error norm; records the value while a step is in progress."""
        value = _rms(x)
        if self.armed:
            self.ratio = value
        return value

    def callback_step(self, t0: torch.Tensor, y0: torch.Tensor, dt: torch.Tensor) -> None:
        self.armed = True
        self.ratio = None
        self.last = []

    def callback_accept_step(self, t0: torch.Tensor, y0: torch.Tensor, dt: torch.Tensor) -> None:
        if (
            self.ratio is None or len(self.last) != 2
        ):  # pragma: no cover - torchdiffeq internals changed
            raise RuntimeError("the dopri5 step did not go through the recorder as expected")
        (g6, k6), (y1, k7) = self.last
        h = dt.detach().abs().to(self.ratio.dtype)
        num = _rms(k7 - k6).to(self.ratio.dtype)
        den = _rms(y1 - g6).to(self.ratio.dtype)
        ok = den > 0
        rho = torch.where(
            ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num)
        )
        self.errors.append(self.ratio)
        self.steps.append(h)
        self.rhos.append(rho)
        self.armed = False

    def callback_reject_step(self, t0: torch.Tensor, y0: torch.Tensor, dt: torch.Tensor) -> None:
        self.rejected += 1
        self.armed = False


def regularized_odeint(
    func: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    y0: torch.Tensor,
    t: torch.Tensor,
    method: str = "dopri5",
    rtol: float = 1e-5,
    atol: float = 1e-5,
    *,
    options: dict[str, Any] | None = None,
    adjoint: bool = False,
    land_on_end: bool = True,
) -> tuple[torch.Tensor, SolveStats]:
    """Solve ``y' = func(t, y)`` with torchdiffeq's ``dopri5`` and record ``R_E`` and ``R_S``.

    Implements equations (ernode) and (srnode) of chapter 7 (Pal et al. 2021, Sec. 3): over accepted
    steps ``j`` with sizes ``h_j``,

    ``R_E = Σ_j E_j |h_j|``, ``E_j = RMS(ỹ_j / (atol + rtol·max(|y_{j-1}|, |y_j|)))`` and
    ``R_S = Σ_j |h_j| ρ_j / s_stab``, ``ρ_j = ‖k₇ − k₆‖ / ‖y_j − g₆‖``.

    Gradients flow through ``E_j`` and ``ρ_j`` (discretise-then-optimise, as in the paper); the step
    sizes carry none (torchdiffeq's controller runs under ``no_grad``). The number of vector-field
    evaluations is exactly that of ``torchdiffeq.odeint`` with the same options.

    Parameters
    ----------
    func, y0, t, rtol, atol, options
        as for ``torchdiffeq.odeint``; ``t`` must be strictly increasing. ``options`` may not set
        ``norm`` (the recorder supplies torchdiffeq's RMS norm itself).
    method
        only ``"dopri5"``: the stiffness estimate needs its two last stages at ``t_j``.
    adjoint
        must stay ``False``: ``odeint_adjoint`` integrates a separate adjoint ODE backwards and never
        differentiates the forward solver's error estimates, so it cannot train these regularizers.
    land_on_end
        add ``t[-1]`` to ``step_t`` so the last step ends exactly at ``t[-1]`` (as diffrax does)
        instead of overshooting and interpolating; then ``Σ h_j = t[-1] − t[0]``.

    Returns
    -------
    (solution, stats)
        the solution at the times ``t`` (shape ``(len(t), *y0.shape)``) and a :class:`SolveStats`.
    """
    from torchdiffeq import odeint

    if adjoint:
        raise ValueError(
            "regularized_odeint cannot use the adjoint method: odeint_adjoint solves a separate "
            "adjoint ODE and never sees the forward solver's error estimates, so dR_E/dθ would be "
            "lost. Use adjoint=False (backpropagate through the solver, as Pal et al. do)."
        )
    if method != "dopri5":
        raise ValueError(
            f"method must be 'dopri5' (the stiffness estimate uses its last two stages), got {method!r}"
        )
    if not callable(func):
        raise TypeError("func must be callable as func(t, y)")
    if not isinstance(y0, torch.Tensor) or not torch.is_floating_point(y0):
        raise TypeError(f"y0 must be a floating-point torch.Tensor, got {type(y0).__name__}")
    if not isinstance(t, torch.Tensor) or t.ndim != 1 or t.numel() < 2:
        raise ValueError("t must be a 1-D tensor with at least two times")
    if not bool((t[1:] > t[:-1]).all()):
        raise ValueError("t must be strictly increasing")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol and atol must be > 0, got rtol={rtol}, atol={atol}")
    opts = dict(options or {})
    if "norm" in opts:
        raise ValueError(
            "options['norm'] is reserved: the recorder passes torchdiffeq's RMS norm itself"
        )
    t = t.to(y0.device)
    if land_on_end:
        extra = t[-1:].detach().to(torch.float64)
        if "step_t" in opts and opts["step_t"] is not None:
            given = torch.as_tensor(opts["step_t"], dtype=torch.float64, device=y0.device)
            extra = torch.unique(torch.cat([given, extra]))
        opts["step_t"] = extra
    recorder = _StepRecorder(func)
    opts["norm"] = recorder.norm
    sol = odeint(recorder, y0, t, rtol=rtol, atol=atol, method=method, options=opts)
    fdtype = torch.promote_types(torch.float64, y0.dtype)
    if recorder.errors:
        errs = torch.stack(recorder.errors)
        hs = torch.stack(recorder.steps)
        rhos = torch.stack(recorder.rhos)
    else:  # pragma: no cover - a solve always takes a step
        errs = hs = rhos = torch.zeros(0, dtype=fdtype, device=y0.device)
    r_e = (errs * hs).sum()
    r_s = (rhos * hs).sum() / DOPRI5_STABILITY_SIZE
    s_max = (
        rhos.max() if rhos.numel() else torch.zeros((), dtype=fdtype, device=y0.device)
    ) / DOPRI5_STABILITY_SIZE
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
        step_stiffness=rhos.detach(),
    )
    return sol, stats
