#!/usr/bin/env bash
# What `pip install authgate` gives a user: builds the abi3 wheel with maturin
# (release; reuses target/ from the set-up build), creates a clean virtualenv
# and installs the wheel and its runtime dependencies into it — binary
# packages only, with no cargo or rustc on PATH, and nothing else (no maturin,
# no test packages). streamlit is held to the version in requirements-dev.txt.
#
#   scripts/wheel.sh [VENV_DIR]    (default: target/wheel-venv, replaced)
#
# tests/browser/test_wheel_browser.py starts the demo with that venv's
# streamlit and logs in (scripts/test.sh passes it AUTHGATE_WHEEL_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${AUTHGATE_VENV:-$PWD/.venv}"
OUT="${1:-$PWD/target/wheel-venv}"
WHEELS="$PWD/target/wheels"

rm -f "$WHEELS"/authgate-*.whl
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" \
    "$VENV/bin/maturin" build --release --quiet --interpreter "$VENV/bin/python" --out "$WHEELS"
shopt -s nullglob
wheels=("$WHEELS"/authgate-*-abi3-*.whl)
if [ "${#wheels[@]}" != 1 ]; then
    echo "wheel: expected one abi3 wheel in $WHEELS, found: $(ls "$WHEELS")" >&2
    exit 1
fi

# A PATH with the new venv and the system's directories only: no ~/.cargo/bin.
CLEAN_PATH="$OUT/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
for tool in cargo rustc; do
    if found=$(PATH="$CLEAN_PATH" command -v "$tool"); then
        echo "wheel: $tool is on the clean PATH ($found)" >&2
        exit 1
    fi
done
rm -rf "$OUT"
python3 -m venv "$OUT"
grep '^streamlit==' requirements-dev.txt >"$OUT/constraints.txt"
env -u VIRTUAL_ENV -u PYTHONPATH PATH="$CLEAN_PATH" \
    "$OUT/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: --constraint "$OUT/constraints.txt" "${wheels[0]}"
echo "wheel: ${wheels[0]##*/} installed in $OUT"
