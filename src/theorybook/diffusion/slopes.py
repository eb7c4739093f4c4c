"""The log–log slope of a denoiser's error against the noise level (the paper's PSNR slopes).

Its own module so that result records (``results.py``) and the experiments (``synthetic.py``)
can both use it without importing each other.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

from theorybook.boundary import checked

__all__ = ["loglog_slope"]


@checked
def loglog_slope(sigmas: Float[np.ndarray, " n"], mses: Float[np.ndarray, " n"]) -> float:
    """Least-squares slope of ``log MSE`` against ``log σ²`` (the PSNR-curve slope of the
    paper's Figs. 4–5: output PSNR against input PSNR).

    Arguments:
        sigmas: the noise levels (n,), positive, at least two distinct.
        mses: the MSE at each (n,), positive.

    Returns:
        The fitted slope.
    """
    s, m = sigmas.astype(np.float64), mses.astype(np.float64)
    if len(s) < 2:
        raise ValueError(f"sigmas and mses need at least 2 values, got {len(s)}")
    if (s <= 0).any():
        raise ValueError("sigmas must be positive")
    if (m <= 0).any():
        raise ValueError("mses must be positive")
    x = np.log(s**2)
    if not np.ptp(x) > 0:
        raise ValueError("sigmas must hold at least two distinct values (squares that differ)")
    return float(np.polyfit(x, np.log(m), 1)[0])
