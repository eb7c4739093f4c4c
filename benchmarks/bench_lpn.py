"""Cost of the exact-prox guarantee (chapter 3, learned proximal networks).

Training: Adam steps of the ConvLPN (forward = ∇ψ, so backward differentiates a gradient) against
the plain CNN of similar size, same batch and device, in the channels-last memory format that
training uses, then in the default format (the ratios say what channels-last buys); and the
ConvLPN's and the toy LPN's steps with the gradient written out against autograd's. PnP: one
PnP-PGD iteration with each denoiser on a batch of ``pnp.images`` blurred images, float64 as in
the chapter, the LPN with and without its exact objective R_θ (one extra ψ evaluation per
iterate). Both are medians of
repeated runs in one process (:func:`theorybook.timing.best_of`) against the CNN timed in the
same run; the script prints the ratios. Sparse-view CT: one PnP-PGD iteration on ``ct.images``
phantoms (float32, as in the chapter) with the periodic patch LPN (every stride offset, an
exact prox) against the plain CNN on the whole image.
Usage: ``THEORYBOOK_SCALE=book python benchmarks/bench_lpn.py [--threads N]``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from functools import partial

import torch

from theorybook.lpn import (
    LPN,
    Config,
    ConvexPotentialNet,
    ConvLPN,
    GaussianBlur,
    PatchLPN,
    PlainCNN,
    RadonCT,
    pnp_pgd,
    prior_at_output,
    random_phantoms,
)
from theorybook.lpn.image_models import time_training_steps
from theorybook.runtime import THREADS_ENV_VAR, device, torch_threads
from theorybook.scales import scale
from theorybook.timing import best_of
from theorybook.training import adam


def gradient_step_ms(cfg: Config, *, repeats: int = 20) -> dict[str, float]:
    """Median ms of one Adam step of the digits ConvLPN (batch ``denoisers.batch``) and of the
    Laplace toy's LPN (batch ``laplace.batch``), with the gradient written out (``model(y)``)
    and with autograd's gradient of the potential (double backward)."""
    torch.manual_seed(cfg.seed)
    d, side = cfg.denoisers, cfg.digits.pad_to
    cases = {
        "ConvLPN": (
            ConvLPN(side, 1, d.hidden, beta=d.beta, alpha=d.alpha),
            torch.rand(d.batch, 1, side, side),
        ),
        "LPN": (
            LPN(1, cfg.laplace.hidden, cfg.laplace.layers, beta=cfg.laplace.beta),
            torch.randn(cfg.laplace.batch, 1),
        ),
    }
    out = {}
    for name, (model, x) in cases.items():
        y = x + d.noise * torch.randn_like(x)
        opt = adam(list(model.parameters()), lr=1e-4)
        paths = {
            "written out": model,
            "autograd": partial(ConvexPotentialNet._potential_gradient, model),
        }
        for path, gradient in paths.items():

            def step(
                gradient: Callable[[torch.Tensor], torch.Tensor] = gradient,
                x: torch.Tensor = x,
                y: torch.Tensor = y,
                opt: torch.optim.Optimizer = opt,
            ) -> None:
                loss = torch.nn.functional.l1_loss(gradient(y), x)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

            out[f"{name} {path}"] = 1e3 * best_of(step, repeats=repeats, warmup=3).median
    return out


def pnp_iteration_ms(cfg: Config, *, repeats: int = 5) -> dict[str, float]:
    """Median ms of one PnP-PGD iteration with the LPN (with/without R_θ) and the plain CNN."""
    torch.manual_seed(cfg.seed)
    n = cfg.digits.pad_to
    lpn = ConvLPN(
        n, 1, cfg.denoisers.hidden, beta=cfg.denoisers.beta, alpha=cfg.denoisers.alpha
    ).double()
    cnn = PlainCNN(1, cfg.denoisers.hidden, cfg.denoisers.cnn_depth).double()
    op = GaussianBlur(n, cfg.pnp.blur_sigma)
    y = op(torch.rand(cfg.pnp.images, 1, n, n, dtype=torch.float64))

    def lpn_prox_only(v: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return lpn(v)

    def lpn_with_prior(v: torch.Tensor) -> torch.Tensor:
        return prior_at_output(lpn, v)[0]

    out = {}
    for name, den in (("cnn", cnn), ("lpn", lpn_prox_only), ("lpn+R", lpn_with_prior)):
        stats = best_of(lambda den=den: pnp_pgd(op, y, den, step=0.95, iters=1), repeats=repeats)
        out[name] = 1e3 * stats.median
    return out


def ct_iteration_ms(cfg: Config, *, repeats: int = 5) -> dict[str, float]:
    """Median ms of one PnP-PGD CT iteration with the periodic patch LPN and the plain CNN."""
    torch.manual_seed(cfg.seed)
    patch = ConvLPN(
        cfg.patches.size,
        1,
        cfg.denoisers.hidden,
        beta=cfg.denoisers.beta,
        alpha=cfg.denoisers.alpha,
    )
    lpn = PatchLPN(patch, stride=cfg.patches.stride)
    cnn = PlainCNN(1, cfg.denoisers.hidden, cfg.denoisers.cnn_depth)
    op = RadonCT(cfg.ct.size, cfg.ct.angles)
    y = op(torch.as_tensor(random_phantoms(cfg.ct.images, cfg.ct.size, seed=cfg.seed)))

    def lpn_prox_only(v: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return lpn(v)

    out = {}
    for name, den in (("cnn", cnn), ("lpn", lpn_prox_only)):
        stats = best_of(lambda den=den: pnp_pgd(op, y, den, step=0.95, iters=1), repeats=repeats)
        out[name] = 1e3 * stats.median
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps")
    args = parser.parse_args()
    cfg = Config.preset(scale())
    # time_training_steps runs under the book's thread policy, which reads this variable
    os.environ[THREADS_ENV_VAR] = str(args.threads)
    with torch_threads(args.threads):
        for size in sorted({cfg.digits.pad_to, 16, 28}):
            c = cfg.replace(**{"digits.pad_to": size, "timing.repeats": args.steps})
            t = time_training_steps(c)
            print(
                f"{device()} {size}x{size} batch {c.denoisers.batch} width {c.denoisers.hidden}: "
                f"ConvLPN {t.lpn_ms:.1f} ms/step ({t.lpn_params} params, spread "
                f"{t.lpn_spread:.2f}), plain CNN {t.cnn_ms:.1f} ms/step ({t.cnn_params} params, "
                f"spread {t.cnn_spread:.2f}), ratio {t.ratio:.2f}"
            )
            default = time_training_steps(c, channels_last=False)
            last = t
            print(
                f"{device()} {size}x{size} channels-last/default memory format, training step: "
                f"ConvLPN {last.lpn_ms:.1f}/{default.lpn_ms:.1f} ms = "
                f"{last.lpn_ms / default.lpn_ms:.2f}, plain CNN {last.cnn_ms:.1f}/"
                f"{default.cnn_ms:.1f} ms = {last.cnn_ms / default.cnn_ms:.2f}"
            )
            ms = pnp_iteration_ms(c)
            print(
                f"{device()} PnP-PGD iteration, {c.pnp.images} images {size}x{size}: "
                f"CNN {ms['cnn']:.2f} ms, LPN {ms['lpn']:.2f} ms (ratio {ms['lpn'] / ms['cnn']:.2f}), "
                f"LPN with exact R {ms['lpn+R']:.2f} ms (ratio {ms['lpn+R'] / ms['cnn']:.2f})"
            )
        ms = gradient_step_ms(cfg)
        for name in ("ConvLPN", "LPN"):
            new, old = ms[f"{name} written out"], ms[f"{name} autograd"]
            print(
                f"{device()} {name} training step, gradient written out {new:.2f} ms, autograd's "
                f"double backward {old:.2f} ms (ratio {new / old:.2f})"
            )
        ms = ct_iteration_ms(cfg)
        print(
            f"{device()} PnP-PGD CT iteration, {cfg.ct.images} phantoms {cfg.ct.size}x"
            f"{cfg.ct.size}, {cfg.ct.angles} views: CNN {ms['cnn']:.2f} ms, periodic patch LPN "
            f"(stride {cfg.patches.stride}) {ms['lpn']:.2f} ms (ratio {ms['lpn'] / ms['cnn']:.2f})"
        )


if __name__ == "__main__":
    main()
