"""authgate: authentication for Streamlit apps, with every rule in a Rust core.

A drop-in replacement for streamlit-authenticator 0.4.2::

    import authgate as stauth

    authenticator = stauth.Authenticate("config.yaml")
    authenticator.login()
"""

from __future__ import annotations

from ._core import __version__
from .authenticate import Authenticate
from .utilities import (
    AuthenticateError,
    CloudError,
    CredentialsError,
    DeprecationError,
    ForgotError,
    Hasher,
    LoginError,
    LogoutError,
    RegisterError,
    ResetError,
    UpdateError,
    Validator,
)

__all__ = [
    "Authenticate",
    "AuthenticateError",
    "CloudError",
    "CredentialsError",
    "DeprecationError",
    "ForgotError",
    "Hasher",
    "LoginError",
    "LogoutError",
    "RegisterError",
    "ResetError",
    "UpdateError",
    "Validator",
    "__version__",
]
