"""Tests of the book's structure: notebooks, table of contents, configuration, citations, CI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def test_every_toc_entry_exists() -> None:
    for entry in _toc_files():
        matches = [p for p in ROOT.glob(entry + ".*") if p.suffix in {".md", ".ipynb"}]
        assert matches, f"_toc.yml lists {entry!r} but no {entry}.md or {entry}.ipynb exists"


def test_the_book_pages_are_listed() -> None:
    files = _toc_files()
    for page in (
        "book/intro",
        "book/notation",
        "book/reproducing",
        "book/scorecard",
        "book/api",
        "book/bibliography",
    ):
        assert page in files


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_listed_in_the_toc(notebook: Path) -> None:
    assert f"chapters/{notebook.stem}" in _toc_files(), f"{notebook.name} is missing from _toc.yml"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        assert "id" in cell, (
            f"{notebook.name} cell {i} has no id (write notebooks with nbformat.v4)"
        )
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{notebook.name} cell {i} has stored outputs"
            assert cell.get("execution_count") is None, (
                f"{notebook.name} cell {i} has an execution count"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_chapter_anatomy(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", notebook.stem), "chapters are named NN_short_name"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 2 and 'find_spec("theorybook")' in "".join(code[0]["source"]), (
        "the first code cell is the guarded install cell (see CONTRIBUTING.md)"
    )
    assert "remove-cell" in code[0].get("metadata", {}).get("tags", [])
    assert "environment_report" in "".join(code[1]["source"]), (
        "the second code cell prints the run card"
    )
    assert "hide-cell" in code[1].get("metadata", {}).get("tags", []), (
        "the run card is collapsed by default (tag hide-cell)"
    )
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "## What we reproduced" in text, (
        "a chapter closes with its claims table, under 'What we reproduced'"
    )
    assert "cuda:0" not in text, "use theorybook.runtime.device(), never a hard-coded cuda:0"


def test_config_fails_on_errors_and_caches_execution() -> None:
    cfg = _config()
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"]["allow_errors"] is False
    assert cfg["execute"]["timeout"] >= 300
    for pattern in (".*", "**/.*", "_build"):
        assert pattern in cfg["exclude_patterns"], f"exclude_patterns must list {pattern!r}"
    assert cfg["bibtex_bibfiles"] == ["book/references.bib"]
    makefile = (ROOT / "Makefile").read_text()
    assert "jupyter-book build . $(WARNINGS_FAIL) --keep-going" in makefile
    # warnings fail the book at book and paper scale; the smoke preview only prints them
    assert "WARNINGS_FAIL := $(if $(filter smoke,$(THEORYBOOK_SCALE)),,-W)" in makefile
    assert "-c $(CONSTRAINTS)" in makefile


def test_ci_runs_only_make_test() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1] == "make test"
    assert not any("pytest" in c for c in commands)


def test_constraints_pin_the_cpu_safe_torch() -> None:
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1.")


def _bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M))


def _cited_keys(text: str) -> set[str]:
    keys: set[str] = set()
    for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
        keys.update(k.strip() for k in group.split(","))
    return keys


def test_every_citation_is_in_the_bibliography() -> None:
    bib = _bib_keys()
    sources = list((ROOT / "book").glob("*.md")) + NOTEBOOKS
    for path in sources:
        text = path.read_text()
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        missing = _cited_keys(text) - bib
        assert not missing, f"{path.name} cites keys missing from references.bib: {sorted(missing)}"


def test_every_seven_papers_are_in_the_bibliography() -> None:
    papers = {
        "alain2014regularized",
        "kadkhodaie2024generalization",
        "fang2024lpn",
        "radhakrishnan2023wide",
        "borup2021teacher",
        "triebe2019arnet",
        "pal2021opening",
    }
    assert papers <= _bib_keys()


def test_every_subpackage_is_in_the_api_reference() -> None:
    api = (ROOT / "book" / "api.md").read_text()
    package = ROOT / "src" / "theorybook"
    modules = [p.stem for p in package.glob("*.py") if not p.stem.startswith("_")]
    modules += [p.name for p in package.iterdir() if (p / "__init__.py").exists()]
    for name in modules:
        assert f"theorybook.{name}" in api, f"book/api.md does not document theorybook.{name}"


def _repository_url() -> str:
    return str(_config()["repository"]["url"])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_install_cell_installs_from_the_configured_repository(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    assert f"git+{_repository_url()}" in first, (
        "the install cell and _config.yml's repository.url must name the same repository"
    )
    assert "THEORYBOOK_SOURCE" in first, "a local wheel or path can replace the network install"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_the_book_tools(notebook: Path) -> None:
    """A downloaded notebook has theorybook but not myst-nb: glue goes through reporting.glue."""
    nb = json.loads(notebook.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "myst_nb" not in code, "use `from theorybook.runtime import glue`, not myst_nb's"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_cell_has_a_caption_a_name_and_alt_text(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    prefix = "fig-"
    names = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "figures." not in source:
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        where = f"{notebook.name} cell {i}"
        assert figure.get("caption", "").strip(), f"{where}: a figure needs a caption"
        assert str(figure.get("name", "")).startswith(prefix), f"{where}: name it fig-..."
        assert len(image.get("alt", "")) >= 20, f"{where}: a figure needs real alt text"
        assert "hide-input" in cell.get("metadata", {}).get("tags", []), (
            f"{where}: plotting code is collapsed (tag hide-input)"
        )
        names.append(figure["name"])
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for name in names:
        assert f"{{numref}}`{name}`" in text or f"<{name}>`" in text, (
            f"{notebook.name}: the text never refers to {name} with {{numref}}"
        )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_text_speaks_of_papers_and_code_only(notebook: Path) -> None:
    text = "\n".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])
    for phrase in ("[recollection]", "[unverified]", "the issue", "research notes"):
        assert phrase not in text.lower(), f"{notebook.name} mentions {phrase!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_fits_the_column(notebook: Path) -> None:
    nb = json.loads(notebook.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for line in "".join(cell["source"]).splitlines():
            assert len(line) <= 88, f"{notebook.name} cell {i}: line longer than 88 characters"


def test_intro_marks_which_chapters_exist() -> None:
    intro = (ROOT / "book" / "intro.md").read_text()
    listed = {Path(f).name for f in _toc_files() if f.startswith("chapters/")}
    for number in range(1, 8):
        existing = [name for name in listed if name.startswith(f"{number:02d}_")]
        if existing:
            assert f"../chapters/{existing[0]}" in intro, (
                f"intro.md must link chapter {number} ({existing[0]}) now that it exists"
            )
        else:
            assert f"Chapter {number} (in preparation)" in intro, (
                f"intro.md must mark chapter {number} as in preparation"
            )


def test_every_bibliography_entry_has_a_doi_or_url() -> None:
    bib = (ROOT / "book" / "references.bib").read_text()
    for entry in re.split(r"(?m)^@", bib)[1:]:
        key = entry.split("{", 1)[1].split(",", 1)[0]
        assert re.search(r"(?m)^\s*(doi|url)\s*=", entry), f"{key} needs a doi or url field"


def test_licence_and_citation_are_there() -> None:
    assert (ROOT / "LICENSE").exists()
    intro = (ROOT / "book" / "intro.md").read_text()
    assert "## How to cite" in intro and "CC BY 4.0" in intro
