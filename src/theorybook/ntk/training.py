"""Finite-width networks trained by gradient descent, against the NTK's prediction.

A network with one hidden layer in the NTK parameterisation, ``f(x) = vᵀ φ(W x) / √w`` with
``N(0, 1)`` weights, trained by full-batch gradient descent on ``½·mean (f(X) − y)²`` with step
``η``, follows, as ``w → ∞``, the *linear* dynamics of its neural tangent kernel ``K = K¹``
(chapter 4, :eq:`ntk-gd`):

``f_{t+1}(·) = f_t(·) − (η/n) K(·, X) (f_t(X) − y)``.

The network is centred (its output at initialisation is subtracted) so that ``f_0 = 0`` and the
kernel dynamics start from the same point; with ``t → ∞`` they end at the interpolating kernel
predictor of :func:`~theorybook.ntk.classifiers.kernel_scores`. Optimiser: ``optax.sgd``, its
steps run by :func:`theorybook.training.train_loop`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from jaxtyping import Float, Float64
from numpy.typing import NDArray

from theorybook.boundary import PositiveInt, PositiveReal, Seed, checked, record
from theorybook.ntk.dual import Activation, ActivationLike, float64, resolve_activation
from theorybook.ntk.kernels import _ntk_kernel, check_unit_rows
from theorybook.training import TrainingHistory, check_iterates, train_loop

__all__ = ["TrainedNetwork", "kernel_gradient_descent", "train_network"]


@record
@dataclass(frozen=True)
class TrainedNetwork:
    """Outputs of a trained centred network on the test points, and its loss per step."""

    width: PositiveInt
    test_outputs: Float64[np.ndarray, " m"]
    history: TrainingHistory


def _data(X: object, y: object, Z: object) -> tuple[NDArray[np.float64], ...]:
    """Unit rows ``X``, ``Z`` (shapes and dtypes are checked at the boundary) and ``y``."""
    labels = np.asarray(y, dtype=np.float64)
    return check_unit_rows("X", X), labels, check_unit_rows("Z", Z)


@checked
def kernel_gradient_descent(
    X: Float[np.ndarray, "n d"],
    y: Float[np.ndarray, " n"],
    Z: Float[np.ndarray, "m d"],
    activation: ActivationLike,
    *,
    steps: PositiveInt,
    learning_rate: PositiveReal,
) -> Float[np.ndarray, " m"]:
    """The infinite-width prediction at ``Z`` after ``steps`` steps of :eq:`ntk-gd` from 0.

    ``f_{t+1}(·) = f_t(·) − (η/n) K(·, X) (f_t(X) − y)`` with the one-hidden-layer NTK
    ``K = K¹`` and ``f_0 = 0``.

    Arguments:
        X: training points, unit-norm rows (``n × d``).
        y: their labels (``n``).
        Z: test points, unit-norm rows (``m × d``).
        activation: the activation (a name, Hermite coefficients or an ``Activation``).
        steps: the number of gradient-descent steps (≥ 1).
        learning_rate: the step ``η`` (> 0).

    Returns:
        ``f_steps(Z)``, the kernel dynamics' outputs at the test points (``m``).

    Raises:
        ValueError: on bad shapes or hyperparameters.
        theorybook.training.SolverDiverged: naming the step at which the outputs stop being
            finite or blow up (a step ``η`` above ``2n / λ_max(K)``).
    """
    x, labels, z = _data(X, y, Z)
    eta = learning_rate
    act = resolve_activation(activation)
    k_train = _ntk_kernel(x, x, 1, act, normalized=False, analytic_diagonal=True)
    k_test = _ntk_kernel(x, z, 1, act, normalized=False, analytic_diagonal=True)
    n = x.shape[0]
    f_train, f_test = np.zeros(n), np.zeros(z.shape[0])
    for t in range(1, steps + 1):
        residual = f_train - labels
        f_train = f_train - (eta / n) * (k_train @ residual)
        f_test = f_test - (eta / n) * (k_test.T @ residual)
        check_iterates(f_train, step=t, where="ntk.kernel_gradient_descent")
    return f_test


_COMPILED: dict[Activation, tuple[Any, Any, Any]] = {}


def _compiled_training(act: Activation) -> tuple[Any, Any, Any]:
    """``(net, step, optimiser)`` for one activation; ``step`` is jitted once per shape."""
    if act in _COMPILED:
        return _COMPILED[act]
    import jax
    import jax.numpy as jnp
    import optax

    def net(params: dict[str, Any], inputs: Any) -> Any:
        width = params["v"].shape[0]
        return act.phi(inputs @ params["W"]) @ params["v"] / jnp.sqrt(width)

    optimiser = optax.inject_hyperparams(optax.sgd)(learning_rate=1.0)

    @jax.jit
    def step(params: Any, state: Any, xj: Any, yj: Any, base: Any) -> tuple[Any, Any, Any]:
        def loss_fn(p: Any) -> Any:
            return 0.5 * jnp.mean((net(p, xj) - base - yj) ** 2)

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, state = optimiser.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    _COMPILED[act] = (jax.jit(net), step, optimiser)
    return _COMPILED[act]


@checked
def train_network(
    X: Float[np.ndarray, "n d"],
    y: Float[np.ndarray, " n"],
    Z: Float[np.ndarray, "m d"],
    activation: ActivationLike,
    *,
    width: PositiveInt,
    steps: PositiveInt,
    learning_rate: PositiveReal,
    seed: Seed = 0,
    progress: bool = False,
) -> TrainedNetwork:
    """Train a centred one-hidden-layer network of the given width with ``optax.sgd``.

    The steps run through :func:`theorybook.training.train_loop`, whose guard stops a run whose
    loss is not finite or has exploded.

    Arguments:
        X: training points, unit-norm rows (``n × d``).
        y: their labels (``n``).
        Z: test points, unit-norm rows (``m × d``).
        activation: the activation (a name, Hermite coefficients or an ``Activation``).
        width: the hidden layer's width ``w``.
        steps: the number of full-batch gradient-descent steps (≥ 1).
        learning_rate: the step ``η`` (> 0).
        seed: the seed of the ``N(0, 1)`` initial weights.
        progress: show a progress bar over the steps.

    Returns:
        The centred network's outputs at ``Z`` after training, and its training history.

    Raises:
        ValueError: on bad shapes or hyperparameters.
        theorybook.training.TrainingDiverged: naming the step whose loss is not finite or has
            grown 10⁶-fold.
    """
    import jax.numpy as jnp

    x, labels, z = _data(X, y, Z)
    eta = learning_rate
    act = resolve_activation(activation)
    with float64():
        rng = np.random.default_rng(seed)
        params0 = {
            "W": jnp.asarray(rng.standard_normal((x.shape[1], width))),
            "v": jnp.asarray(rng.standard_normal(width)),
        }
        xj, yj, zj = jnp.asarray(x), jnp.asarray(labels), jnp.asarray(z)
        net, step, optimiser = _compiled_training(act)
        base_train, base_test = net(params0, xj), net(params0, zj)
        state = optimiser.init(params0)
        state.hyperparams["learning_rate"] = jnp.asarray(eta)
        current = {"params": params0, "state": state}

        def one_step(_: int) -> Any:
            params, opt_state, loss = step(current["params"], current["state"], xj, yj, base_train)
            current["params"], current["state"] = params, opt_state
            return loss

        history = train_loop(
            one_step,
            steps,
            desc=f"ntk.train_network (width {width})",
            progress=progress,
        )
        outputs = np.array(net(current["params"], zj) - base_test, dtype=np.float64)
    return TrainedNetwork(width=width, test_outputs=outputs, history=history)
