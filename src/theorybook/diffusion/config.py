"""Presets of the diffusion-generalization chapter (chapter 2, {cite}`kadkhodaie2024generalization`).

The options are grouped by concept, one :class:`~theorybook.scales.Settings` block each:

* :class:`Patches`: the photo patches (size, grid step, flatness cut, held-out test set);
* :class:`Network`: the bias-free UNet (channels, levels);
* :class:`Training`: one denoiser's training run (steps, batch, learning rate, σ_max);
  :func:`~theorybook.diffusion.train_denoiser` takes it as its default;
* :class:`Sampler`: the sampler's σ₀, σ_final, h₀, β and step cap;
  :func:`~theorybook.diffusion.sample` takes it as its default;
* :class:`Transition`, :class:`JacobianStudy`, :class:`SamplerCheck`: the grids of the three
  patch experiments;
* :class:`Synthetic`, :class:`CAlpha`, :class:`Disks`: the synthetic-image experiments (their
  own :class:`Training` block: σ_max = 0.4).

The block defaults are the book preset's values.
"""

from __future__ import annotations

from dataclasses import dataclass

from theorybook import validation as v
from theorybook.scales import ScaledConfig, Settings

__all__ = [
    "CAlpha",
    "Config",
    "Disks",
    "INDEPENDENT_DEFAULTS",
    "JacobianStudy",
    "Network",
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

    patch_size: int = 8
    stride: int = 8
    min_std: float = 0.02
    n_test: int = 500

    def validate(self) -> None:
        name = type(self).__name__
        self.require_positive_ints("stride", "n_test")
        size = v.int_in_range(f"{name}.patch_size", self.patch_size, low=4)
        if size**2 > 4096:
            raise ValueError(f"{name}.patch_size must be at most 64 (Jacobians of d ≤ 4096)")
        object.__setattr__(self, "patch_size", size)
        object.__setattr__(
            self, "min_std", v.real(f"{name}.min_std", self.min_std, low=0.0, high=0.5)
        )


@dataclass(frozen=True)
class Network(Settings):
    """The :class:`~theorybook.diffusion.BiasFreeUNet` of every experiment: ``channels`` at the
    top level, ``levels`` down-sampling levels."""

    channels: int = 16
    levels: int = 1

    def validate(self) -> None:
        self.require_positive_ints("channels")
        object.__setattr__(
            self, "levels", v.int_in_range("Network.levels", self.levels, low=1, high=6)
        )


@dataclass(frozen=True)
class Training(Settings):
    """One blind denoiser's training (paper App. A.1): ``steps`` Adam steps of ``batch_size``
    images drawn with replacement, learning rate ``lr`` with cosine decay, noise levels
    ``σ = sigma_max·u²``, ``u ~ U[0, 1]``."""

    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    sigma_max: float = 1.0

    def validate(self) -> None:
        self.require_positive_ints("steps", "batch_size")
        self.require_positive_reals("lr", "sigma_max")


@dataclass(frozen=True)
class Sampler(Settings):
    """The stochastic coarse-to-fine sampler (paper Alg. 1, App. A.2): initial noise ``sigma0``,
    stopping level ``sigma_final``, first step size ``h0``, noise injection ``beta`` (β = 1
    injects none) and the step cap ``max_steps``."""

    sigma0: float = 1.0
    sigma_final: float = 0.05
    h0: float = 0.01
    beta: float = 0.1
    max_steps: int = 2000

    def validate(self) -> None:
        name = type(self).__name__
        self.require_positive_reals("sigma0", "sigma_final")
        self.require_positive_ints("max_steps")
        if self.sigma_final >= self.sigma0:
            raise ValueError(
                f"{name}.sigma_final ({self.sigma_final}) must be below sigma0 ({self.sigma0})"
            )
        for field in ("h0", "beta"):
            value = v.real(
                f"{name}.{field}", getattr(self, field), low=0.0, high=1.0, low_open=True
            )
            object.__setattr__(self, field, value)


@dataclass(frozen=True)
class Transition(Settings):
    """Memorization → generalization: for each N in ``ns`` two UNets on disjoint sets,
    ``n_samples`` samples per model, output PSNR at each σ of ``psnr_sigmas``."""

    ns: tuple[int, ...] = (10, 100, 1000)
    n_samples: int = 32
    psnr_sigmas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)

    def validate(self) -> None:
        name = type(self).__name__
        self.require_positive_ints("n_samples")
        ns = v.int_sequence(f"{name}.ns", self.ns, low=1, min_len=2, unique=True)
        if list(ns) != sorted(ns):
            raise ValueError(f"{name}.ns must be increasing, got {ns}")
        object.__setattr__(self, "ns", ns)
        _increasing(self, "psnr_sigmas")


@dataclass(frozen=True)
class JacobianStudy(Settings):
    """The Jacobian view: ``tr J`` at each σ of ``sigmas`` (≥ 3) on ``images`` test patches,
    eigenvectors at ``eig_sigma``, SURE on ``sure_images`` patches per σ."""

    sigmas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
    images: int = 8
    eig_sigma: float = 0.1
    sure_images: int = 64

    def validate(self) -> None:
        self.require_positive_ints("images", "sure_images")
        self.require_positive_reals("eig_sigma")
        _increasing(self, "sigmas")
        if len(self.sigmas) < 3:
            raise ValueError("JacobianStudy.sigmas needs at least 3 noise levels")


@dataclass(frozen=True)
class SamplerCheck(Settings):
    """The sampler driven by an exact MMSE denoiser: ``samples`` images of ``size × size``."""

    size: int = 16
    samples: int = 256

    def validate(self) -> None:
        self.require_positive_ints("samples")
        object.__setattr__(self, "size", v.int_in_range("SamplerCheck.size", self.size, low=2))


@dataclass(frozen=True)
class Synthetic(Settings):
    """Synthetic images (C^α, disks): ``size``-pixel sides, one UNet per class trained on ``n``
    images with ``training`` (σ = 0.4·u²), ``test`` held-out images."""

    size: int = 16
    n: int = 4096
    test: int = 256
    training: Training = Training(sigma_max=0.4)

    def validate(self) -> None:
        self.require_positive_ints("n", "test")
        object.__setattr__(
            self, "size", v.int_in_range("Synthetic.size", self.size, low=8, high=32)
        )
        if not isinstance(self.training, Training):
            raise TypeError(f"Synthetic.training must be a Training, got {self.training!r}")


@dataclass(frozen=True)
class CAlpha(Settings):
    """C^α images for each α of ``alphas``; the MSE slope is fitted over ``sigmas`` (≥ 2)."""

    alphas: tuple[float, ...] = (1.0, 3.0)
    sigmas: tuple[float, ...] = (0.02, 0.04, 0.08, 0.16, 0.32)

    def validate(self) -> None:
        alphas = v.real_sequence("CAlpha.alphas", self.alphas, low=0.0, low_open=True, min_len=1)
        object.__setattr__(self, "alphas", alphas)
        _increasing(self, "sigmas", min_len=2)


@dataclass(frozen=True)
class Disks(Settings):
    """Disks: Jacobians of ``images`` test disks at each σ of ``sigmas`` (≥ 2), eigenvalues at
    ``eig_sigma`` (one of ``sigmas``)."""

    images: int = 8
    sigmas: tuple[float, ...] = (0.01, 0.02, 0.04, 0.08, 0.16)
    eig_sigma: float = 0.04

    def validate(self) -> None:
        self.require_positive_ints("images")
        self.require_positive_reals("eig_sigma")
        _increasing(self, "sigmas", min_len=2)
        if self.eig_sigma not in self.sigmas:
            raise ValueError(f"Disks.eig_sigma ({self.eig_sigma}) must be one of sigmas")


_BLOCKS = {
    "patches": Patches,
    "network": Network,
    "training": Training,
    "sampler": Sampler,
    "transition": Transition,
    "jacobian": JacobianStudy,
    "check": SamplerCheck,
    "synthetic": Synthetic,
    "calpha": CAlpha,
    "disks": Disks,
}


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the chapter; ``Config.preset(scale())`` picks one.

    ``seed`` seeds the data split and the models (the two models of a pair get ``seed`` and
    ``seed + 1``); ``sample_seed`` the sampler (both models of a pair see the same noise). The
    blocks are described in the module docstring; image sides (``patches.patch_size``,
    ``synthetic.size``) must be divisible by ``2**network.levels``.
    """

    seed: int = 0
    sample_seed: int = 1
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
        """Check the seeds, the blocks' types and the image sides against the UNet's depth."""
        name = type(self).__name__
        object.__setattr__(self, "seed", v.seed(f"{name}.seed", self.seed))
        object.__setattr__(self, "sample_seed", v.seed(f"{name}.sample_seed", self.sample_seed))
        for field, cls in _BLOCKS.items():
            if not isinstance(getattr(self, field), cls):
                raise TypeError(
                    f"{name}.{field} must be a {cls.__name__}, got {getattr(self, field)!r}"
                )
        factor = 2**self.network.levels
        for field, side in (
            ("patches.patch_size", self.patches.patch_size),
            ("synthetic.size", self.synthetic.size),
        ):
            if side % factor:
                raise ValueError(
                    f"{name}.{field} ({side}) must be divisible by 2**network.levels ({factor})"
                )

    @classmethod
    def presets(cls) -> dict[str, Config]:
        smoke_training = Training(steps=100, batch_size=32)
        # one GPU: 16×16 patches (overlapping, deduplicated), N up to 10^4 per set, a
        # two-level UNet of 32 channels and 20,000 steps of batch 128 per model; the paper
        # trains a 3-level UNet (7.6m parameters) on 80×80 faces for 1000 epochs
        paper_training = Training(steps=20000, batch_size=128, lr=1e-3)
        return {
            "smoke": cls(
                patches=Patches(n_test=200),
                network=Network(channels=8),
                training=smoke_training,
                transition=Transition(ns=(10, 300), n_samples=8, psnr_sigmas=(0.1, 0.2)),
                jacobian=JacobianStudy(sigmas=(0.05, 0.2, 0.8), images=2, sure_images=16),
                synthetic=Synthetic(n=512, test=32, training=smoke_training.replace(sigma_max=0.4)),
                disks=Disks(images=2, sigmas=(0.02, 0.04)),
            ),
            "book": cls(),
            "paper": cls(
                patches=Patches(patch_size=16, stride=8, n_test=1000),
                network=Network(channels=32, levels=2),
                training=paper_training,
                transition=Transition(ns=(10, 100, 1000, 10000), n_samples=256),
                jacobian=JacobianStudy(images=32, sure_images=256),
                synthetic=Synthetic(
                    size=32, n=20000, test=1000, training=paper_training.replace(sigma_max=0.4)
                ),
                calpha=CAlpha(alphas=(1.0, 2.0, 3.0, 5.0)),
                disks=Disks(images=16),
            ),
        }
