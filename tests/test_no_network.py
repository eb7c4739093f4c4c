"""No module of the package opens a network connection when imported."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import theorybook

_PROBE = r"""
import importlib, pkgutil, socket, sys

def refuse(*args, **kwargs):
    raise RuntimeError(f"network connection attempted on import: {args!r}")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import theorybook
for module in sys.argv[1:]:
    importlib.import_module(module)
print("imported", len(sys.argv) - 1)
"""


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(theorybook.__path__, prefix="theorybook."))


def test_walk_finds_the_shared_modules() -> None:
    assert {
        "theorybook.runtime",
        "theorybook.claims",
        "theorybook.data",
        "theorybook.plotting",
    } <= set(_modules())


def test_importing_every_module_stays_offline() -> None:
    modules = _modules()
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f"imported {len(modules)}"
