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
* off-diagonal entries underflow (``ξ^(2^L)`` for ``ǎ(ξ) = ξ²``);
  :func:`~theorybook.ntk.logdomain.log_nngp_kernel` runs the recursion on ``log|Σ|`` for
  polynomial activations.

A Gram matrix (``Z`` ``None`` or the same array as ``X``, or :func:`nngp_gram` and
:func:`ntk_gram`) is symmetric with the analytic diagonal, so the recursion runs once over the
``n(n − 1)/2`` correlations above the diagonal, packed into one vector (every layer is elementwise),
and the result is mirrored: half the work of the ``n × n`` computation, with the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import NonNegativeInt, checked
from theorybook.ntk.dual import Activation, ActivationLike, float64, resolve_activation
from theorybook.validation import array, non_negative_int

__all__ = [
    "COINCIDE_TOL",
    "ActivationLike",
    "UNIT_NORM_TOL",
    "check_unit_rows",
    "correlations",
    "depth_recursion",
    "kernel_sweep",
    "nngp_gram",
    "nngp_kernel",
    "ntk_diagonal",
    "ntk_gram",
    "ntk_kernel",
]

UNIT_NORM_TOL = 1e-8
"""How far a row's norm may be from 1."""

COINCIDE_TOL = 1e-13
"""Pairs with ``ξ ≥ 1 − COINCIDE_TOL`` (distance below about 4.5e-7) are treated as the same
point and get the analytic diagonal. Rows are renormalised first, so a point paired with itself
has ``|1 − ξ|`` of a few ulp; distinct points closer than this cannot be resolved by a recursion
in ``ξ`` (:func:`~theorybook.ntk.data.dirichlet_sphere_data` keeps points ``1e-6`` apart)."""


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


def correlations(X: object, Z: object) -> NDArray[np.float64]:
    """``ξ = X Zᵀ`` of unit rows (:func:`check_unit_rows`), clipped to ``[−1, 1]``: ``(n, m)``."""
    x = check_unit_rows("X", X)
    z = check_unit_rows("Z", Z)
    if x.shape[1] != z.shape[1]:
        raise ValueError(f"X and Z must have the same dimension, got {x.shape[1]} and {z.shape[1]}")
    xi: NDArray[np.float64] = np.clip(x @ z.T, -1.0, 1.0)
    return xi


def _inputs(
    X: object, Z: object, depth: object, activation: ActivationLike
) -> tuple[NDArray[np.float64], int, Activation]:
    return (
        correlations(X, Z),
        non_negative_int("depth", depth),
        resolve_activation(activation),
    )


@dataclass(frozen=True)
class _Pairs:
    """The correlations a kernel runs the recursion on, and how to lay the results out.

    ``full``: every entry of the ``(n, m)`` matrix ``ξ = X Zᵀ``. ``gram``: only the pairs
    ``i < j`` of ``ξ = X Xᵀ``, packed row by row into one vector (``rows``, ``cols``); the
    matrix is symmetric and its diagonal is analytic, so nothing else needs the recursion.
    """

    xi: NDArray[np.float64]
    shape: tuple[int, int]
    rows: NDArray[np.intp] | None = None
    cols: NDArray[np.intp] | None = None

    def layout(self, values: NDArray[np.float64], diagonal: float) -> NDArray[np.float64]:
        """The ``(n, m)`` kernel from recursion ``values`` (one per entry of ``xi``).

        Coinciding pairs (``ξ ≥ 1 − COINCIDE_TOL``: the diagonal, and duplicate points of a Gram
        matrix) get ``diagonal``.
        """
        out = np.array(values, dtype=np.float64)
        out[self.xi >= 1.0 - COINCIDE_TOL] = diagonal
        if self.rows is None or self.cols is None:
            return out
        full = np.empty(self.shape, dtype=np.float64)
        full[self.rows, self.cols] = out
        full[self.cols, self.rows] = out
        np.fill_diagonal(full, diagonal)
        return full


def _is_gram(X: object, Z: object) -> bool:
    """Whether ``(X, Z)`` asks for a Gram matrix: ``Z`` is ``None`` or the very same object."""
    return Z is None or Z is X


def _pairs(
    X: object, Z: object, depth: object, activation: ActivationLike
) -> tuple[_Pairs, int, Activation]:
    """Validated inputs as :class:`_Pairs`: the upper triangle when :func:`_is_gram`."""
    if not _is_gram(X, Z):
        xi, depth_, act = _inputs(X, Z, depth, activation)
        return _Pairs(xi=xi, shape=(xi.shape[0], xi.shape[1])), depth_, act
    x = check_unit_rows("X", X)
    n = x.shape[0]
    rows, cols = np.triu_indices(n, k=1)
    gram = np.clip(x @ x.T, -1.0, 1.0)
    return (
        _Pairs(xi=gram[rows, cols], shape=(n, n), rows=rows, cols=cols),
        non_negative_int("depth", depth),
        resolve_activation(activation),
    )


@checked
def ntk_diagonal(depth: NonNegativeInt, activation: ActivationLike) -> float:
    """``Kᴸ(x, x) = Σ_{l=0}^{L} ǎ′(1)^l``, the NTK of a point with itself, :eq:`ntk-diagonal`.

    Arguments:
        depth: ``L ≥ 0``, the number of layers.
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        The diagonal, ``L + 1`` for ``ǎ′(1) = 1``.

    Raises:
        ValueError: naming ``depth`` when the sum overflows float64 (``ǎ′(1) > 1``: beyond
            about ``1024 / log₂ ǎ′(1)`` layers).
    """
    act = resolve_activation(activation)
    total = _ntk_diagonal(depth, act)
    if not math.isfinite(total):
        raise ValueError(
            f"the NTK diagonal of {act.name} overflows float64 at depth {depth} "
            f"(ǎ′(1) = {act.slope_at_one:.4g}); use a smaller depth"
        )
    return total


def _ntk_diagonal(depth: int, act: Activation) -> float:
    """:func:`ntk_diagonal` without the checks: ``math.inf`` where the sum overflows."""
    slope = act.slope_at_one
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


_COMPILED: dict[tuple[Activation, bool], Any] = {}

CPU_BLOCK = 65_536
"""On a CPU the recursion runs block by block over this many entries, all layers of a block at a
time, so that a layer's intermediates stay in cache instead of streaming whole ``n × m`` arrays
through memory at every layer (ReLU, depth 100, 4·10⁶ entries, two threads: 3.4–3.7 s against
4.0–8.0 s in one pass; the same from 3·10⁴ to 5·10⁵ entries per block, twice slower below
2.5·10⁴). Each entry's arithmetic, hence its value, is unchanged. Other backends run all entries
at once."""


def _compiled(act: Activation, ntk: bool) -> Any:
    """The jitted recursion ``(Σ, K, layers) ↦ (Σ, K)`` for ``act`` (cached)."""
    import jax
    import jax.numpy as jnp

    key = (act, ntk)
    if key in _COMPILED:
        return _COMPILED[key]

    def run(sigma: Any, k: Any, layers: Any) -> tuple[Any, Any]:
        size, block = sigma.size, CPU_BLOCK
        if size <= block or jax.default_backend() != "cpu":
            return depth_recursion(sigma, k, layers, act, ntk=ntk)
        blocks = -(-size // block)

        def split(a: Any) -> Any:
            return jnp.pad(a.ravel(), (0, blocks * block - size)).reshape(blocks, block)

        def join(a: Any) -> Any:
            return a.ravel()[:size].reshape(sigma.shape)

        if not ntk:  # K is not updated: leave it out of the blocks
            out = jax.lax.map(
                lambda s: depth_recursion(s, s, layers, act, ntk=False)[0], split(sigma)
            )
            return join(out), k
        s, kk = jax.lax.map(
            lambda b: depth_recursion(b[0], b[1], layers, act, ntk=True), (split(sigma), split(k))
        )
        return join(s), join(kk)

    _COMPILED[key] = jax.jit(run)
    return _COMPILED[key]


def _recursion(
    xi: NDArray[np.float64], depth: int, act: Activation, *, ntk: bool
) -> NDArray[np.float64]:
    """``Σᴸ`` (``ntk=False``) or ``Kᴸ`` at every entry of ``xi``, as NumPy float64."""
    import jax.numpy as jnp

    with float64():
        start = jnp.asarray(xi)
        sigma, k = _compiled(act, ntk)(start, start, depth)
        out: NDArray[np.float64] = np.array(k if ntk else sigma, dtype=np.float64)
    return out


@checked
def nngp_kernel(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"] | None,
    depth: NonNegativeInt,
    activation: ActivationLike,
    *,
    analytic_diagonal: bool = True,
) -> NDArray[np.float64]:
    """The NNGP ``Σᴸ(X, Z)`` of :eq:`ntk-recursion`, shape ``(len(X), len(Z))``.

    Pairs with ``ξ ≥ 1 − COINCIDE_TOL`` get the analytic value 1 unless
    ``analytic_diagonal=False`` (kept only to show the drift it prevents). With ``Z`` ``None`` or
    the same array as ``X`` the Gram matrix is computed as :func:`nngp_gram` does (each pair
    once; with ``analytic_diagonal=False`` every entry goes through the recursion).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``; ``None`` for ``X`` itself.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        analytic_diagonal: set coinciding pairs to 1 (``False`` only to show the drift).

    Returns:
        ``Σᴸ(X, Z)``, shape ``(n, m)``.

    Raises:
        ValueError: on rows that are not unit-norm, mismatched dimensions, a negative depth or
            a bad activation.
    """
    if not analytic_diagonal:
        xi, depth, act = _inputs(X, X if Z is None else Z, depth, activation)
        return _recursion(xi, depth, act, ntk=False)
    pairs, depth, act = _pairs(X, Z, depth, activation)
    return pairs.layout(_recursion(pairs.xi, depth, act, ntk=False), 1.0)


@checked
def nngp_gram(
    X: Float[np.ndarray, "n d"], depth: NonNegativeInt, activation: ActivationLike
) -> Float[np.ndarray, "n n"]:
    """The NNGP Gram matrix ``Σᴸ(X, X)``: :func:`nngp_kernel` with ``Z = X``, each pair once.

    The recursion runs over the ``n(n − 1)/2`` pairs ``i < j`` only, packed into one vector; the
    result is mirrored and the diagonal set to its analytic value 1 (duplicate points too).

    Arguments:
        X: the points, unit-norm rows, shape ``(n, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.

    Returns:
        ``Σᴸ(X, X)``, shape ``(n, n)``, exactly symmetric.
    """
    pairs, depth, act = _pairs(X, None, depth, activation)
    return pairs.layout(_recursion(pairs.xi, depth, act, ntk=False), 1.0)


@checked
def ntk_kernel(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"] | None,
    depth: NonNegativeInt,
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
    With ``Z`` ``None`` or the same array as ``X`` the Gram matrix is computed as
    :func:`ntk_gram` does (each pair once; not with ``analytic_diagonal=False``).

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``; ``None`` for ``X`` itself.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        normalized: divide by the diagonal :func:`ntk_diagonal`.
        analytic_diagonal: set coinciding pairs to the diagonal (``False`` shows the drift).

    Returns:
        ``Kᴸ(X, Z)`` (or ``Kᴸ / Kᴸ(x, x)``), shape ``(n, m)``.

    Raises:
        ValueError: as :func:`nngp_kernel`; also when the diagonal :func:`ntk_diagonal`
            overflows float64 (normalised or not: the recursion's values grow with it).
    """
    return _ntk_kernel(
        X, Z, depth, activation, normalized=normalized, analytic_diagonal=analytic_diagonal
    )


def _ntk_kernel(
    X: object,
    Z: object | None,
    depth: int,
    activation: ActivationLike,
    *,
    normalized: bool,
    analytic_diagonal: bool,
) -> NDArray[np.float64]:
    """:func:`ntk_kernel`'s body (also :func:`ntk_gram`'s)."""
    if analytic_diagonal:
        pairs, depth, act = _pairs(X, Z, depth, activation)
    else:
        xi, depth, act = _inputs(X, X if Z is None else Z, depth, activation)
        pairs = _Pairs(xi=xi, shape=(xi.shape[0], xi.shape[1]))
    diag = _ntk_diagonal(depth, act)
    if not math.isfinite(diag):
        raise ValueError(
            f"the NTK diagonal overflows float64 at depth {depth} for {act.name}"
            + ("" if normalized else "; use normalized=True")
        )
    k = _recursion(pairs.xi, depth, act, ntk=True)
    out = pairs.layout(k, diag) if analytic_diagonal else k
    if not np.all(np.isfinite(out)):
        raise ValueError(f"the NTK of {act.name} at depth {depth} is not finite")
    return out / diag if normalized else out


@checked
def ntk_gram(
    X: Float[np.ndarray, "n d"],
    depth: NonNegativeInt,
    activation: ActivationLike,
    *,
    normalized: bool = False,
) -> Float[np.ndarray, "n n"]:
    """The NTK Gram matrix ``Kᴸ(X, X)``: :func:`ntk_kernel` with ``Z = X``, each pair once.

    The recursion runs over the ``n(n − 1)/2`` pairs ``i < j`` only, packed into one vector; the
    result is mirrored and the diagonal set to :func:`ntk_diagonal` (duplicate points too).

    Arguments:
        X: the points, unit-norm rows, shape ``(n, D)``.
        depth: ``L ≥ 0``, the number of layers (``L = 0`` is the linear kernel ``xᵀz``).
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        normalized: divide by the diagonal :func:`ntk_diagonal`.

    Returns:
        ``Kᴸ(X, X)`` (or ``Kᴸ / Kᴸ(x, x)``), shape ``(n, n)``, exactly symmetric.

    Raises:
        ValueError: as :func:`ntk_kernel`.
    """
    return _ntk_kernel(X, None, depth, activation, normalized=normalized, analytic_diagonal=True)


@checked
def kernel_sweep(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"] | None,
    depths: Sequence[NonNegativeInt],
    activation: ActivationLike,
    *,
    kernel: Literal["ntk", "nngp"] = "ntk",
) -> tuple[NDArray[np.float64], ...]:
    """The NNGP or NTK at each of the increasing ``depths``, from one pass of the recursion.

    Equal to calling :func:`nngp_kernel` / :func:`ntk_kernel` (``normalized=True``) at each depth,
    but the cost is that of the deepest one only. ``Z`` ``None`` or the same array as ``X`` gives
    Gram matrices, each pair computed once.

    Arguments:
        X: training (or first) points, unit-norm rows, shape ``(n, D)``.
        Z: test (or second) points, unit-norm rows, shape ``(m, D)``; ``None`` for ``X`` itself.
        depths: strictly increasing depths ``L ≥ 0``.
        activation: a name, Hermite coefficients or an :class:`~theorybook.ntk.dual.Activation`.
        kernel: ``"ntk"`` (normalised by its diagonal) or ``"nngp"``.

    Returns:
        One ``(n, m)`` kernel per depth, in the order of ``depths``.

    Raises:
        ValueError: as :func:`nngp_kernel`; for depths that do not increase, or a depth at
            which the NTK diagonal overflows float64.
    """
    from theorybook.validation import int_sequence

    levels = int_sequence("depths", depths, low=0)
    if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        raise ValueError(f"depths must be strictly increasing, got {levels}")
    pairs, _, act = _pairs(X, Z, 0, activation)
    import jax.numpy as jnp

    step = _compiled(act, kernel == "ntk")
    outs = []
    with float64():
        sigma = k = jnp.asarray(pairs.xi)
        done = 0
        for depth in levels:
            sigma, k = step(sigma, k, depth - done)
            done = depth
            if kernel == "nngp":
                out = np.array(sigma, dtype=np.float64)
            else:
                diag = _ntk_diagonal(depth, act)
                if not math.isfinite(diag):
                    raise ValueError(
                        f"the NTK diagonal of {act.name} overflows float64 at depth {depth} "
                        f"(depths {levels})"
                    )
                out = np.array(k, dtype=np.float64) / diag
            outs.append(pairs.layout(out, 1.0))
    return tuple(outs)
