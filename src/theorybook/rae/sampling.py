"""Metropolis–Hastings with energy differences integrated along a (learned) score.

The acceptance ratio of Metropolis–Hastings needs ``log p(x*) − log p(x)``. A regularized
auto-encoder gives only the score ``∇log p ≈ (r(x) − x)/σ²``; integrating it along the segment
from ``x`` to ``x*`` gives the difference (eq. :eq:`rae-delta`):

    Δ(x, x*) = ∫₀¹ s(x + t(x* − x))·(x* − x) dt,

approximated by the trapezoid rule on ``n_points`` nodes (``n_points=1``: the one-point rule
``s(x)·(x* − x)``). The learned field need not be a gradient, so the result is approximate.

* :func:`approximate_mh` -- random-walk proposals ``x* = x + τ z``;
* :func:`langevin_mh` -- Langevin proposals ``x* = x + ε s(x) + √(2ε) z`` with the proposal
  ratio in the acceptance (a Metropolis-adjusted Langevin algorithm on the learned score);
* :func:`exact_mh` -- random-walk MH with the exact ``log p`` (the reference).

All run every chain at once (arrays of shape ``(n_chains, d)``; no loop over chains), and check
every step's proposals with :func:`theorybook.training.check_iterates` (``SolverDiverged`` naming
the step when the step size is so large that a proposal blows up). ``score`` and ``log_prob`` are
callables from NumPy points ``(n, d)`` to ``(n, d)`` scores or ``(n,)`` log-densities: an exact
density's method, or ``functools.partial(estimated_score, model)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from jaxtyping import Float, Float64
from numpy.typing import NDArray

from theorybook.boundary import PositiveInt, PositiveReal, Probability, Seed, checked, record
from theorybook.training import check_iterates
from theorybook.validation import non_negative_int, positive_int

__all__ = [
    "MCMCResult",
    "approximate_mh",
    "energy_distance",
    "exact_mh",
    "integrated_log_ratio",
    "knn_kl_divergence",
    "langevin_mh",
]

ScoreFn = Callable[..., Any]
"""A score or log-density: a callable from NumPy points ``(n, d)`` to ``(n, d)`` or ``(n,)``."""

Chains = Float[np.ndarray, "chains d"]
"""Starting points of the chains, one row each."""


@record
@dataclass(frozen=True)
class MCMCResult:
    """Chains of shape ``(n_steps + 1, n_chains, d)`` (the start included), the fraction of
    accepted proposals over all chains and steps, and the throughput in chain-steps per second."""

    chains: Float64[np.ndarray, "steps chains d"]
    acceptance_rate: Probability
    chain_steps_per_second: PositiveReal

    def samples(self, *, burn_in: int = 0, thin: int = 1) -> NDArray[np.float64]:
        """The states after ``burn_in`` steps, every ``thin``-th, pooled: shape ``(m, d)``."""
        b = non_negative_int("burn_in", burn_in)
        t = positive_int("thin", thin)
        if not 0 <= b < len(self.chains):
            raise ValueError(f"burn_in must be in [0, {len(self.chains) - 1}], got {b}")
        kept = self.chains[b::t]
        return kept.reshape(-1, kept.shape[-1])


def _call(
    fn: ScoreFn, x: NDArray[np.float64], shape: tuple[int, ...], what: str, where: str = ""
) -> Any:
    at = f" {where}" if where else ""
    try:
        out = np.asarray(fn(x), dtype=np.float64)
    except TypeError as err:  # a callable of the wrong signature: say which argument it was
        raise TypeError(
            f"{what}{at}: calling it on points of shape {x.shape} failed: {err}"
        ) from err
    if out.shape != shape:
        raise ValueError(
            f"{what}{at} must return shape {shape} for points {x.shape}, got {out.shape}"
        )
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{what}{at} returned NaN or inf")
    return out


@checked
def integrated_log_ratio(
    score: ScoreFn,
    x: Float[np.ndarray, "n d"],
    x_new: Float[np.ndarray, "n d"],
    *,
    n_points: PositiveInt = 5,
) -> Float[np.ndarray, " n"]:
    """``Δ ≈ ∫₀¹ s(x + t(x_new − x))·(x_new − x) dt`` per row (eq. :eq:`rae-delta`), shape ``(n,)``.

    Trapezoid rule on ``n_points`` equally spaced nodes; ``n_points=1`` is the one-point rule
    ``s(x)·(x_new − x)``. Exact for a quadratic ``log p`` when ``n_points ≥ 2``.

    Arguments:
        score: a callable from points ``(m, d)`` to scores ``(m, d)``.
        x: the start points, shape ``(n, d)``.
        x_new: the end points, shape ``(n, d)``.
        n_points: trapezoid nodes on each segment (1: the one-point rule).

    Returns:
        The estimates of ``log p(x_new) − log p(x)``, shape ``(n,)``.
    """
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(x_new, dtype=np.float64)
    return _delta(score, a, b, n_points)


def _delta(
    score: ScoreFn,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    n_points: int,
    where: str = "",
) -> NDArray[np.float64]:
    step = b - a
    n, d = a.shape
    if n_points == 1:
        s = _call(score, a, (n, d), "score", where)
        return np.asarray((s * step).sum(1))
    ts = np.linspace(0.0, 1.0, n_points)
    w = np.full(n_points, 1.0 / (n_points - 1))
    w[[0, -1]] *= 0.5
    pts = (a[None] + ts[:, None, None] * step[None]).reshape(-1, d)
    s = _call(score, pts, (n_points * n, d), "score", where).reshape(n_points, n, d)
    return np.asarray(np.einsum("k,knd,nd->n", w, s, step))


def _delta_between(
    score: ScoreFn,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    s_a: NDArray[np.float64],
    s_b: NDArray[np.float64],
    n_points: int,
    where: str,
) -> NDArray[np.float64]:
    """:func:`_delta` given the scores at both ends (a chain's cached score at its state and the
    one it computes at the proposal anyway): only the interior nodes are evaluated."""
    step = b - a
    if n_points == 1:
        return np.asarray((s_a * step).sum(1))
    n, d = a.shape
    w = 1.0 / (n_points - 1)
    total = 0.5 * w * (s_a + s_b)
    if n_points > 2:
        ts = np.linspace(0.0, 1.0, n_points)[1:-1]
        pts = (a[None] + ts[:, None, None] * step[None]).reshape(-1, d)
        inner = _call(score, pts, (len(ts) * n, d), "score", where).reshape(len(ts), n, d)
        total = total + w * inner.sum(0)
    return np.asarray((total * step).sum(1))


def _start(x0: NDArray[np.floating], seed: int) -> tuple[NDArray[np.float64], Any]:
    return np.asarray(x0, dtype=np.float64), np.random.default_rng(seed)


STUCK_AFTER = 100
"""Proposals, all rejected, after which a run is refused: the chains never moved."""


def _run(
    x: NDArray[np.float64],
    n_steps: int,
    step_fn: Callable[[NDArray[np.float64], int], tuple[NDArray[np.float64], NDArray[np.bool_]]],
    step_name: str,
) -> MCMCResult:
    """Run the chains; ``ValueError`` naming ``step_name`` if at least :data:`STUCK_AFTER`
    proposals were made and none was accepted (a step far too large for the target)."""
    chains = np.empty((n_steps + 1, *x.shape))
    chains[0] = x
    accepted = 0
    start = time.perf_counter()
    for k in range(n_steps):
        x, acc = step_fn(x, k + 1)
        accepted += int(acc.sum())
        chains[k + 1] = x
    elapsed = max(time.perf_counter() - start, 1e-12)
    total = n_steps * x.shape[0]
    if accepted == 0 and total >= STUCK_AFTER:
        raise ValueError(
            f"no proposal was accepted in {total} proposals ({n_steps} steps of {x.shape[0]} "
            f"chains): {step_name} is too large for this target, and the chains never moved"
        )
    return MCMCResult(chains, accepted / total, total / elapsed)


@checked
def approximate_mh(
    score: ScoreFn,
    x0: Chains,
    n_steps: PositiveInt,
    proposal_std: PositiveReal,
    seed: Seed,
    *,
    n_points: PositiveInt = 5,
) -> MCMCResult:
    """Random-walk Metropolis–Hastings accepting with ``min(1, exp Δ)``, Δ from the score
    (eq. :eq:`rae-delta`; ``n_points`` trapezoid nodes).

    Arguments:
        score: a callable from points ``(n, d)`` to scores ``(n, d)``.
        x0: the starting points, shape ``(n_chains, d)``.
        n_steps: steps per chain.
        proposal_std: the std ``τ`` of the Gaussian proposal.
        seed: the seed of the proposals and of the acceptance draws.
        n_points: trapezoid nodes for Δ (1: the one-point rule ``s(x)·(x* − x)``).

    Returns:
        The :class:`MCMCResult` (every chain's states, acceptance rate, throughput).

    Raises:
        SolverDiverged: naming the step at which a proposal holds NaN/inf or an entry beyond
            1e12 (a step size far too large).
        ValueError: naming the step at which ``score`` returns NaN/inf or a wrong shape.
    """
    x, rng = _start(x0, seed)
    tau = proposal_std
    s_x = _call(score, x, x.shape, "score", "at the start x0")

    def step(x: NDArray[np.float64], k: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        nonlocal s_x
        prop = x + tau * rng.standard_normal(x.shape)
        check_iterates(prop, step=k, where="approximate MH (proposals)")
        at = f"at step {k}"
        s_p = _call(score, prop, x.shape, "score", at)
        log_a = _delta_between(score, x, prop, s_x, s_p, n_points, at)
        acc = np.log(rng.random(len(x))) < log_a
        s_x = np.where(acc[:, None], s_p, s_x)
        return np.where(acc[:, None], prop, x), acc

    return _run(x, n_steps, step, "proposal_std")


@checked
def exact_mh(
    log_prob: ScoreFn, x0: Chains, n_steps: PositiveInt, proposal_std: PositiveReal, seed: Seed
) -> MCMCResult:
    """Random-walk Metropolis–Hastings with the exact ``log p`` (the reference sampler).

    Arguments:
        log_prob: a callable from points ``(n, d)`` to log-densities ``(n,)``.
        x0: the starting points, shape ``(n_chains, d)``.
        n_steps: steps per chain.
        proposal_std: the std ``τ`` of the Gaussian proposal.
        seed: the seed of the proposals and of the acceptance draws.

    Returns:
        The :class:`MCMCResult`.

    Raises:
        SolverDiverged: naming the step at which a proposal blows up.
        ValueError: naming the step at which ``log_prob`` returns NaN/inf or a wrong shape.
    """
    x, rng = _start(x0, seed)
    tau = proposal_std
    lp = _call(log_prob, x, (len(x),), "log_prob", "at the start x0")

    def step(x: NDArray[np.float64], k: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        nonlocal lp
        prop = x + tau * rng.standard_normal(x.shape)
        check_iterates(prop, step=k, where="exact MH (proposals)")
        lp_new = _call(log_prob, prop, (len(x),), "log_prob", f"at step {k}")
        acc = np.log(rng.random(len(x))) < lp_new - lp
        lp = np.where(acc, lp_new, lp)
        return np.where(acc[:, None], prop, x), acc

    return _run(x, n_steps, step, "proposal_std")


@checked
def langevin_mh(
    score: ScoreFn,
    x0: Chains,
    n_steps: PositiveInt,
    step_size: PositiveReal,
    seed: Seed,
    *,
    n_points: PositiveInt = 5,
) -> MCMCResult:
    """Metropolis-adjusted Langevin on a score: propose ``x* = x + ε s(x) + √(2ε) z`` and accept
    with ``min(1, exp(Δ + log q(x | x*) − log q(x* | x)))``, ``Δ`` integrated along the segment
    (eq. :eq:`rae-delta`) and ``q(b | a) ∝ exp(−‖b − a − ε s(a)‖²/(4ε))``.

    Arguments:
        score: a callable from points ``(n, d)`` to scores ``(n, d)``.
        x0: the starting points, shape ``(n_chains, d)``.
        n_steps: steps per chain.
        step_size: the Langevin step ``ε``.
        seed: the seed of the proposals and of the acceptance draws.
        n_points: trapezoid nodes for Δ.

    Returns:
        The :class:`MCMCResult`.

    Raises:
        SolverDiverged: naming the step at which a proposal blows up.
        ValueError: naming the step at which ``score`` returns NaN/inf or a wrong shape.
    """
    x, rng = _start(x0, seed)
    eps = step_size
    s_x = _call(score, x, x.shape, "score", "at the start x0")

    def step(x: NDArray[np.float64], k: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        nonlocal s_x
        prop = x + eps * s_x + np.sqrt(2 * eps) * rng.standard_normal(x.shape)
        check_iterates(prop, step=k, where="Langevin MH (proposals)")
        at = f"at step {k}"
        s_p = _call(score, prop, x.shape, "score", at)
        fwd = ((prop - x - eps * s_x) ** 2).sum(1)
        bwd = ((x - prop - eps * s_p) ** 2).sum(1)
        log_a = _delta_between(score, x, prop, s_x, s_p, n_points, at) + (fwd - bwd) / (4 * eps)
        acc = np.log(rng.random(len(x))) < log_a
        s_x = np.where(acc[:, None], s_p, s_x)
        return np.where(acc[:, None], prop, x), acc

    return _run(x, n_steps, step, "step_size")


@checked
def knn_kl_divergence(
    reference: Float[np.ndarray, "n d"], samples: Float[np.ndarray, "m d"], *, k: PositiveInt = 5
) -> float:
    """The k-nearest-neighbour estimate of ``KL(p_ref ‖ p_samples)`` from two samples.

    ``D̂ = (d/n) Σ_i log(ν_k(i)/ρ_k(i)) + log(m/(n − 1))``, with ``ρ_k(i)`` the distance from
    reference point ``i`` to its ``k``-th neighbour among the other reference points and
    ``ν_k(i)`` to its ``k``-th neighbour among the ``m`` samples (Wang, Kulkarni and Verdú, 2009).

    Arguments:
        reference: ``n`` points of ``p_ref``, shape ``(n, d)``.
        samples: ``m`` points of the distribution compared, shape ``(m, d)``.
        k: the neighbour order (``n > k`` and ``m ≥ k``).

    Returns:
        The estimate ``D̂`` (it can be slightly negative when the two agree). Coincident points
        (a distance of 0) are handled by flooring every distance at 1e-300 before the logarithm;
        points so far apart that a distance overflows raise
        :class:`~theorybook.boundary.NonFiniteResult`.
    """
    from scipy.spatial import cKDTree

    ref = np.asarray(reference, dtype=np.float64)
    smp = np.asarray(samples, dtype=np.float64)
    n, d = ref.shape
    m = len(smp)
    if n <= k or m < k:
        raise ValueError(f"need more than k = {k} points in each sample, got {n} and {m}")
    rho = cKDTree(ref).query(ref, k=k + 1)[0][:, k]
    nu = cKDTree(smp).query(ref, k=k)[0]
    nu = nu[:, k - 1] if k > 1 else nu
    tiny = 1e-300
    return float(d * np.mean(np.log((nu + tiny) / (rho + tiny))) + np.log(m / (n - 1)))


@checked
def energy_distance(a: Float[np.ndarray, "n d"], b: Float[np.ndarray, "m d"]) -> float:
    """The energy distance ``2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖`` between two samples
    (Székely and Rizzo), each expectation the mean over all pairs (including a point with
    itself); zero for identical samples, and large both for a sample far from the other and for
    one collapsed onto a few points.

    Arguments:
        a: ``n`` points, shape ``(n, d)``.
        b: ``m`` points of the same dimension, shape ``(m, d)``.

    Returns:
        The distance (≥ 0; a rounding error below 0 is returned as 0).
    """
    from scipy.spatial.distance import cdist

    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    value = 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()
    return float(max(value, 0.0))  # a squared norm in a feature space: negative only by rounding
