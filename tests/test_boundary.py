"""theorybook.boundary: declared shapes and dtypes, checked at the call, errors naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import checked


@checked
def _scores(
    x: Float[Tensor, "batch dim"], y: Float[Tensor, " batch"], *, lr: float = 0.1
) -> Float[Tensor, " batch"]:
    """A documented toy."""
    return x.sum(-1) * lr + y


def test_a_valid_call_passes_and_the_signature_is_kept() -> None:
    out = _scores(torch.ones(3, 4), torch.zeros(3))
    assert out.shape == (3,)
    assert _scores.__doc__ == "A documented toy."
    assert "lr" in str(__import__("inspect").signature(_scores))


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((torch.ones(3, 4), torch.ones(4)), {}, "'y'"),  # mismatched paired sizes
        ((torch.ones(3, 4, 1), torch.ones(3)), {}, "'x'"),  # wrong rank
        ((torch.ones(3, 4, dtype=torch.int64), torch.ones(3)), {}, "'x'"),  # integer
        ((torch.ones(3, 4, dtype=torch.complex64), torch.ones(3)), {}, "'x'"),  # complex
        ((np.ones((3, 4)), torch.ones(3)), {}, "'x'"),  # NumPy where a tensor is declared
    ],
)
def test_malformed_arguments_raise_type_errors_naming_them(args, kwargs, named) -> None:
    with pytest.raises(TypeError, match=f"_scores: argument {named}"):
        _scores(*args, **kwargs)


def test_a_number_outside_its_declared_range_raises_naming_it() -> None:
    with pytest.raises(TypeError, match="_scores: lr must be a real number"):
        _scores(torch.ones(3, 4), torch.ones(3), lr="fast")
    with pytest.raises(ValueError, match="_scores: lr must be a finite number"):
        _scores(torch.ones(3, 4), torch.ones(3), lr=float("nan"))
