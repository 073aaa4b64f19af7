"""A token provider for tests: a JWKS (and OpenID discovery document) served over real HTTP on
127.0.0.1, and tokens minted with joserfc, another JOSE library than PyJWT, which checks them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.local_http import LocalHTTPServer, serving

AUDIENCE = "agents-api"


@dataclass
class JsonServer:
    """Serves fixed JSON documents by path and records every request's path."""

    documents: dict[str, Any] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def count(self, path: str) -> int:
        return sum(1 for requested in self.requests if requested == path)


@contextmanager
def json_server() -> Iterator[JsonServer]:
    state = JsonServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            document = state.documents.get(self.path)
            body = json.dumps(document).encode() if document is not None else b"{}"
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(LocalHTTPServer(Handler)) as server:
        state.url = server.url
        yield state


@dataclass
class Provider:
    """An OpenID Connect provider's key side: issuer URL, JWKS, signing keys."""

    server: JsonServer
    keys: dict[str, RSAKey | ECKey]

    @property
    def issuer(self) -> str:
        return self.server.url + "/realm"

    @property
    def jwks_path(self) -> str:
        return "/realm/jwks"

    def publish(self, *kids: str) -> None:
        """Serve the public keys `kids` (all when none named) at the JWKS URL."""
        chosen = kids or tuple(self.keys)
        self.server.documents[self.jwks_path] = {
            "keys": [self.keys[kid].as_dict(private=False) for kid in chosen]
        }

    def mint(
        self,
        subject: str = "alice",
        *,
        kid: str = "rsa-1",
        alg: str | None = None,
        lifetime: int = 300,
        extra_header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token signed by the key `kid`; claims override the defaults (iss, aud, sub...)."""
        key = self.keys[kid]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(8),  # every token differs, as a provider's do
        }
        payload.update(claims)
        algorithm = alg or ("RS256" if isinstance(key, RSAKey) else "ES256")
        header = {"alg": algorithm, "kid": kid, "typ": "JWT", **(extra_header or {})}
        return jwt.encode(
            {k: v for k, v in header.items() if v is not None},
            {k: v for k, v in payload.items() if v is not None},
            key,
        )


def provider_keys() -> dict[str, RSAKey | ECKey]:
    return {
        "rsa-1": RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
        "rsa-2": RSAKey.generate_key(2048, parameters={"kid": "rsa-2"}),
        "ec-1": ECKey.generate_key("P-256", parameters={"kid": "ec-1"}),
    }


@contextmanager
def provider(keys: dict[str, RSAKey | ECKey], *published: str) -> Iterator[Provider]:
    """A provider serving its discovery document and the JWKS of `published` (default rsa-1)."""
    with json_server() as server:
        result = Provider(server, keys)
        server.documents["/realm/.well-known/openid-configuration"] = {
            "issuer": result.issuer,
            "jwks_uri": server.url + result.jwks_path,
        }
        result.publish(*(published or ("rsa-1",)))
        yield result


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    """`alg: none`: what an attacker sends, built by hand (no library makes one willingly)."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hmac_token(claims: dict[str, Any], secret: bytes, kid: str = "rsa-1") -> str:
    """HS256 over `secret`: with the provider's public key as secret, the key-confusion attack."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"
