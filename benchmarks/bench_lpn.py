"""Training-step cost of the exact-prox guarantee (chapter 3, learned proximal networks).

Times Adam steps of the ConvLPN (forward = ∇ψ, so backward is a double backward) against the
plain CNN of similar size, same batch and device, measured in the same run, and prints the ratio.
Usage: ``THEORYBOOK_SCALE=book python benchmarks/bench_lpn.py [--threads N]``.
"""

from __future__ import annotations

import argparse

import torch

from theorybook.lpn import Config
from theorybook.lpn.experiments import time_training_steps
from theorybook.runtime import device, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = Config.preset(scale())
    for size in sorted({cfg.pad_to, 16, 28}):
        c = cfg.replace(pad_to=size)
        t = time_training_steps(c, steps=args.steps)
        print(
            f"{device()} {size}x{size} batch {c.digits_batch} width {c.conv_hidden}: "
            f"ConvLPN {t.lpn_ms:.1f} ms/step ({t.lpn_params} params), "
            f"plain CNN {t.cnn_ms:.1f} ms/step ({t.cnn_params} params), ratio {t.ratio:.2f}"
        )


if __name__ == "__main__":
    main()
