#!/usr/bin/env bash
# THE MAIN COMMAND: installs whatever is missing (idempotent), builds the wasm
# package into web/pkg and serves the viewer on http://127.0.0.1:PORT.
# Usage: scripts/serve.sh [PORT]   (default 8000; env PORT also works)
# Set CELLMAP_SKIP_BUILD=1 to serve an existing web/pkg as is.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-${PORT:-8000}}

if [ "${CELLMAP_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup-tools.sh --no-browser
  bash scripts/build-wasm.sh web/pkg
fi
echo "serving web/ on http://127.0.0.1:$port/ (Ctrl-C stops)"
# python's mimetypes serves .wasm as application/wasm, as streaming compile needs.
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory web
