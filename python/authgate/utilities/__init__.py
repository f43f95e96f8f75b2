"""streamlit-authenticator's ``utilities`` namespace: exceptions, Hasher, Validator."""

from __future__ import annotations

from ..exceptions import (
    AuthenticateError,
    CloudError,
    CredentialsError,
    DeprecationError,
    EmailError,
    ForgotError,
    LoginError,
    LogoutError,
    RegisterError,
    ResetError,
    UpdateError,
)
from ..hasher import Hasher
from ..validator import Validator

__all__ = [
    "AuthenticateError",
    "CloudError",
    "CredentialsError",
    "DeprecationError",
    "EmailError",
    "ForgotError",
    "Hasher",
    "LoginError",
    "LogoutError",
    "RegisterError",
    "ResetError",
    "UpdateError",
    "Validator",
]
