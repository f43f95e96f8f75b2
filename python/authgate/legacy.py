"""Calls written for streamlit-authenticator before 0.3, which took the form
name first: ``login('Login', 'main')``, ``reset_password(username, 'Reset password')``,
``register_user('Register user', preauthorization=False)``.

The Part 2 tutorial and many apps still use them. authgate reads such a call
as the form name plus the location that followed it, and warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

FORM_LOCATIONS = ("main", "sidebar")
LOGIN_LOCATIONS = ("main", "sidebar", "unrendered")


def split_form_name(
    location: Any,
    following: Any,
    fields: Mapping[str, str] | None,
    allowed: tuple[str, ...],
    *,
    depth: int = 1,
) -> tuple[Any, Any, Mapping[str, str] | None, bool]:
    """Returns ``(location, following, fields, legacy)``.

    When ``location`` is a string that is not a location, it is the old form
    name: it becomes ``fields['Form name']``, and ``following`` (the old
    location argument) becomes the location when it is one. ``depth`` is how
    many authgate frames lie between the app's call and this one, so the
    warning points at the app's line.
    """
    if not isinstance(location, str) or location in allowed:
        return location, following, fields, False
    warnings.warn(
        f"Passing the form name ({location!r}) as the first argument is the "
        "streamlit-authenticator 0.2 API; pass fields={'Form name': ...} instead.",
        DeprecationWarning,
        stacklevel=2 + depth,
    )
    fields = {**(fields or {}), "Form name": location}
    if isinstance(following, str) and following in allowed:
        return following, None, fields, True
    return "main", following, fields, True
