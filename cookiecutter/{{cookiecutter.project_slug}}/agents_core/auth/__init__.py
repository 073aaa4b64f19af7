"""Authentication shared by every door: credentials -> `Principal`.

Modes (docs/authentication.md): none (every caller is `local`, loopback servers only), API keys
(`API_KEY`, `API_KEYS`, `API_KEYS_FILE`) and JWT bearer tokens of an OpenID Connect provider
(`JWT_*`). `Authenticator(settings).authenticate(credential)` returns who is calling or raises
`AuthenticationError`. Nothing here imports FastAPI.
"""

from __future__ import annotations

from agents_core.auth.authenticator import (
    NO_AUTHENTICATION,
    Authentication,
    Authenticator,
    AuthMethod,
)
from agents_core.auth.credentials import MAX_CREDENTIAL_BYTES, Credential, credential_from_headers
from agents_core.auth.errors import AuthenticationError, SigningKeysUnavailableError
from agents_core.auth.jwks import JwksCache
from agents_core.auth.keys_file import StoredKey, add_key, read_keys_file, remove_key
from agents_core.auth.loopback import is_loopback_host
from agents_core.auth.settings import AuthSettings
from agents_core.auth.tokens import JwtVerifier

__all__ = [
    "MAX_CREDENTIAL_BYTES",
    "NO_AUTHENTICATION",
    "AuthMethod",
    "AuthSettings",
    "Authentication",
    "AuthenticationError",
    "Authenticator",
    "Credential",
    "JwksCache",
    "JwtVerifier",
    "SigningKeysUnavailableError",
    "StoredKey",
    "add_key",
    "credential_from_headers",
    "is_loopback_host",
    "read_keys_file",
    "remove_key",
]
