"""Tests of chapter 5's digits network (theorybook.distill.deep) at smoke scale, and the paper preset."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from boundary_examples.distill import deep_example
from malformed import bind, mutations, outcome

import theorybook.distill.deep as deep_module
from theorybook.distill import (
    ESTIMATE,
    Config,
    DeepResult,
    DeepSeedResult,
    Digits,
    Results,
    Training,
    chain_changes_text,
    chapter_claims,
    deep_numbers,
    deep_verdict,
    load_digits_split,
    run_deep_digits,
)
from theorybook.distill.deep import (
    distillation_loss,
    make_mlp,
    parameter_norm_penalty,
    predict_proba,
    train_student,
)
from theorybook.training import TrainingDiverged


def _small(**kw):
    base = dict(hidden=8, depth=1, epochs=1, batch_size=8)
    base.update(kw)
    return Training(**base)


def test_distillation_loss_mixes_the_two_targets():
    torch.manual_seed(0)
    logits = torch.randn(6, 4)
    onehot = torch.eye(4)[torch.tensor([0, 1, 2, 3, 0, 1])]
    teacher = torch.softmax(torch.randn(6, 4), dim=1)
    gt = distillation_loss(logits, onehot, None, 1.0)
    sd = distillation_loss(logits, onehot, teacher, 0.0)
    mixed = distillation_loss(logits, onehot, teacher, 0.3)
    assert torch.allclose(mixed, 0.3 * gt + 0.7 * sd)
    with pytest.raises(ValueError, match="teacher_probs"):
        distillation_loss(logits, onehot, None, 0.5)
    # the unconstrained estimate may exceed 1: the teacher term then gets a negative weight
    beyond = distillation_loss(logits, onehot, teacher, 1.2)
    assert torch.allclose(beyond, 1.2 * gt - 0.2 * sd)
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(logits, onehot, teacher, float("nan"))
    with pytest.raises(TypeError, match="logits"):
        distillation_loss(np.zeros((6, 4)), onehot, None, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="onehot"):
        distillation_loss(logits, onehot[:3], None, 1.0)
    with pytest.raises(ValueError, match="logits"):
        distillation_loss(torch.full((6, 4), float("nan")), onehot, None, 1.0)


def test_parameter_norm_penalty_is_a_sum_of_norms():
    torch.manual_seed(0)
    model = make_mlp(5, 3, hidden=4, depth=1)
    expected = sum(float(torch.sqrt((p.detach() ** 2).sum())) for p in model.parameters())
    assert float(parameter_norm_penalty(model).detach()) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(TypeError, match="model"):
        parameter_norm_penalty("not a model")  # type: ignore[arg-type]
    # a larger penalty shrinks the trained weights
    X, y = torch.rand(40, 5), torch.randint(0, 3, (40,))
    norms = [
        float(
            parameter_norm_penalty(
                train_student(X, y, None, 1.0, training=_small(epochs=20, reg_coef=c), init_seed=0)
            ).detach()
        )
        for c in (0.0, 0.05)
    ]
    assert norms[1] < norms[0]


def test_split_and_label_noise():
    d = load_digits_split(Digits(n_train=300, n_val=200, label_noise=0.25), seed=1)
    assert d.X_train.shape == (300, 64) and d.X_val.shape == (200, 64)
    assert len(d.y_test) == 1797 - 500
    assert d.noisy_fraction == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match="label_noise"):
        Digits(n_train=300, n_val=200, label_noise=0.95)
    with pytest.raises(ValueError, match="seed"):
        load_digits_split(Digits(n_train=300, n_val=200), seed=-1)
    with pytest.raises(ValueError, match="n_val"):
        Digits(n_train=1700, n_val=400)
    with pytest.raises(TypeError, match="Digits"):
        load_digits_split({"n_train": 300, "n_val": 200})  # type: ignore[arg-type]
    # the default split is the book's: Config's digits block, 40 % label noise
    assert load_digits_split(seed=1).noisy_fraction == pytest.approx(0.4, abs=0.01)


def test_divergence_names_the_step():
    d = load_digits_split(Digits(n_train=100, n_val=50), seed=0)
    X = torch.as_tensor(d.X_train).clone()
    X[5] = float("inf")  # a bad row: the inputs are rejected before any training
    with pytest.raises(ValueError, match="'X' contains NaN or inf"):
        train_student(X, torch.as_tensor(d.y_train), None, 1.0, training=_small(), init_seed=0)
    with pytest.raises(
        TrainingDiverged,
        match=r"distillation step 3 \(α = 1\) diverged at step 0: a weight reached 1e\+30",
    ):  # the first Adam step moves every weight by ~lr: stopped before the loss turns NaN
        train_student(
            torch.as_tensor(d.X_train),
            torch.as_tensor(d.y_train),
            None,
            1.0,
            training=_small(lr=1e30),
            init_seed=0,
            step=3,
        )


@pytest.mark.parametrize("alpha", [1.0, 0.5])
@pytest.mark.parametrize("reg_coef", [1e-4, 0.0])
def test_a_student_at_lr_1e6_stops_at_its_weights(alpha, reg_coef):
    """At lr = 10⁶ the loss stays bounded (softmax outputs are) and finite, but every Adam step
    moves a weight by about 10⁶: the weight guard stops the run at the step it happens."""
    d = load_digits_split(Digits(n_train=100, n_val=50), seed=0)
    X, y = torch.as_tensor(d.X_train), torch.as_tensor(d.y_train)
    teacher = None if alpha == 1.0 else torch.full((len(y), 10), 0.1)
    with pytest.raises(
        TrainingDiverged, match=r"distillation step 2 .* diverged at step \d+: a weight"
    ):
        train_student(
            X,
            y,
            teacher,
            alpha,
            training=_small(hidden=32, epochs=5, lr=1e6, reg_coef=reg_coef),
            init_seed=0,
            step=2,
        )


def test_train_loop_watches_the_students_weights(monkeypatch):
    """train_student hands its parameters to train_loop: with the student's own per-step weight
    check switched off, the loop's watch still stops a run at lr = 10⁶ whose loss stays bounded."""
    monkeypatch.setattr(deep_module, "WEIGHT_GROWTH", float("inf"))
    d = load_digits_split(Digits(n_train=100, n_val=50), seed=0)
    X, y = torch.as_tensor(d.X_train), torch.as_tensor(d.y_train)
    with pytest.raises(
        TrainingDiverged,
        match=r"distillation step 2 .* diverged at step \d+: a weight reached .* times its initial",
    ):
        train_student(
            X, y, None, 1.0, training=_small(hidden=32, epochs=5, lr=1e6), init_seed=0, step=2
        )


def test_the_training_loop_calls_no_checked_function(monkeypatch):
    """The loss and the penalty run once per optimiser step: the loop uses their unchecked
    twins, so the public (checked) functions are never called from it."""
    import theorybook.distill.deep as deep

    def refuse(*args, **kwargs):
        raise AssertionError("a checked function was called from the training loop")

    for name in ("distillation_loss", "parameter_norm_penalty"):
        monkeypatch.setattr(deep, name, refuse)
    X, y = torch.rand(20, 5), torch.randint(0, 3, (20,))
    teacher = torch.softmax(torch.randn(20, 3), dim=1)
    model = deep.train_student(X, y, teacher, 0.5, training=_small(epochs=2), init_seed=0)
    assert torch.isfinite(deep.predict_proba(model, X)).all()


@pytest.mark.parametrize(
    "name", [n for n in deep_module.__all__ if callable(getattr(deep_module, n))]
)
def test_deep_functions_get_clear_errors(name):
    """The generic malformed-input test, for the network's module (the package does not
    re-export it: it imports torch)."""
    fn = getattr(deep_module, name)
    example = deep_example(name)
    fn(*example.args, **example.kwargs)
    problems = []
    for mutation in mutations(fn, dict(bind(fn, example).arguments)):
        problem = outcome(fn, bind(fn, deep_example(name)), mutation)
        if problem is not None:
            problems.append(f"  {mutation.parameter} = {mutation.label}: {problem}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_every_trainer_stops_at_a_huge_learning_rate(alpha):
    """The one trainer of the chapter (train_student, teacher and students alike) runs through
    train_loop: at lr = 1e8 the guard stops it and names the optimiser step."""
    d = load_digits_split(Digits(n_train=100, n_val=50), seed=0)
    X, y = torch.as_tensor(d.X_train), torch.as_tensor(d.y_train)
    teacher = None if alpha == 1.0 else torch.full((len(y), 10), 0.1)
    with pytest.raises(TrainingDiverged, match=r"distillation step 2 .* diverged at step \d+"):
        train_student(
            X,
            y,
            teacher,
            alpha,
            training=_small(hidden=32, depth=2, epochs=20, lr=1e8),
            init_seed=0,
            step=2,
        )


def test_train_loop_keeps_the_arithmetic():
    """train_student takes the same optimiser steps as a plain epoch/minibatch loop (the one the
    chapter had before train_loop): same draws, same order, bit-identical weights."""
    X, y = torch.rand(45, 5), torch.randint(0, 3, (45,))
    teacher = torch.softmax(torch.randn(45, 3), dim=1)
    settings = _small(epochs=3, batch_size=8, reg_coef=1e-3)
    ours = train_student(X, y, teacher, 0.3, training=settings, init_seed=4)

    torch.manual_seed(4)
    ref = make_mlp(5, 3, hidden=settings.hidden, depth=settings.depth)
    onehot = torch.nn.functional.one_hot(y, 3).float()
    opt = torch.optim.Adam(ref.parameters(), lr=settings.lr)
    gen = torch.Generator().manual_seed(5)
    for _ in range(settings.epochs):
        order = torch.randperm(45, generator=gen)
        for start in range(0, 45, settings.batch_size):
            idx = order[start : start + settings.batch_size]
            loss = distillation_loss(ref(X[idx]), onehot[idx], teacher[idx], 0.3)
            loss = loss + settings.reg_coef * parameter_norm_penalty(ref)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"reg_coef": -1.0}, "reg_coef"),
    ],
)
def test_train_settings_are_checked(changes, match):
    with pytest.raises(ValueError, match=match):
        _small(**changes)


def test_train_student_checks_its_inputs():
    X, y = torch.rand(20, 64), torch.randint(0, 10, (20,))
    with pytest.raises(TypeError, match="'y'"):  # its length differs from X's
        train_student(X, y[:10], None, 1.0, training=_small(), init_seed=0)
    with pytest.raises(TypeError, match="y"):
        train_student(X, y.float(), None, 1.0, training=_small(), init_seed=0)
    with pytest.raises(ValueError, match="teacher_probs"):
        train_student(X, y, None, 0.5, training=_small(), init_seed=0)
    teacher = torch.softmax(torch.randn(20, 10), dim=1)
    with pytest.raises(ValueError, match="class labels"):
        train_student(X, y + 20, teacher, 0.5, training=_small(), init_seed=0)
    with pytest.raises(TypeError, match="X"):
        predict_proba(make_mlp(64, 10, hidden=8), np.zeros((2, 64), np.float32))  # type: ignore[arg-type]
    # float64 inputs train a float64 model
    model = train_student(X.double(), y, None, 1.0, training=_small(), init_seed=0)
    assert next(model.parameters()).dtype == torch.float64


def test_deep_experiment_smoke(monkeypatch):
    # one torch thread: on a loaded 2-core machine two threads run this small MLP ~10× slower
    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    cfg = Config.preset("smoke").replace(**{"training.epochs": 12, "training.hidden": 64})
    res = run_deep_digits(cfg, progress=False)
    seed = res.seeds[0]
    assert len(seed.alpha_hat) == cfg.deep.steps - 1
    assert all(np.isfinite(a) for a in seed.alpha_hat)  # unconstrained
    assert set(seed.chains) == {"α=0", ESTIMATE}
    assert len(seed.chains["α=0"]) == cfg.deep.steps
    assert seed.students_grid == len(seed.grid) - 1
    assert 0.0 <= res.fraction_inside <= 1.0
    numbers = deep_numbers(res)
    assert numbers["per_seed"][0]["alpha_hat"] == list(seed.alpha_hat)
    assert seed.grid_val_loss.shape == seed.grid.shape
    low, high = seed.grid_best_interval
    assert low <= seed.alpha_grid_best <= high and {low, high} <= set(seed.grid.tolist())
    assert np.isfinite(seed.miss_cells) and seed.miss_cells >= 0
    # the negative control: on the training targets the projection leaves [0, 1] upwards
    assert seed.alpha_train > 1.0
    assert seed.chains["α=0"][0] > 0.3  # the teacher is well above chance (0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        seed.seed = 3  # type: ignore[misc]
    again = run_deep_digits(cfg, progress=False)  # deterministic: the same table
    assert again.seeds[0].alpha_hat == seed.alpha_hat
    assert again.seeds[0].grid_best_interval == seed.grid_best_interval
    assert torch.get_num_threads() >= 1


def _fake_seed(
    alpha_hat: float, best: float, interval: tuple[float, float], alpha_train: float = 8.0
) -> DeepSeedResult:
    grid = np.linspace(0, 1, 11)
    return DeepSeedResult(
        seed=0,
        chains={ESTIMATE: (0.9, 0.9)},
        chain_val_loss={ESTIMATE: (0.1, 0.1)},
        alpha_hat=(alpha_hat,),
        alpha_train=alpha_train,
        grid=grid,
        grid_val_loss=(grid - best) ** 2,
        grid_test_acc=np.full(11, 0.9),
        alpha_grid_best=best,
        grid_best_interval=interval,
        seconds_estimate=1.0,
        seconds_grid=10.0,
    )


def _kernel_results(cfg: Config) -> dict:
    from theorybook.distill import (
        run_alpha_search,
        run_convergence,
        run_exactness,
        run_sparsification,
        run_toy,
        run_training_projection,
    )

    return dict(
        toy=run_toy(cfg),
        exactness=run_exactness(cfg),
        convergence=run_convergence(cfg),
        sparsification=run_sparsification(cfg),
        alpha_search=run_alpha_search(cfg),
        training_projection=run_training_projection(cfg),
    )


def test_estimate_rows_are_challenged_and_show_their_spread():
    cfg = Config.preset("smoke")
    kernel = _kernel_results(cfg)

    def table_of(*seeds: DeepSeedResult):
        deep = DeepResult(seeds, 2, "cpu", 1.0, 0.3)
        return deep, chapter_claims(Results(**kernel, deep=deep), cfg)

    # wide, overlapping intervals: a constant weight lands in all of them, so an estimate that
    # does too is not told apart from a guess
    deep, table = table_of(
        _fake_seed(0.42, 0.4, (0.1, 0.9)),
        _fake_seed(0.61, 0.6, (0.2, 1.0)),
        _fake_seed(0.3, 0.3, (0.0, 0.7)),
    )
    row = table["deep-alpha-hat"]
    assert row.kind == "extension" and row.baseline_role == "null model"
    assert row.spread is not None and row.spread.what == "range over 3 seeds"
    assert deep.best_constant == 0.5 and deep.constant_miss_cells == 0.0
    assert row.status.label == "not separating"
    assert "cannot tell an estimate from a fixed guess" in deep_verdict(table, deep)
    # narrow, disjoint intervals: the estimate lands in each, no constant does
    deep, table = table_of(
        _fake_seed(0.2, 0.2, (0.2, 0.2)),
        _fake_seed(0.81, 0.8, (0.8, 0.8)),
        _fake_seed(0.5, 0.5, (0.5, 0.5)),
    )
    assert deep.constant_miss_cells == pytest.approx(3.0)
    assert table["deep-alpha-hat"].status.label in {"holds", "pending"}
    # an estimate past 1 misses every interval inside [0, 1]: a failure, never a pass
    deep, table = table_of(_fake_seed(2.6, 0.2, (0.1, 0.4)), _fake_seed(1.9, 0.8, (0.6, 1.0)))
    assert deep.max_miss_cells == pytest.approx(22.0)
    assert table["deep-alpha-hat"].status.label in {"fails", "pending"}
    assert "misses" in deep_verdict(table, deep)
    # the negative control holds only while the held-out projection stays below its bound
    control = table["deep-alpha-train"]
    assert control.kind == "extension" and control.check.describe() == "≥ 2"
    assert control.baseline == pytest.approx(1.9) and control.status.label == "holds"
    assert "negative control behaves" in deep_verdict(table, deep)
    deep, table = table_of(_fake_seed(2.6, 0.2, (0.1, 0.4)), _fake_seed(2.1, 0.8, (0.6, 1.0)))
    assert table["deep-alpha-train"].status.label == "not separating"
    deep, table = table_of(_fake_seed(0.3, 0.2, (0.1, 0.4), 1.5), _fake_seed(0.7, 0.8, (0.6, 1.0)))
    assert table["deep-alpha-train"].status.label == "fails"
    assert not table.of_kind("reproduction")
    assert "From the teacher to step 2" in chain_changes_text(deep)
    with pytest.raises(ValueError, match="must contain"):
        _fake_seed(0.5, 0.5, (0.6, 0.9))


@pytest.mark.paper_preset
def test_paper_preset_builds_and_steps():
    cfg = Config.preset("paper")
    cfg.validate()
    t = cfg.training
    data = load_digits_split(cfg.digits, seed=cfg.deep.seeds[-1])
    assert data.X_train.shape == (cfg.digits.n_train, 64)
    assert data.X_val.shape[0] == cfg.digits.n_val
    X, y = torch.as_tensor(data.X_train), torch.as_tensor(data.y_train)
    model = make_mlp(64, 10, hidden=t.hidden, depth=t.depth)
    assert sum(p.numel() for p in model.parameters()) > t.hidden**2 * (t.depth - 1)
    opt = torch.optim.Adam(model.parameters(), lr=t.lr, weight_decay=t.weight_decay)
    assert torch.isfinite(t.reg_coef * parameter_norm_penalty(model))
    onehot = torch.nn.functional.one_hot(y, 10).float()
    teacher = torch.softmax(torch.randn(len(y), 10), dim=1)
    for alpha in (1.0, *cfg.deep.fixed_alphas):  # teacher, then each fixed-α student
        idx = torch.arange(t.batch_size)
        loss = distillation_loss(model(X[idx]), onehot[idx], teacher[idx], alpha)
        loss = loss + t.reg_coef * parameter_norm_penalty(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss)
    assert len(np.arange(0, 1 + 1e-9, cfg.deep.grid_step)) == round(1 / cfg.deep.grid_step) + 1
