"""HttpOnly cookie mode: the nonce registry, the routes (Starlette's TestClient)
and ``Authenticate(cookie_mode="httponly")`` under AppTest."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette

from authgate import httponly
from authgate.httponly import NonceRegistry, StagedCookie, make_routes
from tests.conftest import make_config, pending_cookie_op
from tests.test_login import KEY, start, state, submit

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package; httpx works the same here.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient

COOKIE = "authgate_test"
SET = "/_authgate/cookie/set"
CLEAR = "/_authgate/cookie/clear"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- the registry ---------------------------------------------------------------


def test_a_nonce_works_once() -> None:
    reg = NonceRegistry()
    op = StagedCookie("set", COOKIE, "token", 60)
    nonce = reg.stage(op)
    assert len(nonce) >= 43, "256 bits"
    assert reg.take(nonce, "set") == op
    assert reg.take(nonce, "set") is None
    assert len(reg) == 0


def test_a_nonce_expires_after_60_seconds() -> None:
    clock = Clock()
    reg = NonceRegistry(clock=clock)
    early = reg.stage(StagedCookie("set", COOKIE, "a", 60))
    late = reg.stage(StagedCookie("set", COOKIE, "b", 60))
    clock.now += 59.9
    assert reg.take(early, "set") is not None
    clock.now += 0.1
    assert reg.take(late, "set") is None
    assert len(reg) == 0


def test_unknown_and_empty_nonces_find_nothing() -> None:
    reg = NonceRegistry()
    reg.stage(StagedCookie("set", COOKIE, "token", 60))
    assert reg.take("not-a-nonce", "set") is None
    assert reg.take("", "set") is None
    assert len(reg) == 1


def test_a_nonce_only_performs_the_staged_action_and_a_wrong_try_uses_it_up() -> None:
    reg = NonceRegistry()
    nonce = reg.stage(StagedCookie("set", COOKIE, "token", 60))
    assert reg.take(nonce, "clear") is None
    assert reg.take(nonce, "set") is None


def test_the_registry_is_capped_and_evicts_the_oldest() -> None:
    clock = Clock()
    reg = NonceRegistry(capacity=3, clock=clock)
    nonces = []
    for i in range(5):
        nonces.append(reg.stage(StagedCookie("clear", f"c{i}")))
        clock.now += 1
    assert len(reg) == 3
    assert reg.take(nonces[0], "clear") is None
    assert reg.take(nonces[1], "clear") is None
    assert [reg.take(n, "clear").name for n in nonces[2:]] == ["c2", "c3", "c4"]


def test_expired_entries_make_room_before_live_ones_are_evicted() -> None:
    clock = Clock()
    reg = NonceRegistry(capacity=2, clock=clock)
    reg.stage(StagedCookie("clear", "old"))
    clock.now += 30
    live = reg.stage(StagedCookie("clear", "live"))
    clock.now += 31  # "old" expired, "live" has 29 s left
    newest = reg.stage(StagedCookie("clear", "newest"))
    assert reg.take(live, "clear").name == "live"
    assert reg.take(newest, "clear").name == "newest"


def test_a_flood_of_anonymous_stagings_stays_within_the_cap() -> None:
    reg = NonceRegistry(capacity=100)
    for _ in range(10_000):
        reg.stage(StagedCookie("clear", COOKIE))
    assert len(reg) == 100


def test_discard_forgets_a_replaced_operation() -> None:
    reg = NonceRegistry()
    nonce = reg.stage(StagedCookie("set", COOKIE, "token", 60))
    reg.discard(nonce)
    reg.discard(nonce)
    assert reg.take(nonce, "set") is None


# ---- the routes -----------------------------------------------------------------


@pytest.fixture
def reg() -> NonceRegistry:
    return NonceRegistry()


def client(reg: NonceRegistry, base_url: str = "http://testserver") -> TestClient:
    return TestClient(Starlette(routes=make_routes(reg)), base_url=base_url)


def post(c: TestClient, path: str, nonce: str | None) -> Any:
    return c.post(path, headers={} if nonce is None else {"X-Authgate-Nonce": nonce})


def attrs(set_cookie: str) -> tuple[str, str, set[str]]:
    """(name, value, lower-cased attributes) of one Set-Cookie header."""
    first, *rest = [p.strip() for p in set_cookie.split(";")]
    name, _, value = first.partition("=")
    return name, value, {a.lower() for a in rest}


def test_set_over_http_is_httponly_strict_path_root_and_not_secure(reg: NonceRegistry) -> None:
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    r = post(client(reg), SET, nonce)
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    assert r.headers["cache-control"] == "no-store"
    [header] = r.headers.get_list("set-cookie")
    name, value, a = attrs(header)
    assert (name, value) == (COOKIE, "tok.en")
    assert {"httponly", "samesite=strict", "path=/", "max-age=3600"} <= a
    assert "secure" not in a
    assert not any(x.startswith("domain") for x in a)


def test_set_over_https_is_host_prefixed_and_secure(reg: NonceRegistry) -> None:
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    r = post(client(reg, "https://testserver"), SET, nonce)
    assert r.status_code == 200
    headers = r.headers.get_list("set-cookie")
    name, value, a = attrs(headers[0])
    assert (name, value) == (f"__Host-{COOKIE}", "tok.en")
    assert {"httponly", "secure", "samesite=strict", "path=/", "max-age=3600"} <= a
    assert not any(x.startswith("domain") for x in a)
    # The unprefixed cookie a script writer may have left is deleted.
    name, _, a = attrs(headers[1])
    assert name == COOKIE and "max-age=0" in a


def test_a_page_staged_as_https_gets_secure_behind_a_plain_http_proxy(reg: NonceRegistry) -> None:
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 60, secure=True))
    r = post(client(reg), SET, nonce)
    name, _, a = attrs(r.headers.get_list("set-cookie")[0])
    assert name == f"__Host-{COOKIE}" and "secure" in a


@pytest.mark.parametrize("base", ["http://testserver", "https://testserver"])
def test_clear_deletes_the_cookie(reg: NonceRegistry, base: str) -> None:
    c = client(reg, base)
    post(c, SET, reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600)))
    assert len(c.cookies) == 1
    r = post(c, CLEAR, reg.stage(StagedCookie("clear", COOKIE)))
    assert r.status_code == 200
    name, value, a = attrs(r.headers.get_list("set-cookie")[0])
    expected = f"__Host-{COOKIE}" if base.startswith("https") else COOKIE
    assert name == expected
    assert value in ("", '""')
    assert {"httponly", "samesite=strict", "path=/", "max-age=0"} <= a
    assert len(c.cookies) == 0


def test_a_replayed_nonce_gets_400_and_sets_nothing(reg: NonceRegistry) -> None:
    c = client(reg)
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    assert post(c, SET, nonce).status_code == 200
    c.cookies.clear()
    r = post(c, SET, nonce)
    assert r.status_code == 400
    assert r.json() == {"ok": False}
    assert "set-cookie" not in r.headers
    assert len(c.cookies) == 0


def test_a_stale_nonce_gets_400_and_sets_nothing() -> None:
    clock = Clock()
    reg = NonceRegistry(clock=clock)
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    clock.now += 61
    r = post(client(reg), SET, nonce)
    assert r.status_code == 400 and "set-cookie" not in r.headers


@pytest.mark.parametrize("nonce", [None, "", "unknown", "x" * 5000])
def test_unknown_or_missing_nonces_get_400(reg: NonceRegistry, nonce: str | None) -> None:
    reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    for path in (SET, CLEAR):
        r = post(client(reg), path, nonce)
        assert r.status_code == 400 and "set-cookie" not in r.headers


def test_a_set_nonce_does_not_clear_and_a_clear_nonce_does_not_set(reg: NonceRegistry) -> None:
    c = client(reg)
    r = post(c, CLEAR, reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600)))
    assert r.status_code == 400 and "set-cookie" not in r.headers
    r = post(c, SET, reg.stage(StagedCookie("clear", COOKIE)))
    assert r.status_code == 400 and "set-cookie" not in r.headers


def test_the_routes_are_post_only(reg: NonceRegistry) -> None:
    nonce = reg.stage(StagedCookie("set", COOKIE, "tok.en", 3600))
    c = client(reg)
    assert c.get(SET, headers={"X-Authgate-Nonce": nonce}).status_code == 405
    assert c.get(CLEAR).status_code == 405
    assert post(c, SET, nonce).status_code == 200, "a refused GET does not use the nonce"


def test_routes_take_a_prefix_and_mark_the_process_as_serving_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(httponly, "_served_prefix", None)
    with pytest.raises(httponly.AuthenticateError, match="routes"):
        httponly.served_prefix()
    paths = [r.path for r in httponly.routes(prefix="/app/_authgate/")]
    assert paths == ["/app/_authgate/cookie/set", "/app/_authgate/cookie/clear"]
    assert httponly.served_prefix() == "/app/_authgate"
    with pytest.raises(ValueError):
        httponly.routes(prefix="_authgate")


# ---- Authenticate(cookie_mode="httponly") under AppTest ---------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httponly, "_served_prefix", None)
    httponly.routes()


HTTPONLY = {"cookie_mode": "httponly"}


def test_httponly_mode_without_the_routes_is_an_authenticate_error(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httponly, "_served_prefix", None)
    at = start(config_path, HTTPONLY)
    assert at.exception
    assert "authgate.routes()" in at.exception[0].message


def test_an_unknown_cookie_mode_is_an_authenticate_error(config_path: Path) -> None:
    at = start(config_path, {"cookie_mode": "secure"})
    assert at.exception and "cookie_mode" in at.exception[0].message


def test_httponly_mode_refuses_a_cookie_name_no_header_can_carry(
    cookie_name: str, served: None
) -> None:
    from tests.apps import CREDENTIALS

    CREDENTIALS.clear()
    CREDENTIALS.update(make_config()["credentials"])
    at = start("dict", {"cookie_name": "my cookie", **HTTPONLY})
    assert at.exception and "cookie name" in at.exception[0].message
    at = start("dict", {"cookie_name": cookie_name, **HTTPONLY})
    assert not at.exception


def test_login_stages_the_token_and_sends_the_browser_only_the_nonce(
    config_path: Path, served: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[dict[str, Any]] = []
    real = httponly._poster

    def spy(**kwargs: Any) -> Any:
        shown.append(kwargs["data"])
        return real(**kwargs)

    monkeypatch.setattr(httponly, "_poster", spy)
    at = submit(start(config_path, HTTPONLY), "jsmith", "abc")
    assert state(at, "authentication_status") is True
    op = pending_cookie_op(at)
    assert op["mode"] == "httponly" and op["action"] == "set"
    assert op["url"] == SET
    claims = jwt.decode(op["value"], KEY, algorithms=["HS256"])
    assert claims["username"] == "jsmith"
    assert shown and shown[-1] == {"op_id": op["op_id"], "url": SET, "nonce": op["nonce"]}
    assert all(op["value"] not in repr(data) for data in shown)
    staged = httponly.REGISTRY.take(op["nonce"], "set")
    assert staged == StagedCookie("set", COOKIE, op["value"], 30 * 86400)


def test_logout_stages_a_clear_and_drops_the_unused_set(config_path: Path, served: None) -> None:
    at = submit(start(config_path, HTTPONLY), "jsmith", "abc")
    set_nonce = pending_cookie_op(at)["nonce"]
    at.button(key="Logout").click()
    at = at.run()
    op = pending_cookie_op(at)
    assert op["action"] == "clear" and op["url"] == CLEAR and op["value"] is None
    assert httponly.REGISTRY.take(set_nonce, "set") is None, "replaced: forgotten"
    assert httponly.REGISTRY.take(op["nonce"], "clear") == StagedCookie("clear", COOKIE)


def test_the_host_prefixed_cookie_logs_in(
    config_path: Path, served: None, browser_cookies: dict[str, str]
) -> None:
    token = pending_cookie_op(submit(start(config_path, HTTPONLY), "jsmith", "abc"))["value"]
    browser_cookies[f"__Host-{COOKIE}"] = token
    at = start(config_path, HTTPONLY)
    assert state(at, "authentication_status") is True
    assert pending_cookie_op(at) is None


def test_on_https_an_unprefixed_cookie_is_not_read(
    config_path: Path,
    served: None,
    browser_cookies: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = pending_cookie_op(submit(start(config_path, HTTPONLY), "jsmith", "abc"))["value"]
    monkeypatch.setattr(httponly, "page_is_https", lambda: True)
    browser_cookies[COOKIE] = token  # could have been planted by a sibling subdomain
    assert state(start(config_path, HTTPONLY), "authentication_status") is None
    browser_cookies[f"__Host-{COOKIE}"] = token
    assert state(start(config_path, HTTPONLY), "authentication_status") is True


def test_on_http_the_unprefixed_cookie_is_read(
    config_path: Path, served: None, browser_cookies: dict[str, str]
) -> None:
    token = pending_cookie_op(submit(start(config_path, HTTPONLY), "jsmith", "abc"))["value"]
    browser_cookies[COOKIE] = token
    assert state(start(config_path, HTTPONLY), "authentication_status") is True


def test_a_refused_cookie_stages_a_clear(
    config_path: Path, served: None, browser_cookies: dict[str, str]
) -> None:
    browser_cookies[COOKIE] = "not-a-token"
    at = start(config_path, HTTPONLY)
    assert state(at, "authentication_status") is None
    op = pending_cookie_op(at)
    assert op["mode"] == "httponly" and op["action"] == "clear"


def test_script_mode_is_unchanged(config_path: Path) -> None:
    at = submit(start(config_path), "jsmith", "abc")
    op = pending_cookie_op(at)
    assert set(op) == {"name", "value", "max_age", "op_id"}
    assert op["name"] == COOKIE


class FakeBrowser:
    """Stands in for the poster: silent the first time an operation is shown
    (the browser has not posted yet), then acknowledges with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.seen: list[str] = []
        self.ops: list[dict[str, Any]] = []

    def __call__(self, op: dict[str, Any]) -> int | None:
        if op["op_id"] not in self.seen:
            self.seen.append(op["op_id"])
            self.ops.append(dict(op))
            return None
        return self.status


def test_an_acknowledged_post_clears_the_queue(
    config_path: Path, served: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httponly, "render", FakeBrowser(200))
    at = submit(start(config_path, HTTPONLY), "jsmith", "abc")
    assert state(at, "authentication_status") is True
    assert pending_cookie_op(at) is None


def test_a_refused_post_is_tried_once_more_with_a_fresh_nonce_then_given_up(
    config_path: Path,
    served: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = FakeBrowser(400)
    monkeypatch.setattr(httponly, "render", browser)
    at = submit(start(config_path, HTTPONLY), "jsmith", "abc")
    op = pending_cookie_op(at)
    assert op["retried"] is True and len(browser.ops) == 2
    first, retry = browser.ops
    assert op["op_id"] == retry["op_id"] != first["op_id"]
    assert retry["nonce"] != first["nonce"] and retry["value"] == first["value"]
    assert httponly.REGISTRY.take(op["nonce"], "set") is not None, "a live, fresh nonce"
    at = at.run()
    assert pending_cookie_op(at) is None
    assert state(at, "authentication_status") is True, "still logged in for this session"
    assert "answered 400" in caplog.text


def test_a_missing_route_is_logged_and_not_retried(
    config_path: Path,
    served: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(httponly, "render", FakeBrowser(404))
    at = submit(start(config_path, HTTPONLY), "jsmith", "abc")
    assert pending_cookie_op(at) is None
    assert "authgate.routes()" in caplog.text
