"""Presets of chapter 7 (*Regularizing internal solver heuristics of neural ODEs*) for each scale.

The options are grouped by experiment in :class:`~theorybook.scales.Settings` blocks, each
validating its own fields: :class:`Classifier` (the two-dimensional PyTorch classifier),
:class:`Regularizers` (the weights and settings shared by every experiment's methods),
:class:`JaxComparison` (the TayNODE comparison in JAX), :class:`Digits`, :class:`Latent`,
:class:`SDE` and :class:`Agreement` (the torchdiffeq/diffrax check). The trainers' keyword
defaults are these blocks' class defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Seed,
)
from theorybook.declared import MAX_SEED
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import int_sequence, one_of, real_sequence

__all__ = [
    "INDEPENDENT_DEFAULTS",
    "SDE",
    "TORCH_METHODS",
    "Agreement",
    "Classifier",
    "Config",
    "Digits",
    "JaxComparison",
    "Latent",
    "Regularizers",
]

TORCH_METHODS: tuple[str, ...] = (
    "vanilla",
    "ernode",
    "srnode",
    "steer",
    "ernode+srnode",
    "taynode",
)
"""Every method the PyTorch trainers know."""

INDEPENDENT_DEFAULTS: dict[str, str] = {
    "regularized_odeint.rtol": "torchdiffeq.odeint's default (1e-7): the drop-in solves as odeint "
    "does; the chapter's own solves pass the configured rtol explicitly",
    "regularized_odeint.atol": "torchdiffeq.odeint's default (1e-9): the drop-in solves as odeint "
    "does; the chapter's own solves pass the configured atol explicitly",
    "make_circles_data.noise": "the concentric circles' own noise (0.1, the solver checks' data); "
    "Classifier.noise is the noise of the classifier's problem, overlapping moons (0.3)",
}
"""Function parameters that share a setting's name but not its meaning (checked by the contract
test ``test_function_defaults_are_the_config_settings``)."""


OpenUnit = Annotated[float, Interval(low=0.0, high=1.0, low_open=True, high_open=True)]
"""A real in the open interval (0, 1) (STEER's half-width ``b``)."""

TaylorOrder = Annotated[int, IntRange(low=1, high=8)]
"""TayNODE's order ``K``: one Taylor-mode (``jet``) call per order above 1, so it is capped."""

Tolerance = Annotated[float, Interval(low=1e-14)]
"""An adaptive solver's ``rtol``/``atol``: at least 1e-14 (a tolerance below float64's resolution
makes the step size underflow at the first step)."""

FloatType = Literal["float32", "float64"]
"""The floating-point type of a model and its data."""


def _check_methods(owner: str, chosen: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    for m in chosen:
        one_of(f"{owner}[...]", m, allowed)


def _needs_vanilla_and_ernode(owner: str, chosen: tuple[str, ...]) -> None:
    _check_methods(owner, chosen, TORCH_METHODS)
    if not {"vanilla", "ernode"} <= set(chosen):
        raise ValueError(f"{owner} must include 'vanilla' and 'ernode', got {chosen}")


def _extra_seeds(owner: str, seeds: tuple[int, ...]) -> None:
    chosen = int_sequence(owner, seeds, low=0, min_len=0, unique=True)
    if any(s > MAX_SEED for s in chosen):
        raise ValueError(f"{owner} must be <= {MAX_SEED}, got {chosen}")


@dataclass(frozen=True)
class Classifier(Settings):
    """The two-dimensional classifier (PyTorch): problem, sizes, model, optimiser, methods.

    ``problem`` is overlapping moons (noise 0.3) by default (``"circles"``: the concentric circles
    of earlier versions, at the accuracy ceiling). ``methods`` run on ``Config.seed``, on which
    ``λ₀ = lam_error`` was chosen (from 0.01, 0.03, 0.1, 0.3 and 10: the largest test-NFE cut with
    accuracy within 0.5 points of vanilla); ``held_out_methods`` run again on the held-out
    ``Config.seeds``; ``lam_sweep`` are the larger ERNODE weights of the λ sweep; ``dtype`` is the
    model's and the data's floating-point type.
    """

    problem: Literal["moons", "circles"] = "moons"
    n_train: Annotated[int, IntRange(low=4)] = 512
    n_test: Annotated[int, IntRange(low=4)] = 1024
    noise: NonNegativeReal = 0.3
    hidden: PositiveInt = 64
    epochs: PositiveInt = 300
    lr: PositiveReal = 3e-3
    lam_error: PositiveReal = 0.1
    lam_error_end: PositiveReal = 0.1
    methods: tuple[str, ...] = TORCH_METHODS
    held_out_methods: tuple[str, ...] = ("vanilla", "ernode")
    lam_sweep: tuple[float, ...] = (1.0, 10.0)
    dtype: FloatType = "float32"

    def validate(self) -> None:
        _needs_vanilla_and_ernode("Classifier.methods", tuple(self.methods))
        _needs_vanilla_and_ernode("Classifier.held_out_methods", tuple(self.held_out_methods))
        real_sequence("Classifier.lam_sweep", self.lam_sweep, low=0.0, low_open=True, min_len=0)


@dataclass(frozen=True)
class Regularizers(Settings):
    """Weights and settings of the methods other than ERNODE, shared by every experiment.

    ``lam_stiff`` is SRNODE's ``λ`` (and the constant ``λ_S`` of ERNODE + SRNODE), ``steer_b``
    STEER's half-width ``b`` (end time ``T′ ~ U(T − b, T + b)``), ``lam_taynode`` TayNODE's ``λ``
    and ``taynode_order`` its order ``K``.
    """

    lam_stiff: PositiveReal = 0.1
    steer_b: OpenUnit = 0.5
    lam_taynode: PositiveReal = 1e-2
    taynode_order: TaylorOrder = 2


@dataclass(frozen=True)
class JaxComparison(Settings):
    """The JAX comparison with TayNODE (a smaller model on the classifier's problem)."""

    n_train: Annotated[int, IntRange(low=4)] = 256
    hidden: PositiveInt = 32
    iters: Annotated[int, IntRange(low=2)] = 150
    lr: PositiveReal = 1e-2
    dt0: PositiveReal = 0.05
    methods: tuple[str, ...] = ("vanilla", "ernode", "taynode")

    def validate(self) -> None:
        methods = tuple(self.methods)
        _check_methods("JaxComparison.methods", methods, ("vanilla", "ernode", "taynode"))
        if not {"ernode", "taynode"} <= set(methods):
            raise ValueError(
                "JaxComparison.methods must include 'ernode' and 'taynode' (others: 'vanilla'), "
                f"got {methods}"
            )


@dataclass(frozen=True)
class Digits(Settings):
    """The digits classifier (64-d state, minibatches), in the paper's regime.

    Solved at the official code's tolerance ``1.4e-8`` in float64, with ERNODE's ``λ`` annealed
    from ``lam_error`` to ``lam_error_end`` (the paper anneals ``R_E``'s weight by a factor of 10 over training).
    ``epochs = 0`` skips the experiment.
    """

    epochs: NonNegativeInt = 30
    n_test: Annotated[int, IntRange(low=10, high=1797 - 10)] = 397
    hidden: PositiveInt = 64
    batch_size: PositiveInt = 128
    lam_error: PositiveReal = 1.0
    lam_error_end: PositiveReal = 0.1
    lr: PositiveReal = 3e-3
    rtol: Tolerance = 1.4e-8
    atol: Tolerance = 1.4e-8
    dtype: FloatType = "float64"
    methods: tuple[str, ...] = ("vanilla", "ernode", "srnode", "steer", "ernode+srnode")

    def validate(self) -> None:
        _needs_vanilla_and_ernode("Digits.methods", tuple(self.methods))


@dataclass(frozen=True)
class Latent(Settings):
    """The latent ODE on irregularly sampled spirals (PyTorch); ``epochs = 0`` skips it.

    ``lams`` are ERNODE's weights (the first is the one the claims use); ``noise`` is the spirals'
    observation noise; ``seeds`` are further seeds (new spirals and initialization) on which
    vanilla and ERNODE at the first ``λ`` train again, so the claims rest on ``Config.seed`` and
    these.
    """

    epochs: NonNegativeInt = 100
    n_train: Annotated[int, IntRange(low=2)] = 300
    n_test: Annotated[int, IntRange(low=2)] = 100
    noise: NonNegativeReal = 0.05
    hidden: PositiveInt = 32
    batch_size: PositiveInt = 50
    lr: PositiveReal = 1e-2
    lams: tuple[float, ...] = (3.0, 10.0)
    methods: tuple[str, ...] = TORCH_METHODS
    seeds: tuple[int, ...] = ()

    def validate(self) -> None:
        real_sequence("Latent.lams", self.lams, low=0.0, low_open=True)
        _extra_seeds("Latent.seeds", self.seeds)
        _needs_vanilla_and_ernode("Latent.methods", tuple(self.methods))


@dataclass(frozen=True)
class SDE(Settings):
    """The neural SDE on the toy spiral SDE (JAX); ``iters = 0`` skips it.

    250 iterations of AdaBelief at learning rate 0.01 with a width-50 drift, as in the paper's
    official code; vanilla and ERNODE at each ``λ`` of ``lams``, on ``Config.seed`` and again on
    each of ``seeds`` (new initialization, training, validation and test Brownian paths; the
    same data), ``λ`` chosen on each seed's validation paths.
    """

    iters: NonNegativeInt = 250
    hidden: PositiveInt = 50
    lr: PositiveReal = 1e-2
    lams: tuple[float, ...] = (0.1, 1.0, 10.0)
    seeds: tuple[int, ...] = ()

    def validate(self) -> None:
        if self.iters == 1:
            raise ValueError("SDE.iters must be 0 (skip) or >= 2, got 1")
        real_sequence("SDE.lams", self.lams, low=0.0, low_open=True)
        _extra_seeds("SDE.seeds", self.seeds)


@dataclass(frozen=True)
class Agreement(Settings):
    """The torchdiffeq/diffrax agreement check: a random MLP field (``batch`` states, width
    ``hidden``) solved in float64 on ``[0, t1]`` at ``rtol``/``atol`` from the first step
    ``dt0``."""

    rtol: Tolerance = 1e-6
    atol: Tolerance = 1e-6
    dt0: PositiveReal = 0.05
    t1: PositiveReal = 2.0
    batch: PositiveInt = 8
    hidden: PositiveInt = 16


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of every experiment in the chapter.

    The solver checks are the same at every scale. The two-dimensional classifier
    (``classifier``, PyTorch) is trained on overlapping moons with 512 training and 1024 test
    points, width 64, 300 full-batch Adam steps and tolerances ``rtol = atol = 1e-5`` at book
    scale, on ``seed`` and the held-out ``seeds``. The JAX comparison with TayNODE (``jax``) uses
    a smaller model. The digits classifier, the latent ODE on spirals and the neural SDE run from
    book scale on (``digits.epochs``, ``latent.epochs`` and ``sde.iters`` are 0 otherwise).
    ``cpu_threads`` is the torch thread count of the experiments (these small fields run fastest
    on one thread; ``None``: the book's policy); ``torch_device`` the PyTorch device of the
    classifiers and the latent ODE (``None``: CUDA when available).
    """

    classifier: Classifier = Classifier()
    regularizers: Regularizers = Regularizers()
    jax: JaxComparison = JaxComparison()
    digits: Digits = Digits(epochs=0)
    latent: Latent = Latent(epochs=0)
    sde: SDE = SDE(iters=0)
    agreement: Agreement = Agreement()
    rtol: Tolerance = 1e-5
    atol: Tolerance = 1e-5
    seed: Seed = 0
    seeds: tuple[int, ...] = (1, 2, 3)
    cpu_threads: PositiveInt | None = 1
    torch_device: str | None = "cpu"

    def validate(self) -> None:
        blocks = {
            "classifier": Classifier,
            "regularizers": Regularizers,
            "jax": JaxComparison,
            "digits": Digits,
            "latent": Latent,
            "sde": SDE,
            "agreement": Agreement,
        }
        for name, cls in blocks.items():
            if not isinstance(getattr(self, name), cls):
                raise TypeError(f"Config.{name} must be a {cls.__name__}")
        seeds = int_sequence("seeds", self.seeds, low=0, min_len=0, unique=True)
        if any(s > MAX_SEED for s in seeds):
            raise ValueError(f"seeds must be <= {MAX_SEED}, got {seeds}")
        if self.seed in seeds:
            raise ValueError(f"seeds must not contain the main seed {self.seed} (held out)")
        for name, extra in (("latent.seeds", self.latent.seeds), ("sde.seeds", self.sde.seeds)):
            if self.seed in tuple(extra):
                raise ValueError(f"{name} must not contain the main seed {self.seed} (run already)")
        if self.torch_device is not None and not isinstance(self.torch_device, str):
            raise TypeError(f"torch_device must be a string or None, got {self.torch_device!r}")
        if self.torch_device is not None and not re.fullmatch(
            r"cpu|cuda(:\d+)?", self.torch_device
        ):
            raise ValueError(
                f"torch_device must be 'cpu', 'cuda', 'cuda:N' or None, got {self.torch_device!r}"
            )

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        five = ("vanilla", "ernode", "srnode", "steer", "ernode+srnode")
        return {
            "smoke": cls(
                classifier=Classifier(
                    n_train=256,
                    n_test=256,
                    methods=five,
                    hidden=32,
                    epochs=100,
                    lr=1e-2,
                    lam_sweep=(10.0,),
                ),
                seeds=(1,),
                jax=JaxComparison(n_train=128, hidden=16, iters=30, methods=("ernode", "taynode")),
                # A few epochs of the latent ODE (about 2 s), so its section and figure are built at
                # smoke scale too (its claims wait for the book preset). The neural SDE stays off:
                # compiling its training step alone takes about 30 s.
                latent=Latent(
                    epochs=3,
                    n_train=48,
                    n_test=24,
                    lams=(3.0,),
                    methods=("vanilla", "ernode"),
                ),
            ),
            "book": cls(
                # Within the book's time budget: TayNODE in PyTorch, SRNODE and ERNODE+SRNODE
                # (on moons, digits and the latent ODE) and STEER on digits and on the latent ODE
                # run at paper scale; two held-out seeds on moons and one on the SDE; digits
                # trains 20 epochs and the latent ODE 50 on 200 spirals (paper: 75 epochs, and
                # 300 epochs on 1000 spirals); the SDE sweeps λ = 0.1 and 10 (paper: six values).
                classifier=Classifier(methods=("vanilla", "ernode", "steer"), lam_sweep=(10.0,)),
                seeds=(1, 2),
                digits=Digits(epochs=20, methods=("vanilla", "ernode")),
                latent=Latent(
                    epochs=50,
                    n_train=200,
                    lams=(3.0,),
                    methods=("vanilla", "ernode"),
                    seeds=(1, 2),
                ),
                sde=SDE(iters=250, lams=(0.1, 10.0), seeds=(1,)),
            ),
            "paper": cls(
                classifier=Classifier(
                    n_train=1000,
                    n_test=2000,
                    epochs=600,
                    lam_sweep=(0.3, 1.0, 10.0),
                    held_out_methods=TORCH_METHODS,
                ),
                seeds=(1, 2, 3, 4),
                jax=JaxComparison(iters=400),
                digits=Digits(epochs=75, methods=TORCH_METHODS),
                latent=Latent(
                    epochs=300,
                    n_train=1000,
                    n_test=300,
                    lams=(1.0, 3.0, 10.0, 30.0),
                    seeds=(1, 2, 3),
                ),
                torch_device=None,
                cpu_threads=None,
                sde=SDE(iters=250, lams=(0.03, 0.1, 0.3, 1.0, 3.0, 10.0), seeds=(1, 2, 3, 4)),
            ),
        }
