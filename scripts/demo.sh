#!/usr/bin/env bash
# Starts the demo app (examples/app.py) on a working copy of
# examples/config.yaml in .demo/, so the committed example stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${AUTHGATE_VENV:-$PWD/.venv}"

scripts/setup.sh
mkdir -p .demo
[ -f .demo/config.yaml ] || cp examples/config.yaml .demo/config.yaml
echo "demo: log in as jsmith / abc or rbriggs / def"
AUTHGATE_CONFIG="$PWD/.demo/config.yaml" exec "$VENV/bin/python" -m streamlit run examples/app.py \
    --server.headless true --browser.gatherUsageStats false "$@"
