"""``Validator``: streamlit-authenticator 0.4.2's input rules, overridable.

Subclass it and override a method to use your own rule; authgate calls the
validator you pass everywhere a value is checked. The rules themselves are
the core's, and this class relays them: the password rule
(``authgate::password_policy`` in Rust, which the CLI and the random
password generator follow too) and the username, email and name rules
(``authgate::identity_rules``, which the CLI's ``users add`` and the admin
page's new accounts follow too). They are 0.4.2's regular expressions, but
a value ending in a newline is refused (Python's ``$`` let one through).
"""

from __future__ import annotations

from . import _core

PASSWORD_SPECIALS = _core.DEFAULT_PASSWORD_SPECIALS
PASSWORD_INSTRUCTIONS = f"""
**Password must be:**
- Between {_core.DEFAULT_PASSWORD_MIN_CHARS} and {_core.DEFAULT_PASSWORD_MAX_CHARS} characters long.
- Contain at least one lowercase letter.
- Contain at least one uppercase letter.
- Contain at least one digit.
- Contain at least one special character from {PASSWORD_SPECIALS}.
"""


class Validator:
    """Checks usernames, names, emails and passwords."""

    # Lengths diagnose_password names; validate_password keeps the core's
    # rule (8 to 20), as 0.4.2 hard-codes it.
    min_password_length = _core.DEFAULT_PASSWORD_MIN_CHARS
    max_password_length = _core.DEFAULT_PASSWORD_MAX_CHARS

    def diagnose_password(self, password: str) -> str:
        """A message listing every rule ``password`` breaks (the core's
        default rule, in 0.4.2's words)."""
        missing = _core.default_password_missing(
            password, self.min_password_length, self.max_password_length
        )
        return "**Password must:** \n\n" + "".join(f"{line} \n\n" for line in missing)

    def password_instructions(self) -> str:
        """The rules, shown as help text next to password fields."""
        return PASSWORD_INSTRUCTIONS

    def validate_email(self, email: str) -> bool:
        """Whether ``email`` is an address: ``local@domain.tld``, in ASCII."""
        return _core.valid_email(email)

    def validate_length(self, variable: str, min_length: int = 0, max_length: int = 254) -> bool:
        """Whether ``variable`` has between ``min_length`` and ``max_length``
        characters, on one line."""
        return _core.valid_length(variable, min_length, max_length)

    def validate_name(self, name: str) -> bool:
        """Whether ``name`` is 2–100 letters, spaces, apostrophes, dots or hyphens."""
        return _core.valid_name(name)

    def validate_password(self, password: str) -> bool:
        """Whether ``password`` meets every rule (the core's default rule)."""
        return _core.default_password_accepted(password)

    def validate_username(self, username: str) -> bool:
        """Whether ``username`` is 1–20 of ``[a-zA-Z0-9_-]`` or an email address."""
        return _core.valid_username(username)


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
