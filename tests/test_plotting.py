"""Tests of theorybook.plotting: the book style and figure saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

from theorybook.plotting import PALETTE, label_panels, new_figure, save_figure, use_book_style


def test_style_is_opaque_and_colour_blind_safe() -> None:
    use_book_style()
    assert mpl.rcParams["figure.facecolor"] == "white"
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [PALETTE["blue"], PALETTE["orange"], PALETTE["green"]]


def test_new_figure_shapes() -> None:
    fig, ax = new_figure()
    assert hasattr(ax, "plot")
    fig2, axes = new_figure(2, 3)
    assert np.shape(axes) == (2, 3)
    label_panels(axes)
    assert axes[0, 0].texts[0].get_text() == "(a)"
    plt.close("all")
    with pytest.raises(ValueError):
        new_figure(0, 1)


def test_save_figure_writes_files(tmp_path: Path) -> None:
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    paths = save_figure(fig, "line_plot", tmp_path, formats=("png", "svg"))
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(ValueError):
        save_figure(fig, "bad/name", tmp_path)
    with pytest.raises(ValueError):
        save_figure(fig, "ok", tmp_path, formats=("jpg",))
    plt.close("all")


def test_new_figure_is_outside_pyplot_so_a_notebook_shows_it_once():
    before = set(plt.get_fignums())
    fig, axes = new_figure(1, 2, sharey=True, layout="constrained")
    assert set(plt.get_fignums()) == before
    assert len(axes) == 2 and axes[0].get_shared_y_axes().joined(axes[0], axes[1])
    assert fig.get_layout_engine() is not None
