"""Chapter 3 (learned proximal networks): what the LPN's gap to the plain CNN is made of, recorded.

Trains, for each seed, the plain CNN, the ConvLPN with ℓ₂ and the ConvLPN with the paper's
schedule (ℓ₁, then proximal matching) on the same digits for the same steps, and measures
denoising and tuned PnP-ADMM / relaxed PnP-PGD on the digits problems
(:func:`theorybook.lpn.decomposition.run_decomposition`). Writes
``results/03_learned_proximal_networks/decomposition.json`` (a manifest: environment, commit,
config, wall time and the per-seed numbers), which the chapter shows as a recorded run through
:func:`theorybook.lpn.decomposition.load_decomposition_record`.

    python scripts/lpn_decomposition.py                       # book preset, 6000 steps, 3 seeds
    python scripts/lpn_decomposition.py --steps 3000 --seeds 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from theorybook.lpn import Config
from theorybook.lpn.decomposition import (
    DECOMPOSITION_FILE,
    decomposition_numbers,
    run_decomposition,
)
from theorybook.reporting import git_commit, save_manifest
from theorybook.runtime import torch_threads

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--images", type=int, default=50, help="PnP test digits")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "results" / "03_learned_proximal_networks" / DECOMPOSITION_FILE,
    )
    args = parser.parse_args()
    cfg = Config.preset("book").replace(
        **{"digits.steps": args.steps, "digits.cnn_steps": args.steps, "pnp.images": args.images}
    )
    code_commit = (
        git_commit()
    )  # the code that runs (the manifest's environment is taken at the end)
    start = time.perf_counter()
    with torch_threads():
        res = run_decomposition(cfg, seeds=tuple(range(args.seeds)), progress=True)
    wall = time.perf_counter() - start
    path = save_manifest(
        args.out,
        chapter="03_learned_proximal_networks",
        seed=0,
        wall_seconds=wall,
        config=cfg,
        numbers={**decomposition_numbers(res), "code_commit": code_commit},
    )
    for metric, by_model in res.psnr.items():
        means = ", ".join(f"{m} {v.mean():.2f}" for m, v in by_model.items())
        print(f"{metric}: {means} dB")
    print(f"wrote {path} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
