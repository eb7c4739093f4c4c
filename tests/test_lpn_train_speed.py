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


@pytest.mark.parametrize("name", ["ConvLPN", "PlainCNN"])
def test_channels_last_training_matches_up_to_rounding(name: str) -> None:
    """``channels_last=True`` trains the same network to within float32 rounding over a short
    schedule, returns it in the default memory format (so evaluation code sees ordinary
    tensors) and keeps the parameter objects; an LPN trained so stays convex."""

    def train(channels_last: bool) -> tuple[tuple[float, ...], torch.nn.Module, list[int]]:
        torch.manual_seed(3)
        model, sampler = MODELS[name]()
        ids = [id(p) for p in model.parameters()]
        seen: list[bool] = []
        cl = torch.channels_last
        model.register_forward_pre_hook(
            lambda module, args: seen.append(
                args[0].is_contiguous(memory_format=cl)
                and all(
                    p.is_contiguous(memory_format=cl) for p in module.parameters() if p.ndim == 4
                )
            )
        )
        schedule = [Stage(6, "l1", 1e-3), Stage(4, "pm", 1e-4, gamma=2.0)]
        hist = train_lpn(model, sampler, schedule, channels_last=channels_last)
        assert seen == [channels_last] * 10  # every step ran in the format asked for
        return hist.losses, model, ids

    (loss_a, model_a, ids_a), (loss_b, model_b, _) = train(True), train(False)
    assert [id(p) for p in model_a.parameters()] == ids_a
    for p in model_a.parameters():
        assert p.is_contiguous()
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.tensor(loss_a), torch.tensor(loss_b), rtol=1e-4, atol=1e-6)
    if isinstance(model_a, ConvLPN):
        assert model_a.is_convex()


def test_channels_last_gives_back_the_default_format_when_training_fails() -> None:
    """A diverging run raises, and the model it leaves is in the default memory format."""
    from theorybook.training import TrainingDiverged

    torch.manual_seed(3)
    model = PlainCNN(1, 8, 3)

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.full((4, 1, 8, 8), float("nan"))
        return x, x

    with pytest.raises(TrainingDiverged, match="step 1"):
        train_lpn(model, sample, [Stage(3, "l2", 1e-3)], channels_last=True)
    assert all(p.is_contiguous() for p in model.parameters())


def test_step_timing_refuses_a_memory_format_that_is_not_a_bool() -> None:
    """``time_training_steps(channels_last=...)`` takes a bool, as ``train_lpn`` does."""
    from theorybook.lpn import Config
    from theorybook.lpn.image_models import time_training_steps

    cfg = Config.preset("smoke").replace(**{"timing.repeats": 1, "timing.warmup": 0})
    for bad in ("no", 1, None):
        with pytest.raises(TypeError, match="channels_last must be a bool"):
            time_training_steps(cfg, channels_last=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="channels_last"):
        train_lpn(*MODELS["PlainCNN"](), [Stage(1, "l2", 1e-3)], channels_last="yes")  # type: ignore[arg-type]
