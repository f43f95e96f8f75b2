"""The public API as an app uses it, for ``mypy --strict`` (scripts/test.sh).

Not a test pytest collects, and never run: each ``assert_type`` states the
type a call has, so a stub or an annotation that drifts fails the type
check. The functions only give the statements a scope.
"""

from __future__ import annotations

from typing import Any, Literal, assert_type

import authgate as stauth
from authgate import _core
from authgate.types import (
    CodePurpose,
    PasskeyInfo,
    PasswordStrength,
    Settings,
    User,
    UserSummary,
)


def on_login(payload: dict[str, Any]) -> None:
    """A widget's ``callback`` gets a dict of what happened."""


def widgets(config: dict[str, Any]) -> None:
    """The widgets of an app, as in the README."""
    authenticator = stauth.Authenticate("config.yaml", app_name="Demo")
    stauth.Authenticate(config, "cookie", "a-key-of-32-bytes-or-more-for-cookies", 30)

    shown = authenticator.login(callback=on_login, two_factor_auth=True)
    assert_type(shown, tuple[str | None, bool | None, str | None] | None)
    authenticator.logout(location="sidebar")
    assert_type(authenticator.register_user(), tuple[str | None, str | None, str | None])
    assert_type(authenticator.reset_password("jsmith"), bool | None)
    assert_type(authenticator.update_user_details("jsmith"), bool | None)
    assert_type(authenticator.forgot_username(), tuple[Any, str | None])
    assert_type(authenticator.enroll_totp(), list[str] | None)
    assert_type(authenticator.enroll_passkey(name="Laptop"), PasskeyInfo | None)
    for passkey in authenticator.manage_passkeys():
        assert_type(passkey["last_used"], float | None)
    authenticator.experimental_guest_login(provider="google", roles=["guest"])
    authenticator.admin_panel(roles=["admin"])
    authenticator.sessions()
    authenticator.require_role("admin")
    page = authenticator.navigation(
        [stauth.Page("views/home.py", public=True), stauth.Page("views/admin.py", roles=["admin"])]
    )
    page.run()


def core(credentials: dict[str, Any]) -> None:
    """The Rust core behind the widgets, and the dicts it returns."""
    store = _core.Store.in_memory(credentials)
    settings = store.settings()
    assert_type(settings, Settings)
    assert_type(settings["cookie_expiry_days"], float | None)
    record = store.user_record("jsmith")
    if record is not None:
        assert_type(record.get("roles"), list[str] | str | None)

    auth = _core.Authenticator(store, "a-key-of-32-bytes-or-more-for-cookies")
    result = auth.login("jsmith", "abc", max_login_attempts=3)
    assert_type(result, _core.LoginResult)
    user = result.user
    assert_type(user, User)
    assert_type(user["username"], str)
    assert_type(user["roles"], list[str] | None)
    assert_type(auth.check_session(result.session_id), User | None)

    step = auth.login_with_totp("jsmith", "abc")
    if isinstance(step, _core.TotpChallenge):
        assert_type(auth.finish_totp_login(step, "123456"), _core.LoginResult)

    assert_type(auth.update_details("jsmith", "email", "j@example.com", "abc"), User)
    found, total = auth.find_users("smith")
    assert_type(found, list[UserSummary])
    assert_type(found[0]["locked_until"], float | None)
    assert_type(total, int)
    for session in auth.sessions_of_user("jsmith"):
        assert_type(session["device"], str)
    for event in auth.audit_trail(10):
        assert_type(event["detail"], str | None)

    challenge, delivery = auth.issue_code("forgot_password", "jsmith")
    assert_type(challenge.purpose, CodePurpose)
    if delivery is not None:
        assert_type(delivery["user"], User | None)
    assert_type(auth.begin_totp_enrolment("jsmith")["qr_png"], bytes)

    strength = _core.password_strength("correct horse battery staple", ["jsmith"])
    assert_type(strength, PasswordStrength)
    assert_type(strength["score"], int)
    assert_type(_core.page_access(["viewer"], ["admin"]), Literal["open", "login", "refuse"])

    try:
        auth.reset_password("jsmith", "abc", "new", "new")
    except _core.InvalidInput as e:
        assert_type(e, _core.InvalidInput)


def greeting(user: User) -> str:
    """An app's own code, annotated with the types."""
    return f"Hello {user['name'] or user['username']}"
