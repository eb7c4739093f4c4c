"""The shared modules' boundaries: gaps a review found, divergence, and what the generic test
cannot drive (``tests/test_malformed_inputs.py`` drives the rest from the signatures)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from theorybook import validation as v
from theorybook.chapters import Chapter, chapter
from theorybook.claims import Check, Claim, at_least, at_most, between, close_to, is_true
from theorybook.reporting import save_manifest
from theorybook.runtime import seed_everything, torch_threads
from theorybook.scales import SCALE_ENV_VAR, check_scale, scale, scale_rank
from theorybook.timing import Timer
from theorybook.training import (
    DivergenceGuard,
    SolverDiverged,
    TrainingDiverged,
    check_finite_loss,
    check_iterates,
    train_loop,
)

# --- gaps found by a review ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, np.int64(3), np.uint32(3)])
def test_seed_everything_takes_what_validation_seed_takes(seed: object) -> None:
    assert v.seed("seed", seed) == 3
    out = seed_everything(seed)  # type: ignore[arg-type]
    assert out == 3 and type(out) is int


def test_none_inside_an_array_is_called_none_not_nan() -> None:
    with pytest.raises(TypeError, match="holds None"):
        v.array("x", [1.0, None])
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        v.array("x", None)


def test_a_bad_scale_argument_is_not_blamed_on_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SCALE_ENV_VAR, "smoke")
    with pytest.raises(ValueError, match="scale='bogus'") as err:
        chapter("06").run(scale="bogus")
    assert SCALE_ENV_VAR not in str(err.value)
    with pytest.raises(ValueError, match="which='huge'"):
        chapter("06").config("huge")
    with pytest.raises(ValueError, match="expected_at") as err:
        Claim("c", "s", "exact", "Eq. 1", 0.5, at_most(1.0), expected_at="huge")  # type: ignore[arg-type]
    assert SCALE_ENV_VAR not in str(err.value)
    with pytest.raises(ValueError, match="value='huge'"):
        scale_rank("huge")
    assert check_scale(" Book ") == "book"
    monkeypatch.setenv(SCALE_ENV_VAR, "huge")
    with pytest.raises(ValueError, match=f"{SCALE_ENV_VAR}='huge'"):
        scale()


@pytest.mark.parametrize("measured", [math.inf, -math.inf, math.nan, np.float32("inf"), None])
@pytest.mark.parametrize(
    "check",
    [at_most(1.0), at_least(-1.0), between(-1e300, 1e300), close_to(0.0, abs_tol=1e300), is_true()],
    ids=["at_most", "at_least", "between", "close_to", "is_true"],
)
def test_an_infinite_or_missing_measurement_never_holds(measured: object, check: Check) -> None:
    claim = Claim("c", "s", "exact", "Eq. 1", measured, check, scale="smoke")  # type: ignore[arg-type]
    assert not claim.passes
    assert claim.status.label == "fails"


def test_numpy_measurements_are_accepted() -> None:
    claim = Claim("c", "s", "exact", "Eq. 1", np.float32(0.5), at_most(1.0), scale="smoke")
    assert claim.status.label == "holds"
    assert Claim("d", "s", "exact", "Eq. 1", np.int64(2), at_least(1), scale="smoke").passes


@pytest.mark.parametrize(
    "make",
    [
        lambda: Check("range", low=math.nan),
        lambda: Check("range", high=math.inf),
        lambda: Check("range", low=2.0, high=1.0),
        lambda: between(2.0, 1.0),
        lambda: at_most(math.nan),
        lambda: close_to(1e308, rel_tol=10.0),
        lambda: close_to(1.0),
    ],
)
def test_checks_refuse_nan_infinite_and_inverted_bounds(make) -> None:
    with pytest.raises(ValueError):
        make()


# --- divergence: every trainer and iterative solver of the shared modules ------------------------


def test_a_guard_without_growth_limit_still_stops_at_inf() -> None:
    losses = iter([1.0, 1e30, math.inf])
    with pytest.raises(TrainingDiverged, match="step 3: loss = inf"):
        train_loop(lambda t: next(losses), 3, guard=DivergenceGuard(growth=math.inf))


def test_check_iterates_stops_a_gradient_descent_with_too_large_a_step() -> None:
    def gradient_descent(step_size: float, steps: int = 200) -> np.ndarray:
        a = np.diag([1.0, 10.0])  # f(x) = x'Ax/2: gradient descent diverges for a step > 0.2
        x = np.ones(2)
        for k in range(1, steps + 1):
            x = x - step_size * (a @ x)
            check_iterates(x, step=k, where="toy GD")
        return x

    assert np.abs(gradient_descent(0.1)).max() < 1e-6
    with pytest.raises(SolverDiverged, match=r"toy GD diverged at step \d+"):
        gradient_descent(1.0)


def test_the_per_step_checks_check_their_own_arguments() -> None:
    with pytest.raises(ValueError, match="step"):
        check_iterates(np.ones(2), step=-1, where="toy")
    with pytest.raises(TypeError, match="step"):
        check_finite_loss(1.0, step=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        check_iterates(np.ones(2), step=1, where="toy", limit=0.0)
    check_iterates(np.ones(2), step=1, where="toy", limit=math.inf)
    check_iterates(torch.tensor([True, False]), step=1, where="toy")
    with pytest.raises(TypeError, match="value"):
        check_iterates(np.ones(2, dtype=complex), step=1, where="toy")
    with pytest.raises(TypeError, match="step 2"):
        train_loop(lambda t: torch.ones(3), 2, start=2)


# --- what the generic test cannot drive ----------------------------------------------------------


def test_matches_module_checks_dtype_and_device_only() -> None:
    model = torch.nn.Linear(3, 1)
    assert v.matches_module("x", torch.full((2, 3), math.nan), model).shape == (2, 3)
    assert v.matches_module("x", torch.ones(0, 3), model).shape == (0, 3)
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        v.matches_module("x", torch.ones(2, 3, dtype=torch.float64), model)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        v.matches_module("x", np.ones((2, 3)), model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="module"):
        v.matches_module("x", torch.ones(2, 3), "model")  # type: ignore[arg-type]


def test_finite_tensor_accepts_empty_and_integer_tensors_and_refuses_complex() -> None:
    assert v.finite_tensor("t", torch.ones(0)).numel() == 0
    assert v.finite_tensor("t", torch.arange(3)).numel() == 3
    with pytest.raises(TypeError, match="t must be a real tensor"):
        v.finite_tensor("t", torch.ones(2, dtype=torch.complex64))


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: v.int_in_range("n", 3, low="1"), "low"),
        (lambda: v.real("x", 0.5, high=math.nan), "high"),
        (lambda: v.real("x", 0.5, finite="yes"), "finite"),
        (lambda: v.array("x", [1.0], dtype="no-such-dtype"), "dtype"),
        (lambda: v.array("x", [1.0], min_size=-1), "min_size"),
        (lambda: v.tensor("t", torch.ones(2), ndim=2.5), "ndim"),
        (lambda: v.tensor("t", torch.ones(2), shape=("a",)), "shape"),
        (lambda: v.int_sequence("xs", [1], unique="no"), "unique"),
        (lambda: v.one_of("x", 1, 3), "choices"),
        (lambda: v.same_length(a=[1], b=3), "b"),
    ],
)
def test_a_checkers_own_options_are_checked_and_named(call, named: str) -> None:
    with pytest.raises((TypeError, ValueError), match=named):
        call()


def test_torch_threads_checks_n_when_called_and_still_decorates() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        torch_threads(0)
    with pytest.raises(TypeError, match="n must be an int"):
        torch_threads(True)

    @torch_threads(1)
    def threads() -> int:
        return torch.get_num_threads()

    before = torch.get_num_threads()
    assert threads() == 1 and torch.get_num_threads() == before


def test_timer_seconds_are_an_output() -> None:
    with pytest.raises(TypeError):
        Timer(seconds=1.0)  # type: ignore[call-arg]
    with Timer("t") as t:
        pass
    assert 0.0 <= t.seconds < 1.0


def test_save_manifest_writes_numpy_numbers_and_refuses_their_nan(tmp_path: Path) -> None:
    path = save_manifest(
        tmp_path / "m.json",
        chapter="c",
        seed=np.int64(1),
        wall_seconds=np.float32(2.0),  # type: ignore[arg-type]
        numbers={"x": np.float32(0.5)},
    )
    payload = json.loads(path.read_text())
    assert payload["numbers"]["x"] == 0.5 and payload["seed"] == 1
    with pytest.raises(ValueError, match="finite"):
        save_manifest(
            tmp_path / "m.json",
            chapter="c",
            seed=0,
            wall_seconds=1.0,
            numbers={"x": np.float32("nan")},
        )


def test_chapter_descriptions_are_checked() -> None:
    assert chapter("arnet") == Chapter("06_ar_net", "arnet")
    with pytest.raises(TypeError, match="key"):
        chapter(6)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stem"):
        Chapter("ar_net", "arnet")


def test_checked_constructors_check_every_call_not_only_the_first() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="floor"):
            DivergenceGuard(floor=0.0)
        with pytest.raises(TypeError, match="check"):
            Claim("c", "s", "exact", "Eq. 1", 0.5, "at most 1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "module",
    ["theorybook.runtime", "theorybook.claims", "theorybook.chapters", "theorybook.scales"],
)
def test_shared_entry_points_import_without_torch_or_jax(module: str) -> None:
    code = f"import sys, {module}; print('torch' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], (module, out.stdout)
