"""Execute one chapter notebook into the book's execution cache, exactly as ``make book`` would.

``make book`` runs this script on every chapter, ``JOBS`` at a time (``xargs -P``), before it
builds the pages: Jupyter Book then finds every chapter's outputs in the cache
(``_build/.jupyter_cache``) and only renders. The execution is myst-nb's own (jupyter-cache's
``single_nb_execution`` in the notebook's folder, with the timeout and error policy of
``_config.yml``), so a page built from a parallel run is the page a serial build makes. A chapter
already in the cache is not run again.

    python scripts/execute_chapter.py --prepare            # once, before the parallel jobs
    python scripts/execute_chapter.py chapters/06_ar_net.ipynb

One thread per job: when ``make book`` runs more than one chapter at a time it passes the number
of jobs (``THEORYBOOK_JOBS``) and each job's slot (``THEORYBOOK_JOB_SLOT``, from ``xargs
--process-slot-var``), and the job pins itself to one core, the slot-th of those it may use
(:func:`pin_to_job_core`), before anything starts the notebook's kernel, which inherits the
affinity. ``THEORYBOOK_THREADS=1`` holds torch to one thread, but XLA's CPU client (JAX 0.10)
sizes its thread pool from the cores the process may use and ignores the one-thread ``XLA_FLAGS``;
pinned, every thread of the kernel, JAX's and torch's included, runs on that one core, and two jobs
run on two cores. ``make book JOBS=1`` pins its one job too, so a sequential build computes what a
parallel one does; the script run by hand (no ``THEORYBOOK_JOBS``) is not pinned. The kernel
also starts under the book's ``malloc`` settings (:func:`theorybook.runtime.use_book_malloc`).

Exits non-zero, printing the failing cell's traceback, if the notebook raises.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
JOBS_ENV_VAR = "THEORYBOOK_JOBS"
SLOT_ENV_VAR = "THEORYBOOK_JOB_SLOT"


def pin_to_job_core(slot: int, jobs: int) -> int | None:
    """Within ``make book`` (``jobs`` ≥ 1, however many at a time), pin this process (and every
    process and thread it starts later) to one core: the ``slot``-th of the cores it may use,
    counting round. A sequential build (``JOBS=1``) is pinned too, so that XLA runs each chapter
    on one thread whatever ``JOBS`` is and a chapter computes the same numbers, to the last bit,
    in a parallel and a sequential build (unpinned, XLA's CPU client used every core and
    reductions came out in another order). Returns the core, or ``None`` when nothing was pinned
    (``jobs = 0``: the script run by hand, outside ``make book``; or no ``sched_setaffinity``)."""
    if jobs < 0:
        raise ValueError(f"the number of jobs must be >= 0, got {jobs}")
    if jobs == 0 or not hasattr(os, "sched_setaffinity"):
        return None
    if slot < 0:
        raise ValueError(f"the job slot must be >= 0, got {slot}")
    allowed = sorted(os.sched_getaffinity(0))
    core = allowed[slot % len(allowed)]
    os.sched_setaffinity(0, {core})
    return core


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


def _execution_settings() -> tuple[int, bool]:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config.get("execute", {})
    return int(execute.get("timeout", 900)), bool(execute.get("allow_errors", False))


def execute(path: Path) -> int:
    """Execute ``path`` into the cache unless it is cached already; return a process exit code."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    path = path.resolve()
    cache = get_cache(str(CACHE))
    notebook = nbformat.read(path, as_version=4)
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:
        record = None
    if record is not None:
        print(f"{path.stem}: cached ({record.data.get('execution_seconds', 0):.0f} s)", flush=True)
        return 0
    timeout, allow_errors = _execution_settings()
    start = time.perf_counter()
    result = single_nb_execution(
        notebook,
        cwd=str(path.parent),
        timeout=timeout,
        allow_errors=allow_errors,
        meta_override=True,
    )
    if result.err is not None:
        print(f"{path.stem}: FAILED after {time.perf_counter() - start:.0f} s", flush=True)
        print(result.exc_string, file=sys.stderr)
        return 1
    cache.cache_notebook_bundle(
        CacheBundleIn(notebook, str(path), data={"execution_seconds": result.time}),
        check_validity=False,
        overwrite=True,
    )
    print(f"{path.stem}: executed in {result.time:.0f} s", flush=True)
    return 0


def prepare() -> int:
    """Create the cache and its database, so that parallel jobs do not race to create them."""
    from jupyter_cache import get_cache

    get_cache(str(CACHE)).list_cache_records()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook", type=Path, nargs="?")
    parser.add_argument("--prepare", action="store_true", help="create the cache and exit")
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare()
    if args.notebook is None:
        parser.error("name a notebook, or pass --prepare")
    if not args.notebook.is_file():
        parser.error(f"no notebook at {args.notebook}")
    from theorybook.runtime import use_book_malloc

    use_book_malloc()  # the kernel inherits the variables
    core = pin_to_job_core(_env_int(SLOT_ENV_VAR, 0), _env_int(JOBS_ENV_VAR, 0))
    if core is not None:
        print(f"{args.notebook.stem}: pinned to core {core}", flush=True)
    return execute(args.notebook)


if __name__ == "__main__":
    raise SystemExit(main())
