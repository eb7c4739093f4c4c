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
    FiniteReal,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    checked,
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
    "ACCURACY_TOLERANCE",
    "FIT_TOLERANCE",
    "SDE_FIT_TOLERANCE",
    "AgreementResult",
    "CirclesResult",
    "DigitsNulls",
    "LatentResult",
    "Results",
    "SDEResult",
    "SolverChecks",
    "TaynodeResult",
    "kept_accuracy_cut",
    "kept_fit_cut",
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
class DigitsNulls:
    """The two challengers of the digits rows, measured on the same split as the runs.

    ``untrained_*``: the classifier of the same architecture, seed, dtype and tolerance with no
    training (its initialization), its test accuracy and the NFE of one test solve;
    ``linear_*``: scikit-learn's ``LogisticRegression`` on the pixels (no ODE, no solve), its test
    accuracy; ``*_correct`` whether each test image is classified correctly.
    """

    untrained_acc: Probability
    untrained_nfe: PositiveInt
    untrained_correct: np.ndarray = field(repr=False)
    linear_acc: Probability
    linear_correct: np.ndarray = field(repr=False)


@record
@dataclass(frozen=True)
class CirclesResult:
    """Runs of the PyTorch classifier on the two-dimensional problem (moons by default) or digits.

    ``runs`` (seed ``cfg.seed``) keyed by method, ``sweep`` the larger-λ ERNODE runs, and
    ``held_out`` the runs on the held-out seeds ``cfg.seeds``, keyed by method (the methods of
    ``cfg.held_out_methods``); ``nulls`` the untrained network and logistic regression on the
    same split (digits only, else ``None``).
    """

    data: ClassificationData
    runs: dict[str, NodeRun]
    sweep: list[NodeRun]
    held_out: dict[str, list[NodeRun]] = field(default_factory=dict)
    nulls: DigitsNulls | None = None

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
                    "cut at kept accuracy": kept_accuracy_cut(
                        v.test_nfe / e.test_nfe, v.test_acc - e.test_acc
                    ),
                    "train ratio": e.train_seconds / v.train_seconds,
                }
            )
        return rows


FIT_TOLERANCE = 1.1
"""A regularized run *keeps the fit* when its test error is at most this factor times vanilla's
(the latent ODE's interpolation MSE, the neural SDE's MSE of means and variances)."""


@checked
def kept_fit_cut(cut: NonNegativeReal, fit_ratio: NonNegativeReal) -> float:
    """The cost cut a regularized run delivers at a kept fit: ``cut`` (vanilla's cost over the
    run's) when ``fit_ratio`` (the run's error over vanilla's) is at most :data:`FIT_TOLERANCE`,
    else 1 (no cut: a practitioner keeps vanilla)."""
    return float(cut) if float(fit_ratio) <= FIT_TOLERANCE else 1.0


ACCURACY_TOLERANCE = 0.005
"""A regularized classifier *keeps the accuracy* when it is at most this far (0.5 points) below
vanilla's on the same seed."""


@checked
def kept_accuracy_cut(cut: NonNegativeReal, drop: FiniteReal) -> float:
    """The NFE cut a regularized classifier delivers at a kept accuracy: ``cut`` (vanilla's NFE
    over the run's) when ``drop`` (vanilla's accuracy minus the run's) is at most
    :data:`ACCURACY_TOLERANCE`, else 1 (no cut: a practitioner keeps vanilla)."""
    return float(cut) if float(drop) <= ACCURACY_TOLERANCE else 1.0


@record
@dataclass(frozen=True)
class LatentResult:
    """Latent-ODE runs on spirals: vanilla, ERNODE at each ``λ`` of ``cfg.latent.lams`` and the
    other methods of ``cfg.latent.methods`` on ``cfg.seed``; ``others`` maps each further seed of
    ``cfg.latent.seeds`` to its vanilla and first-``λ`` ERNODE runs (new spirals and
    initialization)."""

    data: SpiralData
    runs: dict[str, LatentRun]
    others: dict[int, dict[str, LatentRun]] = field(default_factory=dict)

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
        """The ERNODE run at the first ``λ`` of ``cfg.latent.lams`` (fixed in advance)."""
        return next(r for k, r in self.runs.items() if k.startswith("ernode λ="))

    def seed_table(self) -> list[dict[str, Any]]:
        """Vanilla against ERNODE (first ``λ``) seed by seed: test NFE and MSE, their ratios, and
        the NFE cut at a kept interpolation error (:func:`kept_fit_cut`)."""
        pairs = [(self.runs["vanilla"], self.main_ernode())]
        for runs in self.others.values():
            pairs.append((runs["vanilla"], next(r for k, r in runs.items() if k != "vanilla")))
        rows = []
        for v, e in pairs:
            cut, fit = v.test_nfe / e.test_nfe, e.test_mse / v.test_mse
            rows.append(
                {
                    "seed": v.seed,
                    "vanilla NFE": v.test_nfe,
                    "ERNODE NFE": e.test_nfe,
                    "NFE ratio": cut,
                    "vanilla MSE": v.test_mse,
                    "ERNODE MSE": e.test_mse,
                    "MSE ratio": fit,
                    "cut at kept error": kept_fit_cut(cut, fit),
                }
            )
        return rows


SDE_FIT_TOLERANCE = FIT_TOLERANCE
"""A swept ``λ`` qualifies when its validation loss is at most this factor times vanilla's."""


@record
@dataclass(frozen=True)
class SDEResult:
    """Neural-SDE runs keyed ``"vanilla"`` and ``"ernode λ=…"`` (one per ``λ`` of
    ``cfg.sde.lams``), all from the same initialization and Brownian keys, on ``cfg.seed``;
    ``others`` maps each further seed of ``cfg.sde.seeds`` to the same sweep on that seed."""

    data: SDEData
    runs: dict[str, SDERun]
    others: dict[int, dict[str, SDERun]] = field(default_factory=dict)

    def per_seed(self) -> list[SDEResult]:
        """One :class:`SDEResult` per seed, ``cfg.seed`` first."""
        return [self, *(SDEResult(self.data, runs) for runs in self.others.values())]

    def seed_table(self) -> list[dict[str, Any]]:
        """Seed by seed: the ``λ`` chosen on that seed's validation paths, vanilla's and its test
        steps per path and MSE, their ratios, the step cut at a kept fit
        (:func:`kept_fit_cut`), and the same cut for the largest ``λ``."""
        rows = []
        for res in self.per_seed():
            v, e, s = res.runs["vanilla"], res.main_ernode(), res.strongest()
            cut, fit = v.test_steps / e.test_steps, e.test_loss / v.test_loss
            s_cut, s_fit = v.test_steps / s.test_steps, s.test_loss / v.test_loss
            rows.append(
                {
                    "seed": v.seed,
                    "chosen λ": e.lam,
                    "vanilla steps": v.test_steps,
                    "ERNSDE steps": e.test_steps,
                    "steps ratio": cut,
                    "vanilla MSE": self.mse(v.test_loss, self.data),
                    "ERNSDE MSE": self.mse(e.test_loss, self.data),
                    "MSE ratio": fit,
                    "cut at kept fit": kept_fit_cut(cut, fit),
                    "largest λ": s.lam,
                    "largest-λ steps ratio": s_cut,
                    "largest-λ MSE ratio": s_fit,
                    "largest-λ cut at kept fit": kept_fit_cut(s_cut, s_fit),
                }
            )
        return rows

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
