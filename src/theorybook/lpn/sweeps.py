"""What a prior does along the perturbation sweeps of the digits (chapter 3, {cite}`fang2024lpn`).

A *sweep table* holds a prior's value on ``n`` test images at every level of one perturbation of
:data:`~theorybook.lpn.data.PERTURBATIONS`, shape ``(levels, n)``, level 0 being the clean image.
The paper's official evaluation (``lpn/evaluate_prior.py``, plotted as violins per level) shows
R_θ rising with noise and blur, and the convex combination (1 − λ)x + λx′ of two digits scoring
above both digits. These functions turn a table into the per-image yes/no facts the claims count,
for the learned R_θ and, under the same checks, for total variation (:func:`total_variation`),
the hand-crafted prior the chapter challenges R_θ with.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Bool, Float, Float64

from theorybook.boundary import checked

__all__ = ["below_by_level", "clean_lowest", "mixture_above_both", "total_variation"]

Table = Float[np.ndarray, "levels n"]
"""A sweep table: a prior at every level (rows, level 0 clean) of every test image (columns)."""


@checked
def total_variation(images: Float[np.ndarray, "n 1 s s"]) -> Float64[np.ndarray, " n"]:
    """Isotropic total variation Σ √(∂ₕx² + ∂ᵥx²) of each image, forward differences with a
    replicated last row and column (the discrete TV of {cite}`rudin1992tv`).

    Arguments:
        images: a batch ``(n, 1, s, s)``.

    Returns:
        One TV value per image.
    """
    x = np.asarray(images, dtype=np.float64)[:, 0]
    dh = np.diff(x, axis=2, append=x[:, :, -1:])
    dv = np.diff(x, axis=1, append=x[:, -1:, :])
    return np.sqrt(dh**2 + dv**2).sum(axis=(1, 2))


@checked
def clean_lowest(table: Table) -> Bool[np.ndarray, " n"]:
    """Per image: the prior of the clean image (row 0) lies below every perturbed level."""
    return np.all(table[1:] > table[0], axis=0)


@checked
def below_by_level(table: Table) -> Float64[np.ndarray, " perturbed"]:
    """Per perturbed level: the fraction of images whose clean prior lies below that level's."""
    return np.mean(table[1:] > table[0], axis=1).astype(np.float64)


@checked
def mixture_above_both(
    table: Table, levels: tuple[float, ...] | list[float]
) -> Bool[np.ndarray, " pairs"]:
    """Per pair of digits: the mixtures strictly between them score above both clean digits.

    Column i of ``table`` mixes digit i with digit n − 1 − i
    (:func:`~theorybook.lpn.data.perturb`), so column n − 1 − i holds the same mixtures in
    reverse; each unordered pair (i, n − 1 − i), i < n/2, is counted once. A pair passes when
    the prior at every level 0 < λ < 1 exceeds max(prior(x_i), prior(x_{n−1−i})), the clean
    digits at row 0.

    Arguments:
        table: the mixing sweep, ``(levels, n)`` with ``n`` even.
        levels: the mixing weights of the rows, starting at 0.

    Returns:
        One yes/no per pair, ``n/2`` of them.
    """
    n = table.shape[1]
    if n % 2 or len(levels) != table.shape[0] or levels[0] != 0:
        raise ValueError(
            f"table must be (levels, n) with n even and levels starting at 0, got {table.shape} "
            f"and levels {tuple(levels)}"
        )
    interior = [j for j, lv in enumerate(levels) if 0 < lv < 1]
    if not interior:
        raise ValueError(f"levels need a mixing weight strictly between 0 and 1, got {levels}")
    ends = np.maximum(table[0], table[0][::-1])
    above = np.all(table[interior] > ends, axis=0)
    return above[: n // 2]
