#!/usr/bin/env bash
# Builds the cellmap-wasm npm package into web/pkg with wasm-pack
# (`--target web`, profile `wasm-release`, `wasm-opt -Oz` from npm
# binaryen) and prints the size of the .wasm, raw and gzipped.
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
wasm-pack --log-level warn build wasm --mode no-install --target web --profile wasm-release \
  --out-dir "$out"

wasm="$out/cellmap_wasm_bg.wasm"
js="$out/cellmap_wasm.js"
raw=$(stat -c %s "$wasm")
gz=$(gzip -9c "$wasm" | wc -c)
jsraw=$(stat -c %s "$js")
jsgz=$(gzip -9c "$js" | wc -c)
budget=$((250 * 1024))
echo "wasm size: cellmap_wasm_bg.wasm $raw bytes, gzip -9 $gz bytes (budget $budget); JS glue $jsraw bytes, gzip -9 $jsgz bytes"
if [ "$gz" -gt "$budget" ]; then
  echo "build-wasm: the gzipped .wasm ($gz bytes) is over the 250 KB budget" >&2
  exit 1
fi
