"""Neural-ODE classifiers trained with and without the solver regularizers (PyTorch + torchdiffeq).

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), the classifier experiments.
The loss is ``L(θ) = CE(θ) + λ(e) R(θ)`` (equation :eq:`nde-objective`) with ``R`` the error
estimate ``R_E`` (ERNODE), the stiffness estimate ``R_S`` (SRNODE) or nothing (vanilla, and STEER,
which instead draws the end time ``T′ ~ U(T − b, T + b)`` at each training step). ``λ`` decays
exponentially from ``λ₀`` to ``λ₁``, as in the official code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Literal, get_args

import numpy as np
import torch
from jaxtyping import Int
from torch import Tensor, nn
from torch.nn import functional as F

from theorybook.boundary import (
    IntRange,
    NonNegativeInt,
    NonNegativeReal,
    PositiveInt,
    PositiveReal,
    Probability,
    Seed,
    checked,
    record,
)
from theorybook.nde.config import Classifier, Config, FloatType, OpenUnit, Regularizers
from theorybook.nde.data import ClassificationData, make_circles_data, make_digits_data
from theorybook.nde.solver_torch import (
    Float3264,
    SolverError,
    SolveStats,
    _regularized_odeint,
)
from theorybook.runtime import device, seed_everything
from theorybook.timing import Timer, best_of
from theorybook.training import TrainingDiverged, adam, train_loop
from theorybook.validation import finite_tensor, matches_module, real

__all__ = [
    "DTYPES",
    "METHODS",
    "ClassificationData",
    "NODEClassifier",
    "NodeRun",
    "ODEFunc",
    "REGULARIZED",
    "evaluate_node",
    "lambda_schedule",
    "make_circles_data",
    "make_digits_data",
    "train_node",
]

Method = Literal["vanilla", "ernode", "srnode", "steer", "ernode+srnode", "taynode"]
METHODS: tuple[str, ...] = get_args(Method)
REGULARIZED: tuple[str, ...] = ("ernode", "srnode", "ernode+srnode", "taynode")
"""The methods whose loss carries ``λ R`` (they need ``lam0 > 0``)."""
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}

StiffnessForm = Literal["integral", "max"]

TRAIN_MAX_NUM_STEPS = 2_000
"""Step cap of each training solve: a flow that needs more has blown up (see :func:`train_node`)."""


@checked
def lambda_schedule(
    epoch: NonNegativeInt, epochs: PositiveInt, lam0: NonNegativeReal, lam1: NonNegativeReal
) -> float:
    """``λ(e) = λ₀ exp(−k e)``, ``k = log(λ₀/λ₁)/epochs`` (official RegNeuralDE schedule,
    equation :eq:`nde-objective`; constant if ``λ₀ = λ₁``).

    Arguments:
        epoch: the epoch ``e ≥ 0``.
        epochs: the number of epochs (``λ(epochs) = λ₁``).
        lam0: ``λ₀ ≥ 0``.
        lam1: ``λ₁ ≥ 0``.

    Returns:
        ``λ(e)`` (finite for every finite ``λ₀``, ``λ₁``: a ratio ``λ₀/λ₁`` that overflows or
        underflows is taken in log space; ``λ(e)`` underflows to 0 far past ``epochs``).

    Raises:
        ValueError: if exactly one of ``λ₀``, ``λ₁`` is 0 (a geometric schedule can neither
            leave nor reach 0; ``λ₀ = λ₁ = 0`` is the constant 0).
    """
    if (lam0 == 0.0) != (lam1 == 0.0):
        raise ValueError(
            f"lambda_schedule: a geometric schedule needs lam0 and lam1 both > 0 (or both 0), "
            f"got lam0={lam0}, lam1={lam1}"
        )
    return _lambda_schedule(epoch, epochs, lam0, lam1)


def _lambda_schedule(epoch: int, epochs: int, lam0: float, lam1: float) -> float:
    if lam0 == 0.0 or lam1 == 0.0 or lam0 == lam1:
        return float(lam0)
    ratio = lam0 / lam1
    log_ratio = math.log(ratio) if 0.0 < ratio < math.inf else math.log(lam0) - math.log(lam1)
    k = log_ratio / epochs
    return float(lam0 * math.exp(-k * epoch))


@checked
class ODEFunc(nn.Module):
    """Vector field ``f(t, z) = W₃ tanh(W₂ tanh(W₁ [z, t]))``: time concatenated to the state, as in
    the paper."""

    def __init__(self, dim: PositiveInt, hidden: PositiveInt) -> None:
        super().__init__()
        self.dim = dim
        first, middle, last = (
            nn.Linear(self.dim + 1, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, self.dim),
        )
        self.net = nn.Sequential(first, nn.Tanh(), middle, nn.Tanh(), last)
        # The three layers, read at every evaluation without going through nn.Sequential and
        # its five module calls (the same operations: linear, tanh, linear, tanh, linear).
        self._layers = (first, middle, last)

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        l1, l2, l3 = self._layers
        weight = l1.weight
        if not isinstance(z, torch.Tensor) or z.dtype != weight.dtype or z.device != weight.device:
            matches_module("z", z, self)  # raises, naming the mismatch
        if z.shape[-1] != self.dim:
            raise ValueError(f"z must have last dimension {self.dim}, got shape {tuple(z.shape)}")
        # t carries a gradient (torchdiffeq's first step depends on the field): this product
        # is kept as it is, since its backward fixes the order of that gradient's sum.
        tt = torch.ones_like(z[..., :1]) * torch.as_tensor(t, device=z.device).to(z.dtype)
        h = torch.tanh(F.linear(torch.cat([z, tt], dim=-1), weight, l1.bias))
        h = torch.tanh(F.linear(h, l2.weight, l2.bias))
        return F.linear(h, l3.weight, l3.bias)


@checked
class NODEClassifier(nn.Module):
    """``x ↦ W z(T)``, ``z(0) = x``, ``z' = f_θ(t, z)`` (equation :eq:`nde-node`), solved by
    :func:`~theorybook.nde.solver_torch.regularized_odeint` with at most ``max_num_steps`` steps.

    :meth:`forward` (called at every training step) checks its input by hand, cheaply: a
    tensor ``(batch, dim)`` of finite values with the model's dtype.
    """

    def __init__(
        self,
        dim: PositiveInt,
        hidden: PositiveInt,
        n_classes: Annotated[int, IntRange(low=2)],
        *,
        rtol: PositiveReal = 1e-5,
        atol: PositiveReal = 1e-5,
        first_step: PositiveReal | None = None,
        max_num_steps: PositiveInt = 10_000,
    ) -> None:
        super().__init__()
        self.func = ODEFunc(dim, hidden)
        self.head = nn.Linear(dim, n_classes)
        self.rtol, self.atol = rtol, atol
        self.first_step = first_step
        self.max_num_steps = max_num_steps

    def _check_input(self, x: object) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.func.dim:
            raise ValueError(f"x must be (batch, {self.func.dim}), got {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("x must hold at least one point, got an empty batch")
        return finite_tensor("x", matches_module("x", x, self))

    def forward(
        self, x: torch.Tensor, t1: float = 1.0, *, stiffness: bool = True
    ) -> tuple[torch.Tensor, SolveStats]:
        """Logits and the solve's statistics; ``stiffness=False`` skips ``R_S`` (its fields
        ``None``) for a loss that does not use it."""
        x = self._check_input(x)
        t1 = real("t1", t1, low=0.0, low_open=True)
        t = torch.tensor([0.0, t1], dtype=torch.float64)
        opts: dict[str, object] = {"max_num_steps": self.max_num_steps}
        if self.first_step is not None:
            opts["first_step"] = self.first_step
        zs, stats = _regularized_odeint(  # unchecked: one solve per training step
            self.func,
            x,
            t,
            rtol=self.rtol,
            atol=self.atol,
            land_on_end=True,
            options=opts,
            stiffness=stiffness,
        )
        return self.head(zs[-1]), stats

    def forward_taylor(self, x: torch.Tensor) -> tuple[torch.Tensor, SolveStats, torch.Tensor]:
        """Logits, solve statistics and TayNODE's ``R_2 = mean_b ∫₀¹ ‖z_b''‖² dt`` from one solve
        of the augmented state ``(z, r)`` (:class:`~theorybook.nde.taynode_torch.TaylorAugmentedField`,
        equation :eq:`nde-taynode`)."""
        from theorybook.nde.taynode_torch import _TaylorAugmentedField

        x = self._check_input(x)
        t = torch.tensor([0.0, 1.0], dtype=torch.float64)
        state = torch.cat([x, torch.zeros_like(x[:, :1])], dim=-1)
        opts: dict[str, object] = {"max_num_steps": self.max_num_steps}
        zs, stats = _regularized_odeint(
            _TaylorAugmentedField(self.func),
            state,
            t,
            rtol=self.rtol,
            atol=self.atol,
            land_on_end=True,
            options=opts,
        )
        end = zs[-1]
        return self.head(end[:, :-1]), stats, end[:, -1].mean()


@record
@dataclass(frozen=True)
class NodeRun:
    """One training run: per-epoch history and the final test metrics.

    ``history`` maps ``epoch``, ``loss`` (cross-entropy), ``reg`` (the value of the method's
    regularizer: ``R_E`` for ERNODE, ``R_S`` for SRNODE, ``R_E`` of the plain solve for vanilla and
    STEER, so the columns compare like with like), ``lam``, ``train_acc``, ``nfe`` (mean forward
    NFE per training step) and ``wall`` (cumulative training seconds) to lists. ``test_nfe`` is the
    NFE of one solve over the whole test set at ``T = 1``; ``predict_seconds`` the median of timed
    test predictions (:func:`theorybook.timing.best_of`); ``test_correct`` whether each test point
    is classified correctly (for intervals over test points; ``None`` if not recorded).
    """

    method: Method
    lam0: NonNegativeReal
    history: dict[str, list[float]]
    test_acc: Probability
    test_nfe: PositiveInt
    train_seconds: NonNegativeReal
    predict_seconds: NonNegativeReal
    model: NODEClassifier = field(repr=False)
    seed: Seed = 0
    test_correct: np.ndarray | None = field(default=None, repr=False)


def _features(
    data: ClassificationData, name: str, dev: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """``data.<name>`` as a tensor of the model's dtype, or ``ValueError`` if it overflows it."""
    out = torch.from_numpy(getattr(data, name)).to(dev, dtype)
    if not bool(torch.isfinite(out).all()):
        raise ValueError(f"data.{name} overflows {dtype} (the model's dtype)")
    return out


def check_lam_stiff(method: str, lam_stiff: object) -> float | None:
    """The constant weight λ_S of R_S in the combined loss λ R_E + λ_S R_S: required (> 0) for
    ``"ernode+srnode"``, refused (must be ``None``) for every other method."""
    if method == "ernode+srnode":
        if lam_stiff is None:
            raise ValueError("ernode+srnode needs lam_stiff > 0 (the constant weight of R_S)")
        return real("lam_stiff", lam_stiff, low=0.0, low_open=True)
    if lam_stiff is not None:
        raise ValueError(f"lam_stiff is used by 'ernode+srnode' only, got it for {method!r}")
    return None


@checked
def train_node(
    data: ClassificationData,
    method: Method = "vanilla",
    *,
    lam0: NonNegativeReal = 0.0,
    lam1: NonNegativeReal | None = None,
    epochs: PositiveInt = Classifier.epochs,
    batch_size: PositiveInt | None = None,
    hidden: PositiveInt = Classifier.hidden,
    lr: PositiveReal = Classifier.lr,
    rtol: PositiveReal = Config.rtol,
    atol: PositiveReal = Config.atol,
    steer_b: OpenUnit = Regularizers.steer_b,
    seed: Seed = 0,
    progress: bool = False,
    torch_device: str | None = Config.torch_device,
    dtype: FloatType = Classifier.dtype,
    max_num_steps: PositiveInt = TRAIN_MAX_NUM_STEPS,
    stiffness: StiffnessForm = "integral",
    lam_stiff: PositiveReal | None = None,
) -> NodeRun:
    """Train a :class:`NODEClassifier` with Adam and return its :class:`NodeRun`.

    The loss is ``CE + λ(e) R`` (equation :eq:`nde-objective`): ``"vanilla"`` has no ``R``,
    ``"ernode"`` adds ``λ R_E``, ``"srnode"`` ``λ R_S``, ``"steer"`` instead draws the end time
    ``T′ ~ U(1 − b, 1 + b)`` at each step, ``"ernode+srnode"`` adds ``λ(e) R_E + λ_S R_S`` with the
    constant ``λ_S = lam_stiff`` (as in the paper: ``R_E`` annealed, ``R_S`` constant) and
    ``"taynode"`` adds TayNODE's order-2 ``λ R_2`` (Kelly et al. 2020, equation
    :eq:`nde-taynode`), integrated in an augmented state whose field costs one Jacobian-vector
    product more per evaluation (:mod:`~theorybook.nde.taynode_torch`; its training NFE counts
    augmented evaluations, its test NFE the plain solve). The steps run through
    :func:`theorybook.training.train_loop`. Defaults are :class:`~theorybook.nde.config.Config`'s.

    Arguments:
        data: the training and test split.
        method: one of :data:`METHODS`.
        lam0: ``λ₀``, the weight of ``R`` at the first epoch (0 for vanilla and STEER, > 0
            otherwise).
        lam1: ``λ₁``, the weight at the end of :func:`lambda_schedule` (default: ``lam0``,
            constant).
        epochs: passes over the training set.
        batch_size: minibatch size (``None``: full batch).
        hidden: width of the vector field.
        lr: Adam's learning rate.
        rtol: relative tolerance of every solve.
        atol: absolute tolerance of every solve.
        steer_b: STEER's half-width ``b`` (in ``(0, 1)``).
        seed: seed of the initialization, the minibatches and STEER's end times.
        progress: show a progress bar.
        torch_device: passed to :func:`theorybook.runtime.device` (``None``: CUDA when
            available; the CPU default is faster for these small fields).
        dtype: ``"float32"`` or ``"float64"`` (model and data).
        max_num_steps: the step cap of each training solve.
        stiffness: SRNODE's regularizer, ``"integral"`` (``R_S = Σ_j |h_j| ρ_j / s_stab``,
            equation :eq:`nde-srnode`) or ``"max"`` (``max_j ρ_j / s_stab``, the official code's
            form); see :meth:`~theorybook.nde.solver_torch.SolveStats.stiffness`.
        lam_stiff: ``λ_S`` of ``"ernode+srnode"`` (required there, refused elsewhere).

    Returns:
        The :class:`NodeRun`: per-epoch history, test accuracy and NFE, timings and the model.

    Raises:
        TypeError, ValueError: for malformed arguments.
        TrainingDiverged: naming the step (and epoch) when the loss is not finite or has
            exploded, or a training solve fails (non-finite state, step-size underflow, more than
            ``max_num_steps`` steps): a large learning rate stops with this error instead of
            hanging in one solve.
    """
    lam1 = lam0 if lam1 is None else lam1
    if method in REGULARIZED and (lam0 <= 0 or lam1 <= 0):
        raise ValueError(f"{method} needs lam0 > 0 (and lam1 > 0), got {lam0}, {lam1}")
    if method in ("vanilla", "steer") and (lam0 != 0 or lam1 != 0):
        raise ValueError(f"{method} has no regularizer: lam0/lam1 must be 0, got {lam0}, {lam1}")
    lam_stiff = check_lam_stiff(method, lam_stiff)
    tdtype = DTYPES[dtype]
    n = len(data.x_train)
    bs = n if batch_size is None else min(batch_size, n)
    n_batches = len(range(0, n, bs))
    try:
        dev = device(torch_device)
    except ValueError as err:
        raise ValueError(f"torch_device={torch_device!r}: {err}") from None
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    xtr, xte = _features(data, "x_train", dev, tdtype), _features(data, "x_test", dev, tdtype)
    ytr = torch.from_numpy(data.y_train).to(dev, torch.long)
    yte = torch.from_numpy(data.y_test).to(dev, torch.long)
    model = NODEClassifier(
        data.dim, hidden, max(data.n_classes, 2), rtol=rtol, atol=atol, max_num_steps=max_num_steps
    ).to(dev, tdtype)
    opt = adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {
        k: [] for k in ("epoch", "loss", "reg", "lam", "train_acc", "nfe", "wall")
    }
    where = f"{method} on {data.name}"
    needs_stiffness = method in ("srnode", "ernode+srnode")  # the losses with R_S
    # Per-epoch state, set at the first minibatch of each epoch (same RNG draws, same order).
    lam = 0.0
    perm = torch.empty(0, dtype=torch.long)
    tot = {"loss": 0.0, "reg": 0.0, "acc": 0.0, "nfe": 0.0}
    wall = epoch_seconds = 0.0

    def step(t: int) -> torch.Tensor:
        nonlocal lam, perm, tot, wall, epoch_seconds
        epoch, b = divmod(t - 1, n_batches)
        if b == 0:
            lam = _lambda_schedule(epoch, epochs, lam0, lam1) if method in REGULARIZED else 0.0
            perm = torch.randperm(n, generator=gen).to(dev)
            tot = {"loss": 0.0, "reg": 0.0, "acc": 0.0, "nfe": 0.0}
            epoch_seconds = 0.0
        with Timer(cuda_sync=dev.type == "cuda") as timer:
            idx = perm[b * bs : b * bs + bs]
            t1 = 1.0
            if method == "steer":
                t1 = 1.0 + steer_b * (2.0 * float(torch.rand((), generator=gen)) - 1.0)
            try:
                if method == "taynode":
                    logits, stats, reg = model.forward_taylor(xtr[idx])
                else:
                    logits, stats = model(xtr[idx], t1, stiffness=needs_stiffness)
            except SolverError as err:
                raise TrainingDiverged(
                    f"{where} diverged at step {t} (epoch {epoch}, minibatch {b}): {err}"
                ) from None
            ce = nn.functional.cross_entropy(logits, ytr[idx])
            # Vanilla and STEER log the R_E of their plain solve: the column compares like
            # with like across methods (the combined method logs R_E too).
            if method == "srnode":
                reg = stats.stiffness(stiffness)
            elif method != "taynode":
                reg = stats.error_estimate
            loss = ce + lam * reg.to(ce.dtype) if lam > 0 else ce
            if lam_stiff is not None:  # ernode+srnode: λ(e) R_E + λ_S R_S
                loss = loss + lam_stiff * stats.stiffness(stiffness).to(ce.dtype)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot["loss"] += ce.item()
            tot["reg"] += reg.item()
            tot["acc"] += float((logits.argmax(-1) == ytr[idx]).float().mean())
            tot["nfe"] += stats.nfe
        epoch_seconds += timer.seconds
        if b == n_batches - 1:
            wall += epoch_seconds
            hist["epoch"].append(epoch)
            hist["lam"].append(lam)
            for k, key in (("loss", "loss"), ("reg", "reg"), ("acc", "train_acc"), ("nfe", "nfe")):
                hist[key].append(tot[k] / n_batches)
            hist["wall"].append(wall)
        return loss

    train_loop(
        step,
        epochs * n_batches,
        desc=where,
        progress=progress,
        parameters=list(model.parameters()),
    )
    try:
        test_acc, test_nfe, pred, correct = _evaluate(model, xte, yte)
    except SolverError as err:
        raise TrainingDiverged(f"{where}: the test solve after training failed: {err}") from None
    return NodeRun(method, lam0, hist, test_acc, test_nfe, wall, pred, model, seed, correct)


@checked
def evaluate_node(
    model: NODEClassifier,
    x: Float3264[Tensor, "n dim"],
    y: Int[Tensor, " n"],
    repeats: PositiveInt = 7,
) -> tuple[float, int, float]:
    """Test accuracy, NFE of one solve over ``x`` at ``T = 1`` and the median of ``repeats`` timed
    predictions (:func:`theorybook.timing.best_of`).

    Arguments:
        model: the trained classifier.
        x: the test inputs.
        y: the test labels.
        repeats: timed predictions.

    Returns:
        ``(accuracy, NFE, median seconds per prediction)``.

    Raises:
        TypeError, ValueError: for malformed arguments (``x`` of another dtype or device than
            the model's, or another ``dim``).
        SolverError: if the test solve fails (a model that has blown up).
    """
    matches_module("x", x, model)
    return _evaluate(model, x, y, repeats)[:3]


def _evaluate(
    model: NODEClassifier, x: torch.Tensor, y: torch.Tensor, repeats: int = 7
) -> tuple[float, int, float, np.ndarray]:
    """:func:`evaluate_node` unchecked, plus whether each point is classified correctly."""
    with torch.no_grad():
        logits, stats = model(x, 1.0, stiffness=False)
        timing = best_of(
            lambda: model(x, 1.0, stiffness=False),
            repeats=repeats,
            warmup=0,
            cuda_sync=x.device.type == "cuda",
        )
    hit = logits.argmax(-1) == y
    return float(hit.float().mean()), int(stats.nfe), timing.median, hit.cpu().numpy()
