"""Presets of the learned-proximal-networks chapter (chapter 3, {cite}`fang2024lpn`).

The options are grouped by concept, one validated :class:`~theorybook.scales.Settings` block
each: :class:`Laplace` (the 1-D toy), :class:`Denoisers` (the image ConvLPN and plain CNN and
their training schedule), :class:`Digits` (the digits prior), :class:`PnP` (the inverse problems
and their solvers), :class:`Patches` (natural-image patches and larger crops), :class:`CT`
(sparse-view CT) and :class:`Timing` (the training-step timing).
"""

from __future__ import annotations

from dataclasses import dataclass

from theorybook import validation as v
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

    hidden: int = 50
    layers: int = 4
    beta: float = 10.0
    batch: int = 512
    pretrain_steps: int = 4000
    pretrain_lrs: tuple[float, ...] = (1e-3, 1e-4)
    gammas: tuple[float, ...] = (0.5, 0.3, 0.2, 0.1)
    pm_steps: int = 1000
    pm_lrs: tuple[float, ...] = (1e-3, 1e-4, 1e-4, 1e-5)

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("hidden", "layers", "batch", "pretrain_steps", "pm_steps")
        self.require_positive_reals("beta")
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

    hidden: int = 32
    alpha: float = 0.01
    beta: float = 10.0
    cnn_depth: int = 5
    noise: float = 0.1
    batch: int = 128
    lr_pretrain: float = 1e-3
    lr_pm: float = 1e-4
    n_stages: int = 4
    gamma_pixel: float = 0.08
    cnn_lr: float = 1e-3

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("hidden", "batch", "n_stages")
        self.require_positive_reals(
            "beta", "noise", "lr_pretrain", "lr_pm", "gamma_pixel", "cnn_lr"
        )
        _set(self, "alpha", v.real("Denoisers.alpha", self.alpha, low=0.0))
        _set(self, "cnn_depth", v.int_in_range("Denoisers.cnn_depth", self.cnn_depth, low=2))


@dataclass(frozen=True)
class Digits(Settings):
    """The learned prior of digits (the README's MNIST experiment, on scikit-learn digits).

    Digits padded to ``pad_to`` pixels; the ConvLPN trains for ``steps``, the plain CNN for
    ``cnn_steps`` (the same budget in every preset); ``n_test`` test digits.
    """

    pad_to: int = 8
    steps: int = 3000
    cnn_steps: int = 3000
    n_test: int = 100

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("cnn_steps", "n_test")
        pad_to = v.int_in_range("Digits.pad_to", self.pad_to, low=8)
        if pad_to % 2:
            raise ValueError(f"Digits.pad_to must be an even number >= 8, got {pad_to}")
        _set(self, "pad_to", pad_to)
        steps = v.int_in_range("Digits.steps (l1 half plus four stages)", self.steps, low=8)
        _set(self, "steps", steps)


@dataclass(frozen=True)
class PnP(Settings):
    """Plug-and-play reconstruction (paper §5).

    ``images`` test and ``val_images`` validation images, ``iters`` iterations; Gaussian blur of
    width ``blur_sigma`` and compressed sensing of ``cs_fraction`` of the pixels, measurement
    noise ``meas_noise``.
    """

    images: int = 20
    val_images: int = 10
    iters: int = 40
    blur_sigma: float = 1.0
    cs_fraction: float = 0.5
    meas_noise: float = 0.02

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("images", "val_images", "iters")
        self.require_positive_reals("blur_sigma", "meas_noise")
        cs = v.real("PnP.cs_fraction", self.cs_fraction, low=0.0, high=1.0, low_open=True)
        _set(self, "cs_fraction", cs)


@dataclass(frozen=True)
class Patches(Settings):
    """Natural-image patches and the patch LPN on larger images.

    A second pair of denoisers (:class:`Denoisers`) trained on ``train`` patches of side ``size``
    of nine bundled photos: the LPN for ``steps``, the plain CNN for ``cnn_steps``. PnP
    validation and test patches are disjoint tiles of the held-out cameraman photo with pixel
    standard deviation ≥ ``min_std``. On larger images (crops of side ``crop_size``, and CT)
    the LPN is averaged over periodic patches at stride ``stride``.
    """

    size: int = 8
    train: int = 20000
    steps: int = 2000
    cnn_steps: int = 2000
    min_std: float = 0.05
    stride: int = 4
    crop_size: int = 64

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("train", "cnn_steps")
        _set(self, "size", v.int_in_range("Patches.size", self.size, low=4))
        steps = v.int_in_range("Patches.steps (l1 half plus four stages)", self.steps, low=8)
        _set(self, "steps", steps)
        std = v.real("Patches.min_std", self.min_std, low=0.0, high=0.5, high_open=True)
        _set(self, "min_std", std)
        stride = v.int_in_range("Patches.stride", self.stride, low=1)
        if self.size % stride:
            raise ValueError(f"Patches.stride must divide size = {self.size}, got {stride}")
        _set(self, "stride", stride)
        _set(self, "crop_size", _side("Patches.crop_size", self.crop_size, self))


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

    size: int = 32
    angles: int = 20
    images: int = 6
    val_images: int = 3

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("size", "angles", "images", "val_images")


@dataclass(frozen=True)
class Timing(Settings):
    """Timing of training steps: the median of ``repeats`` Adam steps at learning rate ``lr``
    after ``warmup`` untimed ones."""

    repeats: int = 30
    warmup: int = 5
    lr: float = 1e-4

    def validate(self) -> None:
        """Check every field; raise ``TypeError``/``ValueError`` naming it."""
        self.require_positive_ints("repeats")
        self.require_positive_reals("lr")
        _set(self, "warmup", v.non_negative_int("Timing.warmup", self.warmup))


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the chapter's experiments; ``Config.preset(scale())`` picks one.

    One block per concept (:class:`Laplace`, :class:`Denoisers`, :class:`Digits`, :class:`PnP`,
    :class:`Patches`, :class:`CT`, :class:`Timing`), plus the seed. The plain-CNN baselines get
    the LPNs' step budgets in every preset. The sparse-view CT and larger-image experiments
    reuse the patch models; ``ct.size`` must be a multiple of ``patches.stride``.
    """

    seed: int = 0
    laplace: Laplace = Laplace()
    denoisers: Denoisers = Denoisers()
    digits: Digits = Digits()
    pnp: PnP = PnP()
    patches: Patches = Patches()
    ct: CT = CT()
    timing: Timing = Timing()

    def validate(self) -> None:
        """Check the seed and the constraints across blocks (each block checks its own)."""
        name = type(self).__name__
        _set(self, "seed", v.seed(f"{name}.seed", self.seed))
        blocks = (
            ("laplace", Laplace),
            ("denoisers", Denoisers),
            ("digits", Digits),
            ("pnp", PnP),
            ("patches", Patches),
            ("ct", CT),
            ("timing", Timing),
        )
        for field, cls in blocks:
            if not isinstance(getattr(self, field), cls):
                raise TypeError(
                    f"{name}.{field} must be a {cls.__name__}, "
                    f"got {type(getattr(self, field)).__name__}"
                )
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
