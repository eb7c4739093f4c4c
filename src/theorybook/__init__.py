"""theorybook: the shared package of an executable book of theory-heavy machine-learning papers.

Shared modules (cheap to import; torch and JAX load only when a function needs them):

- :mod:`theorybook.scales`: the scale switch (``THEORYBOOK_SCALE``), ``ScaledConfig`` and the
  nested ``Settings`` blocks every chapter's ``Config`` is built from;
- :mod:`theorybook.runtime`: device, thread policy, seeds, JAX settings;
- :mod:`theorybook.training`: the one training loop and the divergence guard of every trainer
  and iterative solver;
- :mod:`theorybook.timing`, :mod:`theorybook.reporting`: timing; progress bars, glued numbers,
  the run card and manifests;
- :mod:`theorybook.claims`: a paper's claims checked against measured values, and their table;
- :mod:`theorybook.chapters`: the chapters and their one pipeline (``run_all`` →
  ``chapter_claims``);
- :mod:`theorybook.records`: recorded runs under ``results/``;
- :mod:`theorybook.validation`, :mod:`theorybook.boundary`: argument checks;
- :mod:`theorybook.plotting`: the book's figure style;
- :mod:`theorybook.data`: offline data (sklearn digits, scikit-image photos, patches and faces).

Each chapter has its own subpackage (``theorybook.<chapter>``) of one shape: ``config``,
``data``, the maths modules, ``results``, ``experiments`` (``run_*`` and ``run_all``),
``figures`` and ``claims`` (``chapter_claims(results, cfg)``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("theorybook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
