"""Tests of the sparse-view CT operator, the CT phantoms and the patch-wise LPN (chapter 3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theorybook.data import bundled_image
from theorybook.lpn import (
    Config,
    ConvLPN,
    PatchLPN,
    RadonCT,
    crop_split,
    ct_split,
    image_metrics,
    jacobian_asymmetry,
    operator_norm,
    patch_average,
    pnp_pgd,
    random_phantoms,
    shepp_logan,
)
from theorybook.lpn.data import CROP_PHOTOS, PATCH_TRAIN_PHOTOS, crop_photo
from theorybook.runtime import torch_threads


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def ct() -> RadonCT:
    return RadonCT(16, 12)


# ------------------------------------------------------------------ the CT operator


def test_radon_matrix_matches_skimage_and_has_unit_norm(ct: RadonCT) -> None:
    from skimage.transform import radon

    x = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    sino = np.stack([radon(im[0].numpy(), theta=ct.theta, circle=False).ravel() for im in x])
    assert np.allclose(ct(x).numpy() * ct.scale, sino, atol=1e-10)
    assert math.isclose(operator_norm(ct), 1.0, rel_tol=1e-6)


def test_radon_adjoint_is_exact(ct: RadonCT) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 1, 16, 16, generator=gen, dtype=torch.float64)
    y = torch.randn(3, ct.m, generator=gen, dtype=torch.float64)
    lhs = (ct(x) * y).sum()
    rhs = (x * ct.adjoint(y)).sum()
    assert abs(float(lhs - rhs)) <= 1e-12 * float(ct(x).norm() * y.norm())


def test_adjoint_is_skimage_backprojection_up_to_its_documented_scale(ct: RadonCT) -> None:
    """iradon(filter_name=None) = (π / (2·angles))·Rᵀ up to interpolation (a few per cent)."""
    from skimage.transform import iradon

    gen = torch.Generator().manual_seed(1)
    y = torch.rand(1, ct.m, generator=gen, dtype=torch.float64)
    sino = (y * ct.scale).numpy().reshape(ct.sinogram_shape)
    bp = iradon(sino, theta=ct.theta, filter_name=None, circle=False, output_size=16).ravel()
    at = (ct.adjoint(y * ct.scale) * ct.scale).numpy().ravel()  # Rᵀ of the raw sinogram
    fitted = float(bp @ at / (at @ at))
    documented = math.pi / (2 * ct.angles)
    assert abs(fitted / documented - 1) < 0.01
    assert np.linalg.norm(bp - documented * at) / np.linalg.norm(bp) < 0.05


def test_normal_solve_inverts_ata_plus_rho(ct: RadonCT) -> None:
    b = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    x = ct.normal_solve(b, 0.05)
    assert torch.allclose(ct.normal(x) + 0.05 * x, b, atol=1e-9)


def test_fbp_beats_backprojection_on_the_phantom() -> None:
    op = RadonCT(32, 30)
    x = torch.as_tensor(shepp_logan(32), dtype=torch.float64)
    y = op(x)
    fbp = image_metrics(op.fbp(y), x)[0][0]
    bp = image_metrics(op.adjoint(y), x)[0][0]
    assert fbp > bp + 5


def test_radon_rejects_bad_inputs(ct: RadonCT) -> None:
    with pytest.raises(ValueError, match="n"):
        RadonCT(2, 10)
    with pytest.raises(ValueError, match="angles"):
        RadonCT(16, 0)
    with pytest.raises(ValueError, match="16"):
        ct(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match=str(ct.m)):
        ct.adjoint(torch.zeros(1, ct.m + 1))
    with pytest.raises(TypeError):
        ct.fbp(np.zeros((1, ct.m)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="filter_name"):
        ct.fbp(torch.zeros(1, ct.m), filter_name="box")
    with pytest.raises(ValueError, match="rho"):
        ct.normal_solve(torch.zeros(1, 1, 16, 16), 0.0)


# ------------------------------------------------------------------ phantoms and crops


def test_random_phantoms_are_seeded_images_in_unit_range() -> None:
    a = random_phantoms(3, 24, seed=5)
    assert a.shape == (3, 1, 24, 24) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1 and a.std() > 0.05
    assert np.array_equal(a, random_phantoms(3, 24, seed=5))
    assert not np.array_equal(a, random_phantoms(3, 24, seed=6))
    with pytest.raises(ValueError, match="count"):
        random_phantoms(0, 24)


def test_ct_split_puts_shepp_logan_first_and_keeps_validation_apart() -> None:
    cfg = Config.preset("smoke")
    val, test = ct_split(cfg)
    assert val.shape == (cfg.ct.val_images, 1, cfg.ct.size, cfg.ct.size)
    assert test.shape == (cfg.ct.images, 1, cfg.ct.size, cfg.ct.size)
    assert np.array_equal(test[:1], shepp_logan(cfg.ct.size))
    for t in test:
        assert not any(np.array_equal(t, v) for v in val)


def test_crop_split_gives_disjoint_crops_of_the_four_photos() -> None:
    cfg = Config.preset("book")
    val, test = crop_split(cfg)
    assert val.shape == test.shape == (4, 1, cfg.patches.crop_size, cfg.patches.crop_size)
    assert all(not np.array_equal(v, t) for v, t in zip(val, test, strict=True))
    assert all(t.std() > 0.05 and v.std() > 0.05 for v, t in zip(val, test, strict=True))
    with pytest.raises(TypeError):
        crop_split("book")  # type: ignore[arg-type]


def test_crop_photos_are_held_out_from_patch_training() -> None:
    assert not set(CROP_PHOTOS) & set(PATCH_TRAIN_PHOTOS)
    # skimage's "cat" is the "chelsea" photo under another name: neither may be a test photo
    assert not set(CROP_PHOTOS) & {"cat", "chelsea"}
    for name in CROP_PHOTOS:
        photo = crop_photo(name)
        assert photo.ndim == 2 and photo.dtype == np.float32
        assert 0.0 <= photo.min() and photo.max() <= 1.0
        for train_name in PATCH_TRAIN_PHOTOS:
            other = bundled_image(train_name)
            assert other.shape != photo.shape or not np.allclose(other, photo)
    with pytest.raises(ValueError, match="name"):
        crop_photo("astronaut")


def test_config_rejects_sizes_off_the_stride_grid() -> None:
    with pytest.raises(ValueError, match="Patches.stride"):
        Config.preset("smoke").replace(**{"patches.stride": 3})
    with pytest.raises(ValueError, match="ct.size"):
        Config.preset("smoke").replace(**{"ct.size": 18})


# ------------------------------------------------------------------ the patch-wise LPN


def _patch_model() -> ConvLPN:
    torch.manual_seed(0)
    return ConvLPN(8, 1, 8, alpha=0.01, init="default").double()


def test_patch_average_of_the_identity_is_the_identity() -> None:
    x = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    for boundary in ("periodic", "border"):
        out = patch_average(lambda p: p, x, patch=8, stride=4, boundary=boundary)
        assert torch.allclose(out, x, atol=1e-14)


def test_periodic_average_is_the_gradient_of_the_averaged_potential() -> None:
    model = _patch_model()
    lpn = PatchLPN(model, stride=4)
    x = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    direct = patch_average(model, x, patch=8, stride=4, boundary="periodic")
    assert torch.allclose(lpn(x), direct, atol=1e-12)
    # finite differences of Φ along a random direction
    d = torch.randn_like(x)
    eps = 1e-6
    fd = (lpn.potential(x + eps * d) - lpn.potential(x - eps * d)) / (2 * eps)
    assert torch.allclose(fd, (lpn(x).detach() * d).flatten(1).sum(1), atol=1e-6)


def test_periodic_average_is_a_prox_and_the_border_average_is_not() -> None:
    """Uniform coverage: symmetric Jacobian (a gradient field); border normalisation: not."""
    model = _patch_model()
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    periodic = jacobian_asymmetry(
        lambda v: patch_average(model, v, patch=8, stride=4, boundary="periodic"), x
    )
    border = jacobian_asymmetry(
        lambda v: patch_average(model, v, patch=8, stride=4, boundary="border"), x
    )
    assert periodic < 1e-12
    assert border > 1e-3
    # the border version with non-overlapping tiles has uniform coverage again: symmetric
    tiles = jacobian_asymmetry(
        lambda v: patch_average(model, v, patch=8, stride=8, boundary="border"), x
    )
    assert tiles < 1e-12


def test_pgd_with_the_periodic_patch_lpn_decreases_its_exact_objective() -> None:
    op = RadonCT(16, 8)
    lpn = PatchLPN(_patch_model(), stride=4)
    x = torch.as_tensor(random_phantoms(2, 16, seed=3), dtype=torch.float64)
    y = op(x)
    run = pnp_pgd(op, y, lpn, step=0.95, iters=15)
    assert run.objective.shape == (15, 2)
    rises = np.diff(run.objective, axis=0) / np.maximum(1.0, np.abs(run.objective[:-1]))
    assert rises.max() <= 1e-10


def test_patch_functions_reject_bad_inputs() -> None:
    model = _patch_model()
    with pytest.raises(ValueError, match="stride"):
        PatchLPN(model, stride=3)
    with pytest.raises(TypeError, match="ConvLPN"):
        PatchLPN(torch.nn.Identity())  # type: ignore[arg-type]
    lpn = PatchLPN(model, stride=4)
    with pytest.raises(ValueError, match="divisible"):
        lpn(torch.rand(1, 1, 18, 18, dtype=torch.float64))
    with pytest.raises(ValueError, match="patch size"):
        lpn(torch.rand(1, 1, 4, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="boundary"):
        patch_average(model, torch.rand(1, 1, 16, 16), patch=8, boundary="reflect")
    with pytest.raises(TypeError, match="image"):
        jacobian_asymmetry(lpn, torch.rand(2, 1, 16, 16, dtype=torch.float64))


def test_ct_and_patch_experiments_reject_wrong_models() -> None:
    from theorybook.lpn import PlainCNN
    from theorybook.lpn import experiments as ex

    cfg = Config.preset("smoke")
    model = _patch_model()
    with pytest.raises(TypeError, match="lpn"):
        ex.run_ct(cfg, PlainCNN(1, 4, 2), None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cnn"):
        ex.run_patch_prox(cfg, model, model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lpn"):
        ex.run_patch_prox(cfg, PatchLPN(model), None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cfg"):
        ex.run_ct("smoke", model, None)  # type: ignore[arg-type]
