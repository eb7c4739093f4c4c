"""The paper's own numbers (chapter 6, {cite}`triebe2019arnet`), for the claims and the figures.

Every value was checked against the paper's text (arXiv:1911.12436v1, the PDF in the official
repository); numbers read from the paper's figures say so and carry the reading tolerance.
"""

from __future__ import annotations

__all__ = [
    "FIG2A_MEDIANS",
    "FIG4_ARNET_MEDIANS",
    "FIG4_LS_MEDIANS",
    "SMALL_ARNET_STPE",
    "SMALL_LS_STPE",
    "SMALL_WHERE",
]

FIG2A_MEDIANS: dict[int, float] = {3: 0.71, 5: 0.78, 10: 1.88, 15: 3.13, 20: 3.20, 25: 3.63}
"""Median sTPE per order in the paper's Fig. 2a (dense AR(p), N = 1e5; both methods), read from
the figure's raster to ±0.05."""
FIG4_ARNET_MEDIANS: dict[int, float] = {
    3: 0.24,
    5: 0.33,
    10: 0.29,
    15: 0.37,
    20: 0.37,
    25: 0.36,
    30: 0.29,
    50: 0.42,
    100: 0.41,
    200: 0.43,
    500: 0.72,
    1000: 0.79,
}
"""Median sTPE of sparse AR-Net per model order in the paper's Fig. 4 (AR(3) data, N = 1e5), read
from the figure's raster to ±0.05."""
FIG4_LS_MEDIANS: dict[int, float] = {3: 0.24, 5: 0.60, 10: 1.40, 15: 1.94, 20: 2.68, 25: 3.26}
"""Median sTPE of Classic-AR per model order in the paper's Fig. 4 (run only up to p = 25), read
from the figure's raster to ±0.05."""
SMALL_LS_STPE = 18.3
"""sTPE of classic AR on the small-data problem (§4.1.1, Small Datasets, p. 8)."""
SMALL_ARNET_STPE = 3.2
"""sTPE of sparse AR-Net on the small-data problem (§4.1.1, Small Datasets, p. 8)."""
SMALL_WHERE = "§4.1.1 (Small Datasets), p. 8"
"""Where the paper gives the small-data numbers."""
