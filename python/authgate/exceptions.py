"""streamlit-authenticator 0.4.2's exception classes, same names and messages."""

from __future__ import annotations


class AuthenticateError(Exception):
    """Raised by the Authenticate class for bad arguments or configuration."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class CredentialsError(Exception):
    """Raised for incorrect credentials."""

    def __init__(self, credential_type: str = "", *, message: str | None = None) -> None:
        if message is None:
            message = {
                "username": "Username is incorrect",
                "password": "Password is incorrect",
            }.get(credential_type, "Username/password is incorrect")
        super().__init__(message)


class _MessageError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class CloudError(_MessageError):
    """Raised for email-sending (formerly cloud) errors."""


class EmailError(CloudError):
    """Raised when mail cannot be sent: the SMTP settings, or the server's answer."""


class DeprecationError(_MessageError):
    """Raised for removed or renamed functionality."""


class ForgotError(_MessageError):
    """Raised by the forgot password and forgot username widgets."""


class LoginError(_MessageError):
    """Raised by the login widget."""


class LogoutError(_MessageError):
    """Raised by the logout widget."""


class RegisterError(_MessageError):
    """Raised by the register user widget."""


class ResetError(_MessageError):
    """Raised by the reset password widget."""


class UpdateError(_MessageError):
    """Raised by the update user details widget."""


__all__ = [
    "AuthenticateError",
    "CloudError",
    "CredentialsError",
    "DeprecationError",
    "EmailError",
    "ForgotError",
    "LoginError",
    "LogoutError",
    "RegisterError",
    "ResetError",
    "UpdateError",
]
