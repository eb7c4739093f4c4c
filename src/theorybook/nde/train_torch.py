"""Neural-ODE classifiers trained with and without the solver regularizers (PyTorch + torchdiffeq).

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), experiment 1. The loss is
``L(θ) = CE(θ) + λ(e) R(θ)`` (equation ``objective``) with ``R`` the error estimate ``R_E`` (ERNODE), the
stiffness estimate ``R_S`` (SRNODE) or nothing (vanilla, and STEER, which instead draws the end time
``T′ ~ U(T − b, T + b)`` at each training step). ``λ`` decays exponentially from ``λ₀`` to ``λ₁``
(equation ``lambda-schedule``), as in the official code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn

from theorybook.nde.solver_torch import SolveStats, regularized_odeint
from theorybook.runtime import Timer, TrainingDiverged, device, progress, seed_everything

__all__ = [
    "METHODS",
    "ClassificationData",
    "NODEClassifier",
    "NodeRun",
    "ODEFunc",
    "lambda_schedule",
    "make_circles_data",
    "make_digits_data",
    "train_node",
]

Method = Literal["vanilla", "ernode", "srnode", "steer"]
METHODS: tuple[str, ...] = ("vanilla", "ernode", "srnode", "steer")


@dataclass(frozen=True)
class ClassificationData:
    """Train/test split as float32 features and int64 labels (NumPy)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def make_circles_data(
    n_train: int, n_test: int, *, noise: float = 0.1, seed: int = 0
) -> ClassificationData:
    """Concentric circles of radii 0.5 and 1.5 with Gaussian noise (scikit-learn's ``make_circles``, rescaled)."""
    from sklearn.datasets import make_circles

    if n_train < 4 or n_test < 4:
        raise ValueError("need at least 4 train and 4 test points")
    x, y = make_circles(n_train + n_test, noise=noise / 1.5, factor=1 / 3, random_state=seed)
    x = (1.5 * x).astype(np.float32)
    return ClassificationData(
        "circles",
        x[:n_train],
        y[:n_train].astype(np.int64),
        x[n_train:],
        y[n_train:].astype(np.int64),
    )


def make_digits_data(n_test: int = 397, *, seed: int = 0) -> ClassificationData:
    """scikit-learn's 8×8 digits (1797 images, 64 features), standardized with train statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=n_test, random_state=seed, stratify=y)
    sc = StandardScaler().fit(xtr)
    return ClassificationData(
        "digits",
        sc.transform(xtr).astype(np.float32),
        ytr.astype(np.int64),
        sc.transform(xte).astype(np.float32),
        yte.astype(np.int64),
    )


def lambda_schedule(epoch: int, epochs: int, lam0: float, lam1: float) -> float:
    """``λ(e) = λ₀ exp(−k e)``, ``k = log(λ₀/λ₁)/epochs`` (official RegNeuralDE schedule; constant if λ₀ = λ₁)."""
    if lam0 < 0 or lam1 < 0 or epochs < 1:
        raise ValueError("need lam0, lam1 >= 0 and epochs >= 1")
    if lam0 == 0.0 or lam1 == 0.0 or lam0 == lam1:
        return float(lam0)
    k = math.log(lam0 / lam1) / epochs
    return float(lam0 * math.exp(-k * epoch))


class ODEFunc(nn.Module):
    """Vector field ``f(t, z) = W₃ tanh(W₂ tanh(W₁ [z, t]))``: time concatenated to the state, as in the paper."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim + 1, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, dim),
        )

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        tt = torch.ones_like(z[..., :1]) * t.to(z.dtype)
        return self.net(torch.cat([z, tt], dim=-1))


class NODEClassifier(nn.Module):
    """``x ↦ W z(T)``, ``z(0) = x``, ``z' = f_θ(t, z)``, solved by :func:`regularized_odeint`."""

    def __init__(
        self,
        dim: int,
        hidden: int,
        n_classes: int,
        *,
        rtol: float = 1e-5,
        atol: float = 1e-5,
        first_step: float | None = None,
    ) -> None:
        super().__init__()
        self.func = ODEFunc(dim, hidden)
        self.head = nn.Linear(dim, n_classes)
        self.rtol, self.atol, self.first_step = rtol, atol, first_step

    def forward(self, x: torch.Tensor, t1: float = 1.0) -> tuple[torch.Tensor, SolveStats]:
        if x.ndim != 2:
            raise ValueError(f"x must be (batch, dim), got {tuple(x.shape)}")
        t = torch.tensor([0.0, float(t1)], dtype=torch.float64)
        opts = {} if self.first_step is None else {"first_step": self.first_step}
        zs, stats = regularized_odeint(
            self.func, x, t, rtol=self.rtol, atol=self.atol, options=opts
        )
        return self.head(zs[-1]), stats


@dataclass
class NodeRun:
    """One training run: per-epoch history and the final test metrics.

    ``history`` maps ``epoch``, ``loss`` (cross-entropy), ``reg`` (the regularizer's value), ``lam``,
    ``train_acc``, ``nfe`` (mean forward NFE per training step) and ``wall`` (cumulative training
    seconds) to lists. ``test_nfe`` is the NFE of one solve over the whole test set at ``T = 1``;
    ``predict_seconds`` the best of ten timed test predictions.
    """

    method: str
    lam0: float
    history: dict[str, list[float]]
    test_acc: float
    test_nfe: int
    train_seconds: float
    predict_seconds: float
    model: NODEClassifier = field(repr=False)


def train_node(
    data: ClassificationData,
    method: str = "vanilla",
    *,
    lam0: float = 0.0,
    lam1: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    hidden: int = 64,
    lr: float = 3e-3,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    steer_b: float = 0.5,
    seed: int = 0,
    show_progress: bool = True,
    torch_device: str | None = "cpu",
) -> NodeRun:
    """Train a :class:`NODEClassifier` with Adam and return its :class:`NodeRun`.

    ``method`` is ``"vanilla"``, ``"ernode"`` (loss + ``λ R_E``), ``"srnode"`` (loss + ``λ R_S``) or
    ``"steer"`` (end time ``T′ ~ U(1 − b, 1 + b)`` while training, ``b = steer_b``). ``λ`` follows
    :func:`lambda_schedule` from ``lam0`` to ``lam1`` (default: constant). ``torch_device`` is passed to
    :func:`theorybook.runtime.device` (``None``: CUDA when available); the default is the CPU, faster
    than a GPU for these small fields whose solves are dominated by per-step Python overhead. Raises
    :class:`~theorybook.runtime.TrainingDiverged` naming the epoch and step if the loss is not finite.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if epochs < 1 or hidden < 1 or lr <= 0:
        raise ValueError("epochs and hidden must be >= 1 and lr > 0")
    if method in ("ernode", "srnode") and lam0 <= 0:
        raise ValueError(f"{method} needs lam0 > 0")
    if method == "steer" and not 0 < steer_b < 1:
        raise ValueError(f"steer_b must lie in (0, 1), got {steer_b}")
    lam1 = lam0 if lam1 is None else lam1
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    dev = device(torch_device)
    xtr = torch.from_numpy(data.x_train).to(dev)
    ytr = torch.from_numpy(data.y_train).to(dev)
    xte = torch.from_numpy(data.x_test).to(dev)
    yte = torch.from_numpy(data.y_test).to(dev)
    n = xtr.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    model = NODEClassifier(data.dim, hidden, data.n_classes, rtol=rtol, atol=atol).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {
        k: [] for k in ("epoch", "loss", "reg", "lam", "train_acc", "nfe", "wall")
    }
    wall = 0.0
    bar = progress(
        range(epochs), desc=f"{data.name} {method}", leave=False, disable=not show_progress
    )
    for epoch in bar:
        lam = lambda_schedule(epoch, epochs, lam0, lam1) if method in ("ernode", "srnode") else 0.0
        perm = torch.randperm(n, generator=gen).to(dev)
        tot = {"loss": 0.0, "reg": 0.0, "acc": 0.0, "nfe": 0.0}
        nb = 0
        with Timer(cuda_sync=dev.type == "cuda") as timer:
            for step, start in enumerate(range(0, n, bs)):
                idx = perm[start : start + bs]
                t1 = 1.0
                if method == "steer":
                    t1 = 1.0 + steer_b * (2.0 * float(torch.rand((), generator=gen)) - 1.0)
                try:
                    logits, stats = model(xtr[idx], t1)
                except (
                    AssertionError
                ) as err:  # torchdiffeq: non-finite state or step-size underflow
                    raise TrainingDiverged(
                        f"{method} on {data.name}: epoch {epoch}, step {step}: the solver failed ({err})"
                    ) from err
                ce = nn.functional.cross_entropy(logits, ytr[idx])
                reg = stats.error_estimate if method == "ernode" else stats.stiffness_estimate
                loss = ce + lam * reg.to(ce.dtype) if lam > 0 else ce
                if not bool(torch.isfinite(loss.detach())):
                    raise TrainingDiverged(
                        f"{method} on {data.name}: epoch {epoch}, step {step}: loss {loss.item()}"
                    )
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot["loss"] += ce.item()
                tot["reg"] += reg.item()
                tot["acc"] += float((logits.argmax(-1) == ytr[idx]).float().mean())
                tot["nfe"] += stats.nfe
                nb += 1
        wall += timer.seconds
        hist["epoch"].append(epoch)
        hist["lam"].append(lam)
        for k, key in (("loss", "loss"), ("reg", "reg"), ("acc", "train_acc"), ("nfe", "nfe")):
            hist[key].append(tot[k] / nb)
        hist["wall"].append(wall)
    test_acc, test_nfe, pred = evaluate_node(model, xte, yte)
    return NodeRun(method, lam0, hist, test_acc, test_nfe, wall, pred, model)


def evaluate_node(
    model: NODEClassifier, x: torch.Tensor, y: torch.Tensor, repeats: int = 10
) -> tuple[float, int, float]:
    """Test accuracy, NFE of one solve over ``x`` at ``T = 1`` and the best of ``repeats`` prediction times."""
    best = float("inf")
    with torch.no_grad():
        for _ in range(repeats):
            with Timer(cuda_sync=x.device.type == "cuda") as timer:
                logits, stats = model(x, 1.0)
            best = min(best, timer.seconds)
    acc = float((logits.argmax(-1) == y).float().mean())
    return acc, int(stats.nfe), best
