"""sessions(): a user lists their sessions and ends one, or all but this
one, in every mode (AppTest); the ended browser is logged out at its next
rerun, and nobody else's session can be ended."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.test_widgets import Mode, app, errors, log_in, mode

__all__ = ["mode"]

KEY = "Sessions"


def browser(mode: Mode, username: str = "jsmith", password: str = "abc") -> AppTest:
    return log_in(app(mode, [("sessions", {})]), username, password)


def rows(at: AppTest) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def press(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return at.run()


def logged_in(at: AppTest) -> bool:
    return at.run().session_state["authentication_status"] is True


def test_a_user_ends_one_session_then_all_others(mode: Mode) -> None:
    first, second, third = browser(mode), browser(mode), browser(mode)
    theirs = browser(mode, "rbriggs", "def")
    at = first.run()
    assert not errors(at)
    listed = rows(at)
    assert len(listed) == 3, "only jsmith's sessions"
    assert [r["Browser"] for r in listed].count("Unknown browser (this one)") == 1
    # The other two are offered by their description; their ids stay server-side.
    offered = at.selectbox(key=f"{KEY}-pick").options
    assert len(offered) == 2
    assert all(o.startswith("Unknown browser, last seen ") for o in offered), offered

    at = press(at, f"{KEY}-end")
    assert [s.value for s in at.success] == ["The session was ended."]
    assert len(rows(at)) == 2
    assert [logged_in(second), logged_in(third)].count(False) == 1

    at = press(at, f"{KEY}-end-others")
    assert [s.value for s in at.success] == ["Every other browser was logged out."]
    assert len(rows(at)) == 1
    assert [c.value for c in at.caption] == ["No other browser is logged in as you."]
    assert not logged_in(second) and not logged_in(third)
    assert logged_in(at), "this browser stays in"
    assert logged_in(theirs), "another user's session is untouched"


def test_the_widget_needs_a_login(mode: Mode) -> None:
    at = app(mode, [("sessions", {})])
    assert errors(at) == ["LoginError: User must be logged in to use this widget"]
