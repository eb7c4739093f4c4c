"""Data of the diffusion chapter: deduplicated photo patches, disjoint splits, similarities.

The paper trains on CelebA faces (80×80) and LSUN bedrooms; offline, this chapter cuts patches
from the photographs bundled with scikit-image (:func:`theorybook.data.bundled_image`), drops
flat ones and removes near-duplicates as the paper does (App. B.1: mean-removed cosine
similarity above 0.95). Two disjoint training sets ``S1``, ``S2`` of size N and a held-out test
set come from one shuffled pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from theorybook import validation as v
from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeReal,
    PositiveInt,
    Seed,
    checked,
    record,
)
from theorybook.data import BUNDLED_IMAGES, bundled_image, offline
from theorybook.diffusion._types import Float3264
from theorybook.diffusion.config import Patches

__all__ = [
    "DEDUP_THRESHOLD",
    "PATCH_PHOTOS",
    "PatchSplit",
    "cosine_similarity",
    "deduplicate",
    "nearest_similarity",
    "patch_pool",
    "patch_split",
]

DEDUP_THRESHOLD = 0.95
"""Near-duplicates above this mean-removed cosine similarity are removed (paper Fig. 6 caption)."""

PATCH_PHOTOS: tuple[str, ...] = tuple(
    name for name in BUNDLED_IMAGES if name not in {"checkerboard", "text", "page"}
)
"""The bundled photographs patches are cut from (synthetic and text images left out)."""


Threshold = Annotated[float, Interval(low=-1.0, high=1.0)]
"""A cosine similarity threshold, in [−1, 1]."""


def _flat_centered(x: torch.Tensor) -> torch.Tensor:
    f = x.flatten(1).double()
    f = f - f.mean(1, keepdim=True)
    return f / f.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _cosine_similarity(ta: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
    return (_flat_centered(ta) * _flat_centered(tb)).sum(1)


@checked
def cosine_similarity(
    a: Float[Tensor, "batch c h w"], b: Float[Tensor, "batch c h w"]
) -> Float[Tensor, " batch"]:
    """Mean-removed cosine similarity of paired images ``a[i]``, ``b[i]`` (B,) in [−1, 1].

    A constant image (zero after its mean is removed) has similarity 0 to every image.
    """
    return _cosine_similarity(a, b)


@checked
def nearest_similarity(
    images: Float[Tensor, "n c h w"], reference: Float[Tensor, "m c h w"]
) -> tuple[Float[Tensor, " n"], Int[Tensor, " n"]]:
    """For each image, the highest mean-removed cosine similarity to ``reference`` and its index.

    A constant image (zero after its mean is removed) has similarity 0 to every image.
    """
    return _nearest_similarity(images, reference)


def _nearest_similarity(ti: torch.Tensor, tr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    best = torch.full((len(ti),), -2.0, dtype=torch.float64)
    idx = torch.zeros(len(ti), dtype=torch.long)
    fi = _flat_centered(ti)
    for start in range(0, len(tr), 8192):
        sims = fi @ _flat_centered(tr[start : start + 8192]).T
        val, arg = sims.max(1)
        better = val > best
        best = torch.where(better, val, best)
        idx = torch.where(better, arg + start, idx)
    return best, idx


@checked
def deduplicate(
    images: Float[Tensor, "n c h w"],
    *,
    threshold: Threshold = DEDUP_THRESHOLD,
    limit: PositiveInt | None = None,
) -> Int[Tensor, " kept"]:
    """Indices of ``images`` (N, C, H, W) kept by greedy near-duplicate removal.

    An image is dropped when its mean-removed cosine similarity to an earlier kept image exceeds
    ``threshold``. With ``limit``, stops once that many images are kept.

    Arguments:
        images: the images (N, C, H, W), in the order of preference.
        threshold: the largest similarity allowed between two kept images.
        limit: the most images to keep (default: all).

    Returns:
        The kept indices, increasing (a long tensor).
    """
    return _deduplicate(images, threshold=threshold, limit=limit)


def _deduplicate(t: torch.Tensor, *, threshold: float, limit: int | None) -> torch.Tensor:
    limit = len(t) if limit is None else limit
    flat = _flat_centered(t).float()
    kept: list[int] = []
    kept_vecs = torch.empty(0, flat.shape[1])
    for start in range(0, len(flat), 2048):
        if len(kept) >= limit:
            break
        chunk = flat[start : start + 2048]
        ok = torch.ones(len(chunk), dtype=torch.bool)
        if len(kept_vecs):
            ok &= (chunk @ kept_vecs.T).max(1).values <= threshold
        dup = np.triu((chunk @ chunk.T).numpy() > threshold, k=1)
        removed = ~ok.numpy()
        new: list[int] = []
        for i in range(len(chunk)):
            if removed[i]:
                continue
            new.append(i)
            removed |= dup[i]
        kept += [start + i for i in new]
        kept_vecs = torch.cat([kept_vecs, chunk[new]])
    return torch.tensor(kept[:limit], dtype=torch.long)


@checked
def patch_pool(
    patch_size: Annotated[int, IntRange(low=2)] = 8,
    *,
    stride: PositiveInt | None = None,
    min_std: NonNegativeReal = 0.02,
    photos: Sequence[str] = PATCH_PHOTOS,
    threshold: Threshold = DEDUP_THRESHOLD,
    limit: PositiveInt | None = None,
    seed: Seed = 0,
) -> Float[Tensor, "n 1 h w"]:
    """All non-flat, deduplicated ``patch_size²`` patches of ``photos``, shuffled (n, 1, s, s).

    Patches are cut on a grid of step ``stride`` (default ``patch_size``), dropped when their
    pixel standard deviation is at most ``min_std``, shuffled with ``seed`` and deduplicated.

    Arguments:
        patch_size: the side of a patch (≥ 2).
        stride: the grid step (default ``patch_size``: non-overlapping patches).
        min_std: patches whose pixel standard deviation is at most this are dropped.
        photos: names of bundled photographs (:data:`theorybook.data.BUNDLED_IMAGES`).
        threshold: the deduplication threshold (:func:`deduplicate`).
        limit: stop once this many patches are kept (default: all).
        seed: seeds the shuffle.

    Returns:
        The patches (n, 1, patch_size, patch_size).

    Raises:
        ValueError: if ``photos`` is empty or names a photograph that is not bundled, or if no
            patch is left (``patch_size`` larger than every photograph, or ``min_std`` above
            every patch's standard deviation).
    """
    stride = patch_size if stride is None else stride
    if isinstance(photos, str) or not photos:
        raise ValueError("photos must be a non-empty sequence of names from BUNDLED_IMAGES")
    unknown = [name for name in photos if name not in BUNDLED_IMAGES]
    if unknown:
        raise ValueError(f"photos holds names that are not in BUNDLED_IMAGES: {unknown}")
    pieces = []
    with offline("theorybook.diffusion.patch_pool"):
        for name in photos:
            img = torch.from_numpy(bundled_image(name))
            if min(img.shape) < patch_size:
                continue
            tiles = img.unfold(0, patch_size, stride).unfold(1, patch_size, stride)
            pieces.append(tiles.reshape(-1, 1, patch_size, patch_size))
    if not pieces:
        raise ValueError(f"patch_size = {patch_size} exceeds every photograph of photos")
    pool = torch.cat(pieces)
    pool = pool[pool.flatten(1).std(1) > min_std]
    if not len(pool):
        raise ValueError(f"min_std = {min_std} leaves no patch (every patch is flatter)")
    gen = torch.Generator().manual_seed(seed)
    pool = pool[torch.randperm(len(pool), generator=gen)]
    return pool[_deduplicate(pool, threshold=threshold, limit=limit)].contiguous()


@record
@dataclass(frozen=True)
class PatchSplit:
    """A pool split into a held-out ``test`` set and a ``train_pool`` for the S1/S2 splits."""

    test: Float3264[Tensor, "n_test c h w"]
    train_pool: Float3264[Tensor, "n_pool c h w"]

    def subsets(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Disjoint training sets ``S1`` (the first n of the pool) and ``S2`` (the next n)."""
        n = v.positive_int("n", n)
        if 2 * n > len(self.train_pool):
            raise ValueError(
                f"N = {n} needs {2 * n} training images; the pool holds {len(self.train_pool)}"
            )
        return self.train_pool[:n], self.train_pool[n : 2 * n]


@checked
def patch_split(
    patches: Patches = Patches(),
    *,
    n_train: PositiveInt | None = None,
    seed: Seed = 0,
) -> PatchSplit:
    """:func:`patch_pool` of ``patches`` split into ``patches.n_test`` test patches and the rest.

    Arguments:
        patches: patch size, grid step, flatness cut and the number of test patches.
        n_train: caps the training pool (default: every patch), which makes deduplication
            faster; the pool must then hold ``n_test + n_train`` patches.
        seed: seeds the shuffle of the pool.

    Returns:
        The :class:`PatchSplit`.

    Raises:
        ValueError: if the deduplicated pool is too small.
    """
    n_test = patches.n_test
    limit = None if n_train is None else n_test + n_train
    pool = patch_pool(
        patches.patch_size,
        stride=patches.stride,
        min_std=patches.min_std,
        seed=seed,
        limit=limit,
    )
    if limit is not None and len(pool) < limit:
        raise ValueError(
            f"the deduplicated pool holds {len(pool)} patches; n_test + n_train needs {limit}"
        )
    if n_test >= len(pool):
        raise ValueError(f"n_test = {n_test} leaves no training patches (pool of {len(pool)})")
    return PatchSplit(test=pool[:n_test], train_pool=pool[n_test:])
