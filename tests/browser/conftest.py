"""A real Streamlit server and a real headless Chromium (Debian's), per test."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app``; ``tls=(cert, key)`` serves it over https.

    ``streamlit`` is the command line of Streamlit (this interpreter's by
    default); ``base_env`` replaces ``os.environ`` and ``cwd`` the working
    directory, for a server run from another installation.
    """

    def __init__(
        self,
        app: Path,
        config: Path | str,
        tls: tuple[Path, Path] | None = None,
        *,
        streamlit: list[str] | None = None,
        base_env: dict[str, str] | None = None,
        cwd: Path | None = None,
        **env_vars: str,
    ) -> None:
        self.port = _free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/"
        base = os.environ if base_env is None else base_env
        env = dict(base, AUTHGATE_CONFIG=str(config), **env_vars)
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                *(streamlit or [sys.executable, "-m", "streamlit"]), "run", str(app),
                "--server.port", str(self.port),
                "--server.address", "127.0.0.1",
                "--server.headless", "true",
                "--browser.gatherUsageStats", "false",
                *(["--server.sslCertFile", str(tls[0]), "--server.sslKeyFile", str(tls[1])]
                  if tls else []),
            ],
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited:\n{self.output()}")
            try:
                # A test certificate: no verification.
                context = ssl._create_unverified_context() if tls else None
                urllib.request.urlopen(self.url + "_stcore/health", timeout=2, context=context)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def demo_server(config_path: Path) -> Iterator[Server]:
    server = Server(ROOT / "examples" / "app.py", config_path, AUTHGATE_DEMO_CAPTCHA="0")
    yield server
    server.stop()


@pytest.fixture
def browser_context(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup.sh --browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        ctx.set_default_timeout(20_000)
        yield ctx
        ctx.close()
