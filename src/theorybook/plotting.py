"""One figure style for the whole book.

Figures are drawn on an opaque white canvas with dark ink, so they read the same in the book
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
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

_CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")]

BOOK_RC: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
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
    "legend.fontsize": "small",
    "lines.linewidth": 1.8,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "text.color": "#111111",
    "font.size": 10.0,
    "image.cmap": SEQUENTIAL_CMAP,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style to every later figure (call once per chapter)."""
    mpl.rcParams.update(BOOK_RC)


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    **subplot_kw: Any,
) -> tuple[Figure, Any]:
    """``plt.subplots`` in the book style, sized ``width × height`` inches.

    The default width is 3.2 in per column (at most 9.6 in), the height 3.0 in per row. Returns
    ``(fig, ax)`` with ``ax`` a single :class:`~matplotlib.axes.Axes` for one panel, else an array.
    """
    if nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be >= 1, got {nrows}, {ncols}")
    use_book_style()
    w = width if width is not None else min(3.2 * ncols, 9.6) if ncols > 1 else 6.4
    h = height if height is not None else 3.0 * nrows if nrows > 1 or ncols > 1 else 4.0
    if w <= 0 or h <= 0:
        raise ValueError(f"width and height must be positive, got {w}, {h}")
    return plt.subplots(nrows, ncols, figsize=(w, h), **subplot_kw)


def label_panels(axes: Sequence[Axes] | np.ndarray, *, start: str = "a") -> None:
    """Write (a), (b), ... in the top-left corner of each panel."""
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    for i, ax in enumerate(flat):
        ax.text(-0.02, 1.02, f"({chr(ord(start) + i)})", transform=ax.transAxes,
                ha="right", va="bottom", fontweight="bold")


def save_figure(
    fig: Figure,
    name: str,
    directory: str | os.PathLike[str] | None = None,
    *,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Save ``fig`` as ``<directory>/<name>.<fmt>`` for each format and return the paths.

    ``directory`` defaults to ``$THEORYBOOK_FIGURES`` or ``results/figures`` in the working
    directory. ``name`` may use letters, digits, ``-`` and ``_`` only.
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise ValueError(f"figure name must use letters, digits, '-' or '_', got {name!r}")
    allowed = {"png", "pdf", "svg"}
    bad = [f for f in formats if f not in allowed]
    if bad or not formats:
        raise ValueError(f"formats must be a non-empty subset of {sorted(allowed)}, got {list(formats)}")
    target = Path(directory or os.environ.get("THEORYBOOK_FIGURES", "results/figures"))
    target.mkdir(parents=True, exist_ok=True)
    paths = [target / f"{name}.{fmt}" for fmt in formats]
    for path in paths:
        fig.savefig(path)
    return paths
