"""Tests of theorybook.data: offline loaders and the network guard."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from theorybook.data import (
    BUNDLED_IMAGES,
    OfflineDataError,
    bundled_image,
    load_digits_images,
    load_lfw_faces,
    natural_image_patches,
    offline,
)


def test_digits_are_scaled_images_with_labels() -> None:
    d = load_digits_images()
    assert d.images.shape == (1797, 8, 8) and d.images.dtype == np.float32
    assert d.images.min() == 0.0 and d.images.max() == 1.0
    assert set(np.unique(d.labels)) == set(range(10))
    assert d.flat.shape == (1797, 64) and len(d) == 1797


def test_digits_padding_keeps_the_content() -> None:
    plain = load_digits_images(dtype=np.float64)
    padded = load_digits_images(pad_to=16, dtype=np.float64)
    assert padded.images.shape == (1797, 16, 16)
    np.testing.assert_array_equal(padded.images[:, 4:12, 4:12], plain.images)
    assert padded.images[:, :4].sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pad_to": 9}, ValueError),
        ({"pad_to": 4}, ValueError),
        ({"pad_to": 16.0}, TypeError),
        ({"dtype": np.int32}, TypeError),
    ],
)
def test_digits_reject_bad_arguments(kwargs, error) -> None:
    with pytest.raises(error):
        load_digits_images(**kwargs)


@pytest.mark.parametrize("name", BUNDLED_IMAGES)
def test_every_listed_photo_loads_offline(name: str) -> None:
    image = bundled_image(name)
    assert image.ndim == 2 and min(image.shape) >= 100
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0


def test_colour_is_kept_on_request() -> None:
    assert bundled_image("astronaut", grayscale=False).shape == (512, 512, 3)


def test_unbundled_images_are_refused_before_any_download() -> None:
    with pytest.raises(ValueError, match="bundled"):
        bundled_image("eagle")  # part of scikit-image, but fetched from the internet


def test_offline_guard_turns_network_use_into_a_clear_error() -> None:
    with offline("a test loader"), pytest.raises(OfflineDataError, match="a test loader"):
        socket.create_connection(("127.0.0.1", 9))
    with offline("a raw socket"):
        s = socket.socket()
        try:
            with pytest.raises(OfflineDataError):
                s.connect(("127.0.0.1", 9))
        finally:
            s.close()
    assert socket.create_connection.__name__ == "create_connection"  # restored afterwards


def test_a_loader_that_needs_the_network_fails_loudly() -> None:
    from sklearn.datasets import fetch_olivetti_faces

    with offline("fetch_olivetti_faces"), pytest.raises(Exception) as info:
        fetch_olivetti_faces(data_home="/nonexistent-theorybook", download_if_missing=True)
    chain = [info.value, info.value.__cause__, info.value.__context__]
    assert any(isinstance(e, (OfflineDataError, OSError)) for e in chain if e is not None)


def test_patches_are_seeded_and_in_range() -> None:
    a = natural_image_patches(50, 8, seed=1)
    b = natural_image_patches(50, 8, seed=1)
    c = natural_image_patches(50, 8, seed=2)
    assert a.shape == (50, 8, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() <= 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_patches": 0},
        {"n_patches": 5, "patch_size": 1},
        {"n_patches": 5, "images": ()},
        {"n_patches": 5, "images": "camera"},
        {"n_patches": 5, "patch_size": 4096},
    ],
)
def test_patches_reject_bad_arguments(kwargs) -> None:
    with pytest.raises(ValueError):
        natural_image_patches(**kwargs)


def test_lfw_faces() -> None:
    faces = load_lfw_faces()
    everything = load_lfw_faces(faces_only=False)
    assert faces.shape == (100, 25, 25) and everything.shape == (200, 25, 25)
    np.testing.assert_array_equal(faces, everything[:100])
    assert 0.0 <= everything.min() and everything.max() <= 1.0
