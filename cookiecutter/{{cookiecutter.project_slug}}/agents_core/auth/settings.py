"""`AuthSettings`: who may call the project's servers (API keys, JWT bearer tokens, or nobody).

No credential configured: every caller is `local`, which only a server listening on loopback may
allow. The API's settings (`api.settings.ApiSettings`) include these; `.env.example` documents
each one and docs/authentication.md explains the modes.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents_core.auth.api_keys import DEFAULT_KEY_PRINCIPAL, check_key, parse_api_keys
from agents_core.auth.keys_file import read_keys_file
from agents_core.auth.loopback import check_key_url
from agents_core.exceptions import ConfigurationError

ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
SYMMETRIC_ALGORITHMS = ("HS256", "HS384", "HS512")
_MIN_SECRET_BYTES = 32


class AuthSettings(BaseSettings):
    """Authentication settings, read from the environment and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    api_key: SecretStr | None = Field(
        default=None,
        description=(
            f"One API key: its callers are the principal {DEFAULT_KEY_PRINCIPAL!r}, role admin. "
            "Sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (WebSockets: also "
            "the subprotocol 'api-key.<key>')."
        ),
    )
    api_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated principal:key pairs, one key per principal (no roles).",
    )
    api_keys_file: Path | None = Field(
        default=None,
        description="TOML file of hashed keys with principals and roles (`keys add NAME`).",
    )
    jwt_issuer: str = Field(
        default="",
        description="OpenID Connect issuer: tokens' `iss`; its JWKS is found through "
        "<issuer>/.well-known/openid-configuration unless JWT_JWKS_URL is set.",
    )
    jwt_jwks_url: str = Field(default="", description="URL of the provider's JWKS.")
    jwt_audience: str = Field(
        default="",
        description="Accepted `aud` values (comma-separated); required with JWT.",
    )
    jwt_algorithms: str = Field(
        default=",".join(ASYMMETRIC_ALGORITHMS),
        description="Accepted signature algorithms (comma-separated); HS* only with JWT_SECRET.",
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of HS256/384/512 tokens (at least 32 bytes); rarely needed.",
    )
    jwt_principal_claim: str = Field(
        default="sub", min_length=1, description="Claim holding the principal id."
    )
    jwt_roles_claim: str = Field(
        default="roles",
        min_length=1,
        description="Claim holding the roles (a list or a space-separated string); a name with "
        "dots is a claim of that name if the token has one, else a path into objects, e.g. "
        "realm_access.roles (Keycloak).",
    )
    jwt_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on exp, nbf and iat."
    )
    jwt_jwks_cache_seconds: float = Field(
        default=3600, gt=0, le=86_400, description="How long fetched signing keys are used."
    )
    jwt_jwks_refetch_seconds: float = Field(
        default=60,
        ge=0,
        le=86_400,
        description="Least time between two JWKS fetches for tokens with an unknown key id.",
    )

    @field_validator("api_key", "api_keys", "jwt_secret", "api_keys_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("api_key")
    @classmethod
    def _api_key_is_a_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_key(value.get_secret_value(), "API_KEY")
        return value

    @field_validator("api_keys")
    @classmethod
    def _api_keys_are_pairs(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_api_keys(value.get_secret_value())
        return value

    @field_validator("api_keys_file")
    @classmethod
    def _keys_file_is_valid(cls, value: Path | None) -> Path | None:
        # A missing file is allowed: the `keys add` command reads these settings to create it,
        # and a server started before it refuses every key until it appears (`Authenticator`).
        if value is not None and value.exists():
            try:
                read_keys_file(value)
            except ConfigurationError as error:
                raise ValueError(str(error).removeprefix(f"API_KEYS_FILE={value}: ")) from None
        return value

    @field_validator("jwt_issuer", "jwt_jwks_url")
    @classmethod
    def _key_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        return check_key_url(value, str(info.field_name).upper()) if value else value

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        allowed = (*ASYMMETRIC_ALGORITHMS, *SYMMETRIC_ALGORITHMS)
        for name in names:
            if name.lower() == "none":
                raise ValueError("'none' (unsigned tokens) is never accepted")
            if name not in allowed:
                raise ValueError(f"unknown algorithm {name!r}; allowed: {', '.join(allowed)}")
        if not names:
            raise ValueError(f"name at least one algorithm of {', '.join(allowed)}")
        return ",".join(names)

    @field_validator("jwt_principal_claim", "jwt_roles_claim")
    @classmethod
    def _claim_name(cls, value: str) -> str:
        if any(ch.isspace() for ch in value) or "," in value:
            raise ValueError(f"must be one claim name without spaces, got {value!r}")
        return value

    @model_validator(mode="after")
    def _modes_are_complete(self) -> AuthSettings:
        if self.api_key is not None and self.api_keys is not None:
            pairs = parse_api_keys(self.api_keys.get_secret_value())
            if any(principal == DEFAULT_KEY_PRINCIPAL for principal, _ in pairs):
                raise ValueError(
                    f"API_KEYS names the principal {DEFAULT_KEY_PRINCIPAL!r}, which is API_KEY's: "
                    "rename it or drop API_KEY"
                )
            if any(key == self.api_key.get_secret_value() for _, key in pairs):
                raise ValueError("API_KEY is also one of API_KEYS' keys: give each caller its own")
        algorithms = self.algorithm_list
        symmetric = [name for name in algorithms if name in SYMMETRIC_ALGORITHMS]
        asymmetric = [name for name in algorithms if name in ASYMMETRIC_ALGORITHMS]
        if self.jwt_secret is not None:
            if not symmetric:
                raise ValueError(
                    "JWT_SECRET is set but JWT_ALGORITHMS allows no HS256/HS384/HS512: add the "
                    "one your provider uses (JWT_ALGORITHMS=HS256), or unset JWT_SECRET"
                )
            if len(self.jwt_secret.get_secret_value().encode()) < _MIN_SECRET_BYTES:
                raise ValueError(f"JWT_SECRET must be at least {_MIN_SECRET_BYTES} bytes")
        elif symmetric:
            raise ValueError(
                f"JWT_ALGORITHMS allows {', '.join(symmetric)}, which need JWT_SECRET; tokens "
                "of OpenID Connect providers are asymmetric (RS256, ES256...): drop HS*"
            )
        if self.jwt_enabled:
            if not self.jwt_audience.strip():
                raise ValueError(
                    "JWT_AUDIENCE is required with JWT_ISSUER/JWT_JWKS_URL/JWT_SECRET: the "
                    "audience (client id or API identifier) your tokens are issued for"
                )
            if asymmetric and not (self.jwt_issuer or self.jwt_jwks_url) and not symmetric:
                raise ValueError("set JWT_ISSUER or JWT_JWKS_URL to verify asymmetric tokens")
        return self

    @property
    def algorithm_list(self) -> list[str]:
        return [name for name in self.jwt_algorithms.split(",") if name]

    @property
    def audience_list(self) -> list[str]:
        return [aud.strip() for aud in self.jwt_audience.split(",") if aud.strip()]

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_issuer or self.jwt_jwks_url or self.jwt_secret is not None)

    @property
    def api_keys_enabled(self) -> bool:
        return (
            self.api_key is not None or self.api_keys is not None or self.api_keys_file is not None
        )

    @property
    def credentials_configured(self) -> bool:
        """False when every caller is `local` (allowed on loopback only)."""
        return self.api_keys_enabled or self.jwt_enabled

    def secret_values(self) -> list[str]:
        """Every configured secret (for log redaction)."""
        values = [s.get_secret_value() for s in (self.api_key, self.jwt_secret) if s is not None]
        if self.api_keys is not None:
            values.extend(key for _, key in parse_api_keys(self.api_keys.get_secret_value()))
        return values
