#!/usr/bin/env bash
# Proves that cellmap-core, cellmap-sim and cellmap-ffi (the C ABI) use no
# heap, both ways:
#  1. tests/nostd-check (which calls every public core kernel and every
#     public simulator function) links into a bare-metal thumbv7em staticlib
#     that has no global allocator;
#     and so does the C ABI's staticlib (libcellmap_ffi.a);
#  2. the same link FAILS ("no global memory allocator found") once a copy of
#     the core, the simulator or the C ABI uses `alloc` — so step 1 really
#     is a proof, not a formality.
set -euo pipefail
cd "$(dirname "$0")/.."
target=thumbv7em-none-eabihf
cargo build -q -p nostd-check --target "$target" --release
echo "no-alloc: nostd-check links for $target without an allocator"
# (cargo warns that a cdylib cannot be built for a bare-metal target: only the staticlib is.)
cargo build -q -p cellmap-ffi --target "$target" --release 2>&1 | grep -v -e 'crate type `cdylib`' -e '^$' || true
test -f "${CARGO_TARGET_DIR:-target}/$target/release/libcellmap_ffi.a"
echo "no-alloc: libcellmap_ffi.a (the C ABI) links for $target without an allocator"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch" "$scratch-target"' EXIT
for crate in core sim ffi; do
  copy="$scratch/$crate"
  mkdir -p "$copy"
  git ls-files -z Cargo.toml Cargo.lock core sim ffi tests/nostd-check | xargs -0 cp --parents -t "$copy"
  # A workspace of just the core, the simulator, the C ABI and the link check, with the copy's $crate using alloc.
  sed -i 's/^members = .*/members = ["core", "sim", "ffi", "tests\/nostd-check"]/; /^default-members/d' "$copy/Cargo.toml"
  cat >>"$copy/$crate/src/lib.rs" <<'RS'
extern crate alloc;
/// Deliberate heap use (the check must reject it).
pub fn boxed_for_the_no_alloc_proof() -> alloc::boxed::Box<u8> {
    alloc::boxed::Box::new(1)
}
RS
  log="$copy/build.log"
  # One target folder for all copies: only the crate with alloc differs between them.
  # The core and the simulator are linked by nostd-check, the C ABI is its own staticlib.
  package=nostd-check
  [ "$crate" = ffi ] && package=cellmap-ffi
  if (cd "$copy" && CARGO_TARGET_DIR="$scratch-target" cargo build -q -p "$package" --target "$target" --release) >"$log" 2>&1; then
    echo "no-alloc: the link check PASSED with alloc in $crate: it proves nothing" >&2
    exit 1
  fi
  if ! grep -q "no global memory allocator" "$log"; then
    echo "no-alloc: the build with alloc in $crate failed for another reason:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "no-alloc: with alloc in $crate the same link fails (no global memory allocator found), as it must"
done
