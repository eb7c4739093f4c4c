"""Chapter 4 (theorybook.ntk): duals, the depth recursion, classifiers, limits and claims."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from theorybook.ntk import (
    Config,
    agreement,
    bayes_classifier,
    deep_limit,
    dirichlet_setting,
    dirichlet_sphere_data,
    dual_activation,
    empirical_nngp,
    hilbert_classifier,
    kernel_classifier,
    kernel_gradient_descent,
    kernel_scores,
    kernel_sweep,
    log_nngp_kernel,
    majority_vote,
    nngp_gram,
    nngp_kernel,
    nngp_kernel_numpy,
    ntk_diagonal,
    ntk_gram,
    ntk_kernel,
    ntk_kernel_numpy,
    ntk_kernel_unrolled,
    one_nn,
    resolve_activation,
    singular_exponent,
    train_network,
)
from theorybook.ntk.checks import rounded_diagonal
from theorybook.ntk.dual import DESIGNED_ACTIVATIONS, float64
from theorybook.training import SolverDiverged, TrainingDiverged


def _sphere(n: int, dim: int = 3, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim))
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


# --- duals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "erf", "sine_1", "sine_2.676", "3d_opt", "9d_opt"])
def test_dual_is_normalised_and_its_derivative_is_the_derivative(name: str) -> None:
    dual, slope = dual_activation(name)
    with float64():
        assert abs(float(dual(np.float64(1.0))) - 1.0) < 1e-12
        xi = np.linspace(-0.9, 0.9, 7)
        h = 1e-6
        numeric = (np.asarray(dual(xi + h)) - np.asarray(dual(xi - h))) / (2 * h)
        assert np.allclose(numeric, np.asarray(slope(xi)), atol=1e-7)


def test_hermite_coefficients_give_the_power_series() -> None:
    act = resolve_activation([0.0, 0.6, 0.0, 0.8])
    with float64():
        xi = np.linspace(-1, 1, 5)
        assert np.allclose(np.asarray(act.dual(xi)), 0.36 * xi + 0.64 * xi**3, atol=1e-14)
    assert math.isclose(act.slope_at_zero, 0.36) and math.isclose(act.slope_at_one, 0.36 + 3 * 0.64)


def test_singular_exponents_and_regimes() -> None:
    assert math.isclose(singular_exponent("3d_opt"), 2.0, abs_tol=1e-12)
    assert math.isclose(singular_exponent("9d_opt"), 8.0, abs_tol=1e-12)
    assert abs(singular_exponent("sine_2.676") - 2.0) < 1e-4
    assert deep_limit("relu") == "majority vote"
    assert deep_limit("hermite_2") == "1-NN"
    assert deep_limit("erf") == "singular kernel"
    with pytest.raises(ValueError, match="majority vote"):
        singular_exponent("relu")
    with pytest.raises(ValueError, match="1-NN"):
        singular_exponent("hermite_2")


# --- the recursion --------------------------------------------------------------------------


def test_recursion_depth_zero_is_the_linear_kernel_and_one_layer_is_the_dual() -> None:
    X, Z = _sphere(6), _sphere(4, seed=1)
    assert np.allclose(nngp_kernel(X, Z, 0, "erf"), X @ Z.T)
    with float64():
        expected = np.asarray(resolve_activation("erf").dual(X @ Z.T))
    assert np.allclose(nngp_kernel(X, Z, 1, "erf"), expected, atol=1e-15)


@pytest.mark.parametrize("name", ["relu", "erf", "3d_opt", "sine_1"])
def test_ntk_recursion_equals_the_unrolled_sum(name: str) -> None:
    X = _sphere(10)
    k = ntk_kernel(X, X, 7, name)
    assert np.max(np.abs(k - ntk_kernel_unrolled(X, X, 7, name))) <= 1e-12 * np.max(np.abs(k))


def test_analytic_diagonal_prevents_the_drift() -> None:
    data = dirichlet_sphere_data(300, *dirichlet_setting(3), seed=3)
    depth = 100
    target = ntk_diagonal(depth, "3d_opt")
    assert math.isclose(target, 2.0 ** (depth + 1) - 1.0, rel_tol=1e-12)
    assert np.all(np.diag(ntk_kernel(data.X, data.X, depth, "3d_opt")) == target)
    assert np.all(np.diag(nngp_kernel(data.X, data.X, depth, "3d_opt")) == 1.0)
    naive = rounded_diagonal(depth, "3d_opt")
    assert np.max(np.abs(naive - target)) / target > 0.5


def test_log_domain_matches_the_ordinary_kernel_and_survives_underflow() -> None:
    X = _sphere(8)
    dense = nngp_kernel(X, X, 3, "5d_opt")
    assert np.allclose(log_nngp_kernel(X, X, 3, "5d_opt").dense(), dense, atol=1e-15)
    deep = log_nngp_kernel(X, X, 20, "hermite_2")
    off = ~np.eye(8, dtype=bool)
    xi = np.abs(X @ X.T)
    assert np.allclose(deep.log_abs[off], 2.0**20 * np.log(xi[off]), rtol=1e-12)
    assert np.all(nngp_kernel(X, X, 20, "hermite_2")[off] == 0.0)  # the ordinary one underflows


def test_sweep_equals_separate_calls() -> None:
    X = _sphere(5)
    sweep = kernel_sweep(X, X, (3, 10), "relu", kernel="ntk")
    assert np.allclose(sweep[1], ntk_kernel(X, X, 10, "relu", normalized=True), atol=1e-14)
    sweep = kernel_sweep(X, X, (3, 10), "erf", kernel="nngp")
    assert np.allclose(sweep[0], nngp_kernel(X, X, 3, "erf"), atol=1e-15)


GRAM_ACTIVATIONS = ["relu", "erf", "hermite_2", *DESIGNED_ACTIVATIONS]


@pytest.mark.parametrize("name", GRAM_ACTIVATIONS)
@pytest.mark.parametrize("depth", [0, 1, 12, 100])
def test_gram_equals_the_full_computation(name: str, depth: int) -> None:
    X = _sphere(40, seed=2)
    Z = X.copy()  # a different array: the full n × n recursion
    ntk, nngp = ntk_gram(X, depth, name, normalized=True), nngp_gram(X, depth, name)
    assert np.max(np.abs(ntk - ntk_kernel(X, Z, depth, name, normalized=True))) <= 1e-13
    assert np.max(np.abs(nngp - nngp_kernel(X, Z, depth, name))) <= 1e-13
    assert np.array_equal(ntk, ntk.T) and np.array_equal(nngp, nngp.T)
    assert np.all(np.diag(ntk) == 1.0) and np.all(np.diag(nngp) == 1.0)
    # Z omitted (None) or X itself takes the same path
    assert np.array_equal(ntk_kernel(X, None, depth, name, normalized=True), ntk)
    assert np.array_equal(nngp_kernel(X, X, depth, name), nngp)


@pytest.mark.parametrize("name", ["relu", "erf", "3d_opt", "hermite_2"])
def test_gram_equals_the_numpy_reference(name: str) -> None:
    X = _sphere(30, seed=4)
    k = ntk_gram(X, 12, name)
    assert np.max(np.abs(k - ntk_kernel_numpy(X, X, 12, name))) <= 1e-13 * np.max(np.abs(k))
    assert np.max(np.abs(nngp_gram(X, 12, name) - nngp_kernel_numpy(X, X, 12, name))) <= 1e-14


@pytest.mark.parametrize("name", ["relu", "3d_opt"])
def test_blocked_recursion_equals_one_pass(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import theorybook.ntk.kernels as kernels

    X = _sphere(41, seed=7)  # 820 pairs: 13 blocks of 64, the last one padded
    one_pass = ntk_kernel(X, X.copy(), 30, name, normalized=True), nngp_gram(X, 30, name)
    monkeypatch.setattr(kernels, "CPU_BLOCK", 64)
    monkeypatch.setattr(kernels, "_COMPILED", {})
    blocked = ntk_kernel(X, X.copy(), 30, name, normalized=True), nngp_gram(X, 30, name)
    assert all(np.array_equal(a, b) for a, b in zip(one_pass, blocked, strict=True))


def test_gram_duplicate_points_and_edge_sizes() -> None:
    X = _sphere(6, seed=5)
    X = np.concatenate([X, X[:2]])  # rows 6, 7 repeat rows 0, 1
    k, full = ntk_gram(X, 20, "relu"), ntk_kernel(X, X.copy(), 20, "relu")
    assert k[0, 6] == k[6, 0] == k[1, 7] == ntk_diagonal(20, "relu")
    assert np.max(np.abs(k - full)) <= 1e-12
    assert ntk_gram(X[:1], 5, "relu").tolist() == [[ntk_diagonal(5, "relu")]]
    assert ntk_gram(X[:2], 5, "relu")[0, 1] == ntk_kernel(X[:1], X[1:2], 5, "relu")[0, 0]


def test_gram_sweep_and_drift_demonstration() -> None:
    X = _sphere(12, seed=6)
    for kernel in ("ntk", "nngp"):
        gram = kernel_sweep(X, None, (3, 10, 40), "3d_opt", kernel=kernel)
        full = kernel_sweep(X, X.copy(), (3, 10, 40), "3d_opt", kernel=kernel)
        assert all(np.max(np.abs(g - f)) <= 1e-13 for g, f in zip(gram, full, strict=True))
    # analytic_diagonal=False runs every entry through the recursion, Gram or not
    raw = ntk_kernel(X, None, 30, "3d_opt", analytic_diagonal=False, normalized=True)
    full = ntk_kernel(X, X.copy(), 30, "3d_opt", analytic_diagonal=False, normalized=True)
    assert np.max(np.abs(raw - full)) <= 1e-13
    raw = nngp_kernel(X, None, 30, "3d_opt", analytic_diagonal=False)
    assert (
        np.max(np.abs(raw - nngp_kernel(X, X.copy(), 30, "3d_opt", analytic_diagonal=False)))
        <= 1e-13
    )


# --- classifiers and data -------------------------------------------------------------------


def test_kernel_classifier_interpolates_and_log_domain_agrees() -> None:
    data = dirichlet_sphere_data(80, *dirichlet_setting(3), seed=1)
    X, y = data.X[:40], data.y[:40]
    Z = data.X[40:]
    k_train, k_test = nngp_kernel(X, X, 4, "5d_opt"), nngp_kernel(Z, X, 4, "5d_opt")
    assert np.all(kernel_classifier(k_train, y, nngp_kernel(X, X, 4, "5d_opt")) == y)
    dense = kernel_classifier(k_train, y, k_test)
    logged = kernel_classifier(
        log_nngp_kernel(X, X, 4, "5d_opt"), y, log_nngp_kernel(Z, X, 4, "5d_opt")
    )
    assert np.all(dense == logged)


def test_kernel_classifier_takes_scikit_learns_orientation() -> None:
    """``K_test`` is ``(m, n)``, one row per test point, as scikit-learn's precomputed kernels:
    the scores equal ``KernelRidge(kernel="precomputed")``'s predictions without a ridge, and
    with as many test as training points the transposed layout is not silently the same."""
    from sklearn.kernel_ridge import KernelRidge

    data = dirichlet_sphere_data(80, *dirichlet_setting(3), seed=1)
    X, y, Z = data.X[:40], data.y[:40], data.X[40:]
    k_train, k_test = nngp_gram(X, 6, "3d_opt"), nngp_kernel(Z, X, 6, "3d_opt")
    assert k_test.shape == (40, 40)
    ridge = KernelRidge(alpha=1e-12, kernel="precomputed").fit(k_train, y)
    scores = kernel_scores(k_train, y, k_test)
    assert np.allclose(scores, ridge.predict(k_test), rtol=1e-6, atol=1e-8)
    assert not np.allclose(scores, kernel_scores(k_train, y, k_test.T))
    with pytest.raises(TypeError, match="K_test"):
        kernel_scores(k_train, y, nngp_kernel(X, Z[:30], 6, "3d_opt"))  # (n, m): refused


def test_baselines() -> None:
    data = dirichlet_sphere_data(300, *dirichlet_setting(2), seed=2)
    X, y, Z = data.X[:200], data.y[:200], data.X[200:]
    assert np.all(one_nn(X, y, X) == y)
    assert np.all(hilbert_classifier(X, y, X, 1.0) == y)  # coinciding points take their label
    assert set(np.unique(majority_vote(y, 5))) <= {-1.0, 1.0}
    bayes = bayes_classifier(Z, *dirichlet_setting(2), 0.4)
    assert 0.6 < np.mean(bayes == data.y[200:]) < 0.9
    assert agreement(y, y) == 1.0


def test_dirichlet_data_is_on_the_sphere_and_reproducible() -> None:
    a = dirichlet_sphere_data(50, (1, 2), (2, 1), 0.4, 7)
    b = dirichlet_sphere_data(50, (1, 2), (2, 1), 0.4, 7)
    assert np.allclose(np.linalg.norm(a.X, axis=1), 1.0) and np.all(a.X >= 0)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert set(np.unique(a.y)) <= {-1.0, 1.0}


def test_empirical_nngp_approaches_the_analytic_one() -> None:
    X = _sphere(6)
    exact = nngp_kernel(X, X, 2, "erf")
    small = np.abs(empirical_nngp(X, X, 2, "erf", width=32, seed=0) - exact).mean()
    large = np.abs(empirical_nngp(X, X, 2, "erf", width=4096, seed=0) - exact).mean()
    assert large < small and large < 0.05


def test_trained_network_follows_the_kernel_dynamics() -> None:
    data = dirichlet_sphere_data(60, *dirichlet_setting(3), seed=4)
    X, y, Z = data.X[:30], data.y[:30], data.X[30:]
    ref = kernel_gradient_descent(X, y, Z, "erf", steps=20, learning_rate=0.5)
    net = train_network(X, y, Z, "erf", width=2048, steps=20, learning_rate=0.5)
    assert np.linalg.norm(net.test_outputs - ref) / np.linalg.norm(ref) < 0.05
    assert net.history.steps == 20
    assert net.history.losses[-1] < net.history.losses[0]


def test_every_trainer_and_solver_diverges_loudly_at_a_huge_step() -> None:
    """The trainer stops with TrainingDiverged, the kernel iteration with SolverDiverged, both
    naming the step, instead of returning NaN or numbers in the 1e13s."""
    data = dirichlet_sphere_data(60, *dirichlet_setting(3), seed=4)
    X, y, Z = data.X[:30], data.y[:30], data.X[30:]
    with pytest.raises(TrainingDiverged, match=r"train_network .*diverged at step \d+"):
        train_network(X, y, Z, "erf", width=64, steps=200, learning_rate=1e8)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+"):
        train_network(X, y, Z, "erf", width=64, steps=200, learning_rate=1e4)
    with pytest.raises(SolverDiverged, match=r"kernel_gradient_descent diverged at step \d+"):
        kernel_gradient_descent(X, y, Z, "erf", steps=200, learning_rate=1e8)


def test_presets_keep_their_sizes() -> None:
    """The settings blocks hold the sizes the flat configuration held (book numbers unchanged)."""
    book, smoke = Config.preset("book"), Config.preset("smoke")
    assert book.taxonomy.relu_depths == (10, 100, 1000, 5000, 20000)
    assert book.hilbert.depths == (10, 30, 60, 100, 300) and book.hilbert.deep_from == 60
    assert book.consistency.ns == (125, 250, 500, 1000, 2000)
    assert (book.training.steps, book.training.n, book.training.lr_scale) == (200, 100, 1.0)
    assert (book.timing.n, book.timing.depth, book.mc_samples) == (1000, 100, 100_000)
    assert smoke.taxonomy.relu_depths == (10, 100, 1000, 3000)
    assert smoke.training.widths == (64, 1024) and smoke.training.steps == 50
    assert book.replace(**{"training.steps": 5}).training.steps == 5


# --- bad inputs -----------------------------------------------------------------------------


def _y(*labels: float) -> np.ndarray:
    return np.array(labels, dtype=np.float64)


def _smoke(**changes: object) -> Config:
    return Config.preset("smoke").replace(**changes)


BAD_CALLS = [
    (lambda: resolve_activation("tanh"), ValueError, "unknown activation"),
    (lambda: resolve_activation([0.5, 0.5]), ValueError, "sum"),
    (lambda: resolve_activation([]), ValueError, "at least"),
    (lambda: resolve_activation(["a"]), TypeError, "activation"),
    (lambda: resolve_activation(3), TypeError, "activation"),
    (lambda: resolve_activation("sine_-1"), ValueError, "sine_a"),
    (lambda: resolve_activation("sine_x"), ValueError, "sine_<a>"),
    (lambda: resolve_activation("hermite_0"), ValueError, "hermite_k"),
    (lambda: resolve_activation([np.nan, 1.0]), ValueError, "finite"),
    (lambda: nngp_kernel(np.ones((3, 2)), _sphere(2, 2), 1, "relu"), ValueError, "unit-norm"),
    (lambda: nngp_kernel(_sphere(3), _sphere(2, 2), 1, "relu"), TypeError, "'Z'"),
    (lambda: nngp_kernel(_sphere(3), _sphere(2), -1, "relu"), ValueError, "depth"),
    (lambda: nngp_kernel(_sphere(3), _sphere(2), 2.0, "relu"), TypeError, "depth"),
    (lambda: nngp_kernel(_sphere(3)[0], _sphere(2), 1, "relu"), TypeError, "'X'"),
    (lambda: ntk_kernel(_sphere(3), _sphere(2), 1200, "3d_opt"), ValueError, "normalized"),
    (lambda: log_nngp_kernel(_sphere(3), _sphere(2), 2, "relu"), ValueError, "polynomial"),
    (lambda: kernel_sweep(_sphere(3), _sphere(2), (5, 2), "relu"), ValueError, "increasing"),
    (lambda: kernel_sweep(_sphere(3), _sphere(2), (1,), "relu", kernel="x"), ValueError, "kernel"),
    (lambda: kernel_classifier(np.eye(3), _y(1, -1, 0), np.ones((2, 3))), ValueError, "labels"),
    (lambda: kernel_classifier(np.eye(3), [1.0, -1.0, 1.0], np.ones((2, 3))), TypeError, "'y'"),
    (lambda: kernel_classifier(np.eye(3), _y(1, -1), np.ones((2, 3))), TypeError, "'y'"),
    (
        lambda: kernel_classifier(np.ones((3, 3)), _y(1, -1, 1), np.ones((2, 3))),
        ValueError,
        "singular",
    ),
    (lambda: kernel_classifier(np.eye(3), _y(1, -1, 1), np.ones((2, 2))), TypeError, "K_test"),
    (lambda: kernel_classifier(np.ones((2, 3)), _y(1, -1, 1), np.ones((2, 3))), TypeError, "K_"),
    (
        lambda: kernel_classifier(np.eye(2), _y(1, 1), np.array([[np.nan, 1.0]])),
        ValueError,
        "K_test",
    ),
    (
        lambda: kernel_scores(np.triu(np.ones((3, 3))), _y(1, -1, 1), np.ones((2, 3))),
        ValueError,
        "symmetric",
    ),
    (lambda: hilbert_classifier(_sphere(3), _y(1, 1, -1), _sphere(2), 0.0), ValueError, "alpha"),
    (lambda: hilbert_classifier(_sphere(3), _y(1, 1), _sphere(2), 1.0), TypeError, "'y'"),
    (lambda: bayes_classifier(_sphere(3), (1, 2), (2, 1), 0.4), ValueError, "agree"),
    (lambda: bayes_classifier(np.abs(_sphere(3, 2)), (1, 2), (2, 1), 1.0), ValueError, "prior"),
    (lambda: dirichlet_sphere_data(0, (1, 2), (2, 1)), ValueError, "n"),
    (lambda: dirichlet_sphere_data(10, (1, 2), (2, 1, 1)), ValueError, "same length"),
    (lambda: dirichlet_sphere_data(10, (1, -2), (2, 1)), ValueError, "alphas1"),
    (lambda: dirichlet_sphere_data(10, (1, 2), (2, 1), 1.5), ValueError, "prior"),
    (lambda: dirichlet_setting(4), ValueError, "dim"),
    (lambda: majority_vote(_y(1, -1), 0), ValueError, "n_test"),
    (lambda: agreement(_y(1, -1), _y(1)), TypeError, "'b'"),
    (lambda: agreement(_y(1, -1), _y(1, 0.5)), ValueError, "b must hold labels"),
    (lambda: empirical_nngp(_sphere(3), _sphere(2), 2, "erf", width=0), ValueError, "width"),
    (lambda: singular_exponent([1.0]), ValueError, "ǎ"),
    (
        lambda: train_network(
            _sphere(3), _y(1, -1), _sphere(2), "erf", width=4, steps=1, learning_rate=0.1
        ),
        TypeError,
        "'y'",
    ),
    (
        lambda: train_network(
            _sphere(3), _y(1, -1, 1), _sphere(2), "erf", width=4, steps=0, learning_rate=0.1
        ),
        ValueError,
        "steps",
    ),
    (
        lambda: kernel_gradient_descent(
            _sphere(3), _y(1, -1, 1), _sphere(2), "erf", steps=1, learning_rate=-1.0
        ),
        ValueError,
        "learning_rate",
    ),
    (lambda: _smoke(**{"training.lr_scale": 2.5}), ValueError, "lr_scale must be < 2"),
    (lambda: _smoke(**{"consistency.ns": (200, 100)}), ValueError, "increasing"),
    (lambda: _smoke(prior=0.0), ValueError, "prior"),
    (lambda: _smoke(**{"taxonomy.dim": 4}), ValueError, "Taxonomy.dim"),
    (lambda: _smoke(**{"hilbert.activation": "tanh"}), ValueError, "tanh"),
    (lambda: _smoke(**{"hilbert.deep_from": 200}), ValueError, "deep_from"),
    (lambda: _smoke(**{"width.points": 1}), ValueError, "points must be >= 2"),
    (lambda: _smoke(**{"official.dims": (3, 4)}), ValueError, "dims"),
    (lambda: _smoke(**{"taxonomy.seeds": (0, 0)}), ValueError, "seeds"),
    (lambda: dirichlet_sphere_data(10, (1, 2), (2, 1)).split(10), ValueError, "n_train"),
]


@pytest.mark.parametrize("call,error,match", BAD_CALLS)
def test_bad_inputs_give_clear_errors(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]


# --- degenerate limits ----------------------------------------------------------------------


def test_an_ill_conditioned_solve_raises_unless_allowed() -> None:
    """K_train one rounding error from singular: the solve "succeeds" with coefficients of order
    1e15, whose scores are rounding noise; that is refused unless asked for."""
    k_train = np.ones((3, 3)) + 1e-15 * np.eye(3)
    y, k_test = _y(1, -1, 1), np.array([[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"K_train is ill-conditioned.*allow_ill_conditioned"):
        kernel_scores(k_train, y, k_test)
    with pytest.raises(ValueError, match="K_train is ill-conditioned"):
        kernel_classifier(k_train, y, k_test)
    scores = kernel_scores(k_train, y, k_test, allow_ill_conditioned=True)
    assert np.max(np.abs(scores)) > 1e12  # the noise the check refuses by default
    # a well-conditioned kernel is unaffected
    X = _sphere(20)
    k = nngp_kernel(_sphere(30, seed=1), X, 3, "erf")
    assert np.all(np.isfinite(kernel_scores(nngp_gram(X, 3, "erf"), _y(*[1, -1] * 10), k)))


def test_kernel_scores_need_a_symmetric_gram_matrix() -> None:
    k = np.eye(3)
    k[0, 2] = 0.5
    with pytest.raises(ValueError, match="K_train must be a symmetric"):
        kernel_classifier(k, _y(1, -1, 1), np.ones((2, 3)))
    log = log_nngp_kernel(_sphere(4), _sphere(4, seed=1), 2, "hermite_2")
    with pytest.raises(ValueError, match="K_train must be a symmetric"):
        kernel_classifier(log, _y(1, -1, 1, 1), np.ones((2, 4)))
    k[2, 0] = 0.5 * (1 + 1e-13)  # rounding-level asymmetry is accepted
    assert kernel_classifier(k, _y(1, -1, 1), np.ones((2, 3))).shape == (2,)


def test_distance_classifiers_at_extreme_scales_and_exponents() -> None:
    X, Z = _sphere(30), _sphere(20, seed=1)
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    nearest = one_nn(X, y, Z)
    for scale in (1e-200, 1e200):
        assert np.array_equal(one_nn(scale * X, y, scale * Z), nearest)
        assert np.array_equal(
            hilbert_classifier(scale * X, y, scale * Z, 2.0), hilbert_classifier(X, y, Z, 2.0)
        )
    # α log‖z − x‖ overflows: the weights are taken relative to the nearest point (1-NN)
    assert np.array_equal(hilbert_classifier(X, y, Z, 1e308), nearest)
    pos = np.abs(_sphere(10, seed=2))
    bayes = bayes_classifier(pos, (1, 2, 1), (2, 1, 1), 0.4)
    assert np.array_equal(bayes_classifier(1e-250 * pos, (1, 2, 1), (2, 1, 1), 0.4), bayes)
    assert np.array_equal(bayes_classifier(1e250 * pos, (1, 2, 1), (2, 1, 1), 0.4), bayes)
    with pytest.raises(ValueError, match="zero row"):
        bayes_classifier(np.vstack([pos, np.zeros(3)]), (1, 2, 1), (2, 1, 1), 0.4)


def test_degenerate_concentrations_raise_naming_them() -> None:
    with pytest.raises(ValueError, match="alphas1"):
        dirichlet_sphere_data(20, (1e-300, 1e-300), (1e-300, 1e-300))
    with pytest.raises(ValueError, match="alphas1"):
        dirichlet_sphere_data(20, (1e300, 1e300), (1e300, 1e300))


def test_activations_whose_duals_would_leave_float64_are_refused() -> None:
    from theorybook.ntk import Activation
    from theorybook.ntk.dual import MAX_HERMITE_DEGREE, MAX_SINE_PARAMETER

    assert resolve_activation(f"sine_{MAX_SINE_PARAMETER}").dual(np.float64(1.0)) == 1.0
    with pytest.raises(ValueError, match="sine_a"):
        resolve_activation("sine_1000")  # sinh(1000) overflows: ǎ would be inf / inf
    with pytest.raises(ValueError, match="sine_a"):
        resolve_activation("sine_1e-320")
    with pytest.raises(ValueError, match="degree"):
        resolve_activation(np.eye(MAX_HERMITE_DEGREE + 2)[-1])
    with pytest.raises(ValueError, match="parameter"):
        Activation(name="s", family="sine", parameter=0.0)
    with pytest.raises(ValueError, match="coefficients"):
        Activation(name="h", family="hermite", coefficients=(0.5, 0.5))
    with pytest.raises(ValueError, match="coefficients"):
        Activation(name="r", family="relu", coefficients=(1.0,))
    with pytest.raises(ValueError, match="family"):
        Activation(name="t", family="tanh")  # type: ignore[arg-type]  # outside the Literal, deliberately
    # normalised only to within NORMALIZATION_TOL: ǎ′(1) < 1, no singular exponent
    with pytest.raises(ValueError, match="undefined"):
        singular_exponent([0.0, math.sqrt(1.0 - 1e-11)])


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_overflowing_diagonals_and_duals_raise_named_errors() -> None:
    from theorybook.boundary import NonFiniteResult
    from theorybook.ntk import hermite_coefficients, monte_carlo_dual

    assert math.isfinite(ntk_diagonal(1000, "3d_opt"))
    with pytest.raises(ValueError, match="depth 1100"):
        ntk_diagonal(1100, "3d_opt")
    with pytest.raises(ValueError, match="overflows"):
        ntk_kernel_numpy(_sphere(3), _sphere(2), 1100, "3d_opt")
    with pytest.raises(ValueError, match="overflows"):
        kernel_sweep(_sphere(3), None, (10, 1100), "3d_opt")
    with pytest.raises(ValueError, match="phi"):
        monte_carlo_dual(lambda x: x[:-1], np.array([0.5]), samples=10)
    with pytest.raises(ValueError, match="phi"):
        monte_carlo_dual(lambda x: np.exp(1000 * x), np.array([0.5]), samples=10)
    with pytest.raises(NonFiniteResult, match="monte_carlo_dual"):
        monte_carlo_dual(lambda x: np.full_like(x, 1e200), np.array([0.5]), samples=10)
    with pytest.raises(NonFiniteResult, match="hermite_coefficients"):
        hermite_coefficients(lambda x: np.full_like(x, 1e307), 20, nodes=60)


def test_log_kernels_hold_signs_and_logs() -> None:
    from theorybook.ntk import LogKernel

    k = LogKernel(sign=np.array([[1.0, 0.0]]), log_abs=np.array([[-2.0, -np.inf]]))
    assert k.shape == (1, 2) and k.dense().tolist() == [[math.exp(-2.0), 0.0]]
    with pytest.raises(ValueError, match="sign"):
        LogKernel(sign=np.array([[0.5]]), log_abs=np.array([[0.0]]))
    with pytest.raises(ValueError, match="log_abs"):
        LogKernel(sign=np.array([[1.0]]), log_abs=np.array([[np.nan]]))
    with pytest.raises(TypeError, match="log_abs"):
        LogKernel(sign=np.ones((2, 2)), log_abs=np.zeros((2, 3)))


# --- claims at smoke scale ------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_table(smoke_chapter_run: Callable[[str], Any]) -> object:
    # chapter_claims(run_all(Config.preset("smoke"))) at THEORYBOOK_SCALE=smoke (the rows record
    # the scale they ran at), shared with the contract test (conftest.py)
    run = smoke_chapter_run("ntk")
    assert run.cfg == Config.preset("smoke")
    return run.table


def test_claims_hold_at_smoke_scale(smoke_table: object) -> None:
    from theorybook.claims import ClaimTable, Status

    assert isinstance(smoke_table, ClaimTable)
    assert smoke_table.chapter == "04_ntk_optimal_classifiers"
    assert not smoke_table.failures()
    # on 300 points the designed network agrees as well with a Hilbert classifier of an
    # exponent more than 0.5 away: the check does not pin the exponent at smoke scale
    hilbert = smoke_table["designed-hilbert"]
    assert hilbert.passes and hilbert.status is Status.NOT_SEPARATING
    assert "exponent" in hilbert.baseline_name
    bad = [c.id for c in smoke_table.claims if c.status is Status.NOT_SEPARATING]
    assert bad == ["designed-hilbert", "designed-hilbert-dims"]
    # every verdict row but the exact ones has a challenger: none is unchallenged
    challenged = {c.id for c in smoke_table.challenged_holds()}
    assert challenged == {"hermite-1nn"}
    assert not [c.id for c in smoke_table.claims if c.status is Status.UNCHALLENGED]
    for c in smoke_table.claims:
        if c.kind != "exact" and c.check.decides:
            assert c.baseline is not None, c.id
    # the ReLU limit and the consistency trend are decided at book scale, pending at smoke
    assert smoke_table["relu-majority"].expected_at == "book"
    assert smoke_table["consistency-trend"].expected_at == "book"
    # one measured quantity is one row: the consistency trend is one row, the rise of the ReLU
    # agreement is relu-majority's value against its challenger
    ids = {c.id for c in smoke_table.claims}
    assert not ids & {"consistency-vs-1nn", "consistency-vs-majority", "relu-majority-rises"}
    assert "1-NN limit" in smoke_table["consistency-trend"].note
    assert "NNGP" in smoke_table["consistency-trend"].procedure
    for c in smoke_table.of_kind("reproduction"):
        assert "inf_depth_ntks" in c.procedure, c.id


def test_limit_accuracies_match_the_closed_forms_for_d2() -> None:
    """On the D = 2 setting (Beta densities 2(1 − s) and 2s, prior 0.4) the Bayes accuracy is
    0.76 exactly and the 1-NN limit ∫ (p₁² + p₂²)/(p₁ + p₂) ds (Cover & Hart)."""
    from scipy import integrate

    from theorybook.ntk.consistency import limit_accuracies

    def parts(s: float) -> tuple[float, float]:
        return 0.8 * (1 - s), 1.2 * s

    nn = integrate.quad(lambda s: (lambda a, b: (a * a + b * b) / (a + b))(*parts(s)), 0, 1)[0]
    bayes, nearest = limit_accuracies(*dirichlet_setting(2), 0.4, samples=200_000, seed=3)
    assert abs(bayes - 0.76) < 3e-3 and abs(nearest - nn) < 3e-3
    assert 0.676 < nn < 0.678


def test_the_relu_limit_score_is_the_label_sum_over_n_plus_3() -> None:
    """With the deep ReLU NTK's limit, ¾ on the diagonal and ¼ off it, the score at any test
    point is Σy/(n + 3): majority vote, decided by the label sum."""
    n = 7
    y = _y(1, 1, -1, 1, -1, 1, 1)
    k_train = 0.75 * np.eye(n) + 0.25
    k_test = np.full((4, n), 0.25)
    assert np.allclose(kernel_scores(k_train, y, k_test), y.sum() / (n + 3))


def test_relu_draws_have_a_clear_majority() -> None:
    from theorybook.ntk.taxonomy import run_relu_limit

    cfg = _smoke(**{"taxonomy.seeds": (0, 1), "taxonomy.relu_depths": (5, 10)})
    sweep = run_relu_limit(cfg)
    margin = cfg.taxonomy.relu_min_margin
    assert len(sweep.seeds) == 2 and all(abs(t) >= margin for t in sweep.label_sums)
    assert list(sweep.seeds) == sorted(sweep.seeds)
    with pytest.raises(ValueError, match="relu_min_margin"):
        _smoke(**{"taxonomy.relu_min_margin": 51})


def test_hilbert_classifiers_equal_one_call_per_exponent() -> None:
    from theorybook.ntk.classifiers import hilbert_classifiers

    data = dirichlet_sphere_data(90, *dirichlet_setting(3), seed=2)
    X, y, Z, _ = data.split(40)
    many = hilbert_classifiers(X, y, Z, (0.5, 2.0, 7.0))
    for row, p in zip(many, (0.5, 2.0, 7.0), strict=True):
        assert np.array_equal(row, hilbert_classifier(X, y, Z, p))


# --- the paper preset starts ----------------------------------------------------------------


@pytest.mark.paper_preset
def test_paper_preset_starts() -> None:
    cfg = Config.preset("paper")
    cfg.validate()
    con = cfg.consistency
    n = con.ns[-1] + con.n_test
    data = dirichlet_sphere_data(n, *dirichlet_setting(con.dim), cfg.prior, cfg.seed)
    assert data.X.shape == (n, con.dim)
    # one layer of each kernel on a slice of the paper-size data, and the widest network
    k = ntk_kernel(data.X[:200], data.X[:300], 1, con.activation)
    assert np.all(np.isfinite(k))
    assert nngp_kernel(data.X[:200], data.X[:300], 1, cfg.hilbert.activation).shape == (200, 300)
    X = _sphere(2)
    gram = empirical_nngp(X, X, 1, cfg.width.activation, width=cfg.width.widths[-1])
    tr = cfg.training
    train = dirichlet_sphere_data(tr.n + tr.n_test, *dirichlet_setting(tr.dim), seed=cfg.seed)
    Xt, yt, Zt, _ = train.split(tr.n)
    net = train_network(
        Xt, yt, Zt, tr.activation, width=tr.widths[-1], steps=1, learning_rate=tr.lr_scale
    )
    assert net.history.steps == 1 and np.all(np.isfinite(net.test_outputs))
    assert gram.shape == (2, 2) and np.all(np.isfinite(gram))


def test_records_refuse_out_of_range_values_and_mismatched_lengths():
    """Result records check the numbers inside their tuples and that their lengths agree."""
    import dataclasses

    from theorybook.ntk.results import LimitSweep, SettingsResult, TimingResult

    sweep = LimitSweep(
        activation="relu",
        kernel="ntk",
        limit="majority",
        depths=(1, 2),
        seeds=(0, 1),
        agreement=((1.0, 0.5), (0.75, math.nan)),  # NaN: not measured
        n_train=10,
        n_test=20,
    )
    with pytest.raises(ValueError, match=r"LimitSweep.agreement\[0\]\[1\] must be <= 1"):
        dataclasses.replace(sweep, agreement=((1.0, 1.5), (0.5, 0.5)))
    with pytest.raises(ValueError, match=r"LimitSweep.agreement\[1\] must hold one entry"):
        dataclasses.replace(sweep, agreement=((1.0, 0.5), (0.5,)))
    with pytest.raises(ValueError, match="LimitSweep.agreement must hold one entry per element"):
        dataclasses.replace(sweep, seeds=(0, 1, 2))
    with pytest.raises(ValueError, match=r"LimitSweep.depths\[0\] must be >= 1"):
        dataclasses.replace(sweep, depths=(0, 2))
    with pytest.raises(ValueError, match="LimitSweep.n_train must be >= 1"):
        dataclasses.replace(sweep, n_train=-5)
    settings = SettingsResult(
        dims=(3, 5),
        activations=("3d_opt", "5d_opt"),
        n=10,
        n_test=10,
        depth=4,
        accuracy={"NNGP": (0.5, 0.75)},
        kernel_hilbert_agreement=(1.0, 1.0),
        kernel_off_agreement=(0.9, 0.9),
    )
    with pytest.raises(ValueError, match=r"SettingsResult.accuracy\['NNGP'\] must hold one"):
        dataclasses.replace(settings, accuracy={"NNGP": (0.5,)})
    with pytest.raises(ValueError, match=r"SettingsResult.accuracy\['NNGP'\]\[0\] must be >= 0"):
        dataclasses.replace(settings, accuracy={"NNGP": (-0.5, 0.5)})
    with pytest.raises(ValueError, match="TimingResult.jax_seconds must be >= 0"):
        TimingResult(n=4, depth=2, activation="relu", jax_seconds=-1.0, numpy_seconds=1.0)


def test_dirichlet_data_record_checks_dtype_and_lengths():
    """``DirichletData`` refuses float16 points, a label per point missing, a wrong ``α``."""
    import dataclasses

    data = dirichlet_sphere_data(10, *dirichlet_setting(3))
    with pytest.raises(TypeError, match="DirichletData.X"):
        dataclasses.replace(data, X=data.X.astype(np.float16))
    with pytest.raises(TypeError, match="DirichletData.y"):
        dataclasses.replace(data, y=data.y[:3])
    with pytest.raises(ValueError, match="one parameter per coordinate"):
        dataclasses.replace(data, alphas1=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"DirichletData.alphas2\[0\]"):
        dataclasses.replace(data, alphas2=(-1.0, 1.0, 1.0))
