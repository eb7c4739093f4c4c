"""Valid calls of chapter 5's public callables (``theorybook.distill``) for the malformed-input test.

One small kernel problem (7 training points on a line, an RBF kernel, 3 test points) serves the
kernel maths; the experiments run at a tiny configuration (the kernel part is the paper's own
setting and costs milliseconds; the digits network trains a handful of one-epoch students on 60
images). Heavy results are built once (``functools.cache``); factories hand out copies of arrays.

:data:`DEEP_EXAMPLES` serves ``tests/test_distill_deep.py``, which drives
:mod:`theorybook.distill.deep` (not re-exported by the package: it imports torch) through the
same engine.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
from malformed import Call, call
from sklearn.metrics.pairwise import rbf_kernel

from theorybook.distill import (
    Config,
    Deep,
    Digits,
    Results,
    Training,
    chapter_claims,
    run_alpha_search,
    run_convergence,
    run_deep_digits,
    run_exactness,
    run_sparsification,
    run_toy,
    run_training_projection,
)


@functools.cache
def _problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 1.0, 7)[:, None]
    xt = np.array([[0.05], [0.5], [0.95]])
    return rbf_kernel(x, gamma=3.0), rbf_kernel(xt, x, gamma=3.0), np.sin(3 * x[:, 0])


def _K() -> np.ndarray:
    return _problem()[0].copy()


def _Kt() -> np.ndarray:
    return _problem()[1].copy()


def _y() -> np.ndarray:
    return _problem()[2].copy()


def _reference() -> np.ndarray:
    return np.array([0.1, 0.9, -0.2])


def _prev_fit() -> np.ndarray:
    return 0.8 * _y()


def _d() -> np.ndarray:
    return np.array([3.0, 1.0, 0.2, 0.05])


def _weights() -> np.ndarray:
    return np.array([[0.9, 0.5, 0.2, 0.1], [0.8, 0.4, 0.1, 0.02]])


# --------------------------------------------------------------------------- the experiments


def _tiny() -> Config:
    """The smoke preset with a digits run of a few one-epoch students on 60 images."""
    return Config.preset("smoke").replace(
        digits=Digits(n_train=60, n_val=20),
        training=Training(hidden=8, depth=1, epochs=1, batch_size=32),
        deep=Deep(seeds=(0,), steps=2, fixed_alphas=(0.0,), grid_step=0.5),
    )


@functools.cache
def _cfg() -> Config:
    return _tiny()


@functools.cache
def _results() -> Results:
    cfg = _cfg()
    return Results(
        toy=run_toy(cfg),
        exactness=run_exactness(cfg),
        convergence=run_convergence(cfg),
        sparsification=run_sparsification(cfg),
        alpha_search=run_alpha_search(cfg),
        training_projection=run_training_projection(cfg),
        deep=run_deep_digits(cfg),
    )


@functools.cache
def _table() -> Any:
    return chapter_claims(_results(), _cfg())


def _fields(results: Results) -> dict[str, Any]:
    return {
        "toy": results.toy,
        "exactness": results.exactness,
        "convergence": results.convergence,
        "sparsification": results.sparsification,
        "alpha_search": results.alpha_search,
        "training_projection": results.training_projection,
        "deep": results.deep,
    }


EXAMPLES = {
    # checks
    "check_kernel": lambda: call(_K(), "K", psd=True),
    "check_cross_kernel": lambda: call("K_test", _Kt(), 7),
    "check_targets": lambda: call("y", _y(), 7),
    # kernel maths
    "KernelEigen": lambda: call(_K()),
    "kernel_eigen": lambda: call(_K()),
    "eigen_weights": lambda: call(_d(), lam=0.1, alpha=0.3, steps=4),
    "limit_weights": lambda: call(_d(), lam=0.1, alpha=0.3),
    "sparsification_ratios": lambda: call(_weights()),
    "distill_coefficients": lambda: call(_K(), _y(), lam=0.1, alpha=0.3, steps=3),
    "distill_fits": lambda: call(_K(), _y(), lam=0.1, alpha=0.3, steps=3),
    "distill_predict": lambda: call(_K(), _Kt(), _y(), lam=0.1, alpha=0.3, steps=3),
    "distill_fits_by_refitting": lambda: call(
        _K(), _y(), lam=0.1, alpha=0.3, steps=2, K_test=_Kt()
    ),
    "limit_fit": lambda: call(_K(), _y(), lam=0.1, alpha=0.3),
    "limit_predict": lambda: call(_K(), _Kt(), _y(), lam=0.1, alpha=0.3),
    "alpha_sweep": lambda: call(
        _K(),
        _y(),
        lam=0.1,
        alphas=np.array([0.0, 0.5, 1.0]),
        steps=3,
        K_test=_Kt(),
        reference=_reference(),
        block=2,
    ),
    # α*
    "optimal_alpha": lambda: call(
        np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, 1.0]), np.array([0.6, 1.5, 0.8])
    ),
    "krr_training_projection": lambda: call(_K(), _y(), 0.1),
    "grid_optimum_interval": lambda: call(
        np.array([[0.3, 0.2, 0.4, 0.1], [0.1, 0.3, 0.2, 0.2], [0.5, 0.4, 0.3, 0.6]]),
        np.array([0.0, 0.5, 1.0]),
        resamples=200,
    ),
    "training_projection": lambda: call(
        np.array([[0.9, 0.1], [0.2, 0.8]]),
        np.array([[0.6, 0.4], [0.5, 0.5]]),
        np.array([[1.0, 0.0], [0.0, 1.0]]),
    ),
    "alpha_grid": lambda: call(0.25),
    "grid_search_alpha": lambda: call(np.array([3.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0])),
    "krr_step_alpha_search": lambda: call(
        _K(),
        _Kt(),
        _y(),
        _reference(),
        0.1,
        _prev_fit(),
        grid=np.linspace(0.0, 1.0, 5),
        repeats=1,
    ),
    "greedy_optimal_alphas": lambda: call(_K(), _Kt(), _y(), _reference(), 0.1, 3),
    # experiments
    "run_toy": lambda: call(_cfg()),
    "run_exactness": lambda: call(_cfg(), 0),
    "run_convergence": lambda: call(_cfg()),
    "run_sparsification": lambda: call(_cfg()),
    "run_alpha_search": lambda: call(_cfg()),
    "run_training_projection": lambda: call(_cfg(), 0),
    "run_deep_digits": lambda: call(_cfg()),
    "run_all": lambda: call(_cfg()),
    "Results": lambda: call(**_fields(_results())),
    # figures, claims and prose
    "toy_figure": lambda: call(_results().toy, highlight=0.35),
    "convergence_figure": lambda: call(_results().convergence),
    "sparsification_figure": lambda: call(_results().sparsification),
    "alpha_search_figure": lambda: call(_results().alpha_search),
    "deep_figure": lambda: call(_results().deep),
    "deep_numbers": lambda: call(_results().deep),
    "chapter_claims": lambda: call(_results(), _cfg()),
    "toy_agreement": lambda: call(_table()),
    "deep_verdict": lambda: call(_table(), _results().deep),
    "speed_verdict": lambda: call(_table(), _results().alpha_search),
    "chain_changes_text": lambda: call(_results().deep),
    "load_selection": lambda: call(root=_selection_results()),
    "selection_frame": lambda: call(_selection_rows(), Config.preset("book")),
    "selection_sentence": lambda: call(_selection_rows(), Config.preset("book")),
}

NOT_DRIVEN: dict[str, str] = {}


@functools.cache
def _selection_results() -> Any:
    """A results folder holding a two-cell selection sweep written like a real one."""
    import json
    import tempfile
    from pathlib import Path

    from theorybook.sweep_studies import distill_selection
    from theorybook.sweeps import cell_path

    root = Path(tempfile.mkdtemp(prefix="theorybook-selection-"))
    (root / "README.md").write_text("recorded runs\n")
    for cell, best in zip(distill_selection()[0].cells()[:2], (0.3, 0.9), strict=True):
        payload = {
            **cell.as_dict(),
            "wall_seconds": 1.0,
            "numbers": {"seeds.0.alpha_grid_best": best, "seeds.0.seed": cell.seed},
            "environment": {"commit": "0123456789"},
        }
        path = cell_path(cell, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload))
    return root


def _selection_rows() -> Any:
    from theorybook.distill import load_selection

    return load_selection(root=_selection_results())


#: Public callables of the subpackage's modules that the package does not re-export, keyed
#: ``module.name`` (driven by ``tests/test_distill.py``; the network's by
#: ``tests/test_distill_deep.py`` from :data:`DEEP_EXAMPLES`).
MODULE_EXAMPLES: dict[str, Any] = {
    "checks.check_psd_spectrum": lambda: call(_d(), "K"),
    "checks.check_steps": lambda: call(3, 7),
    "checks.check_weights": lambda: call("alphas", np.array([0.0, 0.4, 1.0])),
    "figures.alpha_colour": lambda: call(0.35),
    "solve.check_condition": lambda: call(_d(), 0.1),
    "solve.check_psd_by_cholesky": lambda: call(_K()),
    "solve.ridge_cholesky": lambda: call(_K(), 0.1),
}


# --------------------------------------------------------------------------- the digits network


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _X() -> torch.Tensor:
    return torch.linspace(-1.0, 1.0, 18).reshape(6, 3)


def _labels() -> torch.Tensor:
    return torch.tensor([0, 1, 0, 1, 1, 0])


def _probs() -> torch.Tensor:
    return torch.softmax(torch.linspace(-1.0, 1.0, 12).reshape(6, 2), dim=1)


DEEP_EXAMPLES: dict[str, Any] = {
    "make_mlp": lambda: call(3, 2, hidden=4, depth=1),
    "distillation_loss": lambda: call(
        torch.linspace(-2.0, 2.0, 12).reshape(6, 2),
        torch.nn.functional.one_hot(_labels(), 2).float(),
        _probs(),
        0.5,
    ),
    "parameter_norm_penalty": lambda: call(_mlp()),
    "predict_proba": lambda: call(_mlp(), _X()),
    "train_student": lambda: call(
        _X(),
        _labels(),
        _probs(),
        0.5,
        training=Training(hidden=4, depth=1, epochs=1, batch_size=4),
        init_seed=0,
        step=2,
    ),
}


def deep_example(name: str) -> Call:
    """A fresh valid call of ``theorybook.distill.deep.<name>``."""
    return DEEP_EXAMPLES[name]()
