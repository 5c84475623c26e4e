#!/usr/bin/env bash
# Times `cellmap assign` on a generated Xenium-style transcripts.parquet (issue 12's target:
# 10 M rows in <= 3 s). Not a test: prints the wall time of each run.
#
#   bash bench/transcripts.sh [ROWS] [RUNS]      (defaults: 10000000 rows, 3 runs)
#
# Data (made once, cached in target/bench-transcripts/): a 4000×4000 int32 label image of
# 40×40-pixel cells with 4-pixel gaps, and ROWS transcripts uniform over the image in µm
# (0.2125 µm/px), 300 genes plus control probes, qv 10..40, pyarrow's defaults (snappy,
# dictionary-encoded feature_name, row groups of 1 Mi rows).
#
# Measured (2 shared cores, release build, 2026-12-05, 10 M rows, 6.6 M kept): before the
# assignments.csv writer was reworked, 8.7-10.1 s wall (load average ~3), of which writing the
# outputs ~7.9 s (f32-derived coordinates printed as 17-digit f64 through the csv crate, and
# rows in cell order gathered one scattered load at a time). Now 2.2-2.4 s (load average ~2.6),
# 310 MB max RSS: labels 0.1 s, reading the Parquet file + assigning + counting 1.5-1.7 s,
# assignments.csv 0.8 s (float32 coordinates as float32 text by ryu, 208 MB instead of 319 MB),
# counts.npz, cells.csv and genes.txt 0.03 s together.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
runs=${2:-3}
bash scripts/setup-python.sh
cargo build --release -p cellmap-cli --quiet
data=target/bench-transcripts
mkdir -p "$data"
if [ ! -f "$data/transcripts_$rows.parquet" ] || [ ! -f "$data/labels.npy" ]; then
  .venv/bin/python - "$data" "$rows" <<'PY'
import sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

out, n = sys.argv[1], int(sys.argv[2])
side, cell, gap = 4000, 40, 4
r = np.arange(side)
inside = (r % cell) >= gap
cells_per_row = side // cell
ids = (r[:, None] // cell) * cells_per_row + (r[None, :] // cell) + 1
labels = np.where(inside[:, None] & inside[None, :], ids, 0).astype(np.int32)
np.save(f"{out}/labels.npy", labels)
rng = np.random.default_rng(0)
genes = np.array([f"Gene{i:03d}" for i in range(300)] + ["NegControlProbe_00001", "BLANK_0001"])
scale = 0.2125
table = pa.table({
    "transcript_id": pa.array(np.arange(n, dtype=np.uint64)),
    "cell_id": pa.array(np.full(n, "UNASSIGNED")),
    "overlaps_nucleus": pa.array(np.zeros(n, np.uint8)),
    "feature_name": pa.array(genes[rng.integers(0, len(genes), n)]).dictionary_encode(),
    "x_location": pa.array(rng.uniform(0, side * scale, n).astype(np.float32)),
    "y_location": pa.array(rng.uniform(0, side * scale, n).astype(np.float32)),
    "z_location": pa.array(rng.uniform(0, 20, n).astype(np.float32)),
    "qv": pa.array(rng.uniform(10, 40, n).astype(np.float32)),
})
pq.write_table(table, f"{out}/transcripts_{n}.parquet")
PY
fi
ls -la "$data"
for i in $(seq "$runs"); do
  rm -rf "$data/out"
  start=$(date +%s.%N)
  target/release/cellmap assign "$data/labels.npy" "$data/transcripts_$rows.parquet" -o "$data/out" --preset xenium
  end=$(date +%s.%N)
  echo "run $i: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s for $rows rows"
done
