"""The shared training loop, the divergence guard, the iterate check and recorded runs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from theorybook.claims import Claim, at_most
from theorybook.records import find_results_dir, load_record, record_path
from theorybook.scales import ScaledConfig, Settings
from theorybook.training import (
    Diverged,
    DivergenceGuard,
    SolverDiverged,
    TrainingDiverged,
    TrainingHistory,
    check_finite_loss,
    check_iterates,
    train_loop,
)


def _linear_regression_step(lr: float):  # a real torch trainer, written as one step
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    w = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)

    def step(t: int) -> torch.Tensor:
        loss = (x @ w - y).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step


def test_train_loop_records_every_step_and_converges() -> None:
    history = train_loop(_linear_regression_step(0.1), 200, desc="regression")
    assert isinstance(history, TrainingHistory)
    assert history.steps == 200 and len(history.losses) == 200
    assert history.final_loss < 1e-6 < history.losses[0]


def test_train_loop_names_the_step_of_a_diverging_run() -> None:
    with pytest.raises(TrainingDiverged, match=r"regression diverged at step \d+"):
        train_loop(_linear_regression_step(1e8), 50, desc="regression")


def test_growth_without_nan_is_divergence() -> None:
    losses = iter([1.0, 10.0, 1e3, 1e7, 1e9])
    with pytest.raises(TrainingDiverged, match="step 4: loss = 1e\\+07"):
        train_loop(lambda t: next(losses), 5, desc="toy")


def test_growth_limit_can_be_lifted_and_floor_protects_small_first_losses() -> None:
    losses = [1e-9, 1.0, 100.0]
    history = train_loop(lambda t: losses[t - 1], 3, guard=DivergenceGuard(growth=math.inf))
    assert history.losses == tuple(losses)
    # a first loss near zero: the floor (1.0) is the reference, so 100 is no explosion
    assert train_loop(lambda t: losses[t - 1], 3).final_loss == 100.0


def test_step_extras_are_recorded_and_start_numbers_the_steps() -> None:
    seen = []

    def step(t: int):
        seen.append(t)
        return 1.0 / t, {"lam": 0.1 * t}

    history = train_loop(step, 3, start=5)
    assert seen == [5, 6, 7]
    assert history.records["lam"] == pytest.approx((0.5, 0.6, 0.7))


@pytest.mark.parametrize(
    "bad",
    [
        dict(step=3),
        dict(steps=0),
        dict(steps=2.5),
        dict(guard="strict"),
        dict(start=-1),
    ],
)
def test_train_loop_checks_its_arguments(bad: dict) -> None:
    kwargs = dict(step=lambda t: 1.0, steps=2)
    kwargs.update(bad)
    with pytest.raises((TypeError, ValueError)):
        train_loop(kwargs.pop("step"), kwargs.pop("steps"), **kwargs)


def test_a_step_returning_a_wrong_tuple_is_refused() -> None:
    with pytest.raises(TypeError, match="loss or \\(loss, \\{name: value\\}\\)"):
        train_loop(lambda t: (1.0, 2.0, 3.0), 2)


def test_guard_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="growth"):
        DivergenceGuard(growth=0.5)
    with pytest.raises(ValueError, match="floor"):
        DivergenceGuard(floor=0.0)
    with pytest.raises(TypeError, match="where"):
        DivergenceGuard(where=3)  # type: ignore[arg-type]


def test_check_finite_loss_accepts_scalars_and_names_the_step() -> None:
    assert check_finite_loss(torch.tensor(2.0), step=1) == 2.0
    assert check_finite_loss(np.float32(0.5), step=1) == 0.5
    with pytest.raises(TrainingDiverged, match="fit diverged at step 7: loss = nan"):
        check_finite_loss(float("nan"), step=7, where="fit")
    with pytest.raises(TypeError, match="one-element tensor"):
        check_finite_loss("1.0x", step=1)


@pytest.mark.parametrize(
    "make", [lambda x: torch.tensor(x, dtype=torch.float64), np.asarray], ids=["torch", "numpy"]
)
def test_check_iterates_names_the_solver_and_step(make) -> None:
    check_iterates(make([1.0, -2.0]), step=1, where="PGD")
    with pytest.raises(SolverDiverged, match="PGD diverged at step 3: the iterate holds NaN"):
        check_iterates(make([1.0, float("nan")]), step=3, where="PGD")
    with pytest.raises(SolverDiverged, match="step 4: an iterate entry reached 1e\\+40"):
        check_iterates(make([1e40]), step=4, where="PGD")
    with pytest.raises(TypeError, match="numeric"):
        check_iterates(np.array(["a"]), step=1, where="PGD")


def test_divergence_errors_share_one_base() -> None:
    assert issubclass(TrainingDiverged, Diverged) and issubclass(SolverDiverged, Diverged)
    assert issubclass(Diverged, FloatingPointError)


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Training(Settings):
    steps: int = 10
    lr: float = 0.1

    def validate(self) -> None:
        self.require_positive_ints("steps")
        self.require_positive_reals("lr")


@dataclass(frozen=True)
class _Config(ScaledConfig):
    training: _Training = _Training()
    n: int = 5

    @classmethod
    def presets(cls) -> dict[str, _Config]:
        return {"smoke": cls(n=1), "book": cls(), "paper": cls(training=_Training(steps=1000))}


def test_settings_replace_reaches_nested_blocks_and_validates() -> None:
    cfg = _Config.preset("book")
    changed = cfg.replace(**{"training.steps": 3, "n": 7})
    assert changed.training == _Training(steps=3) and changed.n == 7
    assert cfg.training.steps == 10  # frozen: the original is untouched
    with pytest.raises(ValueError, match="_Training.steps"):
        cfg.replace(**{"training.steps": 0})
    with pytest.raises(TypeError, match="no field 'epochs'"):
        cfg.replace(epochs=3)
    with pytest.raises(TypeError, match="not a settings block"):
        cfg.replace(**{"n.value": 3})
    assert cfg.as_dict() == {"training": {"steps": 10, "lr": 0.1}, "n": 5}


# --- verdict sentences -----------------------------------------------------------------------


def _claim(measured: float) -> Claim:
    return Claim(
        id="x",
        statement="s",
        kind="exact",
        where="Eq. (1)",
        measured=measured,
        check=at_most(1.0),
        scale="smoke",
    )


def test_verdict_reads_the_status() -> None:
    assert _claim(0.5).verdict(holds="yes", fails="no") == "yes"
    assert _claim(2.0).verdict(holds="yes", fails="no") == "no"
    assert _claim(2.0).verdict(holds="yes", other="something else") == "something else"
    with pytest.raises(ValueError, match="no sentence was given"):
        _claim(2.0).verdict(holds="yes")
    with pytest.raises(ValueError, match="unknown status"):
        _claim(0.5).verdict(hold="typo")


# --- recorded runs ---------------------------------------------------------------------------


def test_records_are_found_from_a_root_the_environment_or_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    (results / "06_x").mkdir(parents=True)
    (results / "README.md").write_text("records\n")
    (results / "06_x" / "a.json").write_text(json.dumps({"v": 1}))
    (results / "06_x" / "b.jsonl").write_text('{"v": 1}\n{"v": 2}\n')
    assert load_record("06_x", "a.json", root=results) == {"v": 1}

    monkeypatch.delenv("THEORYBOOK_RESULTS", raising=False)
    (tmp_path / "chapters").mkdir()
    monkeypatch.chdir(tmp_path / "chapters")  # a notebook runs here
    assert find_results_dir() == results
    assert load_record("06_x", "b.jsonl") == [{"v": 1}, {"v": 2}]
    assert load_record("06_x", "missing.json") is None

    monkeypatch.setenv("THEORYBOOK_RESULTS", str(results / "06_x"))
    assert record_path("06_x", "a.json") == results / "06_x" / "06_x" / "a.json"

    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.delenv("THEORYBOOK_RESULTS")
    assert load_record("06_x", "a.json") is None or find_results_dir() is not None


def test_records_refuse_bad_names_and_bad_json(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_record("c", "bad.json", root=tmp_path)
    with pytest.raises(ValueError, match="plain file"):
        load_record("../c", "bad.json", root=tmp_path)
    with pytest.raises(ValueError, match="not a folder"):
        load_record("c", "bad.json", root=tmp_path / "nowhere")


# --- claims refuse what is not a measurement ---------------------------------------------------


def test_infinite_measurements_never_pass_and_checks_refuse_bad_bounds() -> None:
    from theorybook.claims import Check, Status, at_least

    assert _claim(float("inf")).status is Status.FAILS
    assert _claim(float("-inf")).status is Status.FAILS
    assert not at_least(0.0).passes(float("inf"))
    with pytest.raises(ValueError, match="low <= high"):
        Check("range", low=2.0, high=1.0)
    with pytest.raises(ValueError, match="finite"):
        Check("range", low=float("nan"))


def test_validation_array_refuses_complex_and_none() -> None:
    from theorybook.validation import array

    with pytest.raises(TypeError, match="x must hold real numbers"):
        array("x", [1 + 2j])
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        array("x", None)
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        array("x", [[1, 2], [3]])


def test_train_loop_driven_to_divergence_names_the_step_and_the_context() -> None:
    with pytest.raises(TrainingDiverged, match=r"toy \(epoch 3\) diverged at step \d+"):
        train_loop(_linear_regression_step(1e6), 100, desc="toy", start=41, context="epoch 3")


def test_channels_last_weights_inside_the_block_and_default_after_it_even_on_error() -> None:
    """Convolution weights are channels-last inside, contiguous after (also when the block
    raises); the parameter objects are the same, and a dense layer's weights are untouched."""
    from theorybook.training import channels_last_weights

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Flatten(), torch.nn.Linear(8, 2))
    params = list(model.parameters())
    conv = model[0].weight
    with channels_last_weights(model):
        assert conv.is_contiguous(memory_format=torch.channels_last)
        assert not conv.is_contiguous()
    assert conv.is_contiguous()
    with pytest.raises(RuntimeError, match="inside"), channels_last_weights(model):
        assert not conv.is_contiguous()
        raise RuntimeError("inside")
    assert conv.is_contiguous()
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    with pytest.raises(TypeError, match="torch.nn.Module"):
        channels_last_weights("not a model")  # at the call, not only when the block is entered
