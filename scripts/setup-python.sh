#!/usr/bin/env bash
# Creates .venv with the pinned Python peers (numpy, scipy, matplotlib, OpenCV, anndata)
# used by the fixture generators, the npz and AnnData round-trip tests and bench/compare.py.
# Idempotent: does nothing when .venv already satisfies tests/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
req=tests/requirements.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then   # Debian's python3 needs python3-venv
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
