#!/usr/bin/env bash
# The embedding benchmark (issue 15), not a timed test:
#  * examples/c/acquire.c, 2048×2048, 4 uint16 channels, FRAMES frames
#    (default 200): per-frame min / median / max, single-threaded, plus the
#    per-step means and the allocation count under malloc_count.so;
#  * the footprint of the fixed 256×256 firmware image (ffi/firmware, every
#    buffer in `static`) built for thumbv7em-none-eabihf: flash and RAM from
#    llvm-size.
# Usage: bench/acquire.sh [FRAMES]   (CELLMAP_BENCH_CLOCK=cpu for thread CPU time)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build -q -p cellmap-ffi --release
cc -O2 -std=c11 -Wall -Wextra -Werror -I ffi/include examples/c/acquire.c \
  "$target_dir/release/libcellmap_ffi.a" -Wl,--gc-sections -lpthread -lm -ldl -o "$work/acquire"
cc -O2 -shared -fPIC examples/c/malloc_count.c -o "$work/malloc_count.so"
LD_PRELOAD="$work/malloc_count.so" "$work/acquire" "${1:-200}"

thumb=thumbv7em-none-eabihf
cargo build -q -p cellmap-ffi-firmware --release --target "$thumb" 2>&1 | grep -v -e 'crate type `cdylib`' -e '^$' || true
image="$target_dir/$thumb/release/cellmap-ffi-firmware"
llvm-size -A "$image" | awk '
  $1 == ".text" || $1 == ".rodata" || $1 == ".ARM.exidx" { flash += $2 }
  $1 == ".data" { flash += $2; ram += $2 }
  $1 == ".bss" { ram += $2 }
  $1 ~ /^\.(text|rodata|data|bss)$/ { printf "  %-8s %9d bytes\n", $1, $2 }
  END { printf "firmware 256x256 (%s): flash %d bytes (%.1f KiB), RAM %d bytes (%.1f KiB, all buffers static)\n", "'"$thumb"'", flash, flash / 1024, ram, ram / 1024 }'
