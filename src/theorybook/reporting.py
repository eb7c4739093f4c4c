"""What a run shows and leaves behind: progress bars, glued numbers, the run card, manifests.

* :func:`progress`: the one tqdm bar of the book (``THEORYBOOK_PROGRESS=live|final|off``);
* :func:`glue`: numbers for the book's ``{glue}`` roles, also outside the book build;
* :func:`environment_report`: the run card every chapter prints first;
* :func:`save_manifest`: a JSON record of a run for ``results/``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from tqdm.std import tqdm as _tqdm

from theorybook.boundary import NonNegativeInt, NonNegativeReal, PositiveInt, Seed, checked, record
from theorybook.scales import SCALE_ENV_VAR, Settings, scale

__all__ = [
    "PROGRESS_ENV_VAR",
    "EnvironmentReport",
    "environment_report",
    "git_commit",
    "glue",
    "progress",
    "save_json",
    "save_manifest",
]

T = TypeVar("T")


PROGRESS_ENV_VAR = "THEORYBOOK_PROGRESS"


@checked
def progress(
    iterable: Iterable[T] | None = None,
    *,
    desc: str = "",
    total: NonNegativeInt | None = None,
    disable: bool = False,
    leave: bool = True,
) -> Any:
    """A plain-text tqdm progress bar, the one every long loop of the book shows.

    Text bars (``tqdm.std``) rather than ``tqdm.auto``'s widgets: they need no ipywidgets and print
    no warnings. Use it like ``tqdm``: ``for x in progress(items, desc="fits"): ...`` or
    ``bar = progress(total=n); bar.update(); bar.close()``.

    With ``THEORYBOOK_PROGRESS=final`` the bar stays silent while it runs and prints one line, its
    final state, when it closes; with ``off`` (set by ``make book``: a static page cannot redraw a
    line, so a bar would only leave residue in the rendered output) it prints nothing.

    Arguments:
        iterable: what to iterate over (or ``None`` for a manual bar).
        desc: the bar's label.
        total: the number of items, when ``iterable`` has no length.
        disable: show nothing.
        leave: keep the bar's last line when it closes.

    Returns:
        A tqdm bar.
    """
    mode = os.environ.get(PROGRESS_ENV_VAR, "live").strip().lower() or "live"
    if mode not in {"live", "final", "off"}:
        raise ValueError(f"{PROGRESS_ENV_VAR} must be 'live', 'final' or 'off', got {mode!r}")
    if mode == "off":
        disable = True
    options = dict(desc=desc, total=total, disable=disable, leave=leave, ncols=90, file=sys.stderr)
    if mode == "live":
        return _tqdm(iterable, mininterval=0.5, **options)
    return _FinalLineBar(iterable, mininterval=float("inf"), delay=float("inf"), **options)


class _FinalLineBar(_tqdm):
    """A tqdm bar that prints only its final state, once, when closed."""

    _final_line_done = False

    def close(self) -> None:
        if self.disable or self._final_line_done:
            return super().close()
        self._final_line_done = True
        line = str(self)
        super().close()
        if self.leave:
            print(line, file=sys.stderr, flush=True)


@checked
def glue(name: str, value: object, *, display: bool = True) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue}`` roles, wherever the notebook runs.

    Inside the book build this is ``myst_nb.glue``. Outside it (a downloaded notebook, Colab,
    ``pip install theorybook`` without the book extras) ``myst_nb`` is absent: the value is then
    shown if ``display`` is true and otherwise dropped, so the chapter still runs and the numbers
    appear where the text computes them.

    NumPy scalars are stored as Python numbers: NumPy 2 writes ``np.float64(1.5)`` as their text,
    which a format such as ``{glue:text}`name:.2f``` cannot read.

    Arguments:
        name: the glue key (non-empty).
        value: the number, string or figure to store.
        display: also show the value where the cell runs.
    """
    if not name:
        raise ValueError(f"glue name must be a non-empty string, got {name!r}")
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


@checked
def git_commit(path: str | os.PathLike[str] | None = None) -> str | None:
    """The git commit (with ``-dirty`` when the tree has changes) of the checkout holding ``path``.

    Returns ``None`` outside a git checkout or without git.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha or None


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


_REPORTED_PACKAGES = (
    "theorybook",
    "numpy",
    "scipy",
    "torch",
    "torchdiffeq",
    "jax",
    "diffrax",
    "scikit-learn",
    "scikit-image",
    "statsmodels",
    "matplotlib",
)


@record
@dataclass(frozen=True)
class EnvironmentReport:
    """What produced a chapter's outputs: scale, hardware, versions and commit.

    ``print`` gives a plain-text card; in a notebook it renders as a small HTML table.
    """

    scale: str
    device: str
    cpu: str
    cpu_count: PositiveInt
    gpu: str | None
    jax_backend: str
    python: str
    platform: str
    commit: str | None
    packages: dict[str, str]
    timestamp: str
    malloc: str = "not recorded"

    def rows(self) -> list[tuple[str, str]]:
        """The report as (name, value) rows, in display order."""
        base = [
            ("scale", f"{self.scale}  (set {SCALE_ENV_VAR}=smoke|book|paper)"),
            ("torch device", self.device),
            ("GPU", self.gpu or "none"),
            ("CPU", f"{self.cpu} ({self.cpu_count} cores)"),
            ("JAX backend", self.jax_backend),
            ("python", f"{self.python} on {self.platform}"),
            ("malloc", self.malloc),
            ("commit", self.commit or "unknown"),
            ("run at", self.timestamp),
        ]
        return base + [(name, ver) for name, ver in self.packages.items()]

    def __str__(self) -> str:
        rows = self.rows()
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)

    def _repr_html_(self) -> str:
        from html import escape

        body = "".join(
            f"<tr><th style='text-align:left'>{escape(n)}</th><td style='text-align:left'>"
            f"<code>{escape(v)}</code></td></tr>"
            for n, v in self.rows()
        )
        return f"<table class='theorybook-run-card'>{body}</table>"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (for result manifests)."""
        return dataclasses.asdict(self)


@checked
def environment_report(*, include_jax: bool = True) -> EnvironmentReport:
    """Collect the run card every chapter prints in its first cell.

    ``include_jax=False`` skips importing JAX (its backend is then reported as ``"not queried"``).
    """
    import torch

    from theorybook.runtime import device, malloc_policy

    dev = device()
    gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else None
    if include_jax:
        try:
            import jax

            jax_backend = f"{jax.default_backend()} ({len(jax.devices())} device(s))"
        except Exception as err:  # pragma: no cover - depends on the installation
            jax_backend = f"unavailable ({type(err).__name__})"
    else:
        jax_backend = "not queried"
    return EnvironmentReport(
        scale=scale(),
        device=str(dev),
        cpu=_cpu_name(),
        cpu_count=os.cpu_count() or 1,
        gpu=gpu,
        jax_backend=jax_backend,
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        commit=git_commit(),
        packages={name: _version(name) for name in _REPORTED_PACKAGES},
        timestamp=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        malloc=malloc_policy(),
    )


def _json_default(value: object) -> object:
    """How :func:`save_manifest` writes what JSON does not know: NumPy scalars as numbers (so a
    NaN among them is refused like a Python one), anything else as its text."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return str(value)


@checked
def save_manifest(
    path: str | os.PathLike[str],
    *,
    chapter: str,
    seed: Seed,
    wall_seconds: NonNegativeReal,
    config: Mapping[str, Any] | Settings | None = None,
    numbers: Mapping[str, Any] | None = None,
) -> Path:
    """Write a JSON manifest of a run (for ``results/``): environment, config, seed, time, numbers.

    Arguments:
        path: the file to write (its folder is created).
        chapter: the chapter's name, e.g. ``"05_self_distillation"``.
        seed: the run's seed.
        wall_seconds: the run's wall time (≥ 0).
        config: the run's ``Config`` (or a mapping).
        numbers: the values a figure or claims table was drawn from; JSON-serializable and finite
            (store a missing value as ``None``). NumPy scalars are written as numbers; other
            objects JSON does not know, as their text.

    Returns:
        The path written.
    """
    if not chapter:
        raise ValueError("chapter must name the chapter, e.g. '05_self_distillation'")
    cfg = config.as_dict() if isinstance(config, Settings) else dict(config or {})
    payload = {
        "chapter": chapter,
        "seed": seed,
        "wall_seconds": wall_seconds,
        "config": cfg,
        "numbers": dict(numbers or {}),
        "environment": environment_report().as_dict(),
    }
    return save_json(path, payload, what="save_manifest: numbers (and config)")


@checked
def save_json(
    path: str | os.PathLike[str], payload: Mapping[str, Any], *, what: str = "save_json: payload"
) -> Path:
    """Write ``payload`` as indented JSON with sorted keys (its folder is created).

    NumPy scalars are written as numbers; other objects JSON does not know, as their text.

    Arguments:
        path: the file to write.
        payload: the JSON object; its numbers must be finite (a missing value is ``None``).
        what: how an error names the payload.

    Returns:
        The path written.

    Raises:
        ValueError: if a number is NaN or infinite.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(payload, indent=2, sort_keys=True, default=_json_default, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"{what} must be finite (NaN or inf found); store a missing value as None"
        ) from None
    target.write_text(text + "\n")
    return target
