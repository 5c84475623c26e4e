#!/usr/bin/env bash
# The Python benchmark of issue 17, one run, side by side (not a timed test):
#   scipy fill + label (whole array) vs cellmap.label (in memory);
#   dask-image ndmeasure.label (2048² chunks; threaded and a 2-worker LocalCluster; no hole filling)
#   vs cellmap.dask.label (same chunks, exact hole filling), on dask 2025.3.1 (the fair figure:
#   later dask relabels each block over and over) and on current dask;
#   cellmap.dask.cell_stats (all-cells mean across chunks); peak RSS per worker.
#
#   bash bench/python-dask.sh [SIZE...]        # default: 8192
#
# Two venvs under bench/.venvs/ (made once, pinned): dask 2025.3.1 and dask 2026.8.0, each with
# dask-image 2026.5.0 and the cellmap wheel (scripts/build-python.sh --wheel). Masks come from the
# project's generator (bench/gen_masks.py), cached in bench/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-8192}")
wheel=$(bash scripts/build-python.sh --wheel)
base=$(.venv/bin/python -c "import sys; print(sys.base_prefix)")/bin/python3
for dask in 2025.3.1 2026.8.0; do
  venv="bench/.venvs/dask-$dask"
  if [ ! -x "$venv/bin/python" ]; then
    "$base" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy==2.4.6 scipy==1.17.1 \
      "dask[array]==$dask" "distributed==$dask" dask-image==2026.5.0
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"
done
mkdir -p bench/data
for size in "${sizes[@]}"; do
  mask="bench/data/issue17_mask_$size.npy"
  [ -f "$mask" ] || .venv/bin/python -c "
import sys, numpy as np; sys.path.insert(0, 'bench'); from gen_masks import make_mask
np.save('$mask', make_mask($size, seed=0))"
  for dask in 2025.3.1 2026.8.0; do
    "bench/.venvs/dask-$dask/bin/python" bench/python_dask.py "$mask" --out "bench/data/issue17_${size}_dask-$dask.json"
  done
  .venv/bin/python bench/python_dask.py --table "bench/data/issue17_${size}_dask-2025.3.1.json" "bench/data/issue17_${size}_dask-2026.8.0.json"
done
