"""Benchmark for chapter 4: the jitted NNGP depth recursion against a plain NumPy loop.

``nngp_kernel`` runs the layers in one jitted ``lax.fori_loop`` (float64); ``nngp_kernel_numpy``
loops over layers in Python with NumPy. Both compute the ``n × n`` kernel of ``n`` random unit
vectors in ``R^3`` for the ``3d_opt`` activation, in the same process, timed with
:func:`theorybook.timing.best_of` (median of ``--repeats`` runs after one warm-up). The script
prints both medians, their ratio, the largest difference, and the growth of the jitted time when
``n`` and the depth are halved.

    python benchmarks/bench_ntk.py [--n 4000] [--depth 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from theorybook.ntk import nngp_kernel, nngp_kernel_numpy
from theorybook.timing import best_of


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--activation", default="3d_opt")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    x = np.random.default_rng(0).standard_normal((args.n, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    half = x[: args.n // 2]

    def jitted() -> np.ndarray:
        return nngp_kernel(x, x, args.depth, args.activation)

    def plain() -> np.ndarray:
        return nngp_kernel_numpy(x, x, args.depth, args.activation)

    t_jax = best_of(jitted, repeats=args.repeats, warmup=1)
    t_np = best_of(plain, repeats=args.repeats, warmup=1)
    t_half_n = best_of(lambda: nngp_kernel(half, half, args.depth, args.activation), repeats=3)
    t_half_d = best_of(lambda: nngp_kernel(x, x, args.depth // 2, args.activation), repeats=3)
    diff = float(np.max(np.abs(jitted() - plain())))
    print(
        f"n={args.n} depth={args.depth} activation={args.activation} "
        f"(median of {args.repeats} after 1 warm-up)"
    )
    print(f"jitted fori_loop (JAX, float64): {t_jax.median:8.3f} s  (spread {t_jax.spread:.2f})")
    print(f"NumPy loop over layers         : {t_np.median:8.3f} s  (spread {t_np.spread:.2f})")
    print(f"ratio NumPy / JAX              : {t_np.median / t_jax.median:8.2f}")
    print(f"max |difference|               : {diff:.2e}")
    print(f"growth with n (2 expected)     : {math.log2(t_jax.median / t_half_n.median):8.2f}")
    print(f"growth with depth (1 expected) : {math.log2(t_jax.median / t_half_d.median):8.2f}")


if __name__ == "__main__":
    main()
