#!/usr/bin/env bash
# Checks the C ABI (crate cellmap-ffi) end to end:
#  1. the committed header ffi/include/cellmap.h is what cbindgen writes
#     (--write regenerates it instead);
#  2. the host static and shared libraries build;
#  3. examples/c/label_tile.c and examples/c/acquire.c compile with
#     -Wall -Wextra -Werror and run, plain and under AddressSanitizer +
#     UndefinedBehaviorSanitizer; label_tile's output equals the scipy
#     reference (tests/fixtures/ffi/label_tile.expected), and so does the
#     ctypes example's (examples/python/label_tile.py on the .so);
#  4. acquire allocates nothing per frame (LD_PRELOAD malloc_count.so);
#  5. no allocator: the thumbv7em staticlib links without a global
#     allocator (scripts/check-no-alloc.sh has the negative control);
#  6. panic paths: every exported function is linked (--gc-sections) into a
#     thumbv7em image whose panic handler is an undefined symbol; the
#     exported functions that reach a panic (a bounds check the optimiser
#     keeps, an unwrap, a division by zero, ...) must be exactly those
#     listed in ffi/panic-paths.txt, which is empty: every exported function
#     is proven panic-free. Negative control: in a copy of the core and the
#     C ABI with one deliberately panicking kernel behind a new exported
#     function, the same check must flag that function. (Hosted builds
#     still catch a panic at the boundary as CELLMAP_ERR_INTERNAL, as a
#     second line of defence.)
# Usage: scripts/check-ffi.sh [--write]   (ACQUIRE_FRAMES: frames of 2048² in step 4, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
say() { echo "check-ffi: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

header=ffi/include/cellmap.h
cbindgen -q --config ffi/cbindgen.toml --crate cellmap-ffi --output "$work/cellmap.h" ffi
if [ "${1:-}" = "--write" ]; then
  cp "$work/cellmap.h" "$header"
  say "wrote $header"
elif ! diff -u "$header" "$work/cellmap.h"; then
  echo "check-ffi: $header is stale: run scripts/check-ffi.sh --write and commit it" >&2
  exit 1
fi
say "header $header is what cbindgen $(cbindgen --version | awk '{print $2}') writes"

cargo build -q -p cellmap-ffi --release
lib="$target_dir/release"
fixtures=tests/fixtures/ffi
cflags=(-std=c11 -Wall -Wextra -Werror -I ffi/include)
link=("$lib/libcellmap_ffi.a" -Wl,--gc-sections -lpthread -lm -ldl)
sanitize=(-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
for example in label_tile acquire; do
  cc -O2 "${cflags[@]}" "examples/c/$example.c" "${link[@]}" -o "$work/$example"
  cc "${sanitize[@]}" "${cflags[@]}" "examples/c/$example.c" "${link[@]}" -o "$work/$example-san"
done
cc -O2 -shared -fPIC -Wall -Wextra -Werror examples/c/malloc_count.c -o "$work/malloc_count.so"

tile=("$fixtures/tile_mask.u8" "$fixtures/tile_values.f32" 128 96)
"$work/label_tile" "${tile[@]}" | diff -u "$fixtures/label_tile.expected" -
ASAN_OPTIONS=detect_leaks=1 "$work/label_tile-san" "${tile[@]}" | diff -u "$fixtures/label_tile.expected" -
say "label_tile (plain, ASan+UBSan) prints scipy's cell count and means"
"${CELLMAP_PYTHON:-.venv/bin/python}" examples/python/label_tile.py "$lib/libcellmap_ffi.so" "${tile[@]}" |
  diff -u "$fixtures/label_tile.expected" -
say "the ctypes example on libcellmap_ffi.so prints the same"

LD_PRELOAD="$work/malloc_count.so" "$work/acquire" "${ACQUIRE_FRAMES:-5}" | tee "$work/acquire.log"
grep -q '^allocations in the loop: 0 ' "$work/acquire.log"
ASAN_OPTIONS=detect_leaks=1 "$work/acquire-san" 3 512 512 >/dev/null
say "acquire: 0 allocations per frame (malloc_count.so); clean under ASan+UBSan"

thumb=thumbv7em-none-eabihf
cargo build -q -p cellmap-ffi --release --target "$thumb" --features panic-proof 2>&1 |
  grep -v -e 'crate type `cdylib`' -e '^$' || true
archive="$target_dir/$thumb/release/libcellmap_ffi.a"
say "no-alloc: libcellmap_ffi.a builds for $thumb with no global allocator"

lld=$(find "$(rustc --print sysroot)/lib/rustlib" -name rust-lld -type f | head -n 1)
# panic_paths ARCHIVE DIR: prints the exported functions of ARCHIVE (a
# panic-proof thumbv7em libcellmap_ffi.a) that reach a panic, one a line.
panic_paths() {
  local archive=$1 dir=$2 exports roots symbol
  mkdir -p "$dir"
  mapfile -t exports < <(llvm-nm --defined-only -g "$archive" 2>/dev/null | awk '$2 == "T" && $3 ~ /^cellmap_/ { print $3 }' | sort -u)
  echo "${#exports[@]}" >"$dir/exports"
  roots=()
  for symbol in "${exports[@]}"; do roots+=(-u "$symbol"); done
  if "$lld" -flavor gnu --gc-sections -e 0 "${roots[@]}" "$archive" -o "$dir/proof.elf" 2>"$dir/lld.log"; then
    return 0
  fi
  grep -q cellmap_ffi_panic_is_reachable "$dir/lld.log" || { cat "$dir/lld.log" >&2; return 1; }
  # Link anyway to see which exported functions reach the panic handler.
  "$lld" -flavor gnu --gc-sections -e 0 "${roots[@]}" "$archive" -o "$dir/proof.elf" --unresolved-symbols=ignore-all
  llvm-objdump -d --no-show-raw-insn "$dir/proof.elf" >"$dir/proof.s"
  llvm-nm -S --defined-only "$dir/proof.elf" >"$dir/proof.syms"
  python3 - "$dir/proof.s" "$dir/proof.syms" "${exports[@]}" <<'PY'
# The call graph by address: each direct branch (bl, b.w, ...) inside a
# function's [start, start + size) is an edge to the function whose range
# holds the target (padding and mapping symbols are thus ignored).
import bisect, re, sys
funcs = []
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) == 4 and parts[2] in "tTwW" and not parts[3].startswith("$"):
        funcs.append((int(parts[0], 16) & ~1, int(parts[1], 16), parts[3]))
funcs.sort()
starts = [f[0] for f in funcs]
def owner(addr):
    i = bisect.bisect_right(starts, addr) - 1
    return funcs[i][2] if i >= 0 and addr < funcs[i][0] + max(funcs[i][1], 1) else None
calls = {}
for line in open(sys.argv[1]):
    m = re.match(r"\s*([0-9a-f]+):\s+b\S*\s+0x([0-9a-f]+)", line)
    if m:
        src, dst = owner(int(m.group(1), 16)), owner(int(m.group(2), 16))
        if src and dst and src != dst:
            calls.setdefault(src, set()).add(dst)
panics = {f[2] for f in funcs if "panic" in f[2] or f[2].endswith("rust_begin_unwind")}
def reaches(root):
    seen, stack = {root}, [root]
    while stack:
        f = stack.pop()
        if f in panics:
            return True
        for g in calls.get(f, ()):
            if g not in seen:
                seen.add(g)
                stack.append(g)
    return False
glue = sorted(f for f, callees in calls.items() if "cellmap_ffi" in f and callees & panics)
if glue:
    sys.exit("the FFI glue itself calls a panic: " + ", ".join(glue))
for root in sys.argv[3:]:
    if reaches(root):
        print(root)
PY
}
reached=$(panic_paths "$archive" "$work/proof")
if ! diff -u ffi/panic-paths.txt <(printf '%s\n' "$reached" | sed '/^$/d'); then
  echo "check-ffi: the exported functions that reach a panic path differ from ffi/panic-paths.txt (+ new, - gone): a new path must be removed, a gone one deleted from the list" >&2
  exit 1
fi
say "panic paths: $(cat "$work/proof/exports") exported functions; $(sed '/^$/d' ffi/panic-paths.txt | wc -l) reach a panic (ffi/panic-paths.txt), the rest are proven panic-free"

# Negative control: a copy of the core and the C ABI with one deliberately
# panicking kernel (an unchecked index) behind a new exported function; the
# same check must name that function and nothing else new.
control="$work/control"
mkdir -p "$control"
git ls-files -z Cargo.toml Cargo.lock core sim ffi tests/nostd-check | xargs -0 cp --parents -t "$control"
sed -i 's/^members = .*/members = ["core", "sim", "ffi", "tests\/nostd-check"]/; /^default-members/d' "$control/Cargo.toml"
cat >>"$control/core/src/lib.rs" <<'RS'
/// Deliberate panic path (the panic check must flag it).
pub fn indexes_for_the_no_panic_proof(values: &[u32], i: usize) -> u32 {
    values[i]
}
RS
cat >>"$control/ffi/src/lib.rs" <<'RS'
/// Deliberate panic path (the panic check must flag it).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_panic_control(i: usize) -> u32 {
    cellmap_core::indexes_for_the_no_panic_proof(&[1, 2, 3], i)
}
RS
(cd "$control" && CARGO_TARGET_DIR="$work/control-target" cargo build -q -p cellmap-ffi --release --target "$thumb" \
  --features panic-proof) 2>&1 | grep -v -e 'crate type `cdylib`' -e '^$' || true
flagged=$(panic_paths "$work/control-target/$thumb/release/libcellmap_ffi.a" "$work/control-proof")
expected=$(printf '%s\n' "$reached" cellmap_panic_control | sed '/^$/d' | sort)
if [ "$(printf '%s\n' "$flagged" | sed '/^$/d' | sort)" != "$expected" ]; then
  echo "check-ffi: the panic check missed a deliberate panic path (negative control); it flagged:" >&2
  printf '%s\n' "$flagged" >&2
  exit 1
fi
say "panic paths: with a deliberate out-of-bounds index in a copy of the core, the same check flags cellmap_panic_control, as it must"
