"""What the schemathesis fuzz runs share: bounded, derandomized Hypothesis settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Same requests on every run; raise FUZZ_EXAMPLES to dig deeper locally.
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,  # one app per operation is what we want
    ],
)

# schemathesis' ASGI client calls the app `testserver`, a name the API does not answer (only
# loopback names and ALLOWED_HOSTS: api.hosts); schemas are loaded and cases sent as localhost.
BASE_URL = "http://localhost"
LOCAL_HOST = {"Host": "localhost"}
