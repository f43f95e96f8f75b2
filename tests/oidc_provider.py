"""A small but real OpenID provider for the tests, on 127.0.0.1.

It serves a discovery document, ``/authorize`` (auto-consent: redirects
straight back with a code and the state), ``/token`` (checks the client
secret, the redirect URI and the PKCE verifier, then returns an RS256 ID token
carrying the nonce it was sent) and ``/jwks``. Tests steer the next ID token
through ``claims`` (``None`` removes a claim) and ``sign_with_rogue_key``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "authgate-test-client"
CLIENT_SECRET = "authgate-test-secret"
REDIRECT_URI = "http://localhost:8501/"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str


@dataclass
class OidcProvider:
    """Run with ``with OidcProvider() as idp:``; ``idp.issuer`` is its URL."""

    redirect_uri: str = REDIRECT_URI
    email: str = "ann.lee@example.com"
    claims: dict[str, Any] = field(default_factory=dict)
    sign_with_rogue_key: bool = False
    key_id: str = field(default_factory=lambda: f"test-key-{secrets.token_hex(4)}")
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = _new_key()
        self._rogue = _new_key()  # same kid, never published
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> OidcProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider._get(self)

            def do_POST(self) -> None:
                provider._post(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def issuer(self) -> str:
        assert self._server is not None, "use the provider as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """``oauth2.<name>`` settings for this provider."""
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": self.redirect_uri,
            "issuer": self.issuer,
            **extra,
        }

    # ---- the browser's side ---------------------------------------------------------

    def authorize(self, url: str) -> dict[str, str]:
        """Follows an authorization URL as the browser would; returns the
        query of the redirect back (``code`` and ``state``)."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.issuer, url
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}")
            response = conn.getresponse()
            location = response.getheader("Location")
            body = response.read()
        finally:
            conn.close()
        assert response.status == 302, (response.status, body)
        assert location is not None and location.startswith(self.redirect_uri), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    # ---- the provider's side --------------------------------------------------------

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        if path == "/.well-known/openid-configuration":
            self._json(request, 200, self._discovery())
        elif path == "/jwks":
            jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
            jwk.update(kid=self.key_id, use="sig", alg="RS256")
            self._json(request, 200, {"keys": [jwk]})
        elif path == "/authorize":
            self._authorize(request, {k: v[0] for k, v in parse_qs(query).items()})
        else:
            self._json(request, 404, {"error": "not_found"})

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def _authorize(self, request: BaseHTTPRequestHandler, q: dict[str, str]) -> None:
        ok = (
            q.get("response_type") == "code"
            and q.get("client_id") == CLIENT_ID
            and q.get("redirect_uri") == self.redirect_uri
            and q.get("code_challenge_method") == "S256"
            and "openid" in q.get("scope", "").split()
            and q.get("code_challenge")
            and q.get("nonce")
            and q.get("state")
        )
        if not ok:
            self._json(request, 400, {"error": "invalid_request"})
            return
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                q["client_id"], q["redirect_uri"], q["code_challenge"], q["nonce"]
            )
        location = f"{self.redirect_uri}?{urlencode({'code': code, 'state': q['state']})}"
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if request.path != "/token":
            self._json(request, 404, {"error": "not_found"})
            return
        length = int(request.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        self.token_requests.append(form)
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != grant.client_id
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant.redirect_uri
            or not secrets.compare_digest(challenge, grant.code_challenge)
        ):
            self._json(request, 400, {"error": "invalid_grant"})
            return
        self._json(
            request,
            200,
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self._id_token(grant.nonce),
            },
        )

    def _id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": hashlib.sha256(self.email.encode()).hexdigest()[:21],
            "iat": now,
            "exp": now + 3600,
            "nonce": nonce,
            "email": self.email,
            "email_verified": True,
            "given_name": "Ann",
            "family_name": "Lee",
            "picture": "https://example.com/ann.png",
        }
        for name, value in self.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self._rogue if self.sign_with_rogue_key else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.key_id})

    @staticmethod
    def _json(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(data)
