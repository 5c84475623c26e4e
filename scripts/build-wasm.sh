#!/usr/bin/env bash
# Builds the viewer's wasm packages with wasm-pack (`--target web`, profile
# `wasm-release`, `wasm-opt -Oz` from npm binaryen): cellmap-wasm into
# OUT_DIR (what the page loads at start; budget 250 KB gzipped, DESIGN.md §4)
# and the optional readers module cellmap-wasm-readers into OUT_DIR/readers
# (loaded only when a dropped mask or label image needs it: TIFF, Cellpose
# _seg.npy, scipy sparse .npz, cells.zarr.zip; budget 200 KB gzipped) and the optional
# exports module cellmap-wasm-exports into OUT_DIR/exports (loaded on the
# first table export: the cells' CSV written by the pipeline; budget 60 KB
# gzipped), and the transcript-table module cellmap-wasm-tables into
# OUT_DIR/tables (loaded only when a transcript table is dropped: CSV/TSV/gzip
# and Parquet with its codecs snappy and gzip; budget 300 KB gzipped), and the store module
# cellmap-wasm-store into OUT_DIR/store (loaded only when the page opens a published store,
# `?data=`: zarr v3 metadata, zstd chunks through ruzstd, the lazy caches and the painter;
# budget 200 KB gzipped), and the analysis module cellmap-wasm-modes into OUT_DIR/modes (loaded
# only when a per-cell CSV is opened: its columns as numbers or categories; budget 120 KB
# gzipped). Prints
# the sizes of each .wasm, raw and gzipped, and fails over a budget.
# Needs the tools of scripts/setup-tools.sh --no-browser.
# Usage: scripts/build-wasm.sh [OUT_DIR]   (default: web/pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-web/pkg}
case "$out" in /*) ;; *) out="$root/$out" ;; esac

# wasm-pack takes the first wasm-opt on PATH: npm binaryen's, never Debian's
# (v108 cannot parse current rustc output). The wasm-bindgen CLI on PATH must
# be the Cargo.lock version, or wasm-pack would try to download one.
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [ ! -x "$root/node_modules/.bin/wasm-opt" ]; then
  echo "build-wasm: node_modules/.bin/wasm-opt missing; run scripts/setup-tools.sh (npm ci)" >&2
  exit 1
fi

rm -rf "$out"
# --mode no-install: use the tools on PATH, never download.
build() {
  wasm-pack --log-level warn build "$1" --mode no-install --target web --profile wasm-release --out-dir "$2"
}
build wasm "$out"
build wasm/readers "$out/readers"
build wasm/exports "$out/exports"
build wasm/tables "$out/tables"
build wasm/store "$out/store"
build wasm/modes "$out/modes"

# size NAME WASM JS BUDGET: prints the sizes, fails over the gzip budget.
size() {
  local raw gz jsraw jsgz
  raw=$(stat -c %s "$2")
  gz=$(gzip -9c "$2" | wc -c)
  jsraw=$(stat -c %s "$3")
  jsgz=$(gzip -9c "$3" | wc -c)
  echo "wasm size: $1 $raw bytes, gzip -9 $gz bytes (budget $4); JS glue $jsraw bytes, gzip -9 $jsgz bytes"
  if [ "$gz" -gt "$4" ]; then
    echo "build-wasm: the gzipped $1 ($gz bytes) is over its budget of $4 bytes" >&2
    exit 1
  fi
}
size cellmap_wasm_bg.wasm "$out/cellmap_wasm_bg.wasm" "$out/cellmap_wasm.js" $((250 * 1024))
size readers/cellmap_wasm_readers_bg.wasm "$out/readers/cellmap_wasm_readers_bg.wasm" \
  "$out/readers/cellmap_wasm_readers.js" $((200 * 1024))
size exports/cellmap_wasm_exports_bg.wasm "$out/exports/cellmap_wasm_exports_bg.wasm" \
  "$out/exports/cellmap_wasm_exports.js" $((60 * 1024))
size tables/cellmap_wasm_tables_bg.wasm "$out/tables/cellmap_wasm_tables_bg.wasm" \
  "$out/tables/cellmap_wasm_tables.js" $((300 * 1024))
size store/cellmap_wasm_store_bg.wasm "$out/store/cellmap_wasm_store_bg.wasm" \
  "$out/store/cellmap_wasm_store.js" $((200 * 1024))
size modes/cellmap_wasm_modes_bg.wasm "$out/modes/cellmap_wasm_modes_bg.wasm" \
  "$out/modes/cellmap_wasm_modes.js" $((120 * 1024))
