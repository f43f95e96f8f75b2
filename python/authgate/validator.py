"""``Validator``: streamlit-authenticator 0.4.2's input rules, overridable.

Subclass it and override a method to use your own rule; authgate calls the
validator you pass everywhere a value is checked.
"""

from __future__ import annotations

import re

from . import _core

PASSWORD_SPECIALS = "!@#$%^&*()_+-=[]{};:'\"\\|,.<>/?`~"
PASSWORD_INSTRUCTIONS = f"""
**Password must be:**
- Between 8 and 20 characters long.
- Contain at least one lowercase letter.
- Contain at least one uppercase letter.
- Contain at least one digit.
- Contain at least one special character from {PASSWORD_SPECIALS}.
"""

_SPECIAL = r"[!@#$%^&*()_+\-=\[\]{};:'\"\\|,.<>\/?`~]"
_EMAIL = r"^[a-zA-Z0-9._%+-]{1,254}@[a-zA-Z0-9.-]{1,253}\.[a-zA-Z]{2,63}$"
_NAME = r"^[A-Za-z\u00C0-\u024F\u0370-\u1FFF\u2C00-\uD7FF\u4E00-\u9FFF' .-]{2,100}$"
_PASSWORD = (
    r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*()_+\-=\[\]{};':\"\\|,.<>\/?`~])"
    r"[A-Za-z\d!@#$%^&*()_+\-=\[\]{};':\"\\|,.<>\/?`~]{8,20}$"
)
_USERNAME = r"^([a-zA-Z0-9_-]{1,20}|[a-zA-Z0-9._%+-]{1,254}@[a-zA-Z0-9.-]{1,253}\.[a-zA-Z]{2,63})$"


class Validator:
    """Checks usernames, names, emails and passwords."""

    min_password_length = 8
    max_password_length = 20  # the default rules below hard-code 8-20, as 0.4.2 does

    def diagnose_password(self, password: str) -> str:
        """A message listing every rule ``password`` breaks."""
        errors = []
        if not self.min_password_length <= len(password) <= self.max_password_length:
            errors.append(
                f"Between {self.min_password_length} and {self.max_password_length} "
                "characters long \n\n"
            )
        if not re.search(r"[a-z]", password):
            errors.append("Contain at least one lowercase letter \n\n")
        if not re.search(r"[A-Z]", password):
            errors.append("Contain at least one uppercase letter \n\n")
        if not re.search(r"\d", password):
            errors.append("Contain at least one digit \n\n")
        if not re.search(_SPECIAL, password):
            errors.append("Contain at least one special character (@$!%*?&) \n\n")
        return "**Password must:** \n\n" + "".join(errors)

    def password_instructions(self) -> str:
        """The rules, shown as help text next to password fields."""
        return PASSWORD_INSTRUCTIONS

    def validate_email(self, email: str) -> bool:
        """Whether ``email`` looks like an address."""
        return bool(re.match(_EMAIL, email))

    def validate_length(self, variable: str, min_length: int = 0, max_length: int = 254) -> bool:
        """Whether ``variable`` has between ``min_length`` and ``max_length`` characters."""
        return bool(re.match(rf"^.{{{min_length},{max_length}}}$", variable))

    def validate_name(self, name: str) -> bool:
        """Whether ``name`` is 2–100 letters, spaces, apostrophes, dots or hyphens."""
        return bool(re.match(_NAME, name, re.UNICODE))

    def validate_password(self, password: str) -> bool:
        """Whether ``password`` meets every rule."""
        return bool(re.match(_PASSWORD, password))

    def validate_username(self, username: str) -> bool:
        """Whether ``username`` is 1–20 of ``[a-zA-Z0-9_-]`` or an email address."""
        return bool(re.match(_USERNAME, username))


NIST_INSTRUCTIONS = """
**Password:**
- At least 8 characters; spaces and any letters are welcome (a few words make a good one).
- Not one of the most common passwords, and not easy to guess from your name.
"""


class NistValidator(Validator):
    """``Validator`` whose password rule follows NIST SP 800-63B
    (``Authenticate(..., password_policy="nist")``): at least 8 characters,
    no composition rules, not among the 10,000 most common passwords, a
    zxcvbn score of at least 3 of 4. The rule is the core's
    (``authgate._core.password_strength``); names, emails and usernames keep
    0.4.2's rules."""

    def validate_password(self, password: str) -> bool:
        return bool(_core.password_strength(password)["accepted"])

    def diagnose_password(self, password: str) -> str:
        """The strength meter: the score, what is wrong, zxcvbn's advice."""
        strength = _core.password_strength(password)
        lines = [f"**Password strength: {strength['score']} of 4.**"]
        lines += strength["problems"]
        lines += strength["suggestions"]
        return " \n\n".join(lines)

    def password_instructions(self) -> str:
        return NIST_INSTRUCTIONS
