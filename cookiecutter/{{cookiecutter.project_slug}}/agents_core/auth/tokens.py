"""JWT bearer tokens of an OpenID Connect provider -> `Principal`, verified by PyJWT.

Checked, in this order: size (by the caller), the header's `alg` against `JWT_ALGORITHMS` (never
`none`), the signature with the provider's key for the header's `kid` (from the JWKS, or
`JWT_SECRET` for HS*), then `exp` (required), `nbf`, `iat`, `iss` (when `JWT_ISSUER` is set) and
`aud` (required) with `JWT_LEEWAY_SECONDS` of clock skew. The principal is the
`JWT_PRINCIPAL_CLAIM` claim, the roles the `JWT_ROLES_CLAIM` claim.

A client sends the same token with every request until it expires: a verified token is
remembered (by its SHA-256, at most `VERIFIED_CACHE_SIZE` of them) until its `exp` and for at
most `VERIFIED_CACHE_SECONDS`, so a signature is checked once a minute, not once per request.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any

import jwt
from jwt import PyJWK

from agents_core.auth.api_keys import DEFAULT_KEY_PRINCIPAL
from agents_core.auth.errors import AuthenticationError
from agents_core.auth.jwks import JwksCache
from agents_core.auth.settings import SYMMETRIC_ALGORITHMS, AuthSettings
from agents_core.principals import LOCAL_PRINCIPAL_ID, Principal, validate_principal_id

RESERVED_PRINCIPALS = frozenset({LOCAL_PRINCIPAL_ID, DEFAULT_KEY_PRINCIPAL})
VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 60.0

_FAULTS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "The token has expired."),
    (jwt.ImmatureSignatureError, "The token is not valid yet (nbf or iat in the future)."),
    (jwt.InvalidAudienceError, "The token is not issued for this service (aud)."),
    (jwt.InvalidIssuerError, "The token is not issued by the configured issuer (iss)."),
    (jwt.MissingRequiredClaimError, "The token lacks a required claim."),
    (jwt.InvalidSignatureError, "The token's signature is not valid."),
    (jwt.InvalidAlgorithmError, "The token's algorithm is not accepted."),
)


def looks_like_jwt(value: str) -> bool:
    """Three dot-separated parts whose first starts a JSON object (`eyJ` is base64 of `{"`)."""
    return value.count(".") == 2 and value.startswith("eyJ")


class JwtVerifier:
    """Verifies bearer tokens with the settings' issuer, audience, algorithms and keys."""

    def __init__(self, settings: AuthSettings, jwks: JwksCache | None = None) -> None:
        self._algorithms = settings.algorithm_list
        self._audience = settings.audience_list
        self._issuer = settings.jwt_issuer or None
        self._leeway = settings.jwt_leeway_seconds
        self._principal_claim = settings.jwt_principal_claim
        self._roles_path = settings.jwt_roles_claim.split(".")
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        if jwks is None and (settings.jwt_issuer or settings.jwt_jwks_url):
            jwks = JwksCache(
                jwks_url=settings.jwt_jwks_url,
                issuer=settings.jwt_issuer,
                cache_seconds=settings.jwt_jwks_cache_seconds,
                refetch_seconds=settings.jwt_jwks_refetch_seconds,
            )
        self.jwks = jwks
        required = ["exp", "aud", *(["iss"] if self._issuer else [])]
        self._options: dict[str, Any] = {"require": required}
        self._verified: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        """The token's principal; AuthenticationError saying why a token is refused."""
        digest = hashlib.sha256(token.encode()).digest()
        known = self._verified.get(digest)
        if known is not None:
            if time.time() < known[0]:
                self._verified.move_to_end(digest)
                return known[1]
            del self._verified[digest]
        principal, expires = await self._verify(token)
        until = min(expires, time.time() + VERIFIED_CACHE_SECONDS)
        self._verified[digest] = (until, principal)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("The bearer token is malformed.") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise AuthenticationError(
                f"The token's algorithm {str(algorithm)[:20]!r} is not accepted "
                f"(JWT_ALGORITHMS={','.join(self._algorithms)})."
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("The token's key id (kid) is not a string.")
        key = await self._key(kid, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options=self._options,  # type: ignore[arg-type]
            )
        except jwt.PyJWTError as error:
            message = next(
                (text for kind, text in _FAULTS if isinstance(error, kind)),
                "The bearer token is not valid.",
            )
            raise AuthenticationError(message) from None
        principal = Principal(self._principal(claims), self._roles(claims))
        return principal, float(claims["exp"])

    async def _key(self, kid: str | None, algorithm: str) -> PyJWK | str:
        if algorithm in SYMMETRIC_ALGORITHMS:
            assert self._secret is not None  # settings refuse HS* without JWT_SECRET
            return self._secret
        if self.jwks is None:
            raise AuthenticationError(f"No signing keys are configured for {algorithm}.")
        return await self.jwks.key(kid, algorithm)

    def _principal(self, claims: dict[str, Any]) -> str:
        value = claims.get(self._principal_claim)
        if not isinstance(value, str):
            raise AuthenticationError(
                f"The token has no string claim {self._principal_claim!r} "
                "(JWT_PRINCIPAL_CLAIM) to name its principal."
            )
        try:
            validate_principal_id(value)
        except ValueError as error:
            raise AuthenticationError(f"The token's {self._principal_claim!r}: {error}.") from None
        if value in RESERVED_PRINCIPALS:
            # They name the caller without credentials (and owner of records older than
            # principals) and API_KEY's caller: an identity provider's user must not become them.
            raise AuthenticationError(
                f"The token's {self._principal_claim!r} is {value!r}, a name reserved for "
                "callers without a token."
            )
        return value

    def _roles(self, claims: dict[str, Any]) -> frozenset[str]:
        # A claim named with dots (Auth0's "https://example.com/roles") first, else a path.
        value: Any = claims.get(".".join(self._roles_path))
        if value is None:
            value = claims
            for step in self._roles_path:
                value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return frozenset()
        if isinstance(value, str):
            return frozenset(value.split())
        if isinstance(value, list) and all(isinstance(role, str) for role in value):
            return frozenset(value)
        raise AuthenticationError(
            f"The token's roles claim {'.'.join(self._roles_path)!r} (JWT_ROLES_CLAIM) must be "
            "a list of strings or a space-separated string."
        )
