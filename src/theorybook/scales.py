"""The one scale switch, and the settings objects every chapter's ``Config`` is built from.

Every chapter starts with

>>> from theorybook.scales import scale
>>> cfg = Config.preset(scale())         # doctest: +SKIP

where ``Config`` is the chapter's frozen dataclass deriving from :class:`ScaledConfig`.

The one switch is the environment variable ``THEORYBOOK_SCALE``:

``smoke``
    seconds on a CPU; what the tests run.
``book``
    (default) what the rendered book shows: minutes per chapter on a 2-core CPU.
``paper``
    the paper's settings, or the largest the offline data allows; meant for one GPU.

A ``Config`` groups related options in nested :class:`Settings` blocks (a training block, a
sampler block...). The maths functions take the same blocks as their defaults
(``train(..., *, training: Training = Training())``), so each default exists in one place: the
block's class. Explained in the book's *Reproducing* page.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args

from theorybook.boundary import checked

__all__ = [
    "DEFAULT_SCALE",
    "SCALES",
    "SCALE_ENV_VAR",
    "Scale",
    "ScaledConfig",
    "Settings",
    "check_scale",
    "scale",
    "scale_rank",
]

Scale = Literal["smoke", "book", "paper"]
"""The three run sizes, from smallest to largest."""

SCALES: tuple[Scale, ...] = get_args(Scale)
SCALE_ENV_VAR = "THEORYBOOK_SCALE"
DEFAULT_SCALE: Scale = "book"


def check_scale(value: object, name: str = "scale") -> Scale:
    """Return ``value`` as a :data:`Scale` (case and surrounding blanks ignored).

    A checker in the manner of :mod:`theorybook.validation` (so not decorated): ``name`` is what
    the caller calls the value (a parameter, a field, ``THEORYBOOK_SCALE``), and the error names
    it, so that a bad argument is never blamed on the environment variable or the reverse.

    Raises:
        TypeError: if ``value`` is not a string.
        ValueError: naming ``name`` and the allowed values, if it is not a scale.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {SCALES}; got {type(value).__name__}")
    normalized = value.strip().lower()
    if normalized not in SCALES:
        raise ValueError(f"{name}={value!r} is not a scale: use one of {', '.join(SCALES)}")
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
    return check_scale(raw, SCALE_ENV_VAR)


def _scale_rank(value: str, name: str = "value") -> int:
    """:func:`scale_rank` without the argument check of :func:`~theorybook.boundary.checked`
    (claims rank their scales every time a status is read)."""
    return SCALES.index(check_scale(value, name))


@checked
def scale_rank(value: str) -> int:
    """Position of a scale in ``smoke < book < paper`` (0, 1 or 2).

    Raises:
        TypeError, ValueError: naming ``value`` if it is not a scale.
    """
    return _scale_rank(value)


@dataclass(frozen=True)
class Settings:
    """A frozen, validated block of related options (equinox's ``__check_init__`` pattern).

    Subclass it as a frozen dataclass whose every field has a default, and override
    :meth:`validate`; an instance that exists is valid::

        @dataclass(frozen=True)
        class Training(Settings):
            steps: int = 1500
            lr: float = 2e-3

            def validate(self) -> None:
                self.require_positive_ints("steps")
                self.require_positive_reals("lr")

    The class defaults are *the* defaults: a function that trains takes
    ``training: Training = Training()``, and the chapter's ``Config`` holds a ``Training`` whose
    presets override some fields.
    """

    def __post_init__(self) -> None:
        from theorybook.boundary import check_fields

        check_fields(self)
        self.validate()

    def validate(self) -> None:
        """Check the fields; raise ``ValueError``/``TypeError`` naming the field. Default: none."""

    def require_positive_ints(self, *names: str) -> None:
        """Raise unless each named field is an int ≥ 1 (NumPy ints are stored back as int)."""
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

    def replace(self, **changes: Any) -> Self:
        """A validated copy with some fields changed.

        Unknown names raise ``TypeError``. A dotted name reaches into a nested block:
        ``cfg.replace(**{"training.steps": 10})`` equals
        ``cfg.replace(training=cfg.training.replace(steps=10))``.
        """
        names = {f.name for f in dataclasses.fields(self)}
        direct: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            head, _, rest = key.partition(".")
            if head not in names:
                raise TypeError(
                    f"{type(self).__name__} has no field {head!r}; fields: {sorted(names)}"
                )
            if rest:
                nested.setdefault(head, {})[rest] = value
            else:
                direct[key] = value
        for head, sub in nested.items():
            block = direct.get(head, getattr(self, head))
            if not isinstance(block, Settings):
                raise TypeError(
                    f"{type(self).__name__}.{head} is not a settings block; "
                    f"cannot set {sorted(head + '.' + k for k in sub)}"
                )
            direct[head] = block.replace(**sub)
        return dataclasses.replace(self, **direct)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain (nested) dictionary, for manifests and tables."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ScaledConfig(Settings):
    """Base class of a chapter's ``Config``: settings with one preset per scale.

    A chapter subclasses it as a frozen dataclass, groups related options into nested
    :class:`Settings` blocks and implements :meth:`presets`::

        @dataclass(frozen=True)
        class Config(ScaledConfig):
            training: Training = Training()
            n_train: int = 1000

            @classmethod
            def presets(cls) -> dict[str, "Config"]:
                return {
                    "smoke": cls(n_train=100, training=Training(steps=20)),
                    "book": cls(),
                    "paper": cls(n_train=60000, training=Training(steps=20000)),
                }

        cfg = Config.preset(scale())             # or Config.preset("smoke")
        cfg = cfg.replace(**{"training.steps": 5})  # a checked override
    """

    @classmethod
    def presets(cls) -> Mapping[str, Self]:
        """The three presets, keyed by scale name."""
        raise NotImplementedError(f"{cls.__name__} must define presets() for {SCALES}")

    @classmethod
    def preset(cls, which: str | None = None) -> Self:
        """The preset for ``which`` (default: the current :func:`scale`)."""
        chosen = scale() if which is None else check_scale(which, "which")
        table = cls.presets()
        missing = [s for s in SCALES if s not in table]
        if missing:
            raise NotImplementedError(f"{cls.__name__}.presets() lacks {missing}")
        return table[chosen]
