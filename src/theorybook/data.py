"""Offline data shared by the chapters: sklearn digits, scikit-image photos, patches and faces.

Nothing here downloads. Every loader runs inside :func:`offline`, which makes any attempt to open
a network connection raise :class:`OfflineDataError` naming the loader, so a data set that a
library would fetch from the internet fails loudly instead of hanging or silently downloading.

The MNIST stand-in is scikit-learn's ``load_digits`` (1,797 images of 8×8 pixels, 16 grey levels);
natural images come from the photographs bundled with scikit-image; faces from its ``lfw_subset``
(100 faces and 100 non-faces, 25×25). Used in Part I (denoisers and priors) and Part II.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from jaxtyping import Float, Int
from numpy.typing import DTypeLike, NDArray

from theorybook.boundary import IntRange, PositiveInt, Seed, checked, record

__all__ = [
    "BUNDLED_IMAGES",
    "DigitsImages",
    "OfflineDataError",
    "bundled_image",
    "load_digits_images",
    "load_lfw_faces",
    "natural_image_patches",
    "offline",
]


class OfflineDataError(RuntimeError):
    """A loader tried to reach the network; the book only uses data that ships with its packages."""


BUNDLED_IMAGES: tuple[str, ...] = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "cell",
    "checkerboard",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "microaneurysms",
    "moon",
    "page",
    "retina",
    "rocket",
    "text",
)
"""scikit-image photographs that ship inside its wheel (checked offline in the tests)."""

DEFAULT_PATCH_IMAGES: tuple[str, ...] = (
    "camera",
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


@contextmanager
@checked
def offline(what: str = "a data loader") -> Iterator[None]:
    """Within this block, opening a network connection raises :class:`OfflineDataError`.

    Covers ``socket.connect``/``connect_ex`` and ``socket.create_connection`` (which HTTP
    clients use), so a library that would fetch data fails at once with a message naming
    ``what``.
    """

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OfflineDataError(
            f"{what} tried to open a network connection; theorybook only uses data bundled with "
            "installed packages (sklearn, scikit-image, statsmodels) or generated locally"
        )

    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection = saved  # type: ignore[method-assign]


def _check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be a floating NumPy dtype, got {dtype!r} ({err})") from None
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating dtype (float32 or float64), got {dt}")
    return dt


@record
@dataclass(frozen=True)
class DigitsImages:
    """Handwritten digits as images in ``[0, 1]``: ``images`` (n, h, w), ``labels`` (n,) in 0..9.

    Built by :func:`load_digits_images`.
    """

    images: Float[np.ndarray, "n h w"]
    labels: Int[np.ndarray, " n"]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def flat(self) -> NDArray[np.floating[Any]]:
        """The images as vectors, shape (n, h·w)."""
        return self.images.reshape(len(self.images), -1)


@checked
def load_digits_images(
    *, pad_to: Annotated[int, IntRange(low=8)] | None = None, dtype: DTypeLike = np.float32
) -> DigitsImages:
    """scikit-learn's digits (1,797 images, 8×8) scaled to ``[0, 1]``: the book's MNIST stand-in.

    ``pad_to`` zero-pads each image symmetrically to ``pad_to × pad_to`` (e.g. 16 for a
    convolutional net that downsamples twice); it must be an even number ≥ 8.
    """
    from sklearn.datasets import load_digits

    dt = _check_dtype(dtype)
    if pad_to is not None:
        if pad_to % 2:
            raise ValueError(f"pad_to must be an even number >= 8, got {pad_to}")
    with offline("sklearn.datasets.load_digits"):
        bunch = load_digits()
    images = (bunch.images / 16.0).astype(dt)
    if pad_to is not None and pad_to > 8:
        p = (pad_to - 8) // 2
        images = np.pad(images, ((0, 0), (p, p), (p, p)))
    return DigitsImages(images=images, labels=bunch.target.astype(np.int64))


@checked
def bundled_image(
    name: str, *, grayscale: bool = True, dtype: DTypeLike = np.float32
) -> NDArray[Any]:
    """One of the photographs in :data:`BUNDLED_IMAGES`, as floats in ``[0, 1]``.

    Arguments:
        name: one of :data:`BUNDLED_IMAGES` (others would need a download).
        grayscale: convert colour images to grey (default); ``False`` keeps them (h, w, 3).
        dtype: the floating dtype of the result.

    Returns:
        The image, (h, w) grey-scale or (h, w, 3) colour, clipped to ``[0, 1]``.
    """
    import skimage.data
    from skimage.color import rgb2gray, rgba2rgb
    from skimage.util import img_as_float

    if name not in BUNDLED_IMAGES:
        raise ValueError(
            f"{name!r} is not a bundled scikit-image photograph (others would need a download); "
            f"choose one of {', '.join(BUNDLED_IMAGES)}"
        )
    dt = _check_dtype(dtype)
    with offline(f"skimage.data.{name}"):
        image = getattr(skimage.data, name)()
    image = img_as_float(image)
    if image.ndim == 3 and image.shape[-1] == 4:
        image = rgba2rgb(image)
    if grayscale and image.ndim == 3:
        image = rgb2gray(image)
    return np.clip(image, 0.0, 1.0).astype(dt)


@checked
def natural_image_patches(
    n_patches: PositiveInt,
    patch_size: Annotated[int, IntRange(low=2)] = 8,
    *,
    images: Sequence[str] = DEFAULT_PATCH_IMAGES,
    seed: Seed = 0,
    dtype: DTypeLike = np.float32,
) -> NDArray[Any]:
    """``n_patches`` grey-scale patches cut at random from bundled photographs.

    Patches are drawn evenly across ``images`` (each photograph in turn), at uniformly random
    positions from ``np.random.default_rng(seed)``.

    Arguments:
        n_patches: how many patches (≥ 1).
        patch_size: the side ``s`` of a square patch (≥ 2, at most the smallest image side).
        images: names from :data:`BUNDLED_IMAGES` to cut from.
        seed: the seed of the positions.
        dtype: the floating dtype of the result.

    Returns:
        An array (n_patches, s, s) with values in ``[0, 1]``.
    """
    if isinstance(images, str) or not images:
        raise ValueError("images must be a non-empty sequence of names from BUNDLED_IMAGES")
    rng = np.random.default_rng(seed)
    dt = _check_dtype(dtype)
    for i, name in enumerate(images):
        if name not in BUNDLED_IMAGES:
            raise ValueError(
                f"images[{i}] = {name!r} is not a bundled scikit-image photograph; "
                f"choose from {', '.join(BUNDLED_IMAGES)}"
            )
    photos = [bundled_image(name, dtype=dt) for name in images]
    for name, photo in zip(images, photos, strict=True):
        if min(photo.shape) < patch_size:
            raise ValueError(
                f"patch_size {patch_size} exceeds the image {name!r} of shape {photo.shape}"
            )
    out = np.empty((n_patches, patch_size, patch_size), dtype=dt)
    for i in range(n_patches):
        photo = photos[i % len(photos)]
        r = rng.integers(0, photo.shape[0] - patch_size + 1)
        c = rng.integers(0, photo.shape[1] - patch_size + 1)
        out[i] = photo[r : r + patch_size, c : c + patch_size]
    return out


@checked
def load_lfw_faces(*, faces_only: bool = True, dtype: DTypeLike = np.float32) -> NDArray[Any]:
    """scikit-image's ``lfw_subset``: 25×25 grey-scale images in ``[0, 1]``.

    The first 100 images are faces, the next 100 background crops; ``faces_only=False`` returns
    all 200.
    """
    import skimage.data

    dt = _check_dtype(dtype)
    with offline("skimage.data.lfw_subset"):
        images = np.asarray(skimage.data.lfw_subset(), dtype=np.float64)
    if images.max() > 1.0:  # older releases returned uint8
        images = images / 255.0
    return (images[:100] if faces_only else images).astype(dt)
