"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

``SmtpServer(security=...)`` starts one: ``"starttls"`` offers and requires
STARTTLS with a certificate of a throwaway CA (``ca_file``), ``"tls"`` speaks
TLS from the first byte, ``"none"`` is plain. With ``users``, it requires
AUTH (over TLS) and checks the password.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate of it for localhost / 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "authgate test mail CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "mail-ca.pem"
    cert_file = directory / "mail-server.pem"
    key_file = directory / "mail-server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    received: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.received:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.received.notify_all()
        return "250 OK"


class SmtpServer:
    def __init__(
        self,
        directory: Path,
        security: str = "starttls",
        users: dict[str, str] | None = None,
    ) -> None:
        self.ca_file, cert_file, key_file = make_certificates(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self.port = _free_port()
        self.security = security
        self.handler = _Handler()
        self.users = users or {}
        options: dict[str, Any] = {"server_hostname": "localhost"}
        extra: dict[str, Any] = {}
        if security == "starttls":
            options.update(tls_context=context, require_starttls=True)
        elif security == "tls":
            extra["ssl_context"] = context
        if users:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Implicit TLS is not what aiosmtpd counts as TLS (that is
                # STARTTLS); the whole connection is encrypted anyway.
                auth_require_tls=security == "starttls",
            )
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **options, **extra
        )
        self.controller.start()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def url(
        self,
        user: str | None = None,
        password: str | None = None,
        *,
        trust_ca: bool = True,
        **query: str,
    ) -> str:
        """The server's URL; ``trust_ca=False`` leaves out its CA."""
        scheme = "smtps" if self.security == "tls" else "smtp"
        auth = f"{user}:{password}@" if user else ""
        params = {"from": "App <app@example.com>", **query}
        if self.security == "none":
            params["security"] = "none"
        elif trust_ca and "ca_file" not in params:
            params["ca_file"] = str(self.ca_file)
        from urllib.parse import urlencode

        return f"{scheme}://{auth}127.0.0.1:{self.port}?{urlencode(params)}"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self.handler.received:
            self.handler.received.wait_for(lambda: len(self.handler.messages) >= count, timeout)
            return list(self.handler.messages)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.received:
            return list(self.handler.messages)

    def stop(self) -> None:
        self.controller.stop()


def body(message: EmailMessage) -> str:
    """The plain-text body of ``message``."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content().replace("\r\n", "\n")
