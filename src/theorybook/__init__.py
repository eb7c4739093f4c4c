"""theorybook: the shared package of an executable book of theory-heavy machine-learning papers.

Shared modules (cheap to import; torch and JAX load only when a function needs them):

- :mod:`theorybook.runtime`: scale switch (``THEORYBOOK_SCALE``), device, seeds, timing, run card;
- :mod:`theorybook.claims`: a paper's claims checked against measured values, and their table;
- :mod:`theorybook.plotting`: the book's figure style;
- :mod:`theorybook.data`: offline data (sklearn digits, scikit-image photos, patches and faces).

Each chapter has its own subpackage (``theorybook.<chapter>``) with its presets, model code and
``run_*`` experiments.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("theorybook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
