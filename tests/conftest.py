"""Shared pytest settings: a non-interactive matplotlib backend and a clean scale variable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project_root() -> Path:
    """The repository root (where _config.yml and _toc.yml live)."""
    return ROOT


@pytest.fixture
def smoke_scale(monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test at THEORYBOOK_SCALE=smoke."""
    monkeypatch.setenv("THEORYBOOK_SCALE", "smoke")
    return "smoke"


@pytest.fixture(autouse=True)
def _no_stray_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    if "THEORYBOOK_DEVICE" in os.environ:
        monkeypatch.delenv("THEORYBOOK_DEVICE")


@pytest.fixture(autouse=True)
def _restore_torch_threads() -> Iterator[None]:
    """A test that changes torch's global thread count must not leak it into the next test."""
    import torch

    before = torch.get_num_threads()
    yield
    if torch.get_num_threads() != before:
        torch.set_num_threads(before)
