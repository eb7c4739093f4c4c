"""Tests of the exact finite-σ RCAE optimum and of the null models the chapter's claims use."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from theorybook.rae import GaussianMixture, NinjaStar, bimodal_mixture
from theorybook.rae.criteria import rcae_optimum_1d
from theorybook.rae.sampling import _delta, _delta_between
from theorybook.rae.sampling_experiments import mixture_cdf
from theorybook.rae.score_experiments import (
    linear_score,
    minima_offset,
    solver_check,
    weighted_relative_error,
)


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


def test_minima_offset_reads_the_zeros_of_the_score() -> None:
    x = np.linspace(-2, 2, 401)
    p = bimodal_mixture()
    rec = p.score(x[:, None])[:, 0] ** 2
    assert minima_offset(rec, x) < 0.02  # minima at the modes and the trough
    assert minima_offset(x**2, x) == pytest.approx(1.0)  # one minimum, at 0
    assert minima_offset(np.zeros_like(x), x) == np.inf  # no strict local minimum


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
