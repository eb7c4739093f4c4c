"""Run-time settings shared by every chapter: scale, device, seeds, timing and the run card.

Every chapter starts with

>>> from theorybook.runtime import environment_report, scale
>>> print(environment_report())          # doctest: +SKIP
>>> cfg = Config.preset(scale())         # doctest: +SKIP

where ``Config`` is the chapter's frozen dataclass deriving from :class:`ScaledConfig`.

The one switch is the environment variable ``THEORYBOOK_SCALE``:

``smoke``
    seconds on a CPU; what the tests run.
``book``
    (default) what the rendered book shows: minutes per chapter on a 2-core CPU.
``paper``
    the paper's settings, or the largest the offline data allows; meant for one GPU.

Heavy libraries (torch, jax) are imported lazily, inside the functions that need them, so that
``import theorybook.runtime`` stays cheap. Explained in the book's *Reproducing* page.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, get_args

from tqdm.std import tqdm as _tqdm

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    import torch

__all__ = [
    "SCALES",
    "SCALE_ENV_VAR",
    "EnvironmentReport",
    "Scale",
    "ScaledConfig",
    "Timer",
    "TimingStats",
    "TrainingDiverged",
    "best_of",
    "check_finite_loss",
    "check_scale",
    "compute_threads",
    "device",
    "enable_jax_x64",
    "environment_report",
    "git_commit",
    "glue",
    "jax_key",
    "progress",
    "save_manifest",
    "scale",
    "scale_rank",
    "seed_everything",
    "timed",
    "torch_threads",
]

Scale = Literal["smoke", "book", "paper"]
"""The three run sizes, from smallest to largest."""

SCALES: tuple[Scale, ...] = get_args(Scale)
T = TypeVar("T")
SCALE_ENV_VAR = "THEORYBOOK_SCALE"
DEFAULT_SCALE: Scale = "book"

_MAX_SEED = 2**32 - 1


def check_scale(value: object) -> Scale:
    """Return ``value`` as a :data:`Scale`, or raise ``ValueError`` naming the allowed values."""
    if not isinstance(value, str):
        raise TypeError(f"scale must be a string, one of {SCALES}; got {type(value).__name__}")
    normalized = value.strip().lower()
    if normalized not in SCALES:
        raise ValueError(
            f"unknown scale {value!r}: {SCALE_ENV_VAR} must be one of {', '.join(SCALES)}"
        )
    scale_value: Scale = normalized  # narrowed by the membership test above
    return scale_value


def scale() -> Scale:
    """The run size chosen by ``THEORYBOOK_SCALE`` (default ``"book"``).

    Raises
    ------
    ValueError
        if the variable is set to anything but ``smoke``, ``book`` or ``paper``.
    """
    raw = os.environ.get(SCALE_ENV_VAR)
    if raw is None or raw.strip() == "":
        return DEFAULT_SCALE
    return check_scale(raw)


def scale_rank(value: str) -> int:
    """Position of a scale in ``smoke < book < paper`` (0, 1 or 2)."""
    return SCALES.index(check_scale(value))


@dataclass(frozen=True)
class ScaledConfig:
    """Base class of a chapter's hyperparameters, with one preset per scale.

    A chapter subclasses it as a frozen dataclass and implements :meth:`presets`::

        @dataclass(frozen=True)
        class Config(ScaledConfig):
            n_train: int = 1000
            epochs: int = 50

            @classmethod
            def presets(cls) -> dict[str, "Config"]:
                return {"smoke": cls(n_train=100, epochs=2), "book": cls(), "paper": cls(n_train=60000)}

        cfg = Config.preset(scale())        # or Config.preset("smoke")
        cfg = cfg.replace(epochs=5)         # a checked override

    Subclasses may also override :meth:`validate` to check their fields; it runs on every
    construction.
    """

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check the fields; raise ``ValueError`` on an impossible setting. Default: nothing."""

    def require_positive_ints(self, *names: str) -> None:
        """Raise unless each named field is an int ≥ 1 (for use in :meth:`validate`).

        NumPy integers are accepted and stored back as Python ints.
        """
        from theorybook.validation import positive_int

        for name in names:
            object.__setattr__(
                self, name, positive_int(f"{type(self).__name__}.{name}", getattr(self, name))
            )

    def require_positive_reals(self, *names: str) -> None:
        """Raise unless each named field is a finite real number > 0 (stored back as float)."""
        from theorybook.validation import positive_real

        for name in names:
            object.__setattr__(
                self, name, positive_real(f"{type(self).__name__}.{name}", getattr(self, name))
            )

    @classmethod
    def presets(cls) -> Mapping[str, Self]:
        """The three presets, keyed by scale name."""
        raise NotImplementedError(f"{cls.__name__} must define presets() for {SCALES}")

    @classmethod
    def preset(cls, which: str | None = None) -> Self:
        """The preset for ``which`` (default: the current :func:`scale`)."""
        chosen = scale() if which is None else check_scale(which)
        table = cls.presets()
        missing = [s for s in SCALES if s not in table]
        if missing:
            raise NotImplementedError(f"{cls.__name__}.presets() lacks {missing}")
        return table[chosen]

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed; unknown names raise ``TypeError``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(
                f"{type(self).__name__} has no field(s) {unknown}; fields: {sorted(names)}"
            )
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dictionary (for manifests and tables)."""
        return dataclasses.asdict(self)


def device(prefer: str | None = None) -> torch.device:
    """The torch device to compute on: CUDA when available, else CPU.

    ``prefer="cpu"`` forces the CPU; ``THEORYBOOK_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) overrides
    the choice for a whole run. Never hard-code ``cuda:0`` in a chapter: call this.
    """
    import torch

    source = "prefer" if prefer is not None else DEVICE_ENV_VAR
    choice = prefer if prefer is not None else os.environ.get(DEVICE_ENV_VAR)
    if choice is not None and not isinstance(choice, str):
        raise TypeError(f"prefer must be a device name such as 'cpu' or 'cuda', got {choice!r}")
    if choice and choice.strip():
        try:
            dev = torch.device(choice.strip())
        except RuntimeError:
            raise ValueError(
                f"{source}={choice!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:N'"
            ) from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{source}={choice!r} asks for CUDA, which is not available here")
        if dev.type not in {"cpu", "cuda"}:
            raise ValueError(
                f"{source}={choice!r}: theorybook runs on 'cpu' or 'cuda' devices only"
            )
        return dev
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


DEVICE_ENV_VAR = "THEORYBOOK_DEVICE"
THREADS_ENV_VAR = "THEORYBOOK_THREADS"


class TrainingDiverged(FloatingPointError):
    """Training produced a NaN or infinite loss.

    Every training loop of the book raises it, with a message that names the step (and the
    epoch, stage or distillation round where the chapter has them) and the loss, instead of
    plotting NaNs.
    """


def check_finite_loss(loss: object, *, step: int, where: str = "training") -> float:
    """``loss`` as a float, or :class:`TrainingDiverged` naming ``where`` and the step.

    Call it on every step's loss (a Python number or a one-element tensor): the error then names
    the first bad step, e.g. ``training diverged at step 17 (epoch 2): loss = nan``.
    """
    value = float(loss.detach().item() if hasattr(loss, "detach") else loss)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise TrainingDiverged(f"{where} diverged at step {step}: loss = {value}")
    return value


def compute_threads() -> int | None:
    """The book's thread policy for small CPU models: the number of torch threads to use.

    The book's models are small: on a CPU they train as fast on one thread as on several (and
    several times faster when other processes share the cores, as in ``make test``'s parallel
    runs), and one thread makes results independent of the core count. Returns
    ``THEORYBOOK_THREADS`` when set, otherwise 1; returns ``None`` (leave torch's choice alone)
    on a GPU run, where the thread count does not matter.
    """
    raw = os.environ.get(THREADS_ENV_VAR, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"{THREADS_ENV_VAR} must be a positive int, got {raw!r}") from None
        if n < 1:
            raise ValueError(f"{THREADS_ENV_VAR} must be a positive int, got {raw!r}")
        return n
    if device().type == "cuda":
        return None
    return 1


@contextmanager
def torch_threads(n: int | None | Literal["policy"] = "policy") -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` and restore the previous count afterwards.

    The default ``"policy"`` uses :func:`compute_threads`; ``None`` leaves the count unchanged.
    A notebook that changes the global count must not leak it into later cells, so every
    experiment runs inside this context (it also works as a decorator:
    ``@torch_threads()``).
    """
    import torch

    if n == "policy":
        n = compute_threads()
    if n is None:
        yield
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of torch threads must be a positive int or None, got {n!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must lie in [0, 2**32 - 1], got {seed}")
    return seed


def seed_everything(seed: int) -> int:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Returns the seed itself, which ``jax.random.PRNGKey`` accepts (see :func:`jax_key`), so a
    JAX experiment starts from ``key = jax_key(seed_everything(0))``. New NumPy code should still
    take an explicit ``np.random.default_rng(seed)``.
    """
    import numpy as np

    seed = _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return seed
    torch.manual_seed(seed)  # seeds every CUDA device too
    return seed


def jax_key(seed: int) -> Any:
    """A ``jax.random.PRNGKey`` for ``seed`` (imports JAX)."""
    import jax

    return jax.random.PRNGKey(_check_seed(seed))


def enable_jax_x64() -> None:
    """Switch JAX to float64. Call it before any JAX array exists: JAX defaults to float32."""
    import jax

    jax.config.update("jax_enable_x64", True)


@dataclass
class Timer:
    """Wall-clock timer: ``with Timer() as t: ...`` then ``t.seconds``.

    With ``cuda_sync=True`` it waits for queued CUDA work before reading the clock, so GPU
    timings measure the work and not only its launch.
    """

    label: str = ""
    cuda_sync: bool = False
    seconds: float = float("nan")
    _start: float = field(default=0.0, repr=False)

    def _sync(self) -> None:
        if self.cuda_sync:
            import torch

            if torch.cuda.is_available():
                torch.cuda.synchronize()

    def __enter__(self) -> Timer:
        self._sync()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sync()
        self.seconds = time.perf_counter() - self._start

    def __str__(self) -> str:
        prefix = f"{self.label}: " if self.label else ""
        return f"{prefix}{self.seconds:.3f} s"


@dataclass(frozen=True)
class TimingStats:
    """Wall-clock times of repeated runs of one callable (seconds)."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median run time: what the book reports."""
        ordered = sorted(self.times)
        n = len(ordered)
        return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])

    @property
    def best(self) -> float:
        """The fastest run."""
        return min(self.times)

    @property
    def spread(self) -> float:
        """``max / min`` of the runs: how noisy the measurement was."""
        return max(self.times) / min(self.times) if min(self.times) > 0 else math.inf


def best_of(
    fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1, cuda_sync: bool = False
) -> TimingStats:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls, in this process.

    The one timing loop of the book: benchmarks and timing sections report
    ``best_of(...).median`` and compare it with a baseline timed by the same call in the same run.
    """
    from theorybook.validation import non_negative_int, positive_int

    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    repeats = positive_int("repeats", repeats)
    for _ in range(non_negative_int("warmup", warmup)):
        fn()
    times = []
    for _ in range(repeats):
        with Timer(cuda_sync=cuda_sync) as t:
            fn()
        times.append(t.seconds)
    return TimingStats(tuple(times))


@contextmanager
def timed(label: str = "", *, cuda_sync: bool = False, verbose: bool = False) -> Iterator[Timer]:
    """Context manager around :class:`Timer` that can print the elapsed time on exit."""
    timer = Timer(label=label, cuda_sync=cuda_sync)
    with timer:
        yield timer
    if verbose:
        print(timer)


PROGRESS_ENV_VAR = "THEORYBOOK_PROGRESS"


def progress(
    iterable: Iterable[T] | None = None,
    *,
    desc: str = "",
    total: int | None = None,
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


def glue(name: str, value: object, *, display: bool = True) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue}`` roles, wherever the notebook runs.

    Inside the book build this is ``myst_nb.glue``. Outside it (a downloaded notebook, Colab,
    ``pip install theorybook`` without the book extras) ``myst_nb`` is absent: the value is then
    shown if ``display`` is true and otherwise dropped, so the chapter still runs and the numbers
    appear where the text computes them.

    NumPy scalars are stored as Python numbers: NumPy 2 writes ``np.float64(1.5)`` as their text,
    which a format such as ``{glue:text}`name:.2f``` cannot read.
    """
    if not isinstance(name, str) or not name:
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


def git_commit(path: str | os.PathLike[str] | None = None) -> str | None:
    """The git commit (with ``-dirty`` when the tree has changes) of the checkout holding ``path``.

    Returns ``None`` outside a git checkout or without git.
    """
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
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


@dataclass(frozen=True)
class EnvironmentReport:
    """What produced a chapter's outputs: scale, hardware, versions and commit.

    ``print`` gives a plain-text card; in a notebook it renders as a small HTML table.
    """

    scale: str
    device: str
    cpu: str
    cpu_count: int
    gpu: str | None
    jax_backend: str
    python: str
    platform: str
    commit: str | None
    packages: dict[str, str]
    timestamp: str

    def rows(self) -> list[tuple[str, str]]:
        """The report as (name, value) rows, in display order."""
        base = [
            ("scale", f"{self.scale}  (set {SCALE_ENV_VAR}=smoke|book|paper)"),
            ("torch device", self.device),
            ("GPU", self.gpu or "none"),
            ("CPU", f"{self.cpu} ({self.cpu_count} cores)"),
            ("JAX backend", self.jax_backend),
            ("python", f"{self.python} on {self.platform}"),
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


def environment_report(*, include_jax: bool = True) -> EnvironmentReport:
    """Collect the run card every chapter prints in its first cell.

    ``include_jax=False`` skips importing JAX (its backend is then reported as ``"not queried"``).
    """
    import torch

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
    )


def save_manifest(
    path: str | os.PathLike[str],
    *,
    chapter: str,
    seed: int,
    wall_seconds: float,
    config: Mapping[str, Any] | ScaledConfig | None = None,
    numbers: Mapping[str, Any] | None = None,
) -> Path:
    """Write a JSON manifest of a run (for ``results/``): environment, config, seed, time, numbers.

    ``numbers`` holds the values a figure or claims table was drawn from; they must be
    JSON-serializable (floats, ints, strings, lists, dicts).
    """
    from theorybook.validation import real

    if not isinstance(chapter, str) or not chapter:
        raise ValueError("chapter must name the chapter, e.g. '05_self_distillation'")
    wall_seconds = real("wall_seconds", wall_seconds, low=0.0)
    if numbers is not None and not isinstance(numbers, Mapping):
        raise TypeError(
            f"numbers must be a mapping of names to values, got {type(numbers).__name__}"
        )
    if config is not None and not isinstance(config, Mapping | ScaledConfig):
        raise TypeError(f"config must be a ScaledConfig or a mapping, got {type(config).__name__}")
    cfg = config.as_dict() if isinstance(config, ScaledConfig) else dict(config or {})
    payload = {
        "chapter": chapter,
        "seed": _check_seed(seed),
        "wall_seconds": wall_seconds,
        "config": cfg,
        "numbers": dict(numbers or {}),
        "environment": environment_report().as_dict(),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(payload, indent=2, sort_keys=True, default=str, allow_nan=False)
    except ValueError:
        raise ValueError(
            "save_manifest: numbers must be finite (NaN or inf found); "
            "store a missing value as None"
        ) from None
    target.write_text(text + "\n")
    return target
