"""Dual activations: the kernel a single infinitely wide layer applies to a correlation.

For an activation ``φ`` and a pair ``(u, v)`` of standard normals with correlation ``ξ`` the
*dual activation* is ``ǎ(ξ) = E[φ(u) φ(v)]`` (chapter 4, :eq:`ntk-dual`). Writing
``φ = Σ_i a_i h_i`` in the orthonormal probabilists' Hermite basis ``h_i = He_i / √(i!)`` gives
the power series ``ǎ(ξ) = Σ_i a_i² ξ^i`` (:eq:`ntk-dual-hermite`); the dual of ``φ′`` is
``ǎ′(ξ) = Σ_i i a_i² ξ^(i−1)``. Every activation here is normalised so that ``ǎ(1) = 1``.

An activation is given either by name or by its Hermite coefficients ``(a_0, a_1, ...)``:

``"relu"``
    ``√2·max(0, x)``; its dual is the arc-cosine kernel of degree 1.
``"erf"``
    ``erf(x)/√((2/π)·arcsin(2/3))``, dual ``arcsin(2ξ/3)/arcsin(2/3)``.
``"sine_<a>"``
    ``√(e^a/sinh a)·sin(√a·x)``, dual ``sinh(aξ)/sinh a`` (``a > 0``).
``"2d_opt"``, ``"3d_opt"``, ``"5d_opt"``, ``"9d_opt"``
    the Hermite combinations of the official code whose singular exponent equals the intrinsic
    dimension ``D − 1`` of data on the sphere in ``R^D``.
``"hermite_<k>"``
    ``h_k`` itself, dual ``ξ^k``.

The duals, their derivatives and the explicit ``φ`` are written with ``jax.numpy`` so that the
depth recursion of :mod:`theorybook.ntk.kernels` can be jitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import FiniteReal, NonNegativeReal, checked
from theorybook.validation import (
    array,
    int_in_range,
    real,
    real_sequence,
)

__all__ = [
    "DESIGNED_ACTIVATIONS",
    "MAX_HERMITE_DEGREE",
    "MAX_SINE_PARAMETER",
    "MIN_SINE_PARAMETER",
    "Activation",
    "ActivationLike",
    "D_OPTIMAL",
    "NAMED_ACTIVATIONS",
    "NORMALIZATION_TOL",
    "deep_limit",
    "dual_activation",
    "float64",
    "resolve_activation",
    "singular_exponent",
]

NORMALIZATION_TOL = 1e-10
"""How far ``Σ a_i²`` may be from 1 for a sequence of Hermite coefficients."""

MAX_HERMITE_DEGREE = 64
"""The highest Hermite degree of a polynomial activation (``hermite_64``, or 65 coefficients):
``φ`` divides by ``√(i!)``, which leaves float64 beyond degree 170."""

MIN_SINE_PARAMETER = 1e-300
"""The smallest ``a`` of ``sine_a``: ``φ`` multiplies by ``√(e^a / sinh a)``, which overflows
float64 for subnormal ``a`` (the activation tends to the identity as ``a → 0``)."""

MAX_SINE_PARAMETER = 700.0
"""The largest ``a`` of ``sine_a``: ``sinh a`` and ``e^a`` overflow float64 beyond about 709."""

D_OPTIMAL: dict[str, tuple[float, ...]] = {
    "2d_opt": (0.0, math.sqrt(0.5), 0.0, 0.0, 0.0, 0.0, 0.0, math.sqrt(0.5)),
    "3d_opt": (0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5)),
    "5d_opt": (0.0, 0.5, math.sqrt(0.5), 0.5),
    "9d_opt": (0.0, 0.25, math.sqrt(7.0 / 8.0), 0.25),
}
"""Hermite coefficients of the official ``Nd_opt`` activations (duals as in ``models.py``)."""

NAMED_ACTIVATIONS = (
    "relu",
    "erf",
    "sine_1",
    "sine_2.676",
    "sine_6.13539",
    "sine_13.8258",
    *D_OPTIMAL,
    "hermite_2",
)
"""The activations of the official code (``main.py``), all accepted by :func:`resolve_activation`."""

DESIGNED_ACTIVATIONS: dict[str, int] = {
    "2d_opt": 2,
    "3d_opt": 3,
    "sine_2.676": 3,
    "5d_opt": 5,
    "sine_6.13539": 5,
    "9d_opt": 9,
    "sine_13.8258": 9,
}
"""The activations the official code pairs with data of ambient dimension ``D`` (``main.py``)."""


@contextmanager
def float64() -> Iterator[None]:
    """JAX in float64 for the duration of the block only (``jax.enable_x64``).

    Scoped rather than global, so that importing or using this chapter never changes the
    precision other chapters run JAX in.
    """
    import jax

    with jax.enable_x64(True):
        yield


Family = Literal["hermite", "relu", "erf", "sine"]
_ERF_NORM = (2.0 / math.pi) * math.asin(2.0 / 3.0)


@checked
@dataclass(frozen=True)
class Activation:
    """A normalised activation: its dual ``ǎ``, the dual ``ǎ′`` of its derivative and ``φ``.

    Build it with :func:`resolve_activation`. ``coefficients`` holds the Hermite coefficients
    of a polynomial activation (``family == "hermite"``, at most ``MAX_HERMITE_DEGREE + 1`` of
    them, ``Σ a_i² = 1``) and is empty otherwise; ``parameter`` is the ``a`` of ``sine_a``
    (``MIN_SINE_PARAMETER ≤ a ≤ MAX_SINE_PARAMETER``) and 0 otherwise.

    Raises:
        ValueError: naming the field, for coefficients or a parameter that do not describe a
            normalised activation with finite duals.
    """

    name: str
    family: Family
    coefficients: tuple[FiniteReal, ...] = ()
    parameter: NonNegativeReal = 0.0

    def __post_init__(self) -> None:
        where = f"Activation {self.name!r}"
        if self.family == "hermite":
            if not self.coefficients:
                raise ValueError(f"{where}: a hermite activation needs coefficients")
            if len(self.coefficients) > MAX_HERMITE_DEGREE + 1:
                raise ValueError(
                    f"{where}: coefficients must have degree at most {MAX_HERMITE_DEGREE}, "
                    f"got {len(self.coefficients)} coefficients"
                )
            if not all(math.isfinite(a) for a in self.coefficients):
                raise ValueError(f"{where}: coefficients must be finite")
            total = math.fsum(a * a for a in self.coefficients)
            if abs(total - 1.0) > NORMALIZATION_TOL:
                raise ValueError(
                    f"{where}: coefficients must satisfy sum(a_i**2) = 1, got {total!r}"
                )
        elif self.coefficients:
            raise ValueError(f"{where}: coefficients are only for the hermite family")
        if self.family == "sine" and not (
            MIN_SINE_PARAMETER <= self.parameter <= MAX_SINE_PARAMETER
        ):
            raise ValueError(
                f"{where}: parameter (the a of sine_a) must lie in [{MIN_SINE_PARAMETER:g}, "
                f"{MAX_SINE_PARAMETER:g}], got {self.parameter!r}"
            )

    # --- the dual activation and its derivative, :eq:`ntk-dual` -------------------------------
    def dual(self, xi: Any) -> Any:
        """``ǎ(ξ)`` elementwise: NumPy in, NumPy out; JAX arrays (or tracers) in, JAX out."""
        xp = _namespace(xi)
        if self.family == "hermite":
            return _power_series(xi, tuple(a * a for a in self.coefficients))
        if self.family == "relu":
            xi = xp.clip(xi, -1.0, 1.0)
            return (xi * (math.pi - xp.arccos(xi)) + xp.sqrt(1.0 - xi * xi)) / math.pi
        if self.family == "erf":
            return xp.arcsin(2.0 * xi / 3.0) / math.asin(2.0 / 3.0)
        a = self.parameter
        return xp.sinh(a * xi) / math.sinh(a)

    def dual_prime(self, xi: Any) -> Any:
        """``ǎ′(ξ)``, the dual of ``φ′`` (the derivative of :meth:`dual`)."""
        xp = _namespace(xi)
        if self.family == "hermite":
            coeffs = tuple(i * a * a for i, a in enumerate(self.coefficients))[1:]
            return _power_series(xi, coeffs) if coeffs else 0.0 * xi
        if self.family == "relu":
            return (math.pi - xp.arccos(xp.clip(xi, -1.0, 1.0))) / math.pi
        if self.family == "erf":
            return (2.0 / 3.0) / (math.asin(2.0 / 3.0) * xp.sqrt(1.0 - 4.0 * xi * xi / 9.0))
        a = self.parameter
        return a * xp.cosh(a * xi) / math.sinh(a)

    def phi(self, x: Any) -> Any:
        """The explicit activation ``φ(x)`` with ``E[φ(u)²] = 1`` for ``u ~ N(0, 1)``."""
        import jax.numpy as jnp
        from jax.scipy.special import erf

        if self.family == "hermite":
            return (
                sum(
                    (a * _hermite_e(i, x) / math.sqrt(math.factorial(i)))
                    for i, a in enumerate(self.coefficients)
                    if a != 0.0
                )
                + 0.0 * x
            )
        if self.family == "relu":
            return math.sqrt(2.0) * jnp.maximum(x, 0.0)
        if self.family == "erf":
            return erf(x) / math.sqrt(_ERF_NORM)
        a = self.parameter
        return math.sqrt(math.exp(a) / math.sinh(a)) * jnp.sin(math.sqrt(a) * x)

    def phi_numpy(self, x: Any) -> NDArray[np.float64]:
        """:meth:`phi` written in NumPy/SciPy (float64), for sampling and quadrature."""
        from scipy.special import erf

        t = np.asarray(x, dtype=np.float64)
        if self.family == "hermite":
            out = np.zeros_like(t)
            for i, a in enumerate(self.coefficients):
                if a != 0.0:
                    out += a * _hermite_e(i, t) / math.sqrt(math.factorial(i))
            return out
        if self.family == "relu":
            return math.sqrt(2.0) * np.maximum(t, 0.0)
        if self.family == "erf":
            return np.asarray(erf(t) / math.sqrt(_ERF_NORM), dtype=np.float64)
        a = self.parameter
        return math.sqrt(math.exp(a) / math.sinh(a)) * np.sin(math.sqrt(a) * t)

    def phi_prime_numpy(self, x: Any) -> NDArray[np.float64]:
        """The derivative ``φ′`` in NumPy, from ``h_k′ = √k h_(k−1)`` or the closed forms."""
        t = np.asarray(x, dtype=np.float64)
        if self.family == "hermite":
            out = np.zeros_like(t)
            for i, a in enumerate(self.coefficients):
                if a != 0.0 and i >= 1:
                    out += (
                        a * math.sqrt(i) * _hermite_e(i - 1, t) / math.sqrt(math.factorial(i - 1))
                    )
            return out
        if self.family == "relu":
            return math.sqrt(2.0) * (t > 0.0).astype(np.float64)
        if self.family == "erf":
            return 2.0 / math.sqrt(math.pi) * np.exp(-t * t) / math.sqrt(_ERF_NORM)
        a = self.parameter
        return math.sqrt(math.exp(a) / math.sinh(a) * a) * np.cos(math.sqrt(a) * t)

    # --- the constants that decide the deep limit ---------------------------------------------
    @property
    def dual_at_zero(self) -> float:
        """``ǎ(0) = a_0²``."""
        return float(self.dual(np.float64(0.0)))

    @property
    def slope_at_zero(self) -> float:
        """``ǎ′(0) = a_1²``."""
        return float(self.dual_prime(np.float64(0.0)))

    @property
    def slope_at_one(self) -> float:
        """``ǎ′(1) = Σ_i i a_i²``."""
        return float(self.dual_prime(np.float64(1.0)))


def _namespace(x: Any) -> Any:
    """NumPy for NumPy arrays and Python/NumPy scalars, ``jax.numpy`` for anything else."""
    if isinstance(x, np.ndarray | np.generic | float | int):
        return np
    import jax.numpy as jnp

    return jnp


def _power_series(xi: Any, coeffs: tuple[float, ...]) -> Any:
    """``Σ_i c_i ξ^i`` by Horner's rule."""
    out = 0.0 * xi + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * xi + c
    return out


def _hermite_e(k: int, x: Any) -> Any:
    """The probabilists' Hermite polynomial ``He_k(x)`` by its three-term recurrence."""
    prev, cur = 1.0 + 0.0 * x, x
    if k == 0:
        return prev
    for i in range(1, k):
        prev, cur = cur, x * cur - i * prev
    return cur


def _from_coefficients(values: Sequence[float], name: str) -> Activation:
    coeffs = real_sequence("activation (Hermite coefficients)", values)
    total = math.fsum(a * a for a in coeffs)
    if abs(total - 1.0) > NORMALIZATION_TOL:
        raise ValueError(
            "Hermite coefficients must satisfy sum(a_i**2) = 1 so that the dual has "
            f"ǎ(1) = 1; got sum(a_i**2) = {total!r}"
        )
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs = coeffs[:-1]
    if len(coeffs) > MAX_HERMITE_DEGREE + 1:
        raise ValueError(
            f"activation (Hermite coefficients) must have degree at most {MAX_HERMITE_DEGREE}, "
            f"got {len(coeffs)} coefficients"
        )
    return Activation(name=name, family="hermite", coefficients=coeffs)


ActivationLike = str | Sequence[FiniteReal] | Float[np.ndarray, " n_coefficients"] | Activation
"""What every function of the chapter accepts as an activation: a name, Hermite coefficients
(a sequence or a 1-D array) or an :class:`Activation` (see :func:`resolve_activation`)."""


@checked
def resolve_activation(activation: ActivationLike) -> Activation:
    """The :class:`Activation` for a name, a sequence of Hermite coefficients or an Activation.

    Arguments:
        activation: a name (see the module docstring), Hermite coefficients ``(a_0, a_1, …)``
            with ``Σ a_i² = 1`` (at most ``MAX_HERMITE_DEGREE + 1`` of them), or an Activation.

    Returns:
        The activation.

    Raises:
        TypeError: if ``activation`` is neither a string, a sequence of numbers nor an Activation.
        ValueError: for an unknown name, ``sine_a`` with ``a`` outside
            ``[MIN_SINE_PARAMETER, MAX_SINE_PARAMETER]``, ``hermite_k`` with ``k`` outside
            ``[1, MAX_HERMITE_DEGREE]``, or coefficients with ``Σ a_i² ≠ 1``.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        name = activation.strip().lower()
        if name == "relu":
            return Activation(name="relu", family="relu")
        if name == "erf":
            return Activation(name="erf", family="erf")
        if name in D_OPTIMAL:
            return _from_coefficients(D_OPTIMAL[name], name)
        if name.startswith("sine_"):
            try:
                a = float(name.split("_", 1)[1])
            except ValueError:
                raise ValueError(
                    f"sine activations are named 'sine_<a>', got {activation!r}"
                ) from None
            a = real(
                "activation: the a of sine_a",
                a,
                low=MIN_SINE_PARAMETER,
                high=MAX_SINE_PARAMETER,
            )
            return Activation(name=name, family="sine", parameter=a)
        if name.startswith("hermite_"):
            try:
                k = int(name.split("_", 1)[1])
            except ValueError:
                raise ValueError(
                    f"Hermite activations are named 'hermite_<k>', got {activation!r}"
                ) from None
            k = int_in_range("activation: the k of hermite_k", k, low=1, high=MAX_HERMITE_DEGREE)
            return Activation(name=name, family="hermite", coefficients=(0.0,) * k + (1.0,))
        known = ", ".join(NAMED_ACTIVATIONS)
        raise ValueError(
            f"unknown activation {activation!r}; use one of {known}, 'sine_<a>', "
            "'hermite_<k>' or a sequence of Hermite coefficients"
        )
    if isinstance(activation, bytes) or not isinstance(activation, Sequence | np.ndarray):
        raise TypeError(
            "activation must be a name or a sequence of Hermite coefficients, got "
            f"{type(activation).__name__}"
        )
    coeffs = array("activation (Hermite coefficients)", activation, ndim=1)
    label = "hermite(" + ", ".join(f"{c:.4g}" for c in coeffs) + ")"
    return _from_coefficients(tuple(float(c) for c in coeffs), label)


@checked
def dual_activation(
    activation: ActivationLike,
) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The pair ``(ǎ, ǎ′)`` of :eq:`ntk-dual` and :eq:`ntk-dual-hermite` as callables.

    Arguments:
        activation: a name, Hermite coefficients or an :class:`Activation`.

    Returns:
        ``(ǎ, ǎ′)``, elementwise on NumPy or JAX arrays.
    """
    act = resolve_activation(activation)
    return act.dual, act.dual_prime


@checked
def singular_exponent(activation: ActivationLike) -> float:
    """The exponent ``α = 2 ln(1/ǎ′(0)) / ln ǎ′(1)`` of the singular-kernel limit, :eq:`ntk-alpha`.

    Defined when ``ǎ(0) = 0``, ``0 < ǎ′(0) < 1`` and ``ǎ′(1) > 1``: then 0 attracts, 1 repels,
    and the deep NNGP classifier tends to ``sign Σ_i y_i ‖x − x_i‖^(−α)``.

    Arguments:
        activation: a name, Hermite coefficients or an :class:`Activation`.

    Returns:
        ``α > 0``.

    Raises:
        ValueError: for activations in the other regimes (majority vote, 1-NN), naming the regime;
            also when ``ǎ′(1) ≤ 1`` (coefficients normalised only to within
            ``NORMALIZATION_TOL``), where the exponent is undefined.
    """
    act = resolve_activation(activation)
    a0, a1, slope = act.dual_at_zero, act.slope_at_zero, act.slope_at_one
    if abs(a0) > 1e-12:
        raise ValueError(
            f"{act.name}: ǎ(0) = {a0:.4g} > 0, so the deep limit is {deep_limit(act)!r}; "
            "the singular exponent needs ǎ(0) = 0"
        )
    if not 0.0 < a1 < 1.0:
        raise ValueError(
            f"{act.name}: ǎ′(0) = {a1:.4g}; the singular exponent needs 0 < ǎ′(0) < 1 "
            f"(this activation's deep limit is {deep_limit(act)!r})"
        )
    if slope <= 1.0:
        raise ValueError(
            f"{act.name}: ǎ′(1) = {slope!r} ≤ 1, so 1 does not repel and the singular exponent "
            "is undefined (activation's coefficients normalised only approximately?)"
        )
    return 2.0 * math.log(1.0 / a1) / math.log(slope)


@checked
def deep_limit(
    activation: ActivationLike,
) -> Literal["majority vote", "1-NN", "singular kernel", "no single limit"]:
    """Which classifier the infinitely deep kernel classifier becomes, from ``ǎ(0), ǎ′(0), ǎ′(1)``.

    * ``ǎ(0) > 0`` and ``ǎ′(1) ≤ 1``: 1 attracts every correlation: **majority vote**;
    * ``ǎ(0) = ǎ′(0) = 0``: correlations below 1 collapse super-exponentially: **1-NN**;
    * ``ǎ(0) = 0`` and ``0 < ǎ′(0) < 1``: a **singular kernel** of exponent
      :func:`singular_exponent`.

    Arguments:
        activation: a name, Hermite coefficients or an :class:`Activation`.

    Returns:
        The limit's name (``"no single limit"`` for the other cases).
    """
    act = resolve_activation(activation)
    a0, a1, slope = act.dual_at_zero, act.slope_at_zero, act.slope_at_one
    if a0 > 1e-12 and slope <= 1.0 + 1e-12:
        return "majority vote"
    if abs(a0) <= 1e-12 and abs(a1) <= 1e-12:
        return "1-NN"
    if abs(a0) <= 1e-12 and 0.0 < a1 < 1.0:
        return "singular kernel"
    return "no single limit"
