"""The book's multi-tensor Adam (theorybook.training.adam) trains every chapter bit for bit as
PyTorch's single-tensor loop does, and every torch trainer of the book uses it."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

import theorybook
import theorybook.diffusion.training as diffusion_training
import theorybook.distill.deep as distill_deep
import theorybook.nde.latent as nde_latent
import theorybook.nde.train_torch as nde_train
import theorybook.rae.training as rae_training
from theorybook.diffusion import BiasFreeCNN
from theorybook.diffusion import Training as DenoiserTraining
from theorybook.distill import Training as StudentTraining
from theorybook.nde import make_circles_data, make_spirals
from theorybook.rae import ScoreAutoencoder
from theorybook.rae import Training as AutoencoderTraining
from theorybook.runtime import torch_threads
from theorybook.training import adam


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _rae() -> tuple[tuple[float, ...], list[torch.Tensor]]:
    torch.manual_seed(0)
    model = ScoreAutoencoder(2, hidden=16, sigma=0.3)
    data = np.random.default_rng(0).normal(size=(200, 2))
    hist = rae_training.train_autoencoder(
        model, data, sigma_schedule=(0.3, 0.1), training=AutoencoderTraining(steps=6, batch_size=32)
    )
    return hist.losses, _weights(model)


def _diffusion() -> tuple[tuple[float, ...], list[torch.Tensor]]:
    torch.manual_seed(0)
    model = BiasFreeCNN()
    images = torch.rand(8, 1, 12, 12)
    hist = diffusion_training.train_denoiser(
        model, images, training=DenoiserTraining(steps=4, batch_size=4)
    )
    return hist.losses, _weights(model)


def _distill() -> tuple[tuple[float, ...], list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(32, 5, generator=gen), torch.randint(0, 3, (32,), generator=gen)
    training = StudentTraining(hidden=8, depth=1, epochs=3, batch_size=8, weight_decay=1e-2)
    model = distill_deep.train_student(X, y, None, 1.0, training=training, init_seed=0)
    return (), _weights(model)


def _nde_classifier() -> tuple[tuple[float, ...], list[torch.Tensor]]:
    run = nde_train.train_node(make_circles_data(32, 8), "ernode", lam0=0.1, epochs=3, hidden=8)
    return tuple(run.history["loss"]), _weights(run.model)


def _nde_latent() -> tuple[tuple[float, ...], list[torch.Tensor]]:
    data = make_spirals(8, 4, n_times=10, seed=1)
    run = nde_latent.train_latent_ode(data, "vanilla", epochs=2, batch_size=4, hidden=8)
    return tuple(run.history["loss"]), _weights(run.model)


TRAINERS: dict[str, tuple[ModuleType, Callable[[], tuple[tuple[float, ...], list[torch.Tensor]]]]]
TRAINERS = {
    "rae": (rae_training, _rae),
    "diffusion": (diffusion_training, _diffusion),
    "distill (weight decay)": (distill_deep, _distill),
    "nde classifier": (nde_train, _nde_classifier),
    "nde latent ODE": (nde_latent, _nde_latent),
}


@pytest.mark.parametrize("name", list(TRAINERS))
def test_each_trainer_is_bit_for_bit_with_the_single_tensor_adam(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Losses and weights of each chapter's trainer with the book's Adam equal those with
    PyTorch's single-tensor loop exactly, and the run moved the weights."""
    module, train = TRAINERS[name]
    made: list[bool] = []

    def recording(*args: object, foreach: bool = True, **kwargs: object) -> torch.optim.Adam:
        made.append(foreach)
        return adam(*args, foreach=foreach, **kwargs)  # type: ignore[arg-type]

    with torch_threads(1):
        monkeypatch.setattr(module, "adam", recording)
        loss_a, weights_a = train()
        monkeypatch.setattr(module, "adam", partial(recording, foreach=False))
        loss_b, weights_b = train()
    assert made and made[0] is True and set(made[len(made) // 2 :]) == {False}
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(weights_a, weights_b, strict=True))
    assert any(p.abs().sum() > 0 for p in weights_a)


def test_no_trainer_builds_an_adam_of_its_own() -> None:
    """Only theorybook.training builds torch.optim.Adam: a trainer that built its own would
    escape the test above (AR-Net's AdamW has its own fused/foreach choice and test)."""
    root = Path(theorybook.__file__).parent
    own = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "training.py" or p.parent != root
        if re.search(r"optim\.Adam\(", p.read_text(encoding="utf-8"))
    ]
    assert own == []


def test_adam_rejects_bad_settings() -> None:
    params = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="lr"):
        adam(params, lr=0.0)
    with pytest.raises(ValueError, match="weight_decay"):
        adam(params, lr=1e-3, weight_decay=-1.0)
    assert adam(params, lr=1e-3).defaults["foreach"] is True
