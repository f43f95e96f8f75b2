#!/usr/bin/env bash
# Runs every check: formatting, lints (ruff, clippy, mypy --strict of the
# package and of tests/typing/usage.py, stubtest of the extension's stub),
# Rust tests, the wheel (built, installed without Rust, the demo logged in to
# from it), Python tests (widgets, interop with streamlit-authenticator 0.4.2,
# headless-Chromium browser tests).
#
# scripts/test.sh --quick is the fast tier for the edit-test loop (a few
# minutes once built): formatting, ruff and mypy, the Rust unit tests in a
# debug build, and pytest without the browser and PostgreSQL tests. It skips
# clippy, stubtest, the Rust integration tests (tests/it, yaml_pyyaml),
# doctests, the wheel, Chromium and PostgreSQL, so it does not need
# `--browser` set-up. Anything after the flag goes to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${AUTHGATE_VENV:-$PWD/.venv}"
# Each step's heading says when it started, in seconds since the start, so a
# log shows which step the 20-minute CI budget goes to.
step() { echo "== $1 (at ${SECONDS}s)"; }

if [ "${1:-}" = "--quick" ]; then
    shift
    scripts/setup.sh
    export PYO3_PYTHON="$VENV/bin/python"
    step "cargo fmt"; cargo fmt --all -- --check
    step "ruff"; "$VENV/bin/ruff" check python tests examples bench
    "$VENV/bin/ruff" format --check python tests examples bench
    step "mypy"; "$VENV/bin/mypy" --strict python/authgate
    "$VENV/bin/mypy" --strict tests/typing/usage.py
    step "cargo test (unit tests, debug)"; cargo test --workspace --lib --bins --quiet
    # The CLI tests in pytest run this debug binary instead of a release build.
    step "cargo build (the CLI, debug)"; cargo build --workspace --bins --quiet
    step "pytest (not browser, not postgres)"
    AUTHGATE_CLI="$PWD/target/debug/authgate" \
        "$VENV/bin/python" -m pytest -q -m "not browser and not postgres" tests "$@"
    exit 0
fi

scripts/setup.sh --browser
export PYO3_PYTHON="$VENV/bin/python"

step "cargo fmt"; cargo fmt --all -- --check
step "cargo clippy"; cargo clippy --workspace --all-targets --quiet -- -D warnings
# The core's cargo features: none, and each alone, must build without warnings.
step "cargo features"
cargo clippy -p authgate --no-default-features --quiet -- -D warnings
for feature in sqlite postgres oidc captcha mail; do
    cargo clippy -p authgate --no-default-features --features "$feature" --quiet -- -D warnings
done
step "ruff"; "$VENV/bin/ruff" check python tests examples bench
"$VENV/bin/ruff" format --check python tests examples bench
step "mypy"; "$VENV/bin/mypy" --strict python/authgate
# The public API as an app uses it (assert_type on what each call returns).
"$VENV/bin/mypy" --strict tests/typing/usage.py
"$VENV/bin/python" -m mypy.stubtest authgate._core
step "cargo test"; cargo test --workspace --release --quiet
# The wheel a user installs, in a clean venv without Rust; the browser test
# test_wheel_browser.py logs in to the demo started from it.
step "wheel"; scripts/wheel.sh "$PWD/target/wheel-venv"
step "pytest"
AUTHGATE_WHEEL_VENV="$PWD/target/wheel-venv" "$VENV/bin/python" -m pytest -q --durations=10 tests "$@"
step "done"
