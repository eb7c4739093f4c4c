"""Where the LPN's gap to the plain CNN comes from (chapter 3, {cite}`fang2024lpn`).

In plug-and-play the ConvLPN trails a plain CNN of the same size trained for as many steps. Two
things separate them: the LPN is constrained to be the gradient of a convex potential (an exact
prox), and it is trained with proximal matching instead of ℓ₂. A third denoiser splits the gap:
the same ConvLPN trained with ℓ₂ on the same data, steps and learning rates
(:func:`~theorybook.lpn.image_models.train_digits_models` with ``lpn_loss="l2"``). Then

* CNN − (ℓ₂ LPN) is what the convexity constraint costs, and
* (ℓ₂ LPN) − (PM LPN) is what proximal matching costs,

measured as denoising PSNR at the training noise and as the test PSNR of PnP-ADMM and of relaxed
PnP-PGD on the digits problems, every denoiser tuned on validation digits by
:func:`~theorybook.lpn.pnp_benchmark.tune_learned`, over several seeds.

Training three networks per seed is too long for the book's run:
``scripts/lpn_decomposition.py`` runs :func:`run_decomposition` once and records it in
``results/03_learned_proximal_networks/decomposition.json``; the chapter reads that record with
:func:`load_decomposition_record` (:func:`theorybook.records.load_record`).
"""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch
from torch import nn

from theorybook.boundary import Seed, checked
from theorybook.lpn.config import Config
from theorybook.lpn.data import digits_split
from theorybook.lpn.image_models import check_config, train_digits_models
from theorybook.lpn.operators import operator_norm
from theorybook.lpn.pnp import image_metrics, pnp_admm, pnp_pgd, relax
from theorybook.lpn.pnp_benchmark import PGD_STEP, inverse_problems, measure, tune_learned
from theorybook.lpn.results import DECOMPOSITION_METRICS, DECOMPOSITION_MODELS, DecompositionResult
from theorybook.records import load_record
from theorybook.runtime import seed_everything, torch_threads
from theorybook.validation import int_sequence

__all__ = [
    "DECOMPOSITION_FILE",
    "load_decomposition_record",
    "parse_decomposition",
    "run_decomposition",
]

CHAPTER_FOLDER = "03_learned_proximal_networks"
DECOMPOSITION_FILE = "decomposition.json"
"""The record's file name under ``results/03_learned_proximal_networks/``."""


def _denoise_psnr(model: nn.Module, test: torch.Tensor, sigma: float, seed: int) -> float:
    gen = torch.Generator().manual_seed(seed + 23)
    noisy = test + sigma * torch.randn(test.shape, generator=gen, dtype=test.dtype)
    with torch.no_grad():
        out = model(noisy)
    return float(image_metrics(out, test)[0].mean())


def _one_seed(cfg: Config, progress: bool) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Train the three denoisers for ``cfg.seed`` and measure every metric."""
    seed_everything(cfg.seed)
    lpn, cnn, _ = train_digits_models(cfg, progress=progress)
    seed_everything(cfg.seed)  # the ℓ2 LPN starts from the same weights and sees the same batches
    lpn_l2, _, _ = train_digits_models(cfg, progress=progress, with_cnn=False, lpn_loss="l2")
    assert cnn is not None
    models = {
        name: copy.deepcopy(m).double()
        for name, m in zip(DECOMPOSITION_MODELS, (cnn, lpn_l2, lpn), strict=True)
    }
    _, val_np, test_np = digits_split(cfg)
    val = torch.as_tensor(val_np, dtype=torch.float64)
    test = torch.as_tensor(test_np[: cfg.pnp.images], dtype=torch.float64)
    all_test = torch.as_tensor(test_np, dtype=torch.float64)
    psnr: dict[str, dict[str, float]] = {m: {} for m in DECOMPOSITION_METRICS}
    tuned: dict[str, dict[str, float]] = {m: {} for m in DECOMPOSITION_METRICS[1:]}
    for name, model in models.items():
        psnr["denoising"][name] = _denoise_psnr(model, all_test, cfg.denoisers.noise, cfg.seed)
    tune_iters = max(4, cfg.pnp.iters // 2)
    for problem, op in inverse_problems(cfg, int(test.shape[-1])).items():
        norm = operator_norm(op)
        y_val = measure(op, val, cfg.pnp.meas_noise, cfg.seed + 7)
        y = measure(op, test, cfg.pnp.meas_noise, cfg.seed + 11)
        for name, model in models.items():
            rho, lam = tune_learned(op, y_val, val, model, iters=tune_iters, op_norm=norm)
            admm = pnp_admm(op, y, model, rho=rho, iters=cfg.pnp.iters)
            pgd = pnp_pgd(op, y, relax(model, lam), step=PGD_STEP / norm**2, iters=cfg.pnp.iters)
            for solver, run, value in (("ADMM", admm, rho), ("PGD", pgd, lam)):
                psnr[f"{solver} {problem}"][name] = float(image_metrics(run.x, test)[0].mean())
                tuned[f"{solver} {problem}"][name] = value
    return psnr, tuned


@checked
@torch_threads()
def run_decomposition(
    cfg: Config, *, seeds: tuple[Seed, ...] = (0, 1, 2), progress: bool = False
) -> DecompositionResult:
    """The three digits denoisers (plain CNN, ℓ₂-trained LPN, proximal-matching LPN) trained for
    ``digits.steps`` steps from each seed of ``seeds`` (data split and weights), measured under
    every metric of :data:`~theorybook.lpn.results.DECOMPOSITION_METRICS`.

    Arguments:
        cfg: the settings (``digits.steps`` = ``digits.cnn_steps`` for equal training,
            ``pnp.images`` test digits for PnP, ``digits.n_test`` for denoising).
        seeds: the seeds; each replaces ``cfg.seed``.
        progress: show progress bars.

    Returns:
        The :class:`~theorybook.lpn.results.DecompositionResult`.
    """
    cfg = check_config(cfg)
    seeds = int_sequence("seeds", seeds, low=0)
    if cfg.digits.steps != cfg.digits.cnn_steps:
        raise ValueError(
            "the decomposition compares denoisers at equal training: digits.steps = "
            f"{cfg.digits.steps} and digits.cnn_steps = {cfg.digits.cnn_steps} differ"
        )
    per_seed = [_one_seed(cfg.replace(seed=s), progress) for s in seeds]
    psnr = {
        metric: {m: np.array([p[metric][m] for p, _ in per_seed]) for m in DECOMPOSITION_MODELS}
        for metric in DECOMPOSITION_METRICS
    }
    tuned = {
        metric: {m: np.array([t[metric][m] for _, t in per_seed]) for m in DECOMPOSITION_MODELS}
        for metric in DECOMPOSITION_METRICS[1:]
    }
    return DecompositionResult(
        seeds=tuple(seeds),
        steps=cfg.digits.steps,
        test_images=cfg.pnp.images,
        psnr=psnr,
        tuned=tuned,
    )


def decomposition_numbers(result: DecompositionResult) -> dict[str, Any]:
    """The JSON-ready numbers of a decomposition, as the record stores them."""
    return {
        "seeds": list(result.seeds),
        "steps": result.steps,
        "test_images": result.test_images,
        "psnr": {k: {m: v.tolist() for m, v in d.items()} for k, d in result.psnr.items()},
        "tuned": {k: {m: v.tolist() for m, v in d.items()} for k, d in result.tuned.items()},
    }


def parse_decomposition(payload: Any, *, source: str = DECOMPOSITION_FILE) -> DecompositionResult:
    """The :class:`~theorybook.lpn.results.DecompositionResult` in a parsed manifest (the JSON of
    :func:`theorybook.reporting.save_manifest`, with ``numbers``, ``environment`` and
    ``wall_seconds``). Its ``commit`` is the one the code ran from (``numbers["code_commit"]``,
    written by the script at the start) where recorded, else the manifest's.

    Raises:
        ValueError: when ``payload`` is not such a record.
    """
    try:
        nums, env = payload["numbers"], payload["environment"]
        seeds = tuple(int(s) for s in nums["seeds"])

        def arrays(block: dict[str, Any], metrics: tuple[str, ...]) -> dict[str, Any]:
            out = {}
            for metric in metrics:
                out[metric] = {m: np.asarray(block[metric][m], dtype=float) for m in block[metric]}
                if set(out[metric]) != set(DECOMPOSITION_MODELS):
                    raise ValueError(f"{metric} has models {sorted(out[metric])}")
                if any(v.shape != (len(seeds),) for v in out[metric].values()):
                    raise ValueError(f"{metric} does not hold one value per seed")
            return out

        return DecompositionResult(
            seeds=seeds,
            steps=int(nums["steps"]),
            test_images=int(nums["test_images"]),
            psnr=arrays(nums["psnr"], DECOMPOSITION_METRICS),
            tuned=arrays(nums["tuned"], DECOMPOSITION_METRICS[1:]),
            commit=str(nums.get("code_commit") or env.get("commit", "")),
            recorded_on=str(env.get("timestamp", "")),
            wall_seconds=float(payload["wall_seconds"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{source} is not a decomposition record: {err}") from None


@checked
def load_decomposition_record(
    *, root: str | os.PathLike[str] | None = None
) -> DecompositionResult | None:
    """The recorded decomposition, ``results/03_learned_proximal_networks/decomposition.json``,
    or ``None`` when there is no record (``root`` names the ``results`` folder explicitly).

    Raises ``ValueError`` when the file exists but is not such a record.
    """
    payload = load_record(CHAPTER_FOLDER, DECOMPOSITION_FILE, root=root)
    if payload is None:
        return None
    return parse_decomposition(payload, source=f"{CHAPTER_FOLDER}/{DECOMPOSITION_FILE}")
