"""Shared pytest settings: a non-interactive matplotlib backend and a clean scale variable."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


_SMOKE_RUNS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def smoke_chapter_run() -> Callable[[str], Any]:
    """``smoke_chapter_run("lpn")``: the chapter's ``run_all`` → ``chapter_claims`` at smoke scale
    (its ``ChapterRun``), computed once per test process with ``THEORYBOOK_SCALE=smoke`` and one
    torch thread. The contract test and the chapter's own claims tests check the same run, so
    they share it instead of running the chapter twice; the results are frozen dataclasses.
    Under ``pytest -n`` each worker that needs the run computes it once (never more often than
    before the sharing).
    """
    from theorybook.chapters import chapter
    from theorybook.runtime import torch_threads

    def run(package: str) -> Any:
        if package not in _SMOKE_RUNS:
            with pytest.MonkeyPatch.context() as mp, torch_threads(1):
                mp.setenv("THEORYBOOK_SCALE", "smoke")
                mp.setenv("THEORYBOOK_THREADS", "1")
                _SMOKE_RUNS[package] = chapter(package).run(scale="smoke")
        return _SMOKE_RUNS[package]

    return run
