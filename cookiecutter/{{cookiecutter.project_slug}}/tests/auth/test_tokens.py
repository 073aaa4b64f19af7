"""JWT bearer tokens, checked by PyJWT against a JWKS served on 127.0.0.1; tokens minted by
joserfc. Hostile tokens are refused with a reason; keys are discovered, cached and rotated."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from joserfc.jwk import ECKey, RSAKey

from agents_core.auth import (
    Authentication,
    AuthenticationError,
    Authenticator,
    AuthSettings,
    Credential,
    SigningKeysUnavailableError,
    tokens,
)
from tests.auth.provider import (
    AUDIENCE,
    Provider,
    hmac_token,
    json_server,
    provider,
    provider_keys,
    unsigned_token,
)


@pytest.fixture(scope="module")
def keys() -> dict[str, RSAKey | ECKey]:
    return provider_keys()


@pytest.fixture
def oidc(keys: dict[str, RSAKey | ECKey]) -> Iterator[Provider]:
    with provider(keys, "rsa-1", "ec-1") as running:
        yield running


def authenticator(oidc: Provider, **settings: Any) -> Authenticator:
    options: dict[str, Any] = {"jwt_issuer": oidc.issuer, "jwt_audience": AUDIENCE}
    return Authenticator(AuthSettings(**{**options, **settings}))


async def check(auth: Authenticator, token: str) -> Authentication:
    return await auth.authenticate(Credential(token, bearer=True))


async def refused(auth: Authenticator, token: str) -> str:
    with pytest.raises(AuthenticationError) as error:
        await check(auth, token)
    assert error.value.invalid_token
    return error.value.message


def tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_valid_tokens_name_their_principal_and_roles(oidc: Provider) -> None:
    auth = authenticator(oidc)
    alice = await check(auth, oidc.mint("alice", roles=["admin"]))
    assert alice.method == "jwt"
    assert alice.principal.id == "alice"
    assert alice.principal.is_admin
    bob = await check(auth, oidc.mint("bob", kid="ec-1"))
    assert (bob.principal.id, bob.principal.roles) == ("bob", frozenset())


async def test_discovery_finds_the_jwks_and_the_keys_are_cached(oidc: Provider) -> None:
    auth = authenticator(oidc)
    for name in ("alice", "bob", "carol"):
        assert (await check(auth, oidc.mint(name))).principal.id == name
    assert oidc.server.count("/realm/.well-known/openid-configuration") == 1
    assert oidc.server.count(oidc.jwks_path) == 1


async def test_a_jwks_url_alone_needs_no_discovery(oidc: Provider) -> None:
    auth = Authenticator(
        AuthSettings(jwt_jwks_url=oidc.server.url + oidc.jwks_path, jwt_audience=AUDIENCE)
    )
    assert (await check(auth, oidc.mint("alice"))).principal.id == "alice"
    assert oidc.server.requests == [oidc.jwks_path]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"lifetime": -3600}, "has expired"),
        ({"nbf": 2_000_000_000}, "not valid yet"),
        ({"iat": 2_000_000_000}, "not valid yet"),
        ({"iss": "https://evil.example/realm"}, "not issued by the configured issuer"),
        ({"aud": "another-api"}, "not issued for this service"),
        ({"aud": None}, "lacks a required claim"),
        ({"exp": None}, "lacks a required claim"),
        ({"iss": None}, "lacks a required claim"),
        ({"sub": None}, "no string claim 'sub'"),
        ({"sub": "has spaces"}, "invalid principal id"),
        ({"sub": "local"}, "a name reserved for callers without a token"),
        ({"sub": "default"}, "a name reserved"),
        ({"roles": {"admin": True}}, "must be a list of strings"),
    ],
)
async def test_claims_that_do_not_hold_are_refused(
    oidc: Provider, claims: dict[str, Any], reason: str
) -> None:
    subject = claims.pop("sub", "alice")
    assert reason in await refused(authenticator(oidc), oidc.mint(subject, **claims))


async def test_clock_skew_within_the_leeway_is_accepted(oidc: Provider) -> None:
    auth = authenticator(oidc, jwt_leeway_seconds=60)
    assert (await check(auth, oidc.mint("alice", lifetime=-30))).principal.id == "alice"
    assert "expired" in await refused(auth, oidc.mint("alice", lifetime=-90))


async def test_alg_none_is_refused(oidc: Provider) -> None:
    token = unsigned_token({"iss": oidc.issuer, "aud": AUDIENCE, "sub": "alice", "exp": 2**31})
    assert "algorithm 'none' is not accepted" in await refused(authenticator(oidc), token)


async def test_hs256_signed_with_the_providers_public_key_is_refused(
    oidc: Provider, keys: dict[str, RSAKey | ECKey]
) -> None:
    claims = {"iss": oidc.issuer, "aud": AUDIENCE, "sub": "alice", "exp": 2**31}
    public_pem = keys["rsa-1"].as_pem(private=False)
    token = hmac_token(claims, public_pem)
    assert "algorithm 'HS256' is not accepted" in await refused(authenticator(oidc), token)
    # Even where HS256 is allowed (with its own secret), the public key is not that secret.
    mixed = authenticator(oidc, jwt_algorithms="RS256,HS256", jwt_secret="s" * 32)
    assert "signature is not valid" in await refused(mixed, token)
    genuine = hmac_token(claims, b"s" * 32)
    assert (await check(mixed, genuine)).principal.id == "alice"


async def test_a_tampered_payload_is_refused(oidc: Provider) -> None:
    token = tampered(oidc.mint("bob"), sub="alice", roles=["admin"])
    assert "signature is not valid" in await refused(authenticator(oidc), token)


async def test_a_key_of_another_type_than_the_algorithm_is_never_used(oidc: Provider) -> None:
    # ES256 with the kid of the RSA key, and RS256 with the kid of the EC key: no key of the
    # JWKS has both that kid and the type the algorithm needs.
    ec_as_rsa = oidc.mint("alice", kid="ec-1", extra_header={"kid": "rsa-1"})
    assert "key id 'rsa-1' for ES256" in await refused(authenticator(oidc), ec_as_rsa)
    rsa_as_ec = oidc.mint("alice", kid="rsa-1", extra_header={"kid": "ec-1"})
    assert "key id 'ec-1' for RS256" in await refused(authenticator(oidc), rsa_as_ec)


async def test_a_100_kb_token_is_refused_before_parsing(oidc: Provider) -> None:
    from agents_core.auth import credential_from_headers

    huge = oidc.mint("alice", padding="x" * 100_000)
    with pytest.raises(AuthenticationError, match="larger than 8192 bytes"):
        credential_from_headers(f"Bearer {huge}", None)
    assert oidc.server.requests == []  # not even the keys were fetched


@pytest.mark.parametrize("header", ["jku", "x5u"])
async def test_jku_and_x5u_are_never_fetched(
    oidc: Provider, keys: dict[str, RSAKey | ECKey], header: str
) -> None:
    attacker = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    with json_server() as elsewhere:
        elsewhere.documents["/keys"] = {"keys": [attacker.as_dict(private=False)]}
        forged = Provider(oidc.server, {**keys, "attacker": attacker}).mint(
            "alice", kid="attacker", extra_header={header: elsewhere.url + "/keys"}
        )
        auth = authenticator(oidc, jwt_jwks_refetch_seconds=0)
        assert "key id 'attacker'" in await refused(auth, forged)
        # A genuine token pointing elsewhere is checked with the provider's keys only.
        genuine = oidc.mint("alice", extra_header={header: elsewhere.url + "/keys"})
        assert (await check(auth, genuine)).principal.id == "alice"
        assert elsewhere.requests == []


async def test_an_embedded_jwk_header_is_not_trusted(oidc: Provider) -> None:
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    forged = Provider(oidc.server, {"rsa-1": attacker}).mint(
        "alice", extra_header={"jwk": attacker.as_dict(private=False)}
    )
    assert "signature is not valid" in await refused(authenticator(oidc), forged)


async def test_an_unknown_kid_refetches_the_jwks_once_then_waits(oidc: Provider) -> None:
    auth = authenticator(oidc, jwt_jwks_refetch_seconds=3600)
    await check(auth, oidc.mint("alice"))
    oidc.publish("rsa-1", "rsa-2")  # rotated in after this process fetched the keys
    for _ in range(5):
        assert "key id 'rsa-2'" in await refused(auth, oidc.mint("alice", kid="rsa-2"))
    assert oidc.server.count(oidc.jwks_path) == 1  # rate-limited: no fetch per forged kid
    assert "key id 'no-such-kid'" in await refused(
        auth, oidc.mint("alice", extra_header={"kid": "no-such-kid"})
    )
    assert oidc.server.count(oidc.jwks_path) == 1


async def test_key_rotation_a_new_kid_is_accepted_after_one_refetch(oidc: Provider) -> None:
    auth = authenticator(oidc, jwt_jwks_refetch_seconds=0)
    await check(auth, oidc.mint("alice"))
    oidc.publish("rsa-2")  # rsa-1 retired, rsa-2 in
    assert (await check(auth, oidc.mint("bob", kid="rsa-2"))).principal.id == "bob"
    assert oidc.server.count(oidc.jwks_path) == 2
    # The retired key's tokens no longer verify (its kid is unknown after the refetch).
    assert "key id 'rsa-1'" in await refused(auth, oidc.mint("alice"))


async def test_concurrent_unknown_kids_share_one_fetch(oidc: Provider) -> None:
    auth = authenticator(oidc, jwt_jwks_refetch_seconds=3600)
    await check(auth, oidc.mint("alice"))
    oidc.publish("rsa-1", "rsa-2")
    tokens = [oidc.mint(f"user{n}", kid="rsa-2") for n in range(20)]
    results = await asyncio.gather(*(check(auth, t) for t in tokens), return_exceptions=True)
    assert all(isinstance(result, AuthenticationError) for result in results)
    assert oidc.server.count(oidc.jwks_path) == 1


async def test_a_token_without_kid_needs_a_single_fitting_key(oidc: Provider) -> None:
    no_kid = oidc.mint("alice", extra_header={"kid": None})
    # One RSA key (and an EC key) published: the RSA key is the only one RS256 can use.
    assert (await check(authenticator(oidc), no_kid)).principal.id == "alice"
    oidc.publish("rsa-1", "rsa-2")
    assert "names no key id" in await refused(authenticator(oidc), no_kid)


async def test_roles_and_principal_from_other_claims(oidc: Provider) -> None:
    auth = authenticator(oidc, jwt_principal_claim="email", jwt_roles_claim="realm_access.roles")
    token = oidc.mint(
        "opaque-id", email="alice@example.com", realm_access={"roles": ["admin", "user"]}
    )
    principal = (await check(auth, token)).principal
    assert principal.id == "alice@example.com"
    assert principal.roles == {"admin", "user"}
    namespaced = authenticator(oidc, jwt_roles_claim="https://example.com/roles")
    namespaced_roles: dict[str, Any] = {"https://example.com/roles": ["admin"]}
    auth0 = oidc.mint("auth0|123", **namespaced_roles)
    assert (await check(namespaced, auth0)).principal.roles == {"admin"}
    spaced = authenticator(oidc, jwt_roles_claim="scope")
    scoped = await check(spaced, oidc.mint("bob", scope="read write"))
    assert scoped.principal.roles == {"read", "write"}


async def test_a_discovery_document_for_another_issuer_is_refused(oidc: Provider) -> None:
    oidc.server.documents["/realm/.well-known/openid-configuration"]["issuer"] = "https://x.example"
    with pytest.raises(SigningKeysUnavailableError, match="names the issuer"):
        await check(authenticator(oidc), oidc.mint("alice"))


async def test_a_discovered_plain_http_jwks_elsewhere_is_refused(oidc: Provider) -> None:
    discovery = oidc.server.documents["/realm/.well-known/openid-configuration"]
    discovery["jwks_uri"] = "http://keys.example/jwks"
    with pytest.raises(SigningKeysUnavailableError, match="must use https"):
        await check(authenticator(oidc), oidc.mint("alice"))


async def test_an_unreachable_jwks_is_an_outage_not_a_401(oidc: Provider) -> None:
    auth = Authenticator(
        AuthSettings(jwt_jwks_url=oidc.server.url + "/nothing-here", jwt_audience=AUDIENCE)
    )
    with pytest.raises(SigningKeysUnavailableError, match="answered 404"):
        await check(auth, oidc.mint("alice"))


async def test_a_verified_token_is_checked_again_after_a_minute(
    oidc: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    auth = authenticator(oidc)
    alice, bob = oidc.mint("alice"), oidc.mint("bob")
    for _ in range(3):
        assert (await check(auth, alice)).principal.id == "alice"
    assert (await check(auth, bob)).principal.id == "bob"
    assert decoded == [alice, bob]  # one signature check per token

    class Later:
        @staticmethod
        def time() -> float:
            return time.time() + tokens.VERIFIED_CACHE_SECONDS + 1

    monkeypatch.setattr(tokens, "time", Later)
    assert (await check(auth, alice)).principal.id == "alice"
    assert decoded == [alice, bob, alice]


async def test_malformed_bearer_values(oidc: Provider) -> None:
    auth = authenticator(oidc)
    for token in ("eyJ.eyJ.", "eyJhbGciOi.x.y", "eyJ" + "A" * 50 + ".e30.sig"):
        assert "malformed" in await refused(auth, token)
    # Not JWT-shaped and no API keys configured.
    assert "not a JWT" in await refused(auth, "just-some-string")
