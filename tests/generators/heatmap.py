"""Writes the transcript-heatmap fixtures into tests/fixtures/heatmap/.

Run with the project venv: .venv/bin/python tests/generators/heatmap.py

The reference restates GeneSegNet's location map (``gen_pose_target``,
SEED-SYSTEMS.md section 1.2) in numpy over the full image, per spot: squared distance d2 to
the spot's integer pixel, exponent ``d2 / 2.0 / sigma / sigma`` (float64), 0 where the exponent
exceeds 4.6052, else ``exp(-exponent)`` rounded to float32; spots combined by pixel-wise maximum
(GeneSegNet) or summed in spot order in float32.

Files: ``transcripts.csv`` (x, y, gene; x = column, y = row, fractional pixels that floor to
the spot pixel; some outside the image), ``labels.npy`` (the image size, cells for the in-cell
map), and maps: ``all_max.npy``, ``all_sum.npy`` (every spot in the image), ``genes_max.npy``
(one map per gene in first-appearance order of the table), ``in_cells_max.npy`` (spots on a
nonzero label only).
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "heatmap")
SIGMA, CUTOFF = 7.0, 4.6052


def heatmap(spots, h, w, combine):
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w), np.float32)
    for sx, sy in spots:
        d2 = (xx - sx) * (xx - sx) + (yy - sy) * (yy - sy)
        exponent = d2 / 2.0 / SIGMA / SIGMA
        bump = np.exp(-exponent)
        bump[exponent > CUTOFF] = 0
        bump = bump.astype(np.float32)
        if combine == "max":
            out = np.maximum(out, bump)
        else:
            out += bump
    return out


def main():
    rng = np.random.default_rng(71)
    h, w = 72, 96
    n = 160
    x = rng.uniform(-3, w + 3, n)
    y = rng.uniform(-3, h + 3, n)
    x[:4] = [0.0, w - 0.25, 5.5, 40.0]  # edges and a duplicate pixel
    y[:4] = [0.0, h - 0.25, 70.9, 30.0]
    x[4], y[4] = 40.6, 30.2
    genes = np.array(["Gad1", "Vip", "Sst"])[rng.integers(0, 3, n)]
    labels = np.zeros((h, w), np.int32)
    yy, xx = np.mgrid[0:h, 0:w]
    for k in range(1, 9):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, 12)
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k
    col, row = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    spots = [(c, r) for c, r, ok in zip(col, row, inside) if ok]
    in_cells = [(c, r) for c, r, ok in zip(col, row, inside) if ok and labels[r, c] != 0]
    order = list(dict.fromkeys(genes))
    per_gene = np.stack(
        [heatmap([(c, r) for c, r, ok, g in zip(col, row, inside, genes) if ok and g == name], h, w, "max")
         for name in order]
    )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "transcripts.csv"), "w") as f:
        f.write("x,y,gene\n")
        for a, b, g in zip(x, y, genes):
            f.write(f"{float(a)!r},{float(b)!r},{g}\n")
    np.save(os.path.join(OUT, "labels.npy"), labels)
    np.save(os.path.join(OUT, "all_max.npy"), heatmap(spots, h, w, "max"))
    np.save(os.path.join(OUT, "all_sum.npy"), heatmap(spots, h, w, "sum"))
    np.save(os.path.join(OUT, "genes_max.npy"), per_gene)
    np.save(os.path.join(OUT, "in_cells_max.npy"), heatmap(in_cells, h, w, "max"))
    with open(os.path.join(OUT, "genes.txt"), "w") as f:
        f.write("".join(g + "\n" for g in order))
    print(f"heatmap fixtures: {len(spots)} of {n} spots in a {h}x{w} image -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
