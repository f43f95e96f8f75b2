"""authgate: authentication for Streamlit apps, with every rule in a Rust core.

A drop-in replacement for streamlit-authenticator 0.4.2::

    import authgate as stauth

    authenticator = stauth.Authenticate("config.yaml")
    authenticator.login()

``routes()`` gives the Starlette routes of the HttpOnly cookie mode, for
``st.App("page.py", routes=stauth.routes())`` and
``Authenticate(..., cookie_mode="httponly")``.
"""

from __future__ import annotations

from ._core import __version__
from .authenticate import Authenticate
from .httponly import routes
from .pages import Page
from .utilities import (
    AuthenticateError,
    CloudError,
    CredentialsError,
    DeprecationError,
    EmailError,
    ForgotError,
    Hasher,
    LoginError,
    LogoutError,
    RegisterError,
    ResetError,
    UpdateError,
    Validator,
)
from .validator import NistValidator

__all__ = [
    "Authenticate",
    "AuthenticateError",
    "CloudError",
    "CredentialsError",
    "DeprecationError",
    "EmailError",
    "ForgotError",
    "Hasher",
    "LoginError",
    "LogoutError",
    "NistValidator",
    "Page",
    "RegisterError",
    "ResetError",
    "UpdateError",
    "Validator",
    "__version__",
    "routes",
]
