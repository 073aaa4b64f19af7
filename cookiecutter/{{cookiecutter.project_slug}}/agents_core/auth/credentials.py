"""The credential a request carries: `Authorization: Bearer <key or token>` or `X-API-Key`."""

from __future__ import annotations

from dataclasses import dataclass

from agents_core.auth.errors import AuthenticationError

MAX_CREDENTIAL_BYTES = 8192
"""Longest key or token read; larger ones are refused before any parsing."""
ACCEPTED = "send `Authorization: Bearer <API key or token>` (or `X-API-Key: <API key>`)"


@dataclass(frozen=True)
class Credential:
    """A credential as sent: from the Bearer scheme (key or JWT) or the X-API-Key header (key)."""

    value: str
    bearer: bool


def credential_from_headers(authorization: str | None, api_key: str | None) -> Credential | None:
    """The request's credential, None when it sends none.

    AuthenticationError for a malformed one: an empty value, one larger than
    MAX_CREDENTIAL_BYTES, both headers with different values, or an Authorization header of
    another scheme than Bearer and no X-API-Key (with X-API-Key, another scheme is left to
    whoever set it: a proxy's Basic authentication, say).
    """
    bearer: str | None = None
    if authorization is not None:
        scheme, *rest = authorization.split(None, 1) or [""]
        if scheme.lower() == "bearer":
            bearer = _checked(rest[0].strip() if rest else "", "Authorization: Bearer")
        elif api_key is None:
            raise AuthenticationError(f"Unsupported Authorization scheme: {ACCEPTED}.")
    key = _checked(api_key.strip(), "X-API-Key") if api_key is not None else None
    if bearer is not None and key is not None and bearer != key:
        raise AuthenticationError("Authorization and X-API-Key carry different credentials.")
    if bearer is not None:
        return Credential(bearer, bearer=True)
    return Credential(key, bearer=False) if key is not None else None


def _checked(value: str, header: str) -> str:
    if not value:
        raise AuthenticationError(f"{header} is empty: {ACCEPTED}.")
    if len(value) > MAX_CREDENTIAL_BYTES:
        raise AuthenticationError(
            f"{header} is larger than {MAX_CREDENTIAL_BYTES} bytes, the longest key or token read."
        )
    return value
