"""One small valid call per public callable of ``theorybook.diffusion`` that cannot be synthesised.

The experiments (``run_*``, ``chapter_claims``) run on :func:`tiny_config`: two-step trainings of
two-channel networks on 4×4 patches, three sampler steps, one or two test images per study. Their results
are cached (``functools.cache``) where another example takes them as input.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from malformed import call

from theorybook import diffusion as D


def _images(n: int = 2, side: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, side, side, generator=torch.Generator().manual_seed(seed))


def _contraction(y: torch.Tensor) -> torch.Tensor:
    """A blind 'denoiser' pulling every pixel halfway to 0.5 (the sampler converges with it)."""
    return 0.5 * y + 0.25


def _cnn() -> D.BiasFreeCNN:
    torch.manual_seed(0)
    return D.BiasFreeCNN(channels=2, layers=2).eval()


@functools.cache
def tiny_config() -> D.Config:
    """The smallest configuration every experiment of the chapter runs on."""
    training = D.Training(steps=2, batch_size=2)
    return D.Config(
        patches=D.Patches(patch_size=4, stride=32, n_test=2),
        network=D.Network(channels=2, layers=2),
        training=training,
        sampler=D.Sampler(max_steps=3),
        transition=D.Transition(ns=(1, 2), n_samples=2, psnr_sigmas=(0.1,)),
        jacobian=D.JacobianStudy(sigmas=(0.1, 0.2, 0.4), images=1, sure_images=2),
        check=D.SamplerCheck(size=2, samples=2),
        synthetic=D.Synthetic(
            size=8,
            n=2,
            test=2,
            network=D.Network(kind="unet", channels=2, levels=1),
            training=training.replace(sigma_max=0.4),
        ),
        calpha=D.CAlpha(alphas=(1.0, 2.0), sigmas=(0.1, 0.2)),
        disks=D.Disks(images=1, sigmas=(0.02, 0.04), eig_sigma=0.04),
    )


@functools.cache
def _transition() -> D.TransitionResult:
    return D.run_transition(tiny_config())


@functools.cache
def _results() -> D.Results:
    cfg = tiny_config()
    transition = _transition()
    return D.Results(
        check=D.run_sampler_check(cfg),
        transition=transition,
        jacobian=D.run_jacobian(cfg, transition),
        calpha=D.run_calpha(cfg),
        disks=D.run_disks(cfg),
    )


def _gaussian() -> D.GaussianDenoiser:
    d = 4
    return D.GaussianDenoiser(
        mean=torch.full((d,), 0.5, dtype=torch.float64),
        cov=torch.eye(d, dtype=torch.float64),
        shape=(1, 2, 2),
        evals=torch.ones(d, dtype=torch.float64),
        evecs=torch.eye(d, dtype=torch.float64),
    )


EXAMPLES = {
    "DiskMMSEDenoiser": lambda: call(8, coarse=3, points=3, passes=1),
    "EmpiricalOptimalDenoiser": lambda: call(train=_images()),
    "GaussianDenoiser": lambda: call(
        mean=torch.full((4,), 0.5, dtype=torch.float64),
        cov=torch.eye(4, dtype=torch.float64),
        shape=(1, 2, 2),
        evals=torch.ones(4, dtype=torch.float64),
        evecs=torch.eye(4, dtype=torch.float64),
    ),
    "add_noise": lambda: call(_images(), 0.5, torch.Generator().manual_seed(0)),
    "blind": lambda: call(D.empirical_optimal_denoiser(_images()), iterations=2),
    "build_network": lambda: call(D.Network(channels=2, layers=2)),
    "dct_oracle_errors": lambda: call(_images(), _images(seed=1), 0.1),
    "image_errors": lambda: call(_cnn(), _images(), 0.1),
    "noisy_images": lambda: call(_images(), 0.1, seed=1),
    "state_preserved": lambda: call(_cnn()),
    "subspace_overlap": lambda: call(torch.eye(4)[:, :2], torch.eye(4)[:, 1:3]),
    "wiener_denoiser": lambda: call(_images(3)),
    "chapter_claims": lambda: call(_results(), tiny_config()),
    "denoiser_jacobian": lambda: call(_cnn(), _images()),
    "effective_dimension": lambda: call(_cnn(), _images()),
    "homogeneity_error": lambda: call(_cnn(), _images(), (0.5, 2.0)),
    "jacobian_eigen": lambda: call(_cnn(), _images(1)),
    "linearity_error": lambda: call(_cnn(), _images()),
    "loglog_slope": lambda: call(np.array([0.1, 0.2, 0.4]), np.array([0.01, 0.03, 0.08])),
    "pairwise_generalization": lambda: call(
        _contraction,
        _contraction,
        _images(2),
        _images(3, seed=1),
        n_samples=2,
        sampler=D.Sampler(max_steps=3),
    ),
    "patch_pool": lambda: call(8, stride=128, photos=("camera", "coins"), limit=4),
    "patch_split": lambda: call(D.Patches(patch_size=8, stride=64, n_test=2), n_train=4),
    "psnr": lambda: call(_cnn(), _images(), 0.1),
    "render_disks": lambda: call(D.disk_parameters(2, 8, seed=0), 8),
    "run_all": lambda: call(tiny_config()),
    "run_calpha": lambda: call(tiny_config()),
    "run_disks": lambda: call(tiny_config()),
    "run_jacobian": lambda: call(tiny_config(), _transition()),
    "run_sampler_check": lambda: call(tiny_config()),
    "run_transition": lambda: call(tiny_config()),
    "sample": lambda: call(_contraction, (2, 1, 4, 4), sampler=D.Sampler(max_steps=3)),
    "sure_estimate": lambda: call(_cnn(), _images(), 0.1),
    "train_denoiser": lambda: call(
        _cnn().train(), _images(), training=D.Training(steps=1, batch_size=2)
    ),
}

NOT_DRIVEN: dict[str, str] = {}
