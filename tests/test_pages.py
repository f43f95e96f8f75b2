"""Role guards for multipage apps (authgate.Page, navigation, require_login,
require_role), driven through AppTest; the browser side is in
tests/browser/test_multipage_browser.py."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import authgate as stauth
from tests.test_widgets import errors, log_in

SECRET = "admin figures: 42"


def guarded(config_path: Path, guard: str) -> AppTest:
    script = f"""
        import streamlit as st
        import authgate as stauth
        authenticator = stauth.Authenticate({str(config_path)!r})
        authenticator.{guard}
        st.write({SECRET!r})
        """
    return AppTest.from_string(textwrap.dedent(script), default_timeout=30).run()


def shown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


@pytest.mark.parametrize("guard", ['require_role("admin")', "require_login()"])
def test_a_guarded_script_stops_before_its_code_until_login(config_path: Path, guard: str) -> None:
    at = guarded(config_path, guard)
    assert SECRET not in shown(at)
    assert [b.label for b in at.button] == ["Login"]
    at = log_in(at, "jsmith", "wrong")
    assert SECRET not in shown(at)
    assert "Username/password is incorrect" in errors(at)
    at = log_in(at, "jsmith", "abc")
    assert SECRET in shown(at)


def test_require_role_refuses_a_user_without_it(config_path: Path) -> None:
    at = log_in(guarded(config_path, 'require_role("admin", "editor")'), "rbriggs", "def")
    assert at.session_state["authentication_status"] is True
    assert SECRET not in shown(at)
    assert "You do not have access to this page." in errors(at)
    at = log_in(guarded(config_path, 'require_role("viewer")'), "rbriggs", "def")
    assert SECRET in shown(at)


def test_navigation_runs_only_the_pages_the_visitor_may_open(config_path: Path) -> None:
    script = f"""
        import streamlit as st
        import authgate as stauth
        authenticator = stauth.Authenticate({str(config_path)!r})
        def home():
            st.write("home page")
        def admin():
            st.write({SECRET!r})
        page = authenticator.navigation([
            stauth.Page(home, title="Home", public=True),
            stauth.Page(admin, title="Admin", roles=["admin"], default=True),
        ])
        page.run()
        """
    at = AppTest.from_string(textwrap.dedent(script), default_timeout=30).run()
    # The default page is for admins: logged out, its address shows the login.
    assert SECRET not in shown(at)
    at = log_in(at, "rbriggs", "def")
    assert SECRET not in shown(at)
    assert "You do not have access to this page." in errors(at)
    fresh = AppTest.from_string(textwrap.dedent(script), default_timeout=30).run()
    assert SECRET in shown(log_in(fresh, "jsmith", "abc"))


def test_pages_say_who_they_are_for_unambiguously() -> None:
    with pytest.raises(ValueError, match="either public or for roles"):
        stauth.Page("x.py", public=True, roles=["admin"])
    with pytest.raises(TypeError, match="list of role names"):
        stauth.Page("x.py", roles="admin")  # type: ignore[arg-type]


def test_a_pages_folder_beside_the_entrypoint_is_warned_about(
    config_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "pages").mkdir()
    entry = tmp_path / "app.py"
    entry.write_text(
        textwrap.dedent(
            f"""
            import streamlit as st
            import authgate as stauth
            authenticator = stauth.Authenticate({str(config_path)!r})
            def home():
                st.write("home")
            authenticator.navigation([stauth.Page(home, public=True)]).run()
            """
        )
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AppTest.from_file(str(entry), default_timeout=30).run()
    assert any("pages" in str(w.message) and "navigation()" in str(w.message) for w in caught)
