"""`Authenticator`: one request's credential -> its `Principal`, under the configured modes.

- nothing configured: every caller is `local` (credentials sent anyway are ignored);
- API keys (`API_KEY`, `API_KEYS`, `API_KEYS_FILE`) and JWT bearer tokens (`JWT_*`), together
  or alone: a request must carry one that is valid.

Every door (HTTP routes, WebSocket, MCP) calls the same `authenticate`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents_core.auth.api_keys import (
    DEFAULT_KEY_PRINCIPAL,
    KeyEntry,
    entry,
    hash_key,
    match_key,
    parse_api_keys,
)
from agents_core.auth.credentials import ACCEPTED, Credential
from agents_core.auth.errors import AuthenticationError
from agents_core.auth.keys_file import read_keys_file
from agents_core.auth.settings import AuthSettings
from agents_core.auth.tokens import JwtVerifier, looks_like_jwt
from agents_core.exceptions import ConfigurationError
from agents_core.principals import ADMIN_ROLE, LOCAL, Principal

logger = logging.getLogger("agents_core.auth")

AuthMethod = Literal["none", "api_key", "jwt"]


@dataclass(frozen=True)
class Authentication:
    """Who the caller is and how it proved it."""

    principal: Principal
    method: AuthMethod


NO_AUTHENTICATION = Authentication(LOCAL, "none")


class Authenticator:
    """Checks credentials against the settings' keys and token provider."""

    def __init__(self, settings: AuthSettings) -> None:
        self._fixed: list[KeyEntry] = []
        if settings.api_key is not None:
            admin = Principal(DEFAULT_KEY_PRINCIPAL, frozenset({ADMIN_ROLE}))
            self._fixed.append(entry(admin, hash_key(settings.api_key.get_secret_value())))
        if settings.api_keys is not None:
            for principal, key in parse_api_keys(settings.api_keys.get_secret_value()):
                self._fixed.append(entry(Principal(principal), hash_key(key)))
        self._keys_file = _KeysFile(settings.api_keys_file) if settings.api_keys_file else None
        self._api_keys = settings.api_keys_enabled
        self.jwt = JwtVerifier(settings) if settings.jwt_enabled else None
        if settings.api_keys_file is not None:
            if settings.api_keys_file.exists():
                read_keys_file(settings.api_keys_file)  # invalid: fails at start
            else:
                # A stack started before its first key (compose's default file): it starts
                # closed, every key refused, and opens as soon as `keys add` writes the file.
                logger.warning(
                    "API_KEYS_FILE=%s does not exist yet: no API key is valid until "
                    "`keys add NAME` creates it (read again when it appears)",
                    settings.api_keys_file,
                )

    @property
    def required(self) -> bool:
        """True when callers must authenticate (some credential is configured)."""
        return self._api_keys or self.jwt is not None

    async def authenticate(self, credential: Credential | None) -> Authentication:
        """The caller of a request that sent `credential` (None: sent none)."""
        if not self.required:
            return NO_AUTHENTICATION
        if credential is None:
            raise AuthenticationError(f"Authentication required: {ACCEPTED}.", invalid_token=False)
        if self.jwt is not None and credential.bearer and looks_like_jwt(credential.value):
            return Authentication(await self.jwt.verify(credential.value), "jwt")
        if self._api_keys:
            entries = self._fixed
            if self._keys_file is not None:
                entries = [*entries, *self._keys_file.entries()]
            principal = match_key(credential.value, entries)
            if principal is not None:
                return Authentication(principal, "api_key")
            raise AuthenticationError("The API key is not valid.")
        raise AuthenticationError("The bearer token is not a JWT (only tokens are accepted).")


class _KeysFile:
    """API_KEYS_FILE's entries, read again when the file changes (keys added or removed)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int, int] | None = None
        self._entries: list[KeyEntry] = []

    def entries(self) -> list[KeyEntry]:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            # Removed while serving: no key of it is valid any more.
            self._stamp, self._entries = None, []
            return self._entries
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if stamp != self._stamp:
            try:
                self._entries = [key.entry() for key in read_keys_file(self._path)]
            except ConfigurationError as error:
                # Edited by hand into something invalid: keep the keys read last, say why.
                logger.error("%s (the keys read before stay in use)", error)
            self._stamp = stamp
        return self._entries
