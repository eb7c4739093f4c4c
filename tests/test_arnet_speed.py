"""AR-Net's compiled fit (theorybook.arnet.scan) against the torch trainer it replaces, and the
recorded timing benchmark the chapter quotes.

The compiled fit (optax AdamW in a jitted lax.scan per epoch, torch's OneCycleLR rates) must be
the torch trainer's algorithm: same start, shuffles, schedules and update, so the two agree to
rounding. Dense fits stay within rounding to the end; sparse fits agree to rounding over their
first steps and then drift apart, because the regulariser's steep slope near zero amplifies
rounding (in float64 as in float32), so their end points are compared at the accuracy of a fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from theorybook.arnet import (
    Training,
    fit_arnet,
    fit_least_squares,
    generate_ar,
    load_timing_record,
)
from theorybook.arnet import fit as fit_module
from theorybook.arnet.regularizer import penalty
from theorybook.arnet.scan import _compiled_epoch, schedule_table


def _torch_fit(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``fit_arnet`` forced onto the torch trainer (autograd, torch.optim.AdamW, OneCycleLR)."""

    def fit(*args: Any, **kwargs: Any) -> Any:
        with monkeypatch.context() as patch:
            patch.setattr(fit_module, "_compiled_fit", lambda *_: False)
            return fit_arnet(*args, **kwargs)

    return fit


def _relative(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def test_the_default_fit_is_compiled() -> None:
    cpu = torch.device("cpu")
    assert fit_module._compiled_fit((), cpu, torch.float32)
    assert fit_module._compiled_fit((), cpu, torch.float64)
    assert not fit_module._compiled_fit((8,), cpu, torch.float32)  # hidden layers: torch
    assert not fit_module._compiled_fit((), cpu, torch.float16)


@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 1e-5)], ids=["f64", "f32"]
)
@pytest.mark.parametrize("schedule", ["one-cycle", "constant"])
def test_dense_compiled_fit_is_the_torch_fit(
    monkeypatch: pytest.MonkeyPatch, dtype: torch.dtype, tol: float, schedule: str
) -> None:
    y = generate_ar([0.5, 0.2], 3000, seed=1)
    training = Training(schedule=schedule)  # type: ignore[arg-type]
    ours = fit_arnet(y, 5, epochs=4, dtype=dtype, training=training, seed=3)
    ref = _torch_fit(monkeypatch)(y, 5, epochs=4, dtype=dtype, training=training, seed=3)
    assert np.max(np.abs(ours.coef - ref.coef)) <= tol
    assert abs(ours.intercept - ref.intercept) <= tol
    assert _relative(ours.history.steps.losses, ref.history.steps.losses) <= 10 * tol
    assert _relative(ours.history.mse, ref.history.mse) <= 10 * tol
    # the learning rates are torch's OneCycleLR's, value for value
    assert np.array_equal(ours.history.lr, ref.history.lr)
    assert ours.history.steps.steps == ref.history.steps.steps == 4 * -(-2995 // 64)
    assert isinstance(ours.model, torch.nn.Linear)
    np.testing.assert_allclose(ours.model.weight.detach().double().numpy().ravel(), ours.coef)


def test_sparse_compiled_fit_follows_the_torch_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    y = generate_ar([0.5, 0.0, 0.0, 0.2], 5000, seed=0)
    kwargs: dict[str, Any] = {"sparsity": 0.3, "epochs": 5, "dtype": torch.float64}
    ours, ref = fit_arnet(y, 10, **kwargs), _torch_fit(monkeypatch)(y, 10, **kwargs)
    # the same algorithm: the first steps agree to rounding (an epoch is 39 steps) ...
    assert _relative(ours.history.steps.losses[:60], ref.history.steps.losses[:60]) <= 1e-12
    assert np.array_equal(ours.history.lam, ref.history.lam)
    # ... then rounding is amplified near zero weights; both end at the same fit's accuracy
    ls = fit_least_squares(y, 10).coef
    assert np.max(np.abs(ours.coef - ref.coef)) <= 0.02
    assert np.max(np.abs(ours.coef - ls)) <= np.max(np.abs(ref.coef - ls)) + 0.02


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_regulariser_has_one_formula_for_both_trainers(dtype: type) -> None:
    import jax

    theta = np.array([-2.0, -0.3, 0.0, 1e-5, 0.05, 0.8], dtype=dtype)
    ours = penalty(torch.from_numpy(theta), 3.0, 3.0, 1e-4)
    with jax.enable_x64(dtype == np.float64):
        theirs = penalty(jax.numpy.asarray(theta), 3.0, 3.0, 1e-4, sigmoid=jax.nn.sigmoid)
        assert np.asarray(theirs).dtype == dtype
    tol = 1e-15 if dtype == np.float64 else 1e-6
    assert abs(float(theirs) - float(ours)) <= tol


def test_schedule_table_is_torchs_one_cycle() -> None:
    rates, betas = schedule_table(0.02, 40, True)
    opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=0.02)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.02, total_steps=40, pct_start=0.25, div_factor=25.0, final_div_factor=1e4
    )
    for t in range(40):
        assert rates[t] == opt.param_groups[0]["lr"] and betas[t] == opt.param_groups[0]["betas"][0]
        opt.step()
        sched.step()
    assert rates.size == 41 and max(rates) == pytest.approx(0.02) and not rates.flags.writeable
    assert betas.min() == pytest.approx(0.85) and betas[0] == 0.95
    constant = schedule_table(0.02, 40, False)
    assert np.all(constant[0] == 0.02) and np.all(constant[1] == 0.9)


def test_seeds_and_settings_reuse_the_compiled_scan() -> None:
    y = generate_ar([0.5, 0.2], 2000, seed=0)
    fit_arnet(y, 4, sparsity=0.5, epochs=2)
    compiled = _compiled_epoch(True)
    before = compiled._cache_size()
    # another seed, learning rate, schedule, λ constant and number of epochs: same program
    fit_arnet(y, 4, sparsity=0.25, epochs=3, seed=7, training=Training(lr=0.003))
    fit_arnet(y, 4, sparsity=0.5, epochs=2, training=Training(schedule="constant"))
    assert compiled._cache_size() == before


def test_the_recorded_benchmark_is_read_and_a_bad_one_refused(tmp_path: Path) -> None:
    assert load_timing_record(root=tmp_path) is None
    folder = tmp_path / "06_ar_net"
    folder.mkdir()
    times = {k: [1.0, 2.0] for k in ("lstsq", "autoreg", "arnet_epoch", "arnet_full")}
    spreads = {k: [1.0, 1.0] for k in ("lstsq_spread", "arnet_spread")}
    payload: dict[str, Any] = {
        "n": 100_000, "epochs": 10, "repeats": 3, "orders": [10, 100], **times, **spreads,
        "ratio_order": 100, "arnet_over_lstsq": 0.2, "arnet_first_fit_s": 2.5,
        "max_abs_dw": 0.009, "load_average_start": [1.5, 1.0, 1.0], "cpu": "x",
        "recorded_on": "2026-12-07T10:00:00Z",
    }  # fmt: skip
    (folder / "bench_n1e5.json").write_text(json.dumps(payload))
    record = load_timing_record(root=tmp_path)
    assert record is not None and record.torch_over_lstsq is None
    assert record.arnet_over_lstsq == 0.2 and record.timing.orders == (10, 100)
    (folder / "bench_n1e5.json").write_text(json.dumps({**payload, "torch_over_lstsq": 1.6}))
    assert load_timing_record(root=tmp_path).torch_over_lstsq == 1.6  # type: ignore[union-attr]
    del payload["ratio_order"]  # a record written before the ratio line
    (folder / "bench_n1e5.json").write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="not a timing record"):
        load_timing_record(root=tmp_path)
