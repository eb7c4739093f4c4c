"""`make book`'s parallel chapter jobs hold JAX (and torch) to one core each.

``scripts/execute_chapter.py`` pins a job to one core, chosen by its xargs slot, however many
chapters run at a time; the notebook's kernel, a subprocess, inherits the affinity. The probe
below is such a job's process: pinned the same way, it runs a JAX computation (which starts XLA's
CPU client and its thread pool) and a torch one, then reports the affinity of every thread it has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "execute_chapter.py"

PROBE = r"""
import json, os, runpy, sys
job = runpy.run_path(sys.argv[1])  # the script's functions, without running its main
core = job["pin_to_job_core"](int(sys.argv[2]), int(sys.argv[3]))
import jax, jax.numpy as jnp, torch
x = jnp.ones((256, 256))
(x @ x).block_until_ready()
torch.ones(256, 256) @ torch.ones(256, 256)
masks = {}
for tid in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{tid}/status") as status:
        for line in status:
            if line.startswith("Cpus_allowed_list:"):
                masks[tid] = line.split(":", 1)[1].strip()
print(json.dumps({"core": core, "affinity": sorted(os.sched_getaffinity(0)), "masks": masks,
                  "devices": len(jax.devices("cpu"))}))
"""

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or not Path("/proc/self/task").is_dir(),
    reason="CPU affinity is a Linux feature",
)


def _probe(slot: int, jobs: int) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # the flags alone don't pin
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(SCRIPT), str(slot), str(jobs)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "JAX_PLATFORMS": "cpu"},
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def test_a_parallel_job_runs_jax_and_torch_on_one_core() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    first, second = _probe(0, 2), _probe(1, 2)
    for slot, out in ((0, first), (1, second)):
        core = allowed[slot % len(allowed)]
        assert out["core"] == core and out["affinity"] == [core]
        masks = out["masks"]
        assert isinstance(masks, dict) and len(masks) > 1  # XLA's and torch's threads exist ...
        assert set(masks.values()) == {str(core)}  # ... and every one is held to that core
    if len(allowed) > 1:
        assert first["core"] != second["core"]  # two jobs, two cores


def test_a_sequential_build_pins_its_job_too() -> None:
    """``make book JOBS=1``: one job, still on one core, so XLA computes what it does in a
    parallel build (on every core its reductions came out in another order)."""
    allowed = sorted(os.sched_getaffinity(0))
    out = _probe(0, 1)
    assert out["core"] == allowed[0] and out["affinity"] == [allowed[0]]
    masks = out["masks"]
    assert isinstance(masks, dict) and set(masks.values()) == {str(allowed[0])}


def test_the_script_run_by_hand_is_not_pinned() -> None:
    out = _probe(0, 0)
    assert out["core"] is None and out["affinity"] == sorted(os.sched_getaffinity(0))


def test_make_book_passes_the_jobs_and_each_job_its_slot() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "THEORYBOOK_JOBS=$(JOBS)" in makefile
    assert "--process-slot-var=THEORYBOOK_JOB_SLOT" in makefile
    script = SCRIPT.read_text()
    assert 'SLOT_ENV_VAR = "THEORYBOOK_JOB_SLOT"' in script
    assert 'JOBS_ENV_VAR = "THEORYBOOK_JOBS"' in script


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "", "2 3"])
def test_make_refuses_a_jobs_value_that_is_not_a_whole_number_of_at_least_one(jobs: str) -> None:
    """``xargs -P 0`` would start every chapter at once, unpinned: JOBS is checked first."""
    run = subprocess.run(
        ["make", "-n", "help", f"JOBS={jobs}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0 and "JOBS must be a whole number >= 1" in run.stderr


def test_make_takes_a_whole_number_of_jobs() -> None:
    run = subprocess.run(
        ["make", "-n", "help", "JOBS=1"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr


def _book_order(*extra: str) -> list[str]:
    args = ["make", "--no-print-directory", "--eval", "show-order: ; @echo $(BOOK_ORDER)"]
    if extra:
        args.append("NOTEBOOKS=" + " ".join(extra))
    run = subprocess.run(
        [*args, "show-order"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return run.stdout.split()


def test_the_book_executes_every_chapter_once_longest_first() -> None:
    """``make book`` hands xargs every notebook exactly once, chapter 3 (the longest) first; a
    chapter the order does not list still runs, last."""
    order = _book_order()
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chapters").glob("*.ipynb"))
    assert sorted(order) == notebooks
    assert order[0].startswith("chapters/03_")
    assert _book_order("chapters/09_new.ipynb", "chapters/06_b.ipynb", "chapters/03_a.ipynb") == [
        "chapters/03_a.ipynb",
        "chapters/06_b.ipynb",
        "chapters/09_new.ipynb",
    ]
