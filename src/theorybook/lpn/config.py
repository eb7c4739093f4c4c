"""Presets of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`)."""

from __future__ import annotations

from dataclasses import dataclass

from theorybook import validation as v
from theorybook.scales import ScaledConfig

__all__ = ["DIGITS_COUNT", "Config"]

DIGITS_COUNT = 1797
"""The number of images in scikit-learn's digits data set (the MNIST stand-in)."""


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the three experiments; ``Config.preset(scale())`` picks one.

    Laplacian toy (the official README's Laplacian experiment): fully connected LPN, batch ``lap_batch``; ℓ₂ and ℓ₁ models get
    ``lap_pretrain_steps`` steps (half at 1e−3, half at 1e−4); proximal matching warm-starts from ℓ₁
    and runs ``lap_pm_steps`` steps per γ in ``lap_gammas`` with learning rates ``lap_pm_lrs``.
    Digits prior (the README's MNIST experiment): :class:`ConvLPN` on sklearn digits padded to ``pad_to``, trained
    with the paper's schedule (half ℓ₁, then 4 proximal-matching stages) for ``digits_steps``.
    PnP (paper §5): ``pnp_images`` test images, ``pnp_iters`` iterations, on digits and on
    natural-image patches. The plain-CNN baselines get the LPNs' step budgets (``cnn_steps`` =
    ``digits_steps``, ``patch_cnn_steps`` = ``patch_steps`` in every preset).
    Natural-image patches: a second ConvLPN (same width, noise σ = ``digits_sigma``, batch
    ``digits_batch``) trained with the same schedule for ``patch_steps`` on ``patch_train``
    patches of side ``patch_size`` of nine bundled photos, and a plain CNN for ``patch_cnn_steps``; PnP
    validation and test patches are disjoint tiles of the held-out cameraman photo with pixel
    standard deviation ≥ ``patch_min_std``.
    Sparse-view CT: ``ct_angles`` views of phantoms of side ``ct_size``, ``ct_val_images`` validation
    and ``ct_images`` test images (the Shepp–Logan phantom first); the patch models are reused,
    the LPN averaged over periodic patches at stride ``patch_stride``. Larger images:
    crops of side ``crop_size`` of four bundled photographs.
    """

    seed: int = 0
    # Laplacian toy
    lap_hidden: int = 50
    lap_layers: int = 4
    lap_beta: float = 10.0
    lap_batch: int = 512
    lap_pretrain_steps: int = 4000
    lap_gammas: tuple[float, ...] = (0.5, 0.3, 0.2, 0.1)
    lap_pm_steps: int = 1000
    lap_pm_lrs: tuple[float, ...] = (1e-3, 1e-4, 1e-4, 1e-5)
    # digits prior
    pad_to: int = 8
    conv_hidden: int = 32
    conv_alpha: float = 0.01
    conv_beta: float = 10.0
    digits_sigma: float = 0.1
    digits_batch: int = 128
    digits_steps: int = 3000
    n_test: int = 100
    # PnP
    pnp_images: int = 20
    pnp_val_images: int = 10
    pnp_iters: int = 40
    blur_sigma: float = 1.0
    cs_fraction: float = 0.5
    meas_noise: float = 0.02
    cnn_depth: int = 5
    cnn_steps: int = 3000
    # natural-image patches
    patch_size: int = 8
    patch_train: int = 20000
    patch_steps: int = 2000
    patch_cnn_steps: int = 2000
    patch_min_std: float = 0.05
    patch_stride: int = 4
    # sparse-view CT and larger images (the patch models, reused)
    ct_size: int = 32
    ct_angles: int = 20
    ct_images: int = 6
    ct_val_images: int = 3
    crop_size: int = 64

    def validate(self) -> None:
        """Check every field (shared validators); raise ``TypeError``/``ValueError`` naming it."""
        name = type(self).__name__
        set_ = object.__setattr__
        set_(self, "seed", v.seed(f"{name}.seed", self.seed))
        self.require_positive_ints(
            "lap_hidden",
            "lap_layers",
            "lap_batch",
            "lap_pretrain_steps",
            "lap_pm_steps",
            "conv_hidden",
            "digits_batch",
            "digits_steps",
            "n_test",
            "pnp_images",
            "pnp_val_images",
            "pnp_iters",
            "cnn_steps",
            "patch_train",
            "patch_steps",
            "patch_cnn_steps",
            "ct_angles",
            "ct_images",
            "ct_val_images",
        )
        self.require_positive_reals(
            "lap_beta", "conv_beta", "digits_sigma", "blur_sigma", "meas_noise"
        )
        set_(self, "conv_alpha", v.real(f"{name}.conv_alpha", self.conv_alpha, low=0.0))
        gammas = v.real_sequence(f"{name}.lap_gammas", self.lap_gammas, low=0.0, low_open=True)
        lrs = v.real_sequence(f"{name}.lap_pm_lrs", self.lap_pm_lrs, low=0.0, low_open=True)
        if len(gammas) != len(lrs):
            raise ValueError(
                f"{name}.lap_gammas and lap_pm_lrs must have the same length, "
                f"got {len(gammas)} and {len(lrs)}"
            )
        set_(self, "lap_gammas", gammas)
        set_(self, "lap_pm_lrs", lrs)
        pad_to = v.int_in_range(f"{name}.pad_to", self.pad_to, low=8)
        if pad_to % 2:
            raise ValueError(f"{name}.pad_to must be an even number >= 8, got {pad_to}")
        set_(self, "pad_to", pad_to)
        set_(self, "cnn_depth", v.int_in_range(f"{name}.cnn_depth", self.cnn_depth, low=2))
        set_(self, "patch_size", v.int_in_range(f"{name}.patch_size", self.patch_size, low=4))
        cs = v.real(f"{name}.cs_fraction", self.cs_fraction, low=0.0, high=1.0, low_open=True)
        set_(self, "cs_fraction", cs)
        stride = v.int_in_range(f"{name}.patch_stride", self.patch_stride, low=1)
        if self.patch_size % stride:
            raise ValueError(
                f"{name}.patch_stride must divide patch_size = {self.patch_size}, got {stride}"
            )
        set_(self, "patch_stride", stride)
        for field in ("ct_size", "crop_size"):
            side = v.int_in_range(f"{name}.{field}", getattr(self, field), low=self.patch_size)
            if side % stride:
                raise ValueError(
                    f"{name}.{field} must be a multiple of patch_stride = {stride}, got {side}"
                )
            set_(self, field, side)
        std = v.real(f"{name}.patch_min_std", self.patch_min_std, low=0.0, high=0.5, high_open=True)
        set_(self, "patch_min_std", std)
        for field in ("digits_steps", "patch_steps"):
            v.int_in_range(
                f"{name}.{field} (l1 half plus four stages)", getattr(self, field), low=8
            )
        held = self.n_test + self.pnp_val_images
        if held >= DIGITS_COUNT:
            raise ValueError(
                f"{name}.n_test + pnp_val_images = {held} leaves no training digits "
                f"(there are {DIGITS_COUNT})"
            )

    @classmethod
    def presets(cls) -> dict[str, Config]:
        return {
            "smoke": cls(
                lap_pretrain_steps=600,
                lap_pm_steps=150,
                lap_batch=256,
                conv_hidden=16,
                digits_batch=64,
                digits_steps=200,
                n_test=20,
                pnp_images=4,
                pnp_val_images=2,
                pnp_iters=8,
                cnn_steps=200,
                patch_train=2000,
                patch_steps=200,
                patch_cnn_steps=200,
                ct_size=16,
                ct_angles=10,
                ct_images=2,
                ct_val_images=2,
                crop_size=32,
            ),
            "book": cls(),
            # the paper's settings where offline data allows: batch 2000 and 20k+20k steps for the
            # toy, hidden 64 / batch 200 / 40k steps for the image prior (digits instead of MNIST)
            # toy PM stages approximate the official notebook's (γ 0.5 → 0.1, lr 1e−3 → 1e−6, 4k steps each)
            "paper": cls(
                lap_batch=2000,
                lap_pretrain_steps=20000,
                lap_pm_steps=4000,
                lap_gammas=(0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1),
                lap_pm_lrs=(1e-3, 1e-4, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6),
                pad_to=16,
                conv_hidden=64,
                digits_batch=200,
                digits_steps=40000,
                pnp_images=100,
                pnp_val_images=20,
                pnp_iters=100,
                cnn_steps=40000,
                patch_size=16,
                patch_train=200000,
                patch_steps=40000,
                patch_cnn_steps=40000,
                ct_size=64,
                ct_angles=60,
                ct_images=20,
                ct_val_images=10,
                crop_size=64,
            ),
        }
