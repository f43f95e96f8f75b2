"""Email for the widgets: which SMTP server, what the messages say, and
delivery off the script thread.

The server comes from, in order: ``Authenticate(smtp=...)`` (an
``smtp[s]://`` URL or a dict), the store's settings (the config file's
``smtp:`` section, or a database's, set by ``authgate settings smtp``), the
``AUTHGATE_SMTP_URL`` environment variable, or
``st.secrets["authgate"]["smtp_url"]``.

Messages are sent by a small pool of threads, never on the script thread:
a rerun does not wait for the mail server, and a form answers as fast for
a name nobody has (nothing to send) as for one that exists. A delivery
that fails is reported by the widget that started it, at its next rerun.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import streamlit as st

from authgate import _core
from authgate.exceptions import CloudError, EmailError
from authgate.types import SmtpSettings

_OUTBOX = ThreadPoolExecutor(max_workers=4, thread_name_prefix="authgate-mail")
_DELIVERY = "_authgate_mail_delivery"

NOT_CONFIGURED = (
    "No mail server is configured for send_email / two_factor_auth: add an smtp section "
    "to the config (host, port, security, username, password, from), pass "
    "Authenticate(smtp=...), or set AUTHGATE_SMTP_URL=smtp://user:password@host:587"
    "?from=app@example.com. streamlit-authenticator's api_key service is discontinued."
)


def resolve_mailer(smtp: Any, stored: SmtpSettings | None) -> _core.Mailer:
    """The mailer of the first configured source; ``CloudError`` if none.
    ``stored``: the store's own settings (a config's ``smtp:`` section, a
    database's ``authgate settings smtp``)."""
    config = smtp
    if config is None:
        config = stored
    if config is None:
        config = os.environ.get("AUTHGATE_SMTP_URL") or None
    if config is None:
        config = app_secret("smtp_url")
    if config is None:
        raise CloudError(NOT_CONFIGURED)
    if isinstance(config, Mapping):
        config = dict(config)
    try:
        return _core.Mailer(config)
    except _core.EmailError as e:
        raise EmailError(str(e)) from None
    except TypeError as e:
        raise EmailError(f"SMTP configuration: {e}") from None


def app_secret(name: str) -> str | None:
    """``st.secrets["authgate"][name]``, if the app set it."""
    try:
        section = st.secrets.get("authgate")
    except Exception:  # no secrets.toml: Streamlit raises its own error types
        return None
    if isinstance(section, Mapping):
        value = section.get(name)
        return value if isinstance(value, str) and value else None
    return None


_PARAGRAPH = '<p style="margin:0 0 16px">{}</p>'
_SECRET = (
    '<p style="margin:0 0 16px;font:600 20px/1.4 ui-monospace,monospace;letter-spacing:1px">{}</p>'
)


def _html(*parts: str) -> str:
    """A message body as HTML: paragraphs in a plain, readable frame."""
    body = "".join(parts)
    return (
        '<!doctype html><html><body style="margin:0;padding:24px;background:#f6f6f9">'
        '<div style="max-width:520px;margin:auto;padding:24px;background:#fff;'
        "border-radius:8px;font:15px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
        f'color:#262730">{body}</div></body></html>'
    )


_VALUES = ("app", "name", "username", "password", "link", "code", "minutes", "hours")


@dataclass(frozen=True)
class Templates:
    """The messages, naming the app. Override any of them with
    ``Authenticate(email_templates={...})``: for each kind ``new_password``,
    ``username``, ``reset_link``, ``verify_email`` and ``code`` a
    ``{kind}_subject``, a plain-text ``{kind}_text`` and an HTML
    ``{kind}_html`` (empty: text only). They are ``str.format`` templates of
    ``app``, ``name``, ``username``, ``password``, ``link``, ``code``,
    ``minutes`` and ``hours`` (each empty where it does not apply); in HTML
    the values are escaped."""

    new_password_subject: str = "{app}: your new password"
    new_password_text: str = (
        "Hello {name},\n\n"
        "A new password was requested for your account '{username}' at {app}:\n\n"
        "    {password}\n\n"
        "Log in with it within 24 hours; it then becomes your password. Until then\n"
        "your current password keeps working. If you did not ask for this, ignore\n"
        "this message.\n"
    )
    new_password_html: str = _html(
        _PARAGRAPH.format("Hello {name},"),
        _PARAGRAPH.format(
            "A new password was requested for your account <b>{username}</b> at {app}:"
        ),
        _SECRET.format("{password}"),
        _PARAGRAPH.format(
            "Log in with it within 24 hours; it then becomes your password. Until then "
            "your current password keeps working. If you did not ask for this, ignore "
            "this message."
        ),
    )
    username_subject: str = "{app}: your username"
    username_text: str = (
        "Hello {name},\n\n"
        "The username of your account at {app} is:\n\n"
        "    {username}\n\n"
        "If you did not ask for this, ignore this message.\n"
    )
    username_html: str = _html(
        _PARAGRAPH.format("Hello {name},"),
        _PARAGRAPH.format("The username of your account at {app} is:"),
        _SECRET.format("{username}"),
        _PARAGRAPH.format("If you did not ask for this, ignore this message."),
    )
    reset_link_subject: str = "{app}: reset your password"
    reset_link_text: str = (
        "Hello {name},\n\n"
        "A password reset was requested for your account '{username}' at {app}.\n"
        "Open this link to choose a new password:\n\n"
        "    {link}\n\n"
        "It works once, for {minutes} minutes. If you did not ask for it, ignore this\n"
        "message: your password stays as it is.\n"
    )
    reset_link_html: str = _html(
        _PARAGRAPH.format("Hello {name},"),
        _PARAGRAPH.format(
            "A password reset was requested for your account <b>{username}</b> at {app}."
        ),
        '<p style="margin:0 0 16px"><a href="{link}" style="display:inline-block;'
        "padding:10px 18px;background:#ff4b4b;color:#fff;border-radius:6px;"
        'text-decoration:none">Choose a new password</a></p>',
        _PARAGRAPH.format(
            "It works once, for {minutes} minutes. If you did not ask for it, ignore this "
            "message: your password stays as it is."
        ),
    )
    verify_email_subject: str = "{app}: confirm your email address"
    verify_email_text: str = (
        "Hello {name},\n\n"
        "Your account '{username}' at {app} is almost ready. Open this link to\n"
        "confirm that this address is yours; you can log in after that:\n\n"
        "    {link}\n\n"
        "It works for {hours} hours; a login with your password mails a new one.\n"
        "If you did not register, ignore this message.\n"
    )
    verify_email_html: str = _html(
        _PARAGRAPH.format("Hello {name},"),
        _PARAGRAPH.format(
            "Your account <b>{username}</b> at {app} is almost ready. Confirm that this "
            "address is yours; you can log in after that."
        ),
        '<p style="margin:0 0 16px"><a href="{link}" style="display:inline-block;'
        "padding:10px 18px;background:#ff4b4b;color:#fff;border-radius:6px;"
        'text-decoration:none">Confirm my email address</a></p>',
        _PARAGRAPH.format(
            "It works for {hours} hours; a login with your password mails a new one. "
            "If you did not register, ignore this message."
        ),
    )
    code_subject: str = "{app}: your verification code {code}"
    code_text: str = (
        "Hello {name},\n\n"
        "Your verification code for {app} is:\n\n"
        "    {code}\n\n"
        "It works for {minutes} minutes. If you did not ask for it, ignore this\n"
        "message: nothing happens without the code.\n"
    )
    code_html: str = _html(
        _PARAGRAPH.format("Hello {name},"),
        _PARAGRAPH.format("Your verification code for {app} is:"),
        _SECRET.format("{code}"),
        _PARAGRAPH.format(
            "It works for {minutes} minutes. If you did not ask for it, ignore this "
            "message: nothing happens without the code."
        ),
    )

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, str] | None) -> Templates:
        if not overrides:
            return cls()
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown email template(s): {', '.join(sorted(unknown))}")
        return cls(**{k: str(v) for k, v in overrides.items()})

    def render(self, kind: str, **given: str) -> tuple[str, str, str | None]:
        """The subject, text and HTML (``None`` if its template is empty) of
        the ``kind`` message."""
        values = dict.fromkeys(_VALUES, "") | given
        subject = getattr(self, f"{kind}_subject").format(**values)
        text = getattr(self, f"{kind}_text").format(**values)
        html_template = getattr(self, f"{kind}_html")
        escaped = {k: html.escape(v) for k, v in values.items()}
        return subject, text, html_template.format(**escaped) if html_template else None


def display_name(user: Mapping[str, object]) -> str:
    first = str(user.get("first_name") or "")
    last = str(user.get("last_name") or "")
    return f"{first} {last}".strip() or str(user.get("username") or "")


def send_later(
    widget_key: str,
    mailer: _core.Mailer,
    to: str,
    message: tuple[str, str, str | None],
    undo: Callable[[], Any] | None = None,
) -> None:
    """Queues a ``(subject, text, html)`` message; the widget ``widget_key``
    reports its failure. ``undo`` runs if the message cannot be sent (it
    takes back what the message announced)."""
    subject, text, html_body = message

    def deliver() -> None:
        try:
            mailer.send(to, subject, text, html_body)
        except Exception:
            if undo is not None:
                # The mail error is what the widget reports; an undo that
                # fails too leaves what it would undo to expire by itself.
                with contextlib.suppress(Exception):
                    undo()
            raise

    future = _OUTBOX.submit(deliver)
    st.session_state.setdefault(_DELIVERY, {})[widget_key] = future


def raise_failed_delivery(widget_key: str) -> None:
    """Raises ``EmailError`` once if this widget's last message failed."""
    deliveries: dict[str, Future[None]] = st.session_state.get(_DELIVERY) or {}
    future = deliveries.get(widget_key)
    if future is None or not future.done():
        return
    del deliveries[widget_key]
    error = future.exception()
    if error is not None:
        raise EmailError(f"The email could not be sent: {error}")
