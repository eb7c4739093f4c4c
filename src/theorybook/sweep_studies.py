"""The book's recorded studies, defined as sweeps (:mod:`theorybook.sweeps`).

Each study is a function returning its sweeps; ``scripts/sweep.py run <study>`` runs it through
any executor, and the chapters read the records back with
:func:`theorybook.sweep_records.load_sweep`.

- ``paper-chapters``: every chapter's notebook at paper scale, one cell per chapter (what
  ``make test-gpu`` runs).
- ``nde-seed-study``: chapter 7, every method on every experiment over seeds, book sizes.
- ``arnet-high-order``: chapter 6, the paper's high-order grid (orders to 1000, N = 10⁵).
- ``distill-selection``: chapter 5, the digits settings tried on the held-out selection seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from theorybook.boundary import PositiveInt, checked
from theorybook.sweeps import Sweep

__all__ = [
    "SELECTION_POINTS",
    "STUDIES",
    "arnet_high_order",
    "distill_selection",
    "nde_seed_study",
    "paper_chapters",
    "study",
]

NDE_METHODS = ("vanilla", "ernode", "srnode", "steer", "ernode+srnode", "taynode")
"""Every PyTorch method of chapter 7."""


@checked
def paper_chapters(chapters: Sequence[str] = ()) -> tuple[Sweep, ...]:
    """Each chapter's notebook at paper scale, one cell each (sweep ``paper``).

    Arguments:
        chapters: chapter numbers, stems or subpackages; empty means every chapter.
    """
    from theorybook.chapters import CHAPTERS, chapter

    chosen = [chapter(c) for c in chapters] if chapters else list(CHAPTERS)
    return tuple(
        Sweep("paper", c.stem, experiment="notebook", scale="paper", seed_setting=None)
        for c in chosen
    )


@checked
def nde_seed_study(seeds: PositiveInt = 3) -> tuple[Sweep, ...]:
    """Chapter 7: every method on every experiment, ``seeds`` seeds, the book preset's sizes.

    The moons classifier runs seeds ``0..seeds`` (one more: it is the cheapest), the latent ODE,
    the digits classifier and the neural SDE seeds ``0..seeds-1``. The digits runs are split in
    two sweeps, TayNODE (the slowest) apart. Every cell runs one seed (no held-out or extra seeds
    inside a cell) and records every number of the experiment's result.
    """
    non_tay = tuple(m for m in NDE_METHODS if m != "taynode")
    one = {"seeds": (), "latent.seeds": (), "sde.seeds": ()}
    return (
        Sweep(
            "seed-study-moons",
            "07",
            experiment="run_circles",
            seeds=tuple(range(seeds + 1)),
            fixed={
                **one,
                "classifier.methods": NDE_METHODS,
                "classifier.held_out_methods": NDE_METHODS,
                "classifier.lam_sweep": (),
            },
        ),
        Sweep(
            "seed-study-latent",
            "07",
            experiment="run_latent",
            seeds=tuple(range(seeds)),
            fixed={**one, "latent.methods": NDE_METHODS},
        ),
        Sweep(
            "seed-study-digits",
            "07",
            experiment="run_digits",
            seeds=tuple(range(seeds)),
            fixed={**one, "digits.methods": non_tay},
        ),
        Sweep(
            "seed-study-digits-taynode",
            "07",
            experiment="run_digits",
            seeds=tuple(range(seeds)),
            fixed={**one, "digits.methods": ("vanilla", "ernode", "taynode")},
        ),
        Sweep("seed-study-sde", "07", experiment="run_sde", seeds=tuple(range(seeds)), fixed=one),
    )


@checked
def arnet_high_order(
    orders: Sequence[PositiveInt] = (100, 300, 1000),
    seeds: PositiveInt = 3,
    n: PositiveInt = 100_000,
) -> tuple[Sweep, ...]:
    """Chapter 6: sparse AR-Net and least squares at the paper's size, one cell per order.

    The paper preset with ``sparse.n_train = n`` and ``seeds`` series per order (the experiment
    draws series ``0..seeds-1`` itself, so a cell holds every seed of its order).

    Arguments:
        orders: the model orders ``p``.
        seeds: series per order.
        n: training samples per series.

    Returns:
        One sweep, ``high-order``, one cell per order.
    """
    return (
        Sweep(
            "high-order",
            "06",
            experiment="run_sparse_order",
            scale="paper",
            seed_setting=None,
            grid={"sparse.orders": tuple((int(p),) for p in orders)},
            fixed={"seeds": seeds, "sparse.n_train": n},
        ),
    )


SELECTION_POINTS: tuple[dict[str, float | int], ...] = tuple(
    {
        "digits.label_noise": noise,
        "training.reg_coef": reg,
        "training.hidden": hidden,
        "training.epochs": epochs,
    }
    for noise, reg, hidden, epochs in (
        (0.4, 1e-4, 128, 40),  # the book's setting
        (0.4, 1e-3, 128, 40),
        (0.4, 3e-3, 128, 40),
        (0.2, 1e-3, 128, 40),
        (0.4, 1e-3, 128, 15),
        (0.4, 0.0, 256, 100),
        (0.4, 1e-4, 512, 100),
        (0.5, 3e-4, 128, 40),
        (0.3, 3e-4, 64, 60),
    )
)
"""The digits settings chapter 5 tried on its selection seeds: label noise, the official
penalty's coefficient, width and epochs."""


def distill_selection() -> tuple[Sweep, ...]:
    """Chapter 5: each digits setting of :data:`SELECTION_POINTS` on the selection seeds.

    Each cell trains the teacher and the step-2 grid of students on one of
    :data:`theorybook.distill.SELECTION_SEEDS` (``deep.selection=True``, two distillation steps,
    one fixed-weight chain, α = 0) and records every number of the result: the grid's best weight and its
    bootstrap interval, the estimates, the grid's validation loss and test accuracy. The book's
    setting is one whose grid optimum lies inside (0, 1) on both seeds.
    """
    from theorybook.distill.config import SELECTION_SEEDS

    return (
        Sweep(
            "selection",
            "05",
            experiment="run_deep_digits",
            seeds=tuple(SELECTION_SEEDS),
            seed_setting="deep.seeds",
            points=SELECTION_POINTS,
            fixed={"deep.selection": True, "deep.steps": 2, "deep.fixed_alphas": (0.0,)},
        ),
    )


STUDIES: dict[str, Callable[..., tuple[Sweep, ...]]] = {
    "paper-chapters": paper_chapters,
    "nde-seed-study": nde_seed_study,
    "arnet-high-order": arnet_high_order,
    "distill-selection": distill_selection,
}
"""Every study, by the name ``scripts/sweep.py`` takes."""


@checked
def study(name: str) -> Callable[..., tuple[Sweep, ...]]:
    """The study called ``name`` (a key of :data:`STUDIES`)."""
    if name not in STUDIES:
        raise ValueError(f"no study {name!r}; studies: {', '.join(STUDIES)}")
    return STUDIES[name]
