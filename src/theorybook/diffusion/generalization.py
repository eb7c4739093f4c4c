"""Memorization or generalization: compare the samples of two denoisers trained on disjoint sets.

Two models trained on disjoint sets ``S1``, ``S2`` of N images are sampled from the same initial
noise and the same injected noise (same seed). If they memorize, each returns images of its own
training set, so the two samples differ and each is close to a training image; if they
generalize, both approximate the same density and the two samples nearly coincide while neither
copies a training image (paper Fig. 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor

from theorybook.boundary import PositiveInt, Seed, checked, record
from theorybook.diffusion._types import Float3264
from theorybook.diffusion.config import Sampler
from theorybook.diffusion.data import _cosine_similarity, _nearest_similarity
from theorybook.diffusion.sampler import sample

__all__ = ["PairResult", "pairwise_generalization"]


@record
@dataclass(frozen=True)
class PairResult:
    """Samples of two denoisers from shared seeds and their similarities (all per sample).

    ``paired``: cosine similarity of the two models' samples; ``nearest_a``/``nearest_b``: each
    sample's highest similarity to its own model's training set, at index ``index_a``/
    ``index_b``; ``converged``: both samples reached ``sigma_final``; ``steps``: the larger of
    the two step counts.
    """

    samples_a: Float3264[Tensor, "samples c h w"]
    samples_b: Float3264[Tensor, "samples c h w"]
    paired: Float3264[Tensor, " samples"]
    nearest_a: Float3264[Tensor, " samples"]
    nearest_b: Float3264[Tensor, " samples"]
    index_a: Int[Tensor, " samples"]
    index_b: Int[Tensor, " samples"]
    converged: Bool[Tensor, " samples"]
    steps: Int[Tensor, " samples"]


@checked
def pairwise_generalization(
    model_a: Callable[[Tensor], Tensor],
    model_b: Callable[[Tensor], Tensor],
    train_a: Float[Tensor, "n c h w"],
    train_b: Float[Tensor, "m c h w"],
    *,
    n_samples: PositiveInt = 128,
    seed: Seed = 0,
    sampler: Sampler = Sampler(),
) -> PairResult:
    """Sample ``n_samples`` images from each model with the same ``seed`` and compare them.

    Similarities are mean-removed cosines (:func:`~theorybook.diffusion.cosine_similarity`).

    Arguments:
        model_a: the first blind denoiser (trained on ``train_a``).
        model_b: the second blind denoiser (trained on ``train_b``).
        train_a: the first model's training set (N, C, H, W).
        train_b: the second model's training set (N', C, H, W).
        n_samples: samples drawn from each model.
        seed: the sampler's seed, shared by both models (same initial image, same noise).
        sampler: the sampler's settings (:func:`~theorybook.diffusion.sample`).

    Returns:
        A :class:`PairResult`.
    """
    ta, tb = train_a, train_b
    shape = (n_samples, *ta.shape[1:])
    ra = sample(model_a, shape, sampler=sampler, seed=seed)
    rb = sample(model_b, shape, sampler=sampler, seed=seed)
    sa, sb = ra.samples.detach().cpu(), rb.samples.detach().cpu()
    near_a, idx_a = _nearest_similarity(sa, ta.cpu())
    near_b, idx_b = _nearest_similarity(sb, tb.cpu())
    return PairResult(
        samples_a=sa,
        samples_b=sb,
        paired=_cosine_similarity(sa, sb),
        nearest_a=near_a,
        nearest_b=near_b,
        index_a=idx_a,
        index_b=idx_b,
        converged=ra.converged & rb.converged,
        steps=torch.maximum(ra.steps, rb.steps),
    )
