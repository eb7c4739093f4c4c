"""Benchmarks for chapter 4: NTK Gram matrices against neural-tangents, and the jitted recursion.

``--bench gram`` (the default): the ReLU NTK Gram matrix ``K(X, X)`` of ``n`` random unit vectors
in ``R^dim`` at depth ``L``, computed three ways in one run, each timed with
:func:`theorybook.timing.best_of` (median of ``--repeats`` runs after one warm-up):

* ``ntk_gram`` (theorybook): the recursion over the ``n(n − 1)/2`` pairs ``i < j`` only, packed
  into one vector, mirrored, with the analytic diagonal;
* ``ntk_kernel(X, Z)`` with ``Z`` a copy of ``X`` (theorybook): the full ``n × n`` recursion;
* with ``--nt-python PYTHON``: neural-tangents' ``stax`` kernel function, run by that interpreter
  (neural-tangents 0.6.5 pins jax 0.4.23, so it lives in its own environment) as a subprocess on
  the same points (passed through a ``.npy`` file), in float64, jitted, ``x2=None``. The network
  is ``Dense(W_std=√dim)`` then ``L`` times ``Relu, Dense(W_std=√2)``, NTK parameterisation, no
  biases: the chapter's conventions (unit-norm inputs, ``ǎ(1) = 1``), so the kernels agree.

Everything runs on one thread: before JAX is imported the process pins itself to the idlest core
(XLA's CPU client sizes its thread pool from the CPU affinity; the subprocess inherits it) and
``XLA_FLAGS`` gets ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``. The
script prints the medians, the ratios, CPU time over wall time (1.00 on one thread), the largest
differences (off and on the diagonal) and the load average; ``--json PATH`` also writes them to
a file. On a CPU the recursion runs in cache-sized blocks (``theorybook.ntk.kernels.CPU_BLOCK``)
for both theorybook timings.

``--bench jit``: the jitted NNGP recursion (``nngp_kernel``, ``3d_opt``, ``n = 4000``) against a
plain NumPy loop over layers, and the growth of the jitted time when ``n`` and the depth are
halved.

    python benchmarks/bench_ntk.py [--n 2000] [--depth 100] [--repeats 3]
        [--nt-python /tmp/nt-venv/bin/python] [--json results/.../bench_gram.json]
    python benchmarks/bench_ntk.py --bench jit [--n 4000] [--depth 100] [--repeats 3]
"""

from __future__ import annotations

from one_core import pin_to_idlest_core

# One thread: XLA's CPU client sizes its thread pool from the process's CPU affinity (the
# XLA_FLAGS are not enough for JAX 0.10), so the process, and the neural-tangents subprocess
# that inherits it, is pinned to one core before anything imports JAX.
CPU = pin_to_idlest_core()

import argparse  # noqa: E402  (XLA_FLAGS must be set before anything imports JAX)
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from theorybook.ntk import nngp_kernel, nngp_kernel_numpy, ntk_gram, ntk_kernel  # noqa: E402
from theorybook.timing import best_of  # noqa: E402

NT_SCRIPT = r"""
import json, math, sys, time
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
import neural_tangents as nt
from neural_tangents import stax

points, depth, repeats, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
x = jax.numpy.asarray(np.load(points))
layers = [stax.Dense(1, W_std=math.sqrt(x.shape[1]), b_std=None, parameterization="ntk")]
for _ in range(depth):
    layers += [stax.Relu(), stax.Dense(1, W_std=math.sqrt(2.0), b_std=None, parameterization="ntk")]
kernel_fn = jax.jit(stax.serial(*layers)[2], static_argnames="get")
k = kernel_fn(x, None, get="ntk").block_until_ready()
times, cpu = [], time.process_time()
for _ in range(repeats):
    start = time.perf_counter()
    k = kernel_fn(x, None, get="ntk").block_until_ready()
    times.append(time.perf_counter() - start)
cpu = (time.process_time() - cpu) / sum(times)
np.save(out, np.asarray(k, dtype=np.float64))
info = {"times": times, "cpu_over_wall": cpu, "nt": nt.__version__, "jax": jax.__version__}
print(json.dumps(info))
"""


def _median(times: list[float]) -> float:
    ordered = sorted(times)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def _points(n: int, dim: int) -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((n, dim))
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _neural_tangents(python: str, x: np.ndarray, depth: int, repeats: int) -> dict[str, Any]:
    """Time neural-tangents' ReLU NTK Gram matrix in ``python``; its times and its kernel."""
    with tempfile.TemporaryDirectory() as tmp:
        points, out = Path(tmp) / "x.npy", Path(tmp) / "k.npy"
        np.save(points, x)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
        env.pop("PYTHONPATH", None)
        run = subprocess.run(
            [python, "-c", NT_SCRIPT, str(points), str(depth), str(repeats), str(out)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if run.returncode != 0:
            raise RuntimeError(f"the neural-tangents run failed:\n{run.stderr[-3000:]}")
        info: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
        info["kernel"] = np.load(out)
    return info


def bench_gram(args: argparse.Namespace) -> None:
    n = args.n or 2000
    x = _points(n, args.dim)
    copy = x.copy()  # a different array: ntk_kernel runs the full n × n recursion
    normalized = args.activation != "relu"  # other diagonals may overflow at depth 100
    load_before = os.getloadavg()

    def gram() -> np.ndarray:
        return ntk_gram(x, args.depth, args.activation, normalized=normalized)

    def full() -> np.ndarray:
        return ntk_kernel(x, copy, args.depth, args.activation, normalized=normalized)

    gram(), full()  # compile outside the CPU-time measurement
    cpu0, wall0 = time.process_time(), time.perf_counter()
    t_gram = best_of(gram, repeats=args.repeats, warmup=1)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    t_full = best_of(full, repeats=args.repeats, warmup=1)
    cpu2, wall2 = time.process_time(), time.perf_counter()
    k_gram, k_full = gram(), full()
    record: dict[str, Any] = {
        "benchmark": f"NTK Gram matrix, {args.activation}",
        "normalized": normalized,
        "n": n,
        "dim": args.dim,
        "depth": args.depth,
        "dtype": "float64",
        "threads": 1,
        "pinned_cpu": CPU,
        "XLA_FLAGS": os.environ["XLA_FLAGS"],
        "repeats": args.repeats,
        "warmup": 1,
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores",
        "theorybook_gram_s": {"median": t_gram.median, "times": list(t_gram.times)},
        "theorybook_full_s": {"median": t_full.median, "times": list(t_full.times)},
        "ratio_full_over_gram": t_full.median / t_gram.median,
        "cpu_over_wall_gram": (cpu1 - cpu0) / (wall1 - wall0),
        "cpu_over_wall_full": (cpu2 - cpu1) / (wall2 - wall1),
        "max_abs_diff_gram_vs_full": float(np.max(np.abs(k_gram - k_full))),
    }
    print(
        f"{args.activation} NTK Gram matrix: n={n} points in R^{args.dim}, depth={args.depth}, float64, "
        f"one thread (median of {args.repeats} after 1 warm-up)"
    )
    print(
        f"pinned to CPU {CPU}; CPU time / wall time: gram {record['cpu_over_wall_gram']:.2f}, "
        f"full {record['cpu_over_wall_full']:.2f}"
    )
    print(
        f"theorybook ntk_gram (pairs i<j)   : {t_gram.median:8.3f} s  (spread {t_gram.spread:.2f})"
    )
    print(
        f"theorybook ntk_kernel (full n×n)  : {t_full.median:8.3f} s  (spread {t_full.spread:.2f})"
    )
    if args.nt_python:
        info = _neural_tangents(args.nt_python, x, args.depth, args.repeats)
        t_nt = _median(info["times"])
        k_nt = info["kernel"]
        off = ~np.eye(n, dtype=bool)
        delta = np.abs(k_gram - k_nt)
        record.update(
            {
                "neural_tangents": info["nt"],
                "neural_tangents_jax": info["jax"],
                "neural_tangents_s": {"median": t_nt, "times": info["times"]},
                "cpu_over_wall_neural_tangents": info["cpu_over_wall"],
                "ratio_nt_over_gram": t_nt / t_gram.median,
                "ratio_nt_over_full": t_nt / t_full.median,
                "max_abs_diff_gram_vs_nt_off_diagonal": float(np.max(delta[off])),
                "max_rel_diff_gram_vs_nt_off_diagonal": float(
                    np.max(delta[off] / np.abs(k_gram[off]))
                ),
                "max_abs_diff_gram_vs_nt_diagonal": float(np.max(np.diag(delta))),
                "diagonal": float(k_gram[0, 0]),
            }
        )
        spread = max(info["times"]) / min(info["times"])
        print(
            f"neural-tangents {info['nt']} (jax {info['jax']}): "
            f"{t_nt:8.3f} s  (spread {spread:.2f}, CPU time / wall time {info['cpu_over_wall']:.2f})"
        )
    print(f"ratio full / gram                 : {record['ratio_full_over_gram']:8.2f}")
    if args.nt_python:
        print(f"ratio neural-tangents / gram      : {record['ratio_nt_over_gram']:8.2f}")
        print(f"ratio neural-tangents / full      : {record['ratio_nt_over_full']:8.2f}")
    print(f"max |gram − full|                 : {record['max_abs_diff_gram_vs_full']:.2e}")
    if args.nt_python:
        print(
            "max |gram − neural-tangents|, i≠j : "
            f"{record['max_abs_diff_gram_vs_nt_off_diagonal']:.2e} "
            f"(relative {record['max_rel_diff_gram_vs_nt_off_diagonal']:.2e})"
        )
        print(
            "max |gram − neural-tangents|, i=j : "
            f"{record['max_abs_diff_gram_vs_nt_diagonal']:.2e} (ours is the analytic "
            f"{record['diagonal']:.15g}; neural-tangents runs the recursion from ξ = 1)"
        )
    load_after = os.getloadavg()
    record["load_average_before"] = list(load_before)
    record["load_average_after"] = list(load_after)
    print(
        "load average before / after       : "
        + " ".join(f"{v:.2f}" for v in load_before)
        + " / "
        + " ".join(f"{v:.2f}" for v in load_after)
        + f" ({os.cpu_count()} cores)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
        print(f"written to {args.json}")


def bench_jit(args: argparse.Namespace) -> None:
    n = args.n or 4000
    activation = args.activation or "3d_opt"
    x = _points(n, 3)
    z, half = x.copy(), x[: n // 2]  # copies: the full n × n recursion, as the NumPy loop does

    def jitted() -> np.ndarray:
        return nngp_kernel(x, z, args.depth, activation)

    def plain() -> np.ndarray:
        return nngp_kernel_numpy(x, z, args.depth, activation)

    t_jax = best_of(jitted, repeats=args.repeats, warmup=1)
    t_np = best_of(plain, repeats=args.repeats, warmup=1)
    t_half_n = best_of(lambda: nngp_kernel(half, half.copy(), args.depth, activation), repeats=3)
    t_half_d = best_of(lambda: nngp_kernel(x, z, args.depth // 2, activation), repeats=3)
    diff = float(np.max(np.abs(jitted() - plain())))
    print(
        f"n={n} depth={args.depth} activation={activation} (median of {args.repeats} after 1 warm-up)"
    )
    print(f"jitted fori_loop (JAX, float64): {t_jax.median:8.3f} s  (spread {t_jax.spread:.2f})")
    print(f"NumPy loop over layers         : {t_np.median:8.3f} s  (spread {t_np.spread:.2f})")
    print(f"ratio NumPy / JAX              : {t_np.median / t_jax.median:8.2f}")
    print(f"max |difference|               : {diff:.2e}")
    print(f"growth with n (2 expected)     : {math.log2(t_jax.median / t_half_n.median):8.2f}")
    print(f"growth with depth (1 expected) : {math.log2(t_jax.median / t_half_d.median):8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bench", choices=("gram", "jit"), default="gram")
    parser.add_argument("--n", type=int, default=None, help="points (gram: 2000, jit: 4000)")
    parser.add_argument("--dim", type=int, default=3, help="ambient dimension (gram)")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--activation", default=None, help="gram: relu, jit: 3d_opt")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nt-python", default=None, help="a Python with neural-tangents (gram)")
    parser.add_argument("--json", default=None, help="also write the numbers here (gram)")
    args = parser.parse_args()
    if args.bench == "gram":
        args.activation = args.activation or "relu"
        if args.nt_python and args.activation != "relu":
            parser.error("the neural-tangents comparison is for relu only")
        bench_gram(args)
    else:
        bench_jit(args)


if __name__ == "__main__":
    main()
