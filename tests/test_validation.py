"""Tests of theorybook.validation: clear errors that name the parameter, NumPy scalars accepted."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theorybook import validation as v


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3)])
def test_positive_int_accepts_numpy_integers(value: object) -> None:
    assert v.positive_int("n", value) == 3
    assert type(v.positive_int("n", value)) is int


@pytest.mark.parametrize(
    "value, error",
    [
        (0, ValueError),
        (-2, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("3", TypeError),
        (None, TypeError),
    ],
)
def test_positive_int_rejects_with_the_name(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="epochs"):
        v.positive_int("epochs", value)


def test_seed_range() -> None:
    assert v.seed("seed", np.uint32(7)) == 7
    with pytest.raises(ValueError, match="seed"):
        v.seed("seed", -1)
    with pytest.raises(ValueError, match="seed"):
        v.seed("seed", 2**32)


@pytest.mark.parametrize("value", [0.1, np.float32(0.25), np.float64(0.5), 1])
def test_positive_real_accepts_numpy_floats(value: object) -> None:
    assert v.positive_real("lr", value) == pytest.approx(float(value))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf])
def test_positive_real_rejects(value: float) -> None:
    with pytest.raises(ValueError, match="lr"):
        v.positive_real("lr", value)


def test_real_bounds_open_and_closed() -> None:
    assert v.real("p", 1.0, low=0.0, high=1.0) == 1.0
    with pytest.raises(ValueError, match="< 1"):
        v.real("p", 1.0, low=0.0, high=1.0, high_open=True)
    assert v.real("x", math.inf, finite=False) == math.inf
    with pytest.raises(ValueError):
        v.real("x", math.nan, finite=False)
    with pytest.raises(TypeError):
        v.real("x", False)


def test_probability() -> None:
    assert v.probability("q", 0) == 0.0
    with pytest.raises(ValueError, match="q"):
        v.probability("q", 1.5)


def test_one_of_lists_the_choices() -> None:
    assert v.one_of("loss", "l2", ("l1", "l2")) == "l2"
    with pytest.raises(ValueError, match="'l1', 'l2'"):
        v.one_of("loss", "l3", ("l1", "l2"))


def test_sequences() -> None:
    assert v.int_sequence("lags", [1, np.int64(3)], low=1, unique=True) == (1, 3)
    with pytest.raises(ValueError, match="repeat"):
        v.int_sequence("lags", [1, 1], unique=True)
    with pytest.raises(TypeError, match=r"lags\[0\]"):
        v.int_sequence("lags", [1.7])
    with pytest.raises(ValueError, match="at least 1"):
        v.int_sequence("lags", [])
    with pytest.raises(TypeError):
        v.int_sequence("lags", "13")
    assert v.real_sequence("w", (0.5, np.float32(0.25))) == (0.5, 0.25)
    with pytest.raises(ValueError, match=r"w\[1\]"):
        v.real_sequence("w", (0.5, math.nan))


def test_array_shapes_and_finiteness() -> None:
    out = v.array("x", [[1, 2], [3, 4]], ndim=2, shape=(None, 2))
    assert out.dtype == np.float64 and out.shape == (2, 2)
    with pytest.raises(ValueError, match=r"shape \(\*, 3\)"):
        v.array("x", np.zeros((2, 2)), shape=(None, 3))
    with pytest.raises(ValueError, match="dimension"):
        v.array("x", np.zeros(3), ndim=2)
    with pytest.raises(ValueError, match="finite"):
        v.array("x", [1.0, math.nan])
    with pytest.raises(ValueError, match="at least"):
        v.array("x", [])
    with pytest.raises(TypeError, match="NumPy"):
        v.array("x", torch.zeros(3))
    with pytest.raises(TypeError):
        v.array("x", ["a", "b"])


def test_tensor_checks() -> None:
    t = torch.zeros(2, 3)
    assert v.tensor("t", t, ndim=2, shape=(None, 3)) is t
    with pytest.raises(TypeError, match="torch.Tensor"):
        v.tensor("t", np.zeros(3))
    with pytest.raises(TypeError, match="floating"):
        v.tensor("t", torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="finite"):
        v.tensor("t", torch.tensor([math.nan]))


def test_callable_and_same_length() -> None:
    assert v.callable_("f", len) is len
    with pytest.raises(TypeError, match="f must be callable"):
        v.callable_("f", 5)
    assert v.same_length(x=[1, 2], y=np.zeros(2)) == 2
    with pytest.raises(ValueError, match="x: 2, y: 3"):
        v.same_length(x=[1, 2], y=[1, 2, 3])
