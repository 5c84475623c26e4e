"""Label-image fixtures in the formats segmentation tools save them in
(tests/fixtures/labels/): a float32 label TIFF (tifffile), a Cellpose
`_seg.npy` (np.save of the dict Cellpose writes, allow_pickle), scipy sparse
COO/CSR/CSC `.npz` (save_npz, as pciSeq ships them), and a Xenium-style
`cells.zarr.zip` (zarr v2 group, masks/0 nuclei and masks/1 cells, zlib
chunks), plus bad files; the expected label arrays are saved as plain .npy.
Deterministic: fixed seed, fixed zip timestamps."""

import io
import os
import pickle
import tempfile
import zipfile

import numcodecs
import numpy as np
import scipy.sparse as sp
import tifffile
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "labels")


def cells(height, width, n, seed):
    """Touching rectangular cells with ids 1..n (some ids absent), like a segmentation."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((height, width), np.uint32)
    for cell in range(1, n + 1):
        r, c = rng.integers(0, height - 3), rng.integers(0, width - 3)
        h, w = rng.integers(2, 7), rng.integers(2, 7)
        labels[r : r + h, c : c + w] = cell
    return labels


def zip_dir(folder, path):
    """Zips a folder deterministically (sorted names, fixed timestamps, stored;
    gzip chunks get a zero MTIME: the gzip codec stamps the time of writing)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for root, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                full = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(full, folder).replace(os.sep, "/"), (1980, 1, 1, 0, 0, 0))
                with open(full, "rb") as f:
                    data = bytearray(f.read())
                if data[:2] == b"\x1f\x8b":
                    data[4:8] = b"\0\0\0\0"
                z.writestr(info, bytes(data))


def main():
    os.makedirs(OUT, exist_ok=True)
    labels = cells(40, 50, 30, seed=12)
    np.save(os.path.join(OUT, "expected_labels.npy"), labels)
    # `cellmap reduce LABELS values.npy --stat mean`: per-cell means of a value image with no
    # zeros (row k-1 = cell k; NaN for an id without pixels), from numpy
    values = np.random.default_rng(7).uniform(1.0, 100.0, labels.shape)
    np.save(os.path.join(OUT, "values.npy"), values)
    means = np.array(
        [values[labels == k].mean() if (labels == k).any() else np.nan for k in range(1, int(labels.max()) + 1)]
    )
    np.save(os.path.join(OUT, "expected_means.npy"), means)

    # CosMx-style float32 label TIFF
    tifffile.imwrite(os.path.join(OUT, "float_labels.tif"), labels.astype(np.float32), compression="zlib")

    # Cellpose _seg.npy, as cellpose.io.masks_flows_to_seg saves it
    masks = labels.astype(np.uint16)
    outlines = np.where(masks != np.roll(masks, 1, axis=0), masks, 0).astype(np.uint16)
    seg = {
        "outlines": outlines,
        "masks": masks,
        "chan_choose": [0, 0],
        "ismanual": np.zeros(int(masks.max()), bool),
        "filename": "tile_seg.png",
        "flows": [np.zeros((40, 50, 3), np.uint8), np.zeros((2, 40, 50), np.float32)],
        "est_diam": np.float64(30.0),
    }
    np.save(os.path.join(OUT, "cellpose_seg.npy"), seg, allow_pickle=True)
    # uint32 masks (more than 65,535 cells in Cellpose), Fortran order
    seg32 = dict(seg, masks=np.asfortranarray(labels))
    np.save(os.path.join(OUT, "cellpose32_seg.npy"), seg32, allow_pickle=True)

    # the same dict pickled with protocols 2 (bytes as _codecs.encode), 3 (older numpy) and 5
    # (ndarrays as numpy._core.numeric._frombuffer)
    for protocol in (2, 3, 5):
        obj = np.array({"masks": masks, "est_diam": 30.0, "chan_choose": [0, 0]}, dtype=object)
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, np.lib.format.header_data_from_array_1_0(obj))
        pickle.dump(obj, buffer, protocol=protocol)
        with open(os.path.join(OUT, f"protocol{protocol}_seg.npy"), "wb") as f:
            f.write(buffer.getvalue())

    # scipy sparse label images (pciSeq ships label_image.coo.npz)
    for fmt in ("coo", "csr", "csc"):
        sp.save_npz(os.path.join(OUT, f"labels_{fmt}.npz"), sp.coo_matrix(labels).asformat(fmt))

    # Xenium cells.zarr.zip: masks/0 nuclei, masks/1 cells (zarr v2, zlib chunks)
    nuclei = np.where(labels % 2 == 1, labels, 0).astype(np.uint32)
    for name, compressor in (("cells.zarr.zip", numcodecs.Zlib(level=6)), ("blosc_cells.zarr.zip", numcodecs.Blosc())):
        with tempfile.TemporaryDirectory() as tmp:
            store = os.path.join(tmp, "cells.zarr")
            root = zarr.open_group(store, mode="w", zarr_format=2)
            masks_group = root.create_group("masks")
            for key, array in (("0", nuclei), ("1", labels)):
                a = masks_group.create_array(
                    key, shape=array.shape, chunks=(16, 16), dtype=array.dtype, compressors=compressor, fill_value=0
                )
                a[:] = array
            zip_dir(store, os.path.join(OUT, name))
    # the same store in zarr v3 (zarr.json metadata, gzip codec, c/i/j chunk keys)
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "cells.zarr")
        root = zarr.open_group(store, mode="w", zarr_format=3)
        a = root.create_group("masks").create_array(
            "1", shape=labels.shape, chunks=(16, 16), dtype=labels.dtype, compressors=zarr.codecs.GzipCodec(level=6), fill_value=0
        )
        a[:] = labels
        zip_dir(store, os.path.join(OUT, "cells_v3.zarr.zip"))

    # bad Cellpose files: a pickle naming a global that is not numpy's, and a truncated pickle
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array({"masks": Evil()}, dtype=object), allow_pickle=True)
    with open(os.path.join(OUT, "evil_seg.npy"), "wb") as f:
        f.write(buffer.getvalue())
    with open(os.path.join(OUT, "cellpose_seg.npy"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "truncated_seg.npy"), "wb") as f:
        f.write(whole[: len(whole) // 2])


if __name__ == "__main__":
    main()
