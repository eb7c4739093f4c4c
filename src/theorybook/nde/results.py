"""The frozen result types of chapter 7's experiments, and :class:`Results`, what
:func:`~theorybook.nde.experiments.run_all` returns.

Each ``run_*`` of :mod:`~theorybook.nde.experiments` returns one of these;
:mod:`~theorybook.nde.figures` plots them and :func:`~theorybook.nde.claims.chapter_claims` turns
:class:`Results` into the chapter's table. This module imports neither torch nor JAX (the runs it
holds are typed only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from jaxtyping import Float32, Float64

from theorybook.boundary import (
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    record,
)
from theorybook.nde.data import ClassificationData, SpiralData

if TYPE_CHECKING:  # pragma: no cover - types only: importing them would import torch or JAX
    from theorybook.nde.latent import LatentRun
    from theorybook.nde.sde import SDEData, SDERun
    from theorybook.nde.train_jax import JaxNodeRun
    from theorybook.nde.train_torch import NodeRun
else:  # at run time (a record checks its fields when built) they are Any: each run is checked
    # where it is built (a record itself), and resolving them would import torch or JAX
    LatentRun = NodeRun = JaxNodeRun = SDEData = SDERun = Any

__all__ = [
    "SDE_FIT_TOLERANCE",
    "AgreementResult",
    "CirclesResult",
    "LatentResult",
    "Results",
    "SDEResult",
    "SolverChecks",
    "TaynodeResult",
]


@record
@dataclass(frozen=True)
class SolverChecks:
    """The solver-level checks: a random MLP field, and ``y' = diag(−1, −100) y`` in float64."""

    nfe_plain: PositiveInt
    nfe_regularized: PositiveInt
    max_error: NonNegativeReal
    r_e: NonNegativeReal
    span: PositiveReal
    grad_norm: NonNegativeReal
    adjoint_raises: bool
    step_errors: Float32[np.ndarray, " steps"] | Float64[np.ndarray, " steps"] = field(repr=False)
    step_sizes: Float32[np.ndarray, " steps"] | Float64[np.ndarray, " steps"] = field(repr=False)
    rho_stiff: Float32[np.ndarray, " stiff_steps"] | Float64[np.ndarray, " stiff_steps"] = field(
        repr=False
    )
    rho_mixed: Float32[np.ndarray, " mixed_steps"] | Float64[np.ndarray, " mixed_steps"] = field(
        repr=False
    )
    h_stiff: Float32[np.ndarray, " stiff_steps"] | Float64[np.ndarray, " stiff_steps"] = field(
        repr=False
    )
    h_mixed: Float32[np.ndarray, " mixed_steps"] | Float64[np.ndarray, " mixed_steps"] = field(
        repr=False
    )
    s_stab: PositiveReal = 3.3066
    replay_max_abs_diff: NonNegativeReal = float("nan")
    replay_steps: NonNegativeInt = 0

    @property
    def stiff_rel_dev(self) -> float:
        """``max_j |ρ_j / 100 − 1|`` on the stiff eigenvector."""
        return float(np.max(np.abs(self.rho_stiff / 100.0 - 1.0)))

    @property
    def mixed_in_range(self) -> bool:
        """Whether every ``ρ_j`` of the mixed start lies in ``[1, 100]`` (to 1e-9 relative)."""
        return bool(
            np.all(self.rho_mixed >= 1.0 - 1e-9) and np.all(self.rho_mixed <= 100.0 * (1 + 1e-9))
        )


@record
@dataclass(frozen=True)
class AgreementResult:
    """torchdiffeq and diffrax on the same float64 solve: steps, evaluations, ``R_E``, ``R_S`` and
    the end state of each (:func:`~theorybook.nde.agreement.run_backend_agreement`)."""

    steps_jax: PositiveInt
    steps_torch: PositiveInt
    nfe_jax: PositiveInt
    nfe_torch: PositiveInt
    r_e_jax: NonNegativeReal
    r_e_torch: NonNegativeReal
    r_e_rel_diff: NonNegativeReal
    r_s_jax: NonNegativeReal
    r_s_torch: NonNegativeReal
    r_s_rel_diff: NonNegativeReal
    y1_max_diff: NonNegativeReal

    def as_dict(self) -> dict[str, float]:
        """The record as a plain dictionary (for a table)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


@record
@dataclass(frozen=True)
class CirclesResult:
    """Runs of the PyTorch classifier on the two-dimensional problem (moons by default) or digits.

    ``runs`` (seed ``cfg.seed``) keyed by method, ``sweep`` the larger-λ ERNODE runs, and
    ``held_out`` the runs on the held-out seeds ``cfg.seeds``, keyed by method (the methods of
    ``cfg.held_out_methods``).
    """

    data: ClassificationData
    runs: dict[str, NodeRun]
    sweep: list[NodeRun]
    held_out: dict[str, list[NodeRun]] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        """One row per run of the main seed: accuracy, NFE, wall times and ratios to vanilla."""
        base = self.runs["vanilla"]
        rows = []
        for name, r in [*self.runs.items(), *((f"ernode λ={s.lam0:g}", s) for s in self.sweep)]:
            rows.append(
                {
                    "method": name,
                    "λ₀": r.lam0,
                    "test acc": r.test_acc,
                    "test NFE": r.test_nfe,
                    "NFE ratio": r.test_nfe / base.test_nfe,
                    "train s": r.train_seconds,
                    "train ratio": r.train_seconds / base.train_seconds,
                    "predict ratio": r.predict_seconds / base.predict_seconds,
                }
            )
        return rows

    def all_seeds(self, method: str) -> list[NodeRun]:
        """The runs of ``method`` on every seed it ran on (the main one first)."""
        return [self.runs[method], *self.held_out.get(method, [])]

    def summary(self) -> list[dict[str, Any]]:
        """One row per method: mean ± sample standard deviation over every seed it ran on (the
        tuning seed and the held-out ones) of test NFE, test accuracy, training seconds and
        prediction milliseconds."""
        rows = []
        for name in self.runs:
            runs = self.all_seeds(name)
            row: dict[str, Any] = {"method": name, "seeds": len(runs)}
            for label, get in (
                ("test NFE", lambda r: float(r.test_nfe)),
                ("test acc", lambda r: r.test_acc),
                ("train s", lambda r: r.train_seconds),
                ("predict ms", lambda r: 1e3 * r.predict_seconds),
            ):
                mean, sd = _spread([get(r) for r in runs])
                row[label] = mean
                row[f"{label} sd"] = sd
            rows.append(row)
        return rows

    def seed_table(self) -> list[dict[str, Any]]:
        """Vanilla and ERNODE on every seed (the main one and the held-out ones)."""
        rows = []
        for v, e in zip(self.all_seeds("vanilla"), self.all_seeds("ernode"), strict=True):
            rows.append(
                {
                    "seed": v.seed,
                    "held out": v is not self.runs["vanilla"],
                    "vanilla NFE": v.test_nfe,
                    "ERNODE NFE": e.test_nfe,
                    "NFE ratio": v.test_nfe / e.test_nfe,
                    "vanilla acc": v.test_acc,
                    "ERNODE acc": e.test_acc,
                    "train ratio": e.train_seconds / v.train_seconds,
                }
            )
        return rows


@record
@dataclass(frozen=True)
class LatentResult:
    """Latent-ODE runs on spirals: vanilla, ERNODE at each ``λ`` of ``cfg.latent_lams`` and the
    other methods of ``cfg.latent_methods``."""

    data: SpiralData
    runs: dict[str, LatentRun]

    def table(self) -> list[dict[str, Any]]:
        """One row per run: interpolation MSE, test NFE, wall times and ratios to vanilla."""
        base = self.runs["vanilla"]
        return [
            {
                "method": k,
                "λ": r.lam0,
                "test MSE": r.test_mse,
                "test NFE": r.test_nfe,
                "NFE ratio": r.test_nfe / base.test_nfe,
                "train s": r.train_seconds,
                "train ratio": r.train_seconds / base.train_seconds,
                "predict ratio": r.predict_seconds / base.predict_seconds,
            }
            for k, r in self.runs.items()
        ]

    def main_ernode(self) -> LatentRun:
        """The ERNODE run at the first ``λ`` of ``cfg.latent_lams`` (fixed in advance)."""
        return next(r for k, r in self.runs.items() if k.startswith("ernode λ="))


SDE_FIT_TOLERANCE = 1.1
"""A swept ``λ`` qualifies when its validation loss is at most this factor times vanilla's."""


@record
@dataclass(frozen=True)
class SDEResult:
    """Neural-SDE runs keyed ``"vanilla"`` and ``"ernode λ=…"`` (one per ``λ`` of
    ``cfg.sde_lams``), all from the same initialization and Brownian keys."""

    data: SDEData
    runs: dict[str, SDERun]

    @staticmethod
    def mse(loss: float, data: SDEData) -> float:
        """The fit loss per entry: ``loss / (2 · T · dim)`` (means and variances, ``T`` times)."""
        return float(loss) / (2 * data.mean.size)

    def table(self) -> list[dict[str, Any]]:
        """One row per run: validation and test MSE and steps per path, wall times, ratios."""
        base = self.runs["vanilla"]
        chosen = self.main_ernode()
        return [
            {
                "method": k,
                "λ": r.lam,
                "chosen": r is chosen,
                "val MSE": self.mse(r.val_loss, self.data),
                "val steps": r.val_steps,
                "test MSE": self.mse(r.test_loss, self.data),
                "test steps": r.test_steps,
                "steps ratio": base.test_steps / r.test_steps,
                "ms / iteration": 1e3 * r.iter_seconds,
                "predict ratio": r.predict_seconds / base.predict_seconds,
            }
            for k, r in self.runs.items()
        ]

    def main_ernode(self) -> SDERun:
        """The ``λ`` chosen on the validation paths: the fewest validation steps per path among
        the runs whose validation loss is at most ``SDE_FIT_TOLERANCE`` × vanilla's (the smallest
        ``λ`` if none qualifies). The test paths are not used."""
        base = self.runs["vanilla"]
        swept = [r for k, r in self.runs.items() if k != "vanilla"]
        ok = [r for r in swept if r.val_loss <= SDE_FIT_TOLERANCE * base.val_loss]
        if not ok:
            return min(swept, key=lambda r: r.lam)
        return min(ok, key=lambda r: (r.val_steps, r.lam))

    def strongest(self) -> SDERun:
        """The run at the largest swept ``λ``."""
        return max((r for k, r in self.runs.items() if k != "vanilla"), key=lambda r: r.lam)


@record
@dataclass(frozen=True)
class TaynodeResult(Mapping[str, Any]):
    """The JAX runs of :func:`~theorybook.nde.experiments.run_taynode_comparison`, keyed by
    method (reads like a dict of :class:`~theorybook.nde.train_jax.JaxNodeRun`; the base says
    ``Any`` because that type is imported for type checkers only, and a run-time type check of
    a checked function's result would have to resolve it)."""

    runs: dict[str, JaxNodeRun]

    def __getitem__(self, key: str) -> JaxNodeRun:
        return self.runs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


@record
@dataclass(frozen=True)
class Results:
    """Every experiment of the chapter (``None`` where the preset skips one)."""

    checks: SolverChecks
    agreement: AgreementResult
    circles: CirclesResult
    taynode: TaynodeResult | None
    digits: CirclesResult | None = None
    latent: LatentResult | None = None
    sde: SDEResult | None = None
