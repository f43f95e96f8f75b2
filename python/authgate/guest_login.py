"""``experimental_guest_login``: OpenID Connect guest login, as in streamlit-authenticator 0.4.2.

The button sends the browser to the provider's authorization URL in the same
tab; the provider sends it back to ``redirect_uri?code=…&state=…``, where this
widget finishes the login. Every rule — PKCE, ``state`` and ``nonce``, the ID
token's signature and claims, who may become a guest — is decided in the core
(``authgate._core.OidcClient``); this module renders the button and relays.

The login started by the button is kept server-side under its ``state`` and
tied to the browser by a random *binding*: kept in this session's state and in
a cookie named ``<cookie_name>_oidc``, because the redirect back opens a new
Streamlit session whose state is empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

import streamlit as st

from . import _core
from .cookie import CookieJar
from .exceptions import LoginError

_BINDING = "_authgate_oidc_binding"
_BINDING_WRITTEN = "_authgate_oidc_binding_written"
_PENDING = "_authgate_oidc_pending"
# A login link is replaced this many seconds before its state expires.
_RENEW_MARGIN = 60.0
_CALLBACK_PARAMS = ("state", "code", "error")

_LINK_JS = """
export default function ({ data, parentElement }) {
  let link = parentElement.querySelector("a");
  if (!link) {
    link = document.createElement("a");
    link.className = "authgate-oidc-link";
    parentElement.appendChild(link);
  }
  link.textContent = data.label;   // text, never HTML
  link.href = data.url;            // an https URL checked by the core
  link.classList.toggle("stretch", Boolean(data.stretch));
}
"""

_LINK_CSS = """
.authgate-oidc-link {
  display: inline-flex; align-items: center; justify-content: center;
  box-sizing: border-box; min-height: 2.5rem; padding: 0.25rem 0.75rem;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  border-radius: var(--st-button-radius, 0.5rem);
  background: var(--st-background-color, #fff);
  color: var(--st-text-color, rgb(49, 51, 63));
  font-family: var(--st-font, sans-serif); font-size: 0.875rem;
  line-height: 1.6; text-decoration: none; user-select: none;
}
.authgate-oidc-link:hover, .authgate-oidc-link:focus-visible {
  border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b);
}
.authgate-oidc-link.stretch { display: flex; width: 100%; }
"""

_link = st.components.v2.component("authgate_oidc_link", js=_LINK_JS, css=_LINK_CSS)

Location = Literal["main", "sidebar"]


class _Host(Protocol):
    """What ``GuestLogin`` uses of the ``Authenticate`` it is mixed into, and
    of itself through ``self`` (typing only)."""

    _auth: _core.Authenticator
    _cookie: CookieJar
    cookie_name: str
    path: str | None

    def _start(self, result: _core.LoginResult) -> None: ...
    def _resume_from_cookie(
        self, max_concurrent_users: int | None, single_session: bool
    ) -> None: ...

    # GuestLogin's own
    def _oidc_settings(
        self, provider: str | Mapping[str, Any], oauth2: Mapping[str, Any] | None
    ) -> tuple[str | None, Mapping[str, Any]]: ...
    def _guest_login_url(
        self, client: _core.OidcClient, name: str | None, settings: Mapping[str, Any]
    ) -> str: ...
    def _browser_binding(self) -> str: ...
    def _binding_cookie(self) -> CookieJar: ...
    def _finish_guest_login(
        self,
        client: _core.OidcClient,
        max_concurrent_users: int | None,
        single_session: bool,
        roles: list[str] | None,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> None: ...


class GuestLogin:
    """The ``experimental_guest_login`` widget; a mixin of ``Authenticate``."""

    def experimental_guest_login(
        self: _Host,
        button_name: str = "Guest login",
        location: Location = "main",
        provider: str | Mapping[str, Any] = "google",
        oauth2: Mapping[str, Any] | None = None,
        max_concurrent_users: int | None = None,
        single_session: bool = False,
        roles: list[str] | None = None,
        use_container_width: bool = False,
        callback: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """Renders a button that logs in through an OpenID provider.

        ``provider`` is ``'google'``, ``'microsoft'``, the name of another
        entry of ``oauth2`` that has ``server_metadata_url`` or ``issuer``, or
        a dict of settings for such a provider. ``oauth2`` is the config's
        ``oauth2`` section (``{'google': {'client_id': …, 'client_secret': …,
        'redirect_uri': …}, 'microsoft': {…, 'tenant_id': …}}``); in path mode
        it is read from the config file when not given.

        On the redirect back, the widget finishes the login, stores the guest
        (a user without password whose username is their email), sets
        ``session_state`` as a password login does, queues the cookie, calls
        ``callback({'widget': 'Guest login', 'email': …})`` and reruns.
        Refusals raise ``LoginError``.
        """
        if location not in ("main", "sidebar"):
            raise ValueError("Location must be one of 'main' or 'sidebar'")
        self._cookie.flush()
        if st.session_state.get("authentication_status"):
            return
        self._resume_from_cookie(max_concurrent_users, single_session)
        if st.session_state.get("authentication_status"):
            return
        name, settings = self._oidc_settings(provider, oauth2)
        try:
            client = _core.OidcClient(name, dict(settings))
        except _core.AuthgateError as e:
            raise LoginError(str(e)) from None
        except TypeError as e:  # a value that is not a string, list or bool
            raise LoginError(f"OAuth2 configuration error: {e}") from None
        if _is_callback() and client.state_owner(st.query_params["state"]) != "other":
            self._finish_guest_login(client, max_concurrent_users, single_session, roles, callback)
            return
        url = self._guest_login_url(client, name, settings)
        data = {"url": url, "label": button_name, "stretch": bool(use_container_width)}
        key = f"authgate_oidc_link-{location}-{name or 'oidc'}-{button_name}"
        if location == "sidebar":
            with st.sidebar:
                _render_link(data, key)
        else:
            _render_link(data, key)

    # ---- flow ---------------------------------------------------------------------

    def _oidc_settings(
        self: _Host, provider: str | Mapping[str, Any], oauth2: Mapping[str, Any] | None
    ) -> tuple[str | None, Mapping[str, Any]]:
        if isinstance(provider, Mapping):
            return None, provider
        if not isinstance(provider, str) or not provider:
            raise ValueError("provider must be a provider name or a dict of its settings")
        if not oauth2 and self.path:
            try:
                oauth2 = _core.oauth2_settings(self.path)
            except _core.AuthgateError as e:
                raise LoginError(str(e)) from None
        if not isinstance(oauth2, Mapping):
            raise LoginError(
                "OAuth2 configuration error: pass oauth2= or add an 'oauth2' section to the config"
            )
        settings = oauth2.get(provider)
        if settings is None:
            settings = oauth2.get(provider.lower())
        if not isinstance(settings, Mapping):
            raise LoginError(f"OAuth2 configuration error: oauth2.{provider} is missing")
        return provider, settings

    def _guest_login_url(
        self: _Host, client: _core.OidcClient, name: str | None, settings: Mapping[str, Any]
    ) -> str:
        """The authorization URL of this session's pending login, started if needed."""
        key = f"{name}|{settings.get('client_id')}|{settings.get('redirect_uri')}"
        pending: dict[str, Any] = st.session_state.setdefault(_PENDING, {})
        started = pending.get(key)
        if started is None or started["expires"] - time.time() < _RENEW_MARGIN:
            try:
                url, state, expires = client.begin(self._browser_binding())
            except _core.AuthgateError as e:
                raise LoginError(str(e)) from None
            started = {"url": url, "state": state, "expires": expires}
            pending[key] = started
        address: str = started["url"]
        return address

    def _browser_binding(self: _Host) -> str:
        """This session's binding; written to the binding cookie once."""
        binding = st.session_state.get(_BINDING)
        if binding is None:
            binding = _core.new_browser_binding()
            st.session_state[_BINDING] = binding
            st.session_state[_BINDING_WRITTEN] = False
        if not st.session_state.get(_BINDING_WRITTEN) and self._cookie.pending() is None:
            self._binding_cookie().queue_set(binding, _core.BROWSER_BINDING_MAX_AGE)
            st.session_state[_BINDING_WRITTEN] = True
        return binding

    def _binding_cookie(self: _Host) -> CookieJar:
        return self._cookie.companion(f"{self.cookie_name}_oidc")

    def _finish_guest_login(
        self: _Host,
        client: _core.OidcClient,
        max_concurrent_users: int | None,
        single_session: bool,
        roles: list[str] | None,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> None:
        params = {name: st.query_params.get(name) for name in _CALLBACK_PARAMS}
        # Cleared first, as 0.4.2 does: a rerun must never present them again.
        st.query_params.clear()
        # The state is used up whatever happens: the next button gets a new one.
        st.session_state.pop(_PENDING, None)
        bindings = [
            b
            for b in (self._binding_cookie().read(), st.session_state.get(_BINDING))
            if isinstance(b, str) and b
        ]
        try:
            result = client.guest_login(
                self._auth,
                state=params["state"] or "",
                code=params["code"],
                error=params["error"],
                bindings=bindings,
                max_concurrent_users=_limit(max_concurrent_users),
                single_session=bool(single_session),
                roles=_roles(roles),
            )
        except _core.AuthgateError as e:
            raise LoginError(str(e)) from None
        self._start(result)
        if callback:
            callback({"widget": "Guest login", "email": result.user["email"]})
        st.rerun()


def _is_callback() -> bool:
    """Whether this page load is a provider's redirect: ``state`` with a
    ``code`` or an ``error`` (an app's own ``?state=`` alone is left alone)."""
    params = st.query_params
    return bool(params.get("state")) and ("code" in params or "error" in params)


def _render_link(data: dict[str, Any], key: str) -> None:
    """The login button: a link that opens the provider in the same tab."""
    _link(
        data=data,
        key=key,
        height=48,
        width="stretch" if data["stretch"] else "content",
    )


def _limit(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LoginError("max_concurrent_users must be a non-negative integer")
    return value


def _roles(roles: list[str] | None) -> list[str] | None:
    if roles is None:
        return None
    if isinstance(roles, str) or not all(isinstance(r, str) for r in roles):
        raise LoginError("roles must be a list of strings")
    return list(roles)
