"""Writes the region-property fixtures into tests/fixtures/regions/.

Run with the project venv: .venv/bin/python tests/generators/regions.py

A synthetic tissue is filled and labelled with scipy (4-connectivity); one
label is then erased so that it is absent (``find_objects`` gives None,
``center_of_mass`` NaN). References, per label 0..N (0 = background):

* area: ``ndimage.sum_labels(ones, labels, index)``;
* centroid (row, col): ``ndimage.center_of_mass(ones, labels, index)``;
* bbox (labels 1..N): ``ndimage.find_objects(labels, N)`` slices as
  ``row_start, row_end, col_start, col_end``; -1 for None.
"""
import os
import sys
import warnings

import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(__file__))
from stats import tissue  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "regions")


def main():
    rng = np.random.default_rng(3)
    h, w = 90, 120
    labels, n = ndimage.label(ndimage.binary_fill_holes(tissue(rng, h, w, spacing=12)))
    labels[labels == 5] = 0  # label 5 absent
    index = np.arange(n + 1)
    ones = np.ones_like(labels, dtype=np.float64)
    area = ndimage.sum_labels(ones, labels, index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for the absent label
        centroid = np.array(ndimage.center_of_mass(ones, labels, index), dtype=np.float64)
    bbox = np.full((n, 4), -1, np.int64)
    for i, sl in enumerate(ndimage.find_objects(labels, n)):
        if sl is not None:
            bbox[i] = [sl[0].start, sl[0].stop, sl[1].start, sl[1].stop]
    assert np.isnan(centroid[5]).all() and (bbox[4] == -1).all()
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "labels.npy"), labels.astype(np.int32))
    np.save(os.path.join(OUT, "area.npy"), area.astype(np.int64))
    np.save(os.path.join(OUT, "centroid.npy"), centroid)
    np.save(os.path.join(OUT, "bbox.npy"), bbox)
    print(f"regions fixtures: {h}x{w}, {n} labels -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
