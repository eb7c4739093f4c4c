"""Run, inspect and summarise the book's sweeps (``theorybook.sweeps``) from the command line.

    python scripts/sweep.py list
    python scripts/sweep.py run nde-seed-study --seeds 3                      # in this process
    python scripts/sweep.py run nde-seed-study --executor local --jobs 2      # two processes
    python scripts/sweep.py run arnet-high-order --executor slurm --partition gpu \\
        --time-min 120 --array-parallelism 8 --slurm-option account=myproject
    python scripts/sweep.py status nde-seed-study
    python scripts/sweep.py summary nde-seed-study --metric runs.ernode.test_nfe

Records go to ``results/<chapter>/sweeps/<sweep>/`` (``--out`` for another ``results`` folder).
A rerun runs only the cells without a record; ``--rerun`` deletes the study's records first.
Study options: ``--seeds`` (nde-seed-study, arnet-high-order), ``--orders`` and ``--n``
(arnet-high-order), ``--chapters`` (paper-chapters).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _study_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if args.study in ("nde-seed-study", "arnet-high-order") and args.seeds is not None:
        kwargs["seeds"] = args.seeds
    if args.study == "arnet-high-order":
        if args.orders:
            kwargs["orders"] = tuple(args.orders)
        if args.n is not None:
            kwargs["n"] = args.n
    if args.study == "paper-chapters" and args.chapters:
        kwargs["chapters"] = tuple(args.chapters)
    return kwargs


def _slurm_options(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--slurm-option takes key=value, got {item!r}")
        out[key.replace("-", "_")] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["list", "run", "status", "summary"])
    parser.add_argument("study", nargs="?")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--orders", type=int, nargs="*")
    parser.add_argument("--n", type=int)
    parser.add_argument("--chapters", nargs="*")
    parser.add_argument("--executor", default="inprocess", choices=["inprocess", "local", "slurm"])
    parser.add_argument("--jobs", type=int, default=1, help="local processes")
    parser.add_argument("--threads", type=int, default=1, help="threads (CPUs) per cell")
    parser.add_argument("--gpus-per-job", type=int, default=0)
    parser.add_argument("--time-min", type=float, default=24 * 60, help="minutes per job")
    parser.add_argument("--partition")
    parser.add_argument("--array-parallelism", type=int)
    parser.add_argument("--slurm-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-wait", action="store_true", help="submit and return")
    parser.add_argument("--rerun", action="store_true", help="delete the study's records first")
    parser.add_argument(
        "--require-cuda", action="store_true", help="refuse to start unless torch sees a GPU"
    )
    parser.add_argument("--metric", action="append", default=[], help="summary: numbers to show")
    args = parser.parse_args(argv)

    from theorybook.runtime import use_book_malloc
    from theorybook.sweep_records import load_sweep
    from theorybook.sweep_studies import STUDIES, study
    from theorybook.sweeps import cell_path, missing_cells, run_sweeps

    use_book_malloc()  # this process and the job processes it starts
    if args.command == "list":
        for name, fn in STUDIES.items():
            print(f"{name}: {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if not args.study:
        parser.error(f"{args.command} needs a study: {', '.join(STUDIES)}")
    sweeps = study(args.study)(**_study_kwargs(args))
    out = args.out.resolve()
    if args.command == "status":
        for s in sweeps:
            cells = s.cells()
            missing = missing_cells(cells, out)
            print(f"{s.chapter}/{s.name}: {len(cells) - len(missing)} of {len(cells)} recorded")
            for c in missing:
                running = cell_path(c, out).with_suffix(".started").exists()
                print(f"  {'started' if running else 'missing'}: {c.key}")
        return 0
    if args.command == "summary":
        for s in sweeps:
            summary = load_sweep(s.chapter, s.name, root=out)
            if summary is None:
                print(f"{s.chapter}/{s.name}: no records")
                continue
            print(f"{s.chapter}/{s.name}: {summary.cells} cells, commits {summary.commits}")
            for metric in args.metric:
                for row in summary.rows(metric):
                    print(f"  {metric}: {row}")
        return 0
    if args.require_cuda:
        import torch

        if not torch.cuda.is_available():
            print(
                "this run needs a CUDA GPU, and torch sees none; nothing was run", file=sys.stderr
            )
            return 2
    if args.rerun:
        for s in sweeps:
            for c in s.cells():
                cell_path(c, out).unlink(missing_ok=True)
    result = run_sweeps(
        sweeps,
        out=out,
        executor=args.executor,
        jobs=args.jobs,
        threads=args.threads,
        gpus_per_job=args.gpus_per_job,
        timeout_min=args.time_min,
        partition=args.partition,
        array_parallelism=args.array_parallelism,
        slurm_options=_slurm_options(args.slurm_option),
        wait=not args.no_wait,
        on_submit=lambda jobs: print(f"submitted {len(jobs)} job(s): {[j.job_id for j in jobs]}"),
    )
    print(
        f"ran {len(result.ran)}, skipped {len(result.skipped)} (recorded before), "
        f"failed {len(result.failed)}"
    )
    for key, error in result.failed:
        print(f"  failed {key}: {error}", file=sys.stderr)
    return 1 if result.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
