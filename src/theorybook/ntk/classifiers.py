"""The interpolating kernel classifier and the classifiers deep kernels tend to.

The trained infinitely wide network predicts ``f(x) = yᵀ K(X, X)⁻¹ K(X, x)``, interpolating the
labels without a ridge (chapter 4, :eq:`ntk-classifier`); it classifies by ``sign f``. As the
depth grows this classifier becomes one of three (:eq:`ntk-limits`): **majority vote**, the
**1-nearest-neighbour** rule, or a **singular kernel** classifier
``sign Σ_i y_i ‖x − x_i‖^(−α)``, which for ``α = d`` (the intrinsic dimension) is the
*Hilbert-kernel* estimate of Devroye, Györfi & Krzyżak, consistent for every distribution
(:eq:`ntk-hilbert`). :func:`bayes_classifier` is the optimum for the Dirichlet data of
:mod:`theorybook.ntk.data`.

Kernel matrices follow the official code's layout: ``K_train`` is ``(n, n)`` and ``K_test`` is
``(n, m)``, the kernel between the ``n`` training and the ``m`` test points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from theorybook.ntk.logdomain import LogKernel
from theorybook.validation import array, positive_real, probability, real_sequence

__all__ = [
    "agreement",
    "bayes_classifier",
    "hilbert_classifier",
    "kernel_classifier",
    "kernel_scores",
    "majority_vote",
    "one_nn",
]


def _labels(name: str, y: object, n: int | None = None) -> NDArray[np.float64]:
    out = array(name, y, ndim=(1, 2))
    if out.ndim == 2:
        if out.shape[1] != 1:
            raise ValueError(f"{name} must be a vector of labels, got shape {out.shape}")
        out = out[:, 0]
    if not np.all(np.isin(out, (-1.0, 1.0))):
        raise ValueError(f"{name} must hold labels in {{-1, +1}}, got values {np.unique(out)[:5]}")
    if n is not None and out.shape[0] != n:
        raise ValueError(f"{name} has {out.shape[0]} labels but the data has {n} points")
    return out


def _sign(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(scores < 0.0, -1.0, 1.0)


def kernel_scores(
    K_train: NDArray[np.float64] | LogKernel,
    y: object,
    K_test: NDArray[np.float64] | LogKernel,
) -> NDArray[np.float64]:
    """``f(x) = yᵀ K_train⁻¹ K_test``, the interpolating predictor of :eq:`ntk-classifier`.

    A :class:`~theorybook.ntk.logdomain.LogKernel` ``K_test`` is used without leaving the log
    domain: each test column is rescaled by its largest entry first, which leaves the sign of the
    score unchanged and avoids underflow; the scores returned are then those rescaled ones.

    Arguments:
        K_train: the kernel between training points, ``(n, n)`` (dense or log domain).
        y: the training labels in ``{±1}``, shape ``(n,)``.
        K_test: the kernel between training and test points, ``(n, m)``.

    Returns:
        The scores ``f`` at the test points, shape ``(m,)``.

    Raises:
        ValueError: on mismatched shapes, non-finite entries, labels outside ``{±1}`` or a singular
            ``K_train``.
    """
    gram = K_train.dense() if isinstance(K_train, LogKernel) else array("K_train", K_train, ndim=2)
    n = gram.shape[0]
    if gram.shape != (n, n):
        raise ValueError(f"K_train must be square, got shape {gram.shape}")
    labels = _labels("y", y, n)
    if isinstance(K_test, LogKernel):
        if K_test.shape[0] != n:
            raise ValueError(
                f"K_test must have {n} rows (one per training point), got {K_test.shape}"
            )
        top = np.max(K_test.log_abs, axis=0, keepdims=True)
        if not np.all(np.isfinite(top)):
            raise ValueError("K_test has a test column with every entry zero")
        cross = K_test.sign * np.exp(K_test.log_abs - top)
    else:
        cross = array("K_test", K_test, ndim=2)
        if cross.shape[0] != n:
            raise ValueError(
                f"K_test must have {n} rows (one per training point), got shape {cross.shape}"
            )
    try:
        coef = np.linalg.solve(gram, labels)
    except np.linalg.LinAlgError:
        raise ValueError(
            "K_train is singular: the kernel cannot interpolate these labels (coinciding "
            "training points, or a kernel that has become constant)"
        ) from None
    if not np.all(np.isfinite(coef)):
        raise ValueError("solving K_train a = y gave non-finite coefficients")
    scores: NDArray[np.float64] = coef @ cross
    return scores


def kernel_classifier(
    K_train: NDArray[np.float64] | LogKernel,
    y: object,
    K_test: NDArray[np.float64] | LogKernel,
) -> NDArray[np.float64]:
    """``sign(yᵀ K_train⁻¹ K_test)`` in ``{−1, +1}`` (ties go to +1), :eq:`ntk-classifier`.

    Arguments:
        K_train: the kernel between training points, ``(n, n)`` (dense or log domain).
        y: the training labels in ``{±1}``, shape ``(n,)``.
        K_test: the kernel between training and test points, ``(n, m)``.

    Returns:
        The predicted labels in ``{±1}``, shape ``(m,)``.
    """
    return _sign(kernel_scores(K_train, y, K_test))


def _train_test(X: object, y: object, Z: object) -> tuple[NDArray[np.float64], ...]:
    x = array("X", X, ndim=2)
    z = array("Z", Z, ndim=2)
    if x.shape[1] != z.shape[1]:
        raise ValueError(f"X and Z must have the same dimension, got {x.shape[1]} and {z.shape[1]}")
    return x, _labels("y", y, x.shape[0]), z


def majority_vote(y: object, n_test: int) -> NDArray[np.float64]:
    """The majority label of ``y`` (+1 on a tie), repeated ``n_test`` times."""
    from theorybook.validation import positive_int

    labels = _labels("y", y)
    return np.full(positive_int("n_test", n_test), 1.0 if labels.sum() >= 0 else -1.0)


def one_nn(X: object, y: object, Z: object) -> NDArray[np.float64]:
    """The 1-nearest-neighbour rule (scikit-learn's ``KNeighborsClassifier(n_neighbors=1)``).

    Arguments:
        X: training points, shape ``(n, D)``.
        y: their labels in ``{±1}``, shape ``(n,)``.
        Z: test points, shape ``(m, D)``.

    Returns:
        The label of each test point's nearest training point, shape ``(m,)``.
    """
    from sklearn.neighbors import KNeighborsClassifier

    x, labels, z = _train_test(X, y, Z)
    model = KNeighborsClassifier(n_neighbors=1).fit(x, labels)
    out: NDArray[np.float64] = model.predict(z).astype(np.float64)
    return out


def hilbert_classifier(X: object, y: object, Z: object, alpha: float) -> NDArray[np.float64]:
    """``sign Σ_i y_i ‖z − x_i‖^(−α)``: the singular-kernel classifier, :eq:`ntk-hilbert`.

    With ``α`` equal to the intrinsic dimension it is the Hilbert-kernel estimate. Weights are
    computed as ``exp(−α log‖z − x_i‖)`` rescaled per test point, so no power overflows; a test
    point that coincides with training points takes their label sum's sign.

    Arguments:
        X: training points, shape ``(n, D)``.
        y: their labels in ``{±1}``, shape ``(n,)``.
        Z: test points, shape ``(m, D)``.
        alpha: the exponent ``α > 0``.

    Returns:
        The predicted labels in ``{±1}``, shape ``(m,)``.
    """
    from scipy.spatial.distance import cdist

    x, labels, z = _train_test(X, y, Z)
    alpha = positive_real("alpha", alpha)
    dist = cdist(x, z)
    zero = dist == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_w = -alpha * np.log(dist)
        log_w -= np.max(log_w, axis=0, keepdims=True)
    scores = labels @ np.where(
        np.any(zero, axis=0, keepdims=True), zero.astype(float), np.exp(log_w)
    )
    return _sign(scores)


def bayes_classifier(
    X: object, alphas1: Sequence[float], alphas2: Sequence[float], prior: float
) -> NDArray[np.float64]:
    """The Bayes-optimal rule for the Dirichlet-on-the-sphere data of :func:`dirichlet_sphere_data`.

    A point ``x`` on the sphere came from the simplex point ``s = x / Σ_j x_j`` (the map is a
    bijection of the positive orthant, with the same Jacobian for both classes), so the rule is
    ``+1`` where ``prior·Dir(s; alphas1) > (1 − prior)·Dir(s; alphas2)``.

    Arguments:
        X: points on the sphere in the positive orthant, shape ``(m, D)``.
        alphas1: the Dirichlet concentrations of class +1 (``D`` of them).
        alphas2: those of class −1.
        prior: the probability of class +1, in ``(0, 1)``.

    Returns:
        The Bayes-optimal labels in ``{±1}``, shape ``(m,)``.
    """
    from scipy.stats import dirichlet

    x = array("X", X, ndim=2)
    a1 = np.asarray(real_sequence("alphas1", alphas1, low=0.0, low_open=True, min_len=2))
    a2 = np.asarray(real_sequence("alphas2", alphas2, low=0.0, low_open=True, min_len=2))
    if not (a1.size == a2.size == x.shape[1]):
        raise ValueError(
            f"alphas1 ({a1.size}), alphas2 ({a2.size}) and X's dimension ({x.shape[1]}) must agree"
        )
    prior = probability("prior", prior)
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must lie strictly between 0 and 1, got {prior}")
    if np.any(x < 0.0):
        raise ValueError("X must lie in the positive orthant (Dirichlet data on the sphere)")
    simplex = np.maximum(x / x.sum(axis=1, keepdims=True), 1e-300)
    simplex /= simplex.sum(axis=1, keepdims=True)
    log1 = dirichlet.logpdf(simplex.T, a1) + np.log(prior)
    log2 = dirichlet.logpdf(simplex.T, a2) + np.log1p(-prior)
    return np.where(log1 > log2, 1.0, -1.0)


def agreement(a: object, b: object) -> float:
    """The fraction of points on which two label vectors agree."""
    first, second = _labels("a", a), _labels("b", b)
    if first.shape != second.shape:
        raise ValueError(f"a and b must have the same length, got {first.size} and {second.size}")
    return float(np.mean(first == second))
