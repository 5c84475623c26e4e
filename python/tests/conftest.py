"""Shared helpers of the Python package's tests (run from the repository root:
``.venv/bin/python -m pytest python/tests``)."""

from __future__ import annotations

import pathlib

import numpy as np
import scipy.ndimage as ndi

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures"
EIGHT = np.ones((3, 3), dtype=bool)


def scipy_label(mask: np.ndarray, connectivity: int = 4, fill_holes: bool = True) -> tuple[np.ndarray, int]:
    """The reference: scipy.ndimage on the whole array."""
    m = np.asarray(mask) != 0
    if fill_holes and m.size:
        m = ndi.binary_fill_holes(m)
    labels, n = ndi.label(m, structure=EIGHT if connectivity == 8 else None)
    return labels.astype(np.int32), int(n)


def picture(*rows: str) -> np.ndarray:
    """Rows of '#' (foreground) and '.' as a bool mask."""
    return np.array([[c == "#" for c in row] for row in rows], dtype=bool)


def fixture_masks() -> dict[str, np.ndarray]:
    """The 2-D masks of the shared parity fixtures (labeling and CLI)."""
    masks = {p.stem: np.load(p) for p in sorted((FIXTURES / "labeling").glob("*_mask.npy"))}
    for p in sorted((FIXTURES / "cli").glob("*.npy")):
        a = np.load(p)
        if a.ndim == 2 and a.dtype != object:
            masks[f"cli/{p.stem}"] = a
    return masks
