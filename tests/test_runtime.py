"""Tests of theorybook.runtime: scale switch, presets, seeds, device, timer, run card, manifests."""

from __future__ import annotations

import json
import os
import random
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from theorybook import reporting, scales
from theorybook.reporting import environment_report, git_commit, save_manifest
from theorybook.runtime import device, jax_key, seed_everything
from theorybook.scales import SCALES, ScaledConfig, check_scale, scale, scale_rank
from theorybook.timing import Timer, timed


def test_scale_defaults_to_book(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THEORYBOOK_SCALE", raising=False)
    assert scale() == "book"
    monkeypatch.setenv("THEORYBOOK_SCALE", "")
    assert scale() == "book"


@pytest.mark.parametrize("value", ["smoke", "book", "paper", " PAPER ", "Smoke"])
def test_scale_reads_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", value)
    assert scale() == value.strip().lower()


@pytest.mark.parametrize("value", ["tiny", "full", "smoke,book", "0"])
def test_bad_scale_names_the_allowed_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", value)
    with pytest.raises(ValueError, match="smoke, book, paper"):
        scale()


def test_check_scale_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        check_scale(3)


def test_scale_rank_orders_the_scales() -> None:
    assert [scale_rank(s) for s in SCALES] == [0, 1, 2]


@dataclass(frozen=True)
class _Config(ScaledConfig):
    n: int = 100
    lr: float = 0.1

    def validate(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")

    @classmethod
    def presets(cls) -> dict[str, _Config]:
        return {"smoke": cls(n=2), "book": cls(), "paper": cls(n=10_000)}


def test_preset_follows_the_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    assert _Config.preset().n == 2
    assert _Config.preset("paper").n == 10_000
    assert _Config.preset(scale()) == _Config(n=2)


def test_preset_is_frozen_and_replace_is_checked() -> None:
    cfg = _Config.preset("book")
    with pytest.raises(FrozenInstanceError):
        cfg.n = 3  # type: ignore[misc]
    assert cfg.replace(lr=0.5).lr == 0.5
    with pytest.raises(TypeError, match="no field"):
        cfg.replace(learning_rate=0.5)
    with pytest.raises(ValueError, match="n must be >= 1"):
        cfg.replace(n=0)
    assert cfg.as_dict() == {"n": 100, "lr": 0.1}


def test_incomplete_presets_are_reported() -> None:
    @dataclass(frozen=True)
    class Partial(ScaledConfig):
        @classmethod
        def presets(cls) -> dict[str, Partial]:
            return {"smoke": cls()}

    with pytest.raises(NotImplementedError, match="book"):
        Partial.preset("smoke")


def _draw() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_seed_everything_reproduces_all_generators() -> None:
    assert seed_everything(123) == 123
    first = _draw()
    seed_everything(123)
    assert _draw() == first
    seed_everything(124)
    assert _draw() != first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        seed_everything(bad)  # type: ignore[arg-type]


def test_returned_seed_makes_a_jax_key() -> None:
    import jax

    key = jax_key(seed_everything(7))
    again = jax.random.PRNGKey(7)
    assert np.array_equal(np.asarray(key), np.asarray(again))
    a = jax.random.normal(key, (3,))
    b = jax.random.normal(jax_key(7), (3,))
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_device_is_cuda_only_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device().type == expected
    monkeypatch.setenv("THEORYBOOK_DEVICE", "cpu")
    assert device().type == "cpu"
    assert device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_asking_for_missing_cuda_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CUDA, which is not available"):
        device("cuda")


@pytest.mark.parametrize("bogus", ["bogus", "tpu:0", "mps"])
def test_bad_device_variable_is_named(monkeypatch: pytest.MonkeyPatch, bogus: str) -> None:
    monkeypatch.setenv("THEORYBOOK_DEVICE", bogus)
    with pytest.raises(ValueError, match="THEORYBOOK_DEVICE"):
        device()


def test_timer_measures_elapsed_time() -> None:
    with Timer("sleep") as t:
        sum(range(10_000))
    assert 0.0 <= t.seconds < 60.0
    assert str(t).startswith("sleep: ")
    with timed("x") as t2:
        pass
    assert t2.seconds >= 0.0


def test_environment_report_has_the_run_card(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    report = environment_report()
    text = str(report)
    for needle in ("scale", "smoke", "torch device", "JAX backend", "numpy", "torch", "commit"):
        assert needle in text
    assert report.scale == "smoke"
    assert report.device in {"cpu", "cuda"}
    assert "<table" in report._repr_html_()
    json.dumps(report.as_dict())


def test_git_commit_is_none_outside_a_checkout(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None


def test_save_manifest_writes_the_run_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    path = save_manifest(
        tmp_path / "05" / "run.json",
        chapter="05_test",
        seed=0,
        wall_seconds=1.5,
        config=_Config.preset(),
        numbers={"loss": [0.1, 0.2]},
    )
    payload = json.loads(path.read_text())
    assert payload["config"] == {"n": 2, "lr": 0.1}
    assert payload["numbers"]["loss"] == [0.1, 0.2]
    assert payload["environment"]["scale"] == "smoke"
    with pytest.raises(ValueError):
        reporting.save_manifest(tmp_path / "x.json", chapter="", seed=0, wall_seconds=1.0)
    with pytest.raises(ValueError):
        reporting.save_manifest(tmp_path / "x.json", chapter="c", seed=0, wall_seconds=-1.0)


def test_runtime_import_does_not_load_torch_or_jax() -> None:
    import subprocess
    import sys

    code = (
        "import sys, theorybook.runtime, theorybook.claims; "
        "print('torch' in sys.modules, 'jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout
    assert scales.DEFAULT_SCALE == "book"


def test_progress_is_a_plain_text_bar(capsys: pytest.CaptureFixture[str]) -> None:
    from theorybook.reporting import progress

    assert list(progress(range(3), desc="items")) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "items" in err and "3/3" in err
    bar = progress(total=2, disable=True)
    bar.update(2)
    bar.close()


def test_progress_final_mode_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from theorybook.reporting import progress

    monkeypatch.setenv("THEORYBOOK_PROGRESS", "final")
    assert sum(progress(range(50), desc="fits")) == sum(range(50))
    err = capsys.readouterr().err
    assert err.count("fits") == 1 and "50/50" in err and "\r" not in err
    monkeypatch.setenv("THEORYBOOK_PROGRESS", "sometimes")
    with pytest.raises(ValueError, match="live"):
        progress(range(2))


def test_require_positive_ints_names_the_field() -> None:
    @dataclass(frozen=True)
    class Counts(ScaledConfig):
        steps: int = 3

        def validate(self) -> None:
            self.require_positive_ints("steps")

    assert Counts().steps == 3
    assert type(Counts(steps=np.int64(4)).steps) is int  # type: ignore[arg-type]
    for bad in (0, -2):
        with pytest.raises(ValueError, match="Counts.steps must be >= 1"):
            Counts(steps=bad)
    for bad in (2.5, True):
        with pytest.raises(TypeError, match="Counts.steps must be an int"):
            Counts(steps=bad)  # type: ignore[arg-type]


def test_torch_threads_restores_the_count() -> None:
    from theorybook.runtime import torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with torch_threads(0):
            pass


def test_torch_threads_policy_and_decorator(monkeypatch: pytest.MonkeyPatch) -> None:
    from theorybook.runtime import compute_threads, torch_threads

    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    assert compute_threads() == 1
    before = torch.get_num_threads()

    @torch_threads()
    def inside() -> int:
        return torch.get_num_threads()

    assert inside() == 1
    assert torch.get_num_threads() == before
    monkeypatch.setenv("THEORYBOOK_THREADS", "zero")
    with pytest.raises(ValueError, match="THEORYBOOK_THREADS"):
        compute_threads()


def test_check_finite_loss_names_the_step() -> None:
    from theorybook.training import TrainingDiverged, check_finite_loss

    assert check_finite_loss(torch.tensor(0.5), step=3) == 0.5
    with pytest.raises(TrainingDiverged, match=r"\(epoch 2\) diverged at step 17: loss = nan"):
        check_finite_loss(torch.tensor(float("nan")), step=17, where="training (epoch 2)")
    with pytest.raises(TrainingDiverged, match="loss = inf"):
        check_finite_loss(float("inf"), step=0)


def test_best_of_times_repeated_runs() -> None:
    from theorybook.timing import best_of

    calls = []
    stats = best_of(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and len(stats.times) == 3
    assert stats.best <= stats.median and stats.spread >= 1.0
    with pytest.raises(ValueError, match="repeats"):
        best_of(lambda: None, repeats=0)
    with pytest.raises(TypeError, match="'fn'.*Callable"):
        best_of(5)  # type: ignore[arg-type]


def test_progress_off_prints_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THEORYBOOK_PROGRESS", "off")
    for _ in reporting.progress(range(3), desc="quiet"):
        pass
    captured = capsys.readouterr()
    assert "quiet" not in captured.err + captured.out


def test_save_manifest_refuses_nan_and_bad_numbers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="wall_seconds"):
        reporting.save_manifest(tmp_path / "m.json", chapter="c", seed=0, wall_seconds=float("nan"))
    with pytest.raises(ValueError, match="finite"):
        reporting.save_manifest(
            tmp_path / "m.json", chapter="c", seed=0, wall_seconds=1.0, numbers={"x": float("nan")}
        )
    with pytest.raises(TypeError, match="'numbers'.*Mapping"):
        reporting.save_manifest(
            tmp_path / "m.json", chapter="c", seed=0, wall_seconds=1.0, numbers=[1, 2]
        )  # type: ignore[arg-type]


def test_glue_without_myst_nb_still_runs(monkeypatch, capsys):
    """A downloaded notebook has no myst_nb: glue must not fail, and shows the value if asked."""
    import sys

    from theorybook.reporting import glue

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb -> ImportError
    glue("hidden", 1.5, display=False)
    assert capsys.readouterr().out == ""
    glue("shown", 2.5)
    assert "2.5" in capsys.readouterr().out


def test_glue_delegates_to_myst_nb(monkeypatch):
    import sys
    import types

    from theorybook.reporting import glue

    calls: list[tuple[str, object, bool]] = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("x", 3, display=False)
    assert calls == [("x", 3, False)]
    with pytest.raises(ValueError, match="glue name"):
        glue("", 3)


def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch):
    """NumPy 2 reprs (np.float64(1.5)) break {glue:text} format specs: glue stores 1.5."""
    import sys
    import types

    import numpy as np

    from theorybook.reporting import glue

    stored: dict[str, object] = {}
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: stored.update({name: value})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("f", np.float64(1.5), display=False)
    glue("i", np.int64(3), display=False)
    glue("a", np.arange(2), display=False)
    assert type(stored["f"]) is float and repr(stored["f"]) == "1.5"
    assert type(stored["i"]) is int
    assert isinstance(stored["a"], np.ndarray)


# ----------------------------------------------------------------------------- malloc settings


def test_makefile_exports_the_book_malloc_settings() -> None:
    """``make`` exports exactly theorybook.runtime.MALLOC_ENV, so tests and chapters run under
    the settings the run card reports as the book's."""
    import re

    from theorybook.runtime import MALLOC_ENV

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    exported = dict(re.findall(r"^export (MALLOC_\w+) := (\S+)$", makefile, flags=re.M))
    assert exported == MALLOC_ENV


def test_use_book_malloc_sets_the_variables_and_the_policy_reports_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from theorybook import runtime
    from theorybook.runtime import MALLOC_ENV, malloc_policy, use_book_malloc

    if not runtime._is_glibc():
        assert malloc_policy() == "not glibc (no effect)"
        pytest.skip("the settings are glibc's")

    for name in MALLOC_ENV:  # set, then deleted: monkeypatch restores the variables as they were
        monkeypatch.setenv(name, "0")
        monkeypatch.delenv(name)
    assert malloc_policy() == "allocator defaults"
    applied = use_book_malloc()
    assert all(os.environ[name] == value for name, value in MALLOC_ENV.items())
    assert malloc_policy() == "book settings"
    assert environment_report(include_jax=False).malloc == "book settings"
    assert applied is True  # glibc's mallopt took both parameters
    # a value of the user's own is kept, and reported as it is
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    use_book_malloc()
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"
    assert malloc_policy() == "MALLOC_MMAP_THRESHOLD_=33554432, MALLOC_TRIM_THRESHOLD_=65536"


@pytest.mark.parametrize("bad", ["lots", "-1", str(2**31)])
def test_use_book_malloc_names_a_bad_variable(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    from theorybook.runtime import use_book_malloc

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", bad)
    with pytest.raises(ValueError, match="MALLOC_MMAP_THRESHOLD_ must be a whole number"):
        use_book_malloc()


def test_malloc_policy_says_when_the_c_library_ignores_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from theorybook import runtime

    monkeypatch.setattr(runtime, "_is_glibc", lambda: False)
    use = runtime.MALLOC_ENV
    for name, value in use.items():
        monkeypatch.setenv(name, value)
    assert runtime.malloc_policy() == "not glibc (no effect)"
