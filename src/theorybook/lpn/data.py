"""Data of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

Offline stand-ins for the paper's data sets: scikit-learn's 8×8 digits for MNIST
(:func:`digits_split`), grey-scale patches of photographs bundled with scikit-image for CelebA
(:func:`patch_split`), the perturbations under which the learned prior is evaluated
(:data:`PERTURBATIONS`, :func:`perturb`) and the samplers of noisy/clean training pairs. Every
loader goes through :mod:`theorybook.data`, whose loaders run under
:func:`theorybook.data.offline`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
from jaxtyping import Float, Float32
from scipy.ndimage import gaussian_filter

from theorybook.boundary import NonNegativeReal, PositiveInt, PositiveReal, Seed, checked
from theorybook.data import bundled_image, load_digits_images, natural_image_patches, offline
from theorybook.lpn.config import DIGITS_COUNT, Config

__all__ = [
    "CROP_PHOTOS",
    "DIGITS_COUNT",
    "MAX_BLUR_SIDES",
    "PATCH_TEST_PHOTO",
    "PATCH_TRAIN_PHOTOS",
    "PERTURBATIONS",
    "Sampler",
    "check_images",
    "crop_photo",
    "crop_split",
    "ct_split",
    "digits_split",
    "image_sampler",
    "laplace_sampler",
    "patch_split",
    "perturb",
    "random_phantoms",
    "shepp_logan",
]

Sampler = Callable[[], tuple[torch.Tensor, torch.Tensor]]
"""A callable returning one batch of ``(clean, noisy)`` training pairs."""

PATCH_TRAIN_PHOTOS: tuple[str, ...] = (
    "astronaut",
    "coffee",
    "chelsea",
    "coins",
    "moon",
    "rocket",
    "brick",
    "grass",
    "gravel",
)
"""Bundled scikit-image photographs the natural-image LPN is trained on."""

PATCH_TEST_PHOTO = "camera"
"""The held-out photograph (the cameraman) whose tiles are the PnP validation and test patches."""

CROP_PHOTOS: tuple[str, ...] = (
    "camera",
    "stereo_motorcycle",
    "immunohistochemistry",
    "hubble_deep_field",
)
"""The scikit-image photographs (shipped in its wheel) whose grey-scale crops test the patch
LPN on larger images: the cameraman, the left view of the stereo motorcycle pair, the
immunohistochemistry slide and the Hubble deep field. None of them is among
:data:`PATCH_TRAIN_PHOTOS`, so no model of the chapter was trained on any of their pixels."""

PERTURBATIONS: dict[str, tuple[float, ...]] = {
    "noise": (0.0, 0.05, 0.1, 0.2, 0.3),
    "blur": (0.0, 0.5, 1.0, 2.0, 4.0),
    "mix": (0.0, 0.25, 0.5, 0.75, 1.0),
}
"""Perturbation levels: noise σ (clipped to [0, 1]), blur σ in pixels, mixing weight λ; the
official sweeps (``exps/mnist/configs/mnist/prior/perturb/{gaussian,blur,convex}.json`` of the
paper's repository). The blur widths are in pixels of our images, which are smaller than
MNIST's 28 × 28, so the same width blurs more of each digit."""

MAX_BLUR_SIDES = 10
"""The widest blur :func:`perturb` applies, in image sides (the chapter's widest is 4 pixels)."""

PerturbationKind = Literal["noise", "blur", "mix"]
"""The kinds of :data:`PERTURBATIONS`."""

Images = Float[np.ndarray, "n 1 s s"]
"""A batch of square grey images in [0, 1]."""


def check_images(images: object, what: str) -> np.ndarray:
    """``images`` itself if it is a non-empty float array ``(n, 1, s, s)`` with values in [0, 1].

    Raises ``TypeError`` for a non-array or non-float array and ``ValueError`` (naming ``what``)
    for a wrong shape, NaN/inf or values outside [0, 1].
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array, got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
        raise ValueError(f"{what} must have shape (n, 1, s, s), got {images.shape}")
    if len(images) == 0:
        raise ValueError(f"{what} must hold at least one image")
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"{what} must hold floats, got {images.dtype}")
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
        raise ValueError(f"{what} must hold finite values in [0, 1]")
    return images


@checked
def digits_split(cfg: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) digits ``(n, 1, s, s)`` from a seeded permutation.

    ``digits.n_test`` test and ``pnp.val_images`` validation images; the rest of the 1,797 digits
    (:data:`DIGITS_COUNT`) train. s = ``cfg.digits.pad_to``.

    Arguments:
        cfg: the chapter's settings.

    Returns:
        ``(train, validation, test)``, float32 arrays ``(n, 1, s, s)`` in [0, 1].
    """
    images = load_digits_images(pad_to=cfg.digits.pad_to).images[:, None].astype(np.float32)
    held = cfg.digits.n_test + cfg.pnp.val_images
    if held >= len(images):
        raise ValueError(
            f"digits.n_test + pnp.val_images = {held} leaves no training digits out of {len(images)}"
        )
    perm = np.random.default_rng(cfg.seed).permutation(len(images))
    test = perm[: cfg.digits.n_test]
    val = perm[cfg.digits.n_test : held]
    train = perm[held:]
    return images[train], images[val], images[test]


@checked
def patch_split(cfg: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) grey-scale patches ``(n, 1, s, s)``, s = ``cfg.patches.size``.

    Training: ``patch_train`` patches at random positions of :data:`PATCH_TRAIN_PHOTOS`
    (:func:`theorybook.data.natural_image_patches`, seed ``cfg.seed``). Validation and test come
    from a photo the networks never see, :data:`PATCH_TEST_PHOTO`: it is cut into
    non-overlapping s × s tiles, tiles with pixel standard deviation below ``patch_min_std``
    (flat sky, on which every method is near-perfect) are dropped, and a seeded permutation
    gives ``pnp_val_images`` validation and ``pnp_images`` test tiles, disjoint by construction.

    Arguments:
        cfg: the chapter's settings.

    Returns:
        ``(train, validation, test)``, float32 arrays ``(n, 1, s, s)`` in [0, 1].
    """
    s = cfg.patches.size
    train = natural_image_patches(cfg.patches.train, s, images=PATCH_TRAIN_PHOTOS, seed=cfg.seed)
    photo = bundled_image(PATCH_TEST_PHOTO)
    rows, cols = photo.shape[0] // s, photo.shape[1] // s
    tiles = (
        photo[: rows * s, : cols * s]
        .reshape(rows, s, cols, s)
        .transpose(0, 2, 1, 3)
        .reshape(-1, s, s)
    )
    tiles = tiles[tiles.std(axis=(1, 2)) >= cfg.patches.min_std]
    need = cfg.pnp.val_images + cfg.pnp.images
    if len(tiles) < need:
        raise ValueError(
            f"only {len(tiles)} tiles of {PATCH_TEST_PHOTO!r} pass patch_min_std; need {need}"
        )
    perm = np.random.default_rng(cfg.seed).permutation(len(tiles))
    val = tiles[perm[: cfg.pnp.val_images]]
    test = tiles[perm[cfg.pnp.val_images : need]]
    return (
        train[:, None].astype(np.float32),
        val[:, None].astype(np.float32),
        test[:, None].astype(np.float32),
    )


@checked
def perturb(
    images: Images, kind: PerturbationKind, level: NonNegativeReal, *, seed: Seed = 0
) -> Float[np.ndarray, "n 1 s s"]:
    """Perturb ``images`` ``(n, 1, s, s)`` in [0, 1].

    ``"noise"``: clip(x + level·ε, 0, 1); ``"blur"``: a Gaussian filter of width ``level``
    pixels (``scipy.ndimage.gaussian_filter``, its default reflecting border); ``"mix"``:
    (1 − level)·x + level·x′ with x′ the image at the mirrored position of the batch,
    x′ᵢ = x_{n−1−i} (the convex combination of two digits; ``level`` ≤ 1). These are the
    perturbations of the paper's official ``lpn/utils/perturb.py`` and ``lpn/evaluate_prior.py``;
    as there, an even batch pairs no image with itself.

    Arguments:
        images: the clean images ``(n, 1, s, s)`` in [0, 1].
        kind: one of :data:`PERTURBATIONS` (``"noise"``, ``"blur"``, ``"mix"``).
        level: the noise σ, the blur width in pixels (at most :data:`MAX_BLUR_SIDES` image
            sides), or the mixing weight λ (at most 1).
        seed: the seed of the noise (``"noise"`` only).

    Returns:
        The perturbed images, same shape and dtype (a copy at level 0).
    """
    images = check_images(images, "images")
    if kind == "mix" and level > 1:
        raise ValueError(f"level must be <= 1 for kind='mix' (a mixing weight), got {level}")
    side = images.shape[-1]
    if kind == "blur" and level > MAX_BLUR_SIDES * side:
        raise ValueError(
            f"level must be <= {MAX_BLUR_SIDES}·s = {MAX_BLUR_SIDES * side} pixels for "
            f"kind='blur' on {side}×{side} images, got {level}: a wider blur leaves almost "
            "nothing of the image, and scipy's kernel (radius 4·level) would not fit in memory"
        )
    if level == 0:
        return images.copy()
    if kind == "noise":
        rng = np.random.default_rng(seed)
        noisy = images + level * rng.standard_normal(images.shape)
        return np.clip(noisy, 0, 1).astype(images.dtype)
    if kind == "blur":
        return np.stack([gaussian_filter(im, sigma=(0, level, level)) for im in images])
    return ((1 - level) * images + level * images[::-1]).astype(images.dtype)


@checked
def laplace_sampler(
    batch: PositiveInt, *, b: PositiveReal = 1.0, sigma: PositiveReal = 1.0
) -> Sampler:
    """Pairs (x, y) with x ~ Laplace(0, b) and y = x + σ·N(0, 1), shape ``(batch, 1)``."""
    dist = torch.distributions.Laplace(0.0, b)

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        x = dist.sample((batch, 1))
        return x, x + sigma * torch.randn(batch, 1)

    return sample


@checked
def image_sampler(train: Images, batch: PositiveInt, sigma: PositiveReal) -> Sampler:
    """Pairs (x, x + σ·ε) with x drawn uniformly (with replacement) from ``train`` (n, 1, s, s)."""
    data = torch.as_tensor(check_images(train, "train"))

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(data), (batch,))
        x = data[idx]
        return x, x + sigma * torch.randn_like(x)

    return sample


@checked
def random_phantoms(
    count: PositiveInt, size: PositiveInt, *, seed: Seed = 0
) -> Float32[np.ndarray, "count 1 size size"]:
    """``count`` random-ellipse phantoms ``(count, 1, size, size)`` in [0, 1] (seeded).

    Shepp–Logan-like: an outer ellipse of intensity in [0.8, 1] (the skull), an inner one
    lowering it by 0.6–0.7 (the brain), then 3–6 small ellipses adding ±0.1–0.3, on the square
    [−1, 1]², clipped to [0, 1]. Centres, half-axes and angles are random.

    Arguments:
        count: the number of phantoms.
        size: their side in pixels.
        seed: the seed of the random ellipses.

    Returns:
        A float32 array ``(count, 1, size, size)``.
    """
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, size)
    xx, yy = np.meshgrid(grid, grid)

    def ellipse(cx: float, cy: float, a: float, b: float, angle: float) -> np.ndarray:
        c, s = np.cos(angle), np.sin(angle)
        u, w = (xx - cx) * c + (yy - cy) * s, -(xx - cx) * s + (yy - cy) * c
        return ((u / a) ** 2 + (w / b) ** 2 <= 1).astype(np.float64)

    out = np.empty((count, 1, size, size), dtype=np.float32)
    for k in range(count):
        a, b = rng.uniform(0.65, 0.85), rng.uniform(0.8, 0.95)
        tilt = rng.uniform(-0.3, 0.3)
        img = rng.uniform(0.8, 1.0) * ellipse(0, 0, a, b, tilt)
        img -= rng.uniform(0.6, 0.7) * ellipse(0, 0, 0.9 * a, 0.9 * b, tilt)
        for _ in range(rng.integers(3, 7)):
            r, phi = rng.uniform(0, 0.5), rng.uniform(0, 2 * np.pi)
            img += (
                rng.choice([-1.0, 1.0])
                * rng.uniform(0.1, 0.3)
                * ellipse(
                    r * np.cos(phi) * a,
                    r * np.sin(phi) * b,
                    rng.uniform(0.05, 0.3) * a,
                    rng.uniform(0.05, 0.3) * b,
                    rng.uniform(0, np.pi),
                )
            )
        out[k, 0] = np.clip(img, 0.0, 1.0)
    return out


@checked
def shepp_logan(size: PositiveInt) -> Float32[np.ndarray, "1 1 size size"]:
    """scikit-image's (modified) Shepp–Logan phantom resized to ``(1, 1, size, size)`` in [0, 1].

    Arguments:
        size: the side in pixels.

    Returns:
        A float32 array ``(1, 1, size, size)``.
    """
    import skimage.data
    from skimage.transform import resize

    with offline("skimage.data.shepp_logan_phantom"):
        phantom = skimage.data.shepp_logan_phantom()
    small = resize(phantom, (size, size), anti_aliasing=True)
    return np.clip(small, 0.0, 1.0).astype(np.float32)[None, None]


@checked
def ct_split(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """(validation, test) CT phantoms ``(n, 1, s, s)``, s = ``cfg.ct.size``.

    Validation: ``ct_val_images`` random phantoms (seed ``cfg.seed + 101``); test: the
    Shepp–Logan phantom followed by ``ct_images − 1`` random phantoms from another seed
    (``cfg.seed + 202``), so no test image is a validation image.

    Arguments:
        cfg: the chapter's settings.

    Returns:
        ``(validation, test)``, float32 arrays ``(n, 1, s, s)`` in [0, 1].
    """
    val = random_phantoms(cfg.ct.val_images, cfg.ct.size, seed=cfg.seed + 101)
    test = [shepp_logan(cfg.ct.size)]
    if cfg.ct.images > 1:
        test.append(random_phantoms(cfg.ct.images - 1, cfg.ct.size, seed=cfg.seed + 202))
    return val, np.concatenate(test)


def crop_photo(name: str) -> np.ndarray:
    """Grey-scale photograph ``name`` of :data:`CROP_PHOTOS` as float32 in ``[0, 1]``.

    ``"stereo_motorcycle"`` is the left view of scikit-image's stereo pair (loaded offline
    from its wheel); the others come from :func:`theorybook.data.bundled_image`.
    """
    if not isinstance(name, str) or name not in CROP_PHOTOS:
        raise ValueError(f"name must be one of {', '.join(CROP_PHOTOS)}, got {name!r}")
    if name != "stereo_motorcycle":
        return bundled_image(name)
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    with offline("skimage.data.stereo_motorcycle"):
        left = skimage.data.stereo_motorcycle()[0]
    return np.clip(rgb2gray(img_as_float(left)), 0.0, 1.0).astype(np.float32)


@checked
def crop_split(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """(validation, test) grey-scale crops ``(4, 1, c, c)`` of :data:`CROP_PHOTOS`, c = ``patches.crop_size``.

    The photos are the cameraman, the left stereo-motorcycle view, the immunohistochemistry
    slide and the Hubble deep field, none of which the patch models were trained on
    (:data:`PATCH_TRAIN_PHOTOS`). The test crop of each photo is its central c × c square;
    the validation crop the c × c square at its top-left quarter point (disjoint from the
    centre for photos at least 4c on a side, as these 500 × 741 to 872 × 1000 images are at
    c ≤ 125).

    Arguments:
        cfg: the chapter's settings.

    Returns:
        ``(validation, test)``, float32 arrays ``(4, 1, c, c)`` in [0, 1].
    """
    c = cfg.patches.crop_size
    val, test = [], []
    for name in CROP_PHOTOS:
        photo = crop_photo(name)
        h, w = photo.shape
        if min(h, w) < 2 * c:
            raise ValueError(f"patches.crop_size {c} is too large for {name!r} ({h}×{w})")
        top, left = (h - c) // 2, (w - c) // 2
        test.append(photo[top : top + c, left : left + c])
        qt, ql = max(0, h // 4 - c // 2), max(0, w // 4 - c // 2)
        val.append(photo[qt : qt + c, ql : ql + c])
    return (
        np.stack(val)[:, None].astype(np.float32),
        np.stack(test)[:, None].astype(np.float32),
    )
