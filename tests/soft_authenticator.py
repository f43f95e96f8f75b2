"""A software WebAuthn authenticator, and a stand-in for the browser side of
authgate's passkey button, for AppTest (which cannot run the button's
JavaScript).

``SoftAuthenticator`` answers the options the core sends as a browser with
a platform authenticator would: ``none`` attestation, an ES256 key, user
present and verified (W3C WebAuthn Level 2 §6.1, §6.5; COSE EC2 keys,
RFC 9053). ``FakeBrowser`` replaces ``authgate.passkeys._button``: it
renders nothing, and when a test "clicks" a button (by its key) it returns
what the JavaScript would, computed by the authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(value: Any) -> bytes:
    """The CBOR of ints, bytes, text and maps of them."""
    if isinstance(value, bool):
        raise TypeError("no booleans here")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class SoftAuthenticator:
    """One discoverable credential on a software authenticator."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle = b""
        self.rp_id = ""
        self.counter = 0

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: str, origin: str) -> str:
        """``navigator.credentials.create`` on a page at ``origin``."""
        pk = json.loads(options)["publicKey"]
        self.rp_id = pk["rp"]["id"]
        self.user_handle = unb64(pk["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x45])  # user present, verified, attested credential data
            + struct.pack(">I", self.counter)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cose
        )
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", pk["challenge"], origin)
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "attestationObject": b64(attestation),
                    "clientDataJSON": b64(client_data),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(self, options: str, origin: str) -> str:
        """``navigator.credentials.get`` on a page at ``origin``; the
        counter goes up by one."""
        pk = json.loads(options)["publicKey"]
        assert pk["rpId"] == self.rp_id, (pk["rpId"], self.rp_id)
        allowed = [c["id"] for c in pk.get("allowCredentials") or []]
        assert not allowed or b64(self.credential_id) in allowed, "not a credential it asks for"
        self.counter += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x05])  # user present and verified
            + struct.pack(">I", self.counter)
        )
        client_data = self._client_data("webauthn.get", pk["challenge"], origin)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "authenticatorData": b64(auth_data),
                    "clientDataJSON": b64(client_data),
                    "signature": b64(signature),
                    "userHandle": b64(self.user_handle),
                },
                "clientExtensionResults": {},
            }
        )


class FakeBrowser:
    """Stands in for the passkey button's JavaScript in AppTest runs."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.device = SoftAuthenticator()
        self.shown: list[str] = []
        self._click: str | None = None
        self._answer: dict[str, Any] | None = None

    def click(self, key: str, *, origin: str | None = None, error: str | None = None) -> None:
        """The next run, the button ``key`` is clicked: the authenticator
        answers (on a page at ``origin``), or the browser refuses
        (``error``, a DOMException name)."""
        self._click = key
        self._answer = {"origin": origin or self.origin, "error": error}

    def __call__(self, *, data: dict[str, Any], key: str, **_: Any) -> SimpleNamespace:
        self.shown.append(key)
        if key != self._click or self._answer is None:
            return SimpleNamespace(response=None)
        answer, self._click, self._answer = self._answer, None, None
        if answer["error"]:
            return SimpleNamespace(
                response={"ceremony": data["ceremony"], "error": answer["error"]}
            )
        op = self.device.create if data["op"] == "create" else self.device.get
        response = op(data["options"], answer["origin"])
        return SimpleNamespace(response={"ceremony": data["ceremony"], "response": response})
