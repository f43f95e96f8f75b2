"""``admin_panel()``: the app's own page for managing accounts.

Users of the roles the app names find users (by username, email or name,
paged), change their roles, lock and unlock them, end their sessions, mail
them a password-reset link and remove them, add users (with a first
password, or invited by a mailed link to set their own), keep the store's
pre-authorized emails, and read the audit trail. Every
change is the core's (``authgate._core.Authenticator.admin_*``) and is
recorded with the administrator's name. Actions run as button callbacks,
before the page is drawn again, so the table shows their effect at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import streamlit as st

from . import _core
from .account_widgets import LinkMailer
from .exceptions import CloudError, RegisterError
from .pages import REFUSED, _decision
from .types import UserSummary

if TYPE_CHECKING:
    from .i18n import Translator
    from .validator import Validator

_FLASH = "_authgate_admin_flash"


def _when(t: float | None) -> str:
    if t is None:
        return ""
    if t == float("inf"):
        return "until unlocked"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Host(LinkMailer, Protocol):
    """What ``AdminPanel`` uses of the ``Authenticate`` it is mixed into, and
    of itself through ``self`` (typing only)."""

    validator: Validator
    _auth: _core.Authenticator
    _credentials: dict[str, Any] | None
    _t: Translator

    def _mailer(self) -> _core.Mailer: ...
    def _app_url(self) -> str: ...
    def _sync_user(self, username: str) -> None: ...
    # AdminPanel's own
    def _admin_user_actions(
        self, key: str, admin: str, found: list[UserSummary], do: Callable[..., None]
    ) -> None: ...
    def _admin_add_user(self, key: str, admin: str, do: Callable[..., None]) -> None: ...
    def _add_user(self, admin: str, key: str) -> str: ...
    def _admin_preauthorized(self, key: str, admin: str, do: Callable[..., None]) -> None: ...
    def _edit_preauthorized(self, admin: str, key: str) -> None: ...
    def _admin_action_runner(self, key: str) -> Callable[..., None]: ...
    def _set_roles(self, admin: str, username: str, roles_key: str) -> None: ...
    def _remove_user(self, admin: str, username: str) -> None: ...
    def _mail_reset_link(self, username: str) -> None: ...


class AdminPanel:
    """Mixed into ``Authenticate``."""

    def admin_panel(
        self: _Host,
        roles: Sequence[str] = ("admin",),
        *,
        page_size: int = 20,
        key: str = "Admin panel",
    ) -> None:
        """Renders the admin page for logged-in users holding one of
        ``roles``; everyone else gets a refusal and nothing of it runs."""
        if isinstance(roles, str):
            raise TypeError("roles must be a list of role names, not a string")
        decision = _decision(list(roles))
        if decision != "open":
            st.error(self._t(REFUSED if decision == "refuse" else "Log in to open this page."))
            return
        admin = str(st.session_state["username"])
        flash = st.session_state.pop(f"{_FLASH}-{key}", None)
        if flash is not None:
            kind, message = flash
            (st.success if kind == "ok" else st.error)(message)

        st.subheader(self._t("Users"))
        query = st.text_input(
            self._t("Search"), key=f"{key}-query", placeholder="username, email, name"
        )
        page = int(
            st.number_input(self._t("Page"), min_value=1, value=1, step=1, key=f"{key}-page")
        )
        found, total = self._auth.find_users(query, (page - 1) * page_size, page_size)
        st.caption(f"{total} user{'s' if total != 1 else ''}")
        st.dataframe(
            [
                {
                    "Username": u["username"],
                    "Name": u["name"] or "",
                    "Email": u["email"] or "",
                    "Roles": ", ".join(u["roles"] or []),
                    "Locked": _when(u["locked_until"]),
                    "Sessions": u["sessions"],
                }
                for u in found
            ],
            hide_index=True,
            key=f"{key}-table",
        )
        do = self._admin_action_runner(key)
        if found:
            self._admin_user_actions(key, admin, found, do)
        self._admin_add_user(key, admin, do)
        if self._credentials is None:
            # Dict mode: the app keeps the list it passes to register_user.
            self._admin_preauthorized(key, admin, do)

        st.subheader(self._t("Audit trail"))
        st.dataframe(
            [
                {
                    "When": _when(e["time"]),
                    "What": e["kind"],
                    "User": e["username"] or "",
                    "Detail": e["detail"] or "",
                }
                for e in self._auth.audit_trail(100)
            ],
            hide_index=True,
            key=f"{key}-audit",
        )

    def _admin_user_actions(
        self: _Host,
        key: str,
        admin: str,
        found: list[UserSummary],
        do: Callable[..., None],
    ) -> None:
        """The buttons acting on the user picked from the page of ``found``."""
        username = st.selectbox(self._t("User"), [u["username"] for u in found], key=f"{key}-user")
        user = next(u for u in found if u["username"] == username)

        roles_key = f"{key}-roles-{username}"
        st.text_input(
            self._t("Roles (comma-separated)"), value=", ".join(user["roles"] or []), key=roles_key
        )
        cols = st.columns(5)
        cols[0].button(
            self._t("Save roles"),
            key=f"{key}-save-roles",
            on_click=do,
            args=(
                f"Roles of {username} saved.",
                username,
                self._set_roles,
                admin,
                username,
                roles_key,
            ),
        )
        if user["locked_until"] is None:
            cols[1].button(
                self._t("Lock"),
                key=f"{key}-lock",
                on_click=do,
                args=(f"{username} is locked.", username, self._auth.admin_lock, admin, username),
            )
        else:
            cols[1].button(
                self._t("Unlock"),
                key=f"{key}-unlock",
                on_click=do,
                args=(
                    f"{username} is unlocked.",
                    username,
                    self._auth.admin_unlock,
                    admin,
                    username,
                ),
            )
        cols[2].button(
            self._t("End sessions"),
            key=f"{key}-end",
            on_click=do,
            args=(
                f"The sessions of {username} ended.",
                username,
                self._auth.admin_end_sessions,
                admin,
                username,
            ),
        )
        cols[3].button(
            self._t("Send reset link"),
            key=f"{key}-reset",
            on_click=do,
            args=(
                f"A reset link was mailed to {username}.",
                username,
                self._mail_reset_link,
                username,
            ),
        )
        sure = st.checkbox(f"Yes, remove {username}", key=f"{key}-sure-{username}")
        cols[4].button(
            self._t("Remove"),
            key=f"{key}-remove",
            disabled=not sure,
            on_click=do,
            args=(f"{username} was removed.", username, self._remove_user, admin, username),
        )

    def _admin_add_user(self: _Host, key: str, admin: str, do: Callable[..., None]) -> None:
        """The form that adds an account."""
        st.subheader(self._t("Add a user"))
        with st.form(f"{key}-add", clear_on_submit=True):
            cols = st.columns(2)
            cols[0].text_input(self._t("Username"), key=f"{key}-add-username")
            cols[1].text_input(self._t("Email"), key=f"{key}-add-email")
            cols[0].text_input(self._t("First name"), key=f"{key}-add-first")
            cols[1].text_input(self._t("Last name"), key=f"{key}-add-last")
            st.text_input(self._t("Roles (comma-separated)"), key=f"{key}-add-roles")
            st.text_input(
                self._t("First password"),
                type="password",
                key=f"{key}-add-password",
                help=self._t("Leave it empty to mail the user a link to set their own password."),
            )
            st.form_submit_button(
                self._t("Add user"),
                on_click=do,
                args=("", "", self._add_user, admin, key),
            )

    def _add_user(self: _Host, admin: str, key: str) -> str:
        # Read when the button is pressed: what the form holds then.
        def field(name: str) -> str:
            return str(st.session_state.get(f"{key}-add-{name}") or "").strip()

        account = {
            "username": _core.username_key(field("username")),
            "email": field("email"),
            "first_name": field("first"),
            "last_name": field("last"),
            "password": field("password"),
        }
        v = self.validator
        # Names are optional here; what is given must pass the app's Validator.
        for name, valid, message in [
            ("first_name", v.validate_name, "First name is not valid"),
            ("last_name", v.validate_name, "Last name is not valid"),
            ("email", v.validate_email, "Email is not valid"),
            ("username", v.validate_username, "Username is not valid"),
        ]:
            if (account[name] or name in ("email", "username")) and not valid(account[name]):
                raise RegisterError(self._t(message))
        if account["password"] and not v.validate_password(account["password"]):
            raise RegisterError(v.diagnose_password(account["password"]))
        roles = [r.strip() for r in field("roles").split(",") if r.strip()]
        password = account.pop("password") or None
        mailer, app_url = (None, None) if password else (self._mailer(), self._app_url())
        user = self._auth.admin_add_user(admin, **account, password=password, roles=roles or None)
        self._sync_user(user["username"])
        if mailer is None or app_url is None:
            return f"{user['username']} was added."
        self._mail_link("Admin invitation", mailer, app_url, "reset_link", user["username"])
        return f"{user['username']} was added and mailed a link to set their password."

    def _admin_preauthorized(self: _Host, key: str, admin: str, do: Callable[..., None]) -> None:
        """The store's pre-authorized emails: who may register."""
        st.subheader(self._t("Pre-authorized emails"))
        listed = self._auth.preauthorized_emails()
        if listed is None:
            st.caption(
                self._t(
                    "No list is kept: anyone may register. Adding an email starts a list, "
                    "and then only the emails on it may register."
                )
            )
        else:
            st.caption(self._t("Only these emails may register; each is taken off when used."))
        with st.form(f"{key}-preauthorized", clear_on_submit=True):
            st.text_area(self._t("Add (one per line)"), key=f"{key}-pre-add")
            st.multiselect(self._t("Remove"), listed or [], key=f"{key}-pre-remove")
            st.form_submit_button(
                self._t("Save list"),
                on_click=do,
                args=(
                    "The pre-authorized list was saved.",
                    "",
                    self._edit_preauthorized,
                    admin,
                    key,
                ),
            )

    def _edit_preauthorized(self: _Host, admin: str, key: str) -> None:
        text = str(st.session_state.get(f"{key}-pre-add") or "")
        add = [e.strip() for e in text.replace(",", "\n").splitlines() if e.strip()]
        remove = list(st.session_state.get(f"{key}-pre-remove") or [])
        self._auth.admin_edit_preauthorized(admin, add, remove)

    def _admin_action_runner(self: _Host, key: str) -> Callable[..., None]:
        """A button callback: runs an action, keeps its outcome to show."""

        def run(done: str, username: str, action: Callable[..., Any], *args: Any) -> None:
            try:
                outcome = action(*args)
            except (_core.AuthgateError, CloudError, RegisterError) as e:
                st.session_state[f"{_FLASH}-{key}"] = ("error", str(e))
                return
            # An action that words its own outcome returns it.
            message = outcome if isinstance(outcome, str) else done
            st.session_state[f"{_FLASH}-{key}"] = ("ok", message)
            if username:
                self._sync_user(username)

        return run

    def _set_roles(self: _Host, admin: str, username: str, roles_key: str) -> None:
        # Read when the button is pressed: what the field holds then.
        text = str(st.session_state.get(roles_key) or "")
        roles = [r.strip() for r in text.split(",") if r.strip()]
        self._auth.admin_set_roles(admin, username, roles or None)

    def _remove_user(self: _Host, admin: str, username: str) -> None:
        self._auth.admin_remove_user(admin, username)
        if self._credentials is not None:
            # Dict mode: the app's dict, which it saves, loses the user too.
            self._credentials.get("usernames", {}).pop(username, None)

    def _mail_reset_link(self: _Host, username: str) -> None:
        mailer, app_url = self._mailer(), self._app_url()
        if self._mail_link("Admin reset link", mailer, app_url, "reset_link", username) is None:
            raise CloudError(f"{username} has no password to reset (a guest account)")
