#!/usr/bin/env bash
# Builds the Python package (python/: PyO3 + maturin, release, abi3 wheel for CPython >= 3.11)
# into target/wheels and installs it into .venv (scripts/setup-python.sh first). Cargo's
# incremental build makes a rerun with nothing changed take seconds.
#
#   bash scripts/build-python.sh            # build + install into .venv
#   bash scripts/build-python.sh --wheel    # build the wheel only; prints its path
#
# Without this script: `pip install ./python` (pip fetches the pinned maturin from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/maturin ] || bash scripts/setup-python.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/wheels"
rm -f "$out"/cellmap-*.whl
PYO3_PYTHON="$PWD/.venv/bin/python" .venv/bin/maturin build --quiet --release \
  --manifest-path python/Cargo.toml --interpreter .venv/bin/python --out "$out" >&2
wheel=$(ls "$out"/cellmap-*.whl)
if [ "${1:-}" = "--wheel" ]; then
  echo "$wheel"
  exit 0
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"
echo "installed $wheel into .venv" >&2
