"""Experiments of chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021).

Each ``run_*(cfg, *, progress=False)`` returns a frozen dataclass that :mod:`~theorybook.nde.figures`
plots and :func:`~theorybook.nde.claims.chapter_claims` turns into the chapter's table. The torch
experiments run under the book's thread policy (:func:`theorybook.runtime.torch_threads`).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from theorybook.nde.config import Config
from theorybook.nde.data import (
    ClassificationData,
    SpiralData,
    make_circles_data,
    make_digits_data,
    make_moons_data,
    make_spirals,
)
from theorybook.nde.latent import LatentRun, train_latent_ode
from theorybook.nde.train_torch import NodeRun, train_node
from theorybook.runtime import seed_everything, torch_threads

R = TypeVar("R")

__all__ = [
    "CirclesResult",
    "LatentResult",
    "SDEResult",
    "SDE_FIT_TOLERANCE",
    "SolverChecks",
    "TaynodeResult",
    "build_claims",
    "make_problem",
    "run_circles",
    "run_digits",
    "run_latent",
    "run_sde",
    "run_solver_checks",
    "run_taynode_comparison",
    "trajectories",
    "vector_field",
]


def _check_cfg(cfg: object) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a theorybook.nde.Config, got {type(cfg).__name__}")
    return cfg


def _threads(run: Callable[..., R]) -> Callable[..., R]:
    """Run a torch experiment under the book's thread policy (or ``cfg.cpu_threads``)."""

    @functools.wraps(run)
    def wrapper(cfg: Config, *args: Any, **kwargs: Any) -> R:
        cfg = _check_cfg(cfg)
        with torch_threads("policy" if cfg.cpu_threads is None else cfg.cpu_threads):
            return run(cfg, *args, **kwargs)

    return wrapper


def _progress_flag(progress: bool, show_progress: bool | None) -> bool:
    if show_progress is not None:
        warnings.warn("show_progress is deprecated; use progress", DeprecationWarning, stacklevel=3)
        return bool(show_progress)
    return bool(progress)


@dataclass(frozen=True)
class SolverChecks:
    """The solver-level checks: a random MLP field, and ``y' = diag(−1, −100) y`` in float64."""

    nfe_plain: int
    nfe_regularized: int
    max_error: float
    r_e: float
    span: float
    grad_norm: float
    adjoint_raises: bool
    step_errors: np.ndarray = field(repr=False)
    step_sizes: np.ndarray = field(repr=False)
    rho_stiff: np.ndarray = field(repr=False)
    rho_mixed: np.ndarray = field(repr=False)
    h_stiff: np.ndarray = field(repr=False)
    h_mixed: np.ndarray = field(repr=False)
    s_stab: float = 3.3066
    replay_max_abs_diff: float = float("nan")
    replay_steps: int = 0

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


def _rhos(stats: Any) -> np.ndarray:
    if stats.step_stiffness is None:  # pragma: no cover - these solves use dopri5
        raise ValueError("the solve recorded no stiffness estimates")
    return np.asarray(stats.step_stiffness.numpy())


@_threads
def run_solver_checks(cfg: Config, *, progress: bool = False) -> SolverChecks:
    """Free NFE, ``E_j ≤ 1``, ``R_E ≤ t₁ − t₀``, a non-zero gradient and the stiffness estimate."""
    import torch
    from torchdiffeq import odeint

    from theorybook.nde.solver_torch import regularized_odeint, replay_error_ratios
    from theorybook.nde.stability import dopri5_stability_size
    from theorybook.nde.train_torch import ODEFunc

    seed_everything(cfg.seed)
    func = ODEFunc(2, 32)
    data = make_circles_data(64, 4, seed=cfg.seed)
    x = torch.from_numpy(data.x_train)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    calls = [0]

    def counted(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return func(tt, y)

    with torch.no_grad():
        odeint(
            counted,
            x,
            t,
            rtol=cfg.rtol,
            atol=cfg.atol,
            method="dopri5",
            options={"step_t": t[-1:], "max_num_steps": 10_000},
        )
    _, st = regularized_odeint(func, x, t, rtol=cfg.rtol, atol=cfg.atol)
    func.zero_grad()
    st.error_estimate.backward()
    grad = float(
        torch.sqrt(
            torch.stack([(p.grad**2).sum() for p in func.parameters() if p.grad is not None]).sum()
        )
    )
    try:
        regularized_odeint(func, x, t, adjoint=True)
        raises = False
    except ValueError:
        raises = True
    a = torch.diag(torch.tensor([-1.0, -100.0], dtype=torch.float64))

    def lin(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y @ a

    y_stiff = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    y_mixed = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    _, s1 = regularized_odeint(lin, y_stiff, t, rtol=1e-6, atol=1e-6)
    _, s2 = regularized_odeint(lin, y_mixed, t, rtol=1e-6, atol=1e-6)
    # Replay every accepted step of a float64 solve with an independent Dormand–Prince step.
    f64 = ODEFunc(2, 32).double()

    def fast(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 8.0 * f64(tt, y)

    t2 = torch.tensor([0.0, 2.0], dtype=torch.float64)
    with torch.no_grad():
        _, s64 = regularized_odeint(
            fast, 3 * x.double(), t2, rtol=1e-6, atol=1e-6, record_states=True
        )
    replayed = replay_error_ratios(fast, s64, rtol=1e-6, atol=1e-6)
    replay_diff = float((replayed - s64.step_errors).abs().max())
    return SolverChecks(
        nfe_plain=calls[0],
        nfe_regularized=st.nfe,
        max_error=float(st.step_errors.max()),
        r_e=float(st.error_estimate.detach()),
        span=1.0,
        grad_norm=grad,
        adjoint_raises=raises,
        step_errors=st.step_errors.numpy(),
        step_sizes=st.step_sizes.numpy(),
        rho_stiff=_rhos(s1),
        rho_mixed=_rhos(s2),
        h_stiff=s1.step_sizes.numpy(),
        h_mixed=s2.step_sizes.numpy(),
        s_stab=dopri5_stability_size(),
        replay_max_abs_diff=replay_diff,
        replay_steps=int(s64.num_accepted),
    )


def _spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


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


def _method_kwargs(method: str, cfg: Config, lam_error: float, lam_error_end: float) -> dict:
    """The regularization arguments of :func:`train_node` for ``method`` (config defaults)."""
    if method == "ernode":
        return dict(lam0=lam_error, lam1=lam_error_end)
    if method == "srnode":
        return dict(lam0=cfg.lam_stiff)
    if method == "steer":
        return dict(steer_b=cfg.steer_b)
    if method == "ernode+srnode":
        return dict(lam0=lam_error, lam1=lam_error_end, lam_stiff=cfg.lam_stiff)
    if method == "taynode":
        return dict(lam0=cfg.lam_taynode)
    return {}


def make_problem(cfg: Config, seed: int, *, n_train: int | None = None) -> ClassificationData:
    """The two-dimensional classification problem of ``cfg.problem`` drawn with ``seed``
    (``n_train`` training points, default ``cfg.n_train``, and ``cfg.n_test`` test points)."""
    cfg = _check_cfg(cfg)
    maker = make_moons_data if cfg.problem == "moons" else make_circles_data
    n = cfg.n_train if n_train is None else n_train
    return maker(n, cfg.n_test, noise=cfg.noise, seed=seed)


def _circles_common(cfg: Config, progress: bool) -> dict[str, Any]:
    return dict(
        epochs=cfg.epochs,
        hidden=cfg.hidden,
        lr=cfg.lr,
        rtol=cfg.rtol,
        atol=cfg.atol,
        progress=progress,
        torch_device=cfg.torch_device,
    )


@_threads
def run_circles(
    cfg: Config, *, progress: bool = False, show_progress: bool | None = None
) -> CirclesResult:
    """The PyTorch classifier on ``cfg.problem`` (moons by default; the name is kept from the
    circles problem of earlier versions): ``cfg.methods`` on seed ``cfg.seed``, a λ sweep, and
    ``cfg.held_out_methods`` again on the held-out ``cfg.seeds`` (new data and initialization)."""
    common = _circles_common(cfg, _progress_flag(progress, show_progress))
    data = make_problem(cfg, cfg.seed)
    s = cfg.seed
    runs = {
        m: train_node(
            data, m, seed=s, **_method_kwargs(m, cfg, cfg.lam_error, cfg.lam_error_end), **common
        )
        for m in cfg.methods
    }
    sweep = [train_node(data, "ernode", lam0=lam, seed=s, **common) for lam in cfg.lam_sweep]
    held: dict[str, list[NodeRun]] = {m: [] for m in cfg.held_out_methods}
    for seed in cfg.seeds:
        d = make_problem(cfg, seed)
        for m in cfg.held_out_methods:
            kw = _method_kwargs(m, cfg, cfg.lam_error, cfg.lam_error_end)
            held[m].append(train_node(d, m, seed=seed, **kw, **common))
    return CirclesResult(data, runs, sweep, held)


@_threads
def run_digits(
    cfg: Config, *, progress: bool = False, show_progress: bool | None = None
) -> CirclesResult | None:
    """The classifier on scikit-learn's digits (64-d state, minibatches) at tolerance
    ``cfg.digits_rtol``/``digits_atol`` in ``cfg.digits_dtype``; ``None`` if
    ``cfg.digits_epochs == 0``."""
    if cfg.digits_epochs == 0:
        return None
    data = make_digits_data(seed=cfg.seed)
    common: dict[str, Any] = dict(
        epochs=cfg.digits_epochs,
        hidden=cfg.digits_hidden,
        lr=cfg.digits_lr,
        rtol=cfg.digits_rtol,
        atol=cfg.digits_atol,
        batch_size=cfg.digits_batch,
        seed=cfg.seed,
        progress=_progress_flag(progress, show_progress),
        torch_device=cfg.torch_device,
        dtype=cfg.digits_dtype,
    )
    runs = {
        m: train_node(
            data, m, **_method_kwargs(m, cfg, cfg.digits_lam, cfg.digits_lam_end), **common
        )
        for m in cfg.digits_methods
    }
    return CirclesResult(data, runs, [])


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


@_threads
def run_latent(
    cfg: Config, *, progress: bool = False, show_progress: bool | None = None
) -> LatentResult | None:
    """Latent ODE on spirals: vanilla, ERNODE at each ``λ`` of ``cfg.latent_lams`` and the other
    methods of ``cfg.latent_methods`` (ERNODE + SRNODE at the first ``λ``); ``None`` if
    ``cfg.latent_epochs == 0``."""
    if cfg.latent_epochs == 0:
        return None
    data = make_spirals(cfg.latent_n_train, cfg.latent_n_test, seed=cfg.seed)
    common: dict[str, Any] = dict(
        epochs=cfg.latent_epochs,
        rtol=cfg.rtol,
        atol=cfg.atol,
        seed=cfg.seed,
        progress=_progress_flag(progress, show_progress),
        torch_device=cfg.torch_device,
    )
    runs = {"vanilla": train_latent_ode(data, "vanilla", **common)}
    for lam in cfg.latent_lams:
        runs[f"ernode λ={lam:g}"] = train_latent_ode(data, "ernode", lam0=lam, **common)
    lam = cfg.latent_lams[0]
    others: dict[str, dict[str, Any]] = {
        "srnode": dict(lam0=cfg.lam_stiff),
        "steer": dict(steer_b=cfg.steer_b),
        "ernode+srnode": dict(lam0=lam, lam_stiff=cfg.lam_stiff),
        "taynode": dict(lam0=cfg.lam_taynode),
    }
    for m, kw in others.items():
        if m in cfg.latent_methods:
            runs[m] = train_latent_ode(data, m, **kw, **common)
    return LatentResult(data, runs)


SDE_FIT_TOLERANCE = 1.1
"""A swept ``λ`` qualifies when its validation loss is at most this factor times vanilla's."""


@dataclass(frozen=True)
class SDEResult:
    """Neural-SDE runs keyed ``"vanilla"`` and ``"ernode λ=…"`` (one per ``λ`` of
    ``cfg.sde_lams``), all from the same initialization and Brownian keys."""

    data: Any
    runs: dict[str, Any]

    @staticmethod
    def mse(loss: float, data: Any) -> float:
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

    def main_ernode(self) -> Any:
        """The ``λ`` chosen on the validation paths: the fewest validation steps per path among
        the runs whose validation loss is at most ``SDE_FIT_TOLERANCE`` × vanilla's (the smallest
        ``λ`` if none qualifies). The test paths are not used."""
        base = self.runs["vanilla"]
        swept = [r for k, r in self.runs.items() if k != "vanilla"]
        ok = [r for r in swept if r.val_loss <= SDE_FIT_TOLERANCE * base.val_loss]
        if not ok:
            return min(swept, key=lambda r: r.lam)
        return min(ok, key=lambda r: (r.val_steps, r.lam))

    def strongest(self) -> Any:
        """The run at the largest swept ``λ``."""
        return max((r for k, r in self.runs.items() if k != "vanilla"), key=lambda r: r.lam)


def run_sde(
    cfg: Config, *, progress: bool = False, show_progress: bool | None = None
) -> SDEResult | None:
    """The paper's toy neural SDE (JAX, adaptive SPaRK): vanilla and ERNODE at each ``λ`` of
    ``cfg.sde_lams``; ``None`` if ``cfg.sde_iters == 0``."""
    cfg = _check_cfg(cfg)
    if cfg.sde_iters == 0:
        return None
    from theorybook.nde.sde import make_sde_data, train_neural_sde_sweep

    bar = _progress_flag(progress, show_progress)
    data = make_sde_data(seed=cfg.seed)
    lams = (0.0, *cfg.sde_lams)
    runs = train_neural_sde_sweep(data, lams, iters=cfg.sde_iters, seed=cfg.seed, progress=bar)
    named = {"vanilla": runs[0]}
    for lam, r in zip(cfg.sde_lams, runs[1:], strict=True):
        named[f"ernode λ={lam:g}"] = r
    return SDEResult(data, named)


@dataclass(frozen=True)
class TaynodeResult(Mapping[str, Any]):
    """The JAX runs of :func:`run_taynode_comparison`, keyed by method (reads like a dict)."""

    runs: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.runs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


def run_taynode_comparison(
    cfg: Config, *, progress: bool = False, show_progress: bool | None = None
) -> TaynodeResult:
    """``cfg.jax_methods`` trained in JAX with the same model, optimizer and solver."""
    cfg = _check_cfg(cfg)
    from theorybook.nde.train_jax import train_node_jax

    bar = _progress_flag(progress, show_progress)
    data = make_problem(cfg, cfg.seed, n_train=cfg.jax_n_train)
    lams = {"vanilla": 0.0, "ernode": cfg.lam_error, "taynode": cfg.lam_taynode}
    return TaynodeResult(
        {
            m: train_node_jax(
                data,
                m,
                lam=lams[m],
                iters=cfg.jax_iters,
                hidden=cfg.jax_hidden,
                lr=cfg.jax_lr,
                rtol=cfg.rtol,
                atol=cfg.atol,
                dt0=cfg.dt0,
                order=cfg.taynode_order,
                seed=cfg.seed,
                progress=bar,
            )
            for m in cfg.jax_methods
        }
    )


def vector_field(model: Any, t: float = 0.5, lim: float = 2.5, n: int = 21) -> tuple[Any, ...]:
    """Deprecated location: use :func:`theorybook.nde.figures.vector_field`."""
    from theorybook.nde.figures import vector_field as vf

    return vf(model, t=t, lim=lim, n=n)


def trajectories(model: Any, x: np.ndarray, n_times: int = 30) -> np.ndarray:
    """Deprecated location: use :func:`theorybook.nde.figures.trajectories`."""
    from theorybook.nde.figures import trajectories as tr

    return tr(model, x, n_times=n_times)


def build_claims(*args: Any, **kwargs: Any) -> Any:
    """Deprecated: use :func:`theorybook.nde.claims.chapter_claims` (same arguments)."""
    from theorybook.nde.claims import chapter_claims

    warnings.warn(
        "build_claims is deprecated; use theorybook.nde.claims.chapter_claims",
        DeprecationWarning,
        stacklevel=2,
    )
    return chapter_claims(*args, **kwargs)
