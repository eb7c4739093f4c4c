"""A latent ODE on irregularly sampled spirals, trained with and without ``R_E`` (PyTorch).

Chapter 7 (*Regularizing internal solver heuristics*, Pal et al. 2021), the stand-in for the paper's
Physionet latent ODE. Data: two-dimensional damped spirals ``x' = A x`` turning clockwise or
counter-clockwise, observed with noise at a random half of an irregular time grid. Model (Rubanova et
al. 2019 style): a GRU run backwards over the observations gives ``q(z₀ | x) = N(μ, σ²)``; the latent
state follows ``z' = f_θ(z)`` solved by :func:`~theorybook.nde.solver_torch.regularized_odeint` and a linear
decoder maps ``z(t)`` back to the data. The loss is the negative ELBO (Gaussian likelihood with fixed
``σ_obs``) plus ``λ R_E``; the test metric is the mean squared error at the *unobserved* grid points
(interpolation), and the NFE of one solve of the test batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from theorybook.nde.solver_torch import SolveStats, regularized_odeint
from theorybook.runtime import Timer, TrainingDiverged, device, progress, seed_everything

__all__ = ["LatentODE", "LatentRun", "SpiralData", "make_spirals", "train_latent_ode"]


@dataclass(frozen=True)
class SpiralData:
    """Spirals on a shared irregular grid ``t`` (float32): ``x`` (n, T, 2), observation mask (n, T)."""

    t: np.ndarray
    x_train: np.ndarray
    mask_train: np.ndarray
    x_test: np.ndarray
    mask_test: np.ndarray


def make_spirals(
    n_train: int,
    n_test: int,
    *,
    n_times: int = 40,
    t_max: float = 4.0,
    obs_frac: float = 0.5,
    noise: float = 0.05,
    seed: int = 0,
) -> SpiralData:
    """Damped spirals ``x(t) = e^{tA} x₀``, ``A = [[−0.1, ±2], [∓2, −0.1]]``, on ``n_times`` sorted uniform times.

    ``x₀`` has radius in ``[0.5, 1.5]`` and a uniform angle; half the trajectories turn each way. Each
    trajectory observes a random fraction ``obs_frac`` of the grid (at least the first time).
    """
    if n_train < 2 or n_test < 2 or n_times < 4 or not 0 < obs_frac <= 1 or t_max <= 0:
        raise ValueError("need n_train, n_test >= 2, n_times >= 4, obs_frac in (0, 1], t_max > 0")
    rng = np.random.default_rng(seed)
    t = np.sort(np.concatenate([[0.0], rng.uniform(0.0, t_max, n_times - 1)]))
    n = n_train + n_test
    r = rng.uniform(0.5, 1.5, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    ang = phi[:, None] + sign[:, None] * 2.0 * t[None, :]
    rad = r[:, None] * np.exp(-0.1 * t)[None, :]
    x = np.stack([rad * np.cos(ang), rad * np.sin(ang)], -1) + noise * rng.normal(
        size=(n, n_times, 2)
    )
    mask = rng.random((n, n_times)) < obs_frac
    mask[:, 0] = True
    x, mask = x.astype(np.float32), mask.astype(np.float32)
    return SpiralData(
        t.astype(np.float32), x[:n_train], mask[:n_train], x[n_train:], mask[n_train:]
    )


class LatentODE(nn.Module):
    """GRU encoder (backwards in time, masked) → ``q(z₀)``; latent field ``z' = f_θ(z)``; linear decoder."""

    def __init__(
        self,
        obs_dim: int = 2,
        latent: int = 4,
        hidden: int = 32,
        rtol: float = 1e-5,
        atol: float = 1e-5,
    ) -> None:
        super().__init__()
        self.gru = nn.GRUCell(2 * obs_dim + 1, hidden)
        self.to_q = nn.Linear(hidden, 2 * latent)
        self.func = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, latent))
        self.dec = nn.Linear(latent, obs_dim)
        self.latent, self.hidden, self.rtol, self.atol = latent, hidden, rtol, atol

    def encode(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.new_zeros(x.shape[0], self.hidden)
        dts = torch.cat([t[1:] - t[:-1], t.new_zeros(1)])
        for i in range(t.shape[0] - 1, -1, -1):  # backwards, updating only where observed
            m = mask[:, i : i + 1]
            inp = torch.cat(
                [x[:, i] * m, m.expand(-1, x.shape[-1]), dts[i].expand(x.shape[0], 1)], -1
            )
            h = m * self.gru(inp, h) + (1 - m) * h
        mu, logvar = self.to_q(h).chunk(2, -1)
        return mu, logvar

    def forward(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, *, sample: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, SolveStats]:
        """Reconstruction ``x̂`` (n, T, d), ``μ``, ``log σ²`` and the solve's :class:`SolveStats`."""
        mu, logvar = self.encode(t, x, mask)
        z0 = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        zs, stats = regularized_odeint(
            lambda tt, z: self.func(z), z0, t.to(torch.float64), rtol=self.rtol, atol=self.atol
        )
        return self.dec(zs).transpose(0, 1), mu, logvar, stats

    @torch.no_grad()
    def reconstruct(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, t_out: torch.Tensor
    ) -> torch.Tensor:
        """Decode the posterior mean ``z₀ = μ`` at the times ``t_out`` (e.g. a fine grid for plots): (n, len(t_out), d)."""
        mu, _ = self.encode(t, x, mask)
        zs, _ = regularized_odeint(
            lambda tt, z: self.func(z), mu, t_out.to(torch.float64), rtol=self.rtol, atol=self.atol
        )
        return self.dec(zs).transpose(0, 1)


@dataclass
class LatentRun:
    """A latent-ODE training run: per-epoch history and test metrics (interpolation MSE at unobserved points)."""

    method: str
    lam0: float
    history: dict[str, list[float]]
    test_mse: float
    test_nfe: int
    train_seconds: float
    predict_seconds: float
    model: LatentODE = field(repr=False)


def train_latent_ode(
    data: SpiralData,
    method: str = "vanilla",
    *,
    lam0: float = 0.0,
    epochs: int = 40,
    batch_size: int = 50,
    latent: int = 4,
    hidden: int = 32,
    lr: float = 1e-2,
    obs_sigma: float = 0.1,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    seed: int = 0,
    show_progress: bool = True,
    torch_device: str | None = "cpu",
) -> LatentRun:
    """Adam on the negative ELBO ``Σ_obs ‖x̂ − x‖²/(2σ²) + KL(q(z₀) ‖ N(0, I))`` (per trajectory) ``+ λ R_E``.

    ``method`` is ``"vanilla"`` or ``"ernode"`` (constant ``λ = lam0``); ``torch_device`` as in
    :func:`~theorybook.nde.train_torch.train_node`. Raises
    :class:`~theorybook.runtime.TrainingDiverged` naming the epoch and step on a non-finite loss.
    """
    if method not in ("vanilla", "ernode"):
        raise ValueError(f"method must be 'vanilla' or 'ernode', got {method!r}")
    if method == "ernode" and lam0 <= 0:
        raise ValueError("ernode needs lam0 > 0")
    if epochs < 1 or batch_size < 1 or obs_sigma <= 0 or lr <= 0:
        raise ValueError("need epochs, batch_size >= 1 and obs_sigma, lr > 0")
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    dev = device(torch_device)
    sync = dev.type == "cuda"
    t = torch.from_numpy(data.t).to(dev)
    x, m = torch.from_numpy(data.x_train).to(dev), torch.from_numpy(data.mask_train).to(dev)
    model = LatentODE(data.x_train.shape[-1], latent, hidden, rtol, atol).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {k: [] for k in ("epoch", "loss", "reg", "nfe", "wall")}
    wall, n = 0.0, x.shape[0]
    lam = lam0 if method == "ernode" else 0.0
    for epoch in progress(
        range(epochs), desc=f"latent ODE {method}", leave=False, disable=not show_progress
    ):
        perm = torch.randperm(n, generator=gen).to(dev)
        tot, nb = np.zeros(3), 0
        with Timer(cuda_sync=sync) as timer:
            for step, start in enumerate(range(0, n, batch_size)):
                idx = perm[start : start + batch_size]
                try:
                    xh, mu, logvar, st = model(t, x[idx], m[idx])
                except AssertionError as err:  # torchdiffeq: non-finite state or step underflow
                    raise TrainingDiverged(
                        f"latent ODE {method}: epoch {epoch}, step {step}: solver failed ({err})"
                    ) from err
                rec = (((xh - x[idx]) ** 2).sum(-1) * m[idx]).sum() / (2 * obs_sigma**2) / len(idx)
                kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum() / len(idx)
                loss = rec + kl + (lam * st.error_estimate.to(rec.dtype) if lam > 0 else 0.0)
                if not bool(torch.isfinite(loss.detach())):
                    raise TrainingDiverged(
                        f"latent ODE {method}: epoch {epoch}, step {step}: loss {loss.item()}"
                    )
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += (rec.item() + kl.item(), st.error_estimate.item(), st.nfe)
                nb += 1
        wall += timer.seconds
        hist["epoch"].append(epoch)
        for k, v in zip(("loss", "reg", "nfe"), tot / nb):
            hist[k].append(float(v))
        hist["wall"].append(wall)
    xt, mt = torch.from_numpy(data.x_test).to(dev), torch.from_numpy(data.mask_test).to(dev)
    best = float("inf")
    with torch.no_grad():
        for _ in range(5):
            with Timer(cuda_sync=sync) as timer:
                xh, _, _, st = model(t, xt, mt, sample=False)
            best = min(best, timer.seconds)
    held = 1 - mt
    mse = float((((xh - xt) ** 2).sum(-1) * held).sum() / (2 * held.sum()))
    return LatentRun(method, lam0, hist, mse, int(st.nfe), wall, best, model)
