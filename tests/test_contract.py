"""The chapter contract (CONTRIBUTING.md), checked for every chapter subpackage.

Every ``theorybook.<chapter>`` has the modules ``config``, ``data``, ``experiments``, ``figures``
and ``claims``; ``claims.chapter_claims`` builds the chapter's table; every ``run_*`` takes
``progress`` as a keyword-only argument and returns a frozen dataclass; the config has the three
presets and they validate; the subpackage's ``__all__`` names exist; nothing imports private
third-party modules at import time.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import types
import typing
from pathlib import Path

import pytest

from theorybook.runtime import SCALES, ScaledConfig

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "theorybook"
CHAPTERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
REQUIRED_MODULES = ("config", "data", "experiments", "figures", "claims")


def test_there_are_chapter_subpackages() -> None:
    assert CHAPTERS, "no chapter subpackages found"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_subpackage_has_the_contract_modules(chapter: str) -> None:
    missing = [m for m in REQUIRED_MODULES if not (PACKAGE / chapter / f"{m}.py").exists()]
    assert not missing, f"theorybook.{chapter} lacks {missing} (see CONTRIBUTING.md)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_claims_builds_a_claim_table(chapter: str) -> None:
    claims = importlib.import_module(f"theorybook.{chapter}.claims")
    builder = getattr(claims, "chapter_claims", None)
    assert callable(builder), f"theorybook.{chapter}.claims must define chapter_claims(...)"
    hints = typing.get_type_hints(builder)
    assert getattr(hints.get("return"), "__name__", "") == "ClaimTable"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_config_has_valid_presets(chapter: str) -> None:
    config = importlib.import_module(f"theorybook.{chapter}.config")
    cls = config.Config
    assert issubclass(cls, ScaledConfig)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for scale in SCALES:
        cls.preset(scale).validate()


def _run_functions(chapter: str) -> list[tuple[str, typing.Any]]:
    experiments = importlib.import_module(f"theorybook.{chapter}.experiments")
    return [
        (name, fn)
        for name, fn in inspect.getmembers(experiments, inspect.isfunction)
        if name.startswith("run_") and fn.__module__ == experiments.__name__
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_run_functions_take_progress_and_return_frozen_results(chapter: str) -> None:
    runs = _run_functions(chapter)
    assert runs, f"theorybook.{chapter}.experiments defines no run_* function"
    for name, fn in runs:
        params = inspect.signature(fn).parameters
        assert "progress" in params, f"{chapter}.{name} must take progress=False"
        assert params["progress"].kind is inspect.Parameter.KEYWORD_ONLY, (
            f"{chapter}.{name}: progress must be keyword-only"
        )
        assert params["progress"].default is False
        result = typing.get_type_hints(fn).get("return")
        assert result is not None, f"{chapter}.{name} needs a return annotation"
        # ``Result | None`` (a run that a preset may skip) is allowed: check the result type
        options = [a for a in typing.get_args(result) if a is not type(None)]
        if options and typing.get_origin(result) in (typing.Union, types.UnionType):
            assert len(options) == 1, f"{chapter}.{name} returns one of several types"
            result = options[0]
        assert dataclasses.is_dataclass(result), f"{chapter}.{name} must return a dataclass"
        assert result.__dataclass_params__.frozen, f"{chapter}.{name} returns a mutable result"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exported_names_exist(chapter: str) -> None:
    module = importlib.import_module(f"theorybook.{chapter}")
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"theorybook.{chapter}.__all__ names missing {name!r}"


def _module_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_private_third_party_imports_at_import_time(path: Path) -> None:
    private = [
        name
        for name in _module_level_imports(path)
        if not name.startswith("theorybook")
        and any(part.startswith("_") and not part.startswith("__") for part in name.split("."))
    ]
    assert not private, (
        f"{path.relative_to(ROOT)} imports private modules at import time: {private}"
    )
