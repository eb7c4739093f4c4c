"""Presets of chapter 7 (*Regularizing internal solver heuristics of neural ODEs*) for each scale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from theorybook.runtime import ScaledConfig

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of every experiment in the chapter.

    The solver checks (claims 1–4) are the same at every scale. The circles classifier (PyTorch,
    claim 5) follows the setting measured in the research notes at book scale (512/512 points, width
    64, 300 full-batch Adam steps, tolerances 1e-5); the JAX comparison with TayNODE (claim 6) uses a
    smaller model. The digits classifier (64-d state, minibatches of 128), the latent ODE on spirals and the
    neural SDE run from book scale on.
    """

    # Circles, PyTorch: vanilla / ERNODE / SRNODE / STEER.
    n_train: int = 512
    n_test: int = 512
    noise: float = 0.1
    hidden: int = 64
    epochs: int = 300
    lr: float = 3e-3
    rtol: float = 1e-5
    atol: float = 1e-5
    lam_error: float = 0.1
    lam_error_end: float = 0.1
    lam_stiff: float = 0.1
    steer_b: float = 0.5
    lam_sweep: tuple[float, ...] = (1.0, 10.0)
    # Circles, JAX: vanilla / ERNODE / TayNODE.
    jax_n_train: int = 256
    jax_hidden: int = 32
    jax_iters: int = 150
    jax_lr: float = 1e-2
    jax_methods: tuple[str, ...] = ("vanilla", "ernode", "taynode")
    lam_taynode: float = 1e-2
    taynode_order: int = 2
    dt0: float = 0.05
    # Digits (64-d state), PyTorch, only when digits_epochs > 0.
    digits_epochs: int = 0
    digits_hidden: int = 64
    digits_batch: int = 128
    digits_lam: float = 0.1
    digits_lr: float = 3e-3
    # Latent ODE on spirals (PyTorch), only when latent_epochs > 0.
    latent_epochs: int = 0
    latent_n_train: int = 300
    latent_n_test: int = 100
    latent_lams: tuple[float, ...] = (3.0, 10.0)
    # Neural SDE on the toy spiral SDE (JAX), only when sde_iters > 0.
    sde_iters: int = 0
    sde_lams: tuple[float, ...] = (10.0, 3.0)
    seed: int = 0
    cpu_threads: int = 1
    # PyTorch device for the classifiers and the latent ODE ("cpu"; None: CUDA when available).
    torch_device: str | None = "cpu"

    def validate(self) -> None:
        self.require_positive_ints(
            "n_train",
            "n_test",
            "hidden",
            "epochs",
            "jax_n_train",
            "jax_hidden",
            "jax_iters",
            "taynode_order",
            "digits_hidden",
            "digits_batch",
            "cpu_threads",
            "latent_n_train",
            "latent_n_test",
        )
        for name in (
            "lr",
            "rtol",
            "atol",
            "lam_error",
            "lam_error_end",
            "lam_stiff",
            "jax_lr",
            "lam_taynode",
            "dt0",
            "digits_lam",
            "digits_lr",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"Config.{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.steer_b < 1:
            raise ValueError(f"Config.steer_b must lie in (0, 1), got {self.steer_b}")
        if self.noise < 0 or self.digits_epochs < 0 or self.latent_epochs < 0 or self.seed < 0:
            raise ValueError("noise, digits_epochs, latent_epochs and seed must be >= 0")
        if self.sde_iters < 0 or self.sde_iters == 1:
            raise ValueError(f"Config.sde_iters must be 0 (skip) or >= 2, got {self.sde_iters}")
        if not self.sde_lams or any(lam <= 0 for lam in self.sde_lams):
            raise ValueError(f"Config.sde_lams must be non-empty values > 0, got {self.sde_lams}")
        if not self.latent_lams or any(lam <= 0 for lam in self.latent_lams):
            raise ValueError(
                f"Config.latent_lams must be non-empty values > 0, got {self.latent_lams}"
            )
        if any(lam <= 0 for lam in self.lam_sweep):
            raise ValueError(f"Config.lam_sweep values must be > 0, got {self.lam_sweep}")
        if self.jax_iters < 2:
            raise ValueError("Config.jax_iters must be >= 2 (the first iteration is compilation)")
        bad = set(self.jax_methods) - {"vanilla", "ernode", "taynode"}
        if bad or not {"ernode", "taynode"} <= set(self.jax_methods):
            raise ValueError(
                f"Config.jax_methods must include 'ernode' and 'taynode' (others: 'vanilla'), got {self.jax_methods}"
            )

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                n_train=256,
                n_test=256,
                hidden=32,
                epochs=100,
                lr=1e-2,
                lam_sweep=(10.0,),
                jax_n_train=128,
                jax_hidden=16,
                jax_iters=30,
                jax_methods=("ernode", "taynode"),
            ),
            "book": cls(digits_epochs=30, latent_epochs=100, sde_iters=300, sde_lams=(10.0,)),
            "paper": cls(
                n_train=1000,
                n_test=1000,
                epochs=600,
                jax_iters=400,
                lam_sweep=(0.3, 1.0, 10.0),
                digits_epochs=75,
                latent_epochs=300,
                latent_n_train=1000,
                latent_n_test=300,
                latent_lams=(1.0, 3.0, 10.0, 30.0),
                torch_device=None,
                sde_iters=1000,
                sde_lams=(10.0, 1.0, 3.0, 30.0),
            ),
        }
