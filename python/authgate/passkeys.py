"""Passkeys: WebAuthn sign-in without a password, and as the second step
after one.

``enroll_passkey()`` adds a passkey to the logged-in user's account after
their password; ``manage_passkeys()`` lists them and removes one after the
password. Once any user has a passkey, the login form offers "Sign in with
a passkey" (passwordless: the browser asks which passkey, and the
authenticator checks its owner's fingerprint, face or PIN), and a user with
a passkey is asked for it after their password (or for their
authenticator app's code, if they have one). Whether any user has one is
kept by the core for 30 s, so that the form does not ask the store on every
rerun: a first passkey enrolled by another process shows the button up to
30 s late (one enrolled in this process, at once).

The browser side is a Custom Components v2 element: its own button, so
that ``navigator.credentials.create/get`` runs in the click that asks for
it, with the options the core made; it returns the browser's response as
JSON. Every check — the challenge (single use, five minutes), the origin,
the RP id, the signature, the counter — is the core's
(``authgate._core.Authenticator``, ``passkey``); the ceremony it begins is
kept in this session's ``session_state`` and never leaves the process.

The relying party is the page's address as the browser reports it
(``st.context.url``), or ``Authenticate(app_url=...)`` (also
``AUTHGATE_APP_URL``, ``[authgate] app_url`` in secrets) behind a proxy
that changes the address; ``Authenticate(passkey_rp_id="example.com")``
lets a passkey work on every subdomain of ``example.com``. Browsers offer
passkeys to https pages and to ``http://localhost`` only.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from . import _core
from .exceptions import AuthenticateError, LoginError, ResetError
from .mailing import app_secret
from .types import PasskeyInfo

if TYPE_CHECKING:
    from .i18n import Translator

_CEREMONY = "_authgate_passkey"
_FLASH = "_authgate_passkey_flash"
_REMOVING = "_authgate_passkey_removing"
#: A ceremony this close to its end is not offered any more: the user needs
#: time to answer the browser's prompt.
_MARGIN = 30.0
#: Dict mode's refusal, as the core words it.
DICT_MODE = "Passkeys need a config file or a database store: dict mode keeps no second factors"

_JS = """
const toBytes = (text) => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};
const toText = (buffer) => {
  let s = "";
  new Uint8Array(buffer).forEach((b) => { s += String.fromCharCode(b); });
  return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
};

async function ceremony(op, options) {
  const pk = JSON.parse(options).publicKey;
  pk.challenge = toBytes(pk.challenge);
  if (op === "create") {
    pk.user.id = toBytes(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const cred = await navigator.credentials.create({ publicKey: pk });
    const r = cred.response;
    return {
      id: cred.id, rawId: toText(cred.rawId), type: cred.type,
      response: {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }
  (pk.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
  const cred = await navigator.credentials.get({ publicKey: pk });
  const r = cred.response;
  return {
    id: cred.id, rawId: toText(cred.rawId), type: cred.type,
    response: {
      authenticatorData: toText(r.authenticatorData),
      clientDataJSON: toText(r.clientDataJSON),
      signature: toText(r.signature),
      userHandle: r.userHandle ? toText(r.userHandle) : null,
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  };
}

export default function ({ data, parentElement, setTriggerValue }) {
  if (!data) return;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    // A key (Material Symbols "passkey"), drawn: no emoji font needed.
    button.innerHTML = '<svg viewBox="0 -960 960 960" aria-hidden="true">'
      + '<path d="__KEY_PATH__"/></svg><span></span>';
    parentElement.appendChild(button);
  }
  button.querySelector("span").textContent = data.label;
  button.dataset.ceremony = data.ceremony;
  const supported = !!(window.PublicKeyCredential && navigator.credentials);
  button.disabled = !supported;
  if (!supported) {
    button.title = data.unsupported;
    return;
  }
  button.onclick = async () => {
    button.disabled = true;
    try {
      const response = await ceremony(data.op, data.options);
      setTriggerValue("response", { ceremony: data.ceremony, response: JSON.stringify(response) });
    } catch (e) {
      button.disabled = false;
      setTriggerValue("response", { ceremony: data.ceremony, error: String((e && e.name) || e) });
    }
  };
}
"""

#: Material Symbols' "passkey" icon (Apache License 2.0), as an SVG path.
_KEY_PATH = (
    "M120-160v-112q0-34 17.5-62.5T184-378q62-31 126-46.5T440-440q20 0 40 1.5t40 4.5"
    "q-4 58 21 109.5t73 84.5v80H120Zm600 120-60-60v-186q-44-13-72-49.5T560-420"
    "q0-58 41-99t99-41q58 0 99 41t41 99q0 45-25.5 80T760-292l40 40-60 60 60 60-80 80Z"
    "m-280-520q-66 0-113-47t-47-113q0-66 47-113t113-47q66 0 113 47t47 113q0 66-47 113"
    "t-113 47Zm260 140q17 0 28.5-11.5T740-460q0-17-11.5-28.5T700-500q-17 0-28.5 11.5"
    "T660-460q0 17 11.5 28.5T700-420Z"
)

_CSS = """
button {
  display: inline-flex;
  align-items: center;
  gap: 0.5rem;
  font-family: var(--st-font, "Source Sans Pro", sans-serif);
  font-size: 0.875rem;
  line-height: 1.6;
  padding: 0.25rem 0.75rem;
  min-height: 2.5rem;
  color: var(--st-text-color, rgb(49, 51, 63));
  background: var(--st-background-color, #fff);
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  border-radius: var(--st-button-radius, var(--st-base-radius, 0.5rem));
  cursor: pointer;
}
button svg { width: 1.1em; height: 1.1em; fill: currentColor; flex: none; }
button:hover:not(:disabled) {
  border-color: var(--st-primary-color, rgb(255, 75, 75));
  color: var(--st-primary-color, rgb(255, 75, 75));
}
button:disabled { cursor: not-allowed; opacity: 0.6; }
"""

_button = st.components.v2.component(
    "authgate_passkey", js=_JS.replace("__KEY_PATH__", _KEY_PATH), css=_CSS
)

#: What the browser's refusals mean to the user.
_BROWSER_ERRORS = {
    "NotAllowedError": "The passkey prompt was closed or timed out: try again",
    "InvalidStateError": "This passkey is registered already",
    "AbortError": "The passkey prompt was closed or timed out: try again",
}
_BROWSER_ERROR = "This browser cannot use a passkey on this page"


def _when(unix: float | None, never: str) -> str:
    if unix is None:
        return never
    return datetime.fromtimestamp(unix, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Host(Protocol):
    """What ``PasskeyWidgets`` uses of the ``Authenticate`` it is mixed into,
    and of itself through ``self`` (typing only)."""

    attrs: dict[str, Any]
    _auth: _core.Authenticator
    _credentials: dict[str, Any] | None
    _t: Translator

    def _logged_in(
        self, result: _core.LoginResult, callback: Callable[[dict[str, Any]], Any] | None
    ) -> None: ...
    # TotpWidgets'
    def _logged_in_user(self, widget: str) -> str: ...

    # PasskeyWidgets' own
    def _passkey_site(self) -> tuple[str, str | None] | None: ...
    def _ceremony(
        self, slot: str, begin: Callable[[], tuple[_core.PasskeyCeremony, str]]
    ) -> dict[str, Any]: ...
    def _drop_ceremony(self, slot: str) -> None: ...
    def _flash(self, slot: str, message: str) -> None: ...
    def _show_flash(self, slot: str) -> None: ...
    def _passkey_response(
        self, slot: str, held: dict[str, Any], op: str, label: str
    ) -> str | None: ...


class PasskeyWidgets:
    """Mixed into ``Authenticate``."""

    # ---- the relying party ---------------------------------------------------------

    def _passkey_site(self: _Host) -> tuple[str, str | None] | None:
        """The page's address and the RP id passkeys are made for here;
        ``None`` outside a browser session (AppTest, bare mode) unless the
        app names its address."""
        rp_id = self.attrs.get("passkey_rp_id")
        if rp_id is not None and not isinstance(rp_id, str):
            raise AuthenticateError("passkey_rp_id must be a domain name such as 'example.com'")
        configured = (
            self.attrs.get("app_url") or os.environ.get("AUTHGATE_APP_URL") or app_secret("app_url")
        )
        address = configured or st.context.url
        if not isinstance(address, str) or not address:
            return None
        return address, rp_id

    # ---- one ceremony, kept between the options and the response ------------------

    def _ceremony(
        self: _Host,
        slot: str,
        begin: Callable[[], tuple[_core.PasskeyCeremony, str]],
    ) -> dict[str, Any]:
        """The open ceremony of ``slot``, begun anew when there is none, or
        it took a response, or is about to expire."""
        held = st.session_state.get(f"{_CEREMONY}-{slot}")
        if held is not None:
            ceremony: _core.PasskeyCeremony = held["ceremony"]
            if not ceremony.spent and time.time() < ceremony.expires - _MARGIN:
                return cast(dict[str, Any], held)
        ceremony, options = begin()
        held = {"ceremony": ceremony, "options": options, "id": uuid.uuid4().hex}
        st.session_state[f"{_CEREMONY}-{slot}"] = held
        return held

    def _drop_ceremony(self: _Host, slot: str) -> None:
        st.session_state.pop(f"{_CEREMONY}-{slot}", None)

    def _flash(self: _Host, slot: str, message: str) -> None:
        """Shows ``message`` at the next run (after a rerun for a new ceremony)."""
        st.session_state[f"{_FLASH}-{slot}"] = message

    def _show_flash(self: _Host, slot: str) -> None:
        message = st.session_state.pop(f"{_FLASH}-{slot}", None)
        if message:
            st.error(message)

    def _passkey_response(
        self: _Host, slot: str, held: dict[str, Any], op: str, label: str
    ) -> str | None:
        """Renders the passkey button for ``held``; the browser's response
        (JSON) in the run it arrives, else ``None``. A refusal of the
        browser (the prompt closed, no passkey) is shown here."""
        data = {
            "op": op,
            "options": held["options"],
            "ceremony": held["id"],
            "label": label,
            "unsupported": self._t(_BROWSER_ERROR),
        }
        try:
            result = _button(
                data=data, key=f"{slot}-button", height="content", on_response_change=lambda: None
            )
        except StreamlitDuplicateElementKey:
            return None
        answer = getattr(result, "response", None)
        if not isinstance(answer, dict) or answer.get("ceremony") != held["id"]:
            return None  # none, or an answer to a ceremony this session replaced
        if isinstance(answer.get("response"), str):
            return str(answer["response"])
        error = str(answer.get("error") or "")
        st.error(self._t(_BROWSER_ERRORS.get(error, _BROWSER_ERROR)))
        return None

    # ---- sign-in on the login form ---------------------------------------------------

    def _passkey_sign_in(
        self: _Host,
        location: str,
        fields: Mapping[str, str],
        key: str,
        max_concurrent_users: int | None,
        max_login_attempts: int | None,
        single_session: bool,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> None:
        """ "Sign in with a passkey" under the login form, once any user has
        a passkey; nothing otherwise (0.4.2's form stays as it was)."""
        if self._credentials is not None or not self._auth.any_passkeys():
            return
        site = self._passkey_site()
        if site is None:
            return
        slot = f"{key}-passkey"
        with st.sidebar if location == "sidebar" else nullcontext():
            try:
                held = self._ceremony(slot, lambda: self._auth.begin_passkey_login(*site))
            except _core.InvalidInput:
                return  # no address passkeys can work on (plain http): no button
            self._show_flash(slot)
            label = fields.get("Sign in with a passkey", "Sign in with a passkey")
            response = self._passkey_response(slot, held, "get", label)
        if response is None:
            return
        self._drop_ceremony(slot)
        from .authenticate import _limit

        try:
            result = self._auth.finish_passkey_login(
                held["ceremony"],
                response,
                max_login_attempts=_limit("max_login_attempts", max_login_attempts),
                max_concurrent_users=_limit("max_concurrent_users", max_concurrent_users),
                single_session=single_session,
            )
        except _core.CodeRefused as e:
            self._flash(slot, self._t(str(e)))
            st.rerun()
        except (
            _core.AccountLocked,
            _core.TooManyUsers,
            _core.SessionExists,
            _core.EmailUnverified,
            _core.InvalidInput,
        ) as e:
            raise LoginError(self._t(str(e))) from None
        self._logged_in(result, callback)

    # ---- the second step of a password login -----------------------------------------

    def _passkey_second_factor(
        self: _Host,
        location: str,
        fields: Mapping[str, str],
        key: str,
        challenge: _core.TotpChallenge,
        callback: Callable[[dict[str, Any]], Any] | None,
    ) -> None:
        """The passkey button of a login waiting for its second factor."""
        site = self._passkey_site()
        slot = f"{key}-passkey-step"
        with st.sidebar if location == "sidebar" else nullcontext():
            st.subheader(fields.get("Use a passkey", "Use a passkey"))
            if site is None:
                return
            try:
                held = self._ceremony(
                    slot, lambda: self._auth.begin_passkey_login(*site, challenge=challenge)
                )
            except (_core.WrongCode, _core.InvalidInput) as e:
                st.error(self._t(str(e)))  # no passkey for this address
                return
            except _core.CodeRefused as e:
                from .totp import _CHALLENGE

                st.session_state.pop(f"{_CHALLENGE}-{key}", None)
                raise LoginError(self._t(str(e))) from None
            self._show_flash(slot)
            label = fields.get("Sign in with a passkey", "Sign in with a passkey")
            response = self._passkey_response(slot, held, "get", label)
        if response is None:
            return
        self._drop_ceremony(slot)
        from .totp import _CHALLENGE

        try:
            result = self._auth.finish_passkey_second_factor(challenge, held["ceremony"], response)
        except _core.WrongCode as e:
            # This passkey was refused; the login takes another.
            self._flash(slot, self._t(str(e)))
            st.rerun()
        except (
            _core.CodeRefused,
            _core.AccountLocked,
            _core.TooManyUsers,
            _core.SessionExists,
        ) as e:
            # The login itself is over: expired, finished, or its password changed.
            st.session_state.pop(f"{_CHALLENGE}-{key}", None)
            raise LoginError(self._t(str(e))) from None
        st.session_state.pop(f"{_CHALLENGE}-{key}", None)
        self._logged_in(result, callback)

    # ---- enrolment and the list --------------------------------------------------------

    def enroll_passkey(
        self: _Host, name: str | None = None, key: str = "Add a passkey"
    ) -> PasskeyInfo | None:
        """Adds a passkey to the logged-in user's account: a form for its
        name (``name`` fills it in) and the user's password, then a button
        that asks the browser to make it. Returns the new passkey
        (``credential_id``, ``name``, ``rp_id``, ``created``,
        ``last_used``) in the run it is stored, else ``None``."""
        username = self._logged_in_user("enroll_passkey")
        if self._credentials is not None:
            raise AuthenticateError(DICT_MODE)
        site = self._passkey_site()
        if site is None:
            raise AuthenticateError(
                "enroll_passkey needs the page's address: run it in a browser, or pass "
                "Authenticate(..., app_url='https://app.example.com/')"
            )
        slot = f"{key}-enrol"
        held = st.session_state.get(f"{_CEREMONY}-{slot}")
        if held is not None and (
            held["ceremony"].spent or held["ceremony"].expires - _MARGIN <= time.time()
        ):
            self._drop_ceremony(slot)
            held = None
        self._show_flash(slot)
        if held is None:
            # In a slot, so that the form leaves the page once the ceremony begins.
            form_slot = st.empty()
            form = form_slot.form(key=slot)
            form.subheader(self._t("Add a passkey"))
            label = form.text_input(
                self._t("Name of the passkey"),
                value=name or "",
                max_chars=64,
                help=self._t("A name that tells your passkeys apart, such as 'Laptop'"),
            )
            password = form.text_input(self._t("Password"), type="password", autocomplete="off")
            if not form.form_submit_button(self._t("Continue")):
                return None
            try:
                ceremony, options = self._auth.begin_passkey_enrolment(
                    username, password, label, *site
                )
            except _core.InvalidCredentials:
                form.error(self._t("Password is incorrect"))
                return None
            except (_core.CodeRefused, _core.InvalidInput) as e:
                form.error(self._t(str(e)))
                return None
            except _core.AccountLocked as e:
                raise ResetError(self._t(str(e))) from None
            held = {"ceremony": ceremony, "options": options, "id": uuid.uuid4().hex}
            st.session_state[f"{_CEREMONY}-{slot}"] = held
            form_slot.empty()
        # In a slot, so that the button leaves the page once the passkey is stored.
        area = st.empty()
        with area.container():
            st.caption(self._t("Press the button and follow your browser's prompt."))
            response = self._passkey_response(slot, held, "create", self._t("Create the passkey"))
            if st.button(self._t("Cancel"), key=f"{slot}-cancel"):
                self._drop_ceremony(slot)
                st.rerun()
        if response is None:
            return None
        self._drop_ceremony(slot)
        try:
            added: PasskeyInfo = self._auth.finish_passkey_enrolment(
                held["ceremony"], username, response
            )
        except (_core.CodeRefused, _core.InvalidInput) as e:
            self._flash(slot, self._t(str(e)))
            st.rerun()
        area.empty()
        st.success(self._t("The passkey was added."))
        return added

    def manage_passkeys(self: _Host, key: str = "Passkeys") -> list[PasskeyInfo]:
        """The logged-in user's passkeys, each with when it was added and
        last used, and a button that removes it after the password. Returns
        the list as it stands at the end of the run."""
        username = self._logged_in_user("manage_passkeys")
        if self._credentials is not None:
            raise AuthenticateError(DICT_MODE)
        st.subheader(self._t("Your passkeys"))
        keys: list[PasskeyInfo] = self._auth.passkeys(username)
        if not keys:
            st.caption(self._t("No passkeys yet."))
            return keys
        never = self._t("never")
        removing = st.session_state.get(f"{_REMOVING}-{key}")
        for passkey in keys:
            cid = passkey["credential_id"]
            name_col, added_col, used_col, button_col = st.columns([3, 3, 3, 2])
            name_col.markdown(f"**{_escape(passkey['name'])}**")
            added_col.caption(f"{self._t('Added')}: {_when(passkey['created'], never)}")
            used_col.caption(f"{self._t('Last used')}: {_when(passkey['last_used'], never)}")
            if button_col.button(self._t("Remove"), key=f"{key}-remove-{cid}"):
                st.session_state[f"{_REMOVING}-{key}"] = removing = cid
        chosen = next((p for p in keys if p["credential_id"] == removing), None)
        if chosen is None:
            return keys
        form = st.form(key=f"{key}-confirm")
        form.markdown(f"{self._t('Remove passkey')} **{_escape(chosen['name'])}**")
        password = form.text_input(self._t("Password"), type="password", autocomplete="off")
        confirm, cancel = form.columns(2)
        if cancel.form_submit_button(self._t("Cancel")):
            st.session_state.pop(f"{_REMOVING}-{key}", None)
            st.rerun()
        if not confirm.form_submit_button(self._t("Remove passkey")):
            return keys
        try:
            self._auth.remove_passkey(username, chosen["credential_id"], password)
        except _core.InvalidCredentials:
            form.error(self._t("Password is incorrect"))
            return keys
        except (_core.CodeRefused, _core.AccountLocked) as e:
            raise ResetError(self._t(str(e))) from None
        st.session_state.pop(f"{_REMOVING}-{key}", None)
        st.rerun()


def _escape(text: str) -> str:
    """``text`` shown as itself in markdown."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>~" else c for c in text)
