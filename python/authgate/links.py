"""The address mailed links point at.

A reset link carries its token in the query string (``?authgate_reset=``)
of the app's own page, a verification link likewise (``?authgate_verify=``).
Which page that is, is the core's rule (``authgate::link::address``): the
address the app configured, never the one the request reports, or reset
tokens could be mailed to the asker's server; only an app on this machine
may leave it out. This module gathers where the app may configure it, in
order: ``Authenticate(app_url=...)``, the ``AUTHGATE_APP_URL`` environment
variable, ``st.secrets["authgate"]["app_url"]``.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from . import _core
from .exceptions import CloudError
from .mailing import app_secret

RESET_PARAM = "authgate_reset"
VERIFY_PARAM = "authgate_verify"


def app_url(configured: Any) -> str:
    """The page address links point at; ``CloudError`` if it is not set."""
    url = configured or os.environ.get("AUTHGATE_APP_URL") or app_secret("app_url")
    if url and not isinstance(url, str):
        raise CloudError("app_url must be a string such as 'https://app.example.com/'")
    reported = st.context.url
    try:
        return _core.link_page_address(url or None, reported if isinstance(reported, str) else None)
    except _core.InvalidInput as e:
        raise CloudError(str(e)) from None


def with_token(url: str, param: str, token: str) -> str:
    """``url`` with ``token`` as ``param`` in its query string."""
    return _core.link_with_token(url, param, token)
