"""Execute chapter notebooks at one scale and write a manifest per chapter into ``results/``.

For determinism checks (two smoke runs must give the same claim statuses) and before/after
comparisons of a change (``make test-gpu`` runs the ``paper-chapters`` sweep instead:
``scripts/sweep.py``)::

    python scripts/run_chapters.py --scale paper --chapters 06 07 --require-cuda
    python scripts/run_chapters.py --scale smoke --out /tmp/run1
    python scripts/run_chapters.py --scale book --pipeline --out /tmp/claims

``--pipeline`` skips the notebooks and runs each chapter's pipeline directly, the same path the
notebook and the tests take (:meth:`theorybook.chapters.Chapter.run`: ``run_all`` then
``chapter_claims``): the claims without the figures and prose, somewhat faster.

Each run executes the notebook from a clean kernel (nbclient), then writes
``<out>/<chapter>/<scale>-<UTC time>.json`` with the environment (scale, hardware, versions,
commit), the wall time, and the chapter's claims records (read from the displayed claims table).
The script exits non-zero if any notebook fails, after running the others. Pipelines and
kernels run under the book's ``malloc`` settings (:func:`theorybook.runtime.use_book_malloc`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _select(chapters: list[str]) -> list[Path]:
    notebooks = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if not chapters:
        return notebooks
    chosen = [nb for nb in notebooks if any(nb.stem.startswith(c) for c in chapters)]
    unknown = [c for c in chapters if not any(nb.stem.startswith(c) for nb in notebooks)]
    if unknown:
        names = ", ".join(nb.stem for nb in notebooks)
        raise SystemExit(f"no chapter matches {unknown}; chapters: {names}")
    return chosen


def _write_manifest(
    path: Path,
    *,
    scale: str,
    out: Path,
    wall: float,
    error: str | None,
    claims: list[dict[str, object]],
    mode: str,
) -> bool:
    """Write ``<out>/<chapter>/<scale>[-pipeline]-<UTC time>.json`` and print one line."""
    from theorybook.reporting import environment_report

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    manifest = {
        "chapter": path.stem,
        "scale": scale,
        "mode": mode,
        "wall_seconds": round(wall, 1),
        "ok": error is None,
        "error": error,
        "claims": claims,
        "environment": environment_report().as_dict(),
    }
    suffix = "-pipeline" if mode == "pipeline" else ""
    target = out / path.stem / f"{scale}{suffix}-{stamp}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
    status = "ok" if error is None else "FAILED"
    print(f"{path.stem}: {status} in {wall:.0f} s -> {target}", flush=True)
    if error:
        print(error, file=sys.stderr)
    return error is None


def run_one(path: Path, *, scale: str, out: Path, timeout: int) -> bool:
    """Execute one chapter's notebook from a clean kernel and write its manifest."""
    from theorybook.sweep_measures import execute_notebook

    os.environ.setdefault("THEORYBOOK_PROGRESS", "off")
    run = execute_notebook(path.stem, scale, timeout=timeout)
    return _write_manifest(
        path,
        scale=scale,
        out=out,
        wall=run.wall_seconds,
        error=run.error or None,
        claims=[dict(c) for c in run.claims],
        mode="notebook",
    )


def run_pipeline(path: Path, *, scale: str, out: Path) -> bool:
    """Run one chapter's pipeline (no notebook) and write its manifest."""
    from theorybook.chapters import chapter

    os.environ["THEORYBOOK_SCALE"] = scale
    os.environ.setdefault("THEORYBOOK_PROGRESS", "off")
    start = time.perf_counter()
    error, records = None, []
    try:
        run = chapter(path.stem).run(scale=scale)
        records = run.table.records()
    except Exception as err:  # report and go on with the other chapters
        error = f"{type(err).__name__}: {str(err)[-2000:]}"
    wall = time.perf_counter() - start
    return _write_manifest(
        path, scale=scale, out=out, wall=wall, error=error, claims=records, mode="pipeline"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="paper", choices=["smoke", "book", "paper"])
    parser.add_argument(
        "--chapters",
        nargs="*",
        default=[],
        help="chapter number prefixes (e.g. 06 07); default: all",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="run each chapter's run_all and chapter_claims directly, without its notebook",
    )
    parser.add_argument(
        "--require-cuda", action="store_true", help="refuse to start unless torch sees a CUDA GPU"
    )
    args = parser.parse_args(argv)
    from theorybook.runtime import use_book_malloc

    use_book_malloc()  # for the pipelines run here and the notebook kernels started from here
    if args.require_cuda:
        import torch

        if not torch.cuda.is_available():
            print(
                "make test-gpu needs a CUDA GPU, and torch sees none "
                "(torch.cuda.is_available() is False). Nothing was run.",
                file=sys.stderr,
            )
            return 2
    if args.pipeline:
        ok = [
            run_pipeline(nb, scale=args.scale, out=args.out.resolve())
            for nb in _select(args.chapters)
        ]
    else:
        ok = [
            run_one(nb, scale=args.scale, out=args.out.resolve(), timeout=args.timeout)
            for nb in _select(args.chapters)
        ]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
