"""The account widgets of streamlit-authenticator 0.4.2: register, reset password,
forgot password, forgot username and update details.

Forms and session_state live here; every rule runs in the Rust core
(``authgate._core.Authenticator``). The app's ``Validator`` (0.4.2's rules
unless the app passes its own) checks names, emails, usernames and password
strength; a form with a captcha sends the answer with its one core call,
which checks the captcha first, then the ``Validator``, then the rest
(:mod:`authgate.captcha`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import streamlit as st

from . import _core, links, mailing
from .captcha import CaptchaField, guarded
from .code_step import CODE_MINUTES, CodeStep, CodeStepHost
from .exceptions import (
    CredentialsError,
    DeprecationError,
    ForgotError,
    LoginError,
    RegisterError,
    ResetError,
    UpdateError,
)
from .i18n import Labels
from .legacy import FORM_LOCATIONS, split_form_name
from .types import CodeDelivery, DetailField, User
from .validator import PASSWORD_INSTRUCTIONS

if TYPE_CHECKING:
    from .i18n import Translator
    from .validator import Validator

Callback = Callable[[dict[str, Any]], Any] | None
FormLocation = Literal["main", "sidebar"]
_T = TypeVar("_T")


def _form(location: str, key: str, clear_on_submit: bool) -> Any:
    if location not in ("main", "sidebar"):
        raise ValueError("Location must be one of 'main' or 'sidebar'")
    container = st.sidebar if location == "sidebar" else st
    return container.form(key=key, clear_on_submit=clear_on_submit)


def _label(fields: Mapping[str, str], name: str) -> str:
    return fields.get(name, name)


class LinkMailer(Protocol):
    """``AccountWidgets._mail_link``, which the admin page uses too (typing only)."""

    def _mail_link(
        self,
        key: str,
        mailer: _core.Mailer,
        app_url: str,
        kind: Literal["reset_link", "verify_email"],
        username: str,
        guard: Mapping[str, Any] | None = None,
    ) -> User | None: ...


class _Host(CodeStepHost, LinkMailer, Protocol):
    """What ``AccountWidgets`` uses of the ``Authenticate`` it is mixed into,
    and of itself through ``self`` (typing only)."""

    attrs: dict[str, Any]
    validator: Validator
    app_name: str
    _t: Translator
    _email_templates: mailing.Templates

    def _labels(self, fields: Mapping[str, str] | None) -> Labels: ...
    def _mailer(self) -> _core.Mailer: ...
    def _app_url(self) -> str: ...
    def _start(self, result: _core.LoginResult) -> None: ...
    def _sync_user(self, username: str) -> None: ...
    def _refresh_cookie(self) -> None: ...
    def _rerun_unless_dict_mode(self) -> None: ...

    # AccountWidgets' own
    def _titled_form(
        self, location: Any, fields: Any, key: str, clear_on_submit: bool, title: str
    ) -> tuple[Any, Labels]: ...
    def _password_help(self) -> str: ...
    def _new_password_fields(
        self, form: Any, fields: Labels, autocomplete: str
    ) -> tuple[str, str]: ...
    def _core_call(self, error: type[Exception], call: Callable[[], _T]) -> _T: ...
    def _validate_registration(self, registration: dict[str, Any]) -> None: ...
    def _register(
        self,
        registration: dict[str, Any],
        callback: Callback,
        key: str,
        mailer: _core.Mailer | None,
        app_url: str | None,
        guard: Mapping[str, Any],
    ) -> tuple[str | None, str | None, str | None]: ...
    def _answer_forgot_password(
        self,
        key: str,
        username: str,
        mailer: _core.Mailer | None,
        app_url: str | None,
        callback: Callback,
        guard: Mapping[str, Any],
    ) -> tuple[Any, str | None, str | None]: ...
    def _reset_by_link(
        self, location: Any, fields: Mapping[str, str] | None, key: str, callback: Callback
    ) -> tuple[Any, str | None, str | None]: ...
    def _tell_username(
        self,
        key: str,
        email: str,
        mailer: _core.Mailer | None,
        callback: Callback,
        guard: Mapping[str, Any],
    ) -> tuple[Any, str | None]: ...
    def _mail_user(
        self,
        widget_key: str,
        mailer: _core.Mailer,
        user: User,
        kind: Literal["new_password", "username", "reset_link", "verify_email"],
        password: str = ...,
        link: str = ...,
    ) -> None: ...


class AccountWidgets:
    """Mixed into ``Authenticate``."""

    def _titled_form(
        self: _Host,
        location: Any,
        fields: Any,
        key: str,
        clear_on_submit: bool,
        title: str,
    ) -> tuple[Any, Labels]:
        """The widget's form with its title; reads 0.2-style calls
        (``widget('Form name', 'main')``) too. Returns the form and the labels."""
        location, fields, legacy_fields, _ = split_form_name(
            location, fields, None, FORM_LOCATIONS, depth=2
        )
        labels = self._labels({**(fields or {}), **(legacy_fields or {})})
        form = _form(location, key, clear_on_submit)
        form.subheader(labels.get("Form name", title))
        return form, labels

    def _password_help(self: _Host) -> str:
        """The password rules shown next to password fields: 0.4.2's
        ``password_instructions`` keyword, else the validator's own text."""
        if "password_instructions" in self.attrs:
            given: str = self.attrs["password_instructions"]
            return given
        instructions = getattr(self.validator, "password_instructions", None)
        return instructions() if callable(instructions) else PASSWORD_INSTRUCTIONS

    def _new_password_fields(
        self: _Host, form: Any, fields: Labels, autocomplete: str
    ) -> tuple[str, str]:
        """The *New password* and *Repeat password* fields of a form."""
        new = form.text_input(
            _label(fields, "New password"),
            type="password",
            help=self._password_help(),
            autocomplete=autocomplete,
        )
        repeat = form.text_input(
            _label(fields, "Repeat password"), type="password", autocomplete=autocomplete
        )
        return new, repeat

    # ---- register -----------------------------------------------------------------

    def register_user(
        self: _Host,
        location: FormLocation = "main",
        pre_authorized: list[str] | None = None,
        domains: list[str] | None = None,
        fields: Mapping[str, str] | None = None,
        captcha: bool = True,
        roles: list[str] | None = None,
        merge_username_email: bool = False,
        password_hint: bool = True,
        two_factor_auth: bool = False,
        clear_on_submit: bool = False,
        key: str = "Register user",
        callback: Callback = None,
        *,
        preauthorization: bool | None = None,
        verify_email: bool = False,
    ) -> tuple[str | None, str | None, str | None]:
        """Renders the registration form; returns ``(email, username, name)`` on success.

        ``preauthorization`` is the 0.2 switch: ``False`` lets anyone register,
        ``True`` only the emails on the store's pre-authorized list.
        ``two_factor_auth`` mails a code that must be typed before the account
        is added. ``verify_email`` (authgate) adds the account at once but
        mails a link, valid a day, that must be opened before its password
        logs in (the login widget on the page at ``app_url`` takes the link).
        """
        location, pre_authorized, fields, _ = split_form_name(
            location, pre_authorized, fields, FORM_LOCATIONS
        )
        if isinstance(pre_authorized, (bool, dict)):
            raise DeprecationError(
                "The 'pre_authorized' parameter of register_user takes the list of "
                "pre-authorized emails."
            )
        fields = self._labels(fields)
        # The code is bound to the form's contents: they stay until it is in.
        form = _form(location, key, clear_on_submit and not two_factor_auth)
        form.subheader(fields.get("Form name", "Register user"))
        col1, col2 = form.columns(2)
        first_name = col1.text_input(_label(fields, "First name"), autocomplete="off")
        last_name = col2.text_input(_label(fields, "Last name"), autocomplete="off")
        if merge_username_email:
            email = form.text_input(_label(fields, "Email"), autocomplete="off")
            username = email
        else:
            email = col1.text_input(_label(fields, "Email"), autocomplete="off")
            username = col2.text_input(_label(fields, "Username"), autocomplete="off")
        col3, col4 = form.columns(2)
        password = col3.text_input(
            _label(fields, "Password"),
            type="password",
            help=self._password_help(),
            autocomplete="off",
        )
        password_repeat = col4.text_input(
            _label(fields, "Repeat password"), type="password", autocomplete="off"
        )
        hint = (
            form.text_input(_label(fields, "Password hint"), autocomplete="off")
            if password_hint
            else None
        )
        captcha_field = CaptchaField.render(form, f"{key}-captcha", fields) if captcha else None
        registration = {
            "username": _core.username_key(username),
            "email": email.strip(),
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "password": password,
            "password_repeat": password_repeat,
            "password_hint": hint,
            "pre_authorized": pre_authorized,
            "anyone": preauthorization is False and pre_authorized is None,
            "domains": domains,
            "roles": roles,
            "awaiting_verification": verify_email,
        }
        # What the mailed code is bound to: the account it will create.
        binding = [str(registration[k] or "") for k in _REGISTRATION_BOUND]
        step = CodeStep(self, key, "register", fields, RegisterError)

        def checks() -> None:
            self._validate_registration(registration)

        if form.form_submit_button(_label(fields, "Register")):
            mailer = self._mailer() if two_factor_auth or verify_email else None
            app_url = self._app_url() if verify_email else None
            if roles is not None and not isinstance(roles, list):
                raise LoginError("Roles must be provided as a list")
            with guarded(captcha_field, RegisterError, checks) as guard:
                if not two_factor_auth:
                    return self._register(registration, callback, key, mailer, app_url, guard)
                assert mailer is not None
                self._core_call(
                    RegisterError,
                    lambda: self._auth.register(**registration, dry_run=True, **guard),
                )
            step.start(mailer, registration["email"], binding)
        elif two_factor_auth and step.take(binding) is not None:
            mailer = self._mailer() if verify_email else None
            app_url = self._app_url() if verify_email else None
            # The captcha was answered with the code's request.
            with guarded(None, RegisterError, checks) as guard:
                return self._register(registration, callback, key, mailer, app_url, guard)
        if two_factor_auth:
            step.prompt()
        return None, None, None

    def _core_call(self: _Host, error: type[Exception], call: Callable[[], _T]) -> _T:
        """``call()``, with the core's refusals of input as the widget's ``error``."""
        try:
            return call()
        except (_core.InvalidInput, _core.PasswordTooLong) as e:
            raise error(self._t(str(e))) from None

    def _validate_registration(self: _Host, registration: dict[str, Any]) -> None:
        """The app's ``Validator`` on a registration, as 0.4.2 runs it (the
        core calls it, after the captcha)."""
        v = self.validator
        if not v.validate_name(registration["first_name"]):
            raise RegisterError(self._t("First name is not valid"))
        if not v.validate_name(registration["last_name"]):
            raise RegisterError(self._t("Last name is not valid"))
        if not v.validate_email(registration["email"]):
            raise RegisterError(self._t("Email is not valid"))
        if not v.validate_username(registration["username"]):
            raise RegisterError(self._t("Username is not valid"))
        password = registration["password"].strip()
        if password and not v.validate_password(password):
            raise RegisterError(v.diagnose_password(password))

    def _register(
        self: _Host,
        registration: dict[str, Any],
        callback: Callback,
        key: str,
        mailer: _core.Mailer | None,
        app_url: str | None,
        guard: Mapping[str, Any],
    ) -> tuple[str | None, str | None, str | None]:
        """Adds the user; with ``verify_email`` (a mailer and an address) mails
        the verification link."""
        user = self._core_call(RegisterError, lambda: self._auth.register(**registration, **guard))
        assert user is not None
        if mailer is not None and app_url is not None:
            self._mail_link(key, mailer, app_url, "verify_email", user["username"])
        email = registration["email"]
        pre_authorized = registration["pre_authorized"]
        if pre_authorized is not None:
            # 0.4.2 removes the email from the list the app passed.
            wanted = _core.email_key(email)
            for listed in [e for e in pre_authorized if _core.email_key(e) == wanted]:
                pre_authorized.remove(listed)
        self._sync_user(user["username"])
        first_name, last_name = registration["first_name"], registration["last_name"]
        if callback:
            callback(
                {
                    "widget": "Register user",
                    "new_name": first_name,
                    "new_last_name": last_name,
                    "new_email": email,
                    "new_username": user["username"],
                }
            )
        return email, user["username"], f"{first_name} {last_name}"

    # ---- reset password -----------------------------------------------------------

    def reset_password(
        self: _Host,
        username: str,
        location: FormLocation = "main",
        fields: Mapping[str, str] | None = None,
        clear_on_submit: bool = False,
        key: str = "Reset password",
        callback: Callback = None,
    ) -> bool | None:
        """Renders the reset password form for a logged-in user; ``True`` on success."""
        if not st.session_state.get("authentication_status"):
            raise ResetError("User must be logged in to use the reset password widget")
        if _other_user(username):
            raise ResetError("The reset password widget changes the logged-in user's password")
        form, fields = self._titled_form(location, fields, key, clear_on_submit, "Reset password")
        current = form.text_input(
            _label(fields, "Current password"), type="password", autocomplete="off"
        )
        new, repeat = self._new_password_fields(form, fields, "off")
        if not form.form_submit_button(_label(fields, "Reset")):
            return None
        new_stripped = new.strip()
        if new_stripped and new_stripped == repeat.strip() and new_stripped != current.strip():
            if not self.validator.validate_password(new_stripped):
                raise ResetError(self.validator.diagnose_password(new_stripped))
        try:
            result = self._auth.reset_password(username, current, new, repeat)
        except _core.InvalidCredentials:
            raise CredentialsError("password", message=self._t("Password is incorrect")) from None
        except (_core.InvalidInput, _core.PasswordTooLong, _core.AccountLocked) as e:
            raise ResetError(self._t(str(e))) from None
        self._start(result)
        if callback:
            callback({"widget": "Reset password", **_user_fields(result.user)})
        return True

    # ---- forgot password ----------------------------------------------------------

    def forgot_password(
        self: _Host,
        location: FormLocation = "main",
        fields: Mapping[str, str] | None = None,
        captcha: bool = False,
        send_email: bool = False,
        two_factor_auth: bool = False,
        clear_on_submit: bool = False,
        key: str = "Forgot password",
        callback: Callback = None,
        *,
        reset_link: bool = False,
    ) -> tuple[Any, str | None, str | None]:
        """Renders the forgot password form.

        Returns ``(username, email, new_password)``; ``(False, None, None)`` for an
        unknown username. The current password keeps working until the new one is
        first used or expires (24 hours). ``send_email`` mails the new password;
        ``two_factor_auth`` first mails a code to the user, and issues the
        password only once the code is typed (see :mod:`authgate.code_step`).

        ``reset_link=True`` (authgate) mails a link instead of a password:
        it works once, for 30 minutes, and opens this widget as a form that
        sets a new password (and ends the user's sessions). The widget then
        returns ``(username, email, None)``; the link's address is
        ``Authenticate(app_url=...)`` (or ``AUTHGATE_APP_URL``).
        """
        mailing.raise_failed_delivery(key)
        done = st.session_state.pop(f"{key}-link-done", None)
        if done:
            st.success(done)
        if reset_link and st.query_params.get(links.RESET_PARAM):
            return self._reset_by_link(location, fields, key, callback)
        form, fields = self._titled_form(location, fields, key, clear_on_submit, "Forgot password")
        username = form.text_input(_label(fields, "Username"), autocomplete="off")
        captcha_field = CaptchaField.render(form, f"{key}-captcha", fields) if captcha else None
        step = CodeStep(self, key, "forgot_password", fields, ForgotError)
        if form.form_submit_button(_label(fields, "Submit")):
            wants_mail = send_email or two_factor_auth or reset_link
            mailer = self._mailer() if wants_mail else None
            app_url = self._app_url() if reset_link else None
            # The core refuses a name not given, after the captcha.
            with guarded(captcha_field, ForgotError) as guard:
                if not two_factor_auth:
                    return self._answer_forgot_password(
                        key, username, mailer, app_url, callback, guard
                    )
                assert mailer is not None
                step.start(mailer, username, [], guard)
        elif two_factor_auth:
            confirmed = step.take([])
            if confirmed is not None:
                mailer = self._mailer() if send_email or reset_link else None
                app_url = self._app_url() if reset_link else None
                return self._answer_forgot_password(key, confirmed, mailer, app_url, callback, {})
        if two_factor_auth:
            step.prompt()
        return None, None, None

    def _answer_forgot_password(
        self: _Host,
        key: str,
        username: str,
        mailer: _core.Mailer | None,
        app_url: str | None,
        callback: Callback,
        guard: Mapping[str, Any],
    ) -> tuple[Any, str | None, str | None]:
        """Issues a new password, or mails a reset link when ``app_url`` is set."""
        if app_url is not None and mailer is not None:
            user = self._core_call(
                ForgotError,
                lambda: self._mail_link(key, mailer, app_url, "reset_link", username, guard),
            )
            if user is None:
                return False, None, None
            if callback:
                callback({"widget": "Forgot password", **_user_fields(user), "reset_link": True})
            return user["username"], user["email"], None
        try:
            issued = self._auth.forgot_password(username, **guard)
        except _core.InvalidInput as e:
            raise ForgotError(self._t(str(e))) from None
        if issued is None:
            return False, None, None
        user, new_password = issued
        if mailer is not None:
            self._mail_user(key, mailer, user, "new_password", password=new_password)
        self._sync_user(user["username"])
        if callback:
            callback(
                {
                    "widget": "Forgot password",
                    **_user_fields(user),
                    "random_password": new_password,
                }
            )
        return user["username"], user["email"], new_password

    def _reset_by_link(
        self: _Host,
        location: Any,
        fields: Mapping[str, str] | None,
        key: str,
        callback: Callback,
    ) -> tuple[Any, str | None, str | None]:
        """The form a mailed reset link opens: a new password, twice."""
        token = str(st.query_params.get(links.RESET_PARAM))
        try:
            user = self._auth.check_reset_link(token)
        except _core.LinkRefused as e:
            del st.query_params[links.RESET_PARAM]
            raise ForgotError(self._t(str(e))) from None
        form, fields = self._titled_form(
            location, fields, f"{key}-link", False, "Choose a new password"
        )
        form.caption(f"{_label(fields, 'Username')}: {user['username']}")
        new, repeat = self._new_password_fields(form, fields, "new-password")
        if not form.form_submit_button(_label(fields, "Set password")):
            return None, None, None
        new_stripped = new.strip()
        if new_stripped and not self.validator.validate_password(new_stripped):
            raise ForgotError(self.validator.diagnose_password(new_stripped))
        try:
            user = self._auth.reset_with_link(token, new, repeat)
        except (_core.InvalidInput, _core.PasswordTooLong) as e:
            raise ForgotError(self._t(str(e))) from None
        except _core.LinkRefused as e:
            del st.query_params[links.RESET_PARAM]
            raise ForgotError(self._t(str(e))) from None
        del st.query_params[links.RESET_PARAM]
        # Every session of the user ended (this one too, if it was one):
        # the login widget sees so at the next rerun.
        self._sync_user(user["username"])
        if callback:
            callback({"widget": "Reset password by link", **_user_fields(user)})
        st.session_state[f"{key}-link-done"] = _label(
            fields, "Your password was changed: log in with it."
        )
        # The page shows the request form again, and says it was done once.
        self._rerun_unless_dict_mode()
        st.success(st.session_state.pop(f"{key}-link-done"))
        return None, None, None

    # ---- forgot username ----------------------------------------------------------

    def forgot_username(
        self: _Host,
        location: FormLocation = "main",
        fields: Mapping[str, str] | None = None,
        captcha: bool = False,
        send_email: bool = False,
        two_factor_auth: bool = False,
        clear_on_submit: bool = False,
        key: str = "Forgot username",
        callback: Callback = None,
    ) -> tuple[Any, str | None]:
        """Renders the forgot username form.

        Returns ``(username, email)``; ``(False, email)`` when no user has the
        email. ``send_email`` mails the username; ``two_factor_auth`` first
        mails a code to the address and answers once it is typed.
        """
        mailing.raise_failed_delivery(key)
        form, fields = self._titled_form(location, fields, key, clear_on_submit, "Forgot username")
        email = form.text_input(_label(fields, "Email"), autocomplete="off")
        captcha_field = CaptchaField.render(form, f"{key}-captcha", fields) if captcha else None
        step = CodeStep(self, key, "forgot_username", fields, ForgotError)
        if form.form_submit_button(_label(fields, "Submit")):
            mailer = self._mailer() if send_email or two_factor_auth else None
            # The core refuses an email not given, after the captcha.
            with guarded(captcha_field, ForgotError) as guard:
                if not two_factor_auth:
                    return self._tell_username(key, email, mailer, callback, guard)
                assert mailer is not None
                step.start(mailer, email, [], guard)
        elif two_factor_auth:
            confirmed = step.take([])
            if confirmed is not None:
                mailer = self._mailer() if send_email else None
                return self._tell_username(key, confirmed, mailer, callback, {})
        if two_factor_auth:
            step.prompt()
        return None, email

    def _tell_username(
        self: _Host,
        key: str,
        email: str,
        mailer: _core.Mailer | None,
        callback: Callback,
        guard: Mapping[str, Any],
    ) -> tuple[Any, str | None]:
        user = self._core_call(ForgotError, lambda: self._auth.forgot_username(email, **guard))
        if user is None:
            return False, email
        if mailer is not None:
            self._mail_user(key, mailer, user, "username")
        if callback:
            callback({"widget": "Forgot username", **_user_fields(user), "email": email})
        return user["username"], email

    def _mail_user(
        self: _Host,
        widget_key: str,
        mailer: _core.Mailer,
        user: User,
        kind: Literal["new_password", "username", "reset_link", "verify_email"],
        password: str = "",
        link: str = "",
    ) -> None:
        """Queues the ``kind`` message to ``user`` (see :mod:`authgate.mailing`)."""
        name = mailing.display_name(user)
        message = self._email_templates.render(
            kind,
            app=self.app_name,
            name=name,
            username=user["username"],
            password=password,
            link=link,
            minutes=str(round(_core.RESET_LINK_TTL / 60)),
            hours=str(round(_core.VERIFY_LINK_TTL / 3600)),
        )
        to = _core.Mailer.recipient(name, str(user.get("email") or ""))
        # A new password nobody received is withdrawn; the current one works on.
        undo = (
            (lambda: self._auth.withdraw_password(user["username"], password)) if password else None
        )
        mailing.send_later(widget_key, mailer, to, message, undo)

    def _mail_link(
        self: _Host,
        key: str,
        mailer: _core.Mailer,
        app_url: str,
        kind: Literal["reset_link", "verify_email"],
        username: str,
        guard: Mapping[str, Any] | None = None,
    ) -> User | None:
        """Issues a ``kind`` link for ``username`` and mails it; returns the
        user, or ``None`` when nobody has the name or the link does not
        apply to them (a guest's reset, a verified account). ``guard``: the
        form's captcha, for a reset link."""
        if kind == "reset_link":
            issued, param = self._auth.reset_link(username, **(guard or {})), links.RESET_PARAM
        else:
            issued, param = self._auth.verification_link(username), links.VERIFY_PARAM
        if issued is None:
            return None
        user, token = issued
        self._mail_user(key, mailer, user, kind, link=links.with_token(app_url, param, token))
        return user

    def _mail_code(
        self: _Host, widget_key: str, mailer: _core.Mailer, delivery: CodeDelivery
    ) -> None:
        """Queues a mailed code (see :mod:`authgate.code_step`)."""
        user: Mapping[str, object] = delivery["user"] or {}
        name = mailing.display_name(user) if user else str(delivery["email"])
        message = self._email_templates.render(
            "code",
            app=self.app_name,
            name=name,
            username=str(user.get("username") or ""),
            code=delivery["code"],
            minutes=str(CODE_MINUTES),
        )
        to = _core.Mailer.recipient(name if user else "", delivery["email"])
        mailing.send_later(widget_key, mailer, to, message)

    # ---- update details -----------------------------------------------------------

    def update_user_details(
        self: _Host,
        username: str,
        location: FormLocation = "main",
        fields: Mapping[str, str] | None = None,
        clear_on_submit: bool = False,
        key: str = "Update user details",
        callback: Callback = None,
    ) -> bool | None:
        """Renders the update details form for a logged-in user; ``True`` on success."""
        if not st.session_state.get("authentication_status"):
            raise UpdateError("User must be logged in to use the update user details widget")
        if _other_user(username):
            raise UpdateError("The update user details widget changes the logged-in user's details")
        form, fields = self._titled_form(
            location, fields, key, clear_on_submit, "Update user details"
        )
        choices: dict[str, DetailField] = {
            _label(fields, "First name"): "first_name",
            _label(fields, "Last name"): "last_name",
            _label(fields, "Email"): "email",
        }
        label = form.selectbox(_label(fields, "Field"), list(choices))
        new_value = form.text_input(_label(fields, "New value"), autocomplete="off").strip()
        # Only a change of the email (where resets go) needs it.
        password = form.text_input(
            _label(fields, "Password"),
            type="password",
            help=self._t("Needed to change the email"),
            autocomplete="off",
            key=f"{key}-password",
        )
        if not form.form_submit_button(_label(fields, "Update")):
            return None
        field = choices[label]
        if field in ("first_name", "last_name") and not self.validator.validate_name(new_value):
            raise UpdateError(
                self._t(f"{'First' if field == 'first_name' else 'Last'} name is not valid")
            )
        if field == "email" and not self.validator.validate_email(new_value):
            raise UpdateError(self._t("Email is not valid"))
        try:
            user = self._auth.update_details(
                username, field, new_value, password if field == "email" else None
            )
        except _core.InvalidCredentials:
            raise CredentialsError("password", message=self._t("Password is incorrect")) from None
        except (_core.InvalidInput, _core.AccountLocked) as e:
            raise UpdateError(self._t(str(e))) from None
        self._sync_user(user["username"])
        if st.session_state.get("username") == user["username"]:
            st.session_state["name"] = user["name"]
            st.session_state["email"] = user["email"]
            self._refresh_cookie()
        if callback:
            callback(
                {
                    "widget": "Update user details",
                    "username": user["username"],
                    "field": field,
                    "new_value": new_value,
                    "email": user["email"],
                    "name": user["name"],
                    "roles": user["roles"],
                }
            )
        return True


_REGISTRATION_BOUND = (
    "username",
    "email",
    "first_name",
    "last_name",
    "password",
    "password_repeat",
    "password_hint",
)


def _other_user(username: Any) -> bool:
    """Whether `username` names someone else than the logged-in user (a
    session logged in by the app itself, without authgate, is trusted)."""
    current = st.session_state.get("username")
    if current is None or not isinstance(username, str):
        return False
    return _core.username_key(username) != _core.username_key(str(current))


def _user_fields(user: User) -> dict[str, Any]:
    return {
        "username": user["username"],
        "email": user["email"],
        "name": user["name"],
        "roles": user["roles"],
    }
