"""Benchmark for chapter 6 (AR-Net): fit time against model order p, all methods in one run.

Least squares (NumPy lstsq with intercept), statsmodels AutoReg and AR-Net (per epoch, and for its
full 10-epoch one-cycle schedule, the budget behind the chapter's accuracy numbers) on one AR(3)
series of N samples.
Prints absolute times and the ratios time(p_max) / time(p_min) and AR-Net / least squares, which
are comparable across machines only as ratios measured in the same run.

    python benchmarks/bench_arnet.py                # N = 1e5, p in 10 100 300 1000
    python benchmarks/bench_arnet.py --n 20000 --orders 10 100 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os

import torch

from theorybook.arnet import Config
from theorybook.arnet.experiments import run_timing
from theorybook.runtime import environment_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--orders", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args()

    env = environment_report(include_jax=False)
    print(
        f"CPU {env.cpu} ({env.cpu_count} cores), torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    cfg = Config.preset("book").replace(timing_max_epochs=args.max_epochs)
    res = run_timing(cfg, orders=args.orders, n=args.n, repeats=args.repeats, progress=False)
    header = (
        f"{'p':>6} {'lstsq s':>9} {'AutoReg s':>10} {'AR-Net/epoch s':>15} "
        f"{'AR-Net full s':>14} {'epochs':>7} {'full/lstsq':>11}"
    )
    print(f"N = {res.n}")
    print(header)
    for i, p in enumerate(res.orders):
        print(
            f"{p:>6} {res.lstsq[i]:>9.3f} {res.autoreg[i]:>10.3f} {res.arnet_epoch[i]:>15.3f} "
            f"{res.arnet_converged[i]:>14.3f} {res.arnet_epochs[i]:>7d} "
            f"{res.arnet_converged[i] / res.lstsq[i]:>11.2f}"
        )
    lo, hi = res.orders[0], res.orders[-1]
    ratios = {
        name: res.ratio(name) for name in ("lstsq", "autoreg", "arnet_epoch", "arnet_converged")
    }
    print(
        f"ratio time(p={hi}) / time(p={lo}): "
        + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items())
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "n": res.n,
                    "orders": list(res.orders),
                    "lstsq": res.lstsq.tolist(),
                    "autoreg": res.autoreg.tolist(),
                    "arnet_epoch": res.arnet_epoch.tolist(),
                    "arnet_converged": res.arnet_converged.tolist(),
                    "arnet_epochs": res.arnet_epochs.tolist(),
                    "ratios": ratios,
                    "cpu": env.cpu,
                    "cpu_count": env.cpu_count,
                },
                fh,
                indent=2,
            )


if __name__ == "__main__":
    main()
