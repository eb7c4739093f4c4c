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

import numpy as np
import torch

from theorybook import validation as v
from theorybook.data import BUNDLED_IMAGES, bundled_image, offline
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


def _flat_centered(x: torch.Tensor) -> torch.Tensor:
    f = x.flatten(1).double()
    f = f - f.mean(1, keepdim=True)
    return f / f.norm(dim=1, keepdim=True).clamp_min(1e-12)


def cosine_similarity(a: object, b: object) -> torch.Tensor:
    """Mean-removed cosine similarity of paired images ``a[i]``, ``b[i]`` (B,) in [−1, 1]."""
    ta = v.tensor("a", a, ndim=4)
    tb = v.tensor("b", b, ndim=4)
    if ta.shape != tb.shape:
        raise ValueError(
            f"a and b must have the same shape, got {tuple(ta.shape)} and {tuple(tb.shape)}"
        )
    return (_flat_centered(ta) * _flat_centered(tb)).sum(1)


def nearest_similarity(images: object, reference: object) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image, the highest mean-removed cosine similarity to ``reference`` and its index."""
    ti = v.tensor("images", images, ndim=4)
    tr = v.tensor("reference", reference, ndim=4)
    if ti.shape[1:] != tr.shape[1:]:
        raise ValueError(
            f"images {tuple(ti.shape[1:])} and reference {tuple(tr.shape[1:])} differ in shape"
        )
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


def deduplicate(
    images: object, *, threshold: float = DEDUP_THRESHOLD, limit: int | None = None
) -> torch.Tensor:
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
    t = v.tensor("images", images, ndim=4)
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
    limit = len(t) if limit is None else v.positive_int("limit", limit)
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


def patch_pool(
    patch_size: int = 8,
    *,
    stride: int | None = None,
    min_std: float = 0.02,
    photos: Sequence[str] = PATCH_PHOTOS,
    threshold: float = DEDUP_THRESHOLD,
    limit: int | None = None,
    seed: int = 0,
) -> torch.Tensor:
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
    """
    patch_size = v.int_in_range("patch_size", patch_size, low=2)
    stride = patch_size if stride is None else v.positive_int("stride", stride)
    min_std = v.real("min_std", min_std, low=0.0)
    if isinstance(photos, str) or not photos:
        raise ValueError("photos must be a non-empty sequence of names from BUNDLED_IMAGES")
    seed = v.seed("seed", seed)
    pieces = []
    with offline("theorybook.diffusion.patch_pool"):
        for name in photos:
            img = torch.from_numpy(bundled_image(name))
            if min(img.shape) < patch_size:
                continue
            tiles = img.unfold(0, patch_size, stride).unfold(1, patch_size, stride)
            pieces.append(tiles.reshape(-1, 1, patch_size, patch_size))
    pool = torch.cat(pieces)
    pool = pool[pool.flatten(1).std(1) > min_std]
    gen = torch.Generator().manual_seed(seed)
    pool = pool[torch.randperm(len(pool), generator=gen)]
    return pool[deduplicate(pool, threshold=threshold, limit=limit)].contiguous()


@dataclass(frozen=True)
class PatchSplit:
    """A pool split into a held-out ``test`` set and a ``train_pool`` for the S1/S2 splits."""

    test: torch.Tensor
    train_pool: torch.Tensor

    def subsets(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Disjoint training sets ``S1`` (the first n of the pool) and ``S2`` (the next n)."""
        n = v.positive_int("n", n)
        if 2 * n > len(self.train_pool):
            raise ValueError(
                f"N = {n} needs {2 * n} training images; the pool holds {len(self.train_pool)}"
            )
        return self.train_pool[:n], self.train_pool[n : 2 * n]


def patch_split(
    patches: Patches = Patches(),
    *,
    n_train: int | None = None,
    seed: int = 0,
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
    if not isinstance(patches, Patches):
        raise TypeError(f"patches must be a Patches block, got {type(patches).__name__}")
    n_test = patches.n_test
    limit = None if n_train is None else n_test + v.positive_int("n_train", n_train)
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
