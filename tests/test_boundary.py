"""theorybook.boundary: declared shapes and dtypes, checked at the call, errors naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from jaxtyping import Float
from torch import Tensor

from theorybook.boundary import Interval, IntRange, checked


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


# --- declared ranges and shapes, against values drawn by Hypothesis ------------------------------


DRAWN = settings(derandomize=True, database=None, max_examples=300, deadline=None)
ends = st.one_of(st.none(), st.floats(-1e3, 1e3))


@DRAWN
@given(
    value=st.one_of(st.floats(), st.integers(-(10**6), 10**6)),
    low=ends,
    high=ends,
    low_open=st.booleans(),
    high_open=st.booleans(),
    finite=st.booleans(),
)
def test_an_interval_accepts_exactly_its_members(value, low, high, low_open, high_open, finite):
    empty = (
        low is not None
        and high is not None
        and (low > high or (low == high and (low_open or high_open)))
    )
    if empty:
        with pytest.raises(ValueError, match="no value"):
            Interval(low=low, high=high, low_open=low_open, high_open=high_open)
        return
    rule = Interval(low=low, high=high, low_open=low_open, high_open=high_open, finite=finite)
    v = float(value)
    inside = not math.isnan(v) and (not finite or math.isfinite(v))
    if low is not None:
        inside = inside and (v > low if low_open else v >= low)
    if high is not None:
        inside = inside and (v < high if high_open else v <= high)
    if inside:
        assert rule.check("sigma", value) == v
    else:
        with pytest.raises(ValueError, match="sigma"):
            rule.check("sigma", value)
    for bad in rule.outside():
        with pytest.raises((TypeError, ValueError), match="sigma"):
            rule.check("sigma", bad)


@DRAWN
@given(
    value=st.integers(-(10**6), 10**6),
    low=st.one_of(st.none(), st.integers(-100, 100)),
    high=st.one_of(st.none(), st.integers(-100, 100)),
)
def test_an_int_range_accepts_exactly_its_members(value, low, high):
    if low is not None and high is not None and low > high:
        with pytest.raises(ValueError, match="must not exceed"):
            IntRange(low=low, high=high)
        return
    rule = IntRange(low=low, high=high)
    inside = (low is None or value >= low) and (high is None or value <= high)
    for given_value in (value, np.int64(value)):
        if inside:
            out = rule.check("steps", given_value)
            assert out == value and type(out) is int
        else:
            with pytest.raises(ValueError, match="steps"):
                rule.check("steps", given_value)
    for bad in rule.outside():
        with pytest.raises((TypeError, ValueError), match="steps"):
            rule.check("steps", bad)


@DRAWN
@given(
    shape_x=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    len_y=st.integers(0, 4),
    poison=st.sampled_from([None, math.nan, math.inf, -math.inf]),
)
def test_checked_accepts_exactly_the_declared_shapes(shape_x, len_y, poison):
    x = torch.ones(shape_x)
    y = torch.zeros(len_y)
    if poison is not None and x.numel():
        x.view(-1)[0] = poison
    valid = (
        len(shape_x) == 2
        and shape_x[0] == len_y
        and x.numel() > 0
        and y.numel() > 0
        and (poison is None)
    )
    if valid:
        assert _scores(x, y).shape == (len_y,)
    else:
        with pytest.raises((TypeError, ValueError), match="'x'|'y'"):
            _scores(x, y)
