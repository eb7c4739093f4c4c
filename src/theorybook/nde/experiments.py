"""Experiments of chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021).

Each ``run_*(cfg, *, progress=False)`` returns a frozen dataclass of :mod:`~theorybook.nde.results`
that :mod:`~theorybook.nde.figures` plots; :func:`run_all` runs them all and returns
:class:`~theorybook.nde.results.Results`, which :func:`~theorybook.nde.claims.chapter_claims` turns
into the chapter's table. The torch experiments run under the book's thread policy
(:func:`theorybook.runtime.torch_threads`). torch and JAX are imported by the experiments that use
them, so importing this module imports neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import numpy as np

from theorybook.boundary import IntRange, Seed, checked
from theorybook.nde.agreement import run_backend_agreement, start_backend_agreement
from theorybook.nde.config import Config, Regularizers
from theorybook.nde.data import (
    ClassificationData,
    SpiralData,
    make_circles_data,
    make_digits_data,
    make_moons_data,
    make_spirals,
)
from theorybook.nde.results import (
    CirclesResult,
    DigitsNulls,
    LatentResult,
    Results,
    SDEResult,
    SolverChecks,
    TaynodeResult,
)
from theorybook.runtime import seed_everything, torch_threads

if TYPE_CHECKING:  # pragma: no cover
    from theorybook.nde.latent import LatentMethod, LatentRun
    from theorybook.nde.sde import SDERun
    from theorybook.nde.solver_torch import SolveStats
    from theorybook.nde.train_jax import JaxMethod
    from theorybook.nde.train_torch import Method, NodeRun

R = TypeVar("R")

__all__ = [
    "make_problem",
    "run_all",
    "run_backend_agreement",
    "run_circles",
    "run_digits",
    "run_latent",
    "run_sde",
    "run_solver_checks",
    "run_taynode_comparison",
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


def _rhos(stats: SolveStats) -> np.ndarray:
    if stats.step_stiffness is None:  # pragma: no cover - these solves use dopri5
        raise ValueError("the solve recorded no stiffness estimates")
    return np.asarray(stats.step_stiffness.numpy())


@_threads
@checked
def run_solver_checks(cfg: Config, *, progress: bool = False) -> SolverChecks:
    """Free NFE, ``E_j ≤ 1``, ``R_E ≤ t₁ − t₀``, a non-zero gradient and the stiffness estimate
    (a random MLP field on ``cfg.seed``'s circles, and ``y' = diag(−1, −100) y`` in float64);
    ``progress`` is accepted for the one signature (nothing here is long)."""
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
    _, st = regularized_odeint(func, x, t, rtol=cfg.rtol, atol=cfg.atol, land_on_end=True)
    grads = torch.autograd.grad(st.error_estimate, list(func.parameters()), allow_unused=True)
    grad = float(torch.sqrt(torch.stack([(g**2).sum() for g in grads if g is not None]).sum()))
    try:
        regularized_odeint(func, x, t, rtol=cfg.rtol, atol=cfg.atol, adjoint=True)
        raises = False
    except ValueError:
        raises = True
    a = torch.diag(torch.tensor([-1.0, -100.0], dtype=torch.float64))

    def lin(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y @ a

    y_stiff = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    y_mixed = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    _, s1 = regularized_odeint(lin, y_stiff, t, rtol=1e-6, atol=1e-6, land_on_end=True)
    _, s2 = regularized_odeint(lin, y_mixed, t, rtol=1e-6, atol=1e-6, land_on_end=True)
    # Replay every accepted step of a float64 solve with an independent Dormand–Prince step.
    f64 = ODEFunc(2, 32).double()

    def fast(tt: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return 8.0 * f64(tt, y)

    t2 = torch.tensor([0.0, 2.0], dtype=torch.float64)
    with torch.no_grad():
        _, s64 = regularized_odeint(
            fast, 3 * x.double(), t2, rtol=1e-6, atol=1e-6, land_on_end=True, record_states=True
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


def _weights(
    method: str, regs: Regularizers, lam: float, lam_end: float
) -> tuple[float, float | None, float | None]:
    """``(lam0, lam1, lam_stiff)`` of :func:`~theorybook.nde.train_torch.train_node` for
    ``method``: ERNODE's ``λ`` goes from ``lam`` to ``lam_end``, the other weights are
    ``regs``'s."""
    if method == "ernode":
        return lam, lam_end, None
    if method == "srnode":
        return regs.lam_stiff, None, None
    if method == "ernode+srnode":
        return lam, lam_end, regs.lam_stiff
    if method == "taynode":
        return regs.lam_taynode, None, None
    return 0.0, None, None


@checked
def make_problem(
    cfg: Config, seed: Seed, *, n_train: Annotated[int, IntRange(low=4)] | None = None
) -> ClassificationData:
    """The two-dimensional classification problem of ``cfg.classifier`` drawn with ``seed``.

    Arguments:
        cfg: the chapter's configuration (problem, noise and sizes from ``cfg.classifier``).
        seed: the seed of the draw.
        n_train: the number of training points (≥ 4; default ``cfg.classifier.n_train``); the
            test set has ``cfg.classifier.n_test`` points.

    Returns:
        The :class:`~theorybook.nde.data.ClassificationData` of moons or circles.
    """
    c = cfg.classifier
    maker = make_moons_data if c.problem == "moons" else make_circles_data
    n = c.n_train if n_train is None else n_train
    return maker(n, c.n_test, noise=c.noise, seed=seed)


def _train_moons(
    cfg: Config, data: ClassificationData, method: str, *, seed: int, progress: bool
) -> NodeRun:
    """One run of the classifier of ``cfg.classifier`` with ``method``'s configured weights."""
    from theorybook.nde.train_torch import train_node

    c = cfg.classifier
    lam0, lam1, lam_stiff = _weights(method, cfg.regularizers, c.lam_error, c.lam_error_end)
    return train_node(
        data,
        cast("Method", method),
        lam0=lam0,
        lam1=lam1,
        lam_stiff=lam_stiff,
        steer_b=cfg.regularizers.steer_b,
        epochs=c.epochs,
        hidden=c.hidden,
        lr=c.lr,
        rtol=cfg.rtol,
        atol=cfg.atol,
        seed=seed,
        progress=progress,
        torch_device=cfg.torch_device,
        dtype=c.dtype,
    )


@_threads
@checked
def run_circles(cfg: Config, *, progress: bool = False) -> CirclesResult:
    """The PyTorch classifier on ``cfg.classifier.problem`` (moons by default; the name is kept
    from the circles problem of earlier versions): ``cfg.classifier.methods`` on seed
    ``cfg.seed``, the λ sweep ``cfg.classifier.lam_sweep``, and ``held_out_methods`` again on the
    held-out ``cfg.seeds`` (new data and initialization)."""
    from theorybook.nde.train_torch import train_node

    c = cfg.classifier
    data = make_problem(cfg, cfg.seed)
    s = cfg.seed
    runs = {m: _train_moons(cfg, data, m, seed=s, progress=progress) for m in c.methods}
    sweep = [
        train_node(
            data,
            "ernode",
            lam0=lam,
            seed=s,
            epochs=c.epochs,
            hidden=c.hidden,
            lr=c.lr,
            rtol=cfg.rtol,
            atol=cfg.atol,
            progress=progress,
            torch_device=cfg.torch_device,
            dtype=c.dtype,
        )
        for lam in c.lam_sweep
    ]
    held: dict[str, list[NodeRun]] = {m: [] for m in c.held_out_methods}
    for seed in cfg.seeds:
        d = make_problem(cfg, seed)
        for m in c.held_out_methods:
            held[m].append(_train_moons(cfg, d, m, seed=seed, progress=progress))
    return CirclesResult(data, runs, sweep, held)


@_threads
@checked
def run_digits(cfg: Config, *, progress: bool = False) -> CirclesResult | None:
    """The classifier on scikit-learn's digits (64-d state, minibatches) at tolerance
    ``cfg.digits.rtol``/``atol`` in ``cfg.digits.dtype``, ``λ`` annealed from ``cfg.digits.lam_error``
    to ``lam_error_end``; ``None`` if ``cfg.digits.epochs == 0``."""
    from theorybook.nde.train_torch import train_node

    dg = cfg.digits
    if dg.epochs == 0:
        return None
    data = make_digits_data(dg.n_test, seed=cfg.seed)
    runs = {}
    for m in dg.methods:
        lam0, lam1, lam_stiff = _weights(m, cfg.regularizers, dg.lam_error, dg.lam_error_end)
        runs[m] = train_node(
            data,
            cast("Method", m),
            lam0=lam0,
            lam1=lam1,
            lam_stiff=lam_stiff,
            steer_b=cfg.regularizers.steer_b,
            epochs=dg.epochs,
            hidden=dg.hidden,
            lr=dg.lr,
            rtol=dg.rtol,
            atol=dg.atol,
            batch_size=dg.batch_size,
            seed=cfg.seed,
            progress=progress,
            torch_device=cfg.torch_device,
            dtype=dg.dtype,
        )
    return CirclesResult(data, runs, [], nulls=_digits_nulls(cfg, data))


def _digits_nulls(cfg: Config, data: ClassificationData) -> DigitsNulls:
    """The untrained classifier of ``cfg.digits`` (same architecture, seed, dtype and tolerance as
    the runs, its initialization as ``train_node`` draws it) and scikit-learn's
    ``LogisticRegression`` on the pixels, on ``data``'s split."""
    import torch
    from sklearn.linear_model import LogisticRegression

    from theorybook.nde.train_torch import (
        DTYPES,
        TRAIN_MAX_NUM_STEPS,
        NODEClassifier,
        _evaluate,
        _features,
    )
    from theorybook.runtime import device

    dg = cfg.digits
    dev, tdtype = device(cfg.torch_device), DTYPES[dg.dtype]
    seed_everything(cfg.seed)
    model = NODEClassifier(
        data.dim,
        dg.hidden,
        max(data.n_classes, 2),
        rtol=dg.rtol,
        atol=dg.atol,
        max_num_steps=TRAIN_MAX_NUM_STEPS,
    ).to(dev, tdtype)
    x_test = _features(data, "x_test", dev, tdtype)
    y_test = torch.from_numpy(data.y_test).to(dev, torch.long)
    acc, nfe, _, correct = _evaluate(model, x_test, y_test, repeats=1)
    linear = LogisticRegression(max_iter=5000).fit(data.x_train, data.y_train)
    hit = linear.predict(data.x_test) == data.y_test
    return DigitsNulls(acc, nfe, correct, float(hit.mean()), hit)


@_threads
@checked
def run_latent(cfg: Config, *, progress: bool = False) -> LatentResult | None:
    """Latent ODE on spirals: vanilla, ERNODE at each ``λ`` of ``cfg.latent.lams`` and the other
    methods of ``cfg.latent.methods`` (ERNODE + SRNODE at the first ``λ``) on ``cfg.seed``, then
    vanilla and ERNODE at the first ``λ`` again on each seed of ``cfg.latent.seeds`` (new spirals
    and initialization); ``None`` if ``cfg.latent.epochs == 0``."""
    from theorybook.nde.latent import train_latent_ode

    lt, regs = cfg.latent, cfg.regularizers
    if lt.epochs == 0:
        return None

    def train(
        data: SpiralData,
        method: str,
        lam0: float = 0.0,
        lam_stiff: float | None = None,
        seed: int = cfg.seed,
    ) -> LatentRun:
        return train_latent_ode(
            data,
            cast("LatentMethod", method),
            lam0=lam0,
            lam_stiff=lam_stiff,
            steer_b=regs.steer_b,
            epochs=lt.epochs,
            batch_size=lt.batch_size,
            hidden=lt.hidden,
            lr=lt.lr,
            rtol=cfg.rtol,
            atol=cfg.atol,
            seed=seed,
            progress=progress,
            torch_device=cfg.torch_device,
        )

    def spirals(seed: int) -> SpiralData:
        return make_spirals(lt.n_train, lt.n_test, noise=lt.noise, seed=seed)

    data = spirals(cfg.seed)
    runs = {"vanilla": train(data, "vanilla")}
    for lam in lt.lams:
        runs[f"ernode λ={lam:g}"] = train(data, "ernode", lam)
    lam = lt.lams[0]
    if "srnode" in lt.methods:
        runs["srnode"] = train(data, "srnode", regs.lam_stiff)
    if "steer" in lt.methods:
        runs["steer"] = train(data, "steer")
    if "ernode+srnode" in lt.methods:
        runs["ernode+srnode"] = train(data, "ernode+srnode", lam, regs.lam_stiff)
    if "taynode" in lt.methods:
        runs["taynode"] = train(data, "taynode", regs.lam_taynode)
    others = {}
    for seed in lt.seeds:
        d = spirals(seed)
        others[seed] = {
            "vanilla": train(d, "vanilla", seed=seed),
            f"ernode λ={lam:g}": train(d, "ernode", lam, seed=seed),
        }
    return LatentResult(data, runs, others)


@checked
def run_sde(cfg: Config, *, progress: bool = False) -> SDEResult | None:
    """The paper's toy neural SDE (JAX, adaptive SPaRK): vanilla and ERNODE at each ``λ`` of
    ``cfg.sde.lams``, on ``cfg.seed`` and on each seed of ``cfg.sde.seeds`` (one compilation for
    all); ``None`` if ``cfg.sde.iters == 0``."""
    if cfg.sde.iters == 0:
        return None
    from theorybook.nde.sde import make_sde_data, train_neural_sde_seeds

    data = make_sde_data(seed=cfg.seed)
    lams = (0.0, *cfg.sde.lams)
    seeds = (cfg.seed, *cfg.sde.seeds)
    per_seed = train_neural_sde_seeds(
        data,
        lams,
        seeds,
        iters=cfg.sde.iters,
        hidden=cfg.sde.hidden,
        lr=cfg.sde.lr,
        progress=progress,
    )

    def named(runs: list[SDERun]) -> dict[str, SDERun]:
        out = {"vanilla": runs[0]}
        for lam, r in zip(cfg.sde.lams, runs[1:], strict=True):
            out[f"ernode λ={lam:g}"] = r
        return out

    others = {s: named(r) for s, r in zip(seeds[1:], per_seed[1:], strict=True)}
    return SDEResult(data, named(per_seed[0]), others)


@checked
def run_taynode_comparison(cfg: Config, *, progress: bool = False) -> TaynodeResult:
    """``cfg.jax.methods`` trained in JAX with the same model, optimizer and solver."""
    from theorybook.nde.train_jax import train_node_jax

    jx = cfg.jax
    data = make_problem(cfg, cfg.seed, n_train=jx.n_train)
    lams = {
        "vanilla": 0.0,
        "ernode": cfg.classifier.lam_error,
        "taynode": cfg.regularizers.lam_taynode,
    }
    return TaynodeResult(
        {
            m: train_node_jax(
                data,
                cast("JaxMethod", m),
                lam=lams[m],
                iters=jx.iters,
                hidden=jx.hidden,
                lr=jx.lr,
                rtol=cfg.rtol,
                atol=cfg.atol,
                dt0=jx.dt0,
                order=cfg.regularizers.taynode_order,
                seed=cfg.seed,
                progress=progress,
            )
            for m in jx.methods
        }
    )


@checked
def run_all(cfg: Config, *, progress: bool = False) -> Results:
    """Every experiment of the chapter, in the notebook's order.

    The backend agreement runs in a separate process (JAX in float64) while the solver checks
    run; the experiments a preset skips are ``None``.

    Arguments:
        cfg: the chapter's configuration (``Config.preset(scale())``).
        progress: show progress bars.

    Returns:
        The :class:`~theorybook.nde.results.Results` of every experiment.
    """
    pending = start_backend_agreement(cfg)
    try:
        checks = run_solver_checks(cfg, progress=progress)
        agreement = pending.result()
    finally:
        pending.cancel()
    circles = run_circles(cfg, progress=progress)
    taynode = run_taynode_comparison(cfg, progress=progress)
    digits = run_digits(cfg, progress=progress)
    latent = run_latent(cfg, progress=progress)
    sde = run_sde(cfg, progress=progress)
    return Results(checks, agreement, circles, taynode, digits, latent, sde)
