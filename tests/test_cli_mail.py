"""``authgate settings smtp`` and ``authgate mail test`` against a real SMTP
server on loopback, and ``Authenticator.smtp_settings()`` reading what the
CLI stored.

The CLI is the binary cargo builds (``cargo build --release -p
authgate-cli``, a no-op after ``cargo test --release``); set AUTHGATE_CLI to
the path of another build.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from authgate import _core
from tests.conftest import make_config, write_yaml
from tests.smtp_server import SmtpServer, body

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "smtp-Pa55-s3cret"
USERS = {"app": PASSWORD}


@pytest.fixture(scope="session")
def cli() -> Path:
    """The ``authgate`` binary, built if needed."""
    if path := os.environ.get("AUTHGATE_CLI"):
        return Path(path)
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.fail("cargo is not on PATH: install Rust, or set AUTHGATE_CLI to the binary")
    out = subprocess.run(
        [cargo, "build", "--release", "-p", "authgate-cli", "--message-format=json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    for line in out.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if Path(message["executable"]).name == "authgate":
                return Path(message["executable"])
    pytest.fail(f"cargo built no authgate binary:\n{out.stdout}")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


def run(cli: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    """``authgate args…`` without the AUTHGATE_* variables of the test's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    out = subprocess.run(
        [str(cli), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )
    return Run(out.returncode, out.stdout, out.stderr)


@pytest.fixture
def starttls(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, "starttls", users=USERS)
    yield server
    server.stop()


@pytest.fixture
def database(cli: Path, tmp_path: Path) -> str:
    """A SQLite store with two users, made by ``authgate migrate``."""
    config = write_yaml(tmp_path / "seed.yaml", make_config())
    url = f"sqlite://{tmp_path / 'auth.db'}"
    out = run(cli, "migrate", "--from", str(config), "--to", url)
    assert out.code == 0, out
    return url


def set_smtp(cli: Path, store: str, server: SmtpServer, password: str = PASSWORD) -> Run:
    return run(
        cli,
        "settings", "smtp", "--store", store,
        "--host", "127.0.0.1", "--port", str(server.port), "--security", "starttls",
        "--username", "app", "--from", "App <app@example.com>",
        "--ca-file", str(server.ca_file), "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip


def authenticator(store: _core.Store) -> _core.Authenticator:
    return _core.Authenticator(store, secrets.token_urlsafe(32))


def test_mail_test_sends_with_the_settings_the_cli_stored(
    cli: Path, database: str, starttls: SmtpServer
) -> None:
    out = set_smtp(cli, database, starttls)
    assert out.code == 0, out
    assert PASSWORD not in out.all
    out = run(cli, "mail", "test", "--store", database, "--to", "ann@example.com")
    assert out.code == 0, out
    assert out.stdout.startswith(
        f"sent a test message to ann@example.com through 127.0.0.1:{starttls.port} "
        f"(starttls) with the SMTP settings of {database}"
    ), out.stdout
    assert PASSWORD not in out.all
    [message] = starttls.wait_for(1)
    assert message["Subject"] == "authgate test message"
    assert message["From"] == "App <app@example.com>"
    assert message["To"] == "ann@example.com"
    assert "authgate mail test" in body(message)
    assert starttls.handler.envelopes == [("app@example.com", ["ann@example.com"])]

    # The app reads the same settings, password included, and can send with them.
    settings = authenticator(_core.Store.open_url(database)).smtp_settings()
    assert settings == {
        "host": "127.0.0.1",
        "port": starttls.port,
        "security": "starttls",
        "username": "app",
        "from": "App <app@example.com>",
        "ca_file": str(starttls.ca_file),
        "password": PASSWORD,
    }
    _core.Mailer(settings).send("bob@example.com", "From the app", "Hi Bob")
    assert len(starttls.wait_for(2)) == 2

    # Cleared: the app has none, and mail test says how to set them.
    assert run(cli, "settings", "smtp", "--store", database, "--clear").code == 0
    assert authenticator(_core.Store.open_url(database)).smtp_settings() is None
    out = run(cli, "mail", "test", "--store", database, "--to", "ann@example.com")
    assert out.code == 1, out
    assert "has no SMTP settings and AUTHGATE_SMTP_URL is not set" in out.stderr
    assert len(starttls.messages) == 2


def test_a_config_yaml_smtp_section_and_the_environment(
    cli: Path, tmp_path: Path, starttls: SmtpServer
) -> None:
    plain = write_yaml(tmp_path / "plain.yaml", make_config())
    out = run(cli, "mail", "test", "--store", str(plain), "--to", "ann@example.com")
    assert out.code == 1, out
    # AUTHGATE_SMTP_URL when the store names no server, as the apps do.
    url = starttls.url("app", PASSWORD)
    out = run(
        cli, "mail", "test", "--store", str(plain), "--to", "ann@example.com",
        env={"AUTHGATE_SMTP_URL": url},
    )  # fmt: skip
    assert out.code == 0, out
    assert "with AUTHGATE_SMTP_URL" in out.stdout
    assert PASSWORD not in out.all
    assert authenticator(_core.Store.open(plain)).smtp_settings() is None

    section = {
        "host": "127.0.0.1",
        "port": starttls.port,
        "username": "app",
        "password": PASSWORD,
        "from": "Config <config@example.com>",
        "ca_file": str(starttls.ca_file),
    }
    config = write_yaml(tmp_path / "config.yaml", {**make_config(), "smtp": section})
    # The section wins over the environment (which names a dead server).
    out = run(
        cli, "mail", "test", "--store", str(config), "--to", "ann@example.com",
        env={"AUTHGATE_SMTP_URL": f"smtp://127.0.0.1:{free_port()}?from=x@example.com"},
    )  # fmt: skip
    assert out.code == 0, out
    assert f"with the SMTP settings of {config}" in out.stdout
    messages = starttls.wait_for(2)
    assert [m["From"] for m in messages] == ["App <app@example.com>", "Config <config@example.com>"]
    assert authenticator(_core.Store.open(config)).smtp_settings() == section
    dict_mode = _core.Store.in_memory(make_config()["credentials"])
    assert authenticator(dict_mode).smtp_settings() is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failures_are_the_mailers_with_their_exit_codes(
    cli: Path, database: str, starttls: SmtpServer
) -> None:
    assert set_smtp(cli, database, starttls, password="wrong-Pa55-s3cret").code == 0
    out = run(cli, "mail", "test", "--store", database, "--to", "ann@example.com")
    assert out.code == 1, out
    assert "refused the SMTP username or password" in out.stderr
    assert "wrong-Pa55-s3cret" not in out.all

    assert set_smtp(cli, database, starttls).code == 0
    out = run(cli, "mail", "test", "--store", database, "--to", "not an address")
    assert out.code == 1, out
    assert "is not an email address" in out.stderr

    # A server that is not there: an I/O failure, exit 3.
    out = run(
        cli,
        "settings", "smtp", "--store", database, "--host", "127.0.0.1",
        "--port", str(free_port()), "--security", "none", "--from", "app@example.com",
        "--timeout", "5",
    )  # fmt: skip
    assert out.code == 0, out
    out = run(cli, "mail", "test", "--store", database, "--to", "ann@example.com")
    assert out.code == 3, out
    assert "could not be reached" in out.stderr

    # A certificate no trusted CA signed.
    untrusted = {"AUTHGATE_SMTP_URL": starttls.url("app", PASSWORD, trust_ca=False)}
    assert run(cli, "settings", "smtp", "--store", database, "--clear").code == 0
    out = run(cli, "mail", "test", "--store", database, "--to", "ann@example.com", env=untrusted)
    assert out.code == 1, out
    assert "TLS with the mail server failed" in out.stderr
    assert PASSWORD not in out.all
    assert starttls.messages == []


def test_a_widget_mails_through_the_settings_the_cli_stored(
    cli: Path, database: str, starttls: SmtpServer
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests import apps

    assert set_smtp(cli, database, starttls).code == 0
    at = AppTest.from_function(
        apps.widgets_app,
        args=(database, {}, [("forgot_username", {"send_email": True})]),
        default_timeout=30,
    ).run()
    [email] = [t for t in at.text_input if t.label == "Email"]
    email.input("jsmith@gmail.com")
    next(b for b in at.button if b.label == "Submit").click()
    at = at.run()
    assert not at.error, [e.value for e in at.error]
    [message] = starttls.wait_for(1)
    assert message["To"] == "John Smith <jsmith@gmail.com>"
    assert "    jsmith\n" in body(message)
