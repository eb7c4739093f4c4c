"""Presets of the diffusion-generalization chapter (chapter 2, {cite}`kadkhodaie2024generalization`).

The options are grouped by concept, one :class:`~theorybook.scales.Settings` block each:

* :class:`Patches`: the photo patches (size, grid step, flatness cut, held-out test set);
* :class:`Network`: a bias-free denoiser, BF-CNN or UNet (kind, channels, layers, levels);
* :class:`Training`: one denoiser's training run (steps, batch, learning rate, σ_max);
  :func:`~theorybook.diffusion.train_denoiser` takes it as its default;
* :class:`Sampler`: the sampler's σ₀, σ_final, h₀, β and step cap;
  :func:`~theorybook.diffusion.sample` takes it as its default;
* :class:`Transition`, :class:`JacobianStudy`, :class:`SamplerCheck`: the grids of the three
  patch experiments;
* :class:`Synthetic`, :class:`CAlpha`, :class:`Disks`: the synthetic-image experiments (their
  own :class:`Network`, a UNet, and :class:`Training` block: σ_max = 0.4).

The block defaults are the book preset's values. Each field declares its type and range in its
annotation (checked when a block is built, :func:`theorybook.boundary.check_fields`); ``validate``
keeps the relations between fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from theorybook import validation as v
from theorybook.boundary import Interval, IntRange, PositiveInt, PositiveReal, Seed
from theorybook.scales import ScaledConfig, Settings

__all__ = [
    "CAlpha",
    "Config",
    "Disks",
    "INDEPENDENT_DEFAULTS",
    "JacobianStudy",
    "Network",
    "NetworkKind",
    "Patches",
    "Sampler",
    "SamplerCheck",
    "Synthetic",
    "Training",
    "Transition",
]

INDEPENDENT_DEFAULTS: dict[str, str] = {}
"""Function parameters that share a setting's name but not its meaning (none in this chapter)."""


def _increasing(owner: Settings, field: str, *, min_len: int = 1) -> None:
    """Store ``owner.field`` as a tuple of strictly increasing positive reals, or raise."""
    name = f"{type(owner).__name__}.{field}"
    vals = v.real_sequence(name, getattr(owner, field), low=0.0, low_open=True, min_len=min_len)
    if list(vals) != sorted(set(vals)):
        raise ValueError(f"{name} must be strictly increasing, got {vals}")
    object.__setattr__(owner, field, vals)


@dataclass(frozen=True)
class Patches(Settings):
    """``patch_size × patch_size`` patches of the bundled photographs cut at step ``stride``,
    kept when their pixel standard deviation exceeds ``min_std``, deduplicated; the first
    ``n_test`` of the shuffled pool are held out."""

    patch_size: Annotated[int, IntRange(low=4, high=64)] = 8  # Jacobians of d ≤ 4096
    stride: PositiveInt = 8
    min_std: Annotated[float, Interval(low=0.0, high=0.5)] = 0.02
    n_test: PositiveInt = 2000


NetworkKind = Literal["bfcnn", "unet"]
"""The two bias-free architectures of the paper (App. A.1): BF-CNN and UNet."""


@dataclass(frozen=True)
class Network(Settings):
    """A bias-free denoiser (paper App. A.1): a :class:`~theorybook.diffusion.BiasFreeCNN` of
    ``layers`` convolutions (``kind="bfcnn"``) or a :class:`~theorybook.diffusion.BiasFreeUNet`
    of ``levels`` down-sampling levels (``kind="unet"``), ``channels`` wide at the top;
    :func:`~theorybook.diffusion.build_network` builds it."""

    kind: NetworkKind = "bfcnn"
    channels: PositiveInt = 32
    layers: Annotated[int, IntRange(low=2, high=40)] = 6
    levels: Annotated[int, IntRange(low=1, high=6)] = 1

    @property
    def side_factor(self) -> int:
        """What an image side must be divisible by (``2**levels`` for a UNet, else 1)."""
        return 2**self.levels if self.kind == "unet" else 1


@dataclass(frozen=True)
class Training(Settings):
    """One blind denoiser's training (paper App. A.1): ``steps`` Adam steps of ``batch_size``
    images drawn with replacement, learning rate ``lr`` with cosine decay, noise levels
    ``σ = sigma_max·u²``, ``u ~ U[0, 1]``."""

    steps: PositiveInt = 2000
    batch_size: PositiveInt = 64
    lr: PositiveReal = 2e-3
    sigma_max: PositiveReal = 1.0


@dataclass(frozen=True)
class Sampler(Settings):
    """The stochastic coarse-to-fine sampler (paper Alg. 1, App. A.2): initial noise ``sigma0``,
    stopping level ``sigma_final``, first step size ``h0``, noise injection ``beta`` (β = 1
    injects none) and the step cap ``max_steps``."""

    sigma0: PositiveReal = 1.0
    sigma_final: PositiveReal = 0.05
    h0: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.01
    beta: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.1
    max_steps: PositiveInt = 2000

    def validate(self) -> None:
        if self.sigma_final >= self.sigma0:
            raise ValueError(
                f"{type(self).__name__}.sigma_final ({self.sigma_final}) must be below sigma0 "
                f"({self.sigma0})"
            )


@dataclass(frozen=True)
class Transition(Settings):
    """Memorization → generalization: for each N in ``ns`` two denoisers on disjoint sets,
    ``n_samples`` samples per model, the error per image at each σ of ``psnr_sigmas`` (the
    smallest decides the memorization rows); with ``shuffled``, a control network trained on
    the largest set with its pixels permuted (paper App. C.3)."""

    ns: tuple[PositiveInt, ...] = (10, 1000)
    n_samples: PositiveInt = 128
    psnr_sigmas: tuple[PositiveReal, ...] = (0.02, 0.05, 0.1, 0.2)
    shuffled: bool = True

    def validate(self) -> None:
        name = type(self).__name__
        ns = v.int_sequence(f"{name}.ns", self.ns, low=1, min_len=2, unique=True)
        if list(ns) != sorted(ns):
            raise ValueError(f"{name}.ns must be increasing, got {ns}")
        object.__setattr__(self, "ns", ns)
        _increasing(self, "psnr_sigmas")


@dataclass(frozen=True)
class JacobianStudy(Settings):
    """The Jacobian view: ``tr J`` at each σ of ``sigmas`` (≥ 3) on ``images`` test patches (the
    same noise pattern scaled by each σ), eigenvectors at ``eig_sigma``, SURE on
    ``sure_images`` patches per σ."""

    sigmas: tuple[PositiveReal, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
    images: PositiveInt = 64
    eig_sigma: PositiveReal = 0.1
    sure_images: PositiveInt = 64

    def validate(self) -> None:
        _increasing(self, "sigmas")
        if len(self.sigmas) < 3:
            raise ValueError("JacobianStudy.sigmas needs at least 3 noise levels")


@dataclass(frozen=True)
class SamplerCheck(Settings):
    """The sampler driven by an exact MMSE denoiser: ``samples`` images of ``size × size``."""

    size: Annotated[int, IntRange(low=2)] = 16
    samples: PositiveInt = 256


@dataclass(frozen=True)
class Synthetic(Settings):
    """Synthetic images (C^α, disks): ``size``-pixel sides, one ``network`` per class (a UNet,
    as in the paper's Figs. 4–5) trained on ``n`` images with ``training`` (σ = 0.4·u²),
    ``test`` held-out images."""

    size: Annotated[int, IntRange(low=8, high=32)] = 16
    n: PositiveInt = 4096
    test: PositiveInt = 256
    network: Network = Network(kind="unet", channels=16, levels=1)
    training: Training = Training(steps=1500, batch_size=32, sigma_max=0.4)


@dataclass(frozen=True)
class CAlpha(Settings):
    """C^α images for each α of ``alphas`` (the first and the last decide whether the network
    adapts to α); the MSE slope is fitted over the σ of ``sigmas`` (≥ 2) where the network's
    error is below σ²."""

    alphas: tuple[PositiveReal, ...] = (1.0, 3.0)
    sigmas: tuple[PositiveReal, ...] = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32)

    def validate(self) -> None:
        alphas = v.real_sequence("CAlpha.alphas", self.alphas, low=0.0, low_open=True, min_len=2)
        if list(alphas) != sorted(set(alphas)):
            raise ValueError(f"CAlpha.alphas must be strictly increasing, got {alphas}")
        object.__setattr__(self, "alphas", alphas)
        _increasing(self, "sigmas", min_len=2)


@dataclass(frozen=True)
class Disks(Settings):
    """Disks: Jacobians of ``images`` test disks at each σ of ``sigmas`` (≥ 2), eigenvalues at
    ``eig_sigma`` (one of ``sigmas``)."""

    images: PositiveInt = 8
    sigmas: tuple[PositiveReal, ...] = (0.01, 0.02, 0.04, 0.08, 0.16)
    eig_sigma: PositiveReal = 0.04

    def validate(self) -> None:
        _increasing(self, "sigmas", min_len=2)
        if self.eig_sigma not in self.sigmas:
            raise ValueError(f"Disks.eig_sigma ({self.eig_sigma}) must be one of sigmas")


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the chapter; ``Config.preset(scale())`` picks one.

    ``seed`` seeds the data split and the models (the two models of a pair get ``seed`` and
    ``seed + 1``); ``sample_seed`` the sampler (both models of a pair see the same noise). The
    blocks are described in the module docstring; an image side (``patches.patch_size``,
    ``synthetic.size``) must be divisible by ``2**levels`` when its network is a UNet.
    """

    seed: Seed = 0
    sample_seed: Seed = 1
    patches: Patches = Patches()
    network: Network = Network()
    training: Training = Training()
    sampler: Sampler = Sampler()
    transition: Transition = Transition()
    jacobian: JacobianStudy = JacobianStudy()
    check: SamplerCheck = SamplerCheck()
    synthetic: Synthetic = Synthetic()
    calpha: CAlpha = CAlpha()
    disks: Disks = Disks()

    def validate(self) -> None:
        """Check the image sides against the UNets' depths (the seeds' ranges and the blocks'
        types are declared in the annotations)."""
        name = type(self).__name__
        for field, side, net, where in (
            ("patches.patch_size", self.patches.patch_size, self.network, "network"),
            ("synthetic.size", self.synthetic.size, self.synthetic.network, "synthetic.network"),
        ):
            if side % net.side_factor:
                raise ValueError(
                    f"{name}.{field} ({side}) must be divisible by 2**{where}.levels "
                    f"({net.side_factor}) for a UNet"
                )

    @classmethod
    def presets(cls) -> dict[str, Config]:
        smoke_training = Training(steps=100, batch_size=32)
        smoke_unet = Network(kind="unet", channels=8, levels=1)
        # one GPU: 16×16 patches (overlapping, deduplicated), N up to 10^4 per set, the paper's
        # BF-CNN (21 layers of 64 channels, App. A.1) and 20,000 steps of batch 128 per model;
        # the paper trains on 80×80 faces for 1000 epochs
        paper_training = Training(steps=20000, batch_size=128, lr=1e-3)
        return {
            "smoke": cls(
                patches=Patches(n_test=200),
                network=Network(channels=8, layers=4),
                training=smoke_training,
                transition=Transition(ns=(10, 300), n_samples=8, psnr_sigmas=(0.05, 0.2)),
                jacobian=JacobianStudy(sigmas=(0.05, 0.2, 0.8), images=4, sure_images=16),
                synthetic=Synthetic(
                    n=512,
                    test=32,
                    network=smoke_unet,
                    training=smoke_training.replace(sigma_max=0.4),
                ),
                calpha=CAlpha(sigmas=(0.02, 0.08, 0.32)),
                disks=Disks(images=2, sigmas=(0.02, 0.04)),
            ),
            "book": cls(),
            "paper": cls(
                patches=Patches(patch_size=16, stride=8, n_test=1000),
                network=Network(channels=64, layers=21),
                training=paper_training,
                transition=Transition(ns=(10, 100, 1000, 10000), n_samples=256),
                jacobian=JacobianStudy(images=64, sure_images=256),
                synthetic=Synthetic(
                    size=32,
                    n=20000,
                    test=1000,
                    network=Network(kind="unet", channels=32, levels=2),
                    training=paper_training.replace(sigma_max=0.4),
                ),
                calpha=CAlpha(alphas=(1.0, 2.0, 3.0, 5.0)),
                disks=Disks(images=32),
            ),
        }
