"""Presets of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

The options are grouped by concept, one validated :class:`~theorybook.scales.Settings` block
each: :class:`Laplace` (the 1-D toy), :class:`Denoisers` (the image ConvLPN and plain CNN and
their training schedule), :class:`Digits` (the digits prior), :class:`PnP` (the inverse problems
and their solvers), :class:`Patches` (natural-image patches and larger crops), :class:`CT`
(sparse-view CT) and :class:`Timing` (the training-step timing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from theorybook import validation as v
from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
)
from theorybook.lpn.model import SoftplusBeta
from theorybook.scales import ScaledConfig, Settings

__all__ = [
    "CT",
    "DIGITS_COUNT",
    "INDEPENDENT_DEFAULTS",
    "Config",
    "Denoisers",
    "Digits",
    "Laplace",
    "Patches",
    "PnP",
    "Timing",
]

DIGITS_COUNT = 1797
"""The number of images in scikit-learn's digits data set (the MNIST stand-in)."""

INDEPENDENT_DEFAULTS: dict[str, str] = {
    "operator_norm.iters": "power-iteration count of the norm estimate, not PnP iterations",
}
"""Function parameters that share a setting's name but not its meaning."""


def _set(block: Settings, name: str, value: object) -> None:
    object.__setattr__(block, name, value)


@dataclass(frozen=True)
class Laplace(Settings):
    """The Laplacian toy (the official README's Laplacian experiment).

    A fully connected LPN (``hidden`` units, ``layers`` layers, softplus sharpness ``beta``),
    batch ``batch``. The ℓ₂ and ℓ₁ models get ``pretrain_steps`` steps, split in equal parts over
    the learning rates ``pretrain_lrs`` (the last part takes the remainder); proximal matching
    warm-starts from ℓ₁ and runs ``pm_steps`` steps per γ in ``gammas`` with learning rates
    ``pm_lrs``.
    """

    hidden: PositiveInt = 50
    layers: PositiveInt = 4
    beta: SoftplusBeta = 10.0
    batch: PositiveInt = 512
    pretrain_steps: PositiveInt = 4000
    pretrain_lrs: Sequence[PositiveReal] = (1e-3, 1e-4)
    gammas: Sequence[PositiveReal] = (0.5, 0.3, 0.2, 0.1)
    pm_steps: PositiveInt = 1000
    pm_lrs: Sequence[PositiveReal] = (1e-3, 1e-4, 1e-4, 1e-5)

    def validate(self) -> None:
        """Check each sequence's entries (stored as a tuple) and the relations between fields;
        raise ``TypeError``/``ValueError`` naming them (the fields' annotations are checked
        first)."""
        for name in ("pretrain_lrs", "gammas", "pm_lrs"):
            values = v.real_sequence(f"Laplace.{name}", getattr(self, name), low=0.0, low_open=True)
            _set(self, name, values)
        if len(self.gammas) != len(self.pm_lrs):
            raise ValueError(
                "Laplace.gammas and Laplace.pm_lrs must have the same length, "
                f"got {len(self.gammas)} and {len(self.pm_lrs)}"
            )
        if len(self.pretrain_lrs) > self.pretrain_steps:
            raise ValueError(
                f"Laplace.pretrain_steps = {self.pretrain_steps} cannot cover "
                f"{len(self.pretrain_lrs)} learning rates"
            )


@dataclass(frozen=True)
class Denoisers(Settings):
    """The image denoisers (digits and patches) and how they are trained.

    :class:`~theorybook.lpn.model.ConvLPN` of width ``hidden`` (strong-convexity weight
    ``alpha``, softplus sharpness ``beta``) and the plain CNN baseline of the same width and
    ``cnn_depth`` layers, trained on clean images plus Gaussian noise of standard deviation
    ``noise`` in batches of ``batch``. The LPN follows the paper's schedule
    (:func:`~theorybook.lpn.train.paper_schedule`): half the steps ℓ₁ at ``lr_pretrain``, then
    ``n_stages`` proximal-matching stages at ``lr_pm`` down to γ_min = ``gamma_pixel``·√pixels;
    the CNN trains with the ℓ₂ loss at ``cnn_lr``.
    """

    hidden: PositiveInt = 32
    alpha: NonNegativeReal = 0.01
    beta: SoftplusBeta = 10.0
    cnn_depth: Annotated[int, IntRange(low=2)] = 5
    noise: PositiveReal = 0.1
    batch: PositiveInt = 128
    lr_pretrain: PositiveReal = 1e-3
    lr_pm: PositiveReal = 1e-4
    n_stages: PositiveInt = 4
    gamma_pixel: PositiveReal = 0.08
    cnn_lr: PositiveReal = 1e-3


@dataclass(frozen=True)
class Digits(Settings):
    """The learned prior of digits (the README's MNIST experiment, on scikit-learn digits).

    Digits padded to ``pad_to`` pixels; the ConvLPN trains for ``steps``, the plain CNN for
    ``cnn_steps`` (the same budget in every preset); ``n_test`` test digits, an even number (the
    mixing sweep pairs test digit i with digit n − 1 − i, as the official code does).
    """

    pad_to: Annotated[int, IntRange(low=8)] = 8
    steps: Annotated[int, IntRange(low=8)] = 3000  # the l1 half plus four stages
    cnn_steps: PositiveInt = 3000
    n_test: PositiveInt = 100

    def validate(self) -> None:
        """Check that ``pad_to`` and ``n_test`` are even (the fields' annotations are checked
        first)."""
        if self.pad_to % 2:
            raise ValueError(f"Digits.pad_to must be an even number >= 8, got {self.pad_to}")
        if self.n_test % 2:
            raise ValueError(
                f"Digits.n_test must be even (test digits are mixed in pairs), got {self.n_test}"
            )


@dataclass(frozen=True)
class PnP(Settings):
    """Plug-and-play reconstruction (paper §5).

    ``images`` test and ``val_images`` validation images, ``iters`` iterations; Gaussian blur of
    width ``blur_sigma`` and compressed sensing of ``cs_fraction`` of the pixels, measurement
    noise ``meas_noise``.
    """

    images: PositiveInt = 20
    val_images: PositiveInt = 10
    iters: PositiveInt = 40
    blur_sigma: PositiveReal = 1.0
    cs_fraction: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.5
    meas_noise: PositiveReal = 0.02


@dataclass(frozen=True)
class Patches(Settings):
    """Natural-image patches and the patch LPN on larger images.

    A second pair of denoisers (:class:`Denoisers`) trained on ``train`` patches of side ``size``
    of nine bundled photos: the LPN for ``steps``, the plain CNN for ``cnn_steps``. PnP
    validation and test patches are disjoint tiles of the held-out cameraman photo with pixel
    standard deviation ≥ ``min_std``. On larger images (crops of side ``crop_size``, and CT)
    the LPN is averaged over periodic patches at stride ``stride``.
    """

    size: Annotated[int, IntRange(low=4)] = 8
    train: PositiveInt = 20000
    steps: Annotated[int, IntRange(low=8)] = 1000  # the l1 half plus four stages
    cnn_steps: PositiveInt = 1000
    min_std: Annotated[float, Interval(low=0.0, high=0.5, high_open=True)] = 0.05
    stride: PositiveInt = 4
    crop_size: PositiveInt = 48

    def validate(self) -> None:
        """Check that ``stride`` divides ``size`` and ``crop_size`` is a side the patch average
        covers (the fields' annotations are checked first)."""
        if self.size % self.stride:
            raise ValueError(f"Patches.stride must divide size = {self.size}, got {self.stride}")
        _side("Patches.crop_size", self.crop_size, self)


def _side(name: str, value: object, patches: Patches) -> int:
    """An image side that the patch average covers: ≥ the patch, a multiple of the stride."""
    side = v.int_in_range(name, value, low=patches.size)
    if side % patches.stride:
        raise ValueError(
            f"{name} must be a multiple of Patches.stride = {patches.stride}, got {side}"
        )
    return side


@dataclass(frozen=True)
class CT(Settings):
    """Sparse-view CT: ``angles`` views of phantoms of side ``size``; ``val_images`` validation
    and ``images`` test phantoms (the Shepp–Logan phantom first)."""

    size: PositiveInt = 32
    angles: PositiveInt = 20
    images: PositiveInt = 6
    val_images: PositiveInt = 3


@dataclass(frozen=True)
class Timing(Settings):
    """Timing of training steps: the median of ``repeats`` Adam steps at learning rate ``lr``
    after ``warmup`` untimed ones."""

    repeats: PositiveInt = 30
    warmup: NonNegativeInt = 5
    lr: PositiveReal = 1e-4


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the chapter's experiments; ``Config.preset(scale())`` picks one.

    One block per concept (:class:`Laplace`, :class:`Denoisers`, :class:`Digits`, :class:`PnP`,
    :class:`Patches`, :class:`CT`, :class:`Timing`), plus the seed. The plain-CNN baselines get
    the LPNs' step budgets in every preset. The sparse-view CT and larger-image experiments
    reuse the patch models; ``ct.size`` must be a multiple of ``patches.stride``.
    """

    seed: Seed = 0
    laplace: Laplace = Laplace()
    denoisers: Denoisers = Denoisers()
    digits: Digits = Digits()
    pnp: PnP = PnP()
    patches: Patches = Patches()
    ct: CT = CT()
    timing: Timing = Timing()

    def validate(self) -> None:
        """Check the constraints across blocks (each block checks its own; the seed and the
        blocks' types are checked from the annotations first)."""
        name = type(self).__name__
        _side(f"{name}.ct.size", self.ct.size, self.patches)
        held = self.digits.n_test + self.pnp.val_images
        if held >= DIGITS_COUNT:
            raise ValueError(
                f"{name}.digits.n_test + pnp.val_images = {held} leaves no training digits "
                f"(there are {DIGITS_COUNT})"
            )

    @classmethod
    def presets(cls) -> dict[str, Config]:
        return {
            "smoke": cls(
                laplace=Laplace(pretrain_steps=600, pm_steps=150, batch=256),
                denoisers=Denoisers(hidden=16, batch=64),
                digits=Digits(steps=200, cnn_steps=200, n_test=20),
                pnp=PnP(images=4, val_images=2, iters=8),
                patches=Patches(train=2000, steps=200, cnn_steps=200, crop_size=32),
                ct=CT(size=16, angles=10, images=2, val_images=2),
            ),
            "book": cls(),
            # the paper's settings where offline data allows: batch 2000 and 20k+20k steps for the
            # toy, hidden 64 / batch 200 / 40k steps for the image prior (digits instead of
            # MNIST); toy PM stages approximate the official notebook's (γ 0.5 → 0.1,
            # lr 1e−3 → 1e−6, 4k steps each)
            "paper": cls(
                laplace=Laplace(
                    batch=2000,
                    pretrain_steps=20000,
                    pm_steps=4000,
                    gammas=(0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1),
                    pm_lrs=(1e-3, 1e-4, 1e-4, 1e-4, 1e-5, 1e-5, 1e-6),
                ),
                denoisers=Denoisers(hidden=64, batch=200),
                digits=Digits(pad_to=16, steps=40000, cnn_steps=40000),
                pnp=PnP(images=100, val_images=20, iters=100),
                patches=Patches(size=16, train=200000, steps=40000, cnn_steps=40000, crop_size=64),
                ct=CT(size=64, angles=60, images=20, val_images=10),
            ),
        }
