"""The token provider's signing keys (JWKS): discovered, fetched, cached, refetched sparingly.

Keys come only from `JWT_JWKS_URL` or the issuer's discovery document, both https:// (http://
on loopback only). A token's own `jku`, `x5u`, `x5c` or `jwk` headers are never read: a token
cannot name the key that verifies it. An unknown key id (`kid`) triggers at most one fetch per
`JWT_JWKS_REFETCH_SECONDS` (key rotation, without letting forged kids hammer the provider).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from agents_core.auth.errors import AuthenticationError, SigningKeysUnavailableError
from agents_core.auth.loopback import check_key_url
from agents_core.utils.tls import tls_context

logger = logging.getLogger("agents_core.auth")

MAX_DOCUMENT_BYTES = 512 * 1024
FETCH_TIMEOUT_SECONDS = 5.0
DISCOVERY_PATH = "/.well-known/openid-configuration"

# Which key types may verify which algorithms (RFC 7518; EdDSA: RFC 8037).
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class JwksCache:
    """The provider's public keys by key id, fetched when needed."""

    def __init__(
        self,
        *,
        jwks_url: str = "",
        issuer: str = "",
        cache_seconds: float = 3600,
        refetch_seconds: float = 60,
    ) -> None:
        if not jwks_url and not issuer:
            raise ValueError("JwksCache needs a JWKS URL or an issuer")
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._cache_seconds = cache_seconds
        self._refetch_seconds = refetch_seconds
        self._keys: list[dict[str, Any]] = []
        self._built: dict[tuple[str | None, str], PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock: asyncio.Lock | None = None
        self.fetches = 0
        """How many times the JWKS was fetched (read by tests and the bench)."""

    async def key(self, kid: str | None, algorithm: str) -> PyJWK:
        """The key that verifies a token with this `kid` and `alg`; AuthenticationError if none."""
        built = self._built.get((kid, algorithm))
        if built is not None and not self._expired():
            return built
        found = self._find(kid, algorithm)
        if found is None or self._expired():
            await self._refresh(forced=found is None)
            found = self._find(kid, algorithm)
        if found is None:
            raise AuthenticationError(
                f"No signing key of the provider has key id {kid!r} for {algorithm}."
                if kid is not None
                else "The token names no key id (kid) and the provider has several keys."
            )
        return found

    def _expired(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at > self._cache_seconds

    def _find(self, kid: str | None, algorithm: str) -> PyJWK | None:
        candidates = [jwk for jwk in self._keys if _usable(jwk, algorithm)]
        if kid is not None:
            candidates = [jwk for jwk in candidates if jwk.get("kid") == kid]
        elif len(candidates) != 1:
            return None
        if not candidates:
            return None
        try:
            built = PyJWK(candidates[0], algorithm)
        except PyJWTError:
            return None
        self._built[(kid, algorithm)] = built
        return built

    async def _refresh(self, *, forced: bool) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if self._fetched_at is not None:
                age = now - self._fetched_at
                # Another request fetched while this one waited, or an unknown kid came too soon.
                if age < self._refetch_seconds or (not forced and age <= self._cache_seconds):
                    return
            try:
                keys = await self._fetch()
            except SigningKeysUnavailableError:
                if not self._keys:
                    raise
                logger.warning("the JWKS could not be refreshed; the cached keys stay in use")
                self._fetched_at = now
                return
            self._keys = keys
            self._built.clear()
            self._fetched_at = now

    async def _fetch(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(
            timeout=FETCH_TIMEOUT_SECONDS,
            follow_redirects=False,
            trust_env=False,
            verify=tls_context(trust_env=False),
        ) as client:
            url = self._jwks_url or await self._discover(client)
            document = await _get_json(client, url)
        self.fetches += 1
        keys = document.get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
            raise SigningKeysUnavailableError(f"The JWKS at {url} holds no 'keys' list.")
        return keys

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self._issuer.rstrip("/") + DISCOVERY_PATH
        document = await _get_json(client, url)
        if document.get("issuer") != self._issuer:
            raise SigningKeysUnavailableError(
                f"The discovery document at {url} names the issuer {document.get('issuer')!r}, "
                f"not JWT_ISSUER={self._issuer!r}."
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise SigningKeysUnavailableError(f"The discovery document at {url} has no jwks_uri.")
        try:
            return check_key_url(jwks_uri, "jwks_uri")
        except ValueError as error:
            raise SigningKeysUnavailableError(f"{url}: {error}") from None


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise SigningKeysUnavailableError(f"GET {url} answered {response.status_code}.")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise SigningKeysUnavailableError(
                        f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes."
                    )
    except httpx.HTTPError as error:
        raise SigningKeysUnavailableError(f"GET {url} failed: {type(error).__name__}.") from None
    try:
        document = json.loads(bytes(body))
    except ValueError:
        raise SigningKeysUnavailableError(f"{url} is not JSON.") from None
    if not isinstance(document, dict):
        raise SigningKeysUnavailableError(f"{url} is not a JSON object.")
    return document


def _usable(jwk: dict[str, Any], algorithm: str) -> bool:
    """True when `jwk` is a public signing key of the type `algorithm` needs."""
    if jwk.get("use", "sig") != "sig" or "d" in jwk:
        return False
    if jwk.get("alg") not in (None, algorithm):
        return False
    kty = jwk.get("kty")
    if algorithm in _EC_CURVES:
        return kty == "EC" and jwk.get("crv") == _EC_CURVES[algorithm]
    if algorithm == "EdDSA":
        return kty == "OKP" and jwk.get("crv") in ("Ed25519", "Ed448")
    return kty == "RSA" and algorithm[:2] in ("RS", "PS")
