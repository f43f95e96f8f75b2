"""The core's mailer against a real SMTP server on loopback: STARTTLS, TLS,
plain (loopback only), AUTH, and every way sending can fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from authgate import _core
from tests.smtp_server import SmtpServer, body, make_certificates

USERS = {"app": "smtp-Pa55word"}


@pytest.fixture
def starttls(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, "starttls", users=USERS)
    yield server
    server.stop()


def test_starttls_with_auth_delivers_both_bodies(starttls: SmtpServer) -> None:
    mailer = _core.Mailer(starttls.url("app", USERS["app"], reply_to="help@example.com"))
    mailer.send(
        _core.Mailer.recipient("Ann Lee", "ann@example.com"),
        "Your code",
        "Your code is 123456",
        "<p>Your code is <b>123456</b></p>",
    )
    [message] = starttls.wait_for(1)
    assert message["From"] == "App <app@example.com>"
    assert message["To"] == "Ann Lee <ann@example.com>"
    assert message["Reply-To"] == "help@example.com"
    assert message["Subject"] == "Your code"
    assert body(message).strip() == "Your code is 123456"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<b>123456</b>" in html.get_content()
    assert starttls.handler.envelopes == [("app@example.com", ["ann@example.com"])]


def test_implicit_tls_and_a_dict_of_settings(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, "tls", users=USERS)
    try:
        mailer = _core.Mailer(
            {
                "host": "127.0.0.1",
                "port": server.port,
                "security": "tls",
                "username": "app",
                "password": USERS["app"],
                "from": "app@example.com",
                "ca_file": str(server.ca_file),
            }
        )
        mailer.send("ann@example.com", "Hello", "Hi Ann")
        [message] = server.wait_for(1)
        assert body(message).strip() == "Hi Ann"
    finally:
        server.stop()


def test_plain_text_only_to_this_machine(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, "none")
    try:
        _core.Mailer(server.url()).send("ann@example.com", "Hello", "Hi")
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()
    with pytest.raises(_core.EmailError, match="plain text"):
        _core.Mailer("smtp://mail.example.com?from=a@example.com&security=none")


def test_a_wrong_smtp_password_is_named_and_not_shown(starttls: SmtpServer) -> None:
    mailer = _core.Mailer(starttls.url("app", "wrong-Secret-9"))
    with pytest.raises(_core.EmailError) as e:
        mailer.send("ann@example.com", "Hello", "Hi")
    assert "refused the SMTP username or password" in str(e.value)
    assert "wrong-Secret-9" not in str(e.value) and "wrong-Secret-9" not in repr(mailer)
    assert starttls.messages == []


def test_a_certificate_of_an_unknown_ca_is_refused(starttls: SmtpServer, tmp_path: Path) -> None:
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_ca, _, _ = make_certificates(other_dir)
    for url in (
        starttls.url("app", USERS["app"], ca_file=str(other_ca)),
        # The Mozilla roots do not know the test CA either.
        starttls.url("app", USERS["app"], trust_ca=False),
    ):
        with pytest.raises(_core.EmailError, match="TLS with the mail server failed"):
            _core.Mailer(url).send("ann@example.com", "Hello", "Hi")
    assert starttls.messages == []


def test_a_server_without_starttls_is_refused_not_used_in_plain_text(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, "none")
    try:
        url = f"smtp://127.0.0.1:{server.port}?from=app@example.com&ca_file={server.ca_file}"
        with pytest.raises(_core.EmailError, match="TLS"):
            _core.Mailer(url).send("ann@example.com", "Hello", "Hi")
        assert server.messages == []
    finally:
        server.stop()


def test_a_server_that_is_down_is_a_clear_error(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path, "none")
    url = server.url(timeout="3")
    server.stop()
    with pytest.raises(_core.EmailError, match="could not be reached"):
        _core.Mailer(url).send("ann@example.com", "Hello", "Hi")


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("ann@example.com\r\nBcc: eve@evil.example", "Hello"),
        ("ann@example.com", "Hello\r\nBcc: eve@evil.example"),
        (_core.Mailer.recipient("Ann\r\nBcc: eve@evil.example", "ann@example.com"), "Hello"),
        ("not an address", "Hello"),
    ],
)
def test_headers_cannot_be_injected(starttls: SmtpServer, to: str, subject: str) -> None:
    mailer = _core.Mailer(starttls.url("app", USERS["app"]))
    if "Ann" in to:
        # The name lost its line break: one recipient, no Bcc.
        mailer.send(to, subject, "Hi")
        [message] = starttls.wait_for(1)
        assert message["Bcc"] is None
        assert starttls.handler.envelopes[0][1] == ["ann@example.com"]
        return
    with pytest.raises(_core.EmailError):
        mailer.send(to, subject, "Hi")
    assert starttls.messages == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("smtp://mail.example.com", "sender"),
        ("ftp://mail.example.com?from=a@example.com", "smtp://"),
        ({"port": 587, "from": "a@example.com"}, "smtp.host"),
        ({"host": "mail.example.com", "from": "a@example.com", "sekurity": "tls"}, "unknown"),
        ("smtp://u:Pw-9secret@mail.example.com?from=a@example.com&security=bogus", "security"),
    ],
)
def test_bad_settings_are_named(config: object, message: str) -> None:
    with pytest.raises(_core.EmailError, match=message) as e:
        _core.Mailer(config)  # type: ignore[arg-type]
    assert "Pw-9secret" not in str(e.value)


def test_a_setting_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _core.Mailer(42)  # type: ignore[arg-type]
