"""Tests of theorybook.rae: densities, criteria, models, training, samplers, config, claims."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch

from theorybook.boundary import NonFiniteResult
from theorybook.rae import (
    Config,
    GaussianMixture,
    LinearAutoencoder,
    NinjaStar,
    Results,
    Sampler,
    ScoreAutoencoder,
    Training,
    approximate_mh,
    bimodal_mixture,
    dae_loss,
    distance_to_spiral,
    estimated_hessian,
    estimated_score,
    exact_mh,
    integrated_log_ratio,
    jacobian_terms,
    knn_kl_divergence,
    langevin_mh,
    linear_criterion_gradient,
    load_digits_split,
    optimal_linear_reconstruction,
    rcae_loss,
    sample_spiral,
    spiral_curve,
    train_autoencoder,
)
from theorybook.rae import experiments as ex
from theorybook.rae import figures as fg
from theorybook.rae.claims import CHAPTER, chapter_claims
from theorybook.rae.references import weighted_relative_error
from theorybook.training import SolverDiverged, TrainingDiverged

torch.set_default_dtype(torch.float32)


def _grad(fn, x: np.ndarray) -> np.ndarray:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    return torch.autograd.grad(fn(t).sum(), t)[0].numpy()


# ----------------------------------------------------------------------------- densities


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_mixture_score_and_hessian_match_autograd(dim: int) -> None:
    rng = np.random.default_rng(dim)
    p = GaussianMixture(rng.normal(size=(3, dim)), [0.5, 0.8, 1.1], [0.2, 0.3, 0.5])
    x = rng.normal(size=(7, dim))
    np.testing.assert_allclose(p.score(x), _grad(p.log_prob, x), atol=1e-10)
    t = torch.tensor(x, dtype=torch.float64)
    hess = torch.stack(
        [torch.autograd.functional.hessian(lambda z: p.log_prob(z[None])[0], r) for r in t]
    )
    np.testing.assert_allclose(p.hessian(x), hess.numpy(), atol=1e-9)


def test_mixture_log_prob_normalised_and_samples() -> None:
    p = bimodal_mixture()
    x = np.linspace(-6, 6, 20001)[:, None]
    assert math.isclose(np.trapezoid(np.exp(p.log_prob(x)), x[:, 0]), 1.0, rel_tol=1e-8)
    s = p.sample(40_000, seed=1)
    assert s.shape == (40_000, 1)
    assert abs(s.std() - math.sqrt(1.09)) < 0.02


def test_tweedie_posterior_mean_identity() -> None:
    p = GaussianMixture([[0.0, 1.0], [2.0, -1.0]], [0.4, 0.7], [0.6, 0.4])
    x = np.random.default_rng(0).normal(size=(50, 2)) * 2
    for sigma in (0.05, 0.5, 2.0):
        np.testing.assert_allclose(
            p.posterior_mean(x, sigma), x + sigma**2 * p.smoothed(sigma).score(x), atol=1e-12
        )


def test_tweedie_quadrature_experiment() -> None:
    res = ex.run_tweedie(Config.preset("smoke"))
    assert res.max_error_quadrature < 1e-8
    assert res.max_error_bayes < 1e-12


def test_densities_keep_tensor_type_and_dtype() -> None:
    p = bimodal_mixture()
    t = torch.zeros(4, 1, dtype=torch.float32)
    out = p.score(t)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert isinstance(p.score(np.zeros((4, 1))), np.ndarray)


def test_ninja_star_score_normaliser_and_samples() -> None:
    star = NinjaStar(grid=400)
    x = star.sample(500, seed=0)
    assert x.shape == (500, 2)
    np.testing.assert_allclose(star.score(x), _grad(star.log_prob, x), atol=1e-9)
    # the density integrates to one on the lattice
    g = np.linspace(-5, 5, 801)
    xx, yy = np.meshgrid(g, g)
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    mass = np.exp(star.log_prob(pts)).sum() * (g[1] - g[0]) ** 2
    assert abs(mass - 1) < 1e-2
    radius = np.sqrt((x**2).sum(1))
    assert 1.0 < np.median(radius) < 2.5


def test_spiral_samples_lie_on_the_curve() -> None:
    pts = sample_spiral(300, seed=0)
    assert distance_to_spiral(pts).max() < 2e-3
    r = np.sqrt((spiral_curve(100) ** 2).sum(1))
    assert 0.11 < r.min() < 0.13 and 0.59 < r.max() < 0.61


# ----------------------------------------------------------------------------- criteria


def test_optimal_linear_reconstruction_is_stationary() -> None:
    cov = np.array([[2.0, 0.3], [0.3, 0.5]])
    w = optimal_linear_reconstruction(cov, 0.4).numpy()
    assert np.abs(linear_criterion_gradient(w, cov, 0.4).numpy()).max() < 1e-12
    # small σ: W* = I − σ² Σ⁻¹ + O(σ⁴)
    w_small = optimal_linear_reconstruction(cov, 1e-3).numpy()
    np.testing.assert_allclose(w_small, np.eye(2) - 1e-6 * np.linalg.inv(cov), atol=1e-11)


def test_rcae_loss_of_a_linear_map_is_exact() -> None:
    torch.manual_seed(0)
    m = LinearAutoencoder(3, sigma=0.3).double()
    with torch.no_grad():
        m.linear.weight.copy_(torch.randn(3, 3, dtype=torch.float64))
        m.linear.bias.zero_()
    x = torch.randn(64, 3, dtype=torch.float64)
    w = m.linear.weight.detach()
    want = (((x @ w.T) - x) ** 2).sum(1).mean() + 0.09 * (w**2).sum()
    assert torch.allclose(rcae_loss(m, x, 0.3), want, atol=1e-12)


def test_hutchinson_is_unbiased_for_the_jacobian_terms() -> None:
    torch.manual_seed(0)
    m = ScoreAutoencoder(5, hidden=16, sigma=0.5).double()
    x = torch.randn(8, 5, dtype=torch.float64)
    tr, fr = jacobian_terms(m, x)
    gen = torch.Generator().manual_seed(0)
    tr_h, fr_h = jacobian_terms(m, x, jacobian="hutchinson", n_probes=4000, generator=gen)
    assert torch.allclose(tr_h, tr, rtol=0.1, atol=0.02)
    assert torch.allclose(fr_h, fr, rtol=0.1, atol=0.02)


def test_dae_loss_expectation_for_the_identity() -> None:
    m = LinearAutoencoder(2, sigma=0.2).double()
    with torch.no_grad():
        m.linear.weight.copy_(torch.eye(2, dtype=torch.float64))
    x = torch.zeros(200_000, 2, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    # r = id: ‖σε‖² has mean dσ²
    assert abs(dae_loss(m, x, 0.2, generator=gen).item() - 2 * 0.04) < 1e-3


# ----------------------------------------------------------------------------- models


def test_estimated_score_and_hessian_of_the_scaled_model() -> None:
    torch.manual_seed(0)
    m = ScoreAutoencoder(2, hidden=8, sigma=0.05)
    x = np.random.default_rng(0).normal(size=(6, 2))
    with torch.no_grad():
        h = m.net(torch.as_tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(estimated_score(m, x), h, atol=1e-6)
    # the Hessian estimate of a linear map r = Wx is (W − I)/σ²
    lin = LinearAutoencoder(2, sigma=0.1).double()
    with torch.no_grad():
        lin.linear.weight.copy_(torch.tensor([[0.9, 0.01], [0.02, 0.95]], dtype=torch.float64))
    hess = estimated_hessian(lin, x)
    want = (np.array([[0.9, 0.01], [0.02, 0.95]]) - np.eye(2)) / 0.01
    np.testing.assert_allclose(hess, np.broadcast_to(want, (6, 2, 2)), atol=1e-9)


def test_unscaled_model_divides_by_sigma_squared() -> None:
    torch.manual_seed(0)
    m = ScoreAutoencoder(1, hidden=8, sigma=0.1, scaled=False)
    x = np.linspace(-1, 1, 5)[:, None]
    with torch.no_grad():
        g = m.net(torch.as_tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(estimated_score(m, x), g / 0.01, rtol=1e-5)


# ----------------------------------------------------------------------------- training


def test_training_learns_a_gaussian_score() -> None:
    data = np.random.default_rng(0).normal(size=(4000, 1))
    m = ScoreAutoencoder(1, hidden=16, sigma=0.3)
    hist = train_autoencoder(
        m,
        data,
        criterion="rcae",
        sigma_schedule=(0.3, 0.1),
        training=Training(steps=300, batch_size=256, lr=1e-2),
    )
    assert hist.steps == 600 and m.sigma == 0.1
    assert hist.records["sigma"][299] == 0.3 and hist.records["sigma"][300] == 0.1
    x = np.linspace(-1.5, 1.5, 31)[:, None]
    # ∇log N(0, 1) = −x
    assert np.abs(estimated_score(m, x) + x).max() < 0.25


def test_training_raises_on_a_non_finite_loss() -> None:
    class Broken(ScoreAutoencoder):
        def displacement(self, x: torch.Tensor) -> torch.Tensor:
            return super().displacement(x) * float("nan")

    with pytest.raises(TrainingDiverged, match="step 1: loss = nan"):
        train_autoencoder(Broken(1, hidden=4), np.zeros((10, 1)), training=Training(steps=3))


@pytest.mark.parametrize("criterion", ["dae", "rcae"])
@pytest.mark.parametrize("model", ["score", "linear"])
def test_training_at_a_huge_learning_rate_raises_naming_the_step(
    criterion: str, model: str
) -> None:
    """Every trainer of the chapter (train_autoencoder, the one trainer, on each model and
    criterion) stops with TrainingDiverged at a learning rate of 1e8."""
    torch.manual_seed(0)
    data = np.random.default_rng(0).normal(size=(256, 2))
    net = ScoreAutoencoder(2, hidden=8) if model == "score" else LinearAutoencoder(2)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+: loss = "):
        train_autoencoder(
            net,
            data,
            criterion=criterion,
            sigma_schedule=(0.3, 0.1),
            training=Training(steps=50, batch_size=64, lr=1e8),
        )


def test_training_stops_when_weights_explode_under_a_bounded_loss() -> None:
    """A model whose displacement saturates (``σ² tanh(h)``) keeps a bounded DAE loss at any
    learning rate; at lr 1e7 its weights still explode, and the trainer stops naming the step."""

    class Saturating(ScoreAutoencoder):
        def displacement(self, x: torch.Tensor) -> torch.Tensor:
            return self.sigma**2 * torch.tanh(self.net(x))

    torch.manual_seed(0)
    data = np.random.default_rng(0).normal(size=(256, 2))
    net = Saturating(2, hidden=8)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+: a weight reached"):
        train_autoencoder(
            net,
            data,
            criterion="dae",
            sigma_schedule=(0.3,),
            training=Training(steps=50, batch_size=64, lr=1e7),
        )


def test_models_refuse_an_input_of_another_dtype_naming_it() -> None:
    """A float64 batch to a float32 network: a TypeError naming ``x``, not torch's mat1/mat2."""
    x = torch.randn(5, 2).double()
    for net in (ScoreAutoencoder(2, hidden=8, depth=1), LinearAutoencoder(2)):
        with pytest.raises(TypeError, match=r"^x has dtype torch.float64"):
            net(x)
        with pytest.raises(TypeError, match=r"^x has dtype torch.float64"):
            net.score_field(x)


HUGE_STEP_SAMPLERS = {
    "approximate MH": lambda x0: approximate_mh(P.score, x0, 20, 1e13, seed=0),
    "exact MH": lambda x0: exact_mh(P.log_prob, x0, 20, 1e13, seed=0),
    "Langevin MH": lambda x0: langevin_mh(P.score, x0, 20, 1e30, seed=0),
}


@pytest.mark.parametrize("name", sorted(HUGE_STEP_SAMPLERS))
def test_samplers_with_a_huge_step_raise_naming_the_step(name: str) -> None:
    with pytest.raises(SolverDiverged, match=rf"{name} \(proposals\) diverged at step 1"):
        HUGE_STEP_SAMPLERS[name](np.zeros((4, 1)))


def test_a_sampler_on_a_learned_score_with_a_huge_step_raises_naming_the_step() -> None:
    m = ScoreAutoencoder(1, hidden=4, sigma=0.1)
    with pytest.raises(SolverDiverged, match=r"approximate MH \(proposals\) diverged at step 1"):
        approximate_mh(partial(estimated_score, m), np.zeros((4, 1)), 20, 1e13, seed=0)


@pytest.mark.parametrize("sampler", ["approximate", "langevin"])
def test_a_score_turning_nan_mid_run_is_reported_with_its_step(sampler: str) -> None:
    calls = {"n": 0}

    def score(x: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        return np.full_like(x, np.nan) if calls["n"] > 3 else -x

    run = approximate_mh if sampler == "approximate" else langevin_mh
    with pytest.raises(ValueError, match=r"score at step \d+ returned NaN or inf"):
        run(score, np.zeros((4, 1)), 10, 0.1, seed=0)


def test_linear_autoencoders_match_the_closed_form() -> None:
    cfg = Config.preset("smoke")
    res = ex.run_linear(cfg)
    assert res.gradient_at_optimum < 1e-12
    assert max(res.errors.values()) < 0.03


# ----------------------------------------------------------------------------- sampling


def test_integrated_log_ratio_is_exact_for_a_gaussian() -> None:
    p = GaussianMixture([[0.5, -0.5]], [0.7], [1.0])
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 2)), rng.normal(size=(20, 2))
    want = p.log_prob(b) - p.log_prob(a)
    np.testing.assert_allclose(integrated_log_ratio(p.score, a, b, n_points=2), want, atol=1e-12)
    # the one-point rule is only first order
    assert np.abs(integrated_log_ratio(p.score, a, b, n_points=1) - want).max() > 0.1


@pytest.mark.parametrize("sampler", ["exact", "approximate", "langevin"])
def test_samplers_recover_a_gaussian(sampler: str) -> None:
    p = GaussianMixture([[1.0]], [0.5], [1.0])
    x0 = np.zeros((400, 1))
    if sampler == "exact":
        res = exact_mh(p.log_prob, x0, 400, 0.8, seed=0)
    elif sampler == "approximate":
        res = approximate_mh(p.score, x0, 400, 0.8, seed=0)
    else:
        res = langevin_mh(p.score, x0, 400, 0.05, seed=0)
    s = res.samples(burn_in=100)
    assert res.chains.shape == (401, 400, 1)
    assert 0 < res.acceptance_rate <= 1 and res.chain_steps_per_second > 0
    assert abs(s.mean() - 1.0) < 0.03 and abs(s.std() - 0.5) < 0.03


def test_approximate_mh_accepts_a_learned_model_score() -> None:
    m = ScoreAutoencoder(1, hidden=4, sigma=0.1)
    res = approximate_mh(partial(estimated_score, m), np.zeros((5, 1)), 10, 0.5, seed=0)
    assert res.chains.shape == (11, 5, 1)


def test_knn_kl_divergence() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3000, 2)), rng.normal(size=(3000, 2))
    assert abs(knn_kl_divergence(a, b)) < 0.05
    # KL(N(0, I) ‖ N(μ, I)) = ‖μ‖²/2 = 1 for μ = (1, 1)
    assert abs(knn_kl_divergence(a, b + 1.0) - 1.0) < 0.15


# ----------------------------------------------------------------------------- degenerate limits


def test_optimal_linear_map_tends_to_the_projection_onto_the_range_of_a_singular_cov() -> None:
    v = np.array([1.0, 1.0]) / np.sqrt(2.0)
    cov = np.outer(v, v)  # rank one: Σ + σ²I is singular to working precision as σ → 0
    for sigma in (1e-9, 1e-200):  # the second: σ² underflows to 0
        w = optimal_linear_reconstruction(cov, sigma).numpy()
        np.testing.assert_allclose(w, cov, atol=1e-12)
        grad = linear_criterion_gradient(w, cov, sigma).numpy()
        assert np.isfinite(grad).all() and np.abs(grad).max() < 1e-12
    with pytest.raises(ValueError, match="sigma = 1e.200 is too large"):
        optimal_linear_reconstruction(cov, 1e200)
    with pytest.raises(ValueError, match="cov must be positive semi-definite"):
        optimal_linear_reconstruction(np.array([[1.0, 0.0], [0.0, -1.0]]), 0.1)


DEGENERATE = {
    "σ⁴ of a training level underflows": (
        "sigma_schedule\\[1\\]",
        lambda: train_autoencoder(
            ScoreAutoencoder(1, hidden=4),
            np.zeros((8, 1)),
            sigma_schedule=(0.1, 1e-80),
            training=Training(steps=1, batch_size=4),
        ),
    ),
    "σ² of a model underflows": ("sigma", lambda: ScoreAutoencoder(1, sigma=1e-160)),
    "σ² of a model overflows": ("sigma", lambda: LinearAutoencoder(1, sigma=1e160)),
    "σ² of the RCAE penalty overflows": ("sigma", lambda: rcae_loss(M, X, 1e160)),
    "a mixture std whose square underflows": (
        "stds",
        lambda: GaussianMixture([0.0], [1e-160], [1.0]),
    ),
    "a ninja-star box whose cells underflow": ("half_width", lambda: NinjaStar(half_width=1e-200)),
    "a ninja-star box whose energy overflows": ("half_width", lambda: NinjaStar(half_width=1e100)),
    "a digits split with an empty held-out part": (
        "test_fraction",
        lambda: load_digits_split(test_fraction=1e-5),
    ),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_limits_raise_naming_the_argument(name: str) -> None:
    argument, make = DEGENERATE[name]
    with pytest.raises(ValueError, match=argument):
        make()


def test_an_unscaled_model_at_a_tiny_sigma_raises_instead_of_returning_inf() -> None:
    m = ScoreAutoencoder(1, hidden=4, sigma=1e-30, scaled=False)  # g/σ² overflows float32
    with pytest.raises(NonFiniteResult, match="estimated_score"):
        estimated_score(m, np.ones((3, 1)))


def test_knn_kl_divergence_of_coincident_points_is_finite() -> None:
    a = np.zeros((10, 2))
    assert math.isfinite(knn_kl_divergence(a, a.copy(), k=3))


def test_a_batch_of_another_dtype_is_refused_naming_it() -> None:
    with pytest.raises(TypeError, match="x has dtype torch.float64"):
        dae_loss(M, X.double(), 0.1)


# ----------------------------------------------------------------------------- bad inputs

P = bimodal_mixture()
M = ScoreAutoencoder(1, hidden=4)
X = torch.zeros(4, 1)

BAD_CALLS = {
    "mixture means/stds length": lambda: GaussianMixture([0.0, 1.0], [1.0], [1.0]),
    "mixture negative std": lambda: GaussianMixture([0.0], [-1.0], [1.0]),
    "mixture weights sum": lambda: GaussianMixture([0.0, 1.0], [1.0, 1.0], [0.5, 0.6]),
    "mixture nan mean": lambda: GaussianMixture([np.nan], [1.0], [1.0]),
    "log_prob wrong dim": lambda: P.log_prob(np.zeros((3, 2))),
    "score 1-D input": lambda: P.score(np.zeros(3)),
    "score nan": lambda: P.score(np.array([[np.nan]])),
    "score int tensor": lambda: P.score(torch.zeros(2, 1, dtype=torch.int64)),
    "score empty": lambda: P.score(np.zeros((0, 1))),
    "sample n=0": lambda: P.sample(0, seed=0),
    "sample bool seed": lambda: P.sample(5, seed=True),
    "smoothed negative sigma": lambda: P.smoothed(-0.1),
    "posterior_mean sigma=0": lambda: P.posterior_mean(np.zeros((2, 1)), 0.0),
    "ninja grid too small": lambda: NinjaStar(grid=10),
    "spiral negative noise": lambda: sample_spiral(10, seed=0, noise=-1.0),
    "distance wrong shape": lambda: distance_to_spiral(np.zeros((3, 3))),
    "model dim 0": lambda: ScoreAutoencoder(0),
    "model sigma nan": lambda: ScoreAutoencoder(1, sigma=float("nan")),
    "model bad activation": lambda: ScoreAutoencoder(1, activation="relu"),
    "model scaled not bool": lambda: ScoreAutoencoder(1, scaled=1),  # type: ignore[arg-type]
    "estimated_score not a model": lambda: estimated_score(lambda x: x, np.zeros((2, 1))),  # type: ignore[arg-type]
    "estimated_score wrong dim": lambda: estimated_score(M, np.zeros((2, 3))),
    "dae_loss numpy input": lambda: dae_loss(M, np.zeros((2, 1)), 0.1),  # type: ignore[arg-type]
    "dae_loss sigma 0": lambda: dae_loss(M, X, 0.0),
    "rcae_loss bad jacobian": lambda: rcae_loss(M, X, 0.1, jacobian="fast"),
    "rcae_loss probes 0": lambda: rcae_loss(M, X, 0.1, jacobian="hutchinson", n_probes=0),
    "optimal linear not square": lambda: optimal_linear_reconstruction(np.zeros((2, 3)), 0.1),
    "optimal linear not symmetric": lambda: optimal_linear_reconstruction([[1, 2], [0, 1]], 0.1),
    "train bad criterion": lambda: train_autoencoder(M, np.zeros((4, 1)), criterion="mse"),
    "train empty schedule": lambda: train_autoencoder(M, np.zeros((4, 1)), sigma_schedule=()),
    "train negative sigma": lambda: train_autoencoder(M, np.zeros((4, 1)), sigma_schedule=(-1,)),
    "train wrong data dim": lambda: train_autoencoder(M, np.zeros((4, 2))),
    "train float steps": lambda: train_autoencoder(
        M, np.zeros((4, 1)), training=Training(steps=1.5)
    ),  # type: ignore[arg-type]
    "train not a block": lambda: train_autoencoder(M, np.zeros((4, 1)), training={"steps": 1}),  # type: ignore[arg-type]
    "training zero batch": lambda: Training(batch_size=0),
    "train nan data": lambda: train_autoencoder(M, np.full((4, 1), np.nan)),
    "mh score not callable": lambda: approximate_mh(None, np.zeros((2, 1)), 5, 0.1, seed=0),  # type: ignore[arg-type]
    "mh x0 1-D": lambda: approximate_mh(P.score, np.zeros(2), 5, 0.1, seed=0),
    "mh zero steps": lambda: approximate_mh(P.score, np.zeros((2, 1)), 0, 0.1, seed=0),
    "mh negative proposal": lambda: approximate_mh(P.score, np.zeros((2, 1)), 5, -0.1, seed=0),
    "mh score wrong shape": lambda: approximate_mh(
        lambda x: x[:, 0], np.zeros((2, 1)), 5, 0.1, seed=0
    ),
    "mh score nan": lambda: approximate_mh(
        lambda x: np.full_like(x, np.nan), np.zeros((2, 1)), 5, 0.1, seed=0
    ),
    "langevin step 0": lambda: langevin_mh(P.score, np.zeros((2, 1)), 5, 0.0, seed=0),
    "exact_mh log_prob shape": lambda: exact_mh(lambda x: x, np.zeros((2, 2)), 5, 0.1, seed=0),
    "samples burn_in too big": lambda: exact_mh(
        P.log_prob, np.zeros((2, 1)), 5, 0.1, seed=0
    ).samples(burn_in=10),
    "knn k too large": lambda: knn_kl_divergence(np.zeros((3, 1)), np.zeros((3, 1)), k=5),
    "knn dim mismatch": lambda: knn_kl_divergence(np.zeros((10, 1)), np.zeros((10, 2))),
    "digits split fraction": lambda: load_digits_split(test_fraction=1.0),
    "config bad burn-in": lambda: Config.preset("smoke").replace(
        **{"mixture.sampler.burn_in": 10_000}
    ),
    "config negative lr": lambda: Config.preset("smoke").replace(**{"mixture.training.lr": -1.0}),
    "config zero sigma": lambda: Config.preset("smoke").replace(**{"mixture.sigmas": (0.3, 0.0)}),
    "config one limit sigma": lambda: Config.preset("smoke").replace(
        **{"mixture.limit_sigmas": (0.1, 0.1)}
    ),
    "config block of the wrong kind": lambda: Config(spiral=Training()),  # type: ignore[arg-type]
    "samples float burn_in": lambda: exact_mh(P.log_prob, np.zeros((2, 1)), 5, 0.1, seed=0).samples(
        burn_in=1.5  # type: ignore[arg-type]
    ),
    "run_tweedie not a config": lambda: ex.run_tweedie({"mix_grid": 11}),  # type: ignore[arg-type]
    "run_mh_1d not a result": lambda: ex.run_mh_1d(Config.preset("smoke"), None),  # type: ignore[arg-type]
    "config n_shown 0": lambda: Config.preset("smoke").replace(**{"digits.n_shown": 0}),
    "run_not_an_energy not a result": lambda: ex.run_not_an_energy(Config.preset("smoke"), None),  # type: ignore[arg-type]
    "chapter_claims not results": lambda: chapter_claims(None, Config.preset("smoke")),  # type: ignore[arg-type]
    "weighted error shapes": lambda: weighted_relative_error(np.zeros(3), np.ones(4), np.ones(3)),
    "weighted error negative weight": lambda: weighted_relative_error(
        np.zeros(3), np.ones(3), -np.ones(3)
    ),
    "config one run": lambda: Config.preset("smoke").replace(**{"star.runs": 1}),
    "config float steps": lambda: Config.preset("smoke").replace(
        **{"mixture.training.steps": 10.5}
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_input_gives_a_clear_error(name: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        BAD_CALLS[name]()
    assert str(info.value), f"{name}: empty error message"


# ----------------------------------------------------------------------------- config, figures, claims


def test_presets_validate() -> None:
    for which in ("smoke", "book", "paper"):
        cfg = Config.preset(which)
        assert cfg.mixture.sampler.burn_in < cfg.mixture.sampler.steps


def _tiny() -> Config:
    return Config.preset("smoke").replace(
        **{
            "mixture.sigmas": (0.3, 0.1),
            "mixture.n_train": 500,
            "mixture.training.steps": 20,
            "mixture.grid": 41,
            "mixture.sampler": Sampler(chains=20, steps=30, burn_in=10),
            "linear.n_train": 200,
            "linear.training.steps": 10,
            "spiral.n_train": 200,
            "spiral.training.steps": 10,
            "spiral.grid": 8,
            "star.runs": 2,
            "star.sampler": Sampler(chains=40, steps=10, proposal_std=0.5),
            "star.reference": 60,
            "star.n_train": 200,
            "star.training.steps": 5,
            "digits.network.hidden": 16,
            "digits.training.steps": 5,
            "digits.sampler": Sampler(chains=2, steps=10, proposal_std=0.02, langevin_step=0.002),
            "digits.timing_batch": 4,
            "digits.n_shown": 4,
        }
    )


@pytest.fixture(scope="module")
def tiny_run() -> tuple[Config, Results]:
    """run_all on the tiny config at THEORYBOOK_SCALE=smoke, once for the two tests below."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("THEORYBOOK_SCALE", "smoke")
        cfg = _tiny()
        return cfg, ex.run_all(cfg)


def test_run_all_matches_the_experiments_one_at_a_time(
    tiny_run: tuple[Config, Results], smoke_scale: str
) -> None:
    cfg, results = tiny_run
    scores = ex.run_score_vs_sigma(cfg)
    assert results.scores.error_true == scores.error_true
    np.testing.assert_array_equal(results.spiral.field, ex.run_spiral(cfg).field)
    assert results.digits.chains["Langevin MH"].shape == (4, 2, 64)


def test_every_figure_and_the_claims_table_build(
    tiny_run: tuple[Config, Results], smoke_scale: str
) -> None:
    cfg, results = tiny_run
    sc, st = results.scores, results.star
    for f in (
        fg.score_figure(sc),
        fg.energy_figure(results.energy, sc),
        fg.spiral_figure(results.spiral),
        fg.sampling_figure(results.mh, st),
        fg.digits_chains_figure(results.digits),
    ):
        assert f.get_size_inches()[0] <= 7.0 + 1e-9
    table = chapter_claims(results, cfg)
    assert table.chapter == CHAPTER == "01_regularized_autoencoders"
    assert table["tweedie"].kind == "exact"
    assert table["finite-sigma-dae"].baseline is not None
    for claim in table:  # every verdict row on a method is challenged or says why not
        if claim.kind != "exact" and claim.check.decides:
            assert claim.baseline is not None, claim.id
    assert set(st.kl) == {"exact", "one-point", "trapezoid", "langevin", "learned"}
    assert len(st.quadrature_flips) == cfg.star.runs * cfg.star.sampler.chains
    assert st.flip_rate["trapezoid"] < st.flip_rate["one-point rule"]
    assert set(st.kl_null) == {"never moves", "smoothed", "smoothed final"}
    assert len(results.mh.seed_ks_distance) == cfg.mixture.seeds
    assert "recollection" not in repr(table).lower()


def test_smoke_claims_hold(smoke_chapter_run: Callable[[str], Any]) -> None:
    # run_all → chapter_claims of the smoke preset at THEORYBOOK_SCALE=smoke, shared with the
    # contract test (conftest.py): every experiment at smoke size
    run = smoke_chapter_run("rae")
    assert run.cfg == Config.preset("smoke") and isinstance(run.results, Results)
    table = run.table
    table.assert_hold(
        [
            "tweedie",
            "linear-optimum",
            "rcae-optimum-solver",
            "rcae-optimum-limit",
            "rcae-optimum-criterion",
            "not-an-energy",
        ]
    )
    # rows whose check needs the book preset's training are pending at smoke, never failing
    for row in ("linear-trained-dae", "scaled-parameterisation", "log-ratio-from-score"):
        assert table[row].status.label == "pending", row


# ----------------------------------------------------------------------------- paper preset


@pytest.mark.paper_preset
def test_paper_preset_builds_and_steps() -> None:
    cfg = Config.preset("paper")
    cfg.validate()
    net, dig = cfg.network, cfg.digits.network
    mix = bimodal_mixture().sample(cfg.mixture.training.batch_size, seed=0)
    spiral = sample_spiral(cfg.spiral.training.batch_size, seed=0)
    digits = load_digits_split().train
    cases = [
        (ScoreAutoencoder(1, hidden=net.hidden, depth=net.depth), mix, "rcae", cfg.mixture),
        (ScoreAutoencoder(1, hidden=net.hidden, depth=net.depth), mix, "dae", cfg.mixture),
        (ScoreAutoencoder(2, hidden=net.hidden, depth=net.depth), spiral, "dae", cfg.spiral),
        (ScoreAutoencoder(64, hidden=dig.hidden, depth=dig.depth), digits, "dae", cfg.digits),
        (
            LinearAutoencoder(2),
            np.random.default_rng(0).normal(size=(100, 2)),
            "rcae",
            cfg.linear,
        ),
    ]
    for model, data, crit, block in cases:
        before = [p.detach().clone() for p in model.parameters()]
        sigmas = getattr(block, "sigmas", (getattr(block, "sigma", 0.5),))
        training = block.training
        training = training.replace(steps=1, batch_size=min(training.batch_size, len(data)))
        hist = train_autoencoder(
            model, data, criterion=crit, sigma_schedule=sigmas[:1], training=training
        )
        assert np.isfinite(hist.losses).all()
        assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    star = NinjaStar()
    chains = cfg.star.sampler.chains
    res = approximate_mh(star.score, star.sample(chains, seed=0), 1, 0.5, seed=0)
    assert res.chains.shape == (2, chains, 2)


def test_result_records_refuse_values_their_fields_rule_out() -> None:
    """A record checks ranges, dtypes and lengths shared across its grid fields; NaN passes."""
    import dataclasses

    from theorybook.rae.results import TweedieResult

    g = np.zeros(5)
    ok = TweedieResult(0.1, g, g, g, g, 0.0, float("nan"))
    bad: list[dict[str, object]] = [
        {"max_error_bayes": -1.0},
        {"sigma": 0.0},
        {"by_bayes": np.zeros(4)},
        {"by_bayes": np.zeros(5, dtype=np.float16)},
    ]
    for change in bad:
        with pytest.raises((TypeError, ValueError), match="TweedieResult"):
            dataclasses.replace(ok, **change)  # type: ignore[arg-type]
