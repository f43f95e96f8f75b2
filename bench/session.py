"""Drives one app session through AppTest as a person would: fill a form, click, rerun."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from bench import apps
from bench.data import REGISTER_PASSWORD
from bench.libs import Library


class ActionFailed(RuntimeError):
    """A run raised, or did not end in the state the action should reach."""


class Session:
    """One browser tab of the README app, for one library, on one config source."""

    def __init__(
        self,
        lib: Library,
        source: str,
        timeout: float,
        on_action: Callable[[str], None] | None = None,
    ) -> None:
        self.at = AppTest.from_function(
            apps.session_app, args=(lib.module, source, lib.init), default_timeout=timeout
        )
        self.on_action = on_action

    # ---- actions ------------------------------------------------------------------

    def render(self) -> None:
        self.run("render")

    def assume_logged_in(self, username: str) -> None:
        """Logs in the way 0.4.2 keeps a login: only in session_state.

        authgate also checks a server-side session on every rerun, so it always
        logs in through the form.
        """
        for key, value in {
            "authentication_status": True,
            "username": username,
            "name": username,
            "email": f"{username}@example.com",
            "roles": ["viewer"],
            "logout": None,
        }.items():
            self.at.session_state[key] = value

    def login(self, username: str, password: str, *, expect_ok: bool) -> None:
        """Types into the login form and submits it."""
        fields = self._inputs("Login")
        fields["Username"].input(username)
        fields["Password"].input(password)
        self._submit("Login", "Login").click()
        self.run("login_ok" if expect_ok else "login_fail")
        if self.state("authentication_status") is not expect_ok:
            status = self.state("authentication_status")
            raise ActionFailed(f"login: authentication_status is {status!r}")

    def rerun(self) -> None:
        self.run("rerun")
        if self.state("authentication_status") is not True:
            raise ActionFailed("rerun: the session is no longer logged in")

    def update(self, last_name: str) -> None:
        form = "Update user details"
        next(s for s in self.at.selectbox if s.form_id == form).select("Last name")
        self._inputs(form)["New value"].input(last_name)
        self._submit(form, "Update").click()
        self.run("update")

    def logout(self) -> None:
        next(b for b in self.at.button if b.label == "Logout" and not b.form_id).click()
        self.run("logout")
        if self.state("authentication_status"):
            raise ActionFailed("logout: the session is still logged in")
        if not any(w.form_id == "Login" for w in self.at.text_input):
            # 0.4.2 does not rerun after a logout: the form shows on the next run.
            self.run("refresh")

    def register(self, username: str) -> None:
        form = "Register user"
        fields = self._inputs(form)
        values = {
            "First name": "Bench",
            "Last name": "Register",
            "Email": f"{username}@example.com",
            "Username": username,
            "Password": REGISTER_PASSWORD,
            "Repeat password": REGISTER_PASSWORD,
            "Password hint": "bench",
        }
        for label, value in values.items():
            fields[label].input(value)
        self._submit(form, "Register").click()
        self.at.session_state[apps.EXPECTED] = username
        self.run("register")

    # ---- plumbing -----------------------------------------------------------------

    def run(self, action: str) -> None:
        if self.on_action is not None:
            self.on_action(action)
        self.at.session_state[apps.ACTION] = action
        self.at.run()
        if self.at.exception:
            raise ActionFailed(f"{action}: {self.at.exception[0].message}")

    def state(self, key: str) -> Any:
        return self.at.session_state[key] if key in self.at.session_state else None

    def _inputs(self, form: str) -> dict[str, Any]:
        found = {w.label: w for w in self.at.text_input if w.form_id == form}
        if not found:
            raise ActionFailed(f"the {form!r} form is not on the page")
        return found

    def _submit(self, form: str, label: str) -> Any:
        return next(b for b in self.at.button if b.form_id == form and b.label == label)
