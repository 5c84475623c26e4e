#!/usr/bin/env python3
"""Writes the cellmap-io fixtures into tests/fixtures/io/ with real numpy,
scipy, Pillow and the csv/gzip modules (run with the project venv:
`.venv/bin/python tests/generators/io.py`).

Every file is small. Expected values are either a formula the Rust tests
recompute (npy dtypes/orders/endianness) or a canonical little-endian
C-order `.npy` written next to the fixture by numpy (CSR densified by scipy,
images, transcripts).
"""
import csv
import gzip
import io
import os
import shutil

import numpy as np
import scipy.sparse as sp
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "io")

# dtype code -> scale (so multi-byte types use their high bytes too)
DTYPES = {
    "b1": None, "i1": 1, "u1": 1, "i2": 600, "u2": 600, "i4": 40_000_000, "u4": 40_000_000,
    "i8": 10**17, "u8": 10**17, "f4": None, "f8": None,
}


def pattern(code, n):
    """The value of element i (C order) of the npy fixtures; mirrored in io/tests/fixtures.rs."""
    i = np.arange(n, dtype=np.int64)
    base = (i * 7) % 100
    if code == "b1":
        return (i % 3) == 0
    if code[0] == "f":
        return base.astype(np.float64) * 0.25 - 3.0
    if code[0] == "i":
        return ((base - 50).astype(object) * DTYPES[code])
    return (base.astype(object) * DTYPES[code])


def npy_fixtures():
    shape = (3, 4)
    for code in DTYPES:
        values = np.array(pattern(code, 12).tolist()).reshape(shape)
        for endian in "<>":
            dtype = np.dtype(code if code in ("b1", "i1", "u1") else endian + code)
            a = values.astype(dtype)
            for order in "CF":
                arr = np.asfortranarray(a) if order == "F" else np.ascontiguousarray(a)
                tag = "le" if endian == "<" else "be"
                if code in ("b1", "i1", "u1") and endian == ">":
                    continue
                np.save(os.path.join(OUT, f"npy_{code}_{order}_{tag}.npy"), arr)
    # format versions 2.0 and 3.0 (numpy chooses 1.0 by default)
    a = np.array(pattern("f4", 12).tolist(), dtype="<f4").reshape(shape)
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(OUT, f"npy_f4_C_le_v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
    # a 3-D Fortran array: value = 100 i + 10 j + k
    i, j, k = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing="ij")
    np.save(os.path.join(OUT, "npy_3d_F.npy"), np.asfortranarray((100 * i + 10 * j + k).astype(">f8")))
    # 0-d and empty arrays
    np.save(os.path.join(OUT, "npy_scalar_i8.npy"), np.array(42, dtype="<i8"))
    np.save(os.path.join(OUT, "npy_empty_f4.npy"), np.zeros((0, 5), dtype="<f4"))
    # object array: must be rejected with a clear message
    np.save(os.path.join(OUT, "npy_object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)


def csr_fixtures():
    rng = np.random.default_rng(4)
    h, w, g = 6, 5, 7
    dense = rng.random((h * w, g)) * (rng.random((h * w, g)) < 0.3)
    m = sp.csr_matrix(dense)
    for data_dtype in ("f4", "f8"):
        for index_dtype in ("i4", "i8"):
            mm = sp.csr_matrix(m, dtype=data_dtype)
            mm.indices = mm.indices.astype(index_dtype)
            mm.indptr = mm.indptr.astype(index_dtype)
            for compressed in (True, False):
                tag = "deflated" if compressed else "stored"
                sp.save_npz(os.path.join(OUT, f"csr_{data_dtype}_{index_dtype}_{tag}.npz"), mm, compressed=compressed)
            np.save(os.path.join(OUT, f"csr_{data_dtype}_dense.npy"), mm.toarray())
    # non-canonical: duplicates, unsorted columns, explicit zeros (legal in scipy)
    data = np.array([1.5, 2.0, 0.0, 4.0, -1.0, 3.25], dtype=np.float32)
    indices = np.array([3, 1, 2, 1, 1, 0], dtype=np.int32)
    indptr = np.array([0, 3, 3, 6], dtype=np.int32)
    nc = sp.csr_matrix((data, indices, indptr), shape=(3, 4))
    assert not nc.has_canonical_format
    sp.save_npz(os.path.join(OUT, "csr_noncanonical.npz"), nc, compressed=True)
    np.save(os.path.join(OUT, "csr_noncanonical_dense.npy"), nc.toarray())
    # a CSC matrix: rejected with a clear message
    sp.save_npz(os.path.join(OUT, "csc.npz"), sp.csc_matrix(m))
    # dense arrays in npz, stored and deflated
    mask = (rng.random((4, 5)) < 0.5).astype(np.uint8) * 255
    expr = rng.random((4, 5)).astype(np.float32)
    np.savez(os.path.join(OUT, "dense.npz"), mask=mask, expr=expr)
    np.savez_compressed(os.path.join(OUT, "dense_compressed.npz"), mask=mask, expr=expr)
    np.save(os.path.join(OUT, "dense_mask.npy"), mask)
    np.save(os.path.join(OUT, "dense_expr.npy"), expr)


def image_fixtures():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 5, size=(9, 11))
    u8 = (labels * 50).astype(np.uint8)
    u16 = (labels * 16000 + 3).astype(np.uint16)
    i32 = (labels * 400_000_000 + 1).astype(np.int32)
    np.save(os.path.join(OUT, "img_u8.npy"), u8)
    np.save(os.path.join(OUT, "img_u16.npy"), u16)
    np.save(os.path.join(OUT, "img_i32.npy"), i32)
    Image.fromarray(u8).save(os.path.join(OUT, "img_u8.png"))
    Image.fromarray(u16).save(os.path.join(OUT, "img_u16_cp_masks.png"))
    Image.fromarray(u8).save(os.path.join(OUT, "img_u8.tif"))
    Image.fromarray(u16).save(os.path.join(OUT, "img_u16.tif"))
    Image.fromarray(i32).save(os.path.join(OUT, "img_i32.tif"))
    Image.fromarray(i32).save(os.path.join(OUT, "img_i32_lzw.tif"), compression="tiff_lzw")
    Image.fromarray(u16).save(os.path.join(OUT, "img_u16_deflate.tif"), compression="tiff_adobe_deflate")
    Image.fromarray(np.stack([u8, u8, u8], axis=-1)).save(os.path.join(OUT, "img_rgb.png"))
    # a two-page TIFF (a 3-D stack): not a 2-D mask
    pages = [Image.fromarray(u8), Image.fromarray(u8[::-1].copy())]
    pages[0].save(os.path.join(OUT, "img_stack.tif"), save_all=True, append_images=pages[1:])


XENIUM_HEADER = ["transcript_id", "cell_id", "overlaps_nucleus", "feature_name", "x_location", "y_location",
                 "z_location", "qv", "fov_name", "nucleus_distance"]
CONTROLS = ["NegControlProbe_00042", "NegControlCodeword_0501", "BLANK_0006", "UnassignedCodeword_0007",
            "DeprecatedCodeword_0123", "Intergenic_Region_5"]
GENES = ["ACTB", "CD3E", "EPCAM", "Gad1", "Pvalb"]


def transcript_fixtures():
    rng = np.random.default_rng(11)
    rows, keep = [], []
    for t in range(200):
        gene = CONTROLS[t % len(CONTROLS)] if t % 9 == 0 else GENES[rng.integers(len(GENES))]
        x, y = rng.random() * 40.0, rng.random() * 30.0
        qv = float(np.round(rng.random() * 40.0, 4))
        rows.append([281474976710656 + t, "UNASSIGNED" if t % 4 else "aaabbbcc-1", int(t % 2), gene,
                     repr(x), repr(y), repr(rng.random() * 10), repr(qv), "fov_A", repr(rng.random())])
        if qv >= 20 and not any(gene.startswith(p) for p in
                                ("NegControl", "Deprecated", "Unassigned", "Intergenic", "BLANK")):
            keep.append((x, y, gene))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(XENIUM_HEADER)
    writer.writerows(rows)
    with open(os.path.join(OUT, "xenium_transcripts.csv.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:  # reproducible bytes
            f.write(text.getvalue().encode())
    np.save(os.path.join(OUT, "xenium_expected_xy.npy"), np.array([(x, y) for x, y, _ in keep], dtype="<f8"))
    with open(os.path.join(OUT, "xenium_expected_genes.txt"), "w") as f:
        f.write("".join(g + "\n" for _, _, g in keep))

    # GeneSegNet: spot CSV as its preprocessing writes it (spotX, spotY, gene,
    # integer pixels), a label image, and the mapping its
    # generate_MappingRelationships.py computes (cell ids as integers here).
    label = rng.integers(0, 4, size=(12, 16)).astype(np.uint16)
    np.save(os.path.join(OUT, "genesegnet_label.npy"), label)
    spots = [[int(rng.integers(16)), int(rng.integers(12)), GENES[rng.integers(len(GENES))]] for _ in range(40)]
    with open(os.path.join(OUT, "genesegnet_spots.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["spotX", "spotY", "gene"])
        writer.writerows(spots)
    spot_list = np.array([[str(x), str(y), g] for x, y, g in spots])
    xs = spot_list[:, 0].astype(np.float64).astype(np.int32)
    ys = spot_list[:, 1].astype(np.float64).astype(np.int32)
    out = []
    for cell_id in np.unique(label):
        sel = label[ys, xs] == cell_id
        out.extend([int(cell_id), *row] for row in spot_list[sel].tolist())
    with open(os.path.join(OUT, "genesegnet_expected_mapping.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["cell_id", "spotX", "spotY", "gene"])
        writer.writerows(out)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    npy_fixtures()
    csr_fixtures()
    image_fixtures()
    transcript_fixtures()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
