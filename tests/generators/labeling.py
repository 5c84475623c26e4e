#!/usr/bin/env python3
"""Writes the scipy-parity fixtures for hole filling and labeling into
tests/fixtures/labeling/ (run with the project venv: numpy + scipy pinned in
tests/requirements.txt):

    .venv/bin/python tests/generators/labeling.py

For every case NAME it writes
  NAME_mask.npy     the input mask, in the case's dtype (uint8 0/1 or 0/255,
                    bool, float32/float64 with NaN and -0.0, int16 ...);
  NAME_filled.npy   bool, scipy.ndimage.binary_fill_holes(mask != 0);
  NAME_labels.npy   (4, H, W) uint16 (int32 if needed):
                    [label(mask), label(mask, 8), label(filled), label(filled, 8)]
                    where 8 means structure=np.ones((3, 3));
  NAME_counts.npy   int64 [N4, N8, N4 of filled, N8 of filled, pixels filled],
                    the N that scipy returns.
Deterministic: re-running gives identical files.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy import ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "fixtures", "labeling")
sys.path.insert(0, os.path.join(ROOT, "bench"))

EIGHT = np.ones((3, 3), dtype=bool)


def picture(*rows: str) -> np.ndarray:
    """Rows of '#' (foreground) and '.' as a uint8 0/255 mask."""
    return np.array([[255 if c == "#" else 0 for c in r] for r in rows], dtype=np.uint8).reshape(len(rows), -1)


def checkerboard(h: int, w: int) -> np.ndarray:
    return ((np.add.outer(np.arange(h), np.arange(w)) % 2) == 0).astype(np.uint8)


def spiral(n: int, closed: bool) -> np.ndarray:
    """A square spiral wall of width 1 walked inwards from the top-left
    corner; the 1-px corridor between its turns is one long winding hole,
    open to the border at (1, 0) unless `closed`."""
    m = np.zeros((n, n), dtype=np.uint8)
    r, c = 0, 0
    m[r, c] = 1
    lengths = [n - 1, n - 1, n - 1]
    k = n - 3
    while k > 0:
        lengths += [k, k]
        k -= 2
    for i, length in enumerate(lengths):
        dr, dc = ((0, 1), (1, 0), (0, -1), (-1, 0))[i % 4]
        for _ in range(length):
            r, c = r + dr, c + dc
            m[r, c] = 1
    if closed:
        m[1, 0] = 1
    return m


def cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240611)
    c: dict[str, np.ndarray] = {}
    c["one_by_one_foreground"] = np.array([[1]], dtype=np.uint8)
    c["one_by_one_background"] = np.array([[0]], dtype=np.uint8)
    c["one_row"] = (rng.random((1, 97)) < 0.6).astype(np.uint8)
    c["one_column"] = (rng.random((45, 1)) < 0.6).astype(np.uint8) * 255
    c["two_rows"] = (rng.random((2, 131)) < 0.7).astype(np.uint8)
    c["two_columns"] = (rng.random((67, 2)) < 0.7).astype(np.uint8)
    c["empty_width"] = np.zeros((5, 0), dtype=np.uint8)
    c["empty_height"] = np.zeros((0, 5), dtype=np.uint8)
    c["all_zero"] = np.zeros((9, 70), dtype=np.uint8)
    c["all_foreground"] = np.full((11, 66), 255, dtype=np.uint8)
    c["checkerboard_8x8"] = checkerboard(8, 8)
    c["checkerboard_odd"] = checkerboard(17, 71)
    c["checkerboard_u8_overflow"] = checkerboard(30, 30)  # 450 components under 4-connectivity
    c["spiral"] = spiral(41, closed=True)
    c["spiral_open"] = spiral(41, closed=False)
    c["holes_open_to_border"] = picture(
        "#####.####",
        "#...#.#..#",
        "#...#.#..#",
        "#####.#...",
        "..........",
        "###.......",
        "..#....###",
        "###....#..",
    )
    c["holes_closed_diagonally"] = picture(
        ".#....##....",
        "#.#..#..#...",
        ".#...#...#..",
        "......#..#..",
        ".......##...",
        "#.#.........",
        ".#.#..###...",
        "#.#..#...#..",
        "......###...",
    )
    c["nested_rings"] = picture(
        "###########.",
        "#.........#.",
        "#.#######.#.",
        "#.#.....#.#.",
        "#.#.###.#.#.",
        "#.#.#.#.#.#.",
        "#.#.###.#.#.",
        "#.#.....#.#.",
        "#.#######.#.",
        "#.........#.",
        "###########.",
        "............",
    )
    c["u_shapes"] = picture(
        "#.#.##.#...#",
        "#.#..#.#.#.#",
        "###.##.###.#",
        "...........#",
        "##.#.#.#.###",
        ".###.#.#.#..",
        ".....###.###",
        "#.#.#.......",
        ".#.#.#.#.#.#",
    )
    c["touching_blocks"] = picture(
        "##......##",
        "##......##",
        "..##..##..",
        "..##..##..",
        "....##....",
        "....##....",
    )
    base = (rng.random((23, 37)) < 0.55)
    c["random_0_1_u8"] = base.astype(np.uint8)
    c["random_0_255_u8"] = base.astype(np.uint8) * 255
    c["random_bool"] = base.copy()
    floats = np.where(base, rng.normal(size=base.shape), 0.0)
    floats[base & (rng.random(base.shape) < 0.2)] = np.nan
    floats[~base & (rng.random(base.shape) < 0.5)] = -0.0
    c["random_float64_nan_negzero"] = floats
    c["random_float32_nan_negzero"] = floats.astype(np.float32)
    c["random_int16_negative"] = (base * rng.integers(-300, 300, base.shape)).astype(np.int16)
    c["random_sparse"] = (rng.random((48, 100)) < 0.3).astype(np.uint8)
    c["random_dense"] = (rng.random((48, 100)) < 0.75).astype(np.uint8)

    import gen_masks  # bench/gen_masks.py, seeded synthetic tissue

    c["tissue_224"] = gen_masks.make_mask(224, seed=3)
    return c


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".npy"):
            os.remove(os.path.join(OUT, name))
    for name, mask in cases().items():
        fg = mask != 0  # NaN != 0 is True, -0.0 != 0 is False
        filled = ndi.binary_fill_holes(fg)
        l4, n4 = ndi.label(fg)
        l8, n8 = ndi.label(fg, structure=EIGHT)
        f4, nf4 = ndi.label(filled)
        f8, nf8 = ndi.label(filled, structure=EIGHT)
        labels = np.stack([l4, l8, f4, f8]).reshape(4, *mask.shape)
        dtype = np.uint16 if labels.max(initial=0) < 2**16 else np.int32
        counts = np.array([n4, n8, nf4, nf8, int((filled & ~fg).sum())], dtype=np.int64)
        np.save(os.path.join(OUT, f"{name}_mask.npy"), mask)
        np.save(os.path.join(OUT, f"{name}_filled.npy"), filled)
        np.save(os.path.join(OUT, f"{name}_labels.npy"), labels.astype(dtype))
        np.save(os.path.join(OUT, f"{name}_counts.npy"), counts)
        print(f"{name:32s} {str(mask.dtype):8s} {mask.shape!s:12s} N4={n4} N8={n8} "
              f"filled N4={nf4} N8={nf8} holes={counts[4]}")


if __name__ == "__main__":
    main()
