"""Claim 4 of chapter 7: torchdiffeq and diffrax take the same steps and record the same ``R_E``.

Run as ``python -m theorybook.nde.agreement`` it switches JAX to float64 (in its own process, so
that no other chapter or test sees the change), solves the same random MLP dynamics with both
implementations (same Dormand–Prince tableau, tolerances and first step) and prints a JSON record.
:func:`run_backend_agreement` runs it in a subprocess and returns that record as an
:class:`~theorybook.nde.results.AgreementResult`; :func:`start_backend_agreement` starts it and
returns at once (the caller works meanwhile).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, cast

from theorybook.boundary import Seed, checked
from theorybook.nde.config import Agreement, Config
from theorybook.nde.results import AgreementResult
from theorybook.validation import positive_real

__all__ = [
    "PendingAgreement",
    "agreement_record",
    "run_backend_agreement",
    "start_backend_agreement",
]


@checked
def agreement_record(
    seed: Seed = 0,
    *,
    agreement: Agreement = Agreement(),
) -> dict[str, Any]:
    """Solve ``y' = tanh(y W₁ + b₁) W₂`` (float64) with both backends; call only with JAX in float64.

    ``W₁``, ``b₁``, ``W₂`` and the ``agreement.batch`` start points are drawn with ``seed``; the
    field's width, the tolerances, the first step and the end time are ``agreement``'s.
    Returns the fields of :class:`~theorybook.nde.results.AgreementResult` as a dictionary.
    """
    rtol, atol, dt0, t1 = agreement.rtol, agreement.atol, agreement.dt0, agreement.t1
    batch, hidden = agreement.batch, agreement.hidden
    import jax
    import jax.numpy as jnp
    import numpy as np
    import torch
    from diffrax import ODETerm

    from theorybook.nde.solver_jax import regularized_diffeqsolve
    from theorybook.nde.solver_torch import regularized_odeint

    if not jax.config.read("jax_enable_x64"):
        raise RuntimeError(
            "agreement_record needs JAX in float64 (theorybook.runtime.enable_jax_x64())"
        )
    rng = np.random.default_rng(seed)
    w1, b1, w2 = rng.normal(size=(2, hidden)), rng.normal(size=hidden), rng.normal(size=(hidden, 2))
    y0 = rng.normal(size=(batch, 2))
    tw = [torch.tensor(a) for a in (w1, b1, w2)]
    sol_j, st_j = regularized_diffeqsolve(
        ODETerm(lambda t, y, a: jnp.tanh(y @ w1 + b1) @ w2),
        jnp.asarray(y0),
        0.0,
        t1,
        rtol=rtol,
        atol=atol,
        dt0=dt0,
    )
    sol_t, st_t = regularized_odeint(
        lambda t, y: torch.tanh(y @ tw[0] + tw[1]) @ tw[2],
        torch.tensor(y0),
        torch.tensor([0.0, t1], dtype=torch.float64),
        rtol=rtol,
        atol=atol,
        land_on_end=True,
        options={"first_step": dt0},
    )
    re_j, re_t = float(st_j.error_estimate), float(st_t.error_estimate)
    if st_j.stiffness_estimate is None:  # pragma: no cover - Dopri5 gives it
        raise RuntimeError("the diffrax solve recorded no stiffness estimate")
    rs_j, rs_t = float(st_j.stiffness_estimate), float(st_t.stiffness())
    return {
        "steps_jax": int(st_j.num_steps),
        "steps_torch": int(st_t.num_steps),
        "nfe_jax": int(st_j.nfe),
        "nfe_torch": int(st_t.nfe),
        "r_e_jax": re_j,
        "r_e_torch": re_t,
        "r_e_rel_diff": abs(re_j - re_t) / abs(re_t),
        "r_s_jax": rs_j,
        "r_s_torch": rs_t,
        "r_s_rel_diff": abs(rs_j - rs_t) / abs(rs_t),
        "y1_max_diff": float(np.abs(np.asarray(cast(Any, sol_j.ys)[-1]) - sol_t[-1].numpy()).max()),
    }


@checked
class PendingAgreement:
    """A running agreement subprocess; :meth:`result` waits for it and parses its record."""

    def __init__(self, seed: Seed, agreement: Agreement) -> None:
        env = dict(os.environ)
        env.setdefault("JAX_PLATFORMS", "cpu")
        settings = json.dumps({"seed": seed, **agreement.as_dict()})
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "theorybook.nde.agreement", settings],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def result(self, timeout: float = 300.0) -> AgreementResult:
        """The record of :func:`agreement_record`; raises ``RuntimeError`` if the subprocess failed
        (or took longer than ``timeout`` seconds, > 0)."""
        timeout = positive_real("timeout", timeout)
        try:
            out, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise RuntimeError(f"agreement subprocess took longer than {timeout} s") from None
        if self._proc.returncode != 0:
            raise RuntimeError(f"agreement subprocess failed:\n{err[-2000:]}")
        return AgreementResult(**json.loads(out.strip().splitlines()[-1]))

    def cancel(self) -> None:
        """Stop the subprocess if it still runs (after an error in the caller)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()


@checked
def start_backend_agreement(cfg: Config) -> PendingAgreement:
    """Start :func:`agreement_record` (seed ``cfg.seed``, settings ``cfg.agreement``) in a fresh
    process with JAX in float64; returns at once, so the caller works while it runs."""
    return PendingAgreement(cfg.seed, cfg.agreement)


@checked
def run_backend_agreement(cfg: Config, *, progress: bool = False) -> AgreementResult:
    """:func:`agreement_record` computed in a fresh Python process with JAX in float64 (seed
    ``cfg.seed``, settings ``cfg.agreement``); ``progress`` is accepted for the one signature."""
    return start_backend_agreement(cfg).result()


def _main() -> None:  # pragma: no cover - exercised through run_backend_agreement
    from theorybook.runtime import enable_jax_x64

    enable_jax_x64()
    settings = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    seed = int(settings.pop("seed", 0))
    print(json.dumps(agreement_record(seed, agreement=Agreement(**settings))))


if __name__ == "__main__":  # pragma: no cover
    _main()
