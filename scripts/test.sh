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
# The core's cargo features: none, and each alone, must build without warnings.
echo "== cargo features"
cargo clippy -p authgate --no-default-features --quiet -- -D warnings
for feature in sqlite postgres oidc captcha mail; do
    cargo clippy -p authgate --no-default-features --features "$feature" --quiet -- -D warnings
done
echo "== ruff"; "$VENV/bin/ruff" check python tests examples bench
"$VENV/bin/ruff" format --check python tests examples bench
echo "== cargo test"; cargo test --workspace --release --quiet
echo "== pytest"; "$VENV/bin/python" -m pytest -q tests "$@"
