"""``admin_panel()``: the app's own page for managing accounts.

Users of the roles the app names find users (by username, email or name,
paged), change their roles, lock and unlock them, end their sessions, mail
them a password-reset link and remove them, and read the audit trail. Every
change is the core's (``authgate._core.Authenticator.admin_*``) and is
recorded with the administrator's name. Actions run as button callbacks,
before the page is drawn again, so the table shows their effect at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from . import _core
from .exceptions import CloudError
from .pages import REFUSED, _decision

if TYPE_CHECKING:
    from .authenticate import Authenticate

_FLASH = "_authgate_admin_flash"


def _when(t: float | None) -> str:
    if t is None:
        return ""
    if t == float("inf"):
        return "until unlocked"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class AdminPanel:
    """Mixed into ``Authenticate``."""

    def admin_panel(
        self: Authenticate,
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
        if not found:
            return
        username = st.selectbox(self._t("User"), [u["username"] for u in found], key=f"{key}-user")
        user = next(u for u in found if u["username"] == username)
        do = self._admin_action_runner(key)

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

    def _admin_action_runner(self: Authenticate, key: str) -> Callable[..., None]:
        """A button callback: runs an action, keeps its outcome to show."""

        def run(done: str, username: str, action: Callable[..., Any], *args: Any) -> None:
            try:
                action(*args)
            except (_core.AuthgateError, CloudError) as e:
                st.session_state[f"{_FLASH}-{key}"] = ("error", str(e))
                return
            st.session_state[f"{_FLASH}-{key}"] = ("ok", done)
            self._sync_user(username)

        return run

    def _set_roles(self: Authenticate, admin: str, username: str, roles_key: str) -> None:
        # Read when the button is pressed: what the field holds then.
        text = str(st.session_state.get(roles_key) or "")
        roles = [r.strip() for r in text.split(",") if r.strip()]
        self._auth.admin_set_roles(admin, username, roles or None)

    def _remove_user(self: Authenticate, admin: str, username: str) -> None:
        self._auth.admin_remove_user(admin, username)
        if self._credentials is not None:
            # Dict mode: the app's dict, which it saves, loses the user too.
            self._credentials.get("usernames", {}).pop(username, None)

    def _mail_reset_link(self: Authenticate, username: str) -> None:
        mailer, app_url = self._mailer(), self._app_url()
        if self._mail_link("Admin reset link", mailer, app_url, "reset_link", username) is None:
            raise CloudError(f"{username} has no password to reset (a guest account)")
