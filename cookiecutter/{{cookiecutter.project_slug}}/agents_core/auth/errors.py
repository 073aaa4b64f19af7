"""Why a caller was not authenticated, and when the keys that would tell could not be had."""

from __future__ import annotations

from agents_core.exceptions import AgentsCoreError


class AuthenticationError(AgentsCoreError):
    """The request carries no credential, or one that is not valid (HTTP 401).

    The message says what was wrong and what is accepted; it never repeats the credential.
    """

    def __init__(self, message: str, *, invalid_token: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.invalid_token = invalid_token
        """False when no credential was sent at all (RFC 6750: no `error` in the challenge)."""


class SigningKeysUnavailableError(AgentsCoreError):
    """The token provider's signing keys (JWKS) could not be fetched (HTTP 503)."""
