"""One small valid call per public callable of ``theorybook.lpn`` that cannot be synthesised.

Networks are tiny (a 1-D LPN of width 8, an 8 × 8 ConvLPN of width 4), images 8 × 8, solvers run
two iterations; a fresh network is built for every call (``train_lpn`` changes its model). The
settings of the data splits are the smoke preset.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from malformed import Call, call

from theorybook import lpn
from theorybook.lpn import data


def _lpn_1d() -> lpn.LPN:
    torch.manual_seed(0)
    return lpn.LPN(1, 8, 2, alpha=0.1).double()


def _conv_lpn(size: int = 8, dtype: torch.dtype = torch.float64) -> lpn.ConvLPN:
    torch.manual_seed(0)
    return lpn.ConvLPN(size, 1, 4, alpha=0.01).to(dtype)


def _images(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=dtype)


def _points() -> torch.Tensor:
    return torch.linspace(-1.0, 1.0, 4, dtype=torch.float64).reshape(-1, 1)


@functools.cache
def _smoke_config() -> lpn.Config:
    return lpn.Config.preset("smoke")


def _pnp(rho_or_step: str) -> Call:
    op = lpn.GaussianBlur(8, 1.0)
    x = _images()
    return call(
        op,
        op(x),
        _conv_lpn(),
        **{rho_or_step: 0.9},
        iters=2,
        x_true=x,
        keep_iterates=True,
    )


EXAMPLES = {
    "PatchLPN": lambda: call(_conv_lpn(4), stride=2),
    "crop_split": lambda: call(_smoke_config()),
    "ct_split": lambda: call(_smoke_config()),
    "digits_split": lambda: call(_smoke_config()),
    "image_metrics": lambda: call(_images(torch.float32), _images().numpy()),
    "invert": lambda: call(_lpn_1d(), _points(), y0=0.5 * _points(), max_iter=20, tol=1e-8),
    "jacobian_asymmetry": lambda: call(torch.tanh, _images()[:1, :, :4, :4]),
    "jacobian_report": lambda: call(_lpn_1d(), _points()),
    "learned_prior": lambda: call(_lpn_1d(), _points(), return_inversion=True, max_iter=20),
    "objective_settling": lambda: call(
        np.random.default_rng(0).standard_normal((6, 3)), fraction=0.5
    ),
    "operator_norm": lambda: call(lpn.GaussianBlur(8, 1.0), iters=5, seed=1),
    "paper_schedule": lambda: call(16, 0.1, n_stages=2, lr_pretrain=1e-3, lr_pm=1e-4),
    "patch_average": lambda: call(
        _conv_lpn(4, torch.float32),
        _images(torch.float32),
        patch=4,
        stride=2,
        boundary="periodic",
    ),
    "patch_split": lambda: call(_smoke_config()),
    "perturb": lambda: call(_images(torch.float32).numpy(), "noise", 0.1, seed=1),
    "pnp_admm": lambda: _pnp("rho"),
    "pnp_pgd": lambda: _pnp("step"),
    "prior_at_output": lambda: call(_conv_lpn(), _images()),
    "relax": lambda: call(_conv_lpn(), 0.5),
    "prox_grid_check": lambda: call(
        _lpn_1d(), torch.linspace(-2.0, 2.0, 5), y_range=4.0, n_grid=101
    ),
    "split_schedule": lambda: call(10, "l2", (1e-3, 1e-4)),
    "tikhonov": lambda: call(lpn.GaussianBlur(8, 1.0), _images(), 0.1),
    "train_lpn": lambda: call(
        lpn.LPN(1, 4, 2),
        data.laplace_sampler(8),
        [lpn.Stage(2, "l2", 1e-3)],
        project=True,
        progress=False,
        desc="example",
    ),
}

NOT_DRIVEN = {
    "run_decomposition": (
        "trains three digits networks per seed and tunes each in PnP (over 20 s at the smallest "
        "Config); scripts/lpn_decomposition.py runs it, tests/test_lpn_claims.py reads its record "
        "and tests/test_lpn.py checks that it refuses unequal training"
    ),
    "run_all": (
        "runs every experiment of the chapter: over 7 s at the smallest Config, and its Laplace "
        "toy inverts the trained LPN at x in [-2.5, 2.5], which only trained models reach (an "
        "untrained one raises SolverDiverged); tests/test_lpn_claims.py runs it at smoke scale"
    ),
    "chapter_claims": (
        "needs the Results of run_all (see run_all); tests/test_lpn_claims.py calls it with the "
        "smoke run's Results and with malformed ones"
    ),
}
