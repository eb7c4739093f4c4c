"""The chapter contract (CONTRIBUTING.md), checked for every chapter subpackage.

One pipeline shape everywhere:

* ``<ch>/results.py`` holds the chapter's frozen result types, among them ``Results``;
* ``experiments.run_all(cfg, *, progress=False) -> Results`` runs every experiment;
* every ``run_*`` anywhere in the subpackage takes ``cfg`` first and ``progress`` keyword-only, and
  returns a frozen dataclass;
* ``claims.chapter_claims(results, cfg) -> ClaimTable``, one signature everywhere;
* ``config.Config`` has three presets; a function default that mirrors a setting is that setting;
* trainers go through :func:`theorybook.training.train_loop`;
* notebooks glue numbers and verdicts from the results and the table, never a restated threshold.

The package as a whole: no import cycles, no module over 500 lines without a stated reason, no
compatibility aliases, one spelling of the progress flag, documented arguments.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from theorybook.claims import ClaimTable
from theorybook.scales import SCALES, ScaledConfig, Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "theorybook"
CHAPTERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
REQUIRED_MODULES = ("config", "data", "results", "experiments", "figures", "claims")
NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MAX_MODULE_LINES = 500
PER_CALL = {"seed"}  # names a caller sets per call; a function's seed need not be the config's


def _modules(chapter: str) -> Iterator[types.ModuleType]:
    package = importlib.import_module(f"theorybook.{chapter}")
    yield package
    for info in pkgutil.walk_packages(package.__path__, prefix=f"theorybook.{chapter}."):
        yield importlib.import_module(info.name)


def _own_functions(module: types.ModuleType) -> Iterator[tuple[str, Any]]:
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            yield name, obj


def _unwrap_optional(tp: Any) -> Any:
    options = [a for a in typing.get_args(tp) if a is not type(None)]
    if options and typing.get_origin(tp) in (typing.Union, types.UnionType):
        assert len(options) == 1, f"{tp} is one of several types"
        return options[0]
    return tp


def _is_frozen_dataclass(tp: Any) -> bool:
    return dataclasses.is_dataclass(tp) and tp.__dataclass_params__.frozen  # type: ignore[union-attr]


def test_there_are_chapter_subpackages() -> None:
    assert CHAPTERS, "no chapter subpackages found"


def test_the_chapter_registry_names_every_notebook_and_subpackage() -> None:
    from theorybook.chapters import CHAPTERS as REGISTRY
    from theorybook.chapters import chapter

    assert sorted(c.package for c in REGISTRY) == CHAPTERS
    assert [c.stem for c in REGISTRY] == [nb.stem for nb in NOTEBOOKS]
    assert chapter("06").package == chapter("arnet").package == "arnet"
    with pytest.raises(ValueError, match="chapters: 01"):
        chapter("99")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_subpackage_has_the_contract_modules(chapter: str) -> None:
    missing = [m for m in REQUIRED_MODULES if not (PACKAGE / chapter / f"{m}.py").exists()]
    assert not missing, f"theorybook.{chapter} lacks {missing} (see CONTRIBUTING.md)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_config_has_valid_presets(chapter: str) -> None:
    config = importlib.import_module(f"theorybook.{chapter}.config")
    cls = config.Config
    assert issubclass(cls, ScaledConfig)
    assert _is_frozen_dataclass(cls)
    cls()  # every field has a default
    for scale in SCALES:
        cls.preset(scale).validate()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_run_all_and_chapter_claims_have_the_one_signature(chapter: str) -> None:
    config = importlib.import_module(f"theorybook.{chapter}.config")
    results = importlib.import_module(f"theorybook.{chapter}.results")
    experiments = importlib.import_module(f"theorybook.{chapter}.experiments")
    claims = importlib.import_module(f"theorybook.{chapter}.claims")
    assert _is_frozen_dataclass(getattr(results, "Results", None)), (
        f"theorybook.{chapter}.results must define a frozen dataclass Results"
    )

    run_all = getattr(experiments, "run_all", None)
    assert callable(run_all), f"theorybook.{chapter}.experiments must define run_all"
    params = list(inspect.signature(run_all).parameters.values())
    assert [p.name for p in params] == ["cfg", "progress"], f"{chapter}.run_all(cfg, *, progress)"
    assert params[1].kind is inspect.Parameter.KEYWORD_ONLY and params[1].default is False
    hints = typing.get_type_hints(run_all)
    assert hints["cfg"] is config.Config and hints["return"] is results.Results

    builder = getattr(claims, "chapter_claims", None)
    assert callable(builder), f"theorybook.{chapter}.claims must define chapter_claims"
    params = list(inspect.signature(builder).parameters.values())
    assert [p.name for p in params] == ["results", "cfg"], (
        f"{chapter}.chapter_claims must be chapter_claims(results, cfg), got {params}"
    )
    assert all(p.default is inspect.Parameter.empty for p in params)
    hints = typing.get_type_hints(builder)
    assert hints["results"] is results.Results and hints["cfg"] is config.Config
    assert hints["return"] is ClaimTable
    package = importlib.import_module(f"theorybook.{chapter}")
    for name in ("Config", "Results", "run_all", "chapter_claims"):
        assert name in getattr(package, "__all__", ()), f"theorybook.{chapter} must export {name}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_run_function_follows_the_contract(chapter: str) -> None:
    config = importlib.import_module(f"theorybook.{chapter}.config")
    found = 0
    for module in _modules(chapter):
        for name, fn in _own_functions(module):
            if not name.startswith("run_"):
                continue
            found += 1
            where = f"{module.__name__}.{name}"
            params = list(inspect.signature(fn).parameters.values())
            assert params and params[0].name == "cfg", f"{where} must take cfg first"
            hints = typing.get_type_hints(fn)
            assert hints.get("cfg") is config.Config, f"{where}: cfg must be the chapter's Config"
            by_name = {p.name: p for p in params}
            assert "progress" in by_name, f"{where} must take progress=False"
            assert by_name["progress"].kind is inspect.Parameter.KEYWORD_ONLY, where
            assert by_name["progress"].default is False, where
            result = _unwrap_optional(hints.get("return"))
            assert _is_frozen_dataclass(result), f"{where} must return a frozen dataclass"
    assert found, f"theorybook.{chapter} defines no run_* function"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_run_all_builds_the_claim_table_at_smoke_scale(
    chapter: str, smoke_chapter_run: Callable[[str], Any]
) -> None:
    """The one path the notebook, the scripts and the tests share: run_all → chapter_claims."""
    from theorybook.chapters import chapter as find

    run = smoke_chapter_run(chapter)
    assert run.chapter == find(chapter).stem and run.cfg == find(chapter).config("smoke")
    table = run.table
    assert isinstance(table, ClaimTable) and len(table) > 0
    assert all(r["chapter"] == find(chapter).stem for r in table.records())
    json.dumps(table.records(), allow_nan=False, default=str)


def _settings_defaults(chapter: str) -> dict[str, list[tuple[str, Any]]]:
    """field name → [(owner, class default)] for Config and every Settings block of a chapter."""
    config = importlib.import_module(f"theorybook.{chapter}.config")
    owners: dict[str, list[tuple[str, Any]]] = {}
    classes = [
        obj
        for obj in vars(config).values()
        if isinstance(obj, type) and issubclass(obj, Settings) and obj.__module__ == config.__name__
    ]
    for cls in classes:
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                continue
            if isinstance(default, Settings):
                continue
            owners.setdefault(f.name, []).append((cls.__name__, default))
    return owners


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_function_defaults_are_the_config_settings(chapter: str) -> None:
    """A default that mirrors a setting is that setting: a settings block's class default, or the
    same value as the field of the same name. Exceptions (a parameter that shares a name with a
    setting but means something else) are listed with a reason in the chapter's
    ``config.INDEPENDENT_DEFAULTS`` ({"function.parameter": "why"})."""
    config = importlib.import_module(f"theorybook.{chapter}.config")
    exempt: dict[str, str] = getattr(config, "INDEPENDENT_DEFAULTS", {})
    owners = _settings_defaults(chapter)
    problems = []
    for module in _modules(chapter):
        for fname, fn in _own_functions(module):
            if fname.startswith("_"):
                continue
            for p in inspect.signature(fn).parameters.values():
                if p.default is inspect.Parameter.empty or p.default is None:
                    continue
                key = f"{fname}.{p.name}"
                if isinstance(p.default, Settings):
                    if p.default != type(p.default)():
                        problems.append(f"{module.__name__}.{key}: not the class default")
                    continue
                if p.name not in owners or p.name in PER_CALL or key in exempt:
                    continue
                if isinstance(p.default, bool):
                    continue
                if not any(_equal(p.default, d) for _, d in owners[p.name]):
                    listed = ", ".join(f"{o}.{p.name} = {d!r}" for o, d in owners[p.name])
                    problems.append(f"{module.__name__}.{key} = {p.default!r} but {listed}")
    assert not problems, "defaults that disagree with the config:\n" + "\n".join(problems)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_trainers_use_the_shared_training_loop(chapter: str) -> None:
    """A module that takes optimiser steps (``.backward()``, ``optax.apply_updates``) runs them
    through :func:`theorybook.training.train_loop`."""
    offenders = []
    for path in sorted((PACKAGE / chapter).rglob("*.py")):
        text = path.read_text()
        if (".backward(" in text or "apply_updates" in text) and "train_loop" not in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"training outside train_loop in {offenders}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exported_names_exist(chapter: str) -> None:
    module = importlib.import_module(f"theorybook.{chapter}")
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"theorybook.{chapter}.__all__ names missing {name!r}"


def _glue_cells(notebook: Path) -> Iterator[tuple[int, ast.Module]]:
    cells = json.loads(notebook.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "glue(" not in source:
            continue
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        yield i, ast.parse("\n".join(lines))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_do_not_restate_thresholds(notebook: Path) -> None:
    """A glued verdict reads the row's status; it never re-tests a number against a threshold."""
    found = []
    for i, tree in _glue_cells(notebook):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            ordering = any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops)
            numeric = any(
                isinstance(c, ast.Constant)
                and isinstance(c.value, int | float)
                and not isinstance(c.value, bool)
                for c in [node.left, *node.comparators]
            )
            if ordering or numeric:
                found.append(f"cell {i}, line {node.lineno}: {ast.unparse(node)}")
    assert not found, f"{notebook.name} re-tests numbers in glue cells:\n" + "\n".join(found)


# --- the package as a whole --------------------------------------------------------------------


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _import_graph() -> dict[str, set[str]]:
    """Module → theorybook modules it imports (anywhere in the file, lazy imports included;
    ``if TYPE_CHECKING:`` blocks excluded)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    names = {_module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        me = _module_name(path)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text())
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip |= {id(n) for n in ast.walk(node)}
        edges: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = me.split(".") if is_package else me.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [module]
                targets += [f"{module}.{a.name}" for a in node.names]
            for t in targets:
                if t in names and t != me:
                    edges.add(t)
        graph[me] = edges
    return graph


def test_there_are_no_import_cycles() -> None:
    graph = _import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_modules_are_small_or_say_why(path: Path) -> None:
    n = len(path.read_text().splitlines())
    if n <= MAX_MODULE_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "Length:" in doc, (
        f"{path.relative_to(ROOT)} has {n} lines: split it by concept, or say in its docstring "
        "why it is one module ('Length: ...')"
    )


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_no_compatibility_layer(path: Path) -> None:
    """No deprecated aliases (renames are allowed until 1.0; see CHANGELOG.md), one spelling of
    the progress flag, and no ``plt.close`` (figures are made outside pyplot)."""
    text = path.read_text()
    tree = ast.parse(text)
    problems = []
    if "DeprecationWarning" in text:
        problems.append("raises DeprecationWarning (delete the alias; note it in CHANGELOG.md)")
    if "plt.close(" in text:
        problems.append("calls plt.close (figures are made outside pyplot)")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.args + node.args.kwonlyargs
            for a in args:
                if a.arg in {"show_progress", "progress_bar", "verbose_progress"}:
                    problems.append(f"{node.name}({a.arg}=...): the flag is spelled progress")
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            if isinstance(getattr(node, "parent", None), ast.ClassDef):
                continue
            if node in tree.body:
                problems.append("module-level __getattr__ (an alias shim)")
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def _public_functions() -> Iterator[tuple[str, Any]]:
    shared = ["scales", "runtime", "training", "timing", "reporting", "records", "claims"]
    shared += ["chapters", "sweeps", "sweep_measures", "sweep_records", "sweep_studies"]
    shared += ["claims_comparison"]
    shared += ["validation", "plotting", "data"]
    modules = [importlib.import_module(f"theorybook.{m}") for m in shared]
    modules += [importlib.import_module(f"theorybook.{c}") for c in CHAPTERS]
    seen: set[int] = set()
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{obj.__module__}.{name}", obj


@pytest.mark.parametrize("chapter", [*CHAPTERS, "shared"])
def test_public_functions_document_their_arguments(chapter: str) -> None:
    """A public function of more than two arguments has Arguments and Returns sections."""
    missing = []
    for where, fn in _public_functions():
        part = where.split(".")[1]
        if (chapter == "shared") == (part in CHAPTERS) or (part in CHAPTERS and part != chapter):
            continue
        params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
        if len(params) <= 2:
            continue
        doc = inspect.getdoc(fn) or ""
        has_args = any(h in doc for h in ("Arguments", "Parameters", "Args:"))
        returns_none = inspect.signature(fn).return_annotation in (None, "None")
        has_returns = returns_none or "Returns" in doc or "Yields" in doc
        if not (has_args and has_returns):
            missing.append(where)
    assert not missing, "document Arguments/Returns of:\n" + "\n".join(sorted(missing))


def _module_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
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
