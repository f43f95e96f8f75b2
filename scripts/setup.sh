#!/usr/bin/env bash
# Prepares a fresh Debian machine with Rust and Python 3.11: a virtualenv in
# .venv with the pinned Python packages, OpenSSL's headers (pkg-config,
# libssl-dev) for the build, the authgate extension built in release mode,
# and (with --browser) Debian's chromium and PostgreSQL server binaries for
# the full test suite.
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

# Passkeys (webauthn-rs) link OpenSSL: building needs its headers and pkg-config.
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openssl; then
    echo "setup: installing Debian packages: pkg-config libssl-dev"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q pkg-config libssl-dev
fi

echo "setup: building the authgate extension (release)"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop --release -q

# The full test suite also needs Debian's chromium (browser tests) and the
# PostgreSQL server binaries (the tests start their own server).
if [ "$want_browser" = 1 ]; then
    packages=""
    [ -x /usr/bin/chromium ] || packages="$packages chromium"
    if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        packages="$packages postgresql"
    fi
    id -u postgres >/dev/null 2>&1 || packages="$packages postgresql"
    if [ -n "$packages" ]; then
        echo "setup: installing Debian packages:$packages"
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO="sudo"
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $packages
    fi
fi
