"""Chapter 6 (AR-Net): the paper's high-order grid (Fig. 4), run on the CPU and recorded.

Sparse AR-Net (``s = 3/p``, the package's default fit with the paper's rule for c_λ), least
squares and least squares refitted on its three largest weights on AR(3) data at the
paper's size (N = 1e5 training samples, 25 000 test samples) for model orders up to 1000, over a
few seeds. Writes ``results/06_ar_net/high_order.json`` (a manifest: environment, commit,
config, wall time and, per order and seed, the sTPE and test MSE of both methods), which the
chapter shows as a recorded run through :func:`theorybook.arnet.load_high_order_record`
(``theorybook.records.load_record("06_ar_net", "high_order.json")``).

    python scripts/arnet_high_order.py                      # p in 100 300 1000, seeds 0-2
    python scripts/arnet_high_order.py --orders 100 1000 --seeds 5
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from theorybook.arnet import Config
from theorybook.arnet.experiments import run_sparse_order
from theorybook.reporting import save_manifest

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "results" / "06_ar_net" / "high_order.json"
    )
    args = parser.parse_args()
    cfg = Config.preset("paper").replace(
        seeds=args.seeds, **{"sparse.orders": tuple(args.orders), "sparse.n_train": args.n}
    )
    start = time.perf_counter()
    res = run_sparse_order(cfg, progress=True)
    wall = time.perf_counter() - start
    numbers = {
        "orders": list(res.orders),
        "n_train": res.n_train,
        "n_test": cfg.test_n,
        "seeds": list(range(args.seeds)),
        "epochs": cfg.sparse.epochs,
        "stpe_arnet": res.stpe_arnet.tolist(),
        "c_lambda": res.c_lambda,
        "stpe_ls": res.stpe_ls.tolist(),
        "stpe_topk": None if res.stpe_topk is None else res.stpe_topk.tolist(),
        "mse_arnet": res.mse_arnet.tolist(),
        "mse_ls": res.mse_ls.tolist(),
        "seconds_arnet": res.seconds_arnet.tolist(),
        "seconds_ls": res.seconds_ls.tolist(),
    }
    path = save_manifest(
        args.out, chapter="06_ar_net", seed=0, wall_seconds=wall, config=cfg, numbers=numbers
    )
    for i, p in enumerate(res.orders):
        print(
            f"p = {p:>5}: AR-Net sTPE {res.stpe_arnet[i].round(3).tolist()}, "
            f"least squares {res.stpe_ls[i].round(2).tolist()}"
        )
    print(f"wrote {path} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
