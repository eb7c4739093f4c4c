"""Benchmark for chapter 6 (AR-Net): fit time against model order p, all methods in one run.

Least squares (NumPy lstsq with intercept), statsmodels AutoReg and AR-Net (per epoch, and for its
full fixed-epoch one-cycle schedule, the budget behind the chapter's accuracy numbers) on one AR(3)
series of N samples. Every time is the median of ``--repeats`` runs
(``theorybook.timing.best_of``). Prints absolute times, the ratios time(p_max) / time(p_min), the
per-epoch ratio AR-Net / least squares, and the smallest order timed at which a full AR-Net fit
is no slower than least squares (the crossover), all measured in the same run.

    python benchmarks/bench_arnet.py                # N = 1e5, p in 10 100 300 1000
    python benchmarks/bench_arnet.py --n 20000 --orders 10 100 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os

import torch

from theorybook.arnet import Config, Timing
from theorybook.arnet.experiments import run_timing
from theorybook.reporting import environment_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--orders", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--no-autoreg", action="store_true", help="skip statsmodels AutoReg")
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args()

    env = environment_report(include_jax=False)
    print(
        f"CPU {env.cpu} ({env.cpu_count} cores), torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    timing = Timing(
        orders=tuple(args.orders),
        n=args.n,
        repeats=args.repeats,
        epochs=args.max_epochs,
        autoreg=not args.no_autoreg,
    )
    res = run_timing(Config.preset("book").replace(timing=timing))
    print(f"N = {res.n}, median of {res.repeats} runs")
    print(
        f"{'p':>6} {'lstsq s':>9} {'AutoReg s':>10} {'AR-Net/epoch s':>15} "
        f"{'AR-Net full s':>14} {'epoch/lstsq':>12} {'full/lstsq':>11}"
    )
    for i, p in enumerate(res.orders):
        print(
            f"{p:>6} {res.lstsq[i]:>9.3f} {res.autoreg[i]:>10.3f} {res.arnet_epoch[i]:>15.3f} "
            f"{res.arnet_full[i]:>14.3f} {res.arnet_epoch[i] / res.lstsq[i]:>12.2f} "
            f"{res.arnet_full[i] / res.lstsq[i]:>11.2f}"
        )
    lo, hi = res.orders[0], res.orders[-1]
    ratios = {name: res.ratio(name) for name in ("lstsq", "autoreg", "arnet_epoch", "arnet_full")}
    print(
        f"ratio time(p={hi}) / time(p={lo}): "
        + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items())
    )
    crossover = res.crossover
    print(
        f"crossover (smallest p timed with a full {res.epochs}-epoch AR-Net fit no slower than "
        f"least squares): {crossover if crossover is not None else f'none up to p = {hi}'}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "n": res.n,
                    "repeats": res.repeats,
                    "epochs": res.epochs,
                    "orders": list(res.orders),
                    "lstsq": res.lstsq.tolist(),
                    "autoreg": res.autoreg.tolist(),
                    "arnet_epoch": res.arnet_epoch.tolist(),
                    "arnet_full": res.arnet_full.tolist(),
                    "lstsq_spread": res.lstsq_spread.tolist(),
                    "arnet_spread": res.arnet_spread.tolist(),
                    "ratios": ratios,
                    "crossover_p": crossover,
                    "cpu": env.cpu,
                    "cpu_count": env.cpu_count,
                },
                fh,
                indent=2,
            )


if __name__ == "__main__":
    main()
