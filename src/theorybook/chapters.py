"""The book's chapters, and the one pipeline every chapter runs: ``run_all`` → ``chapter_claims``.

Every chapter subpackage has the same shape (``CONTRIBUTING.md``): a ``Config`` with presets, a
``run_all(cfg, *, progress) -> Results`` and a ``chapter_claims(results, cfg) -> ClaimTable``.
This module names the chapters and runs that pipeline for any of them, so that the tests,
``scripts/run_chapters.py --pipeline`` and a reader's own script share one path::

    from theorybook.chapters import chapter
    run = chapter("06").run(scale="smoke")
    print(run.table.summary())

Chapter packages are imported only when a chapter is run.
"""

from __future__ import annotations

import importlib
import re
import time
from dataclasses import dataclass
from typing import Any

from theorybook.boundary import NonNegativeReal, check_fields, checked, record
from theorybook.claims import ClaimTable
from theorybook.scales import check_scale, scale

__all__ = ["CHAPTERS", "Chapter", "ChapterRun", "chapter"]


@record
@dataclass(frozen=True)
class ChapterRun:
    """One run of a chapter's pipeline: its config, results, claims table and wall time.

    Built by :meth:`Chapter.run`.
    """

    chapter: str
    cfg: Any
    results: Any
    table: ClaimTable
    wall_seconds: NonNegativeReal


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book: its notebook's stem (``06_ar_net``) and its subpackage (``arnet``).

    ``stem`` starts with the chapter's two-digit number and an underscore; ``package`` is the
    name of a subpackage of :mod:`theorybook` (imported only when the chapter is used).
    """

    stem: str
    package: str

    def __post_init__(self) -> None:
        check_fields(self)
        if not re.fullmatch(r"\d\d_\w+", self.stem):
            raise ValueError(
                f"stem must be the notebook's stem, two digits, '_' and a name, e.g. "
                f"'06_ar_net'; got {self.stem!r}"
            )
        if not self.package.isidentifier():
            raise ValueError(
                f"package must name a subpackage of theorybook (e.g. 'arnet'), got {self.package!r}"
            )

    @property
    def number(self) -> str:
        """The two-digit number, e.g. ``"06"``."""
        return self.stem[:2]

    def module(self, name: str = "") -> Any:
        """The chapter's subpackage, or one of its modules (``module("claims")``)."""
        return importlib.import_module(f"theorybook.{self.package}" + (f".{name}" if name else ""))

    def config(self, which: str | None = None) -> Any:
        """The chapter's ``Config`` preset for ``which`` scale (default: the current scale)."""
        return self.module("config").Config.preset(scale() if which is None else which)

    def run(
        self, cfg: Any = None, *, scale: str | None = None, progress: bool = False
    ) -> ChapterRun:
        """Run every experiment of the chapter and build its claims table.

        Arguments:
            cfg: the chapter's ``Config``; default the preset of ``scale``.
            scale: ``smoke``, ``book`` or ``paper`` (default: ``THEORYBOOK_SCALE``); only used
                when ``cfg`` is not given.
            progress: show progress bars.

        Returns:
            The :class:`ChapterRun`.
        """
        config_cls = self.module("config").Config
        if cfg is None:
            cfg = self.config(None if scale is None else check_scale(scale, "scale"))
        elif not isinstance(cfg, config_cls):
            raise TypeError(
                f"cfg must be a theorybook.{self.package}.Config, got {type(cfg).__name__}"
            )
        start = time.perf_counter()
        results = self.module("experiments").run_all(cfg, progress=progress)
        table = self.module("claims").chapter_claims(results, cfg)
        return ChapterRun(self.stem, cfg, results, table, time.perf_counter() - start)


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("01_regularized_autoencoders", "rae"),
    Chapter("02_diffusion_generalization", "diffusion"),
    Chapter("03_learned_proximal_networks", "lpn"),
    Chapter("04_ntk_optimal_classifiers", "ntk"),
    Chapter("05_self_distillation", "distill"),
    Chapter("06_ar_net", "arnet"),
    Chapter("07_nde_solver_regularization", "nde"),
)
"""Every chapter, in the book's order."""


@checked
def chapter(key: str) -> Chapter:
    """The chapter named by its number (``"06"``), its notebook stem or its subpackage.

    Raises:
        TypeError: if ``key`` is not a string.
        ValueError: naming the chapters, if none matches.
    """
    for c in CHAPTERS:
        if key in (c.number, c.stem, c.package):
            return c
    names = ", ".join(f"{c.number} ({c.package})" for c in CHAPTERS)
    raise ValueError(f"no chapter {key!r}; chapters: {names}")
