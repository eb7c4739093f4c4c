"""One figure style for the whole book, sized for its content column.

The book's content column is about 7 inches wide at 100 dpi; :data:`COLUMN_WIDTH` figures are
shown at their natural size there, so a 10-pt font reads as 10 pt and legends stay legible.
Notebooks display figures as retina PNGs (twice the pixels, same size). Figures are drawn on an opaque white canvas with dark ink, so they read the same in the book
theme's light and dark modes (a transparent figure would put black axes on a dark page). Colours
come from the Okabe–Ito palette, which stays distinguishable under the common colour-vision
deficiencies. Nothing here is chapter-specific.

>>> from theorybook.plotting import use_book_style, new_figure
>>> use_book_style()
>>> fig, ax = new_figure()
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from theorybook.boundary import PositiveInt, PositiveReal, checked

__all__ = [
    "COLUMN_WIDTH",
    "PALETTE",
    "SEQUENTIAL_CMAP",
    "DIVERGING_CMAP",
    "label_panels",
    "new_figure",
    "save_figure",
    "use_book_style",
]

PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
"""Okabe–Ito colours, in the order the book's colour cycle uses them."""

SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"

FigureFormat = Literal["png", "pdf", "svg"]
"""The file formats :func:`save_figure` writes."""

_CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")]

COLUMN_WIDTH = 7.0
"""Width in inches of a figure that fills the book's content column at 100 dpi."""

BOOK_RC: dict[str, Any] = {
    "figure.figsize": (5.0, 3.4),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "figure.constrained_layout.use": True,
    "savefig.dpi": 160,
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "axes.prop_cycle": cycler(color=_CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9.0,
    "lines.linewidth": 1.8,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "text.color": "#111111",
    "font.size": 10.0,
    "image.cmap": SEQUENTIAL_CMAP,
}


@checked
def use_book_style() -> None:
    """Apply the book's matplotlib style to every later figure (call once per chapter).

    In a notebook it also switches the inline backend to retina PNGs.
    """
    mpl.rcParams.update(BOOK_RC)  # type: ignore[arg-type]  # BOOK_RC keys are valid rc names
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("retina")
    except ImportError:  # pragma: no cover - IPython is optional outside notebooks
        pass


@checked
def new_figure(
    nrows: PositiveInt = 1,
    ncols: PositiveInt = 1,
    *,
    width: PositiveReal | None = None,
    height: PositiveReal | None = None,
    **subplot_kw: Any,
) -> tuple[Figure, Any]:
    """``plt.subplots`` in the book style, sized ``width × height`` inches, outside pyplot.

    The figure is not registered with pyplot, so a notebook shows it once, as the value of the
    cell that returns it (a pyplot figure is also drawn by the inline backend at the end of the
    cell: twice in all, and twice the same figure label in the book). There is nothing to close.

    Arguments:
        nrows: rows of panels (≥ 1).
        ncols: columns of panels (≥ 1).
        width: inches; default 5 for one panel and :data:`COLUMN_WIDTH` (7, the column) for
            several. Wider figures are shrunk by the page and their text with them: stay at or
            below :data:`COLUMN_WIDTH`.
        height: inches; default 3.4 for one panel and ``min(2.6, 7/ncols + 0.4)`` per row for
            several.
        **subplot_kw: passed to ``Figure.subplots`` (figure keywords such as ``dpi`` or
            ``layout`` go to the figure).

    Returns:
        ``(fig, ax)`` with ``ax`` a single :class:`~matplotlib.axes.Axes` for one panel, else an
        array of them.
    """
    use_book_style()
    single = nrows == 1 and ncols == 1
    w = COLUMN_WIDTH if width is None and not single else 5.0 if width is None else width
    h = (
        (3.4 if single else nrows * min(2.6, COLUMN_WIDTH / ncols + 0.4))
        if height is None
        else height
    )
    figure_kw = {k: subplot_kw.pop(k) for k in _FIGURE_KEYWORDS if k in subplot_kw}
    fig = Figure(figsize=(w, h), **figure_kw)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)


_FIGURE_KEYWORDS = ("dpi", "facecolor", "edgecolor", "layout", "constrained_layout", "tight_layout")
"""Keywords of ``plt.subplots`` that belong to the figure rather than to its grid of axes."""


@checked
def label_panels(axes: Axes | Sequence[Axes] | np.ndarray, *, start: str = "a") -> None:
    """Write (a), (b), ... in the top-left corner of each panel (outside the title's line).

    Arguments:
        axes: one panel, or a sequence or array of them (as :func:`new_figure` returns).
        start: the first panel's letter.
    """
    if not (len(start) == 1 and "a" <= start <= "z"):
        raise ValueError(f"start must be one lower-case letter, got {start!r}")
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if not flat:
        raise ValueError("axes must hold at least one panel, got none")
    for i, ax in enumerate(flat):
        if not isinstance(ax, Axes):
            raise TypeError(f"axes must hold matplotlib Axes; item {i} is a {type(ax).__name__}")
    if ord(start) + len(flat) - 1 > ord("z"):
        raise ValueError(f"{len(flat)} panels starting at {start!r} run past 'z'")
    for i, ax in enumerate(flat):
        ax.text(
            -0.02,
            1.02,
            f"({chr(ord(start) + i)})",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontweight="bold",
        )


@checked
def save_figure(
    fig: Figure,
    name: str,
    directory: str | os.PathLike[str] | None = None,
    *,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Save ``fig`` as ``<directory>/<name>.<fmt>`` for each format.

    Arguments:
        fig: the figure.
        name: the file stem: letters, digits, ``-`` and ``_`` only.
        directory: the folder; default ``$THEORYBOOK_FIGURES`` or ``results/figures`` in the
            working directory.
        formats: a non-empty subset of ``png``, ``pdf``, ``svg``.

    Returns:
        The paths written.
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"figure name must use letters, digits, '-' or '_', got {name!r}")
    allowed = set(typing.get_args(FigureFormat))
    bad = [f for f in formats if f not in allowed]
    if bad or not formats or isinstance(formats, str):
        raise ValueError(
            f"formats must be a non-empty subset of {sorted(allowed)}, got {list(formats)}"
        )
    target = Path(directory or os.environ.get("THEORYBOOK_FIGURES", "results/figures"))
    if target.exists() and not target.is_dir():
        raise ValueError(f"directory {str(target)!r} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    paths = [target / f"{name}.{fmt}" for fmt in formats]
    for path in paths:
        fig.savefig(path)
    return paths
