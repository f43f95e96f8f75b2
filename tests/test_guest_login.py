"""``experimental_guest_login`` against a real OpenID provider on 127.0.0.1.

Each test renders the button, follows its URL through the provider's
``/authorize`` as a browser would, and hands the redirect's query to the app
through ``at.query_params``. The provider checks PKCE and the client secret
and signs real RS256 ID tokens; tests make it misbehave one way at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.apps import CALLS, CREDENTIALS
from tests.conftest import make_config, pending_cookie_op, stored_sessions, write_yaml
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

COOKIE_KEY = make_config()["cookie"]["key"]


def guest_app(credentials: str | None, init: dict, guest: dict) -> None:
    import streamlit as st

    import authgate as stauth
    from tests.apps import CALLS, CREDENTIALS, DICT_COOKIE_KEY

    guest = dict(guest)
    if guest.pop("record", False):
        guest["callback"] = CALLS.append
    if not credentials:
        init = {"cookie_key": DICT_COOKIE_KEY, **init}
    authenticator = stauth.Authenticate(credentials or CREDENTIALS, **init)
    try:
        authenticator.login()
    except stauth.LoginError as e:
        st.error(f"LoginError: {e}")
    try:
        authenticator.experimental_guest_login(**guest)
    except stauth.LoginError as e:
        st.error(f"LoginError: {e}")
    if st.session_state.get("authentication_status"):
        st.markdown(f"Welcome {st.session_state['name']}")


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    # One provider per module: keys are cached per process by URL.
    with OidcProvider() as idp:
        yield idp


@pytest.fixture
def idp(provider: OidcProvider) -> OidcProvider:
    provider.email = "ann.lee@example.com"
    provider.claims = {}
    provider.sign_with_rogue_key = False
    provider.token_requests.clear()
    CALLS.clear()
    CREDENTIALS.clear()
    return provider


def start(
    credentials: Path | None, idp: OidcProvider, *, init: dict | None = None, **guest: Any
) -> AppTest:
    guest.setdefault("provider", "test")
    if "oauth2" not in guest and isinstance(guest["provider"], str):
        guest["oauth2"] = {"test": idp.settings()}
    args = (str(credentials) if credentials else None, init or {}, guest)
    return AppTest.from_function(guest_app, args=args, default_timeout=30).run()


def links(at: AppTest, area: str = "main") -> list[dict[str, Any]]:
    """The data of the guest login buttons rendered in ``area``."""
    return [
        json.loads(e.proto.json)
        for e in getattr(at, area)
        if getattr(e, "type", None) == "bidi_component"
        and e.proto.component_name == "authgate_oidc_link"
    ]


def button_url(at: AppTest) -> str:
    [link] = links(at)
    return link["url"]


def come_back(at: AppTest, query: dict[str, str]) -> AppTest:
    """The provider's redirect: the app opens with ``?code=…&state=…``."""
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def log_in(at: AppTest, idp: OidcProvider) -> AppTest:
    return come_back(at, idp.authorize(button_url(at)))


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def status(at: AppTest) -> Any:
    return at.session_state["authentication_status"]


def stored(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["credentials"]["usernames"]


def refused(config_path: Path, idp: OidcProvider, message: str) -> AppTest:
    at = log_in(start(config_path, idp), idp)
    assert errors(at) == [f"LoginError: {message}"]
    assert status(at) is not True
    assert "ann.lee@example.com" not in stored(config_path)
    assert dict(at.query_params) == {}, "the redirect's parameters are cleared"
    assert not at.exception
    return at


# ---- success ------------------------------------------------------------------------


def test_guest_login_logs_in_stores_the_guest_and_queues_the_cookie(
    config_path: Path, idp: OidcProvider
) -> None:
    at = start(config_path, idp, record=True, roles=["viewer"])
    url = button_url(at)
    assert url.startswith(f"{idp.issuer}/authorize?")
    assert "code_challenge_method=S256" in url and CLIENT_SECRET not in url
    assert status(at) is None

    at = log_in(at, idp)
    assert not at.exception and errors(at) == []
    assert status(at) is True
    assert at.session_state["username"] == "ann.lee@example.com"
    assert at.session_state["email"] == "ann.lee@example.com"
    assert at.session_state["name"] == "Ann Lee"
    assert at.session_state["roles"] == ["viewer"]
    assert [m.value for m in at.markdown] == ["Welcome Ann Lee"]
    assert dict(at.query_params) == {}
    assert CALLS == [{"widget": "Guest login", "email": "ann.lee@example.com"}]

    guest = stored(config_path)["ann.lee@example.com"]
    assert "password" not in guest
    assert guest["email"] == "ann.lee@example.com"
    assert (guest["first_name"], guest["last_name"]) == ("Ann", "Lee")
    assert guest["roles"] == ["viewer"]
    sid = at.session_state["_authgate_session_id"]
    assert stored_sessions(config_path) == {sid: "ann.lee@example.com"}

    op = pending_cookie_op(at)
    assert op is not None and op["name"] == "authgate_test"
    assert op["max_age"] == 30 * 86400, "as long as a password login's cookie"
    claims = jwt.decode(op["value"], COOKIE_KEY, algorithms=["HS256"])
    assert claims["username"] == "ann.lee@example.com"
    assert claims["sid"] == at.session_state["_authgate_session_id"]

    # The provider saw the PKCE verifier and the client secret (client_secret_post).
    [form] = idp.token_requests
    assert form["client_secret"] == CLIENT_SECRET and len(form["code_verifier"]) == 43
    assert form["client_id"] == CLIENT_ID


def test_returning_guest_is_updated_and_the_button_is_gone_once_logged_in(
    config_path: Path, idp: OidcProvider
) -> None:
    log_in(start(config_path, idp, roles=["viewer"]), idp)
    idp.claims = {"given_name": "Anne"}
    at = log_in(start(config_path, idp), idp)
    assert status(at) is True and at.session_state["name"] == "Anne Lee"
    guest = stored(config_path)["ann.lee@example.com"]
    assert guest["first_name"] == "Anne" and guest["roles"] is None
    assert links(at) == []


def test_oauth2_is_read_from_the_config_file(tmp_path: Path, idp: OidcProvider) -> None:
    config = make_config()
    config["oauth2"] = {"test": idp.settings()}
    path = write_yaml(tmp_path / "config.yaml", config)
    at = start(path, idp, oauth2=None)
    at = log_in(at, idp)
    assert status(at) is True
    assert yaml.safe_load(path.read_text())["oauth2"] == {"test": idp.settings()}


def test_provider_may_be_a_dict_of_settings(config_path: Path, idp: OidcProvider) -> None:
    at = log_in(start(config_path, idp, provider=idp.settings()), idp)
    assert status(at) is True


def test_dict_mode_writes_the_guest_into_the_callers_dict(
    idp: OidcProvider, cookie_name: str
) -> None:
    CREDENTIALS.update(make_config()["credentials"])
    at = log_in(start(None, idp, init={"cookie_name": cookie_name}), idp)
    assert status(at) is True
    guest = CREDENTIALS["usernames"]["ann.lee@example.com"]
    assert guest["logged_in"] is True and "password" not in guest


# ---- refusals -----------------------------------------------------------------------


def test_replayed_state_is_refused(config_path: Path, idp: OidcProvider, browser_cookies) -> None:
    at = start(config_path, idp)
    query = idp.authorize(button_url(at))
    assert status(come_back(at, query)) is True
    # The same redirect again, from the same browser (its binding cookie set).
    browser_cookies["authgate_test_oidc"] = at.session_state["_authgate_oidc_binding"]
    again = come_back(start(config_path, idp), query)
    assert errors(again) == [
        "LoginError: This login link has expired, was already used or was not "
        "started in this browser; please log in again"
    ]
    assert status(again) is not True


def test_forged_state_is_refused(config_path: Path, idp: OidcProvider) -> None:
    at = start(config_path, idp)
    query = idp.authorize(button_url(at))
    at = come_back(at, {"code": query["code"], "state": "forged-" + query["state"][7:]})
    assert errors(at)[0].startswith("LoginError: This login link has expired")
    assert status(at) is not True
    assert idp.token_requests == [], "the code is never sent for a bad state"


def test_state_started_in_another_browser_is_refused(config_path: Path, idp: OidcProvider) -> None:
    victim = start(config_path, idp)
    query = idp.authorize(button_url(start(config_path, idp)))  # the attacker's login
    victim = come_back(victim, query)
    assert errors(victim)[0].startswith("LoginError: This login link has expired")
    assert status(victim) is not True


def test_redirect_back_in_a_new_session_uses_the_binding_cookie(
    config_path: Path, idp: OidcProvider, browser_cookies
) -> None:
    at = start(config_path, idp)
    op = pending_cookie_op(at)
    assert op is not None and op["name"] == "authgate_test_oidc"
    query = idp.authorize(button_url(at))
    browser_cookies["authgate_test_oidc"] = op["value"]  # the browser stored it
    fresh = come_back(start(config_path, idp), query)  # a new Streamlit session
    assert status(fresh) is True


def test_bad_signature_is_refused_and_a_new_attempt_works(
    config_path: Path, idp: OidcProvider
) -> None:
    idp.sign_with_rogue_key = True
    at = refused(config_path, idp, "ID token refused: bad signature")
    idp.sign_with_rogue_key = False
    at = at.run()  # the next rerun shows the button again, with a fresh state
    assert status(log_in(at, idp)) is True


def test_wrong_audience_is_refused(config_path: Path, idp: OidcProvider) -> None:
    idp.claims = {"aud": "someone-elses-client", "azp": None}
    refused(config_path, idp, "ID token refused: wrong audience")


def test_wrong_issuer_is_refused(config_path: Path, idp: OidcProvider) -> None:
    idp.claims = {"iss": "https://accounts.google.com"}
    refused(config_path, idp, "ID token refused: wrong issuer")


def test_wrong_nonce_is_refused(config_path: Path, idp: OidcProvider) -> None:
    idp.claims = {"nonce": "a-nonce-from-another-login"}
    refused(config_path, idp, "ID token refused: nonce mismatch")


def test_expired_token_is_refused(config_path: Path, idp: OidcProvider) -> None:
    now = int(time.time())
    idp.claims = {"iat": now - 3600, "exp": now - 600}
    refused(config_path, idp, "ID token refused: expired")


def test_unverified_email_is_refused(config_path: Path, idp: OidcProvider) -> None:
    idp.claims = {"email_verified": False}
    refused(config_path, idp, "The identity provider did not supply a verified email address")


def test_email_of_a_password_user_is_refused(config_path: Path, idp: OidcProvider) -> None:
    idp.email = "jsmith@gmail.com"
    at = log_in(start(config_path, idp), idp)
    assert errors(at) == ["LoginError: User already exists"]
    assert status(at) is not True
    assert stored(config_path)["jsmith"]["password"].startswith("$2b$")


def test_provider_error_is_shown_and_the_parameters_cleared(
    config_path: Path, idp: OidcProvider
) -> None:
    at = start(config_path, idp)
    query = idp.authorize(button_url(at))
    at = come_back(at, {"error": "access_denied", "state": query["state"]})
    assert errors(at) == ["LoginError: The identity provider refused the login: access_denied"]
    assert dict(at.query_params) == {}


def test_max_concurrent_users(config_path: Path, idp: OidcProvider) -> None:
    other = AppTest.from_function(guest_app, args=(str(config_path), {}, {}))
    other.run()
    other.text_input[0].input("jsmith")
    other.text_input[1].input("abc")
    other.button[0].click().run()
    assert status(other) is True
    at = log_in(start(config_path, idp, max_concurrent_users=1), idp)
    assert errors(at) == ["LoginError: Maximum number of concurrent users exceeded"]
    assert status(at) is not True
    at = log_in(start(config_path, idp, max_concurrent_users=2), idp)
    assert status(at) is True


def test_bad_arguments(config_path: Path, idp: OidcProvider) -> None:
    at = start(config_path, idp, location="nowhere")
    assert "Location must be one of 'main' or 'sidebar'" in at.exception[0].message
    at = start(config_path, idp, provider="github", oauth2={"github": {"client_id": "x"}})
    assert errors(at) == [
        "LoginError: OAuth2 configuration error: oauth2.github.redirect_uri is missing"
    ]
    at = start(config_path, idp, provider="okta", oauth2={"google": {}})
    assert errors(at) == ["LoginError: OAuth2 configuration error: oauth2.okta is missing"]
    at = start(config_path, idp, provider="test", oauth2=None)
    assert errors(at)[0].startswith("LoginError: OAuth2 configuration error: pass oauth2=")


def test_sidebar_location(config_path: Path, idp: OidcProvider) -> None:
    at = start(config_path, idp, location="sidebar", use_container_width=True)
    [link] = links(at, "sidebar")
    assert link["stretch"] is True and link["url"].startswith(idp.issuer)
    assert links(at) == []
