"""Presets of chapter 5 (*Self-distillation with ground-truth guidance*) for each scale.

The options are grouped by experiment in :class:`~theorybook.scales.Settings` blocks, each
checking its own fields: the toy kernel problem (:class:`Toy`), the exactness check
(:class:`Exactness`), the convergence and sparsification studies (:class:`Convergence`,
:class:`Sparsification`), the closed-form α* against a grid (:class:`Search`), and the digits
network: its data (:class:`Digits`), the training of one student (:class:`Training`) and the
design of the distillation chains (:class:`Deep`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from theorybook.boundary import (
    Interval,
    IntRange,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
)
from theorybook.distill.alpha import MIN_GRID_STEP
from theorybook.scales import ScaledConfig, Settings
from theorybook.validation import int_sequence, real_sequence
from theorybook.validation import seed as check_seed

__all__ = [
    "DIGITS_MIN_TEST",
    "DIGITS_N",
    "INDEPENDENT_DEFAULTS",
    "SELECTION_SEEDS",
    "Config",
    "Convergence",
    "Deep",
    "Digits",
    "Exactness",
    "Search",
    "Sparsification",
    "Toy",
    "Training",
]

#: Seeds on which the digits network's setting (label noise, width, epochs, penalty) was chosen:
#: the book's seeds must differ from them, so the reported numbers are not the ones tuned on.
SELECTION_SEEDS = (100, 101)
#: Number of images in scikit-learn's digits.
DIGITS_N = 1797
#: Images always left for the test set by :func:`~theorybook.distill.data.load_digits_split`.
DIGITS_MIN_TEST = 10

#: Function parameters that share a name with a setting but not its meaning.
INDEPENDENT_DEFAULTS: dict[str, str] = {
    "random_problem.gamma": "the RBF width of the random 3-D exactness problem (γ = 2), not the "
    "toy's γ = 80: the two kernels live on different inputs",
}


def _alphas(owner: Settings, name: str, *, positive: bool = False) -> None:
    where = f"{type(owner).__name__}.{name}"
    values = real_sequence(where, getattr(owner, name), low=0.0, high=1.0)
    if positive and any(a == 0.0 for a in values):
        raise ValueError(f"{where} must be > 0 (α = 0 is checked separately)")
    object.__setattr__(owner, name, values)


GridStep = Annotated[float, Interval(low=MIN_GRID_STEP, high=0.5)]
"""The step of a grid of weights on ``[0, 1]`` (it must also divide 1: checked in ``validate``)."""
AtLeastTwo = Annotated[int, IntRange(low=2)]
"""A count of at least 2 (distillation steps with a student after the teacher)."""
AtLeastTen = Annotated[int, IntRange(low=10)]
"""A split's size: at least 10 images."""


def _grid_step(owner: Settings, name: str) -> None:
    where = f"{type(owner).__name__}.{name}"
    v = getattr(owner, name)
    if abs(round(1 / v) * v - 1) > 1e-9:
        raise ValueError(f"{where} must divide 1, got {v}")


@dataclass(frozen=True)
class Toy(Settings):
    """Mobahi's toy (Borup & Andersen's ``toy_example``): RBF ``exp(−γ(x − x')²)``, ridge λ,
    ``steps`` distillation steps for each weight in ``alphas``."""

    gamma: PositiveReal = 80.0
    lam: PositiveReal = 0.2
    steps: PositiveInt = 6
    alphas: tuple[float, ...] = (0.0, 0.25, 0.35, 0.7)

    def validate(self) -> None:
        _alphas(self, "alphas")


@dataclass(frozen=True)
class Exactness(Settings):
    """The closed form against explicit refitting: weights, steps and the random problem's size."""

    alphas: tuple[float, ...] = (0.0, 0.3, 0.7)
    steps: PositiveInt = 30
    n_random: PositiveInt = 200

    def validate(self) -> None:
        _alphas(self, "alphas")


@dataclass(frozen=True)
class Convergence(Settings):
    """Convergence to KRR with λ/α (weights in ``(0, 1]``) and the collapse at α = 0."""

    alphas: tuple[float, ...] = (0.1, 0.35, 0.7, 1.0)
    steps: PositiveInt = 60

    def validate(self) -> None:
        _alphas(self, "alphas", positive=True)


@dataclass(frozen=True)
class Sparsification(Settings):
    """Eigen-weight ratios over ``steps`` at α = 0 and at ``alpha``."""

    alpha: Annotated[float, Interval(low=0.0, high=1.0, low_open=True)] = 0.35
    steps: PositiveInt = 30


@dataclass(frozen=True)
class Search(Settings):
    """Closed-form α* at distillation step ``at_step`` against a grid of step ``grid_step``;
    both are timed ``repeats`` times (medians, :func:`theorybook.timing.best_of`)."""

    at_step: AtLeastTwo = 3
    grid_step: GridStep = 1e-3
    repeats: PositiveInt = 5

    def validate(self) -> None:
        _grid_step(self, "grid_step")


@dataclass(frozen=True)
class Digits(Settings):
    """The digits split: training and validation sizes (the test set is the rest) and the
    fraction of training labels flipped (symmetric label noise)."""

    n_train: AtLeastTen = 800
    n_val: AtLeastTen = 400
    label_noise: Annotated[float, Interval(low=0.0, high=0.9, high_open=True)] = 0.4

    def validate(self) -> None:
        available = DIGITS_N - DIGITS_MIN_TEST
        if self.n_train + self.n_val > available:
            raise ValueError(
                f"Digits.n_train + n_val must leave {DIGITS_MIN_TEST} of the {DIGITS_N} digits "
                f"for testing (at most {available}), got {self.n_train} + {self.n_val}"
            )


@dataclass(frozen=True)
class Training(Settings):
    """One student: an MLP of ``depth`` hidden layers of width ``hidden``, trained with Adam for
    ``epochs`` epochs of minibatches.

    ``reg_coef`` weighs the official code's penalty
    :func:`~theorybook.distill.deep.parameter_norm_penalty` (``c · Σ_W ‖W‖₂``, default ``10⁻⁴``
    as in ``self_distiller.py``); ``weight_decay`` is Adam's own (squared-norm) decay, off as in
    the official code.
    """

    hidden: PositiveInt = 128
    depth: PositiveInt = 2
    epochs: PositiveInt = 40
    batch_size: PositiveInt = 128
    lr: PositiveReal = 1e-3
    weight_decay: NonNegativeReal = 0.0
    reg_coef: NonNegativeReal = 1e-4


@dataclass(frozen=True)
class Deep(Settings):
    """The digits chains: ``seeds``, ``steps`` distillation steps per chain, one chain per
    weight in ``fixed_alphas`` (plus the estimate's), and the step-2 grid of step ``grid_step``.

    The setting (label noise, width, epochs, penalty) was chosen on :data:`SELECTION_SEEDS`, as
    one whose step-2 grid optimum lies inside (0, 1); ``seeds`` may not contain them, except in
    a run that makes that choice (``selection=True``, whose seeds are among them: the sweep
    ``distill-selection`` of :mod:`theorybook.sweep_studies`).
    """

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    steps: AtLeastTwo = 4
    fixed_alphas: tuple[float, ...] = (0.0, 0.5)
    grid_step: GridStep = 0.1
    selection: bool = False

    def validate(self) -> None:
        _alphas(self, "fixed_alphas")
        _grid_step(self, "grid_step")
        seeds = int_sequence("Deep.seeds", self.seeds, low=0, unique=True)
        for s in seeds:
            check_seed("Deep.seeds", s)
        object.__setattr__(self, "seeds", seeds)
        tuned = sorted(set(self.seeds) & set(SELECTION_SEEDS))
        if self.selection and len(tuned) != len(self.seeds):
            raise ValueError(
                f"Deep.seeds of a selection run (selection=True) must be among {SELECTION_SEEDS}, "
                f"got {self.seeds}"
            )
        if not self.selection and tuned:
            raise ValueError(
                "Deep.seeds must not contain the seeds the setting was chosen on "
                f"{SELECTION_SEEDS}, got {tuned} (a run that chooses the setting says "
                "selection=True)"
            )


@dataclass(frozen=True)
class Config(ScaledConfig):
    """Hyperparameters of every experiment in the chapter, one settings block per experiment.

    The kernel part (toy, exactness, convergence, sparsification, α*) is the paper's own setting
    at every scale: it costs milliseconds. Only the digits network (``digits``, ``training``,
    ``deep``) grows with the scale. Torch threads follow the book's policy
    (:func:`theorybook.runtime.torch_threads`).
    """

    toy: Toy = Toy()
    exactness: Exactness = Exactness()
    convergence: Convergence = Convergence()
    sparsification: Sparsification = Sparsification()
    search: Search = Search()
    digits: Digits = Digits()
    training: Training = Training()
    deep: Deep = Deep()

    @classmethod
    def presets(cls) -> Mapping[str, Config]:
        return {
            "smoke": cls(
                exactness=Exactness(n_random=120),
                digits=Digits(n_train=400, n_val=300),
                training=Training(hidden=64, epochs=15),
                deep=Deep(seeds=(0,), steps=3, fixed_alphas=(0.0,), grid_step=0.25),
            ),
            "book": cls(),
            "paper": cls(
                digits=Digits(n_train=1000, n_val=397),
                training=Training(hidden=512, depth=3, epochs=150),
                deep=Deep(
                    seeds=tuple(range(10)),
                    steps=6,
                    fixed_alphas=(0.0, 0.25, 0.5, 0.75),
                    grid_step=0.05,
                ),
            ),
        }
