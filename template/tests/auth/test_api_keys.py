"""API keys: the settings that declare them, the hashed keys file, and constant-time matching."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from agents_core.auth import (
    AuthenticationError,
    Authenticator,
    AuthSettings,
    Credential,
    add_key,
    credential_from_headers,
    read_keys_file,
    remove_key,
)
from agents_core.exceptions import ConfigurationError
from agents_core.settings_check import SettingsError, load


async def principal_of(auth: Authenticator, key: str) -> str:
    return (await auth.authenticate(Credential(key, bearer=False))).principal.id


def refused_setting(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load(AuthSettings)
    return str(error.value)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"API_KEY": "two words"}, "API_KEY='***' is not allowed: API_KEY: a key must be"),
        ({"API_KEYS": "alice"}, "pair 1 is not 'principal:key'"),
        ({"API_KEYS": "alice:k1,:k2"}, "pair 2 is not 'principal:key'"),
        ({"API_KEYS": "alice:k1,alice:k2"}, "principal 'alice' appears twice"),
        ({"API_KEYS": "alice:same,bob:same"}, "two principals have the same key"),
        ({"API_KEYS": "al ice:key"}, "invalid principal id"),
        ({"API_KEYS": "alice:ké"}, "a key must be"),
        ({"API_KEYS": "default:k", "API_KEY": "other"}, "API_KEY's: rename it"),
        ({"API_KEYS": "alice:same", "API_KEY": "same"}, "give each caller its own"),
        ({"JWT_ISSUER": "http://idp.example/realm", "JWT_AUDIENCE": "a"}, "must use https://"),
        ({"JWT_JWKS_URL": "ftp://idp.example/jwks", "JWT_AUDIENCE": "a"}, "https:// URL"),
        ({"JWT_ISSUER": "https://u:p@idp.example/", "JWT_AUDIENCE": "a"}, "credentials"),
        ({"JWT_ISSUER": "https://idp.example/realm"}, "JWT_AUDIENCE is required"),
        ({"JWT_ALGORITHMS": "none"}, "'none' (unsigned tokens) is never accepted"),
        ({"JWT_ALGORITHMS": "RS256,NONE"}, "never accepted"),
        ({"JWT_ALGORITHMS": "RS1"}, "unknown algorithm 'RS1'; allowed: RS256"),
        ({"JWT_ALGORITHMS": ","}, "name at least one algorithm"),
        ({"JWT_ALGORITHMS": "HS256"}, "which need JWT_SECRET"),
        ({"JWT_SECRET": "x" * 40, "JWT_AUDIENCE": "a"}, "allows no HS256"),
        ({"JWT_SECRET": "short", "JWT_ALGORITHMS": "HS256"}, "at least 32 bytes"),
        ({"JWT_PRINCIPAL_CLAIM": "a b"}, "one claim name"),
        ({"JWT_LEEWAY_SECONDS": "-1"}, "JWT_LEEWAY_SECONDS='-1' is not allowed"),
    ],
)
def test_bad_settings_are_one_line_naming_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    text = refused_setting(monkeypatch, **variables)
    assert message in text
    assert "\n" not in text
    for name in ("API_KEY", "API_KEYS", "JWT_SECRET"):
        secret = variables.get(name)
        if secret and len(secret) > 4:
            assert secret not in text  # secrets are never echoed


def test_loopback_http_key_urls_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://127.0.0.1:8080/realm", "http://localhost/realm", "http://[::1]:1/r"):
        monkeypatch.setenv("JWT_ISSUER", url)
        monkeypatch.setenv("JWT_AUDIENCE", "api")
        assert load(AuthSettings).jwt_issuer == url


async def test_api_key_and_api_keys_name_their_principals() -> None:
    auth = Authenticator(
        AuthSettings(
            api_key=SecretStr("admin-key"), api_keys=SecretStr("alice:alice-key,svc:ci|bot:bot-key")
        )
    )
    assert auth.required
    assert await principal_of(auth, "admin-key") == "default"
    assert await principal_of(auth, "alice-key") == "alice"
    assert await principal_of(auth, "bot-key") == "svc:ci|bot"  # split at the last ':'
    for wrong in ("", "alice", "alice-key ", "ALICE-KEY", "admin-key\x00", "x" * 9000):
        with pytest.raises(AuthenticationError, match="not valid"):
            await principal_of(auth, wrong)


async def test_without_credentials_everyone_is_local() -> None:
    auth = Authenticator(AuthSettings())
    assert not auth.required
    for credential in (None, Credential("anything", bearer=True)):
        result = await auth.authenticate(credential)
        assert (result.principal.id, result.method) == ("local", "none")


async def test_a_missing_credential_is_told_how_to_send_one() -> None:
    auth = Authenticator(AuthSettings(api_key=SecretStr("k")))
    with pytest.raises(AuthenticationError, match="Authorization: Bearer") as error:
        await auth.authenticate(None)
    assert not error.value.invalid_token


def test_credential_headers() -> None:
    assert credential_from_headers(None, None) is None
    assert credential_from_headers("Bearer abc", None) == Credential("abc", bearer=True)
    assert credential_from_headers(None, " abc ") == Credential("abc", bearer=False)
    for authorization in ("Basic YWJj", "Token abc", "abc", "Bearer", "Bearer\t"):
        with pytest.raises(AuthenticationError):
            credential_from_headers(authorization, None)
    # Another scheme beside X-API-Key is someone else's (a proxy's): the key is the credential.
    assert credential_from_headers("Basic YWJj", "k") == Credential("k", bearer=False)


async def test_keys_file_stores_hashes_only_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "api_keys.toml"
    alice = add_key(path, "alice", ("admin",))
    bob = add_key(path, "bob")
    assert len(alice) >= 40
    assert alice != bob
    text = path.read_text()
    assert alice not in text
    assert bob not in text
    assert text.count('hash = "sha256:') == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = read_keys_file(path)
    assert [(key.principal, key.roles) for key in stored] == [("alice", ("admin",)), ("bob", ())]

    auth = Authenticator(AuthSettings(api_keys_file=path))
    result = await auth.authenticate(Credential(alice, bearer=True))
    assert (result.principal.id, result.principal.is_admin) == ("alice", True)
    # Removed while the server runs: refused at once; added: accepted at once.
    assert remove_key(path, "alice")
    assert not remove_key(path, "alice")
    with pytest.raises(AuthenticationError):
        await auth.authenticate(Credential(alice, bearer=True))
    carol = add_key(path, "carol")
    assert await principal_of(auth, carol) == "carol"
    assert await principal_of(auth, bob) == "bob"


def test_a_principal_gets_one_key(tmp_path: Path) -> None:
    path = tmp_path / "api_keys.toml"
    add_key(path, "alice")
    with pytest.raises(ConfigurationError, match="already has a key"):
        add_key(path, "alice")
    with pytest.raises(ValueError, match="invalid principal id"):
        add_key(path, "no spaces")
    with pytest.raises(ValueError, match="invalid role"):
        add_key(path, "bob", ("ad min",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml [", "cannot be read"),
        ('[[keys]]\nprincipal = "a"\n', "needs 'principal' and 'hash'"),
        ('[[keys]]\nprincipal = "a"\nhash = "md5:00"\n', "'sha256:' and 64 hex digits"),
        ('[[keys]]\nprincipal = "a"\nhash = "sha256:' + "0" * 64 + '"\nkey = "x"\n', "unknown"),
        ("[other]\n", "only [[keys]] tables"),
    ],
)
def test_an_invalid_keys_file_is_named_with_its_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    path = tmp_path / "api_keys.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="API_KEYS_FILE="):
        read_keys_file(path)
    assert message in refused_setting(monkeypatch, API_KEYS_FILE=str(path))


async def test_a_missing_keys_file_starts_closed_and_opens_when_a_key_is_added(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "api_keys.toml"
    with caplog.at_level("WARNING", logger="agents_core.auth"):
        auth = Authenticator(AuthSettings(api_keys_file=path))
    assert f"API_KEYS_FILE={path} does not exist yet" in caplog.text
    assert auth.required  # never open to everyone: every key is refused
    with pytest.raises(AuthenticationError, match="not valid"):
        await principal_of(auth, "some-key-0123456789")
    with pytest.raises(AuthenticationError, match="Authentication required"):
        await auth.authenticate(None)
    key = add_key(path, "alice")
    assert await principal_of(auth, key) == "alice"
