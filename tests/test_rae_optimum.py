"""Tests of the exact finite-σ RCAE optimum and of the null models the chapter's claims use."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from theorybook.rae import GaussianMixture, NinjaStar, bimodal_mixture
from theorybook.rae.criteria import (
    dae_loss,
    linear_criterion_gradient,
    optimal_linear_reconstruction,
    rcae_criterion_1d,
    rcae_optimum_1d,
)
from theorybook.rae.models import LinearAutoencoder
from theorybook.rae.references import (
    criterion_excess,
    criterion_gradients,
    kde_score,
    linear_score,
    minima_distance,
    solver_check,
    target_position,
    weighted_relative_error,
)
from theorybook.rae.sampling import _delta, _delta_between
from theorybook.rae.sampling_experiments import mixture_cdf


@pytest.mark.parametrize("sigma", [0.3, 0.1, 0.03])
def test_rcae_optimum_matches_the_gaussian_closed_form(sigma: float) -> None:
    # p = N(0, s²): the optimum over all functions is linear, h = −x/(s² + σ²)
    assert solver_check(sigma) < 1e-6
    s = 0.4
    x, h = rcae_optimum_1d(GaussianMixture([[0.0]], [s], [1.0]), sigma)
    inside = np.abs(x) <= 3 * s
    np.testing.assert_allclose(h[inside], -x[inside] / (s**2 + sigma**2), atol=1e-5)


def test_rcae_optimum_tends_to_the_score_like_sigma_squared() -> None:
    p = bimodal_mixture()
    x = np.linspace(-2, 2, 401)[:, None]
    dens, score = np.exp(p.log_prob(x)), p.score(x)[:, 0]

    def error(sigma: float) -> float:
        nodes, h = rcae_optimum_1d(p, sigma)
        return weighted_relative_error(np.interp(x[:, 0], nodes, h), score, dens)

    e = [error(s) for s in (0.1, 0.03, 0.01)]
    assert e[0] > e[1] > e[2]
    order = np.log(e[1] / e[2]) / np.log(3.0)
    assert 1.8 < order < 2.2  # the first correction to r is O(σ⁴): the score's error is O(σ²)


def test_rcae_optimum_is_resolved_by_its_grid() -> None:
    p = bimodal_mixture()
    x1, h1 = rcae_optimum_1d(p, 0.03)
    x2, h2 = rcae_optimum_1d(p, 0.03, nodes=40_001)
    inside = np.abs(x1) <= 2
    assert np.abs(h1[inside] - np.interp(x1[inside], x2, h2)).max() < 1e-4


def test_rcae_optimum_refuses_what_it_cannot_solve() -> None:
    with pytest.raises(ValueError, match="1-D"):
        rcae_optimum_1d(GaussianMixture([[0.0, 0.0]], [1.0], [1.0]), 0.1)
    with pytest.raises(ValueError, match="spacing"):
        rcae_optimum_1d(bimodal_mixture(), 0.01, nodes=101)


def test_cached_energy_difference_equals_the_trapezoid_rule() -> None:
    star = NinjaStar()
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    for n in (1, 2, 5):
        cached = _delta_between(star.score, a, b, star.score(a), star.score(b), n, "")
        np.testing.assert_allclose(cached, _delta(star.score, a, b, n), rtol=1e-12, atol=1e-12)


def test_mixture_cdf_matches_scipy_and_samples() -> None:
    p = bimodal_mixture()
    x = np.linspace(-3, 3, 61)
    expected = 0.5 * stats.norm.cdf(x, -1, 0.3) + 0.5 * stats.norm.cdf(x, 1, 0.3)
    np.testing.assert_allclose(mixture_cdf(p, x), expected, atol=1e-14)
    draws = p.sample(20_000, seed=1)[:, 0]
    assert stats.kstest(draws, lambda v: mixture_cdf(p, np.atleast_1d(v))).pvalue > 0.01


def test_minima_distance_reads_the_zeros_of_the_score_and_nothing_else() -> None:
    x = np.linspace(-2, 2, 401)
    p = bimodal_mixture()
    rec = p.score(x[:, None])[:, 0] ** 2
    assert minima_distance(rec, x) < 0.02  # minima at the modes and the trough
    assert minima_distance(x**2, x) == pytest.approx(1.0)  # one minimum, at 0
    assert minima_distance(np.zeros_like(x), x) == np.inf  # no strict local minimum
    # spurious minima count: white noise has minima near −1, 0, 1 and everywhere else
    noise = np.random.default_rng(0).random(len(x))
    assert minima_distance(noise, x) > 0.5
    # a fourth minimum at x = 1.6 is 0.6 from the nearest of −1, 0, 1
    extra = rec.copy()
    extra[np.argmin(np.abs(x - 1.6))] = -1.0
    assert minima_distance(extra, x) == pytest.approx(0.6, abs=0.011)


def test_linear_score_is_the_smoothed_gaussian_fit() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0.5, 2.0, size=(200_000, 1))
    x = np.array([[0.5], [2.5]])
    np.testing.assert_allclose(linear_score(data, 1.0, x)[:, 0], [0.0, -2.0 / 5.0], atol=2e-2)


def test_smoothed_kl_of_the_ninja_star_grows_with_sigma() -> None:
    star = NinjaStar(grid=300)
    kls = [star.smoothed_kl(s) for s in (0.05, 0.1, 0.3)]
    assert 0.0 <= kls[0] < kls[1] < kls[2]
    assert kls[0] < 0.01


def test_energy_distance_sees_distance_and_collapse() -> None:
    from theorybook.rae.sampling import energy_distance

    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 4))
    b = rng.normal(size=(300, 4))
    assert energy_distance(a, a) == 0.0
    same = energy_distance(a, b)
    shifted = energy_distance(a + 1.0, b)
    collapsed = energy_distance(np.repeat(a[:1], 300, axis=0), b)
    assert 0.0 <= same < 0.1 < shifted
    assert collapsed > 0.5  # one point repeated is far from the distribution in energy distance
    with pytest.raises((TypeError, ValueError), match="d"):
        energy_distance(a, b[:, :3])


def test_solver_check_sees_a_solver_that_ignores_its_source() -> None:
    """The manufactured check is passed by the solver and missed by the RCAE optimum itself,
    which is what a solver ignoring the right side it was given would return."""
    assert solver_check(0.3) < 1e-6
    p = bimodal_mixture()
    nodes, h = rcae_optimum_1d(p, 0.3)  # the default source, not the manufactured one
    inside = np.abs(nodes) <= 2.0
    manufactured = np.sin(2 * nodes[inside]) + 0.3 * nodes[inside] ** 2
    assert np.abs(h[inside] - manufactured).max() / np.abs(manufactured).max() > 0.5
    with pytest.raises(ValueError, match="source"):
        rcae_optimum_1d(p, 0.3, source=lambda x: np.ones(3))


def test_rcae_criterion_of_a_linear_map_on_a_gaussian() -> None:
    # p = N(0, s²), h = −a x: r = (1 − σ²a) x, so J = σ⁴a²s² + σ²(1 − σ²a)², least at 1/(s² + σ²)
    s, sigma = 0.5, 0.3
    p = GaussianMixture([[0.0]], [s], [1.0])
    x = np.linspace(-4.0, 4.0, 8001)
    for a in (0.0, 2.0, 1 / (s**2 + sigma**2)):
        want = sigma**4 * a**2 * s**2 + sigma**2 * (1 - sigma**2 * a) ** 2
        assert rcae_criterion_1d(p, sigma, x, -a * x) == pytest.approx(want, rel=1e-6)
    # on a Gaussian the RCAE optimum is ∇log p_σ = −x/(s² + σ²): no excess beyond rounding
    excess, _ = criterion_excess(p, sigma, *rcae_optimum_1d(p, sigma))
    assert abs(excess) < 1e-9
    # on the bimodal mixture the two differ, by far more than the quadrature resolves
    mixture = bimodal_mixture()
    excess, resolution = criterion_excess(mixture, sigma, *rcae_optimum_1d(mixture, sigma))
    assert excess > 1000 * resolution


def test_criterion_gradients_are_the_closed_form_gradient() -> None:
    """Autograd of dae_loss (in exact expectation, by its noise design) and rcae_loss on a sample
    of covariance exactly Σ equals 2(W − I)Σ + 2σ²W at any W, and vanishes at W*."""
    cov = np.array([[1.5, 0.4], [0.4, 0.6]])
    w = np.array([[0.3, -0.2], [0.5, 0.8]])
    want = float(np.abs(linear_criterion_gradient(w, cov, 0.4).numpy()).max())
    got = criterion_gradients(cov, 0.4, w, n=500)
    assert got["dae"] == pytest.approx(want, rel=1e-10)
    assert got["rcae"] == pytest.approx(want, rel=1e-10)
    at_optimum = criterion_gradients(cov, 0.4, optimal_linear_reconstruction(cov, 0.4).numpy())
    assert max(at_optimum.values()) < 1e-12


def test_dae_loss_with_a_noise_design_is_its_expectation() -> None:
    m = LinearAutoencoder(2, sigma=0.3).double()
    w = torch.tensor([[0.7, 0.1], [-0.2, 0.9]], dtype=torch.float64)
    with torch.no_grad():
        m.linear.weight.copy_(w)
        m.linear.bias.zero_()
    x = torch.randn(50, 2, dtype=torch.float64)
    design = np.sqrt(2.0) * np.concatenate([np.eye(2), -np.eye(2)])
    noise = torch.from_numpy(np.tile(design, (50, 1)))
    loss = dae_loss(m, x.repeat_interleave(4, dim=0), 0.3, noise=noise)
    want = (((x @ w.T) - x) ** 2).sum(1).mean() + 0.09 * (w**2).sum()
    assert loss.item() == pytest.approx(want.item(), rel=1e-12)
    with pytest.raises(TypeError, match="noise"):  # 200 draws for 50 points
        dae_loss(m, x, 0.3, noise=noise)


def test_kde_score_tends_to_the_smoothed_score() -> None:
    data = np.random.default_rng(0).normal(size=(100_000, 1))
    x = np.linspace(-1.5, 1.5, 7)[:, None]
    np.testing.assert_allclose(kde_score(data, 0.5, x), -x / 1.25, atol=0.03)


def test_target_position_reads_the_projection() -> None:
    smoothed, optimum, weight = np.zeros(5), np.ones(5), np.ones(5)
    assert target_position(optimum, smoothed, optimum, weight) == pytest.approx(1.0)
    assert target_position(0.25 * optimum, smoothed, optimum, weight) == pytest.approx(0.25)
    orthogonal = np.array([1.0, -1.0, 0.0, 1.0, -1.0])
    assert target_position(orthogonal, smoothed, optimum, weight) == pytest.approx(0.0)
