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

import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from theorybook.boundary import NonNegativeReal, PositiveInt, PositiveReal, Seed, checked, record
from theorybook.nde.config import Config, Latent, OpenUnit, Regularizers
from theorybook.nde.data import SpiralData, make_spirals
from theorybook.nde.solver_torch import SolverError, SolveStats, _regularized_odeint
from theorybook.nde.train_torch import check_lam_stiff
from theorybook.runtime import device, seed_everything
from theorybook.timing import Timer, best_of
from theorybook.training import TrainingDiverged, adam, train_loop
from theorybook.validation import matches_module

__all__ = [
    "LATENT_METHODS",
    "LatentODE",
    "LatentRun",
    "SpiralData",
    "make_spirals",
    "train_latent_ode",
]

LatentMethod = Literal["vanilla", "ernode", "srnode", "steer", "ernode+srnode", "taynode"]
LATENT_METHODS: tuple[str, ...] = get_args(LatentMethod)


@checked
class LatentODE(nn.Module):
    """GRU encoder (backwards in time, masked) → ``q(z₀)``; latent field ``z' = f_θ(z)``; linear decoder."""

    def __init__(
        self,
        obs_dim: PositiveInt = 2,
        latent: PositiveInt = 4,
        hidden: PositiveInt = 32,
        rtol: PositiveReal = 1e-5,
        atol: PositiveReal = 1e-5,
        max_num_steps: PositiveInt = 10_000,
    ) -> None:
        super().__init__()
        self.max_num_steps = max_num_steps
        self.obs_dim = obs_dim
        self.gru = nn.GRUCell(2 * obs_dim + 1, hidden)
        self.to_q = nn.Linear(hidden, 2 * latent)
        first, last = nn.Linear(latent, hidden), nn.Linear(hidden, latent)
        self.func = nn.Sequential(first, nn.Tanh(), last)
        self._layers = (first, last)  # read directly at every evaluation (see _field)
        self.dec = nn.Linear(latent, obs_dim)
        self.latent, self.hidden, self.rtol, self.atol = latent, hidden, rtol, atol

    def _check(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> None:
        for name, v in (("t", t), ("x", x), ("mask", mask)):
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(v).__name__}")
        if x.ndim != 3 or x.shape[-1] != self.obs_dim:
            raise ValueError(f"x must be (n, T, {self.obs_dim}), got {tuple(x.shape)}")
        if t.ndim != 1 or t.shape[0] != x.shape[1]:
            raise ValueError(f"t must be 1-D with {x.shape[1]} times, got {tuple(t.shape)}")
        if mask.shape != x.shape[:2]:
            raise ValueError(f"mask must have shape {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
        for name, v in (("t", t), ("x", x), ("mask", mask)):
            if not v.is_floating_point() or not bool(torch.isfinite(v).all()):
                raise ValueError(f"{name} must be a floating tensor of finite values")
        for name, v in (("x", x), ("t", t), ("mask", mask)):  # a dtype or device of its own
            matches_module(name, v, self)

    def _solve(
        self, z0: torch.Tensor, t: torch.Tensor, *, taylor: bool = False, stiffness: bool = False
    ) -> tuple[torch.Tensor, SolveStats]:
        if not bool(torch.isfinite(z0).all()):
            raise SolverError(
                "the initial latent state z(0) from the encoder is not finite (the encoder's "
                "weights have blown up)"
            )
        field: Any = self._field
        if taylor:  # TayNODE: integrate ‖z''‖² in one more state column
            from theorybook.nde.taynode_torch import _TaylorAugmentedField

            field = _TaylorAugmentedField(field)  # unchecked: built at every training step
            z0 = torch.cat([z0, torch.zeros_like(z0[:, :1])], dim=-1)
        return _regularized_odeint(  # unchecked: one solve per training step
            field,
            z0,
            t.to(torch.float64),
            rtol=self.rtol,
            atol=self.atol,
            land_on_end=True,
            options={"max_num_steps": self.max_num_steps},
            stiffness=stiffness,
        )

    def _field(self, tt: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The autonomous latent dynamics ``f_θ(z)``: ``self.func``'s operations, called without
        its three module calls."""
        first, last = self._layers
        return F.linear(torch.tanh(F.linear(z, first.weight, first.bias)), last.weight, last.bias)

    def encode(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ, log σ²)`` of ``q(z₀ | x)`` from a GRU run backwards over the observed points."""
        self._check(t, x, mask)
        n, steps, d = x.shape
        h = x.new_zeros(n, self.hidden)
        dts = torch.cat([t[1:] - t[:-1], t.new_zeros(1)])
        m = mask[..., None]
        # The GRU's inputs at every time at once: (observed value, mask, time to the next point).
        inputs = torch.cat([x * m, m.expand(-1, -1, d), dts.expand(n, steps)[..., None]], -1)
        observed = mask == 1
        binary = bool((observed | (mask == 0)).all())
        # The GRU cell's own operation (``nn.GRUCell.forward`` calls it after checks of the
        # input's rank, which is fixed here), on per-time views taken once: the same values as
        # ``self.gru(inputs[:, i], h)`` and ``observed[:, i : i + 1]``, without a module call
        # and two slicing operations at each of the steps.
        gru = self.gru
        weights = (gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh)
        columns = inputs.unbind(1)
        seen = observed.unsqueeze(-1).unbind(1)
        for i in range(steps - 1, -1, -1):  # backwards, updating only where observed
            new = torch.gru_cell(columns[i], h, *weights)
            if binary:  # the same values as the blend below for a 0/1 mask, in one operation
                h = torch.where(seen[i], new, h)
            else:
                h = m[:, i] * new + (1 - m[:, i]) * h
        mu, logvar = self.to_q(h).chunk(2, -1)
        return mu, logvar

    def forward(
        self,
        t: torch.Tensor,
        x: torch.Tensor,
        mask: torch.Tensor,
        *,
        sample: bool = True,
        t_solve: torch.Tensor | None = None,
        stiffness: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, SolveStats]:
        """Reconstruction ``x̂`` (n, T, d), ``μ``, ``log σ²`` and the solve's :class:`SolveStats`.

        ``t_solve`` (same length as ``t``) replaces the times of the solve, e.g. STEER's randomly
        moved end time; ``stiffness=False`` skips ``R_S`` (its fields ``None``).
        """
        mu, logvar = self.encode(t, x, mask)
        z0 = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        zs, stats = self._solve(z0, t if t_solve is None else t_solve, stiffness=stiffness)
        return self.dec(zs).transpose(0, 1), mu, logvar, stats

    def forward_taylor(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, SolveStats, torch.Tensor]:
        """:meth:`forward` (sampled ``z₀``) through the augmented state of TayNODE, also returning
        ``R_2 = mean_b ∫ ‖z_b''‖² dt`` over ``[t₀, t_T]`` (equation :eq:`nde-taynode`)."""
        mu, logvar = self.encode(t, x, mask)
        z0 = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        zs, stats = self._solve(z0, t, taylor=True)
        return self.dec(zs[..., :-1]).transpose(0, 1), mu, logvar, stats, zs[-1][:, -1].mean()

    @torch.no_grad()
    def reconstruct(
        self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, t_out: torch.Tensor
    ) -> torch.Tensor:
        """Decode the posterior mean ``z₀ = μ`` at the times ``t_out`` (e.g. a fine grid for plots): (n, len(t_out), d)."""
        mu, _ = self.encode(t, x, mask)
        zs, _ = self._solve(mu, t_out)
        return self.dec(zs).transpose(0, 1)


@record
@dataclass(frozen=True)
class LatentRun:
    """A latent-ODE training run: per-epoch history and test metrics (interpolation MSE at unobserved points)."""

    method: LatentMethod
    lam0: NonNegativeReal
    history: dict[str, list[float]]
    test_mse: NonNegativeReal
    test_nfe: PositiveInt
    train_seconds: NonNegativeReal
    predict_seconds: NonNegativeReal
    model: LatentODE = field(repr=False)
    seed: Seed = 0


@checked
def train_latent_ode(
    data: SpiralData,
    method: LatentMethod = "vanilla",
    *,
    lam0: NonNegativeReal = 0.0,
    lam_stiff: PositiveReal | None = None,
    steer_b: OpenUnit = Regularizers.steer_b,
    epochs: PositiveInt = Latent.epochs,
    batch_size: PositiveInt = Latent.batch_size,
    latent: PositiveInt = 4,
    hidden: PositiveInt = Latent.hidden,
    lr: PositiveReal = Latent.lr,
    obs_sigma: PositiveReal = 0.1,
    rtol: PositiveReal = Config.rtol,
    atol: PositiveReal = Config.atol,
    seed: Seed = 0,
    progress: bool = False,
    torch_device: str | None = Config.torch_device,
    max_num_steps: PositiveInt = 2_000,
) -> LatentRun:
    """Adam on the negative ELBO ``Σ_obs ‖x̂ − x‖²/(2σ²) + KL(q(z₀) ‖ N(0, I))`` (per trajectory)
    ``+ λ R_E`` (equation :eq:`nde-ernode`), one step per minibatch through
    :func:`theorybook.training.train_loop`.

    ``method`` is ``"vanilla"`` or ``"steer"`` (``lam0`` must be 0), ``"ernode"``, ``"srnode"``
    (``λ R_S``), ``"ernode+srnode"`` (``λ R_E + λ_S R_S``, ``λ_S = lam_stiff``) or ``"taynode"``
    (``λ R_2``), each with a constant ``λ = lam0 > 0``. STEER moves the last solve time
    ``t_T`` to ``U(t_T − b, t_T + b)`` with ``b = steer_b (t_T − t_{T−1})`` at each step (so the
    times stay ordered; Ghosh et al. 2020).

    Arguments:
        data: the spirals (training and test trajectories, masks and the time grid).
        method: one of :data:`LATENT_METHODS`.
        lam0: the constant weight ``λ`` of the method's regularizer.
        lam_stiff: ``λ_S`` of ``"ernode+srnode"`` (required there, refused elsewhere).
        steer_b: STEER's half-width, as a fraction of the last grid interval.
        epochs: passes over the training trajectories.
        batch_size: trajectories per minibatch.
        latent: dimension of the latent state.
        hidden: width of the GRU and of the latent field.
        lr: Adam's learning rate.
        obs_sigma: the observation noise ``σ`` of the likelihood (``1/(2σ²)`` must be a finite,
            non-zero float: σ between about 1e-150 and 1e150).
        rtol: relative tolerance of every solve.
        atol: absolute tolerance of every solve.
        seed: seed of the initialization, the minibatches, the samples of ``z₀`` and STEER.
        progress: show a progress bar.
        torch_device: as in :func:`~theorybook.nde.train_torch.train_node`.
        max_num_steps: the step cap of each training solve.

    Returns:
        The :class:`LatentRun`: per-epoch history, the interpolation MSE at the unobserved test
        points (``data.mask_test`` must hold some), the test NFE, timings and the model.

    Raises:
        TypeError, ValueError: for malformed arguments (``latent=0``, a negative ``lam0``, ...).
        TrainingDiverged: naming the step (and epoch) on a non-finite or exploding loss or a
            failed training solve (a non-finite initial state from the encoder, more than
            ``max_num_steps`` steps, a non-finite state), or a failed test solve after training.
    """
    try:
        inv_two_var = 1.0 / (2.0 * obs_sigma**2)
    except OverflowError:  # σ² overflows: the weight underflows to 0
        inv_two_var = 0.0
    except ZeroDivisionError:  # σ² underflows to 0
        inv_two_var = math.inf
    if not 0.0 < inv_two_var < math.inf:
        raise ValueError(
            f"obs_sigma={obs_sigma:g} is degenerate: the likelihood's 1/(2 obs_sigma^2) is "
            f"{inv_two_var:g} in floating point"
        )
    if method not in ("vanilla", "steer") and lam0 <= 0:
        raise ValueError(f"{method} needs lam0 > 0")
    if method in ("vanilla", "steer") and lam0 != 0:
        raise ValueError(f"{method} has no regularizer: lam0 must be 0, got {lam0}")
    lam_stiff = check_lam_stiff(method, lam_stiff)
    try:
        dev = device(torch_device)
    except ValueError as err:
        raise ValueError(f"torch_device={torch_device!r}: {err}") from None
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    sync = dev.type == "cuda"

    def as_tensor(name: str) -> torch.Tensor:  # the model is float32, as the book's data
        with np.errstate(over="ignore"):
            out = torch.from_numpy(np.asarray(getattr(data, name), dtype=np.float32)).to(dev)
        if not bool(torch.isfinite(out).all()):
            raise ValueError(f"data.{name} overflows float32 (the model's precision)")
        return out

    t = as_tensor("t")
    if not bool((t[1:] > t[:-1]).all()):
        raise ValueError("data.t must stay strictly increasing in float32 (the model's precision)")
    x, m = as_tensor("x_train"), as_tensor("mask_train")
    xt, mt = as_tensor("x_test"), as_tensor("mask_test")
    if not bool((mt == 0).any()):
        raise ValueError(
            "data.mask_test observes every point: the test metric (the MSE at unobserved points) "
            "needs at least one held-out point"
        )
    model = LatentODE(
        data.x_train.shape[-1], latent, hidden, rtol, atol, max_num_steps=max_num_steps
    ).to(dev)
    opt = adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {k: [] for k in ("epoch", "loss", "reg", "nfe", "wall")}
    n = x.shape[0]
    n_batches = len(range(0, n, batch_size))
    lam = lam0
    where = f"latent ODE {method}"
    needs_stiffness = method in ("srnode", "ernode+srnode")  # the losses with R_S
    # Per-epoch state, set at the first minibatch of each epoch (same RNG draws, same order).
    perm = torch.empty(0, dtype=torch.long)
    tot = np.zeros(3)
    wall = epoch_seconds = 0.0

    def step(s: int) -> torch.Tensor:
        nonlocal perm, tot, wall, epoch_seconds
        epoch, b = divmod(s - 1, n_batches)
        if b == 0:
            perm = torch.randperm(n, generator=gen).to(dev)
            tot = np.zeros(3)
            epoch_seconds = 0.0
        with Timer(cuda_sync=sync) as timer:
            idx = perm[b * batch_size : b * batch_size + batch_size]
            try:
                if method == "taynode":
                    xh, mu, logvar, st, r2 = model.forward_taylor(t, x[idx], m[idx])
                elif method == "steer":
                    half = steer_b * float(t[-1] - t[-2])
                    shift = half * (2.0 * float(torch.rand((), generator=gen)) - 1.0)
                    t_solve = torch.cat([t[:-1], t[-1:] + shift])
                    xh, mu, logvar, st = model(t, x[idx], m[idx], t_solve=t_solve, stiffness=False)
                else:
                    xh, mu, logvar, st = model(t, x[idx], m[idx], stiffness=needs_stiffness)
            except SolverError as err:
                raise TrainingDiverged(
                    f"{where} diverged at step {s} (epoch {epoch}, minibatch {b}): {err}"
                ) from None
            rec = (((xh - x[idx]) ** 2).sum(-1) * m[idx]).sum() / (2 * obs_sigma**2) / len(idx)
            kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum() / len(idx)
            if method == "srnode":
                reg = st.stiffness()
            elif method == "taynode":
                reg = r2
            else:
                reg = st.error_estimate
            loss = rec + kl + (lam * reg.to(rec.dtype) if lam > 0 else 0.0)
            if lam_stiff is not None:
                loss = loss + lam_stiff * st.stiffness().to(rec.dtype)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += (rec.item() + kl.item(), reg.item(), st.nfe)
        epoch_seconds += timer.seconds
        if b == n_batches - 1:
            wall += epoch_seconds
            hist["epoch"].append(epoch)
            for k, v in zip(("loss", "reg", "nfe"), tot / n_batches, strict=True):
                hist[k].append(float(v))
            hist["wall"].append(wall)
        return loss

    train_loop(
        step,
        epochs * n_batches,
        desc=where,
        progress=progress,
        parameters=list(model.parameters()),
    )
    with torch.no_grad():
        try:
            xh, _, _, st = model(t, xt, mt, sample=False, stiffness=False)
        except SolverError as err:
            raise TrainingDiverged(
                f"{where}: the test solve after training failed: {err}"
            ) from None
        timing = best_of(
            lambda: model(t, xt, mt, sample=False, stiffness=False),
            repeats=5,
            warmup=0,
            cuda_sync=sync,
        )
    held = 1 - mt
    mse = float((((xh - xt) ** 2).sum(-1) * held).sum() / (2 * held.sum()))
    return LatentRun(method, lam0, hist, mse, int(st.nfe), wall, timing.median, model, seed)
