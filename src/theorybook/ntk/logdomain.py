"""The NNGP in the log domain, for polynomial activations: entries far below float64's range.

For ``ǎ(ξ) = ξ²`` the off-diagonal NNGP is ``ξ^(2^L)``, which underflows after about ten layers in
:func:`~theorybook.ntk.kernels.nngp_kernel`; :func:`log_nngp_kernel` runs the same recursion
on ``(sign Σ, log|Σ|)`` and returns a :class:`LogKernel` (:eq:`ntk-diagonal`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import MAY_BE_NONFINITE, NonNegativeInt, checked
from theorybook.ntk.dual import Activation, ActivationLike, float64, resolve_activation
from theorybook.ntk.kernels import COINCIDE_TOL, correlations

__all__ = ["LogKernel", "log_nngp_kernel"]

_COMPILED_LOG: dict[Activation, Any] = {}


@checked
@dataclass(frozen=True)
class LogKernel:
    """A kernel stored as ``sign · exp(log_abs)``: entries far below float64's range survive.

    Arguments:
        sign: the signs of the entries, each ``−1``, ``0`` or ``+1``, shape ``(n, m)``.
        log_abs: ``log|entry|``, shape ``(n, m)``: finite, or ``−inf`` for an entry 0.

    Raises:
        ValueError: for signs other than ``−1, 0, +1``, or NaN or ``+inf`` in ``log_abs``.
    """

    sign: Float[np.ndarray, "n m"]
    log_abs: Annotated[Float[np.ndarray, "n m"], MAY_BE_NONFINITE]

    def __post_init__(self) -> None:
        if not np.all(np.isin(self.sign, (-1.0, 0.0, 1.0))):
            raise ValueError("LogKernel: sign must hold only -1, 0 and +1")
        if np.any(np.isnan(self.log_abs)) or np.any(self.log_abs == np.inf):
            raise ValueError(
                "LogKernel: log_abs must be finite, or -inf for an entry 0; it holds NaN or +inf"
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

    if act in _COMPILED_LOG:
        return _COMPILED_LOG[act]
    powers = [i for i, a in enumerate(act.coefficients) if a != 0.0]
    log_c = [2.0 * math.log(abs(act.coefficients[i])) for i in powers]

    def body(_: Any, state: tuple[Any, Any]) -> tuple[Any, Any]:
        sign, log_abs = state
        terms = jnp.stack([lc + p * log_abs for lc, p in zip(log_c, powers, strict=True)])
        signs = jnp.stack([sign**p for p in powers])
        new_log, new_sign = jax.scipy.special.logsumexp(terms, axis=0, b=signs, return_sign=True)
        return new_sign, new_log

    _COMPILED_LOG[act] = jax.jit(lambda s, t, d: jax.lax.fori_loop(0, d, body, (s, t)))
    return _COMPILED_LOG[act]


@checked(finite_result=False)
def log_nngp_kernel(
    X: Float[np.ndarray, "n d"],
    Z: Float[np.ndarray, "m d"],
    depth: NonNegativeInt,
    activation: ActivationLike,
) -> LogKernel:
    """:func:`~theorybook.ntk.kernels.nngp_kernel` in the log domain, for polynomial activations (Hermite coefficients).

    With ``ǎ(ξ) = Σ_i c_i ξ^i`` and ``ξ = s·e^t`` the layer is a signed log-sum-exp,
    ``log|ǎ(ξ)| = logsumexp_i(log c_i + i t)`` with signs ``s^i``: exact where the ordinary
    recursion underflows (``ξ^(2^L)`` for ``hermite_2`` at ``L ≳ 10``). An entry that is exactly
    0 (orthogonal points under an odd activation) has ``log_abs = −inf`` and sign 0, hence no
    finiteness check of the result; the :class:`LogKernel` refuses NaN and ``+inf``.

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
    xi, act = correlations(X, Z), resolve_activation(activation)
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
