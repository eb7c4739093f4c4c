"""Training a reconstruction function by the DAE or the RCAE criterion, with σ annealing.

:func:`train_autoencoder` minimises :func:`~theorybook.rae.criteria.dae_loss` or
:func:`~theorybook.rae.criteria.rcae_loss` divided by ``σ⁴`` (the same minimiser; it keeps the
loss of order one as ``σ → 0``, where Adam's ``eps`` would otherwise dominate the gradients)
along a σ schedule: ``steps`` Adam steps at each σ, with a cosine learning-rate decay per stage.
The DAE target ``−ε/σ`` of the score has variance ``1/σ²``: starting at a large σ and annealing
reaches the small-σ optimum with far less gradient noise (eq. :eq:`rae-dsm`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from theorybook.rae.criteria import dae_loss, rcae_loss
from theorybook.rae.models import ReconstructionModel
from theorybook.reporting import progress as progress_bar
from theorybook.training import check_finite_loss
from theorybook.validation import array, one_of, positive_int, positive_real, real_sequence, seed

__all__ = ["TrainingHistory", "train_autoencoder"]


@dataclass(frozen=True)
class TrainingHistory:
    """The loss (criterion / σ⁴) and σ at every optimisation step."""

    losses: NDArray[np.float64]
    sigmas: NDArray[np.float64]
    criterion: str


def train_autoencoder(
    model: ReconstructionModel,
    data: object,
    *,
    criterion: str = "rcae",
    sigma_schedule: Sequence[float] = (0.1,),
    steps: int = 1000,
    batch_size: int = 256,
    lr: float = 3e-3,
    seed: int = 0,
    jacobian: str = "exact",
    n_probes: int = 1,
    progress: bool = False,
) -> TrainingHistory:
    """Train ``model`` in place on ``data`` (shape ``(n, d)``) and return the loss history.

    Arguments
    ---------
    criterion:
        ``"dae"`` (eq. :eq:`rae-dae`) or ``"rcae"`` (eq. :eq:`rae-rcae`).
    sigma_schedule:
        the noise levels, in order; ``steps`` steps at each. One value: no annealing. The model's
        ``sigma`` is set to each level in turn and ends at the last.
    steps, batch_size, lr, seed:
        Adam steps per σ level, mini-batch size (sampled with replacement), initial learning rate
        (cosine-decayed to 0 within each level) and the seed of batches, noise and probes.
    jacobian, n_probes:
        how :func:`~theorybook.rae.criteria.rcae_loss` computes the Jacobian norm.

    Raises
    ------
    TrainingDiverged
        naming the first step whose loss is NaN or infinite.
    """
    if not isinstance(model, ReconstructionModel):
        raise TypeError(
            f"model must be a ScoreAutoencoder or another ReconstructionModel, "
            f"got {type(model).__name__}"
        )
    x_all = array("data", data, shape=(None, model.dim))
    one_of("criterion", criterion, ("dae", "rcae"))
    one_of("jacobian", jacobian, ("exact", "hutchinson"))
    sigmas = real_sequence("sigma_schedule", sigma_schedule, low=0.0, low_open=True)
    steps = positive_int("steps", steps)
    batch_size = positive_int("batch_size", batch_size)
    lr = positive_real("lr", lr)
    n_probes = positive_int("n_probes", n_probes)
    seed_ = _seed(seed)
    param = next(model.parameters())
    data_t = torch.as_tensor(x_all, dtype=param.dtype, device=param.device)
    gen = torch.Generator(device=param.device).manual_seed(seed_)
    torch.manual_seed(seed_)
    losses = np.empty(steps * len(sigmas))
    sig_log = np.repeat(np.asarray(sigmas), steps)
    model.train()
    bar = progress_bar(total=len(losses), desc=f"{criterion} training", disable=not progress)
    k = 0
    for level, sigma in enumerate(sigmas):
        model.set_sigma(sigma)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        for _ in range(steps):
            idx = torch.randint(0, len(data_t), (batch_size,), generator=gen, device=param.device)
            xb = data_t[idx]
            if criterion == "dae":
                loss = dae_loss(model, xb, sigma, generator=gen)
            else:
                loss = rcae_loss(
                    model, xb, sigma, jacobian=jacobian, n_probes=n_probes, generator=gen
                )
            scaled = loss / sigma**4
            losses[k] = check_finite_loss(
                scaled, step=k, where=f"{criterion} training (σ level {level}, σ = {sigma:g})"
            )
            opt.zero_grad(set_to_none=True)
            scaled.backward()
            opt.step()
            sched.step()
            k += 1
            bar.update(1)
    bar.close()
    model.eval()
    return TrainingHistory(losses=losses, sigmas=sig_log, criterion=criterion)


def _seed(value: object) -> int:
    return seed("seed", value)
