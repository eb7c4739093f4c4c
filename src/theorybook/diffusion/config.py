"""Presets of the diffusion-generalization chapter (chapter 2, {cite}`kadkhodaie2024generalization`)."""

from __future__ import annotations

from dataclasses import dataclass

from theorybook import validation as v
from theorybook.scales import ScaledConfig

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of the chapter; ``Config.preset(scale())`` picks one.

    Data: ``patch_size × patch_size`` patches of the bundled photographs cut at step ``stride``, pixel std
    above ``min_std``, deduplicated; ``n_test`` held out. Transition: for each N in ``ns``, two
    :class:`~theorybook.diffusion.BiasFreeUNet` (``channels``, ``levels``) trained on disjoint
    sets for ``steps`` steps (batch ``batch_size``, learning rate ``lr``, σ = ``sigma_max``·u²),
    initialised with seeds ``seed`` and ``seed + 1``; ``n_samples`` samples per model with
    the sampler seed ``sample_seed`` (paper sampler settings ``h0``, ``beta``, ``sigma0``,
    ``sigma_final``); PSNR at ``psnr_sigmas``. Jacobian: tr J at ``jac_sigmas`` on ``jac_images``
    test patches; eigenvectors at ``eig_sigma``; SURE on ``sure_images`` patches. Sampler check:
    ``check_samples`` samples of ``check_size × check_size`` images. Synthetic images
    (C^α, disks): ``synth_size``-pixel sides, one UNet per class trained on ``synth_n`` images
    for ``synth_steps`` steps with σ = ``synth_sigma_max``·u²; C^α for each α in
    ``calpha_alphas``, MSE slope fitted over ``calpha_sigmas`` on ``synth_test`` test images; disks: Jacobians of ``disk_images`` test
    disks at ``disk_sigmas``, eigenvalues at ``disk_eig_sigma`` (one of them).
    """

    seed: int = 0
    patch_size: int = 8
    stride: int = 8
    min_std: float = 0.02
    n_test: int = 500
    ns: tuple[int, ...] = (10, 100, 1000)
    channels: int = 16
    levels: int = 1
    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    sigma_max: float = 1.0
    n_samples: int = 32
    sample_seed: int = 1
    sigma0: float = 1.0
    sigma_final: float = 0.05
    h0: float = 0.01
    beta: float = 0.1
    psnr_sigmas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)
    jac_sigmas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
    jac_images: int = 8
    eig_sigma: float = 0.1
    sure_images: int = 64
    check_size: int = 16
    check_samples: int = 256
    synth_size: int = 16
    synth_n: int = 4096
    synth_steps: int = 1500
    synth_sigma_max: float = 0.4
    synth_test: int = 256
    calpha_alphas: tuple[float, ...] = (1.0, 3.0)
    calpha_sigmas: tuple[float, ...] = (0.02, 0.04, 0.08, 0.16, 0.32)
    disk_images: int = 8
    disk_sigmas: tuple[float, ...] = (0.01, 0.02, 0.04, 0.08, 0.16)
    disk_eig_sigma: float = 0.04

    def validate(self) -> None:
        """Check every field (shared validators); raise ``TypeError``/``ValueError`` naming it."""
        name = type(self).__name__
        set_ = object.__setattr__
        set_(self, "seed", v.seed(f"{name}.seed", self.seed))
        set_(self, "sample_seed", v.seed(f"{name}.sample_seed", self.sample_seed))
        self.require_positive_ints(
            "stride",
            "n_test",
            "channels",
            "steps",
            "batch_size",
            "n_samples",
            "jac_images",
            "sure_images",
            "check_samples",
            "synth_n",
            "synth_steps",
            "synth_test",
            "disk_images",
        )
        self.require_positive_reals(
            "lr",
            "sigma_max",
            "sigma0",
            "sigma_final",
            "eig_sigma",
            "disk_eig_sigma",
            "synth_sigma_max",
        )
        set_(self, "levels", v.int_in_range(f"{name}.levels", self.levels, low=1, high=6))
        set_(self, "patch_size", v.int_in_range(f"{name}.patch_size", self.patch_size, low=4))
        if self.patch_size % 2**self.levels:
            raise ValueError(
                f"{name}.patch_size ({self.patch_size}) must be divisible by 2**levels "
                f"({2**self.levels})"
            )
        if self.patch_size**2 > 4096:
            raise ValueError(f"{name}.patch_size must be at most 64 (Jacobians of d ≤ 4096)")
        set_(self, "check_size", v.int_in_range(f"{name}.check_size", self.check_size, low=2))
        set_(self, "min_std", v.real(f"{name}.min_std", self.min_std, low=0.0, high=0.5))
        ns = v.int_sequence(f"{name}.ns", self.ns, low=1, min_len=2, unique=True)
        if list(ns) != sorted(ns):
            raise ValueError(f"{name}.ns must be increasing, got {ns}")
        set_(self, "ns", ns)
        if self.sigma_final >= self.sigma0:
            raise ValueError(f"{name}.sigma_final must be below sigma0")
        set_(self, "h0", v.real(f"{name}.h0", self.h0, low=0.0, high=1.0, low_open=True))
        set_(self, "beta", v.real(f"{name}.beta", self.beta, low=0.0, high=1.0, low_open=True))
        for field in ("psnr_sigmas", "jac_sigmas"):
            vals = v.real_sequence(f"{name}.{field}", getattr(self, field), low=0.0, low_open=True)
            if list(vals) != sorted(set(vals)):
                raise ValueError(f"{name}.{field} must be strictly increasing, got {vals}")
            set_(self, field, vals)
        size = v.int_in_range(f"{name}.synth_size", self.synth_size, low=8, high=32)
        if size % 2**self.levels:
            raise ValueError(f"{name}.synth_size must be divisible by 2**levels")
        set_(self, "synth_size", size)
        alphas = v.real_sequence(
            f"{name}.calpha_alphas", self.calpha_alphas, low=0.0, low_open=True, min_len=1
        )
        set_(self, "calpha_alphas", alphas)
        for field in ("calpha_sigmas", "disk_sigmas"):
            vals = v.real_sequence(f"{name}.{field}", getattr(self, field), low=0.0, low_open=True)
            if len(vals) < 2 or list(vals) != sorted(set(vals)):
                raise ValueError(f"{name}.{field} must be ≥ 2 strictly increasing values")
            set_(self, field, vals)
        if self.disk_eig_sigma not in self.disk_sigmas:
            raise ValueError(f"{name}.disk_eig_sigma must be one of disk_sigmas")
        if len(self.jac_sigmas) < 3:
            raise ValueError(f"{name}.jac_sigmas needs at least 3 noise levels")

    @classmethod
    def presets(cls) -> dict[str, Config]:
        return {
            "smoke": cls(
                ns=(10, 300),
                n_test=200,
                channels=8,
                steps=100,
                batch_size=32,
                n_samples=8,
                psnr_sigmas=(0.1, 0.2),
                jac_sigmas=(0.05, 0.2, 0.8),
                jac_images=2,
                sure_images=16,
                synth_n=512,
                synth_steps=100,
                synth_test=32,
                disk_images=2,
                disk_sigmas=(0.02, 0.04),
            ),
            "book": cls(),
            # one GPU: 16×16 patches (overlapping, deduplicated), N up to 10^4 per set, a
            # two-level UNet of 32 channels and 20,000 steps of batch 128 per model; the paper
            # trains a 3-level UNet (7.6m parameters) on 80×80 faces for 1000 epochs
            "paper": cls(
                patch_size=16,
                stride=8,
                n_test=1000,
                ns=(10, 100, 1000, 10000),
                channels=32,
                levels=2,
                steps=20000,
                batch_size=128,
                lr=1e-3,
                n_samples=256,
                jac_images=32,
                sure_images=256,
                synth_size=32,
                synth_n=20000,
                synth_steps=20000,
                synth_test=1000,
                calpha_alphas=(1.0, 2.0, 3.0, 5.0),
                disk_images=16,
            ),
        }
