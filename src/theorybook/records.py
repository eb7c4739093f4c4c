"""Reading recorded runs: files under ``results/<chapter>/`` that a chapter shows as recorded.

A run too long for the rendered book may be recorded once by a script and shown in the chapter
*from that record* (see ``results/README.md``). Chapters read such files through
:func:`load_record` only, which finds the ``results`` folder the same way from a source checkout,
an installed wheel or a downloaded notebook:

1. the ``root`` the caller passes;
2. else ``$THEORYBOOK_RESULTS``;
3. else the first ``results/`` folder holding ``README.md`` found from the current directory
   upwards (a notebook runs in ``chapters/``; a script in the checkout's root).

Without a record, :func:`load_record` returns ``None`` and the chapter says the record is
missing (the claims it decides stay pending); it never guesses a path inside the installed
package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from theorybook.boundary import checked

__all__ = ["RESULTS_ENV_VAR", "find_results_dir", "load_record", "record_path"]

RESULTS_ENV_VAR = "THEORYBOOK_RESULTS"


@checked
def find_results_dir(root: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``results`` folder to read recorded runs from, or ``None`` if there is none.

    Arguments:
        root: an explicit folder (it must exist); overrides the search below.

    The search: ``$THEORYBOOK_RESULTS``, then ``results/`` (with a ``README.md``) in the current
    directory or any of its parents.
    """
    if root is not None:
        path = Path(root)
        if not path.is_dir():
            raise ValueError(f"root={str(path)!r} is not a folder")
        return path
    env = os.environ.get(RESULTS_ENV_VAR, "").strip()
    if env:
        path = Path(env)
        if not path.is_dir():
            raise ValueError(f"{RESULTS_ENV_VAR}={env!r} is not a folder")
        return path
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "results"
        if (candidate / "README.md").is_file():
            return candidate
    return None


@checked
def record_path(
    chapter: str, name: str, *, root: str | os.PathLike[str] | None = None
) -> Path | None:
    """Where ``results/<chapter>/<name>`` is.

    Arguments:
        chapter: the chapter's folder, e.g. ``"06_ar_net"``.
        name: the record's file name.
        root: the ``results`` folder, if not found by :func:`find_results_dir`.

    Returns:
        The path (which may not exist), or ``None`` when no ``results`` folder is found.
    """
    for label, value in (("chapter", chapter), ("name", name)):
        if not value or "/" in value or "\\" in value or value.startswith("."):
            raise ValueError(f"{label} must be a plain file or folder name, got {value!r}")
    base = find_results_dir(root)
    return None if base is None else base / chapter / name


@checked
def load_record(
    chapter: str, name: str, *, root: str | os.PathLike[str] | None = None
) -> Any | None:
    """The parsed JSON record ``results/<chapter>/<name>``.

    Arguments:
        chapter: the chapter's folder, e.g. ``"06_ar_net"``.
        name: the record's file name, e.g. ``"high_order.json"`` (``.jsonl`` files give a list of
            their lines' objects).
        root: the ``results`` folder, if not found by :func:`find_results_dir`.

    Returns:
        The record, or ``None`` if it is not there.

    Raises:
        ValueError: if ``chapter`` is not a chapter of the book (a misspelled chapter would
            otherwise look like a missing record), or the file exists but is not valid JSON.
    """
    from theorybook.chapters import CHAPTERS

    path = record_path(chapter, name, root=root)
    if path is None or not path.is_file():
        stems = [c.stem for c in CHAPTERS]
        if path is not None and chapter not in stems and not path.parent.is_dir():
            raise ValueError(
                f"chapter must be one of the book's chapters {stems} (or a folder of the "
                f"results directory), got {chapter!r}"
            )
        return None
    text = path.read_text()
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"recorded run {path} is not valid JSON: {err}") from None
