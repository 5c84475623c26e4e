#!/usr/bin/env bash
# Times `cellmap publish` on a whole synthetic slide (issue 14's case: 40,000 × 40,000 px, ~500,000
# cells, 5,000 genes, ~50 M transcripts; targets on the 2-core machines: <= 120 s and <= 12 GB
# peak RSS). Not a test: prints the wall time and peak RSS (GNU time) of each run, and the store's
# size and file count, and cellmap's JSON summary (stage_seconds: inputs = reading the labels and
# the transcripts, assigning and counting; regions; labels = the pyramid; table; points). The site is written --no-viewer (the viewer's files are a copy of ~1 MB).
#
#   bash bench/publish-slide.sh [SIDE] [TRANSCRIPTS] [GENES] [RUNS]
#   (defaults: 40000 px, 50000000 transcripts, 5000 genes, 1 run)
#
# Data (made once per size, cached in target/bench-publish/): an int32 label image SIDE × SIDE of
# cells on a 56-px grid (rectangles of 36..52 px a side at a random offset in their slot: ~3,200 px²
# per slot, (SIDE/56)² cells, 510,204 at 40,000 px), written band by band through a memory map;
# and a Parquet table (x, y in pixels, gene dictionary-encoded; pyarrow's defaults) of
# TRANSCRIPTS points uniform over the slide with Zipf-distributed genes (exponent 1.1). Made with
# numpy like bench/transcripts.sh, not with cellmap-sim (whose tissue model is built for tiles:
# `cellmap demo` stops at 16,384 px).
#
# Measured (2 shared cores, load average ~10 from other jobs, release build, 2026-12-05; the data
# in the page cache): 40,000² px, 509,796 cells, 5,000 genes, 50 M transcripts (30.9 M in cells;
# 20.6 M table entries): 81.6 s wall, 8.5 GB peak RSS (targets 120 s, 12 GB); stages: inputs
# (labels .npy 6.4 GB, Parquet, assignment, counts) 37.9 s, regions 2.4 s, label pyramid
# (8 levels, 8,380 chunks) 13.8 s, table 1.0 s, points (Morton sort + Parquet) 25.7 s. Store
# 910 MB in 8,768 files: labels 63 MB, table 67 MB, points 781 MB. The same with --no-points:
# 78.9 s, 7.9 GB (its inputs stage took 56.7 s: the machine's load moves these figures by tens of
# per cent; about a third of the inputs stage is the kernel zeroing the pages the 6.4 GB of
# labels are read into). 20,000² px (127,449 cells, 12.5 M transcripts): 27.1 s, 2.2 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
side=${1:-40000}
rows=${2:-50000000}
genes=${3:-5000}
runs=${4:-1}
bash scripts/setup-python.sh
cargo build --release -p cellmap-cli --quiet
bin=${CARGO_TARGET_DIR:-target}/release/cellmap
data=target/bench-publish
mkdir -p "$data"
labels=$data/labels_$side.npy
table=$data/transcripts_${side}_${rows}_${genes}.parquet
if [ ! -f "$labels" ] || [ ! -f "$table" ]; then
  .venv/bin/python - "$labels" "$table" "$side" "$rows" "$genes" <<'PY'
import sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

labels_path, table_path = sys.argv[1], sys.argv[2]
side, n, n_genes = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
slot = 56
slots = side // slot
rng = np.random.default_rng(0)
# Each slot's cell: a rectangle of 36..52 px a side at a random offset inside the slot.
h = rng.integers(36, 53, (slots, slots))
w = rng.integers(36, 53, (slots, slots))
oy = (rng.random((slots, slots)) * (slot - h)).astype(np.int64)
ox = (rng.random((slots, slots)) * (slot - w)).astype(np.int64)
ids = np.arange(1, slots * slots + 1, dtype=np.int32).reshape(slots, slots)
out = np.lib.format.open_memmap(labels_path, mode="w+", dtype=np.int32, shape=(side, side))
cols = np.arange(side)
sx, px = cols // slot, cols % slot
for sy in range(slots + 1):
    y0, y1 = sy * slot, min((sy + 1) * slot, side)
    if y0 >= side:
        break
    band = np.zeros((y1 - y0, side), np.int32)
    if sy < slots:
        py = np.arange(y1 - y0)[:, None]
        valid = sx < slots
        sxc = np.minimum(sx, slots - 1)
        inside = valid & (py >= oy[sy, sxc]) & (py < oy[sy, sxc] + h[sy, sxc]) \
            & (px >= ox[sy, sxc]) & (px < ox[sy, sxc] + w[sy, sxc])
        band = np.where(inside, ids[sy, sxc], 0).astype(np.int32)
    out[y0:y1] = band
out.flush()
del out
names = np.array([f"Gene{i:05d}" for i in range(n_genes)])
weights = 1.0 / np.arange(1, n_genes + 1) ** 1.1
weights /= weights.sum()
schema = pa.schema([("x", pa.float32()), ("y", pa.float32()), ("gene", pa.dictionary(pa.int32(), pa.string()))])
with pq.ParquetWriter(table_path, schema) as writer:
    step = 5_000_000
    for start in range(0, n, step):
        m = min(step, n - start)
        codes = rng.choice(n_genes, m, p=weights).astype(np.int32)
        gene = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names))
        writer.write_table(pa.table({
            "x": pa.array(rng.uniform(0, side, m).astype(np.float32)),
            "y": pa.array(rng.uniform(0, side, m).astype(np.float32)),
            "gene": gene,
        }, schema=schema))
print(f"{slots * slots} cells, {n} transcripts, {n_genes} genes")
PY
fi
ls -la "$data"
for i in $(seq "$runs"); do
  site=$data/site_$side
  rm -rf "$site"
  /usr/bin/time -f "run $i: %e s wall, %M KB peak RSS, %P CPU" \
    "$bin" publish "$labels" --transcripts "$table" -o "$site" --no-viewer --json --title "synthetic slide ${side}px"
  echo "store: $(du -sh "$site/data.zarr" | cut -f1), $(find "$site/data.zarr" -type f | wc -l) files"
done
