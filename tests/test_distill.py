"""Tests of chapter 5 (theorybook.distill): closed forms, α*, validation, claims at smoke scale."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from boundary_examples.distill import MODULE_EXAMPLES
from malformed import bind, mutations, outcome, public_callables
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import rbf_kernel

from theorybook.boundary import NonFiniteResult
from theorybook.distill import (
    PUBLISHED_TOY_ALPHA0,
    PUBLISHED_TOY_ALPHA0_LIMIT,
    PUBLISHED_TOY_ALPHA025,
    PUBLISHED_TOY_ALPHA025_LIMIT,
    PUBLISHED_TOY_ALPHA035,
    PUBLISHED_TOY_ALPHA035_LIMIT,
    Config,
    Results,
    alpha_grid,
    alpha_sweep,
    chapter_claims,
    distill_coefficients,
    distill_fits,
    distill_fits_by_refitting,
    distill_predict,
    eigen_weights,
    greedy_optimal_alphas,
    grid_optimum_interval,
    grid_search_alpha,
    kernel_eigen,
    krr_step_alpha_search,
    krr_training_projection,
    limit_fit,
    limit_predict,
    limit_weights,
    mobahi_toy,
    optimal_alpha,
    random_problem,
    run_alpha_search,
    run_convergence,
    run_exactness,
    run_sparsification,
    run_toy,
    run_training_projection,
    sparsification_ratios,
    toy_agreement,
    training_projection,
)


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(40, 2))
    Xt = rng.uniform(size=(15, 2))
    y = np.cos(4 * X[:, 0]) + 0.2 * rng.standard_normal(40)
    return rbf_kernel(X, gamma=3.0), rbf_kernel(Xt, X, gamma=3.0), y


# ----------------------------------------------------------------- closed form (claim 1)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.7, 1.0])
def test_closed_form_equals_refitting(problem, alpha):
    K, Kt, y = problem
    fits_ref, preds_ref = distill_fits_by_refitting(K, y, lam=0.1, alpha=alpha, steps=30, K_test=Kt)
    assert np.max(np.abs(distill_fits(K, y, lam=0.1, alpha=alpha, steps=30) - fits_ref)) <= 1e-10
    assert (
        np.max(np.abs(distill_predict(K, Kt, y, lam=0.1, alpha=alpha, steps=30) - preds_ref))
        <= 1e-10
    )


def test_step_one_is_kernel_ridge(problem):
    K, Kt, y = problem
    sk = KernelRidge(alpha=0.1, kernel="precomputed").fit(K, y)
    np.testing.assert_allclose(
        distill_predict(K, Kt, y, lam=0.1, alpha=0.4, steps=1)[0], sk.predict(Kt), atol=1e-12
    )


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.9])
def test_sum_formula_equals_recursion(alpha):
    d = np.array([3.0, 1.0, 0.2, 1e-3, 0.0])
    np.testing.assert_allclose(
        eigen_weights(d, lam=0.2, alpha=alpha, steps=25),
        eigen_weights(d, lam=0.2, alpha=alpha, steps=25, method="sum"),
        atol=1e-14,
    )


def test_recursion_matches_hand_computation():
    d, lam, a = np.array([2.0]), 0.5, 0.3
    A = 2.0 / 2.5
    B2 = A * ((1 - a) * A + a)
    B3 = A * ((1 - a) * B2 + a)
    np.testing.assert_allclose(
        eigen_weights(d, lam=lam, alpha=a, steps=3)[:, 0], [A, B2, B3], rtol=1e-15
    )


def test_singular_kernel_is_handled():
    X = np.repeat(np.linspace(0, 1, 5)[:, None], 2, axis=0)  # duplicated points: K singular
    y = np.sin(3 * X[:, 0])
    K = rbf_kernel(X, gamma=1.0)
    ref = distill_fits_by_refitting(K, y, lam=0.1, alpha=0.5, steps=8)
    assert np.max(np.abs(distill_fits(K, y, lam=0.1, alpha=0.5, steps=8) - ref)) <= 1e-9


# ----------------------------------------------------------------- limits (claim 2)


@pytest.mark.parametrize("alpha", [0.2, 0.6, 1.0])
def test_limit_is_krr_with_lambda_over_alpha(problem, alpha):
    K, Kt, y = problem
    sk = KernelRidge(alpha=0.1 / alpha, kernel="precomputed").fit(K, y)
    np.testing.assert_allclose(limit_fit(K, y, lam=0.1, alpha=alpha), sk.predict(K), atol=1e-10)
    np.testing.assert_allclose(
        limit_predict(K, Kt, y, lam=0.1, alpha=alpha), sk.predict(Kt), atol=1e-10
    )
    np.testing.assert_allclose(
        distill_fits(K, y, lam=0.1, alpha=alpha, steps=400)[-1], sk.predict(K), atol=1e-8
    )


def test_limit_is_fixed_point_of_recursion():
    d, lam, a = np.array([4.0, 1.0, 0.1]), 0.3, 0.4
    Binf = limit_weights(d, lam=lam, alpha=a)
    A = d / (d + lam)
    np.testing.assert_allclose(A * ((1 - a) * Binf + a), Binf, atol=1e-15)


def test_alpha_zero_collapses(problem):
    K, _, y = problem
    fits = distill_fits(K, y, lam=1.0, alpha=0.0, steps=300)
    norms = np.linalg.norm(fits, axis=1)
    d_max = kernel_eigen(K).d[0]
    assert np.all(np.diff(norms) < 0)
    assert norms[-1] <= (d_max / (d_max + 1.0)) ** 300 * np.linalg.norm(y) + 1e-15
    assert norms[-1] < 1e-3 * norms[0]
    assert np.all(limit_fit(K, y, lam=0.1, alpha=0.0) == 0)


def test_convergence_result_bound_and_collapse():
    res = run_convergence(Config.preset("smoke"))
    assert res.geometric_excess <= 1e-12
    assert np.all(np.diff(res.weight_errors[0]) <= 1e-15)
    assert np.all(res.zero_alpha_norms <= res.zero_alpha_bound + 1e-12)


# ----------------------------------------------------------------- toy (claim 3)


@pytest.mark.parametrize(
    "alpha, published, limit",
    [
        (0.0, PUBLISHED_TOY_ALPHA0, PUBLISHED_TOY_ALPHA0_LIMIT),
        (0.25, PUBLISHED_TOY_ALPHA025, PUBLISHED_TOY_ALPHA025_LIMIT),
        (0.35, PUBLISHED_TOY_ALPHA035, PUBLISHED_TOY_ALPHA035_LIMIT),
    ],
)
def test_toy_reproduces_published_losses(alpha, published, limit):
    res = run_toy(Config.preset("smoke"))
    i = res.row(alpha)
    np.testing.assert_array_equal(np.round(res.losses[i, :6], 5), published)
    assert round(float(res.limit_losses[i]), 5) == limit


def test_other_kernel_convention_does_not_reproduce():
    prob = mobahi_toy()
    K = rbf_kernel(prob.x[:, None], gamma=40.0)  # exp(-(x-x')²/(2σ²)) with σ² = 1/80
    Kg = rbf_kernel(prob.x_grid[:, None], prob.x[:, None], gamma=40.0)
    loss = np.mean(
        (distill_predict(K, Kg, prob.y, lam=0.2, alpha=0.0, steps=1)[0] - prob.truth) ** 2
    )
    assert abs(loss - PUBLISHED_TOY_ALPHA0[0]) > 1e-3


# ----------------------------------------------------------------- sparsification


def test_sparsification_ratios():
    res = run_sparsification(Config.preset("smoke"))
    assert res.zero_monotone
    assert res.alpha_above_first
    assert not res.alpha_monotone  # the non-monotone rise the chapter shows
    np.testing.assert_allclose(res.ratios_alpha[-1], res.ratios_alpha_limit, rtol=1e-4)
    with pytest.raises(ValueError, match="> 0"):
        sparsification_ratios(np.array([1.0, 0.0]))


# ----------------------------------------------------------------- alpha* (claim 4)


def test_optimal_alpha_is_the_parabola_minimum():
    rng = np.random.default_rng(0)
    a, b, z = rng.standard_normal((3, 50))
    star = optimal_alpha(a, b, z, clip=False)
    grid = np.linspace(star - 0.5, star + 0.5, 2001)
    losses = [np.sum((g * a + (1 - g) * b - z) ** 2) for g in grid]
    assert abs(grid[int(np.argmin(losses))] - star) <= 1e-3
    assert optimal_alpha(a, b, a) == pytest.approx(1.0)
    assert optimal_alpha(a, b, b) == pytest.approx(0.0)
    assert optimal_alpha(a, b, 3 * a - 2 * b) == 1.0  # clipped
    assert optimal_alpha(a, b, 3 * a - 2 * b, clip=False) == pytest.approx(3.0)


def test_alpha_search_beats_grid(problem):
    K, Kt, y = problem
    z = np.cos(4 * np.linspace(0, 1, 15))
    prev = distill_fits(K, y, lam=0.1, alpha=0.0, steps=2)[-1]
    res = krr_step_alpha_search(K, Kt, y, z, 0.1, prev, grid=alpha_grid(0.01))
    assert res.loss_star <= res.loss_grid_best + 1e-12
    assert abs(res.alpha_star - res.alpha_grid_best) <= 0.01 or res.alpha_star in (0.0, 1.0)


def test_greedy_toy_alphas():
    res = run_alpha_search(Config.preset("smoke"))
    assert res.greedy_alphas_free[0] < 0  # unconstrained step-2 optimum < 0
    assert np.all((res.greedy_alphas_clipped >= 0) & (res.greedy_alphas_clipped <= 1))
    assert 0 < res.search.alpha_star < 1
    assert res.search.loss_star <= res.search.loss_grid_best + 1e-9


def test_grid_search_alpha_and_alpha_grid():
    assert grid_search_alpha(np.array([3.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0])) == (0.5, 1.0)
    assert alpha_grid(0.25).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="integer"):
        alpha_grid(0.3)


# ----------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "K, y, lam, alpha, steps, match",
    [
        (np.array([[1.0, 0.5], [0.1, 1.0]]), np.ones(2), 0.1, 0.5, 2, "symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2), 0.1, 0.5, 2, "positive semi-definite"),
        (np.eye(3), np.ones(3), 0.0, 0.5, 2, "lam"),
        (np.eye(3), np.ones(3), -1.0, 0.5, 2, "lam"),
        (np.eye(3), np.ones(3), 0.1, 1.5, 2, "alpha"),
        (np.eye(3), np.ones(3), 0.1, -0.1, 2, "alpha"),
        (np.eye(3), np.ones(3), 0.1, 0.5, 0, "steps"),
        (np.eye(3) * np.nan, np.ones(3), 0.1, 0.5, 2, "'K' contains NaN or inf"),
    ],
)
def test_bad_input_raises(K, y, lam, alpha, steps, match):
    with pytest.raises(ValueError, match=match):
        distill_fits(K, y, lam=lam, alpha=alpha, steps=steps)


@pytest.mark.parametrize(
    "K, y, match",
    [
        (np.ones((3, 4)), np.ones(3), "'K'"),  # not square
        (np.eye(3), np.ones(4), "'y'"),  # y's length differs from K's
        (np.eye(3, dtype=np.int64), np.ones(3), "'K'"),  # integers, not floats
        (np.eye(3), [1.0, 2.0, 3.0], "'y'"),  # a list, not an array
    ],
)
def test_shapes_and_dtypes_are_declared(K, y, match):
    with pytest.raises(TypeError, match=match):
        distill_fits(K, y, lam=0.1, alpha=0.5, steps=2)


def test_bad_types_and_test_kernel():
    with pytest.raises(TypeError):
        distill_fits(np.eye(2), np.ones(2), lam=0.1, alpha=0.5, steps=2.0)  # steps must be an int
    with pytest.raises(TypeError):
        distill_fits(np.eye(2), np.array(["a", "b"]), lam=0.1, alpha=0.5, steps=2)
    with pytest.raises(TypeError, match="K_test"):
        distill_predict(np.eye(2), np.ones((4, 3)), np.ones(2), lam=0.1, alpha=0.5, steps=2)
    with pytest.raises(TypeError, match="reference"):
        optimal_alpha(np.ones(3), np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match="f_ground_truth and f_self_distilled coincide"):
        optimal_alpha(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="teacher_outputs and self_distilled_outputs coincide"):
        training_projection(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="method"):
        eigen_weights(np.ones(2), lam=0.1, alpha=0.5, steps=2, method="nope")  # type: ignore[arg-type]


# ----------------------------------------------------------------- malformed inputs

INDEFINITE = np.array([[1.0, 2.0], [2.0, 1.0]])
Y2 = np.array([1.0, 2.0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: limit_fit(INDEFINITE, Y2, lam=0.5, alpha=0.5), "positive semi-definite"),
        (
            lambda: limit_predict(INDEFINITE, np.ones((1, 2)), Y2, lam=0.5, alpha=0.5),
            "semi-definite",
        ),
        (
            lambda: distill_fits_by_refitting(INDEFINITE, Y2, lam=0.1, alpha=0.5, steps=3),
            "semi-definite",
        ),
        (lambda: limit_weights(np.array([-1.0, 1.0]), lam=1.0, alpha=0.5), "eigenvalues d"),
        (lambda: limit_weights(np.array([-2.0, 1.0]), lam=1.0, alpha=0.5), "eigenvalues d"),
        (lambda: distill_fits(np.eye(6), np.ones(6), lam=0.1, alpha=0.5, steps=10**9), "steps"),
        (lambda: alpha_grid(1e-12), "step"),
        (lambda: sparsification_ratios(np.ones((2, 2, 2))), "B"),
        (lambda: sparsification_ratios(np.array([[1.0, 2.0], [0.0, 1.0]])), "> 0"),
        (lambda: optimal_alpha(np.zeros(0), np.zeros(0), np.zeros(0)), "empty"),
        (lambda: mobahi_toy(lam=0), "lam"),
        (lambda: mobahi_toy(gamma=-1.0), "gamma"),
        (lambda: grid_search_alpha(np.array([np.nan, 1.0]), np.array([0.0, 1.0])), "losses"),
        (lambda: grid_search_alpha(np.array([2.0, 1.0]), np.array([-5.0, 0.5])), r"grid\[0\]"),
        (lambda: random_problem(10**5), "'n'|n = "),
        (
            lambda: distill_fits(np.eye(2), np.ones(2), lam=0.1, alpha=float("nan"), steps=2),
            "alpha",
        ),
    ],
)
def test_malformed_input_gets_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: distill_fits(np.eye(2), np.ones(2), lam=True, alpha=0.5, steps=2),
        lambda: optimal_alpha(Y2, np.zeros(2), np.ones(2), clip="yes"),
        lambda: sparsification_ratios(5.0),
        lambda: run_toy("smoke"),
        lambda: chapter_claims(1, Config()),
        lambda: Results(1, 2, 3, 4, 5),
    ],
)
def test_malformed_input_gets_a_clear_type_error(call):
    with pytest.raises(TypeError):
        call()


def test_alpha_search_grid_domain(problem):
    K, Kt, y = problem
    z = np.zeros(Kt.shape[0])
    prev = distill_fits(K, y, lam=0.1, alpha=0.0, steps=1)[-1]
    grid = np.array([-5.0, 0.5, 5.0])
    with pytest.raises(ValueError, match=r"grid\[0\]"):
        krr_step_alpha_search(K, Kt, y, z, 0.1, prev, grid=grid, repeats=1)
    with pytest.raises(ValueError, match=r"grid\[2\]"):
        krr_step_alpha_search(K, Kt, y, z, 0.1, prev, grid=np.array([0.0, 1.0, 1.5]), repeats=1)
    # unconstrained α*: any finite grid is allowed
    res = krr_step_alpha_search(K, Kt, y, z, 0.1, prev, grid=grid, clip=False, repeats=1)
    assert res.grid.tolist() == [-5.0, 0.5, 5.0]
    # the same rule for a grid search of losses measured elsewhere
    losses = np.array([3.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"grid\[0\]"):
        grid_search_alpha(losses, grid)
    assert grid_search_alpha(losses, grid, constrained=False) == (0.5, 1.0)


def test_numpy_scalars_are_accepted():
    K, y = np.eye(3), np.ones(3)
    a = distill_fits(K, y, lam=np.float32(0.1), alpha=np.float64(0.5), steps=np.int64(3))
    np.testing.assert_allclose(a, distill_fits(K, y, lam=0.1, alpha=0.5, steps=3))


def test_config_presets_and_validation():
    for s in ("smoke", "book", "paper"):
        Config.preset(s)
    smoke = Config.preset("smoke")
    for changes, match in (
        ({"deep.steps": 1}, "Deep.steps"),
        ({"deep.grid_step": 0.3}, "Deep.grid_step"),
        ({"toy.alphas": (0.0, 1.5)}, "Toy.alphas"),
        ({"convergence.alphas": (0.0, 0.5)}, "Convergence.alphas"),
        ({"training.lr": float("nan")}, "Training.lr"),
        ({"digits.n_train": 1700, "digits.n_val": 400}, "n_train"),
        ({"deep.seeds": ()}, "Deep.seeds"),
        ({"training.weight_decay": -1.0}, "weight_decay"),
        ({"digits.label_noise": 0.95}, "label_noise"),
        ({"search.grid_step": 1e-9}, "Search.grid_step"),
        ({"search.at_step": 1}, "Search.at_step"),
        ({"training.reg_coef": -1.0}, "reg_coef"),
        ({"deep.seeds": (0, 100)}, "chosen on"),
    ):
        with pytest.raises(ValueError, match=match):
            smoke.replace(**changes)
    with pytest.raises(TypeError, match="epochs"):
        smoke.replace(**{"training.epochs": 2.5})
    with pytest.raises(TypeError, match="Config.training"):
        Config(training=smoke.deep)  # type: ignore[arg-type]


def test_book_preset_keeps_the_recorded_values():
    """The nested blocks hold the values the book's recorded run used (flat before)."""
    book = Config.preset("book")
    assert (book.toy.gamma, book.toy.lam, book.toy.steps) == (80.0, 0.2, 6)
    assert book.toy.alphas == (0.0, 0.25, 0.35, 0.7)
    assert (book.exactness.alphas, book.exactness.steps, book.exactness.n_random) == (
        (0.0, 0.3, 0.7),
        30,
        200,
    )
    assert (book.convergence.alphas, book.convergence.steps) == ((0.1, 0.35, 0.7, 1.0), 60)
    assert (book.sparsification.alpha, book.sparsification.steps) == (0.35, 30)
    assert (book.search.at_step, book.search.grid_step, book.search.repeats) == (3, 1e-3, 5)
    assert (book.digits.n_train, book.digits.n_val, book.digits.label_noise) == (800, 400, 0.4)
    t = book.training
    assert (t.hidden, t.depth, t.epochs, t.batch_size) == (128, 2, 40, 128)
    assert (t.lr, t.weight_decay, t.reg_coef) == (1e-3, 0.0, 1e-4)
    assert (book.deep.seeds, book.deep.steps, book.deep.fixed_alphas) == (
        (0, 1, 2, 3, 4),
        4,
        (0.0, 0.5),
    )
    assert book.deep.grid_step == 0.1


# ----------------------------------------------------------------- kernel claims at smoke


def _kernel_results(cfg: Config) -> Results:
    return Results(
        toy=run_toy(cfg),
        exactness=run_exactness(cfg),
        convergence=run_convergence(cfg),
        sparsification=run_sparsification(cfg),
        alpha_search=run_alpha_search(cfg),
        training_projection=run_training_projection(cfg),
    )


def test_kernel_claims_hold_at_smoke_scale():
    cfg = Config.preset("smoke")
    table = chapter_claims(_kernel_results(cfg), cfg)
    assert table.chapter == "05_self_distillation"
    exact = [c.id for c in table.of_kind("exact")]
    assert {
        "closed-form",
        "limit-krr",
        "alpha-star",
        "toy-alpha0",
        "toy-alpha025",
        "train-projection-bound",
    } <= set(exact)
    table.assert_hold(exact)  # the timing row is an extension and is not asserted in tests
    assert not table.of_kind("reproduction")  # nothing here is a number read in the paper
    for c in table:
        assert "[recollection]" not in c.where + c.note and "research notes" not in c.note
    assert kernel_eigen(mobahi_toy().K).d[0] > kernel_eigen(mobahi_toy().K).d[-1]
    assert toy_agreement(table) == (3, 3)
    # the speed row is challenged by a scalar search timed alike, and shows its timing band
    speed = table["alpha-star-speed"]
    assert speed.baseline is not None and speed.baseline_role == "competitor"
    assert speed.spread is not None and speed.spread.low <= speed.measured <= speed.spread.high


def test_results_are_frozen():
    import dataclasses

    res = run_toy(Config.preset("smoke"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.alphas = ()  # type: ignore[misc]


def test_hyperparameters_are_keyword_only():
    K, y = np.eye(3), np.ones(3)
    with pytest.raises(TypeError):
        distill_fits(K, y, 0.1, 0.5, 3)  # type: ignore[misc]
    with pytest.raises(TypeError):
        limit_weights(np.ones(2), 0.1, 0.5)  # type: ignore[misc]
    with pytest.raises(TypeError):
        mobahi_toy(80.0, 0.2)  # type: ignore[misc]


# ----------------------------------------------------------------- fast paths and the estimate


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_cholesky_and_eigh_paths_agree(problem, alpha):
    K, _, y = problem
    chol = distill_fits(K, y, lam=0.1, alpha=alpha, steps=25, method="cholesky")
    eig = distill_fits(K, y, lam=0.1, alpha=alpha, steps=25, method="eigh")
    auto = distill_fits(K, y, lam=0.1, alpha=alpha, steps=25)
    assert np.max(np.abs(chol - eig)) <= 1e-10
    np.testing.assert_array_equal(auto, chol)
    with pytest.raises(ValueError, match="positive semi-definite"):
        distill_fits(INDEFINITE, Y2, lam=2.0, alpha=0.5, steps=2, method="cholesky")
    with pytest.raises(ValueError, match="method"):
        distill_fits(K, y, lam=0.1, alpha=0.5, steps=2, method="lu")  # type: ignore[arg-type]


def test_alpha_sweep_agrees_with_refitting(problem):
    K, Kt, y = problem
    z = np.sin(np.arange(Kt.shape[0]))
    alphas = np.linspace(0.0, 1.0, 7)
    sweep = alpha_sweep(K, y, lam=0.1, alphas=alphas, steps=12, K_test=Kt, reference=z, block=3)
    assert sweep.train_mse.shape == sweep.test_mse.shape == (7, 12)
    worst = 0.0
    for i, a in enumerate(alphas):
        fits, preds = distill_fits_by_refitting(K, y, lam=0.1, alpha=a, steps=12, K_test=Kt)
        worst = max(
            worst,
            float(np.max(np.abs(np.mean((fits - y) ** 2, axis=1) - sweep.train_mse[i]))),
            float(np.max(np.abs(np.mean((preds - z) ** 2, axis=1) - sweep.test_mse[i]))),
        )
        if a > 0:  # the limit, KRR with ridge λ/α, against its closed form
            lim = limit_predict(K, Kt, y, lam=0.1, alpha=a)
            worst = max(worst, abs(float(np.mean((lim - z) ** 2)) - sweep.limit_test_mse[i]))
    assert worst <= 1e-10
    assert sweep.limit_test_mse[0] == pytest.approx(np.mean(z**2))  # α = 0: the zero function
    no_test = alpha_sweep(kernel_eigen(K), y, lam=0.1, alphas=alphas, steps=12)
    assert no_test.test_mse is None
    np.testing.assert_allclose(no_test.train_mse, sweep.train_mse, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="together"):
        alpha_sweep(K, y, lam=0.1, alphas=alphas, steps=2, K_test=Kt)
    with pytest.raises(ValueError, match=r"alphas\[1\]"):
        alpha_sweep(K, y, lam=0.1, alphas=np.array([0.5, 1.5]), steps=2)


def test_training_projection_minimises_the_training_loss(problem):
    """In kernel ridge regression the projection is exact: the argmin of the training loss."""
    K, _, y = problem
    prev = distill_fits(K, y, lam=0.1, alpha=0.0, steps=2)[-1]  # the teacher of step 3
    teacher = distill_fits(K, y, lam=0.1, alpha=1.0, steps=1)[-1]  # the α = 1 student
    sd = distill_fits(np.asarray(K), prev, lam=0.1, alpha=1.0, steps=1)[-1]  # α = 0 student
    a_hat = training_projection(teacher, sd, y)

    def loss(a: float) -> float:
        f = a * teacher + (1 - a) * sd  # the step-3 student with weight a (linear in a)
        return float(np.mean((f - y) ** 2))

    assert loss(a_hat) <= min(loss(a) for a in np.linspace(-5, 5, 2001)) + 1e-12
    assert a_hat > 1.0  # against the training targets the labels' own fit is preferred


@pytest.mark.parametrize("lam", [1e-3, 0.1, 10.0])
def test_training_projection_is_above_its_kernel_floor(problem, lam):
    """Eq. distill-alpha-train-bound: the weighted mean of (1 + a_k)/a_k, at least 1 + 1/a_1."""
    K, _, y = problem
    a_hat, floor = krr_training_projection(K, y, lam)
    d, V = np.linalg.eigh(K)
    a = d / (d + lam)
    yk = V.T @ y
    w = (a * (1 - a) * yk) ** 2
    keep = w > 0
    assert a_hat == pytest.approx(np.sum(w[keep] * (1 + a[keep]) / a[keep]) / w.sum(), rel=1e-8)
    assert floor == pytest.approx(1 + 1 / a.max(), rel=1e-12)
    assert a_hat >= floor > 2.0
    # one eigendirection alone gives the floor of that direction exactly
    top = V[:, -1]
    a_top, floor_top = krr_training_projection(K, top, lam)
    assert a_top == pytest.approx(floor_top, rel=1e-8)


def test_grid_optimum_interval_brackets_a_flat_optimum_and_pins_a_sharp_one():
    grid = np.linspace(0.0, 1.0, 11)
    rng = np.random.default_rng(0)
    sharp = (grid[:, None] - 0.3) ** 2 + 0.001 * rng.standard_normal((11, 200))
    assert grid_optimum_interval(sharp, grid) == (pytest.approx(0.3), pytest.approx(0.3))
    flat = 1e-4 * (grid[:, None] - 0.5) ** 2 + rng.standard_normal((11, 200))
    low, high = grid_optimum_interval(flat, grid)
    best = grid[np.argmin(flat.mean(axis=1))]
    assert low <= best <= high and high - low >= 0.3  # noise dominates: a wide interval
    with pytest.raises(TypeError, match="grid"):  # one weight per row of losses
        grid_optimum_interval(flat[:5], grid)


# ----------------------------------------------------------------- degenerate limits


def _singular_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.repeat(np.linspace(0, 1, 5)[:, None], 2, axis=0)  # duplicated points: K singular
    return (
        rbf_kernel(X, gamma=1.0),
        rbf_kernel(np.array([[0.3]]), X, gamma=1.0),
        np.sin(3 * X[:, 0]),
    )


@pytest.mark.parametrize("lam", [1e-16, 1e-30, 1e-300])
def test_a_ridge_below_round_off_is_refused_or_handled(lam):
    """K + λI of a singular K with λ below round-off: the fits (weights in [0, 1]) stay exact
    in the eigenbasis; what needs the solve itself names ``lam`` instead of returning
    round-off amplified by 1/λ."""
    K, Kt, y = _singular_problem()
    auto = distill_fits(K, y, lam=lam, alpha=0.5, steps=3)
    np.testing.assert_array_equal(
        auto, distill_fits(K, y, lam=lam, alpha=0.5, steps=3, method="eigh")
    )
    assert np.max(np.abs(auto)) <= np.max(np.abs(y)) + 1e-12
    eig = kernel_eigen(K)
    lim = limit_fit(K, y, lam=lam, alpha=1.0)
    expected = eig.V @ (limit_weights(eig.d, lam=lam, alpha=1.0) * (eig.V.T @ y))
    np.testing.assert_allclose(lim, expected, atol=1e-12)
    z = np.ones(1)
    for call in (
        lambda: distill_fits(K, y, lam=lam, alpha=0.5, steps=3, method="cholesky"),
        lambda: distill_coefficients(K, y, lam=lam, alpha=0.5, steps=3),
        lambda: distill_predict(K, Kt, y, lam=lam, alpha=0.5, steps=3),
        lambda: distill_fits_by_refitting(K, y, lam=lam, alpha=0.5, steps=3),
        lambda: alpha_sweep(K, y, lam=lam, alphas=np.array([0.5]), steps=2, K_test=Kt, reference=z),
        lambda: krr_step_alpha_search(
            K, Kt, y, z, lam, 0.5 * y, grid=np.array([0.0, 1.0]), repeats=1
        ),
        lambda: greedy_optimal_alphas(K, Kt, y, z, lam, 3),
    ):
        with pytest.raises(ValueError, match="lam is too small"):
            call()
    if lam < 1e-16:
        with pytest.raises(ValueError, match="lam is too small"):
            limit_predict(K, Kt, y, lam=lam, alpha=1.0)
    # the training losses of a sweep need no solve
    sweep = alpha_sweep(K, y, lam=lam, alphas=np.array([0.0, 0.5, 1.0]), steps=2)
    assert np.all(np.isfinite(sweep.train_mse))


@pytest.mark.parametrize("alpha", [5e-324, 1e-300])
def test_the_limit_as_alpha_tends_to_zero(alpha):
    """λ/α overflows for α → 0⁺: the limit is then computed as α K (αK + λI)⁻¹ y → 0."""
    K, y = mobahi_toy().K, mobahi_toy().y
    fit = limit_fit(K, y, lam=0.2, alpha=alpha)
    assert (
        np.all(np.isfinite(fit)) and np.max(np.abs(fit)) <= 1e3 * alpha * np.max(np.abs(y)) + 1e-320
    )
    np.testing.assert_array_equal(limit_fit(K, y, lam=1e300, alpha=alpha), 0.0)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1.0, 1e150, 1e300])
def test_optimal_alpha_is_scale_free(scale):
    """α* is the same for huge or tiny (finite) inputs: no overflow, no underflow of ‖a − b‖²."""
    a, b, z = np.array([1.0, 2.0]), np.array([-1.0, 0.0]), np.array([0.5, 1.0])
    assert optimal_alpha(a * scale, b * scale, z * scale, clip=False) == pytest.approx(0.625)
    # outputs 10⁻³⁰⁰ apart against a reference of 1: α* ≈ 10³⁰⁰, clipped to the edge
    assert optimal_alpha(np.array([1e-300, 0.0]), np.zeros(2), np.array([1.0, 0.0])) == 1.0
    # ... and a subnormal difference: an unclipped α* beyond 10³⁰⁸ is reported, not returned
    with pytest.raises(NonFiniteResult, match="optimal_alpha"):
        optimal_alpha(np.array([1e-310, 0.0]), np.zeros(2), np.array([1.0, 0.0]), clip=False)


def test_ratios_that_overflow_are_reported():
    with pytest.raises(NonFiniteResult, match="sparsification_ratios"):
        sparsification_ratios(np.array([1e300, 1e-300]))


def test_a_random_problem_too_large_is_refused_before_allocating():
    with pytest.raises(ValueError, match="n_test"):
        random_problem(10_000, n_test=10**5)


def test_package_loops_call_no_checked_function(monkeypatch, problem):
    """The timed closed form and grid search, and the greedy chain, use the unchecked twins."""
    import theorybook.distill.alpha as alpha_module

    def refuse(*args, **kwargs):
        raise AssertionError("a checked function was called from a loop")

    for name in ("optimal_alpha", "grid_search_alpha"):
        monkeypatch.setattr(alpha_module, name, refuse)
    K, Kt, y = problem
    z = np.cos(4 * np.linspace(0, 1, Kt.shape[0]))
    prev = distill_fits(K, y, lam=0.1, alpha=0.0, steps=2)[-1]
    alpha_module.krr_step_alpha_search(K, Kt, y, z, 0.1, prev, grid=alpha_grid(0.1), repeats=1)
    alpha_module.greedy_optimal_alphas(K, Kt, y, z, 0.1, 4)


# ----------------------------------------------------------------- the modules' own callables

_MODULES = ("alpha", "checks", "claims", "config", "data", "experiments", "figures", "kernel")
_MODULES += ("results", "solve", "sweep")


def _unexported() -> list[str]:
    """``module.name`` of each public callable of a module that the package does not re-export
    (the network's module, which needs torch, has its own test)."""
    package = set(public_callables("theorybook.distill"))
    return sorted(
        f"{m}.{name}"
        for m in _MODULES
        for name in public_callables(f"theorybook.distill.{m}")
        if name not in package
    )


def test_every_unexported_callable_has_an_example():
    assert sorted(MODULE_EXAMPLES) == _unexported()


@pytest.mark.parametrize("key", sorted(MODULE_EXAMPLES))
def test_module_callables_get_clear_errors(key):
    """The generic malformed-input test for the callables the package does not re-export."""
    module, name = key.split(".")
    fn = getattr(importlib.import_module(f"theorybook.distill.{module}"), name)
    example = MODULE_EXAMPLES[key]()
    fn(*example.args, **example.kwargs)
    problems = []
    for mutation in mutations(fn, dict(bind(fn, example).arguments)):
        problem = outcome(fn, bind(fn, MODULE_EXAMPLES[key]()), mutation)
        if problem is not None:
            problems.append(f"  {mutation.parameter} = {mutation.label}: {problem}")
    assert not problems, f"{key}:\n" + "\n".join(problems)
