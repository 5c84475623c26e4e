#!/usr/bin/env bash
# Fuzzes the cellmap-io readers (npy/masks, npz/CSR, transcript CSV) for a
# bounded time each. Needs a nightly toolchain (libFuzzer instrumentation);
# without one it prints why and exits 0. Installs cargo-fuzz if missing.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: no nightly toolchain (rustup toolchain list); cargo-fuzz needs one — skipped"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz
fi

# Seed corpora from the committed fixtures (kept out of git: fuzz/corpus).
mkdir -p fuzz/corpus/npy fuzz/corpus/npz fuzz/corpus/csv
cp -n tests/fixtures/io/*.npy tests/fixtures/io/*.png tests/fixtures/io/*.tif fuzz/corpus/npy/ 2>/dev/null || true
cp -n tests/fixtures/io/*.npz fuzz/corpus/npz/ 2>/dev/null || true
cp -n tests/fixtures/io/*.csv tests/fixtures/io/*.csv.gz fuzz/corpus/csv/ 2>/dev/null || true

status=0
for target in npy npz csv; do
  echo "== fuzz $target for ${SECONDS_PER_TARGET}s"
  if ! (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -max_len=1048576 2>&1 | tail -n 5); then
    echo "fuzz: $target FAILED (crash input in fuzz/artifacts/$target/)"
    status=1
  fi
done
exit $status
