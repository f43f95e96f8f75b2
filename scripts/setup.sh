#!/usr/bin/env bash
# Prepares a fresh Debian machine with Rust and Python 3.11: a virtualenv in
# .venv with the pinned Python packages, the authgate extension built in
# release mode, and (with --browser) Debian's chromium for the browser tests.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${AUTHGATE_VENV:-$PWD/.venv}"
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    python3 -m venv "$VENV"
fi
stamp="$VENV/.authgate-requirements"
if ! cmp -s requirements-dev.txt "$stamp"; then
    echo "setup: installing Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
    cp requirements-dev.txt "$stamp"
fi

echo "setup: building the authgate extension (release)"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop --release -q

if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
    echo "setup: installing Debian's chromium"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
fi
