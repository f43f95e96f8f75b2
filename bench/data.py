"""Generated configs, written once per run and copied for each library.

The YAML is written as text in exactly the layout ``yaml.dump(...,
default_flow_style=False)`` produces (sorted keys), which is fast enough for
100,000 users. Password hashes come from a small pool: every user has the
same password and the pool's hashes differ only by salt, so a file holds as
many bytes as one with a hash per user.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import bcrypt

PASSWORD = "bench-pass"
WRONG_PASSWORD = "wrong-pass"
REGISTER_PASSWORD = "Bench-pass1!"  # new users (hashed at cost 12 by the library)
COOKIE_KEY = "bench-cookie-key-0123456789abcdef"
COOKIE_NAME = "authgate_bench"
# Every plaintext password of the start-up figure contains this marker, so a
# file holds a plaintext password if and only if it holds the marker.
PLAINTEXT_MARKER = "plain-secret-"
_POOL_SIZE = 64


def username(index: int) -> str:
    return f"user{index:07d}"


def plaintext_password(index: int) -> str:
    return f"{PLAINTEXT_MARKER}{index:04d}"


def hash_pool(cost: int, size: int = _POOL_SIZE) -> list[str]:
    """``size`` bcrypt hashes of :data:`PASSWORD` at ``cost``, each with its own salt."""
    secret = PASSWORD.encode()
    return [bcrypt.hashpw(secret, bcrypt.gensalt(cost)).decode() for _ in range(size)]


def _user_yaml(name: str, index: int, password: str) -> str:
    return (
        f"    {name}:\n"
        f"      email: {name}@example.com\n"
        "      failed_login_attempts: 0\n"
        f"      first_name: First{index}\n"
        f"      last_name: Last{index}\n"
        "      logged_in: false\n"
        f"      password: {password}\n"
        "      roles:\n"
        "      - viewer\n"
    )


def write_config(path: Path, passwords: Iterable[str]) -> Path:
    """A config.yaml with one user per password: ``user0000000``, ``user0000001``, …"""
    parts = [
        "cookie:\n",
        "  expiry_days: 30\n",
        f"  key: {COOKIE_KEY}\n",
        f"  name: {COOKIE_NAME}\n",
        "credentials:\n",
        "  usernames:\n",
    ]
    parts.extend(_user_yaml(username(i), i, pw) for i, pw in enumerate(passwords))
    path.write_text("".join(parts), encoding="utf-8")
    return path


def hashed_config(path: Path, users: int, pool: list[str]) -> Path:
    """``users`` users, all with :data:`PASSWORD`, hashed with the pool's hashes."""
    return write_config(path, (pool[i % len(pool)] for i in range(users)))


def plaintext_config(path: Path, users: int) -> Path:
    """``users`` users whose passwords are plaintext (``auto_hash`` hashes them)."""
    return write_config(path, (plaintext_password(i) for i in range(users)))
