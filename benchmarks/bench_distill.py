"""Benchmark for chapter 5: the closed forms of self-distillation against explicit refitting.

Three measurements in one run, each against a baseline timed in the same process with
:func:`theorybook.timing.best_of` (median of ``--repeats`` runs after one warm-up):

1. **Fixed α** (``--n``, ``--steps``): :func:`~theorybook.distill.distill_fits` (one Cholesky
   factorisation of K + λI and two triangular solves per step) against refitting
   scikit-learn's ``KernelRidge(kernel="precomputed")`` at every step. Target: ≥ 8×.
2. **α grid** (``--grid`` weights × ``--steps``): :func:`~theorybook.distill.alpha_sweep` (one
   ``eigh`` for every weight; training and test losses of every step and the limit) against
   refitting every weight. Refitting all ``--grid`` weights would take hours and costs the same
   for every weight, so the baseline is the fixed-α refit median of part 1 times ``--grid``
   (printed as *extrapolated*); ``--refit-alphas`` weights are refitted to check agreement.
   Target: ≥ 1000×.
3. **Scaling in n** (``--scaling``): both ratios for each n.

Every comparison also checks agreement: the fits (part 1) and the losses (part 2, for the
refitted weights) must agree with the refits to 1e-10, or the script exits with status 1.

    python benchmarks/bench_distill.py [--n 2000] [--steps 30] [--grid 1001] [--repeats 3]
                                       [--scaling 250,500,1000,2000,4000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from theorybook.distill import alpha_sweep, distill_fits, random_problem
from theorybook.timing import best_of

TOLERANCE = 1e-10


def refit_chain(
    K: np.ndarray, y: np.ndarray, K_test: np.ndarray, *, lam: float, alpha: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """The baseline: a fresh ``KernelRidge`` fit to the mixed targets at every step."""
    from sklearn.kernel_ridge import KernelRidge

    fits = np.empty((steps, len(y)))
    preds = np.empty((steps, K_test.shape[0]))
    target = y
    for t in range(steps):
        model = KernelRidge(alpha=lam, kernel="precomputed").fit(K, target)
        fits[t] = model.predict(K)
        preds[t] = model.predict(K_test)
        target = alpha * y + (1.0 - alpha) * fits[t]
    return fits, preds


def measure(
    n: int, *, steps: int, alpha: float, grid: int, refit_alphas: int, repeats: int
) -> dict[str, float]:
    """Both ratios and both agreements at one ``n``."""
    prob = random_problem(n, n_test=100, seed=0)
    K, Kt, y, lam = prob.K, prob.K_test, prob.y, prob.lam
    z = np.sin(np.arange(Kt.shape[0]))  # any reference values: the losses are compared exactly

    t_fixed = best_of(
        lambda: distill_fits(K, y, lam=lam, alpha=alpha, steps=steps),
        repeats=repeats,
        warmup=1,
    )
    t_refit = best_of(
        lambda: refit_chain(K, y, Kt, lam=lam, alpha=alpha, steps=steps),
        repeats=repeats,
        warmup=1,
    )
    fits_ref, _ = refit_chain(K, y, Kt, lam=lam, alpha=alpha, steps=steps)
    diff_fixed = float(
        np.max(np.abs(distill_fits(K, y, lam=lam, alpha=alpha, steps=steps) - fits_ref))
    )

    alphas = np.linspace(0.0, 1.0, grid)
    t_sweep = best_of(
        lambda: alpha_sweep(K, y, lam=lam, alphas=alphas, steps=steps, K_test=Kt, reference=z),
        repeats=repeats,
        warmup=1,
    )
    sweep = alpha_sweep(K, y, lam=lam, alphas=alphas, steps=steps, K_test=Kt, reference=z)
    # refitting costs the same for every weight: the grid's baseline is the fixed-α refit
    # median (timed above, same process) times the number of weights; a few weights are
    # refitted once more to check the sweep's losses
    picks = np.linspace(0, grid - 1, refit_alphas).round().astype(int)
    diff_sweep = 0.0
    assert sweep.test_mse is not None
    for i in picks:
        f, p = refit_chain(K, y, Kt, lam=lam, alpha=float(alphas[i]), steps=steps)
        diff_sweep = max(
            diff_sweep,
            float(np.max(np.abs(np.mean((f - y) ** 2, axis=1) - sweep.train_mse[i]))),
            float(np.max(np.abs(np.mean((p - z) ** 2, axis=1) - sweep.test_mse[i]))),
        )
    t_grid_refit = t_refit.median * grid
    return {
        "n": n,
        "fixed_s": t_fixed.median,
        "fixed_spread": t_fixed.spread,
        "refit_s": t_refit.median,
        "refit_spread": t_refit.spread,
        "fixed_ratio": t_refit.median / t_fixed.median,
        "fixed_diff": diff_fixed,
        "sweep_s": t_sweep.median,
        "grid_refit_s": t_grid_refit,
        "sweep_ratio": t_grid_refit / t_sweep.median,
        "sweep_diff": diff_sweep,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--alpha", type=float, default=0.3)
    parser.add_argument("--grid", type=int, default=1001)
    parser.add_argument("--refit-alphas", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scaling", default="250,500,1000,2000,4000")
    args = parser.parse_args()

    sizes = sorted({int(v) for v in args.scaling.split(",") if v} | {args.n})
    print(
        f"steps={args.steps} alpha={args.alpha} grid={args.grid} (medians of {args.repeats} "
        "after 1 warm-up; grid refit extrapolated: fixed-α refit median × grid size; "
        f"{args.refit_alphas} weights refitted to check the sweep)"
    )
    header = (
        f"{'n':>6} {'fixed s':>9} {'refit s':>9} {'ratio':>7} {'diff':>8}   "
        f"{'sweep s':>8} {'grid refit s':>13} {'ratio':>8} {'diff':>8}"
    )
    print(header)
    ok = True
    for n in sizes:
        r = measure(
            n,
            steps=args.steps,
            alpha=args.alpha,
            grid=args.grid,
            refit_alphas=args.refit_alphas,
            repeats=args.repeats,
        )
        ok &= r["fixed_diff"] <= TOLERANCE and r["sweep_diff"] <= TOLERANCE
        mark = "  <- targets: fixed >= 8x, grid >= 1000x" if n == args.n else ""
        print(
            f"{n:>6d} {r['fixed_s']:>9.3f} {r['refit_s']:>9.3f} {r['fixed_ratio']:>7.1f} "
            f"{r['fixed_diff']:>8.1e}   {r['sweep_s']:>8.3f} {r['grid_refit_s']:>13.1f} "
            f"{r['sweep_ratio']:>8.0f} {r['sweep_diff']:>8.1e}{mark}",
            flush=True,
        )
    print(f"fits and losses agree with the refits to {TOLERANCE:g}: {'yes' if ok else 'NO'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
