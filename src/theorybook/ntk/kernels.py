"""The NNGP and NTK of infinitely wide networks, by the depth recursion on the sphere.

For unit-norm inputs ``x, z`` let ``ξ = xᵀz``. A network with ``L`` hidden layers of activation
``φ`` (NTK parameterisation, no biases) has, in the infinite-width limit (chapter 4,
:eq:`ntk-recursion`),

``Σ⁰ = K⁰ = ξ``,   ``Σˡ = ǎ(Σˡ⁻¹)``,   ``Kˡ = Σˡ + Kˡ⁻¹ ǎ′(Σˡ⁻¹)``,

so that ``Σᴸ`` is the NNGP (the kernel of the last hidden layer) and ``Kᴸ`` the NTK. The loops
run in float64 inside a scoped ``jax.enable_x64`` (nothing global is switched) and are jitted with
``lax.fori_loop``: one compiled program for every depth.

Two numerical points (:eq:`ntk-diagonal`):

* pairs with ``ξ = 1`` (a point with itself) are repelled from 1 by rounding when ``ǎ′(1) > 1``
  and collapse after about ``53 / log₂ ǎ′(1)`` layers; their values are therefore set
  analytically: ``Σᴸ = 1`` and ``Kᴸ = Σ_{l=0}^{L} ǎ′(1)^l``;
* off-diagonal entries underflow (``ξ^(2^L)`` for ``ǎ(ξ) = ξ²``); :func:`log_nngp_kernel`
  runs the recursion on ``log|Σ|`` for polynomial activations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theorybook.ntk.dual import Activation, float64, resolve_activation
from theorybook.validation import array, non_negative_int

__all__ = [
    "COINCIDE_TOL",
    "UNIT_NORM_TOL",
    "LogKernel",
    "check_unit_rows",
    "depth_recursion",
    "kernel_sweep",
    "log_nngp_kernel",
    "nngp_kernel",
    "nngp_kernel_numpy",
    "ntk_diagonal",
    "ntk_kernel",
    "ntk_kernel_numpy",
    "ntk_kernel_unrolled",
]

UNIT_NORM_TOL = 1e-8
"""How far a row's norm may be from 1."""

COINCIDE_TOL = 1e-13
"""Pairs with ``ξ ≥ 1 − COINCIDE_TOL`` (distance below about 4.5e-7) are treated as the same
point and get the analytic diagonal. Rows are renormalised first, so a point paired with itself
has ``|1 − ξ|`` of a few ulp; distinct points closer than this cannot be resolved by a recursion
in ``ξ`` (:func:`~theorybook.ntk.data.dirichlet_sphere_data` keeps points ``1e-6`` apart)."""

ActivationLike = str | Sequence[float] | Activation


def check_unit_rows(name: str, value: object) -> NDArray[np.float64]:
    """``value`` as a float64 ``(n, D)`` array of unit rows.

    Rows must have norm 1 within ``UNIT_NORM_TOL``; they are then renormalised exactly, so that
    ``xᵀx`` is 1 to rounding.
    """
    out = array(name, value, ndim=2)
    norms = np.linalg.norm(out, axis=1)
    worst = float(np.max(np.abs(norms - 1.0)))
    if worst > UNIT_NORM_TOL:
        raise ValueError(
            f"{name} must have unit-norm rows (the recursion is defined on the sphere); the "
            f"worst row norm differs from 1 by {worst:.3g}: normalise with X / ||X||"
        )
    unit: NDArray[np.float64] = out / norms[:, None]
    return unit


def _inputs(
    X: object, Z: object, depth: object, activation: ActivationLike
) -> tuple[NDArray[np.float64], int, Activation]:
    x = check_unit_rows("X", X)
    z = check_unit_rows("Z", Z)
    if x.shape[1] != z.shape[1]:
        raise ValueError(f"X and Z must have the same dimension, got {x.shape[1]} and {z.shape[1]}")
    return (
        np.clip(x @ z.T, -1.0, 1.0),
        non_negative_int("depth", depth),
        resolve_activation(activation),
    )


def ntk_diagonal(depth: int, activation: ActivationLike) -> float:
    """``Kᴸ(x, x) = Σ_{l=0}^{L} ǎ′(1)^l``, the NTK of a point with itself, :eq:`ntk-diagonal`."""
    depth = non_negative_int("depth", depth)
    slope = resolve_activation(activation).slope_at_one
    total = 1.0
    for _ in range(depth):  # k_l = 1 + ǎ′(1) k_(l−1): exact for ǎ′(1) near 1 too
        total = 1.0 + slope * total
        if not math.isfinite(total):
            return math.inf
    return total


def depth_recursion(sigma: Any, k: Any, layers: Any, act: Activation, *, ntk: bool) -> Any:
    """``layers`` more steps of :eq:`ntk-recursion` from the state ``(Σ, K)`` (jittable).

    The building block of :func:`nngp_kernel` and :func:`ntk_kernel`, which validate the inputs
    and set the diagonal; ``Σ`` is clipped to ``[−1, 1]`` after every layer.
    """
    import jax
    import jax.numpy as jnp

    if not isinstance(act, Activation):
        raise TypeError(
            f"act must be an Activation (see resolve_activation), got {type(act).__name__}"
        )

    def body(_: Any, state: tuple[Any, Any]) -> tuple[Any, Any]:
        sigma, k = state
        new_sigma = jnp.clip(act.dual(sigma), -1.0, 1.0)
        if ntk:
            k = new_sigma + k * act.dual_prime(sigma)
        return new_sigma, k

    return jax.lax.fori_loop(0, layers, body, (sigma, k))


_COMPILED: dict[tuple[Activation, bool | str], Any] = {}


def _compiled(act: Activation, ntk: bool) -> Any:
    import jax

    key = (act, ntk)
    if key not in _COMPILED:
        _COMPILED[key] = jax.jit(lambda s, k, layers: depth_recursion(s, k, layers, act, ntk=ntk))
    return _COMPILED[key]


def nngp_kernel(
    X: object,
    Z: object,
    depth: int,
    activation: ActivationLike,
    *,
    analytic_diagonal: bool = True,
) -> NDArray[np.float64]:
    """The NNGP ``Σᴸ(X, Z)`` of :eq:`ntk-recursion`, shape ``(len(X), len(Z))``.

    Pairs with ``ξ ≥ 1 − COINCIDE_TOL`` get the analytic value 1 unless
    ``analytic_diagonal=False`` (kept only to show the drift it prevents).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        analytic_diagonal: set coinciding pairs to 1 (``False`` only to show the drift).

    Returns:
        ``Σᴸ(X, Z)``, shape ``(n, m)``.

    Raises:
        ValueError: on rows that are not unit-norm, mismatched dimensions, a negative depth or
            a bad activation.
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    import jax.numpy as jnp

    with float64():
        start = jnp.asarray(xi)
        sigma, _ = _compiled(act, False)(start, start, depth)
        out = np.array(sigma, dtype=np.float64)
    if analytic_diagonal:
        out[xi >= 1.0 - COINCIDE_TOL] = 1.0
    return out


def ntk_kernel(
    X: object,
    Z: object,
    depth: int,
    activation: ActivationLike,
    *,
    normalized: bool = False,
    analytic_diagonal: bool = True,
) -> NDArray[np.float64]:
    """The NTK ``Kᴸ(X, Z)`` of :eq:`ntk-recursion`, shape ``(len(X), len(Z))``.

    Pairs with ``ξ ≥ 1 − COINCIDE_TOL`` get the analytic diagonal :func:`ntk_diagonal`. With
    ``normalized=True`` the kernel is divided by that diagonal (so it is 1 on coinciding points);
    the kernel classifier does not change, and deep kernels with ``ǎ′(1) > 1`` stay finite.
    ``analytic_diagonal=False`` keeps the rounded recursion on those pairs (to show the drift).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        normalized: divide by the diagonal :func:`ntk_diagonal`.
        analytic_diagonal: set coinciding pairs to the diagonal (``False`` shows the drift).

    Returns:
        ``Kᴸ(X, Z)`` (or ``Kᴸ / Kᴸ(x, x)``), shape ``(n, m)``.

    Raises:
        ValueError: as :func:`nngp_kernel`; also when the diagonal overflows float64 without
            ``normalized``.
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    import jax.numpy as jnp

    diag = ntk_diagonal(depth, act)
    if not math.isfinite(diag):
        raise ValueError(
            f"the NTK diagonal overflows float64 at depth {depth} for {act.name}; "
            "use normalized=True"
        )
    with float64():
        start = jnp.asarray(xi)
        _, k = _compiled(act, True)(start, start, depth)
        out = np.array(k, dtype=np.float64)
    if analytic_diagonal:
        out[xi >= 1.0 - COINCIDE_TOL] = diag
    if not np.all(np.isfinite(out)):
        raise ValueError(f"the NTK of {act.name} at depth {depth} is not finite")
    return out / diag if normalized else out


def kernel_sweep(
    X: object,
    Z: object,
    depths: Sequence[int],
    activation: ActivationLike,
    *,
    kernel: str = "ntk",
) -> tuple[NDArray[np.float64], ...]:
    """The NNGP or NTK at each of the increasing ``depths``, from one pass of the recursion.

    Equal to calling :func:`nngp_kernel` / :func:`ntk_kernel` (``normalized=True``) at each depth,
    but the cost is that of the deepest one only.

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depths: strictly increasing depths ``L ≥ 0``.
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        kernel: ``"ntk"`` (normalised by its diagonal) or ``"nngp"``.

    Returns:
        One ``(n, m)`` kernel per depth, in the order of ``depths``.
    """
    from theorybook.validation import int_sequence, one_of

    kernel = one_of("kernel", kernel, ("ntk", "nngp"))
    levels = int_sequence("depths", depths, low=0)
    if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        raise ValueError(f"depths must be strictly increasing, got {levels}")
    xi, _, act = _inputs(X, Z, 0, activation)
    import jax.numpy as jnp

    same = xi >= 1.0 - COINCIDE_TOL
    step = _compiled(act, kernel == "ntk")
    outs = []
    with float64():
        sigma = k = jnp.asarray(xi)
        done = 0
        for depth in levels:
            sigma, k = step(sigma, k, depth - done)
            done = depth
            if kernel == "nngp":
                out = np.array(sigma, dtype=np.float64)
                out[same] = 1.0
            else:
                diag = ntk_diagonal(depth, act)
                if not math.isfinite(diag):
                    raise ValueError(f"the NTK diagonal overflows float64 at depth {depth}")
                out = np.array(k, dtype=np.float64) / diag
                out[same] = 1.0
            outs.append(out)
    return tuple(outs)


def nngp_kernel_numpy(
    X: object, Z: object, depth: int, activation: ActivationLike
) -> NDArray[np.float64]:
    """:func:`nngp_kernel` as a plain NumPy loop over layers (the reference and timing baseline).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Σᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    sigma = xi.copy()
    for _ in range(depth):
        sigma = np.clip(act.dual(sigma), -1.0, 1.0)
    out = np.array(sigma, dtype=np.float64)
    out[xi >= 1.0 - COINCIDE_TOL] = 1.0
    return out


def ntk_kernel_numpy(
    X: object, Z: object, depth: int, activation: ActivationLike
) -> NDArray[np.float64]:
    """:func:`ntk_kernel` as a plain NumPy loop over layers (reference implementation).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Kᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    sigma, k = xi.copy(), xi.copy()
    for _ in range(depth):
        new_sigma = np.clip(act.dual(sigma), -1.0, 1.0)
        k = new_sigma + k * act.dual_prime(sigma)
        sigma = new_sigma
    out = np.array(k, dtype=np.float64)
    out[xi >= 1.0 - COINCIDE_TOL] = ntk_diagonal(depth, act)
    return out


def ntk_kernel_unrolled(
    X: object, Z: object, depth: int, activation: ActivationLike
) -> NDArray[np.float64]:
    """The NTK from the unrolled sum ``Kᴸ = Σ_{l=0}^{L} Σˡ Π_{j=l}^{L−1} ǎ′(Σʲ)`` (:eq:`ntk-unrolled`).

    Quadratic in the depth: a check of :func:`ntk_kernel`, not a replacement.

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Kᴸ(X, Z)``, shape ``(n, m)``.
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    sigmas = [xi.copy()]
    for _ in range(depth):
        sigmas.append(np.clip(act.dual(sigmas[-1]), -1.0, 1.0))
    slopes = [act.dual_prime(s) for s in sigmas[:-1]]
    total = np.zeros_like(xi)
    for layer in range(depth + 1):
        term = sigmas[layer].copy()
        for j in range(layer, depth):
            term = term * slopes[j]
        total += term
    total[xi >= 1.0 - COINCIDE_TOL] = ntk_diagonal(depth, act)
    return total


@dataclass(frozen=True)
class LogKernel:
    """A kernel stored as ``sign · exp(log_abs)``: entries far below float64's range survive."""

    sign: NDArray[np.float64]
    log_abs: NDArray[np.float64]

    def __post_init__(self) -> None:
        if self.sign.shape != self.log_abs.shape or self.sign.ndim != 2:
            raise ValueError(
                "LogKernel needs 2-D sign and log_abs of the same shape, got "
                f"{self.sign.shape} and {self.log_abs.shape}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, m)``, as for a dense kernel."""
        rows, cols = self.sign.shape
        return rows, cols

    def dense(self) -> NDArray[np.float64]:
        """The kernel as an ordinary array (entries below ~1e-308 become 0)."""
        out: NDArray[np.float64] = self.sign * np.exp(self.log_abs)
        return out


def _compiled_log(act: Activation) -> Any:
    """The jitted log-domain loop for a polynomial activation (cached per activation)."""
    import jax
    import jax.numpy as jnp

    key = (act, "log")
    if key in _COMPILED:
        return _COMPILED[key]
    powers = [i for i, a in enumerate(act.coefficients) if a != 0.0]
    log_c = [2.0 * math.log(abs(act.coefficients[i])) for i in powers]

    def body(_: Any, state: tuple[Any, Any]) -> tuple[Any, Any]:
        sign, log_abs = state
        terms = jnp.stack([lc + p * log_abs for lc, p in zip(log_c, powers, strict=True)])
        signs = jnp.stack([sign**p for p in powers])
        new_log, new_sign = jax.scipy.special.logsumexp(terms, axis=0, b=signs, return_sign=True)
        return new_sign, new_log

    _COMPILED[key] = jax.jit(lambda s, t, d: jax.lax.fori_loop(0, d, body, (s, t)))
    return _COMPILED[key]


def log_nngp_kernel(X: object, Z: object, depth: int, activation: ActivationLike) -> LogKernel:
    """:func:`nngp_kernel` in the log domain, for polynomial activations (Hermite coefficients).

    With ``ǎ(ξ) = Σ_i c_i ξ^i`` and ``ξ = s·e^t`` the layer is a signed log-sum-exp,
    ``log|ǎ(ξ)| = logsumexp_i(log c_i + i t)`` with signs ``s^i``: exact where the ordinary
    recursion underflows (``ξ^(2^L)`` for ``hermite_2`` at ``L ≳ 10``).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a polynomial activation (a ``*_opt`` or ``hermite_k`` name, or
            Hermite coefficients).

    Returns:
        ``Σᴸ(X, Z)`` as signs and logs of absolute values, shape ``(n, m)``.

    Raises:
        ValueError: for activations that are not finite Hermite combinations (relu, erf, sine).
    """
    xi, depth, act = _inputs(X, Z, depth, activation)
    if act.family != "hermite":
        raise ValueError(
            f"log_nngp_kernel needs a polynomial activation (Hermite coefficients); {act.name} "
            "has an infinite series: use nngp_kernel"
        )
    import jax.numpy as jnp

    with float64(), np.errstate(divide="ignore"):
        sign0 = jnp.asarray(np.sign(xi))
        log0 = jnp.asarray(np.log(np.abs(xi)))
        sign, log_abs = _compiled_log(act)(sign0, log0, depth)
        sign_np, log_np = np.array(sign, dtype=np.float64), np.array(log_abs, dtype=np.float64)
    same = xi >= 1.0 - COINCIDE_TOL
    sign_np[same], log_np[same] = 1.0, 0.0
    return LogKernel(sign=sign_np, log_abs=log_np)
