"""The shipped demo app (examples/app.py) against the attacks a visitor can try."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import _state_rows, make_config, write_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = write_yaml(tmp_path / "config.yaml", make_config())
    monkeypatch.setenv("AUTHGATE_CONFIG", str(config))
    monkeypatch.setenv("AUTHGATE_DEMO_CAPTCHA", "0")
    return config


def run() -> AppTest:
    return AppTest.from_file(str(ROOT / "examples" / "app.py"), default_timeout=30).run()


def page_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "success", "info", "warning", "error", "title", "code", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def logs_in(username: str, password: str) -> bool:
    at = run()
    form = [t for t in at.text_input if t.label in ("Username", "Password")]
    form[0].input(username)
    form[1].input(password)
    next(b for b in at.button if b.label == "Login").click()
    return at.run().session_state["authentication_status"] is True


def submit_forgot(at: AppTest, label: str, value: str) -> AppTest:
    # The forgot-password form is the second with a "Username" field (after login).
    fields = [t for t in at.text_input if t.label == label]
    fields[-1].input(value)
    submits = [b for b in at.button if b.label == "Submit"]
    (submits[0] if label == "Username" else submits[-1]).click()
    return at.run()


def test_forgot_password_shows_no_password_that_logs_in(demo: Path) -> None:
    """The review's attack: type an admin's username into "Forgot password",
    read the new password off the page, log in with it. Every string the page
    shows is tried as the password."""
    before = page_text(run())
    at = submit_forgot(run(), "Username", "jsmith")
    assert not at.exception
    shown = page_text(at)
    assert "If that account exists" in shown
    new_words = set(re.findall(r"\S{8,}", shown)) - set(re.findall(r"\S{8,}", before))
    for word in new_words:
        assert not logs_in("jsmith", word), f"the page handed out a password: {word!r}"
    # The flow did run: jsmith has a pending password.
    assert _state_rows(demo, "SELECT username FROM pending_passwords") == [["jsmith"]]


def test_forgot_answers_known_and_unknown_alike(demo: Path) -> None:
    known = page_text(submit_forgot(run(), "Username", "jsmith"))
    unknown = page_text(submit_forgot(run(), "Username", "nobody-here"))
    assert known == unknown
    known = page_text(submit_forgot(run(), "Email", "jsmith@gmail.com"))
    unknown = page_text(submit_forgot(run(), "Email", "nobody@example.com"))
    assert known == unknown
    assert "jsmith" not in known.replace("jsmith@gmail.com", "")


def test_with_a_mail_server_the_demo_mails_a_reset_link_and_shows_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.smtp_server import SmtpServer, body

    directory = tmp_path / "smtp"
    directory.mkdir()
    server = SmtpServer(directory, "starttls", users={"app": "smtp-Pa55word"})
    try:
        monkeypatch.setenv("AUTHGATE_SMTP_URL", server.url("app", "smtp-Pa55word"))
        monkeypatch.setenv("AUTHGATE_APP_URL", "https://demo.example.com/")
        unknown = page_text(submit_forgot(run(), "Username", "nobody"))
        at = submit_forgot(run(), "Username", "jsmith")
        assert not at.exception
        assert page_text(at) == unknown.replace("nobody", "jsmith")
        [message] = server.wait_for(1)
        assert message["To"].endswith("<jsmith@gmail.com>")
        link = re.search(
            r"^    https://demo\.example\.com/\?authgate_reset=(\S+)$", body(message), re.M
        )
        assert link and link.group(1) not in page_text(at)
        opened = AppTest.from_file(str(ROOT / "examples" / "app.py"), default_timeout=30)
        opened.query_params["authgate_reset"] = link.group(1)
        opened = opened.run()
        for label in ("New password", "Repeat password"):
            # The register tab, first on the page, has a "Repeat password" too.
            [t for t in opened.text_input if t.label == label][-1].input("N3w!pass")
        next(b for b in opened.button if b.label == "Set password").click()
        opened = opened.run()
        assert "Your password was changed" in page_text(opened)
        assert logs_in("jsmith", "N3w!pass")
        assert not logs_in("jsmith", "abc")
    finally:
        server.stop()
