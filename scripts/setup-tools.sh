#!/usr/bin/env bash
# Installs what the wasm build, the wasm-bindgen tests and the browser tests
# need, and only what is missing (idempotent; a second run takes ~1 s):
#   * rustup targets wasm32-unknown-unknown and thumbv7em-none-eabihf
#   * the nightly toolchain (minimal profile) and cargo-fuzz 0.13.2 (cargo install --locked)
#     for scripts/fuzz.sh (libFuzzer needs nightly)
#   * wasm-bindgen-cli of exactly the wasm-bindgen version in Cargo.lock
#     (the CLI, wasm-bindgen-test-runner and the crate must match)
#   * wasm-pack 0.15.1 (cargo install; the npm package needs GitHub)
#   * cbindgen 0.29.4 (cargo install --locked): regenerates ffi/include/cellmap.h, which CI diffs
#   * Debian chromium + chromium-driver (apt-get) for the headless tests
#   * node_modules from package-lock.json (`npm ci`): binaryen's wasm-opt,
#     playwright-core
# Usage: scripts/setup-tools.sh [--no-browser]
#   --no-browser  skip chromium (enough to build and serve the viewer)
# Fresh machine: ~4 min (wasm-bindgen-cli) + ~5 min (wasm-pack) + ~35 s (apt).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
CARGO_FUZZ_VERSION=0.13.2
CBINDGEN_VERSION=0.29.4
browser=1
for arg in "$@"; do
  case "$arg" in
    --no-browser) browser=0 ;;
    *) echo "setup-tools: unknown option '$arg' (known: --no-browser)" >&2; exit 2 ;;
  esac
done

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
say() { echo "setup-tools: $*"; }

have_targets=$(rustup target list --installed)
for t in wasm32-unknown-unknown thumbv7em-none-eabihf; do
  grep -qx "$t" <<<"$have_targets" || { say "rustup target add $t"; rustup target add "$t"; }
done

# Fuzzing (scripts/fuzz.sh): nightly for libFuzzer's instrumentation, cargo-fuzz pinned.
if ! rustup toolchain list | grep -q '^nightly'; then
  say "rustup toolchain install nightly --profile minimal (~1 min)"
  rustup toolchain install nightly --profile minimal
fi
cf_have=$( (cargo fuzz --version 2>/dev/null || true) | awk '{print $2}')
if [ "$cf_have" != "$CARGO_FUZZ_VERSION" ]; then
  say "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (found: ${cf_have:-none}; ~3-6 min)"
  cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked --force
fi

# The version of the wasm-bindgen crate in Cargo.lock (pinned `=` in wasm/Cargo.toml).
wb_want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wb_want" ]; then
  echo "setup-tools: no wasm-bindgen entry in Cargo.lock; run 'cargo generate-lockfile' first" >&2
  exit 1
fi
wb_have=$( (wasm-bindgen --version 2>/dev/null || true) | awk '{print $2}')
runner_have=$( (wasm-bindgen-test-runner --version 2>/dev/null || true) | awk '{print $2}')
if [ "$wb_have" != "$wb_want" ] || [ "$runner_have" != "$wb_want" ]; then
  say "cargo install wasm-bindgen-cli $wb_want (found: ${wb_have:-none}; ~3-4 min)"
  # No --locked: the CLI's lockfile pins a webpki-roots this registry does not serve.
  cargo install wasm-bindgen-cli --version "=$wb_want" --force
fi

wp_have=$( (wasm-pack --version 2>/dev/null || true) | awk '{print $2}')
if [ "$wp_have" != "$WASM_PACK_VERSION" ]; then
  say "cargo install wasm-pack $WASM_PACK_VERSION (found: ${wp_have:-none}; ~5 min)"
  cargo install wasm-pack --version "=$WASM_PACK_VERSION" --force
fi

cb_have=$( (cbindgen --version 2>/dev/null || true) | awk '{print $2}')
if [ "$cb_have" != "$CBINDGEN_VERSION" ]; then
  say "cargo install cbindgen $CBINDGEN_VERSION (found: ${cb_have:-none}; ~1-2 min)"
  cargo install cbindgen --version "=$CBINDGEN_VERSION" --locked --force
fi

if [ "$browser" = 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  say "apt-get install chromium chromium-driver (~35 s)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# node + npm (wasm-opt from npm binaryen, playwright-core) from Debian if missing.
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  say "apt-get install nodejs npm"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

# npm ci only when package-lock.json changed since the last install.
if [ -f package-lock.json ]; then
  stamp=node_modules/.cellmap-lock.sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "npm ci (binaryen wasm-opt, playwright-core)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
else
  say "no package-lock.json: skipping npm ci (wasm-opt will be missing)"
fi
