"""The two libraries under test, behind one small interface.

Workers import a library only when a job needs it, so each subprocess holds
one library's code and data, never both.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


@dataclass(frozen=True)
class Library:
    key: str
    label: str
    module: str
    distribution: str
    init: dict[str, Any] = field(default_factory=dict)
    # Hashes plaintext passwords inside Authenticate(), in memory, and leaves the
    # file as it is until its next write (0.4.2: AuthenticationModel.__init__).
    hashes_in_memory: bool = False

    def load(self) -> Any:
        return importlib.import_module(self.module)

    def version(self) -> str:
        return metadata.version(self.distribution)

    def verify(self, password: str, hashed: str) -> bool:
        """One bcrypt verify, with the function the library's login uses."""
        if self.key == AUTHGATE.key:
            from authgate import _core

            return _core.verify_password(password, hashed)
        return bool(self.load().Hasher.check_pw(password, hashed))

    def hash(self, password: str) -> str:
        """One bcrypt hash at the cost the library's register uses (12 for both)."""
        if self.key == AUTHGATE.key:
            from authgate import _core

            return _core.hash_password(password)
        return str(self.load().Hasher.hash(password))


AUTHGATE = Library("authgate", "authgate", "authgate", "authgate")
# 0.4.2 sleeps 0.7 s in every login() of a logged-out session
# (params.PRE_LOGIN_SLEEP_TIME); it is switched off so that both columns
# measure work, not a fixed sleep. A real 0.4.2 app pays it on top.
SA042 = Library(
    "sa042",
    "streamlit-authenticator 0.4.2",
    "streamlit_authenticator",
    "streamlit-authenticator",
    {"login_sleep_time": 0},
    hashes_in_memory=True,
)
LIBRARIES = {lib.key: lib for lib in (AUTHGATE, SA042)}
