"""Benchmark of chapter 7: wall-time and NFE ratios measured in one run.

Prints, for the circles classifier at the chosen scale (``THEORYBOOK_SCALE``, default book):
training-time, prediction-time and test-NFE ratios ERNODE/vanilla, SRNODE/vanilla and STEER/vanilla
(PyTorch + torchdiffeq), and the per-iteration training-time ratios ERNODE/vanilla and TayNODE/vanilla
(JAX + diffrax, same model and solver). Usage: ``python benchmarks/bench_nde.py [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json

from theorybook.nde import Config
from theorybook.nde.experiments import run_circles, run_taynode_comparison
from theorybook.runtime import environment_report, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    cfg = Config.preset(scale()).replace(
        lam_sweep=(10.0,), seeds=(), jax_methods=("vanilla", "ernode", "taynode")
    )
    print(environment_report())
    circles = run_circles(cfg)
    v = circles.runs["vanilla"]
    out: dict[str, float] = {}
    for name in ("ernode", "srnode", "steer"):
        r = circles.runs[name]
        out[f"torch {name}/vanilla train time"] = r.train_seconds / v.train_seconds
        out[f"torch {name}/vanilla predict time"] = r.predict_seconds / v.predict_seconds
        out[f"torch {name}/vanilla test NFE"] = r.test_nfe / v.test_nfe
        out[f"torch {name} - vanilla test acc"] = r.test_acc - v.test_acc
    jr = run_taynode_comparison(cfg)
    for name in ("ernode", "taynode"):
        out[f"jax {name}/vanilla s per iteration"] = (
            jr[name].iter_seconds / jr["vanilla"].iter_seconds
        )
        out[f"jax {name}/vanilla test NFE"] = jr[name].test_nfe / jr["vanilla"].test_nfe
    out["jax taynode/ernode s per iteration"] = (
        jr["taynode"].iter_seconds / jr["ernode"].iter_seconds
    )
    width = max(map(len, out))
    for k, val in out.items():
        print(f"{k:<{width}}  {val:8.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"scale": scale(), **out}, fh, indent=2)


if __name__ == "__main__":
    main()
