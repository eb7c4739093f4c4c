"""The stochastic coarse-to-fine sampler of Kadkhodaie & Simoncelli (2021), paper Alg. 1.

Starting from ``y_0 = m + σ_0 z``, each step moves a fraction ``h_t`` along the denoiser's
residual ``r_t = f(y_{t−1}) − y_{t−1}`` (a step along the score, :eq:`diffusion-miyasawa`) and
adds fresh noise of standard deviation ``γ_t`` (:eq:`diffusion-step`), chosen so that the
effective noise shrinks by the factor ``1 − β h_t`` per step. The noise level is never given: it
is read off the residual, ``σ_t = ‖r_t‖/√d`` (:eq:`diffusion-sigma-t`). The step size grows as
``h_t = h_0 t / (1 + h_0 (t − 1))`` (official code; the paper's Alg. 1 prints a fixed h).
The settings σ₀, σ_final, h₀, β and the step cap form one
:class:`~theorybook.diffusion.config.Sampler` block, the default of :func:`sample`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

import torch
from jaxtyping import Bool, Float, Float64, Int
from torch import Tensor

from theorybook import validation as v
from theorybook.boundary import FiniteReal, Interval, PositiveInt, Seed, checked, record
from theorybook.diffusion._types import Float3264
from theorybook.diffusion.config import Sampler
from theorybook.diffusion.denoisers import check_output, state_preserved
from theorybook.training import check_iterates

__all__ = ["SampleResult", "sample", "step_schedule"]


@record
@dataclass(frozen=True)
class SampleResult:
    """What :func:`sample` returns.

    ``samples`` (B, C, H, W): the denoised final iterates ``f(y_T)``; ``final`` the final noisy
    iterates ``y_T``; ``sigmas`` (T, B) the effective noise ``σ_t`` measured at each step (NaN
    after a sample stopped); ``gammas`` (T, B) the injected noise; ``h`` (T,) the step sizes;
    ``steps`` (B,) the number of steps each sample took; ``converged`` (B,) whether it reached
    ``sigma_final`` within ``max_steps`` (of the :class:`~theorybook.diffusion.config.Sampler`).
    """

    samples: Float3264[Tensor, "batch c h w"]
    final: Float3264[Tensor, "batch c h w"]
    sigmas: Float3264[Tensor, "steps batch"]
    gammas: Float3264[Tensor, "steps batch"]
    h: Float64[Tensor, " steps"]
    steps: Int[Tensor, " batch"]
    converged: Bool[Tensor, " batch"]


@checked
def step_schedule(
    h0: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)], steps: PositiveInt
) -> Float[Tensor, " steps"]:
    """``h_t = h_0 t / (1 + h_0 (t − 1))`` for ``t = 1 … steps`` (float64)."""
    t = torch.arange(1, steps + 1, dtype=torch.float64)
    return h0 * t / (1 + h0 * (t - 1))


@torch.no_grad()
@checked(finite_result=False)
def sample(
    denoiser: Callable[[Tensor], Tensor],
    shape: Sequence[PositiveInt],
    *,
    sampler: Sampler = Sampler(),
    seed: Seed = 0,
    mean: FiniteReal = 0.5,
) -> SampleResult:
    """Draw ``shape[0]`` samples of shape ``shape[1:]`` with the blind denoiser ``denoiser``.

    Arguments:
        denoiser: a blind denoiser ``y ↦ x̂`` on (B, C, H, W) tensors (a trained network in eval
            mode, or :func:`~theorybook.diffusion.blind` of a closed-form one).
        shape: ``(B, C, H, W)``.
        sampler: the initial noise level ``sigma0`` and the level ``sigma_final`` at which a
            sample stops (paper App. A.2: 1 and 0.05), the first step size ``h0`` and the
            noise-injection parameter ``beta`` (paper: 0.01 and 0.1; β = 1 injects no noise),
            and the step cap ``max_steps``: samples not at ``sigma_final`` by then are flagged in
            ``converged``. A sample whose σ_t exceeds ``2·sigma0`` is stopped and flagged as
            not converged.
        seed: seeds the initial image and every injected noise draw: two denoisers sampled with
            the same seed start from the same image and see the same noise.
        mean: the mean ``m`` of the initial image.

    Returns:
        A :class:`SampleResult`. Its ``sigmas`` and ``gammas`` hold NaN after a sample stopped
        (so the result is not checked for NaN as a whole); its ``samples`` and ``final`` are
        finite. A module ``denoiser`` is left in the state it came in
        (:func:`~theorybook.diffusion.denoisers.state_preserved`).

    Raises:
        TypeError, ValueError: on a non-callable denoiser, an invalid shape or settings, or a
            denoiser that returns a tensor of another shape.
        SolverDiverged: naming the step, when the denoiser's output or the iterate holds NaN or
            inf or an entry beyond 10¹² (:func:`theorybook.training.check_iterates`).
    """
    dims = v.int_sequence("shape", shape, low=1)
    if len(dims) != 4:
        raise ValueError(f"shape must be (B, C, H, W), got {dims}")
    with state_preserved(denoiser):
        return _sample(denoiser, dims, sampler=sampler, seed=seed, mean=mean)


def _sample(
    denoiser: Callable[[Tensor], Tensor],
    dims: tuple[int, ...],
    *,
    sampler: Sampler,
    seed: int,
    mean: float,
) -> SampleResult:
    """:func:`sample` after its argument checks."""
    sigma0, sigma_final = sampler.sigma0, sampler.sigma_final
    h0, beta, max_steps = sampler.h0, sampler.beta, sampler.max_steps

    param = next(iter(getattr(denoiser, "parameters", lambda: iter(()))()), None)
    dev = param.device if param is not None else torch.device("cpu")
    # a module's own floating dtype (a float64 network gets float64 iterates); else float32
    dtype = param.dtype if param is not None and param.is_floating_point() else None
    gen = torch.Generator(device=dev).manual_seed(seed)
    b, d = dims[0], dims[1] * dims[2] * dims[3]
    y = mean + sigma0 * torch.randn(dims, generator=gen, device=dev, dtype=dtype)
    active = torch.ones(b, dtype=torch.bool, device=dev)
    converged = torch.zeros(b, dtype=torch.bool, device=dev)
    steps = torch.zeros(b, dtype=torch.long, device=dev)
    sigmas: list[torch.Tensor] = []
    gammas: list[torch.Tensor] = []
    hs: list[float] = []
    t = 0
    while bool(active.any()) and t < max_steps:
        t += 1
        h = h0 * t / (1 + h0 * (t - 1))
        xhat = check_output("denoiser", denoiser(y), y)
        check_iterates(xhat, step=t, where="sampler (the denoiser's output)")
        r = xhat - y
        sigma = r.flatten(1).norm(dim=1) / d**0.5
        done = active & (sigma <= sigma_final)
        blown = active & (sigma > 2 * sigma0)
        converged |= done
        active &= ~(done | blown)
        gamma = sigma * max((1 - beta * h) ** 2 - (1 - h) ** 2, 0.0) ** 0.5
        z = torch.randn(dims, generator=gen, device=dev, dtype=dtype)
        step = h * r + gamma[:, None, None, None] * z
        y = torch.where(active[:, None, None, None], y + step, y)
        check_iterates(y, step=t, where="sampler")
        nan = torch.full_like(sigma, float("nan"))
        sigmas.append(torch.where(active | done, sigma, nan))
        gammas.append(torch.where(active, gamma, nan))
        steps += active.long()
        hs.append(h)
    samples = check_output("denoiser", denoiser(y), y)
    check_iterates(samples, step=t, where="sampler (the denoiser's final output)")
    return SampleResult(
        samples=samples,
        final=y,
        sigmas=torch.stack(sigmas).cpu(),
        gammas=torch.stack(gammas).cpu(),
        h=torch.tensor(hs, dtype=torch.float64),
        steps=steps.cpu(),
        converged=converged.cpu(),
    )
