"""The interpolating kernel classifier and the classifiers deep kernels tend to.

The trained infinitely wide network predicts ``f(x) = yᵀ K(X, X)⁻¹ K(X, x)``, interpolating the
labels without a ridge (chapter 4, :eq:`ntk-classifier`); it classifies by ``sign f``. As the
depth grows this classifier becomes one of three (:eq:`ntk-limits`): **majority vote**, the
**1-nearest-neighbour** rule, or a **singular kernel** classifier
``sign Σ_i y_i ‖x − x_i‖^(−α)``, which for ``α = d`` (the intrinsic dimension) is the
*Hilbert-kernel* estimate of Devroye, Györfi & Krzyżak, consistent for every distribution
(:eq:`ntk-hilbert`). :func:`bayes_classifier` is the optimum for the Dirichlet data of
:mod:`theorybook.ntk.data`.

Kernel matrices follow scikit-learn's precomputed-kernel orientation (``SVC(kernel="precomputed")``,
``KernelRidge``): ``K_train`` is ``(n, n)``, between the ``n`` training points, and ``K_test`` is
``(m, n)``, one row per test point and one column per training point. (The official code passes
the transpose, ``(n, m)``; with as many test as training points that transpose has the right
shape and gives meaningless labels without an error, so the orientation matters.)

Two degenerate limits are handled here rather than returned as noise: a ``K_train`` whose solve
amplifies the labels by more than :data:`ILL_CONDITIONED` (the coefficients are then rounding
noise, of order 1e15 near singularity) raises unless the caller opts in, and points of huge or
tiny magnitude are rescaled before the distances of :func:`one_nn` and
:func:`hilbert_classifier` (whose rules do not depend on a common scale) are taken.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Float
from numpy.typing import NDArray

from theorybook.boundary import PositiveInt, PositiveReal, checked
from theorybook.ntk.data import ClassPrior
from theorybook.ntk.logdomain import LogKernel

__all__ = [
    "ILL_CONDITIONED",
    "SYMMETRY_TOL",
    "agreement",
    "bayes_classifier",
    "hilbert_classifier",
    "hilbert_classifiers",
    "kernel_classifier",
    "kernel_scores",
    "majority_vote",
    "one_nn",
]

ILL_CONDITIONED = 1e12
"""The largest amplification ``‖a‖_∞ ‖K_train‖_∞ / ‖y‖_∞`` of the labels by the solve
``K_train a = y`` that :func:`kernel_scores` accepts by default. It is a lower bound of the
condition number ``κ_∞(K_train)``, and rounding can change the coefficients by about
``κ·ε``: beyond ``10¹²`` that is more than ``2·10⁻⁴`` of their size, and near a singular
``K_train`` the "scores" are rounding noise of order 1e15."""

SYMMETRY_TOL = 1e-10
"""How far ``K_train`` may be from symmetric: ``max|K − Kᵀ| ≤ SYMMETRY_TOL · max|K|``."""

_RESCALE_ABOVE = 1e100
_RESCALE_BELOW = 1e-100


def _labels(name: str, y: NDArray[np.floating]) -> NDArray[np.float64]:
    """``y`` (shape checked at the boundary) as float64, or ``ValueError`` unless in ``{±1}``."""
    out = np.asarray(y, dtype=np.float64)
    if not np.all(np.isin(out, (-1.0, 1.0))):
        raise ValueError(f"{name} must hold labels in {{-1, +1}}, got values {np.unique(out)[:5]}")
    return out


def _sign(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(scores < 0.0, -1.0, 1.0)


SYMMETRY_FULL_CHECK_UP_TO = 512
"""Up to this size every pair ``(i, j)`` of ``K_train`` is compared with ``(j, i)``; above it, row
and column 0 and ``SYMMETRY_PAIRS_PER_ROW · n`` pairs drawn with a fixed seed (a matrix whose
asymmetric pairs are a fraction ``f`` of all escapes with probability ``(1 − f)^(64 n)``: a
transposed cross-kernel never does), so the check costs O(n), not another pass over ``K``."""

SYMMETRY_PAIRS_PER_ROW = 64


def _symmetric_norm(name: str, matrix: NDArray[np.float64], tile: int = 256) -> float:
    """``‖matrix‖_∞`` (the largest row sum of ``|K|``), or ``ValueError`` naming ``name`` unless
    the square ``matrix`` is symmetric within :data:`SYMMETRY_TOL` (every pair up to
    :data:`SYMMETRY_FULL_CHECK_UP_TO` rows, sampled pairs above). Runs by ``tile`` rows at a
    time, so no ``n × n`` temporary is made."""
    n = matrix.shape[0]
    largest, norm = 0.0, 0.0
    for start in range(0, n, tile):
        magnitude = np.abs(matrix[start : start + tile])
        largest = max(largest, float(np.max(magnitude)))
        norm = max(norm, float(np.max(np.sum(magnitude, axis=1))))
    if n <= SYMMETRY_FULL_CHECK_UP_TO:
        worst = float(np.max(np.abs(matrix - matrix.T)))
    else:
        rng = np.random.default_rng(n)
        i = rng.integers(0, n, size=SYMMETRY_PAIRS_PER_ROW * n)
        j = rng.integers(0, n, size=SYMMETRY_PAIRS_PER_ROW * n)
        worst = max(
            float(np.max(np.abs(matrix[i, j] - matrix[j, i]))),
            float(np.max(np.abs(matrix[0] - matrix[:, 0]))),
        )
    if worst > SYMMETRY_TOL * largest:
        raise ValueError(
            f"{name} must be a symmetric kernel (Gram) matrix; |K − Kᵀ| reaches {worst:.3g} "
            f"against max|K| = {largest:.3g}"
        )
    return norm


@checked
def kernel_scores(
    K_train: Float[np.ndarray, "n n"] | LogKernel,
    y: Float[np.ndarray, " n"],
    K_test: Float[np.ndarray, "m n"] | LogKernel,
    *,
    allow_ill_conditioned: bool = False,
) -> Float[np.ndarray, " m"]:
    """``f = K_test K_train⁻¹ y``, the interpolating predictor of :eq:`ntk-classifier`.

    ``K_test`` is ``(m, n)``, scikit-learn's orientation: row ``j`` holds the kernel between test
    point ``j`` and the ``n`` training points, so ``f_j = Σ_i K_test[j, i] (K_train⁻¹ y)_i``.
    A :class:`~theorybook.ntk.logdomain.LogKernel` ``K_test`` is used without leaving the log
    domain: each test row is rescaled by its largest entry first, which leaves the sign of the
    score unchanged and avoids underflow; the scores returned are then those rescaled ones.

    The solve is checked: an exactly singular ``K_train`` raises, and so does one that amplifies
    the labels by more than :data:`ILL_CONDITIONED` (``‖a‖_∞ ‖K_train‖_∞ / ‖y‖_∞``, a lower
    bound of its condition number), where the scores would be dominated by rounding. Pass
    ``allow_ill_conditioned=True`` to get them anyway (a depth sweep that starts at shallow,
    rank-deficient kernels, whose classifiers are then only defined up to rounding).

    Arguments:
        K_train: the kernel between training points, ``(n, n)`` and symmetric (dense or log
            domain).
        y: the training labels in ``{±1}``, shape ``(n,)``.
        K_test: the kernel between the ``m`` test and the ``n`` training points, ``(m, n)``
            (scikit-learn's orientation: one row per test point).
        allow_ill_conditioned: return the scores of an ill-conditioned (not singular) solve.

    Returns:
        The scores ``f`` at the test points, shape ``(m,)``.

    Raises:
        ValueError: on mismatched shapes, a non-symmetric ``K_train``, labels outside ``{±1}``,
            a singular or (unless allowed) ill-conditioned ``K_train``, or a ``K_test`` row
            that is zero in the log domain.
        NonFiniteResult: if the scores overflow (kernel entries of order 1e300).
    """
    gram = K_train.dense() if isinstance(K_train, LogKernel) else np.asarray(K_train, np.float64)
    n = gram.shape[0]
    if gram.shape != (n, n):
        raise ValueError(f"K_train must be square, got shape {gram.shape}")
    norm = _symmetric_norm("K_train", gram)
    labels = _labels("y", y)
    if labels.shape[0] != n:
        raise ValueError(f"y has {labels.shape[0]} labels but K_train has {n} rows")
    if isinstance(K_test, LogKernel):
        if K_test.shape[1] != n:
            raise ValueError(
                f"K_test must be (m, {n}): one row per test point, one column per training point "
                f"(scikit-learn's orientation), got {K_test.shape}"
            )
        top = np.max(K_test.log_abs, axis=1, keepdims=True)
        if not np.all(np.isfinite(top)):
            raise ValueError("K_test has a test row with every entry zero")
        cross = K_test.sign * np.exp(K_test.log_abs - top)
    else:
        cross = np.asarray(K_test, dtype=np.float64)
        if cross.shape[1] != n:
            raise ValueError(
                f"K_test must be (m, {n}): one row per test point, one column per training point "
                f"(scikit-learn's orientation), got shape {cross.shape}"
            )
    try:
        coef = np.linalg.solve(gram, labels)
    except np.linalg.LinAlgError:
        raise ValueError(
            "K_train is singular: the kernel cannot interpolate these labels (coinciding "
            "training points, or a kernel that has become constant)"
        ) from None
    if not np.all(np.isfinite(coef)):
        raise ValueError(
            "K_train is singular to working precision: solving K_train a = y gave non-finite "
            "coefficients"
        )
    amplification = float(np.max(np.abs(coef))) * norm
    if amplification > ILL_CONDITIONED and not allow_ill_conditioned:
        raise ValueError(
            f"K_train is ill-conditioned: solving K_train a = y amplifies the labels by "
            f"{amplification:.2g} (> ILL_CONDITIONED = {ILL_CONDITIONED:.0e}), so the scores "
            "would be rounding noise (near-coinciding training points, or a rank-deficient "
            "shallow kernel); pass allow_ill_conditioned=True to get them anyway"
        )
    scores: NDArray[np.float64] = cross @ coef
    return scores


@checked
def kernel_classifier(
    K_train: Float[np.ndarray, "n n"] | LogKernel,
    y: Float[np.ndarray, " n"],
    K_test: Float[np.ndarray, "m n"] | LogKernel,
    *,
    allow_ill_conditioned: bool = False,
) -> Float[np.ndarray, " m"]:
    """``sign(K_test K_train⁻¹ y)`` in ``{−1, +1}`` (ties go to +1), :eq:`ntk-classifier`.

    Shapes follow scikit-learn's precomputed kernels: ``K_train`` ``(n, n)``, ``K_test``
    ``(m, n)`` (one row per test point), as ``SVC(kernel="precomputed").predict(K_test)``.
    With :func:`~theorybook.ntk.kernels.nngp_kernel` that is ``nngp_kernel(Z, X, ...)``, or
    ``nngp_kernel(X, Z, ...).T``.

    Arguments:
        K_train: the kernel between training points, ``(n, n)`` and symmetric (dense or log
            domain).
        y: the training labels in ``{±1}``, shape ``(n,)``.
        K_test: the kernel between the ``m`` test and the ``n`` training points, ``(m, n)``.
        allow_ill_conditioned: classify even when the solve is ill-conditioned (see
            :func:`kernel_scores`).

    Returns:
        The predicted labels in ``{±1}``, shape ``(m,)``.

    Raises:
        ValueError: as :func:`kernel_scores`.
        NonFiniteResult: if the scores overflow (as :func:`kernel_scores`).
    """
    return _sign(kernel_scores(K_train, y, K_test, allow_ill_conditioned=allow_ill_conditioned))


def _comparable(x: NDArray[np.float64], z: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """``x`` and ``z`` divided by their largest magnitude when it is beyond ``1e±100`` (squared
    distances would overflow or underflow); unchanged otherwise."""
    scale = max(float(np.max(np.abs(x))), float(np.max(np.abs(z))))
    if scale > _RESCALE_ABOVE or 0.0 < scale < _RESCALE_BELOW:
        return x / scale, z / scale
    return x, z


@checked
def majority_vote(y: Float[np.ndarray, " n"], n_test: PositiveInt) -> Float[np.ndarray, " m"]:
    """The majority label of ``y`` (+1 on a tie), repeated ``n_test`` times.

    Arguments:
        y: labels in ``{±1}``, shape ``(n,)``.
        n_test: the number of test points.

    Returns:
        The majority label, shape ``(n_test,)``.
    """
    labels = _labels("y", y)
    return np.full(n_test, 1.0 if labels.sum() >= 0 else -1.0)


@checked
def one_nn(
    X: Float[np.ndarray, "n d"], y: Float[np.ndarray, " n"], Z: Float[np.ndarray, "m d"]
) -> Float[np.ndarray, " m"]:
    """The 1-nearest-neighbour rule (scikit-learn's ``KNeighborsClassifier(n_neighbors=1)``).

    Points of magnitude beyond ``1e±100`` are rescaled together first (the rule does not depend
    on a common scale; their squared distances would overflow or underflow).

    Arguments:
        X: training points, shape ``(n, D)``.
        y: their labels in ``{±1}``, shape ``(n,)``.
        Z: test points, shape ``(m, D)``.

    Returns:
        The label of each test point's nearest training point, shape ``(m,)``.
    """
    from sklearn.neighbors import KNeighborsClassifier

    labels = _labels("y", y)
    x, z = _comparable(np.asarray(X, np.float64), np.asarray(Z, np.float64))
    model = KNeighborsClassifier(n_neighbors=1).fit(x, labels)
    out: NDArray[np.float64] = model.predict(z).astype(np.float64)
    return out


@checked
def hilbert_classifier(
    X: Float[np.ndarray, "n d"],
    y: Float[np.ndarray, " n"],
    Z: Float[np.ndarray, "m d"],
    alpha: PositiveReal,
) -> Float[np.ndarray, " m"]:
    """``sign Σ_i y_i ‖z − x_i‖^(−α)``: the singular-kernel classifier, :eq:`ntk-hilbert`.

    With ``α`` equal to the intrinsic dimension it is the Hilbert-kernel estimate. Weights are
    computed as ``exp(−α log‖z − x_i‖)`` rescaled per test point, so no power overflows; a test
    point that coincides with training points takes their label sum's sign. For a huge ``α``
    (where ``α log‖z − x_i‖`` overflows) the weights are computed relative to the nearest
    training point, and the rule tends to 1-NN. Points of magnitude beyond ``1e±100`` are
    rescaled together first.

    Arguments:
        X: training points, shape ``(n, D)``.
        y: their labels in ``{±1}``, shape ``(n,)``.
        Z: test points, shape ``(m, D)``.
        alpha: the exponent ``α > 0``.

    Returns:
        The predicted labels in ``{±1}``, shape ``(m,)``.
    """
    out: NDArray[np.float64] = _singular_labels(X, y, Z, (alpha,))[0]
    return out


@checked
def hilbert_classifiers(
    X: Float[np.ndarray, "n d"],
    y: Float[np.ndarray, " n"],
    Z: Float[np.ndarray, "m d"],
    alphas: Sequence[PositiveReal],
) -> Float[np.ndarray, "k m"]:
    """:func:`hilbert_classifier` for several exponents, the distances computed once.

    Arguments:
        X: training points, shape ``(n, D)``.
        y: their labels in ``{±1}``, shape ``(n,)``.
        Z: test points, shape ``(m, D)``.
        alphas: the exponents, each ``> 0`` (``k`` of them, at least one).

    Returns:
        Row ``j`` holds the labels of the exponent ``alphas[j]``, shape ``(k, m)``.
    """
    from theorybook.validation import real_sequence

    exponents = real_sequence("alphas", alphas, low=0.0, low_open=True, min_len=1)
    return _singular_labels(X, y, Z, exponents)


def _singular_labels(
    X: NDArray[np.floating],
    y: NDArray[np.floating],
    Z: NDArray[np.floating],
    alphas: Sequence[float],
) -> NDArray[np.float64]:
    """The labels of :func:`hilbert_classifier` for each exponent, shape ``(len(alphas), m)``."""
    from scipy.spatial.distance import cdist

    labels = _labels("y", y)
    x, z = _comparable(np.asarray(X, np.float64), np.asarray(Z, np.float64))
    dist = cdist(x, z)
    zero = dist == 0.0
    coincide = np.any(zero, axis=0, keepdims=True)
    out = np.empty((len(alphas), z.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_d = np.log(dist)
        for row, alpha in enumerate(alphas):
            log_w = -alpha * log_d
            log_w -= np.max(log_w, axis=0, keepdims=True)
            unstable = np.any(~np.isfinite(log_w), axis=0, keepdims=True) & ~coincide
            if np.any(unstable):  # α log d overflowed: weights relative to the nearest point
                stable = -alpha * (log_d - np.min(log_d, axis=0, keepdims=True))
                log_w = np.where(unstable, stable, log_w)
            weights = np.where(coincide, zero.astype(float), np.exp(log_w))
            out[row] = _sign(labels @ weights)
    return out


@checked
def bayes_classifier(
    X: Float[np.ndarray, "m d"],
    alphas1: Sequence[PositiveReal],
    alphas2: Sequence[PositiveReal],
    prior: ClassPrior,
) -> Float[np.ndarray, " m"]:
    """The Bayes-optimal rule for the Dirichlet-on-the-sphere data of :func:`dirichlet_sphere_data`.

    A point ``x`` on the sphere came from the simplex point ``s = x / Σ_j x_j`` (the map is a
    bijection of the positive orthant, with the same Jacobian for both classes), so the rule is
    ``+1`` where ``prior·Dir(s; alphas1) > (1 − prior)·Dir(s; alphas2)``. Only the direction of
    a point matters: rows of magnitude beyond ``1e±100`` are divided by their largest entry
    first.

    Arguments:
        X: nonzero points in the positive orthant (on the sphere), shape ``(m, D)``.
        alphas1: the Dirichlet concentrations of class +1 (``D`` of them).
        alphas2: those of class −1.
        prior: the probability of class +1, in ``(0, 1)``.

    Returns:
        The Bayes-optimal labels in ``{±1}``, shape ``(m,)``.
    """
    from scipy.stats import dirichlet

    from theorybook.validation import real_sequence

    x = np.asarray(X, dtype=np.float64)
    a1 = np.asarray(real_sequence("alphas1", alphas1, low=0.0, low_open=True, min_len=2))
    a2 = np.asarray(real_sequence("alphas2", alphas2, low=0.0, low_open=True, min_len=2))
    if not (a1.size == a2.size == x.shape[1]):
        raise ValueError(
            f"alphas1 ({a1.size}), alphas2 ({a2.size}) and X's dimension ({x.shape[1]}) must agree"
        )
    if np.any(x < 0.0):
        raise ValueError("X must lie in the positive orthant (Dirichlet data on the sphere)")
    top = np.max(x, axis=1, keepdims=True)
    if np.any(top == 0.0):
        raise ValueError("X has a zero row: a point of the simplex needs a positive entry")
    if np.any(top > _RESCALE_ABOVE) or np.any(top < _RESCALE_BELOW):
        x = x / top
    simplex = np.maximum(x / x.sum(axis=1, keepdims=True), 1e-300)
    simplex /= simplex.sum(axis=1, keepdims=True)
    log1 = dirichlet.logpdf(simplex.T, a1) + np.log(prior)
    log2 = dirichlet.logpdf(simplex.T, a2) + np.log1p(-prior)
    return np.where(log1 > log2, 1.0, -1.0)


@checked
def agreement(a: Float[np.ndarray, " n"], b: Float[np.ndarray, " n"]) -> float:
    """The fraction of points on which two label vectors agree.

    Arguments:
        a: labels in ``{±1}``, shape ``(n,)``.
        b: labels in ``{±1}``, shape ``(n,)``.

    Returns:
        The fraction of equal entries, in ``[0, 1]``.
    """
    first, second = _labels("a", a), _labels("b", b)
    return float(np.mean(first == second))
