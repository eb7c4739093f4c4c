"""The circles classifier in JAX + diffrax: vanilla, ERNODE and the TayNODE baseline side by side.

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), the TayNODE comparison. The paper contrasts
ERNODE's training cost (the regularizer is a by-product of the solve) with TayNODE's (Kelly et al.
2020: ``R_K = ∫ ‖d^K z/dt^K‖² dt``, one Taylor-mode evaluation per solver stage). To compare like with
like, all three are trained here in the same framework, with the same model, optimizer and solver
(Tsitouras 5(4), ``diffrax.Tsit5``, the paper's solver):
:func:`regularized_diffeqsolve` for vanilla/ERNODE, and the same solve of the state augmented with
``r' = mean_b ‖z_b^{(K)}‖²`` for TayNODE. Test NFE is always that of the plain solve.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Float, Int, UInt32

from theorybook.boundary import (
    IntRange,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    Seed,
    checked,
    record,
)
from theorybook.nde.config import Config, JaxComparison, Regularizers, TaylorOrder
from theorybook.nde.data import ClassificationData
from theorybook.nde.solver_jax import _regularized_diffeqsolve, _taynode_regularizer
from theorybook.timing import Timer
from theorybook.training import DivergenceGuard, TrainingDiverged, train_loop

__all__ = ["JAX_METHODS", "JaxNodeRun", "init_mlp", "jax_node_loss", "mlp_field", "train_node_jax"]

JaxMethod = Literal["vanilla", "ernode", "taynode"]
JAX_METHODS: tuple[str, ...] = get_args(JaxMethod)
Params = dict[str, Any]


def _check_params(params: Params, dim: int | None = None) -> None:
    """``TypeError``/``ValueError`` naming ``params`` unless it is :func:`init_mlp`'s layout:
    ``W0 (dim + 1, h)``, ``W1 (h, h)``, ``W2 (h, dim)``, ``W3 (dim, c)`` and biases ``b0…b3``,
    floating and finite (``dim``: the state's dimension, if known)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays (init_mlp), got {type(params).__name__}")
    missing = sorted({f"{p}{i}" for p in "Wb" for i in range(4)} - set(params))
    if missing:
        raise ValueError(f"params lacks {missing} (build it with init_mlp)")
    shapes = {k: tuple(np.shape(v)) for k, v in params.items()}
    w0, w1, w2, w3 = (shapes[f"W{i}"] for i in range(4))
    ok = all(len(w) == 2 for w in (w0, w1, w2, w3))
    ok = ok and w1 == (w0[1], w0[1]) and w2 == (w0[1], w0[0] - 1) and w3[0] == w0[0] - 1
    ok = ok and all(shapes[f"b{i}"] == (w[1],) for i, w in enumerate((w0, w1, w2, w3)))
    if not ok or (dim is not None and w0[0] != dim + 1):
        raise ValueError(f"params has shapes {shapes}, not init_mlp's for a state of dim {dim}")
    for k in sorted(params):
        v = np.asarray(params[k])
        if not np.issubdtype(v.dtype, np.floating) or not np.all(np.isfinite(v)):
            raise ValueError(f"params[{k!r}] must hold finite floating values")


@checked
def init_mlp(
    key: UInt32[jax.Array, " 2"],
    dim: PositiveInt,
    hidden: PositiveInt,
    n_classes: Annotated[int, IntRange(low=2)],
) -> Params:
    """Parameters of the vector field ``[z, t] → hidden → hidden → dim`` (tanh) and the linear head.

    Uniform ``±1/√fan_in`` initialisation, as ``torch.nn.Linear``.

    Arguments:
        key: the JAX random key (``jax.random.PRNGKey``).
        dim: the state's dimension.
        hidden: the field's width.
        n_classes: the head's outputs.

    Returns:
        The parameters ``W0…W3``, ``b0…b3``.
    """
    return _init_mlp(key, dim, hidden, n_classes)


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _init_mlp(key: jax.Array, dim: int, hidden: int, n_classes: int) -> Params:
    """:func:`init_mlp`, compiled as one function (eight separate draws would compile one
    sampler per shape)."""
    sizes = [(dim + 1, hidden), (hidden, hidden), (hidden, dim), (dim, n_classes)]
    keys = jax.random.split(key, 2 * len(sizes))
    params: Params = {}
    for i, (fi, fo) in enumerate(sizes):
        bound = 1.0 / np.sqrt(fi)
        params[f"W{i}"] = jax.random.uniform(keys[2 * i], (fi, fo), minval=-bound, maxval=bound)
        params[f"b{i}"] = jax.random.uniform(keys[2 * i + 1], (fo,), minval=-bound, maxval=bound)
    return params


@checked
def mlp_field(params: Params) -> Callable[[Any, jax.Array], jax.Array]:
    """The vector field ``f(t, z)`` for a batch ``z`` of shape ``(batch, dim)``.

    ``params`` must be :func:`init_mlp`'s (checked: names, shapes, finite floats).
    """
    _check_params(params)
    return _mlp_field(params)


def _mlp_field(params: Params) -> Callable[[Any, jax.Array], jax.Array]:

    def f(t: Any, z: jax.Array) -> jax.Array:
        tt = jnp.broadcast_to(jnp.asarray(t, z.dtype), z.shape[:-1] + (1,))
        h = jnp.tanh(jnp.concatenate([z, tt], -1) @ params["W0"] + params["b0"])
        h = jnp.tanh(h @ params["W1"] + params["b1"])
        return h @ params["W2"] + params["b2"]

    return f


@checked
def jax_node_loss(
    params: Params,
    x: Float[jax.Array, "batch dim"],
    y: Int[jax.Array, " batch"],
    method: JaxMethod,
    lam: NonNegativeReal,
    *,
    rtol: PositiveReal,
    atol: PositiveReal,
    dt0: PositiveReal,
    order: TaylorOrder = 2,
    max_steps: PositiveInt = 4096,
) -> tuple[Any, tuple[Any, ...]]:
    """``CE + λ R`` with ``R = R_E`` (ERNODE, equation :eq:`nde-ernode`), TayNODE's ``R_K``
    (equation :eq:`nde-taynode`) or nothing; returns ``(loss, (ce, R, nfe, ok))`` where ``ok`` says
    whether the solve succeeded (it runs with ``throw=False``, at most ``max_steps`` steps).

    Arguments:
        params: the parameters (:func:`init_mlp`).
        x: the inputs, ``(batch, dim)``.
        y: the integer labels.
        method: one of :data:`JAX_METHODS`.
        lam: the weight ``λ`` of ``R``.
        rtol: relative tolerance.
        atol: absolute tolerance.
        dt0: the first step.
        order: TayNODE's order ``K``.
        max_steps: the cap on attempted steps.

    Returns:
        ``(loss, (ce, R, nfe, ok))``.
    """
    _check_params(params, x.shape[-1])
    if bool(jnp.any((y < 0) | (y >= params["W3"].shape[1]))):
        raise ValueError(f"y must hold labels in [0, {params['W3'].shape[1]}) (the head's outputs)")
    return _jax_node_loss(
        params, x, y, method, lam, rtol=rtol, atol=atol, dt0=dt0, order=order, max_steps=max_steps
    )


def _jax_node_loss(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    method: str,
    lam: float,
    *,
    rtol: float,
    atol: float,
    dt0: float,
    order: int = 2,
    max_steps: int = 4096,
) -> tuple[Any, tuple[Any, ...]]:
    """:func:`jax_node_loss` unchecked (traced inside the jitted training step)."""
    f = _mlp_field(params)
    b, d = x.shape
    if method == "taynode":

        def vf(t: Any, yy: jax.Array, args: Any) -> jax.Array:
            z = yy[:-1].reshape(b, d)
            return jnp.concatenate(
                [f(t, z).reshape(-1), _taynode_regularizer(f, t, z, order)[None]]
            )

        y0 = jnp.concatenate([x.reshape(-1), jnp.zeros((1,), x.dtype)])
        sol, st = _regularized_diffeqsolve(
            diffrax.ODETerm(vf),
            y0,
            0.0,
            1.0,
            rtol=rtol,
            atol=atol,
            dt0=dt0,
            max_steps=max_steps,
            throw=False,
            solver=diffrax.Tsit5(),
        )
        ys: Any = sol.ys
        z1, reg = ys[-1][:-1].reshape(b, d), ys[-1][-1]
    else:
        sol, st = _regularized_diffeqsolve(
            diffrax.ODETerm(lambda t, z, args: f(t, z)),
            x,
            0.0,
            1.0,
            rtol=rtol,
            atol=atol,
            dt0=dt0,
            max_steps=max_steps,
            throw=False,
            solver=diffrax.Tsit5(),
        )
        ys = sol.ys
        z1, reg = ys[-1], st.error_estimate
    logits = z1 @ params["W3"] + params["b3"]
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    loss = ce + lam * reg if method != "vanilla" else ce
    ok = sol.result == diffrax.RESULTS.successful
    return loss, (ce, reg, st.nfe, ok)


@record
@dataclass(frozen=True)
class JaxNodeRun:
    """A JAX training run: per-iteration history, test metrics and timings.

    ``iter_seconds`` is the median wall time of one jitted training iteration after compilation
    (``compile_seconds`` is the first iteration's time); ``history`` maps ``loss``, ``reg``, ``nfe``
    (forward NFE of the training solve, augmented for TayNODE) and ``wall`` to lists.
    """

    method: JaxMethod
    lam: NonNegativeReal
    history: dict[str, list[float]]
    test_acc: Probability
    test_nfe: PositiveInt
    train_seconds: NonNegativeReal
    compile_seconds: NonNegativeReal
    iter_seconds: NonNegativeReal
    predict_seconds: NonNegativeReal
    params: Params


@checked
def train_node_jax(
    data: ClassificationData,
    method: JaxMethod = "vanilla",
    *,
    lam: NonNegativeReal = 0.0,
    iters: Annotated[int, IntRange(low=2)] = JaxComparison.iters,
    hidden: PositiveInt = JaxComparison.hidden,
    lr: PositiveReal = JaxComparison.lr,
    rtol: PositiveReal = Config.rtol,
    atol: PositiveReal = Config.atol,
    dt0: PositiveReal = JaxComparison.dt0,
    order: TaylorOrder = Regularizers.taynode_order,
    seed: Seed = 0,
    progress: bool = False,
    max_steps: PositiveInt = 2_000,
) -> JaxNodeRun:
    """Full-batch Adam (optax) on ``data`` with ``method`` in :data:`JAX_METHODS`; float32.

    Each jitted optimisation step runs through :func:`theorybook.training.train_loop`. Defaults
    are :class:`~theorybook.nde.config.Config`'s (its ``jax`` block).

    Arguments:
        data: the training and test split.
        method: ``"vanilla"``, ``"ernode"`` (``CE + λ R_E``) or ``"taynode"`` (``CE + λ R_K``).
        lam: the weight ``λ`` (0 for vanilla, > 0 otherwise).
        iters: optimisation steps (≥ 2: the first one compiles).
        hidden: width of the vector field.
        lr: Adam's learning rate.
        rtol: relative tolerance of every solve.
        atol: absolute tolerance of every solve.
        dt0: the first step of every solve.
        order: TayNODE's order ``K``.
        seed: seed of the initialization.
        progress: show a progress bar.
        max_steps: the step cap of each solve.

    Returns:
        The :class:`JaxNodeRun`: per-iteration history, test accuracy and NFE, timings and the
        parameters.

    Raises:
        TypeError, ValueError: for malformed arguments.
        TrainingDiverged: naming the step when the loss is not finite or has exploded, or a
            training solve fails (more than ``max_steps`` steps, a non-finite state): never
            diffrax's opaque runtime error.
    """
    if method != "vanilla" and lam <= 0:
        raise ValueError(f"{method} needs lam > 0")
    if method == "vanilla" and lam != 0:
        raise ValueError(f"vanilla has no regularizer: lam must be 0, got {lam}")
    with np.errstate(over="ignore"):
        x = jnp.asarray(data.x_train, dtype=jnp.float32)
        xt = jnp.asarray(data.x_test, dtype=jnp.float32)
    if not (bool(jnp.all(jnp.isfinite(x))) and bool(jnp.all(jnp.isfinite(xt)))):
        raise ValueError("data.x_train or data.x_test overflows float32 (the model's precision)")
    y = jnp.asarray(data.y_train)
    params = init_mlp(jax.random.PRNGKey(seed), data.dim, hidden, max(data.n_classes, 2))
    opt = optax.adam(lr)
    opt_state = opt.init(params)
    kw = dict(rtol=rtol, atol=atol, dt0=dt0, order=order, max_steps=max_steps)

    @jax.jit
    def update(p: Params, s: Any) -> tuple[Params, Any, jax.Array, tuple[jax.Array, ...]]:
        (loss, aux), g = jax.value_and_grad(_jax_node_loss, has_aux=True)(
            p, x, y, method, lam, **kw
        )
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss, aux

    hist: dict[str, list[float]] = {k: [] for k in ("loss", "reg", "nfe", "wall")}
    times: list[float] = []
    wall = 0.0
    where = f"jax {method} on {data.name}"

    def step(it: int) -> jax.Array:
        nonlocal params, opt_state, wall
        with Timer() as timer:
            new_params, new_state, loss, (ce, reg, nfe, ok) = update(params, opt_state)
            loss = jax.block_until_ready(loss)
        if not bool(ok):
            raise TrainingDiverged(
                f"{where} diverged at step {it}: the training solve failed (more than "
                f"max_steps={max_steps} steps or a non-finite state)"
            )
        params, opt_state = new_params, new_state
        times.append(timer.seconds)
        wall += timer.seconds
        hist["loss"].append(float(ce))
        hist["reg"].append(float(reg))
        hist["nfe"].append(float(nfe))
        hist["wall"].append(wall)
        return loss

    train_loop(step, iters, desc=f"jax {method}", progress=progress, guard=DivergenceGuard(where))
    settings = (rtol, atol, dt0, max_steps)  # static: one compilation per setting and shape
    logits, nfe, ok = jax.block_until_ready(_predict_jit(params, xt, *settings))
    if not bool(ok):
        raise TrainingDiverged(f"{where}: the test solve after training failed")
    best = float("inf")
    for _ in range(3):
        with Timer() as timer:
            jax.block_until_ready(_predict_jit(params, xt, *settings))
        best = min(best, timer.seconds)
    acc = float(jnp.mean(jnp.argmax(logits, -1) == jnp.asarray(data.y_test)))
    return JaxNodeRun(
        method, lam, hist, acc, int(nfe), wall, times[0], float(np.median(times[1:])), best, params
    )


def _predict(
    params: Params, x: jax.Array, rtol: float, atol: float, dt0: float, max_steps: int
) -> tuple[Any, Any, Any]:
    f = _mlp_field(params)
    sol, st = _regularized_diffeqsolve(
        diffrax.ODETerm(lambda t, z, args: f(t, z)),
        x,
        0.0,
        1.0,
        rtol=rtol,
        atol=atol,
        dt0=dt0,
        max_steps=max_steps,
        throw=False,
        solver=diffrax.Tsit5(),
    )
    ok = sol.result == diffrax.RESULTS.successful
    ys: Any = sol.ys
    return ys[-1] @ params["W3"] + params["b3"], st.nfe, ok


_predict_jit = jax.jit(_predict, static_argnums=(2, 3, 4, 5))
"""The test solve, compiled once for every method that shares its shapes and settings (a new
``jax.jit`` per run would compile the same solve again)."""
