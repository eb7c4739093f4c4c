"""Execute one chapter notebook into the book's execution cache, exactly as ``make book`` would.

``make book`` runs this script on every chapter, ``JOBS`` at a time (``xargs -P``), before it
builds the pages: Jupyter Book then finds every chapter's outputs in the cache
(``_build/.jupyter_cache``) and only renders. The execution is myst-nb's own (jupyter-cache's
``single_nb_execution`` in the notebook's folder, with the timeout and error policy of
``_config.yml``), so a page built from a parallel run is the page a serial build makes. A chapter
already in the cache is not run again.

    python scripts/execute_chapter.py --prepare            # once, before the parallel jobs
    python scripts/execute_chapter.py chapters/06_ar_net.ipynb

Exits non-zero, printing the failing cell's traceback, if the notebook raises.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"


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
    return execute(args.notebook)


if __name__ == "__main__":
    raise SystemExit(main())
