"""Degenerate limits of a noise level: where ``σ²`` or ``σ⁴`` leaves the float64 range.

The chapter's formulas use powers of σ (``r = x + σ²h``, the RCAE penalty ``σ²‖∂r/∂x‖²``, the
training loss divided by ``σ⁴``). A σ that is a valid positive number can still make such a power
underflow to 0 (σ below about 1e-154 for σ², 1e-77 for σ⁴) or overflow to ∞; the functions that
would then divide by 0 or return ∞ call :func:`sigma_power` first and raise a ``ValueError`` that
names the argument, instead of returning NaN.
"""

from __future__ import annotations

import math
import sys

__all__ = ["sigma_power"]


def sigma_power(name: str, sigma: float, power: int, *, allow_underflow: bool = False) -> float:
    """``sigma**power`` as a float, or ``ValueError`` naming ``name`` when it leaves the range.

    Arguments:
        name: the argument's name, for the message.
        sigma: a positive, finite noise level (already checked by its annotation).
        power: the power the caller uses (2 or 4).
        allow_underflow: accept a power below the smallest normal float64 (the caller handles
            the limit ``σ^power → 0`` itself); overflow is refused either way.

    Returns:
        ``sigma**power`` (possibly 0.0 when ``allow_underflow``).
    """
    try:
        value = sigma**power
    except OverflowError:
        value = math.inf
    if value > sys.float_info.max:
        raise ValueError(
            f"{name} = {sigma:g} is too large: {name}**{power} overflows float64 "
            f"(the largest allowed {name} is about {sys.float_info.max ** (1 / power):.3g})"
        )
    if not allow_underflow and value < sys.float_info.min:
        raise ValueError(
            f"{name} = {sigma:g} is too small: {name}**{power} = {value:g} underflows float64 "
            f"(the smallest allowed {name} is about {sys.float_info.min ** (1 / power):.3g})"
        )
    return value
