"""``Hasher``: streamlit-authenticator's classmethods, on the Rust bcrypt."""

from __future__ import annotations

from typing import Any

from . import _core


class Hasher:
    """Hashes and checks passwords with bcrypt (``$2b$12$``), off the GIL."""

    @classmethod
    def check_pw(cls, password: str, hashed_password: str) -> bool:
        """Whether ``password`` matches ``hashed_password``."""
        return _core.verify_password(password, hashed_password)

    @classmethod
    def hash(cls, password: str) -> str:
        """A new bcrypt hash of ``password``."""
        return _core.hash_password(password)

    @classmethod
    def hash_list(cls, passwords: list[str]) -> list[str]:
        """Hashes of ``passwords``, computed on every core, in order."""
        return _core.hash_passwords(list(passwords))

    @classmethod
    def hash_passwords(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        """Replaces every plaintext password in ``credentials`` by its hash, in place."""
        users = credentials["usernames"]
        plain = [
            name
            for name, user in users.items()
            if isinstance(user.get("password"), str) and not cls.is_hash(user["password"])
        ]
        for name, hashed in zip(
            plain, cls.hash_list([users[n]["password"] for n in plain]), strict=True
        ):
            users[name]["password"] = hashed
        return credentials

    @classmethod
    def is_hash(cls, hash_string: str) -> bool:
        """Whether ``hash_string`` is a bcrypt hash."""
        return _core.is_hash(hash_string)
