"""Multipage apps: pages for roles, with ``st.navigation``.

``Authenticate.navigation()`` takes the app's pages, each an ``authgate.Page``
that says who it is for, and returns the ``st.navigation`` page to run::

    pg = authenticator.navigation([
        stauth.Page("views/home.py", title="Home", public=True, default=True),
        stauth.Page("views/reports.py", title="Reports"),            # logged in
        stauth.Page("views/admin.py", title="Admin", roles=["admin"]),
    ])
    pg.run()

The menu lists the pages the visitor may open (and, logged out, those any
login opens). Every other page keeps its address, but in place of its
script runs the login form (logged out: after the login the same address
shows the page, so a deep link survives the login) or a refusal (logged in
without one of its roles): a page's own code never runs for someone who may
not see it. A page script can also guard
itself with ``require_login()`` / ``require_role("admin")``.

Who may open what is the core's rule (``authgate._core.page_access``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import _core
from .exceptions import LoginError

if TYPE_CHECKING:
    from .authenticate import Location
    from .i18n import Translator

REFUSED = "You do not have access to this page."
_WARNED_PAGES_DIRS: set[Path] = set()


@dataclass(frozen=True)
class Page:
    """A page and who it is for: ``public`` (anyone), ``roles`` (logged-in
    users holding one of them) or, by default, any logged-in user. The
    other arguments are ``st.Page``'s."""

    page: str | Path | Callable[[], None]
    title: str | None = None
    icon: str | None = None
    url_path: str | None = None
    default: bool = False
    roles: Sequence[str] | None = None
    public: bool = False
    help: str | None = None

    def __post_init__(self) -> None:
        if self.public and self.roles is not None:
            raise ValueError("A page is either public or for roles, not both")
        if isinstance(self.roles, str):
            raise TypeError("roles must be a list of role names, not a string")

    def decision(self) -> str:
        """``open``, ``login`` or ``refuse`` for the visitor of this run."""
        return _decision(self.roles, self.public)


def _decision(roles: Sequence[str] | None, public: bool = False) -> str:
    """The core's rule for the visitor of this run on a page for ``roles``."""
    required = list(roles) if roles is not None else None
    return _core.page_access(_visitor_roles(), required, public)


def _visitor_roles() -> list[str] | None:
    """The logged-in user's roles (``[]`` without any); ``None`` if logged out."""
    if not st.session_state.get("authentication_status"):
        return None
    roles = st.session_state.get("roles")
    if isinstance(roles, str):
        return [roles]
    return [str(r) for r in roles] if isinstance(roles, (list, tuple)) else []


class _Host(Protocol):
    """What ``PageGuards`` uses of the ``Authenticate`` it is mixed into, and
    of itself through ``self`` (typing only)."""

    _t: Translator

    def login(
        self,
        location: Location = ...,
        max_concurrent_users: int | None = ...,
        max_login_attempts: int | None = ...,
        fields: Mapping[str, str] | None = ...,
        captcha: bool = ...,
        single_session: bool = ...,
        clear_on_submit: bool = ...,
        key: str = ...,
        callback: Callable[[dict[str, Any]], Any] | None = ...,
        *,
        two_factor_auth: bool = ...,
    ) -> tuple[str | None, bool | None, str | None] | None: ...

    # PageGuards' own
    def _require(self, roles: Sequence[str] | None, login: Mapping[str, Any]) -> None: ...
    def _stand_in(self, decision: str, login: dict[str, Any]) -> Callable[[], None]: ...


class PageGuards:
    """Mixed into ``Authenticate``."""

    def navigation(
        self: _Host,
        pages: Sequence[Page] | Mapping[str, Sequence[Page]],
        *,
        position: Literal["sidebar", "hidden", "top"] = "sidebar",
        expanded: bool = False,
        login: Mapping[str, Any] | None = None,
    ) -> Any:
        """``st.navigation`` over ``pages`` (a list, or sections of lists),
        each guarded for who it is for; returns the page to ``.run()``.
        ``login``: keyword arguments of the login form shown in place of a
        page (``fields``, ``captcha``, ``two_factor_auth``...)."""
        self.login(location="unrendered")
        _warn_about_pages_dir()
        login_kwargs = dict(login or {})

        def build(spec: Page) -> Any:
            if not isinstance(spec, Page):
                raise TypeError("navigation() takes authgate.Page objects")
            real = st.Page(
                spec.page,
                title=spec.title,
                icon=spec.icon,
                url_path=spec.url_path,
                default=spec.default,
                help=spec.help,
            )
            decision = spec.decision()
            if decision == "open":
                return real
            # Same address and title, another script: the deep link lands
            # here, and after the login on the page itself. The menu lists
            # a page that any login opens (it leads to the login form), and
            # hides one for roles the visitor lacks or may lack.
            listed = spec.default or (decision == "login" and spec.roles is None)
            return st.Page(
                self._stand_in(decision, login_kwargs),
                title=real.title,
                icon=real.icon,
                url_path=None if spec.default else real.url_path,
                default=spec.default,
                visibility="visible" if listed else "hidden",
            )

        if isinstance(pages, Mapping):
            built: Any = {section: [build(p) for p in group] for section, group in pages.items()}
        else:
            built = [build(p) for p in pages]
        return st.navigation(built, position=position, expanded=expanded)

    def require_login(self: _Host, **login: Any) -> None:
        """For a page's own script: shows the login form and stops the
        script unless a user is logged in."""
        self._require(None, login)

    def require_role(self: _Host, *roles: str, **login: Any) -> None:
        """For a page's own script: stops it, with the login form or a
        refusal, unless the logged-in user holds one of ``roles``."""
        if not roles:
            raise ValueError("require_role() needs at least one role")
        self._require(roles, login)

    def _require(self: _Host, roles: Sequence[str] | None, login: Mapping[str, Any]) -> None:
        self.login(location="unrendered")
        decision = _decision(roles)
        if decision == "open":
            return
        self._stand_in(decision, dict(login))()
        st.stop()

    def _stand_in(self: _Host, decision: str, login: dict[str, Any]) -> Callable[[], None]:
        """What runs in place of a page the visitor may not open."""

        def refused() -> None:
            st.error(self._t(REFUSED))

        def log_in() -> None:
            try:
                self.login(**login)
            except LoginError as e:
                st.error(str(e))
            if st.session_state.get("authentication_status") is False:
                st.error(self._t("Username/password is incorrect"))

        return refused if decision == "refuse" else log_in


def _warn_about_pages_dir() -> None:
    """Streamlit runs every script in a ``pages/`` folder beside the
    entrypoint as a page of its own in apps that do not call
    ``st.navigation``: such scripts are not guarded by ``navigation()``."""
    ctx = get_script_run_ctx()
    main = getattr(ctx, "main_script_path", None)
    if not main:
        return
    folder = Path(main).resolve().parent / "pages"
    if folder.is_dir() and folder not in _WARNED_PAGES_DIRS:
        _WARNED_PAGES_DIRS.add(folder)
        warnings.warn(
            f"authgate: {folder} exists. Its scripts are pages of their own where "
            "st.navigation is not used, and navigation() does not guard them: keep "
            "guarded pages in another folder (e.g. views/).",
            stacklevel=3,
        )
