"""Benchmark of chapter 7: wall-time and NFE ratios measured in one run.

Prints, for the circles classifier at the chosen scale (``THEORYBOOK_SCALE``, default book):
training-time, prediction-time and test-NFE ratios ERNODE/vanilla, SRNODE/vanilla and STEER/vanilla
(PyTorch + torchdiffeq), and the per-iteration training-time ratios ERNODE/vanilla and TayNODE/vanilla
(JAX + diffrax, same model and solver). ``--overhead`` instead times, for every torchdiffeq
adaptive method, one forward and backward pass of :func:`~theorybook.nde.solver_torch.regularized_odeint`
against plain ``torchdiffeq.odeint`` on the same random MLP field (median of repeated runs in this
process, :func:`theorybook.timing.best_of`): the cost of recording ``R_E``/``R_S``.
Usage: ``python benchmarks/bench_nde.py [--overhead] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json

from theorybook.nde import Config
from theorybook.nde.experiments import run_circles, run_taynode_comparison
from theorybook.reporting import environment_report
from theorybook.scales import scale


def recording_overhead(repeats: int = 41) -> dict[str, float]:
    """Median time ratio regularized/plain (forward + backward) for each adaptive method."""
    import torch
    from torchdiffeq import odeint

    from theorybook.nde.solver_torch import ADAPTIVE_METHODS, regularized_odeint
    from theorybook.nde.train_torch import ODEFunc
    from theorybook.runtime import torch_threads
    from theorybook.timing import best_of

    out: dict[str, float] = {}
    with torch_threads(1):
        torch.manual_seed(0)
        field = ODEFunc(2, 64)
        x = 2 * torch.randn(256, 2)
        t = torch.tensor([0.0, 1.0], dtype=torch.float64)
        for method in ADAPTIVE_METHODS:

            def plain(m: str = method) -> None:
                ys = odeint(field, x, t, rtol=1e-5, atol=1e-5, method=m)
                ys[-1].pow(2).mean().backward()

            def recorded(m: str = method) -> None:
                ys, st = regularized_odeint(
                    field, x, t, method=m, rtol=1e-5, atol=1e-5, land_on_end=False
                )
                (ys[-1].pow(2).mean() + st.error_estimate).backward()

            base = best_of(plain, repeats=repeats).median
            out[f"torch {method} regularized/plain time"] = (
                best_of(recorded, repeats=repeats).median / base
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    parser.add_argument(
        "--overhead", action="store_true", help="time the recording overhead per method only"
    )
    args = parser.parse_args()
    if args.overhead:
        print(environment_report())
        res = recording_overhead()
        width = max(map(len, res))
        for k, val in res.items():
            print(f"{k:<{width}}  {val:8.3f}")
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(res, fh, indent=2)
        return
    cfg = Config.preset(scale()).replace(
        **{"classifier.lam_sweep": (10.0,), "jax.methods": ("vanilla", "ernode", "taynode")},
        seeds=(),
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
