"""Benchmark for chapter 5: closed-form self-distillation against explicit refitting.

``distill_fits`` costs one eigendecomposition (scipy.linalg.eigh) for all T steps;
``distill_fits_by_refitting`` refits sklearn's KernelRidge (a fresh Cholesky solve of
K + λI) at every step. Both run here, on the same data, in the same process, timed with
:func:`theorybook.runtime.best_of` (median of ``--repeats`` runs after one warm-up); the script
prints both medians, their spreads, their ratio and the largest difference of the fits.

    python benchmarks/bench_distill.py [--n 2000] [--steps 30] [--repeats 3]
"""

from __future__ import annotations

import argparse

import numpy as np

from theorybook.distill import distill_fits, distill_fits_by_refitting, random_problem
from theorybook.runtime import best_of


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--alpha", type=float, default=0.3)
    parser.add_argument("--lam", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    prob = random_problem(args.n, n_test=1, seed=0)
    K, y = prob.K, prob.y

    def closed_form() -> np.ndarray:
        return distill_fits(K, y, lam=args.lam, alpha=args.alpha, steps=args.steps)

    def refit() -> np.ndarray:
        out = distill_fits_by_refitting(K, y, lam=args.lam, alpha=args.alpha, steps=args.steps)
        assert isinstance(out, np.ndarray)
        return out

    t_cf = best_of(closed_form, repeats=args.repeats, warmup=1)
    t_ref = best_of(refit, repeats=args.repeats, warmup=1)
    diff = float(np.max(np.abs(closed_form() - refit())))
    print(
        f"n={args.n} steps={args.steps} alpha={args.alpha} lam={args.lam} "
        f"(median of {args.repeats} after 1 warm-up)"
    )
    print(f"closed form (one eigh)        : {t_cf.median:8.3f} s  (spread {t_cf.spread:.2f})")
    print(f"explicit refit (KernelRidge×T): {t_ref.median:8.3f} s  (spread {t_ref.spread:.2f})")
    print(f"ratio refit / closed form     : {t_ref.median / t_cf.median:8.2f}")
    print(f"max |difference| of the fits  : {diff:.2e}")


if __name__ == "__main__":
    main()
