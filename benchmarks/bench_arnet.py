"""Benchmark for chapter 6 (AR-Net): fit time against model order p, all methods in one run.

Least squares (NumPy lstsq with intercept), statsmodels AutoReg (unless ``--no-autoreg``) and
AR-Net (per epoch, and for its full fixed-epoch one-cycle schedule, the budget behind the
chapter's accuracy numbers) on one AR(3) series of N samples, through the chapter's own
``run_timing``: every time is the median of ``--repeats`` runs after one warm-up
(``theorybook.timing.best_of``; AR-Net's warm-up also compiles its scan for that order). Then, at
``--ratio-order`` (default p = 100), the line the chapter quotes: the default AR-Net fit's time
over least squares' and the largest |Δw| between their coefficients, with the time of the first
fit in the process (it starts JAX and compiles the scan) and, with ``--torch``, of the eager
torch trainer on the same fit (autograd, ``torch.optim.AdamW``, ``OneCycleLR``; the trainer
AR-Net's own layer used before the compiled scan).

Everything runs on one core: the process pins itself to the idlest core before it imports NumPy,
torch or JAX (``one_core.py``: XLA's CPU threads follow the affinity), with one torch thread and
one BLAS thread (``threadpoolctl``), so least squares and AR-Net share the core and the load.
``--json PATH`` writes every number, the load average at start and end, and the core.

    python benchmarks/bench_arnet.py --no-autoreg --torch --json results/06_ar_net/bench_n1e5.json
    python benchmarks/bench_arnet.py --n 20000 --orders 10 100 --repeats 3
"""

from __future__ import annotations

from one_core import pin_to_idlest_core

CPU = pin_to_idlest_core()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from theorybook.arnet import AR3_WEIGHTS, Config, Timing, fit_arnet, generate_ar  # noqa: E402
from theorybook.arnet import fit as fit_module  # noqa: E402
from theorybook.arnet.baselines import _fit_least_squares  # noqa: E402
from theorybook.arnet.experiments import run_timing  # noqa: E402
from theorybook.reporting import environment_report  # noqa: E402
from theorybook.runtime import torch_threads  # noqa: E402
from theorybook.timing import best_of  # noqa: E402


def _default_fit(y: np.ndarray, p: int, epochs: int) -> Any:
    return fit_arnet(y, p, sparsity=3 / p if p > 3 else None, epochs=epochs)


def ratio_line(args: argparse.Namespace, y: np.ndarray) -> dict[str, Any]:
    """The default fit against least squares at ``args.ratio_order`` (first, in a fresh process:
    its first fit starts JAX and compiles the scan)."""
    p, epochs = args.ratio_order, args.max_epochs
    start = time.perf_counter()
    first = _default_fit(y, p, epochs)
    first_s = time.perf_counter() - start
    net = best_of(lambda: _default_fit(y, p, epochs), repeats=args.repeats, warmup=0)
    ls_time = best_of(lambda: _fit_least_squares(y, p), repeats=args.repeats, warmup=1)
    ls = _fit_least_squares(y, p)
    out: dict[str, Any] = {
        "ratio_order": p,
        "arnet_s": net.median,
        "arnet_times": list(net.times),
        "arnet_first_fit_s": first_s,
        "lstsq_s": ls_time.median,
        "lstsq_times": list(ls_time.times),
        "arnet_over_lstsq": net.median / ls_time.median,
        "max_abs_dw": float(np.max(np.abs(first.coef - ls.coef))),
    }
    if args.torch:
        eager = fit_module._compiled_fit
        fit_module._compiled_fit = lambda *_: False  # the torch trainer for the same fit
        try:
            ref = _default_fit(y, p, epochs)
            torch_time = best_of(lambda: _default_fit(y, p, epochs), repeats=args.repeats)
        finally:
            fit_module._compiled_fit = eager
        out |= {
            "torch_s": torch_time.median,
            "torch_times": list(torch_time.times),
            "torch_over_lstsq": torch_time.median / ls_time.median,
            "torch_max_abs_dw": float(np.max(np.abs(ref.coef - ls.coef))),
            "max_abs_dw_compiled_vs_torch": float(np.max(np.abs(first.coef - ref.coef))),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--orders", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--ratio-order", type=int, default=100)
    parser.add_argument("--torch", action="store_true", help="also time the eager torch trainer")
    parser.add_argument("--no-autoreg", action="store_true", help="skip statsmodels AutoReg")
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args()

    env = environment_report(include_jax=False)
    load_start = os.getloadavg()
    print(
        f"CPU {env.cpu} ({env.cpu_count} cores), pinned to core {CPU}, one torch and one BLAS "
        f"thread, load average {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}"
    )
    y = generate_ar(np.asarray(AR3_WEIGHTS), args.n, seed=0)
    with torch_threads(1), threadpool_limits(limits=1, user_api="blas"):
        line = ratio_line(args, y)
        timing = Timing(
            orders=tuple(args.orders),
            n=args.n,
            repeats=args.repeats,
            epochs=args.max_epochs,
            autoreg=not args.no_autoreg,
        )
        res = run_timing(Config.preset("book").replace(timing=timing))
    load_end = os.getloadavg()

    print(f"N = {res.n}, median of {res.repeats} runs after one warm-up")
    print(
        f"{'p':>6} {'lstsq s':>9} {'AutoReg s':>10} {'AR-Net/epoch s':>15} "
        f"{'AR-Net full s':>14} {'epoch/lstsq':>12} {'full/lstsq':>11}"
    )
    for i, p in enumerate(res.orders):
        print(
            f"{p:>6} {res.lstsq[i]:>9.3f} {res.autoreg[i]:>10.3f} {res.arnet_epoch[i]:>15.4f} "
            f"{res.arnet_full[i]:>14.3f} {res.arnet_epoch[i] / res.lstsq[i]:>12.3f} "
            f"{res.arnet_full[i] / res.lstsq[i]:>11.3f}"
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
    p = line["ratio_order"]
    print(
        f"default fit at p = {p}: AR-Net {line['arnet_s']:.3f} s, least squares "
        f"{line['lstsq_s']:.3f} s, ratio {line['arnet_over_lstsq']:.3f}; max |dw| "
        f"{line['max_abs_dw']:.4f}; first fit in the process (starts JAX, compiles) "
        f"{line['arnet_first_fit_s']:.2f} s"
    )
    if args.torch:
        print(
            f"eager torch trainer at p = {p}: {line['torch_s']:.3f} s, ratio "
            f"{line['torch_over_lstsq']:.3f}; max |dw| {line['torch_max_abs_dw']:.4f}; "
            f"max |compiled - torch| {line['max_abs_dw_compiled_vs_torch']:.2e}"
        )
    print("load average at start / end: " + " ".join(f"{v:.2f}" for v in (*load_start, *load_end)))
    if args.json:
        record = {
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
            **line,
            "threads": 1,
            "pinned_cpu": CPU,
            "cpu": env.cpu,
            "cpu_count": env.cpu_count,
            "load_average_start": list(load_start),
            "load_average_end": list(load_end),
            "recorded_on": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with open(args.json, "w") as fh:
            json.dump(record, fh, indent=2)
            fh.write("\n")
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
