"""Sweeps (theorybook.sweeps): cells, records, resuming, submitit's local and Slurm executors."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from theorybook.sweep_measures import result_numbers
from theorybook.sweep_records import load_cells, load_sweep, summarize
from theorybook.sweeps import Sweep, cell_path, missing_cells, run_sweeps

# Chapter 7's two-dimensional classifier, shrunk to seconds: two methods, sixteen points.
TINY = {
    "classifier.n_train": 16,
    "classifier.n_test": 16,
    "classifier.hidden": 8,
    "classifier.methods": ["vanilla", "ernode"],
    "classifier.held_out_methods": ["vanilla", "ernode"],
    "classifier.lam_sweep": [],
    "seeds": [],
}


def _results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    root.mkdir()
    (root / "README.md").write_text("recorded runs\n")
    return root


def _sweep(epochs: tuple[int, ...] = (2, 3), seeds: tuple[int, ...] = (0, 1)) -> Sweep:
    return Sweep(
        "tiny",
        "07",
        experiment="run_circles",
        scale="smoke",
        seeds=seeds,
        grid={"classifier.epochs": epochs},
        fixed=TINY,
    )


def test_cells_are_every_seed_times_every_setting() -> None:
    cells = _sweep().cells()
    assert len(cells) == 4
    assert [(c.seed, dict(c.settings)["classifier.epochs"]) for c in cells] == [
        (0, 2),
        (1, 2),
        (0, 3),
        (1, 3),
    ]
    assert len({c.key for c in cells}) == 4
    cfg = cells[3].config()
    assert (cfg.seed, cfg.classifier.epochs, cfg.classifier.methods) == (
        1,
        3,
        ("vanilla", "ernode"),
    )
    # the fixed settings are in the hash, not in the readable name
    assert "n_train" not in cells[0].key and cells[0].key.startswith("seed0_epochs=2-")
    other = Sweep(
        "tiny",
        "07",
        experiment="run_circles",
        scale="smoke",
        seeds=(0,),
        grid={"classifier.epochs": (2,)},
        fixed={**TINY, "classifier.n_test": 32},
    )
    assert other.cells()[0].key != cells[0].key


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"grid": {"classifier.epoch": (2,)}}, "no field 'epoch'"),
        ({"seeds": (0, 0)}, "repeats"),
        ({"seeds": ()}, "at least one"),
        ({"grid": {"classifier.epochs": ()}}, "no values"),
        ({"experiment": "train"}, "run_all"),
        ({"experiment": "run_nothing"}, "has no run_nothing"),
        ({"name": "Tiny Sweep"}, "folder name"),
        ({"seed_setting": None}, "must be \\(0,\\)"),
        ({"grid": {"seed": (1, 2)}}, "set twice"),
        ({"measure": "theorybook.sweep_records:nothing"}, "names no function"),
        ({"chapter": "99"}, "no chapter"),
        ({"grid": {"classifier.epochs": (object(),)}}, "JSON"),
    ],
)
def test_a_malformed_sweep_is_refused_when_defined(changes: dict, match: str) -> None:
    fields = {
        "name": "tiny",
        "chapter": "07",
        "experiment": "run_circles",
        "scale": "smoke",
        "seeds": (0, 1),
        "grid": {"classifier.epochs": (2,)},
        "fixed": TINY,
        **changes,
    }
    with pytest.raises((ValueError, TypeError), match=match):
        Sweep(**fields)


def test_an_inprocess_sweep_records_each_cell_and_reruns_nothing(tmp_path: Path) -> None:
    root = _results(tmp_path)
    sweep = _sweep(epochs=(2,))
    first = run_sweeps(sweep, out=root)
    assert len(first.ran) == 2 and not first.skipped and not first.failed
    record = json.loads(cell_path(sweep.cells()[1], root).read_text())
    assert record["seed"] == 1 and record["settings"]["seed"] == 1
    assert record["config"]["classifier"]["epochs"] == 2
    assert record["environment"]["packages"]["torch"]
    assert 0 <= record["numbers"]["runs.ernode.test_acc"] <= 1
    again = run_sweeps(sweep, out=root)
    assert again.ran == () and set(again.skipped) == set(first.ran)
    summary = load_sweep("07", "tiny", root=root)
    assert summary is not None and summary.cells == 2 and len(summary.settings) == 1
    acc = summary.setting(classifier__epochs=2)["runs.vanilla.test_acc"]
    assert acc.seeds == (0, 1)
    assert acc.low <= acc.mean <= acc.high and acc.n == 2


def test_local_jobs_run_in_other_processes_and_a_killed_cell_is_all_a_rerun_runs(
    tmp_path: Path,
) -> None:
    """Four cells in four submitit processes; one is killed mid-run; the rerun runs only it."""
    root = _results(tmp_path)
    sweep = _sweep(epochs=(2, 60))
    cells = sweep.cells()
    victim = cells[3]  # seed 1, 60 epochs: a slow cell
    marker = cell_path(victim, root).with_suffix(".started")
    run = run_sweeps(
        sweep,
        out=root,
        executor="local",
        jobs=4,
        timeout_min=20,
        wait=False,
    )
    assert len(run.jobs) == 4
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert time.monotonic() < deadline, "the victim cell never started"
        if run.jobs[3].done():
            raise AssertionError(f"the victim's job ended early: {run.jobs[3].exception()}")
        time.sleep(0.05)
    assert not cell_path(victim, root).exists()
    run.jobs[3].cancel()  # the job of shard 3 holds the victim alone
    for job in run.jobs[:3]:
        job.result()
    # submitit waits up to _results_timeout_s (15 s) for a slow file system to show the result
    # of a job that has ended; the killed job has none, so it need not wait
    run.jobs[3]._results_timeout_s = 0
    with pytest.raises(Exception, match="."):  # submitit: the job was interrupted
        run.jobs[3].result()
    assert missing_cells(cells, root) == (victim,)
    records = {c.key: json.loads(cell_path(c, root).read_text()) for c in cells[:3]}
    assert {r["executor"] for r in records.values()} == {"local"}
    assert os.getpid() not in {r["pid"] for r in records.values()}
    assert len({r["pid"] for r in records.values()}) == 3
    stamps = {c.key: cell_path(c, root).stat().st_mtime_ns for c in cells[:3]}
    rerun = run_sweeps(sweep, out=root)
    assert rerun.ran == (victim.key,)
    assert set(rerun.skipped) == {c.key for c in cells[:3]}
    assert {c.key: cell_path(c, root).stat().st_mtime_ns for c in cells[:3]} == stamps
    assert len(load_cells("07", "tiny", root=root)) == 4


def _fake_slurm(folder: Path) -> None:
    """``sbatch``, ``srun``, ``sacct`` and ``scancel`` stand-ins: sbatch accepts any script."""
    folder.mkdir()
    scripts = {
        "sbatch": '#!/bin/sh\necho "Submitted batch job 4242"\n',
        "srun": "#!/bin/sh\nexit 0\n",
        "sacct": "#!/bin/sh\necho 'JobID|State'\n",
        "scancel": "#!/bin/sh\nexit 0\n",
    }
    for name, text in scripts.items():
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_the_slurm_executor_submits_one_array_job_with_the_requested_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_slurm(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    root = _results(tmp_path)
    logs = tmp_path / "logs"
    run = run_sweeps(
        _sweep(),
        out=root,
        executor="slurm",
        gpus_per_job=1,
        threads=4,
        timeout_min=90,
        partition="gpu",
        array_parallelism=2,
        slurm_options={"account": "theory"},
        logs=logs,
        wait=False,
    )
    assert [j.job_id for j in run.jobs] == [f"4242_{i}" for i in range(4)]
    scripts = list(logs.rglob("*submission.sh"))
    assert len(scripts) == 1
    text = scripts[0].read_text()
    for line in (
        "#SBATCH --array=0-3%2",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --time=90",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=theory",
    ):
        assert line in text, f"{line!r} not in the job script:\n{text}"
    assert "submitit" in text and "srun" in text
    # nothing ran here, so every cell is still missing
    assert len(missing_cells(_sweep().cells(), root)) == 4


def test_result_numbers_keep_numbers_and_small_arrays_only() -> None:
    import numpy as np

    from theorybook.scales import Settings

    class Block(Settings):
        pass

    numbers = result_numbers(
        {
            "a": 1.5,
            "b": float("nan"),
            "c": np.arange(3.0),
            "d": np.zeros(5000),
            "e": "x",
            "f": {"g": np.float32(2.0)},
            "h": Block(),
            "i": [1, 2],
        }
    )
    assert numbers == {"a": 1.5, "b": None, "c": [0.0, 1.0, 2.0], "e": "x", "f.g": 2.0, "i": [1, 2]}


def test_summarize_needs_records() -> None:
    with pytest.raises(ValueError, match="no records"):
        summarize([])


def test_points_are_crossed_with_the_grid_and_a_seed_list_gets_one_seed() -> None:
    from theorybook.sweep_studies import SELECTION_POINTS, distill_selection

    sweep = distill_selection()[0]
    cells = sweep.cells()
    assert len(cells) == 2 * len(SELECTION_POINTS)
    cfg = cells[1].config()
    assert cfg.deep.seeds == (101,) and cfg.deep.selection and cfg.deep.steps == 2
    assert dict(cells[1].settings)["deep.seeds"] == 101
    assert cells[0].key.startswith("seed100_label_noise=0.4_epochs=40_hidden=128_reg_coef=0.0001-")
    with pytest.raises(ValueError, match="points has repeats"):
        Sweep(
            "s",
            "05",
            experiment="run_deep_digits",
            points=(SELECTION_POINTS[0],) * 2,
            seed_setting="deep.seeds",
            seeds=(100,),
            fixed={"deep.selection": True},
        )
    with pytest.raises(ValueError, match="set twice"):
        Sweep(
            "s",
            "05",
            experiment="run_deep_digits",
            points=SELECTION_POINTS[:1],
            grid={"training.epochs": (3,)},
            seed_setting="deep.seeds",
            seeds=(100,),
            fixed={"deep.selection": True},
        )
    # without selection=True the chapter refuses its selection seeds
    with pytest.raises(ValueError, match="selection=True"):
        Sweep("s", "05", experiment="run_deep_digits", seed_setting="deep.seeds", seeds=(100,))


def test_the_selection_rows_read_the_records(tmp_path: Path) -> None:
    from boundary_examples.distill import _selection_rows

    from theorybook.distill import Config, selection_sentence

    rows = _selection_rows()
    assert len(rows) == 1 and rows[0].best_alpha == (0.3, 0.9) and rows[0].interior
    assert rows[0].seeds == (100, 101) and rows[0].is_setting_of(Config.preset("book"))
    assert selection_sentence(rows, Config.preset("book")).startswith(
        "1 of the 1 settings tried kept"
    )


RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.mark.parametrize("name", ["nde-seed-study", "arnet-high-order", "distill-selection"])
def test_every_cell_of_the_recorded_studies_is_recorded_and_loads(name: str) -> None:
    from theorybook.sweep_records import load_sweep
    from theorybook.sweep_studies import study

    for sweep in study(name)():
        assert missing_cells(sweep.cells(), RESULTS) == (), f"{sweep.name} has unrecorded cells"
        summary = load_sweep(sweep.chapter, sweep.name, root=RESULTS)
        assert summary is not None and summary.cells == len(sweep.cells())


def test_the_chapters_read_their_recorded_studies() -> None:
    from theorybook.arnet import load_high_order_record
    from theorybook.distill import load_selection
    from theorybook.nde import load_seed_study

    rows = load_seed_study(root=RESULTS)
    assert rows is not None and {r.experiment for r in rows} == {
        "moons classifier",
        "digits classifier",
        "latent ODE",
        "neural SDE",
    }
    moons = next(r for r in rows if r.experiment == "moons classifier" and r.method == "ernode")
    assert moons.seeds == (0, 1, 2, 3)
    high = load_high_order_record(root=RESULTS)
    assert high is not None and high.result.orders == (100, 300, 1000)
    assert high.result.stpe_arnet.shape == (3, 3)
    selection = load_selection(root=RESULTS)
    assert selection is not None and len(selection) == 9
    assert sum(r.interior for r in selection) >= 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"executor": "inprocess", "jobs": 2}, "local executor only"),
        ({"executor": "local", "partition": "gpu"}, "slurm executor only"),
        ({"executor": "inprocess", "array_parallelism": 4}, "slurm executor only"),
        ({"executor": "local", "slurm_options": {"account": "x"}}, "slurm executor only"),
        ({"executor": "inprocess", "gpus_per_job": 1}, "local and slurm executors"),
    ],
)
def test_an_option_of_another_executor_is_refused(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        run_sweeps(_sweep(), out=_results(tmp_path), **kwargs)


def test_local_job_controllers_take_sigint_when_this_process_ignores_it() -> None:
    """submitit cancels a local job by sending SIGINT to its controller process: started from a
    process that ignores SIGINT (``nohup … &``), the controller would inherit the ignore and the
    job run on. During the submission the started processes get SIGINT's default; this process
    keeps ignoring it."""
    import signal
    import subprocess
    import sys

    from theorybook.sweeps import _children_take_sigint

    probe = [
        sys.executable,
        "-c",
        "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)",
    ]
    before = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        outside = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
        with _children_take_sigint():
            inside = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
            os.kill(os.getpid(), signal.SIGINT)  # this process does not react
        assert (outside.strip(), inside.strip()) == ("False", "True")
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with _children_take_sigint():  # a process that takes SIGINT is left alone
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
