"""HttpOnly cookie mode: the cookie is set and cleared by a server route.

With ``Authenticate(..., cookie_mode="httponly")`` the token never reaches the
page's JavaScript. The script stages the cookie operation here, in process
memory, under a one-time *nonce*; a tiny component POSTs that nonce to one of
the routes that :func:`routes` returns, and the route answers with the
``Set-Cookie`` header::

    # app.py — start it with `streamlit run app.py`
    import streamlit as st
    import authgate as stauth

    app = st.App("page.py", routes=stauth.routes())

Streamlit gives user routes no XSRF check: the nonce is the guard. The
rules are the core's (``authgate::cookie_route``): the nonce is 256 bits from
the OS, lives 60 seconds, is used once, and names the operation the script
staged — the request carries nothing but the nonce, so it cannot choose the
cookie's name, value or lifetime. Anything else gets ``400`` and no cookie.
On https the cookie is ``__Host-<name>`` and ``Secure``; on plain http (local
development) ``<name>``; always ``HttpOnly``, ``SameSite=Strict``, ``Path=/``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st

from . import _core
from .exceptions import AuthenticateError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

Action = Literal["set", "clear"]

DEFAULT_PREFIX = "/_authgate"
#: Seconds a staged operation waits for the browser's POST.
NONCE_TTL = _core.COOKIE_NONCE_TTL
#: Staged operations kept at most; the oldest goes first beyond it.
NONCE_CAPACITY = _core.COOKIE_NONCE_CAPACITY
NONCE_HEADER = "X-Authgate-Nonce"
_NO_STORE = {"Cache-Control": "no-store"}
_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class StagedCookie:
    """One cookie operation, staged by the script for the route to perform."""

    action: Action
    name: str
    value: str | None = None
    max_age: int = 0
    # The page the browser shows is https (st.context.url): use __Host- and Secure.
    secure: bool = False


class NonceRegistry:
    """One-time nonces for staged cookie operations, shared by the script and
    the routes of one process: the core's registry, on ``clock``.

    A nonce works once, for ``ttl`` seconds, and only for the action it was
    staged for; at most ``capacity`` operations are kept, the oldest evicted
    first.
    """

    def __init__(
        self,
        *,
        ttl: float = NONCE_TTL,
        capacity: int = NONCE_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._nonces = _core.CookieNonces(ttl, capacity)

    def stage(self, op: StagedCookie) -> str:
        """Keeps ``op`` and returns the nonce that performs it once."""
        return self._nonces.stage(
            op.action, op.name, op.value, op.max_age, op.secure, self._clock()
        )

    def take(self, nonce: str, action: Action) -> StagedCookie | None:
        """The operation staged under ``nonce`` for ``action``, or ``None``;
        the nonce is used up whatever the answer."""
        taken = self._nonces.take(nonce, action, self._clock())
        return None if taken is None else StagedCookie(*taken)

    def discard(self, nonce: str) -> None:
        """Forgets a nonce that will not be used (its operation was replaced)."""
        self._nonces.discard(nonce)

    def __len__(self) -> int:
        return self._nonces.waiting(self._clock())


REGISTRY = NonceRegistry()
_served_prefix: str | None = None


def routes(prefix: str = DEFAULT_PREFIX) -> list[BaseRoute]:
    """The Starlette routes of the HttpOnly cookie mode, for ``st.App``.

    Pass them to the app's ``st.App`` (with any routes of your own) and start
    that file with ``streamlit run``::

        app = st.App("page.py", routes=stauth.routes())
        app = st.App("page.py", routes=[*stauth.routes(), Route("/health", health)])

    They are ``POST {prefix}/cookie/set`` and ``POST {prefix}/cookie/clear``.
    Calling this also tells ``Authenticate(..., cookie_mode="httponly")`` in
    this process that the routes are served. Streamlit does not put
    ``server.baseUrlPath`` in front of user routes: with a base path ``app``,
    pass ``prefix="/app/_authgate"``.
    """
    global _served_prefix
    prefix = _check_prefix(prefix)
    _served_prefix = prefix
    return make_routes(REGISTRY, prefix)


def make_routes(registry: NonceRegistry, prefix: str = DEFAULT_PREFIX) -> list[BaseRoute]:
    """The two routes over ``registry``, without marking them as served."""
    from starlette.routing import Route

    prefix = _check_prefix(prefix)

    async def set_cookie(request: Request) -> Response:
        return _perform(registry, request, "set")

    async def clear_cookie(request: Request) -> Response:
        return _perform(registry, request, "clear")

    return [
        Route(f"{prefix}/cookie/set", set_cookie, methods=["POST"], name="authgate_cookie_set"),
        Route(
            f"{prefix}/cookie/clear", clear_cookie, methods=["POST"], name="authgate_cookie_clear"
        ),
    ]


def _perform(registry: NonceRegistry, request: Request, action: Action) -> Response:
    from starlette.responses import JSONResponse

    nonce = request.headers.get(NONCE_HEADER, "")
    op = registry.take(nonce, action) if 0 < len(nonce) <= 128 else None
    if op is None:
        return JSONResponse({"ok": False}, status_code=400, headers=_NO_STORE)
    response = JSONResponse({"ok": True}, headers=_NO_STORE)
    https = request.url.scheme == "https"
    for header in _core.cookie_headers(op.action, op.name, op.value, op.max_age, op.secure, https):
        response.headers.append("set-cookie", header)
    return response


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not prefix.startswith("/") or "?" in prefix:
        raise ValueError(f"prefix must be a path that starts with '/', not {prefix!r}")
    return prefix.rstrip("/")


def check_name(name: str) -> None:
    """A cookie name the route can send (an RFC 6265 token)."""
    try:
        _core.check_cookie_name(name)
    except _core.InvalidInput as e:
        raise AuthenticateError(str(e)) from None


def served_prefix() -> str:
    """The routes' prefix; ``AuthenticateError`` when this process serves none."""
    if _served_prefix is None:
        raise AuthenticateError(
            "cookie_mode='httponly' needs authgate's cookie routes: serve the page "
            "through st.App, e.g. app.py with `app = st.App('page.py', "
            "routes=authgate.routes())`, and start it with `streamlit run app.py`"
        )
    return _served_prefix


# ---- the script's side ------------------------------------------------------------


def page_is_https() -> bool | None:
    """Whether the browser shows the app over https; ``None`` when unknown."""
    try:
        url = st.context.url
    except Exception:  # no browser context (bare mode, AppTest)
        return None
    if not isinstance(url, str) or not url:
        return None
    return url.lower().startswith("https:")


def names_to_read(name: str) -> Sequence[str]:
    """The cookie names that may hold the token, best first (the core's rule:
    on https only ``__Host-<name>``)."""
    return _core.cookie_names_to_read(name, bool(page_is_https()))


def stage(action: Action, name: str, value: str | None, max_age: int) -> dict[str, Any]:
    """Stages an operation; returns the session_state entry the jar keeps for it."""
    prefix = served_prefix()
    op = StagedCookie(action, name, value, max_age, secure=bool(page_is_https()))
    return {
        "mode": "httponly",
        "action": action,
        "name": name,
        "value": value,  # stays on the server: the browser is sent only the nonce
        "max_age": max_age,
        "nonce": REGISTRY.stage(op),
        "url": f"{prefix}/cookie/{action}",
    }


def restage(op: dict[str, Any]) -> dict[str, Any]:
    """The same operation under a fresh nonce."""
    return stage(op["action"], op["name"], op["value"], op["max_age"])


def discard(op: dict[str, Any] | None) -> None:
    """Forgets the nonce of an operation that is being replaced."""
    if op is not None and op.get("mode") == "httponly" and op.get("nonce"):
        REGISTRY.discard(op["nonce"])


_JS = """
export default function ({ data, setTriggerValue }) {
  if (!data) return;
  const state = (window.__authgateHttpOnly ??= { status: {} });
  state.ack = setTriggerValue;  // the newest mount acknowledges
  const ack = () => state.ack("written", { op_id: data.op_id, status: state.status[data.op_id] });
  if (!(data.op_id in state.status)) {  // each op is posted once per page
    state.status[data.op_id] = null;
    fetch(data.url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Authgate-Nonce": data.nonce },
    })
      .then((r) => r.status, () => 0)
      .then((status) => { state.status[data.op_id] = status; ack(); });
  } else if (state.status[data.op_id] !== null) {
    // Acknowledge every time it is shown: an acknowledgement lost to a rerun is sent again.
    ack();
  }
}
"""

_poster = st.components.v2.component("authgate_cookie_poster", js=_JS)
_POSTER_KEY = "_authgate_cookie_poster"


def render(op: dict[str, Any]) -> int | None:
    """Shows the poster for ``op``; the route's HTTP status once acknowledged
    (0: the request failed), ``None`` while the browser has not answered."""
    data = {"op_id": op["op_id"], "url": op["url"], "nonce": op["nonce"]}
    result = _poster(data=data, key=_POSTER_KEY, height=0, on_written_change=lambda: None)
    ack = getattr(result, "written", None)
    if not isinstance(ack, dict) or ack.get("op_id") != op["op_id"]:
        return None
    status = ack.get("status")
    return status if isinstance(status, int) else 0


def log_failure(op: dict[str, Any], status: int) -> None:
    if status in (404, 405):
        _LOGGER.error(
            "authgate: POST %s answered %s: the app is not served with "
            "st.App(..., routes=authgate.routes()); the cookie was not %s",
            op["url"],
            status,
            "set" if op["action"] == "set" else "cleared",
        )
    else:
        _LOGGER.warning(
            "authgate: POST %s answered %s; the cookie was not %s (does the POST reach "
            "the process that serves this session?)",
            op["url"],
            status,
            "set" if op["action"] == "set" else "cleared",
        )
