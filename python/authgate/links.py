"""The address mailed links point at.

A reset link carries its token in the query string (``?authgate_reset=``)
of the app's own page, a verification link likewise (``?authgate_verify=``).
That page's address must come from the app, never from the request: the
address a browser reports (``st.context.url``) and the ``Host`` header are
whatever the asker makes them, and a link built on them would mail the
victim's token to the asker's server ("password reset poisoning"). So the
address is, in order: ``Authenticate(app_url=...)``, the
``AUTHGATE_APP_URL`` environment variable,
``st.secrets["authgate"]["app_url"]``; only an app on this machine
(``localhost``, loopback) may leave it out, for development.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from .exceptions import CloudError
from .mailing import app_secret

RESET_PARAM = "authgate_reset"
VERIFY_PARAM = "authgate_verify"

NO_APP_URL = (
    "reset_link needs the address of the app's page to put in the mail: pass "
    "Authenticate(..., app_url='https://app.example.com/'), or set AUTHGATE_APP_URL. "
    "The address the browser reports is not used: whoever asks for a reset could make "
    "it point anywhere."
)


def app_url(configured: Any) -> str:
    """The page address links point at; ``CloudError`` if it is not set."""
    url = configured or os.environ.get("AUTHGATE_APP_URL") or app_secret("app_url")
    if url:
        if not isinstance(url, str):
            raise CloudError("app_url must be a string such as 'https://app.example.com/'")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CloudError(f"app_url must be an http(s) address, not {url!r}")
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    reported = st.context.url
    if isinstance(reported, str):
        parts = urlsplit(reported)
        if parts.scheme in ("http", "https") and _is_local(parts.hostname):
            return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    raise CloudError(NO_APP_URL)


def with_token(url: str, param: str, token: str) -> str:
    """``url`` with ``token`` as ``param`` in its query string."""
    return f"{url}?{urlencode({param: token})}"


def _is_local(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
