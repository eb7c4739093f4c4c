"""Training a reconstruction function by the DAE or the RCAE criterion, with σ annealing.

:func:`train_autoencoder` minimises :func:`~theorybook.rae.criteria.dae_loss` or
:func:`~theorybook.rae.criteria.rcae_loss` divided by ``σ⁴`` (the same minimiser; it keeps the
loss of order one as ``σ → 0``, where Adam's ``eps`` would otherwise dominate the gradients)
along a σ schedule: ``training.steps`` Adam steps at each σ, with a cosine learning-rate decay per
stage, each stage run by :func:`theorybook.training.train_loop`. The DAE target ``−ε/σ`` of the
score has variance ``1/σ²``: starting at a large σ and annealing reaches the small-σ optimum with
far less gradient noise (eq. :eq:`rae-dsm`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from theorybook.rae.config import Training
from theorybook.rae.criteria import dae_loss, rcae_loss
from theorybook.rae.models import ReconstructionModel
from theorybook.training import DivergenceGuard, TrainingHistory, train_loop
from theorybook.validation import array, one_of, positive_int, real_sequence, seed

__all__ = ["train_autoencoder"]


def train_autoencoder(
    model: ReconstructionModel,
    data: object,
    *,
    criterion: str = "rcae",
    sigma_schedule: Sequence[float] = (0.1,),
    training: Training = Training(),
    seed: int = 0,
    jacobian: str = "exact",
    n_probes: int = 1,
    progress: bool = False,
) -> TrainingHistory:
    """Train ``model`` in place on ``data`` (shape ``(n, d)``) and return the loss history.

    Arguments:
        model: the reconstruction function (its ``sigma`` is set to each level in turn and ends
            at the last).
        data: the training points, shape ``(n, d)``.
        criterion: ``"dae"`` (eq. :eq:`rae-dae`) or ``"rcae"`` (eq. :eq:`rae-rcae`).
        sigma_schedule: the noise levels, in order; ``training.steps`` steps at each. One value:
            no annealing.
        training: Adam steps per σ level, mini-batch size (sampled with replacement) and initial
            learning rate (cosine-decayed to 0 within each level).
        seed: the seed of batches, noise and probes.
        jacobian: how :func:`~theorybook.rae.criteria.rcae_loss` computes the Jacobian norm
            (``"exact"`` or ``"hutchinson"``).
        n_probes: Hutchinson probes per point.
        progress: show a progress bar per σ level.

    Returns:
        The :class:`~theorybook.training.TrainingHistory` of the whole schedule: ``losses[t]``
        the criterion / σ⁴ of step ``t + 1``, ``records["sigma"][t]`` its σ.

    Raises:
        TrainingDiverged: naming the step (counted over the whole schedule) and the σ level whose
            loss is NaN, infinite or has exploded.
    """
    if not isinstance(model, ReconstructionModel):
        raise TypeError(
            f"model must be a ScoreAutoencoder or another ReconstructionModel, "
            f"got {type(model).__name__}"
        )
    if not isinstance(training, Training):
        raise TypeError(f"training must be a rae Training block, got {type(training).__name__}")
    x_all = array("data", data, shape=(None, model.dim))
    one_of("criterion", criterion, ("dae", "rcae"))
    one_of("jacobian", jacobian, ("exact", "hutchinson"))
    sigmas = real_sequence("sigma_schedule", sigma_schedule, low=0.0, low_open=True)
    n_probes = positive_int("n_probes", n_probes)
    seed_ = _seed(seed)
    param = next(model.parameters())
    data_t = torch.as_tensor(x_all, dtype=param.dtype, device=param.device)
    gen = torch.Generator(device=param.device).manual_seed(seed_)
    torch.manual_seed(seed_)
    losses: list[float] = []
    sigma_log: list[float] = []
    model.train()
    for level, sigma in enumerate(sigmas):
        model.set_sigma(sigma)
        step = _stage(model, data_t, gen, sigma, criterion, jacobian, n_probes, training)
        where = f"{criterion} training (σ level {level}, σ = {sigma:g})"
        history = train_loop(
            step,
            training.steps,
            desc=where,
            progress=progress,
            guard=DivergenceGuard(where=where),
            start=level * training.steps + 1,
        )
        losses += history.losses
        sigma_log += history.records["sigma"]
    model.eval()
    return TrainingHistory(losses=tuple(losses), records={"sigma": tuple(sigma_log)})


def _stage(
    model: ReconstructionModel,
    data_t: torch.Tensor,
    gen: torch.Generator,
    sigma: float,
    criterion: str,
    jacobian: str,
    n_probes: int,
    training: Training,
) -> Callable[[int], tuple[torch.Tensor, dict[str, float]]]:
    """One σ level's optimisation step: a fresh Adam with a cosine decay over the level."""
    opt = torch.optim.Adam(model.parameters(), lr=training.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=training.steps)
    shape = (training.batch_size,)

    def step(t: int) -> tuple[torch.Tensor, dict[str, float]]:
        idx = torch.randint(0, len(data_t), shape, generator=gen, device=data_t.device)
        xb = data_t[idx]
        if criterion == "dae":
            loss = dae_loss(model, xb, sigma, generator=gen)
        else:
            loss = rcae_loss(model, xb, sigma, jacobian=jacobian, n_probes=n_probes, generator=gen)
        scaled = loss / sigma**4
        opt.zero_grad(set_to_none=True)
        scaled.backward()
        opt.step()
        sched.step()
        return scaled, {"sigma": sigma}

    return step


def _seed(value: object) -> int:
    return seed("seed", value)
