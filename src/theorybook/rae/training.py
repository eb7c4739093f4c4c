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
from typing import Literal

import numpy as np
import torch
from jaxtyping import Float

from theorybook.boundary import PositiveInt, PositiveReal, Seed, checked
from theorybook.rae._limits import sigma_power
from theorybook.rae.config import Training
from theorybook.rae.criteria import Jacobian, _dae_loss, _rcae_loss
from theorybook.rae.models import ReconstructionModel, check_fits
from theorybook.training import DivergenceGuard, TrainingHistory, adam, train_loop
from theorybook.validation import real_sequence

__all__ = ["train_autoencoder"]


@checked
def train_autoencoder(
    model: ReconstructionModel,
    data: Float[np.ndarray, "n d"],
    *,
    criterion: Literal["dae", "rcae"] = "rcae",
    sigma_schedule: Sequence[PositiveReal] = (0.1,),
    training: Training = Training(),
    seed: Seed = 0,
    jacobian: Jacobian = "exact",
    n_probes: PositiveInt = 1,
    progress: bool = False,
) -> TrainingHistory:
    """Train ``model`` in place on ``data`` (shape ``(n, d)``) and return the loss history.

    Arguments:
        model: the reconstruction function (its ``sigma`` is set to each level in turn and ends
            at the last).
        data: the training points, shape ``(n, d)``.
        criterion: ``"dae"`` (eq. :eq:`rae-dae`) or ``"rcae"`` (eq. :eq:`rae-rcae`).
        sigma_schedule: the noise levels, in order; ``training.steps`` steps at each. One value:
            no annealing. The loss is divided by σ⁴, so each σ⁴ must be a normal float64 number
            (σ between about 1.2e-77 and 1.1e77; ``ValueError`` naming the level otherwise).
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
        ValueError: on data of the wrong dimension for ``model`` or a σ level outside the range
            above.
        TrainingDiverged: naming the step (counted over the whole schedule) and the σ level whose
            loss is NaN, infinite or has exploded.
    """
    check_fits(model, "data", data)
    sigmas = real_sequence("sigma_schedule", sigma_schedule, low=0.0, low_open=True)
    for level, sigma in enumerate(sigmas):
        sigma_power(f"sigma_schedule[{level}]", sigma, 4)
    param = next(model.parameters(), None)
    if param is None:
        raise ValueError("model has no parameters to train")
    x_all = np.asarray(data, dtype=np.float64)
    data_t = torch.as_tensor(x_all, dtype=param.dtype, device=param.device)
    gen = torch.Generator(device=param.device).manual_seed(seed)
    torch.manual_seed(seed)
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
            parameters=list(model.parameters()),
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
    opt = adam(model.parameters(), lr=training.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=training.steps)
    shape = (training.batch_size,)

    def step(t: int) -> tuple[torch.Tensor, dict[str, float]]:
        idx = torch.randint(0, len(data_t), shape, generator=gen, device=data_t.device)
        xb = data_t[idx]
        if criterion == "dae":
            loss = _dae_loss(model, xb, sigma, gen)
        else:
            loss = _rcae_loss(model, xb, sigma, jacobian, n_probes, gen)
        scaled = loss / sigma**4
        opt.zero_grad(set_to_none=True)
        scaled.backward()
        opt.step()
        sched.step()
        return scaled, {"sigma": sigma}

    return step
