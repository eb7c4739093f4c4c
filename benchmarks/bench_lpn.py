"""Training-step cost of the exact-prox guarantee (chapter 3, learned proximal networks).

Times Adam steps of the ConvLPN (forward = ∇ψ, so backward is a double backward) against the
plain CNN of similar size, same batch and device, measured in the same run (the median of
repeated steps, :func:`theorybook.runtime.best_of`), and prints the ratio.
Usage: ``THEORYBOOK_SCALE=book python benchmarks/bench_lpn.py [--threads N]``.
"""

from __future__ import annotations

import argparse
import os

from theorybook.lpn import Config
from theorybook.lpn.experiments import time_training_steps
from theorybook.runtime import THREADS_ENV_VAR, device, scale, torch_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    cfg = Config.preset(scale())
    # time_training_steps runs under the book's thread policy, which reads this variable
    os.environ[THREADS_ENV_VAR] = str(args.threads)
    with torch_threads(args.threads):
        for size in sorted({cfg.pad_to, 16, 28}):
            c = cfg.replace(pad_to=size)
            t = time_training_steps(c, steps=args.steps)
            print(
                f"{device()} {size}x{size} batch {c.digits_batch} width {c.conv_hidden}: "
                f"ConvLPN {t.lpn_ms:.1f} ms/step ({t.lpn_params} params, spread "
                f"{t.lpn_spread:.2f}), plain CNN {t.cnn_ms:.1f} ms/step ({t.cnn_params} params, "
                f"spread {t.cnn_spread:.2f}), ratio {t.ratio:.2f}"
            )


if __name__ == "__main__":
    main()
