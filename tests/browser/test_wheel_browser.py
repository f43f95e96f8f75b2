"""The wheel as a user installs it: ``pip install authgate`` with no Rust
toolchain, then the demo app started with that installation's ``streamlit``
logs jsmith in, in headless Chromium.

``AUTHGATE_WHEEL_VENV`` names the virtualenv ``scripts/wheel.sh`` made (the
full test command makes it before pytest); without it the fixture runs
``scripts/wheel.sh`` itself, so the test never passes without a wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.test_login_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if path := os.environ.get("AUTHGATE_WHEEL_VENV"):
        return Path(path)
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    subprocess.run([str(ROOT / "scripts" / "wheel.sh"), str(venv)], check=True)
    return venv


def clean_env(venv: Path) -> dict[str, str]:
    """What a user's shell would have: that venv and the system on PATH, no
    Rust toolchain, nothing pointing into this repository."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {
        **keep,
        "PATH": f"{venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    }


@pytest.fixture
def wheel_demo(wheel_venv: Path, tmp_path: Path) -> Iterator[Server]:
    config = tmp_path / "config.yaml"
    shutil.copy(ROOT / "examples" / "config.yaml", config)
    server = Server(
        ROOT / "examples" / "app.py",
        config,
        streamlit=[str(wheel_venv / "bin" / "streamlit")],
        base_env=clean_env(wheel_venv),
        cwd=tmp_path,
        AUTHGATE_DEMO_CAPTCHA="0",
    )
    yield server
    server.stop()


def test_the_wheel_installs_without_rust(wheel_venv: Path, tmp_path: Path) -> None:
    env = clean_env(wheel_venv)
    assert shutil.which("cargo", path=env["PATH"]) is None
    assert shutil.which("rustc", path=env["PATH"]) is None
    python = str(wheel_venv / "bin" / "python")
    where = subprocess.run(
        [python, "-c", "import authgate, authgate._core; print(authgate._core.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The installed extension, not the source tree's build.
    assert Path(where).is_relative_to(wheel_venv), where
    assert ".abi3." in Path(where).name, where
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert "authgate" in installed and "streamlit" in installed
    assert not installed & {"maturin", "pytest", "streamlit-authenticator"}, installed


def test_the_demo_logs_in_from_the_wheel(
    wheel_demo: Server, browser_context: BrowserContext
) -> None:
    page = browser_context.new_page()
    page.goto(wheel_demo.url)
    log_in(page, "jsmith", "abc")
    expect(page.get_by_text("Welcome John Smith")).to_be_visible()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
