"""The TLS context of outgoing HTTPS clients, built once per process.

httpx builds a new verifying context for every client, and building one loads the CA bundle:
~15 ms of CPU. A client per request (JWKS fetches, A2A calls, the weather tool) and a model
client per test paid it each time; these clients share one context per HTTP package instead,
made the way that package makes its default (so the same certificates are trusted). The
environment (`SSL_CERT_FILE`, `SSL_CERT_DIR`) is read when the context is first built.
"""

from __future__ import annotations

import ssl
from functools import cache


@cache
def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """httpx's default verifying context (`verify=True`), for `httpx` clients."""
    import httpx

    return httpx.create_ssl_context(trust_env=trust_env)


@cache
def openai_tls_context() -> ssl.SSLContext:
    """The OpenAI client's default verifying context (its own HTTP package, httpx2)."""
    import httpx2

    return httpx2.create_ssl_context()
