#!/usr/bin/env bash
# Fuzzes the readers (npy/masks, npz/CSR, transcript CSV) and the pipeline over them (reduce:
# CSR/dense bytes -> cell_table for every Stat; assign: CSV -> assign_transcripts +
# count_transcripts; genes: the `--genes` parser) with libFuzzer, for a bounded time per target.
# Every input runs under -rss_limit_mb=2048 (a single allocation of 2 GB or more is a finding
# too) and -timeout=10 s.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 30)
# Needs the nightly toolchain and cargo-fuzz that scripts/setup-tools.sh installs; without
# them it FAILS (exit 1): a fuzz step that skips itself proves nothing.
# A crash leaves its input in fuzz/artifacts/<target>/; the log is fuzz/artifacts/<target>.log.
# Reproduce: (cd fuzz && cargo +nightly fuzz run <target> artifacts/<target>/<file>)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: FAILED: no nightly toolchain (libFuzzer needs one); run scripts/setup-tools.sh" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: FAILED: cargo-fuzz is not installed; run scripts/setup-tools.sh" >&2
  exit 1
fi

targets=(npy npz csv reduce assign genes zarr)

# Seed corpora from the committed fixtures (kept out of git: fuzz/corpus).
c=fuzz/corpus
mkdir -p "$c"/{npy,npz,csv,reduce,assign,genes,zarr} fuzz/artifacts
cp -n tests/fixtures/io/*.npy tests/fixtures/io/*.png tests/fixtures/io/*.tif "$c/npy/" 2>/dev/null || true
cp -n tests/fixtures/io/*.npz "$c/npz/" 2>/dev/null || true
cp -n tests/fixtures/io/*.csv tests/fixtures/io/*.csv.gz "$c/csv/" 2>/dev/null || true
# reduce: expression files whose row count matches one of the target's fixed label images.
cp -n tests/fixtures/io/*.npz tests/fixtures/io/*_dense.npy tests/fixtures/io/dense_expr.npy \
  tests/fixtures/cli/st.npz tests/fixtures/cli/st_wrong_shape.npz tests/fixtures/cli/dense.npy \
  "$c/reduce/" 2>/dev/null || true
cp -n tests/fixtures/io/*.csv tests/fixtures/cli/spots.csv tests/fixtures/cli/xenium.csv.gz \
  "$c/assign/" 2>/dev/null || true
# zarr: the first byte picks the reader (0 root zarr.json, 2 a label chunk, 3 a vlen-utf8 chunk)
for f in tests/fixtures/published/store.zarr/zarr.json tests/fixtures/published/sharded.zarr/zarr.json; do
  { printf '\000'; cat "$f"; } >"$c/zarr/root-$(basename "$(dirname "$f")")"
done
{ printf '\002'; cat tests/fixtures/published/store.zarr/labels/cells/s0/c/0/1; } >"$c/zarr/chunk"
{ printf '\003'; cat tests/fixtures/published/store.zarr/tables/table/obs/_index/c/0; } >"$c/zarr/strings"
i=0
for g in '10..30' '10..=29' '7' '1,5,7' '0..=18446744073709551615' '0..4294967296' ' 3 .. 9 ,2'; do
  printf '%s' "$g" >"$c/genes/seed$i"
  i=$((i + 1))
done

max_len() {
  case "$1" in
    reduce | assign) echo 65536 ;; # bounds what the pipeline may legitimately inflate (~1032x)
    genes) echo 256 ;;
    *) echo 1048576 ;;
  esac
}

echo "== fuzz: building ${targets[*]}"
(cd fuzz && cargo +nightly fuzz build)
status=0
for target in "${targets[@]}"; do
  echo "== fuzz $target for ${SECONDS_PER_TARGET}s"
  log="fuzz/artifacts/$target.log"
  if (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
        -max_len="$(max_len "$target")" -print_final_stats=1) >"$log" 2>&1; then
    grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs|stat::number_of_executed_units)' "$log" | tail -n 2
  else
    tail -n 40 "$log"
    echo "fuzz: $target FAILED (crash input in fuzz/artifacts/$target/, log $log)"
    status=1
  fi
done
exit $status
