"""`Principal`: who a run is for, and the one ownership rule every door shares.

A principal is the caller a run acts for: `local` when the project runs without credentials
(the CLI, or an API on loopback with none configured), an API key's principal, or a token's
subject. What a run creates (sessions, paused runs, workflow runs, notes, usage) is stored with
its owner's id, and another principal is told it does not exist; role `admin` sees everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ADMIN_ROLE = "admin"
"""The role that may read and change what every principal owns."""

_PRINCIPAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:|+-]{0,127}$")


def validate_principal_id(principal_id: str) -> str:
    """Return `principal_id` if it is 1-128 characters of letters, digits and `._@:|+-`.

    Raises ValueError naming what is allowed otherwise (it is stored beside what it owns and
    used in file names, so nothing else may pass).
    """
    if not _PRINCIPAL_ID.match(principal_id):
        raise ValueError(
            f"invalid principal id {principal_id!r}: use 1-128 letters, digits or ._@:|+- "
            "starting with a letter or digit"
        )
    return principal_id


@dataclass(frozen=True)
class Principal:
    """Who a run is for."""

    id: str
    """Stable id, stored as the owner of what the principal creates."""
    roles: frozenset[str] = field(default_factory=frozenset)
    """Roles granted by the credential (`admin` sees everything)."""

    def __post_init__(self) -> None:
        validate_principal_id(self.id)

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def may_access(self, owner: str | None) -> bool:
        """True when this principal may read or change something owned by `owner`.

        Records written before owners existed (owner None) belong to `local`.
        """
        return self.is_admin or (owner or LOCAL_PRINCIPAL_ID) == self.id


LOCAL_PRINCIPAL_ID = "local"
LOCAL = Principal(LOCAL_PRINCIPAL_ID)
"""The principal of the CLI and of an API without credentials (loopback only)."""
