"""What the boundary checks cost on hot paths: a public (checked) call against its unchecked body.

Each hot path below is timed two ways in one run, with :func:`theorybook.timing.best_of` (median
of ``--repeats`` runs after a warm-up), interleaved so that load drifts hit both alike:

* **checked**: the public function, as a reader calls it: ``@checked`` (ranges, array values,
  jaxtyping/beartype types and shapes, the finite-result check) plus the checks in its body;
* **unchecked**: the same computation through the private twin that the package's own inner
  loops call (or the raw NumPy/torch operations), with no check at all.

The overhead is ``checked / unchecked − 1``. (``best_of`` is itself checked, and a checked call
inside another is not checked again, so the script times with ``best_of``'s body.) The hot paths are the calls a reader is most likely
to put in a loop, at the sizes the chapters use:

* ``rae.train_autoencoder``: a whole training run (200 steps), the entry point a reader calls
  once; its steps call the unchecked twin, so the checks are paid once;
* ``rae.dae_loss`` in one training step (forward, backward and an Adam step) of chapter 1's score
  auto-encoder on a batch of 256 points in R² (the book's two-dimensional experiments);
* ``rae.dae_loss`` alone, forward only: the fixed cost of one checked call;
* ``rae.jacobian_terms`` (exact), the contractive term, on the same batch;
* ``ntk.kernel_classifier`` with ``n = 2000`` training and 2000 test points (the check of
  symmetry and of the solve's amplification are O(n²) next to the O(n³) solve);
* ``ntk.ntk_gram`` for ``n = 500`` points in R³ at depth 10, ReLU.

    python benchmarks/bench_boundary.py [--repeats 7] [--json results/bench_boundary.json]

Everything runs on one thread (``THEORYBOOK_THREADS=1`` is set before torch is imported).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("THEORYBOOK_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch

from theorybook.runtime import torch_threads
from theorybook.timing import best_of as _checked_best_of

# best_of is itself a checked function, and a checked call made inside another is not checked
# again (the boundary is the outermost call): time with its body, so the calls timed are checked.
best_of = _checked_best_of.__wrapped__

HotPath = tuple[str, Callable[[], object], Callable[[], object]]


def rae_training_step() -> HotPath:
    from theorybook.rae import ScoreAutoencoder, dae_loss
    from theorybook.rae.criteria import _dae_loss

    torch.manual_seed(0)
    model = ScoreAutoencoder(2, hidden=64, depth=2, sigma=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(256, 2)

    def step(loss_fn: Callable[[], torch.Tensor]) -> Callable[[], object]:
        def run() -> object:
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
            return loss

        return run

    return (
        "rae.dae_loss in a training step (batch 256, d = 2)",
        step(lambda: dae_loss(model, x, 0.1)),
        step(lambda: _dae_loss(model, x, 0.1, None)),
    )


def rae_loss_forward() -> HotPath:
    from theorybook.rae import ScoreAutoencoder, dae_loss
    from theorybook.rae.criteria import _dae_loss

    torch.manual_seed(0)
    model = ScoreAutoencoder(2, hidden=64, depth=2, sigma=0.1)
    x = torch.randn(256, 2)
    return (
        "rae.dae_loss, forward only (the fixed cost of one checked call)",
        lambda: dae_loss(model, x, 0.1),
        lambda: _dae_loss(model, x, 0.1, None),
    )


def rae_jacobian() -> HotPath:
    from theorybook.rae import ScoreAutoencoder, jacobian_terms
    from theorybook.rae.criteria import _jacobian_terms

    torch.manual_seed(0)
    model = ScoreAutoencoder(2, hidden=64, depth=2, sigma=0.1)
    x = torch.randn(256, 2)

    def bare() -> object:
        xr = x.detach().requires_grad_(True)
        return _jacobian_terms(xr, model.displacement(xr), 2, "exact", 1, None)

    return (
        "rae.jacobian_terms, exact (batch 256, d = 2)",
        lambda: jacobian_terms(model, x),
        bare,
    )


def ntk_classifier(n: int = 2000) -> HotPath:
    from theorybook.ntk import kernel_classifier, ntk_gram, ntk_kernel

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    T = rng.standard_normal((n, 3))
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    K = ntk_gram(X, 3, "relu")
    K_test = ntk_kernel(T, X, 3, "relu")  # (m, n): one row per test point

    def bare() -> object:
        return np.where(K_test @ np.linalg.solve(K, y) >= 0, 1.0, -1.0)

    return (
        f"ntk.kernel_classifier (n = {n} train, {n} test)",
        lambda: kernel_classifier(K, y, K_test),
        bare,
    )


def ntk_gram_path(n: int = 500) -> HotPath:
    from theorybook.ntk import ntk_gram

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    body = ntk_gram.__wrapped__  # the function as written, without @checked
    return (
        f"ntk.ntk_gram (n = {n}, depth 10, ReLU; against its body without @checked)",
        lambda: ntk_gram(X, 10, "relu"),
        lambda: body(X, 10, "relu"),
    )


def rae_training_run(steps: int = 200) -> HotPath:
    from theorybook.rae import ScoreAutoencoder, Training, train_autoencoder

    rng = np.random.default_rng(0)
    data = rng.standard_normal((2000, 2))
    training = Training(steps=steps, batch_size=256, lr=1e-3)
    body = train_autoencoder.__wrapped__  # the function as written, without @checked

    def run(fn: Callable[..., object]) -> Callable[[], object]:
        def go() -> object:
            torch.manual_seed(0)
            model = ScoreAutoencoder(2, hidden=64, depth=2, sigma=0.1)
            return fn(model, data, criterion="dae", training=training)

        return go

    return (
        f"rae.train_autoencoder ({steps} DAE steps; against its body without @checked)",
        run(train_autoencoder),
        run(body),
    )


HOT_PATHS: tuple[Callable[[], HotPath], ...] = (
    rae_training_run,
    rae_training_step,
    rae_loss_forward,
    rae_jacobian,
    ntk_classifier,
    ntk_gram_path,
)


def measure(repeats: int) -> list[dict[str, object]]:
    """Time every hot path, checked and unchecked interleaved; return one row each."""
    rows = []
    with torch_threads(1):  # the context manager is returned before the timed calls run
        for make in HOT_PATHS:
            label, checked_call, bare_call = make()
            checked_times, bare_times = [], []
            for _ in range(repeats):
                bare_times.append(best_of(bare_call, repeats=3, warmup=1).median)
                checked_times.append(best_of(checked_call, repeats=3, warmup=1).median)
            c, b = float(np.median(checked_times)), float(np.median(bare_times))
            rows.append(
                {
                    "hot_path": label,
                    "checked_s": c,
                    "unchecked_s": b,
                    "overhead": c / b - 1.0,
                    "overhead_us": (c - b) * 1e6,
                }
            )
            print(
                f"{label:70s} checked {c * 1e3:9.3f} ms  unchecked {b * 1e3:9.3f} ms  "
                f"overhead {100 * (c / b - 1):+6.1f} % ({(c - b) * 1e6:+.0f} µs)"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = measure(args.repeats)
    if args.json is not None:
        from theorybook.reporting import environment_report

        payload = {
            "rows": rows,
            "repeats": args.repeats,
            "load_average": os.getloadavg(),
            "environment": environment_report().as_dict(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
