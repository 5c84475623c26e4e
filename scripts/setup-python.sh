#!/usr/bin/env bash
# Creates .venv with the pinned Python peers (numpy, scipy, matplotlib, OpenCV, anndata)
# used by the fixture generators, the npz and AnnData round-trip tests and bench/compare.py,
# and .venv-spatialdata with spatialdata (tests/requirements-spatialdata.txt; its own venv, as its
# pins conflict with the first), which reads the stores of `cellmap publish`.
# Idempotent: does nothing for a venv that already satisfies its requirements file.
set -euo pipefail
cd "$(dirname "$0")/.."
# stamped DIR REQUIREMENTS: DIR is a venv installed from REQUIREMENTS as they are now.
stamped() {
  [ -x "$1/bin/python" ] && [ -f "$1/.requirements.sha256" ] &&
    [ "$(cat "$1/.requirements.sha256")" = "$(sha256sum "$2" | cut -d' ' -f1)" ]
}
if stamped .venv tests/requirements.txt && stamped .venv-spatialdata tests/requirements-spatialdata.txt; then
  exit 0
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then   # Debian's python3 needs python3-venv
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq python3-venv >/dev/null
fi
# venv DIR REQUIREMENTS: creates or updates DIR from REQUIREMENTS unless its stamp matches.
venv() {
  stamped "$1" "$2" && return 0
  python3 -m venv "$1"
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check -r "$2"
  sha256sum "$2" | cut -d' ' -f1 > "$1/.requirements.sha256"
}
venv .venv tests/requirements.txt
venv .venv-spatialdata tests/requirements-spatialdata.txt
