#!/usr/bin/env bash
# Runs every check: formatting, lints, Rust tests, Python tests (widgets,
# interop with streamlit-authenticator 0.4.2, headless-Chromium browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${AUTHGATE_VENV:-$PWD/.venv}"

scripts/setup.sh --browser
export PYO3_PYTHON="$VENV/bin/python"

echo "== cargo fmt"; cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== ruff"; "$VENV/bin/ruff" check python tests examples bench
"$VENV/bin/ruff" format --check python tests examples bench
echo "== cargo test"; cargo test --workspace --release --quiet
echo "== pytest"; "$VENV/bin/python" -m pytest -q tests "$@"
