"""The training loop's speed-ups keep chapter 3's training bit for bit (theorybook.lpn.train)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
import torch

from theorybook.lpn import LPN, ConvLPN, PlainCNN, Stage, train_lpn
from theorybook.lpn import train as train_module
from theorybook.runtime import torch_threads

Sampler = Callable[[], tuple[torch.Tensor, torch.Tensor]]


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch):
    """One torch thread, as the book runs the chapter."""
    monkeypatch.setenv("THEORYBOOK_THREADS", "1")
    with torch_threads(1):
        yield


def _vectors() -> tuple[torch.nn.Module, Sampler]:
    model = LPN(1, 50, 4, beta=10.0)  # the Laplace toy's network

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.distributions.Laplace(0.0, 1.0).sample((64, 1))
        return x, x + torch.randn(64, 1)

    return model, sample


def _images(model: torch.nn.Module) -> tuple[torch.nn.Module, Sampler]:
    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(16, 1, 8, 8)
        return x, x + 0.1 * torch.randn_like(x)

    return model, sample


MODELS: dict[str, Callable[[], tuple[torch.nn.Module, Sampler]]] = {
    "LPN": _vectors,
    # the paper's init (constrained weights ≈ 4.5e−5): the first steps see subnormal floats
    "ConvLPN": lambda: _images(ConvLPN(8, 1, 32)),
    "PlainCNN": lambda: _images(PlainCNN(1, 32, 5)),
}


def test_training_and_its_timing_use_the_multi_tensor_adam(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Adam that ``train_lpn`` and ``time_training_steps`` make is the multi-tensor one
    that the test below compares, so the timed step is the trained step."""
    from theorybook.lpn import Config
    from theorybook.lpn.image_models import time_training_steps

    made: list[object] = []
    init = torch.optim.Adam.__init__

    def recording(self: torch.optim.Adam, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self.defaults["foreach"])

    monkeypatch.setattr(torch.optim.Adam, "__init__", recording)
    model, sampler = MODELS["LPN"]()
    train_lpn(model, sampler, [Stage(2, "l2", 1e-3)])
    assert made == [True]
    cfg = Config.preset("smoke").replace(**{"timing.repeats": 1, "timing.warmup": 0})
    time_training_steps(cfg)
    assert made == [True, True, True]  # the ConvLPN's and the plain CNN's


@pytest.mark.parametrize("name", list(MODELS))
def test_multi_tensor_adam_trains_bit_for_bit(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stage kind (ℓ₂, ℓ₁, proximal matching, learning-rate changes): the losses and the
    weights of the multi-tensor Adam equal those of PyTorch's single-tensor loop exactly."""
    schedule = [Stage(8, "l1", 1e-3), Stage(6, "l2", 3e-4), Stage(8, "pm", 1e-4, gamma=2.0)]

    def train(foreach: bool) -> tuple[tuple[float, ...], list[torch.Tensor]]:
        monkeypatch.setattr(train_module, "adam", partial(train_module.adam, foreach=foreach))
        torch.manual_seed(3)
        model, sampler = MODELS[name]()
        hist = train_lpn(model, sampler, schedule)
        monkeypatch.undo()
        return hist.losses, [p.detach().clone() for p in model.parameters()]

    (loss_a, params_a), (loss_b, params_b) = train(True), train(False)
    assert len(loss_a) == 22
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(params_a, _fresh(name), strict=True))


def _fresh(name: str) -> list[torch.Tensor]:
    """The untrained weights of the same seed (the test's runs must have moved them)."""
    torch.manual_seed(3)
    model, _ = MODELS[name]()
    return [p.detach().clone() for p in model.parameters()]
