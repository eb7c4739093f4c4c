"""Annotations shared by the public signatures of :mod:`theorybook.lpn`, and the check of an
input against a network that annotations cannot express.

Arrays are jaxtyping types checked by :func:`theorybook.boundary.checked`. Images and measurements
that meet a forward operator are single or double precision (:class:`Float3264`): the FFTs and
solves of :mod:`~theorybook.lpn.operators` have no half-precision version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from jaxtyping import AbstractDtype
from torch import nn

from theorybook.validation import matches_module

__all__ = ["Denoiser", "Float3264", "check_model_input"]


if TYPE_CHECKING:  # for type checkers, Float3264[Tensor, ...] is a Tensor, as Float[...] is
    from jaxtyping import Float as Float3264
else:

    class Float3264(AbstractDtype):
        """float32 or float64 (what the operators' FFTs and linear solves accept)."""

        dtypes = ("float32", "float64")


Denoiser = Callable[[torch.Tensor], torch.Tensor]
"""A denoiser (a prox): a batch of images in, a batch of the same shape out."""


def check_model_input(name: str, value: torch.Tensor, model: object) -> torch.Tensor:
    """``value`` itself if ``model`` can take it: the dtype and device of its parameters, and the
    input shape it declares (``model._check_input``, for the networks of this package).

    A float64 batch given to a float32 network, or 16 × 16 images to an 8 × 8 ConvLPN, otherwise
    fails deep inside torch or with a message that names no argument.

    Arguments:
        name: the argument's name, for the message.
        value: the input tensor.
        model: the network it is fed to (anything else is not checked).

    Returns:
        ``value``.

    Raises:
        TypeError: for a dtype or device other than the model's, or a non-floating input.
        ValueError: for a shape the model does not take.
    """
    if not isinstance(model, nn.Module):
        return value
    matches_module(name, value, model)
    check = getattr(model, "_check_input", None)
    if check is not None:
        try:
            check(value)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{name} does not fit the model: {err}") from None
    return value
