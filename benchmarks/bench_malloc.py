"""Benchmark of the book's ``malloc`` settings (``theorybook.runtime.MALLOC_ENV``).

Chapter 3's digits training (``theorybook.lpn.image_models.train_digits_models``: the ConvLPN
and the plain CNN, ``digits.steps`` and ``digits.cnn_steps`` each, book preset unless
``--steps`` shortens both) runs in fresh processes on one core, alternately under the C
library's default ``malloc`` and under the book's settings (``--repeats`` pairs, the order
swapped in every other pair, so that a drift in the machine's speed hits both). Each process
reports its wall time, user and system CPU seconds, minor page faults and its last losses; the
benchmark prints the medians, the ratio of the book settings' wall time to the defaults' (measured
in the same run), and whether the losses agree to the last bit (they must: the settings change
where buffers live, not what is computed).

    python benchmarks/bench_malloc.py --json results/03_learned_proximal_networks/bench_malloc.json
    python benchmarks/bench_malloc.py --steps 300 --repeats 1       # a quick look
"""

from __future__ import annotations

from one_core import pin_to_idlest_core

CPU = pin_to_idlest_core()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

from theorybook.runtime import MALLOC_ENV  # noqa: E402

CHILD = """
import json, resource, sys, time
import torch
from theorybook.lpn import Config
from theorybook.lpn.image_models import train_digits_models
from theorybook.runtime import malloc_policy
torch.set_num_threads(1)
steps = int(sys.argv[1])
cfg = Config.preset("book")
if steps:
    cfg = cfg.replace(**{"digits.steps": steps, "digits.cnn_steps": steps})
start = time.perf_counter()
_, _, hist = train_digits_models(cfg)
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "malloc": malloc_policy(), "wall_s": wall, "user_s": use.ru_utime, "sys_s": use.ru_stime,
    "minor_faults": use.ru_minflt, "steps": [cfg.digits.steps, cfg.digits.cnn_steps],
    "last_losses": [hist["lpn"].losses[-1], hist["cnn"].losses[-1]],
}))
"""


def _run(book_settings: bool, steps: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_ENV}
    if book_settings:
        env.update(MALLOC_ENV)
    env["THEORYBOOK_THREADS"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(steps)], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"the training process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=0, help="steps per model (0: book preset)")
    parser.add_argument("--repeats", type=int, default=2, help="pairs of runs")
    parser.add_argument("--json", type=str, default=None, help="write every number here")
    args = parser.parse_args()
    if args.steps < 0 or args.repeats < 1:
        parser.error("--steps must be >= 0 and --repeats >= 1")
    load_start = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"defaults": [], "book settings": []}
    for pair in range(args.repeats):
        order = (False, True) if pair % 2 == 0 else (True, False)
        for book in order:
            run = _run(book, args.steps)
            runs["book settings" if book else "defaults"].append(run)
            print(
                f"{run['malloc']:>18}: wall {run['wall_s']:7.1f} s, user {run['user_s']:6.1f} s, "
                f"sys {run['sys_s']:5.1f} s, {run['minor_faults']:>9} minor faults",
                flush=True,
            )
    median = {
        name: {
            key: statistics.median(r[key] for r in rs)
            for key in ("wall_s", "user_s", "sys_s", "minor_faults")
        }
        for name, rs in runs.items()
    }
    ratio = median["book settings"]["wall_s"] / median["defaults"]["wall_s"]
    losses = {tuple(r["last_losses"]) for rs in runs.values() for r in rs}
    print(
        f"digits training, core {CPU}: book settings / defaults wall time = {ratio:.2f} "
        f"(medians of {args.repeats}); losses identical: {len(losses) == 1}"
    )
    if args.json:
        record = {
            "benchmark": "bench_malloc",
            "recorded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": CPU,
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
            "malloc_env": MALLOC_ENV,
            "runs": runs,
            "median": median,
            "wall_ratio_book_over_defaults": ratio,
            "losses_identical": len(losses) == 1,
        }
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
