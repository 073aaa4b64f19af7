"""Cost of authentication on POST /runs: no credentials vs API keys vs JWT bearer tokens.

Three servers, each a real uvicorn on 127.0.0.1 with one worker (the project's app,
`uvicorn api:create_app --factory`, its own process, default h11/asyncio), on the
`OfflineModel` with tracing off, differing only in their authentication settings:

  none     **baseline**: no credentials configured (every caller is `local`)
  api_key  API_KEYS with two principals; each request sends `Authorization: Bearer <key>`
  jwt      JWT_JWKS_URL (a JWKS served on 127.0.0.1, fetched once and cached) and JWT_AUDIENCE;
           each request sends the same RS256 token (verified by PyJWT once, then remembered)

Measured from a separate load-generator process (httpx, async): requests per second and p50
latency of POST /runs (agent=assistant, "What is 2 + 3?": a calculator call) with N concurrent
clients, the servers measured alternately, several repeats each; printed are medians over
repeats and the overhead of each mode: rps(none) / rps(mode), and p50(mode) / p50(none).
The target is at most 1.03x. A client sends the same token with each request, so the JWT
server checks its signature once and then finds it among the verified tokens (as in use).
It also times `Authenticator.authenticate` alone, in process (microseconds per call): on a
busy machine the servers' ratios swing by more than authentication costs, this does not.

It runs in the rendered project's own environment (as api_throughput.py does).

    python bench/auth_overhead.py [--requests 300] [--concurrency 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import _project
from api_throughput import EXPECTED, INPUT, _start_server, _wait_ready, project_python

MODES = ("none", "api_key", "jwt")
AUDIENCE = "bench-api"
KEY = "bench-key-0123456789abcdefghijklmnop"
TARGET = 1.03


# --- worker: in the rendered project's environment --------------------------------------------


def _jwks_server(document: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/jwks"


def _signing() -> tuple[dict[str, Any], str]:
    """A JWKS with one RSA key, and a token it verifies (valid for an hour)."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update(kid="bench-1", use="sig", alg="RS256")
    now = int(time.time())
    claims = {"sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 3600}
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "bench-1"})
    return {"keys": [public]}, token


async def _load(url: str, headers: dict[str, str], total: int, concurrency: int) -> dict[str, Any]:
    """`total` POST /runs from `concurrency` clients; requests/s and p50 latency (ms)."""
    import asyncio

    import httpx

    latencies: list[float] = []
    remaining = total
    clock = time.perf_counter
    body = {"input": INPUT, "agent": "assistant"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = clock()
            response = await client.post("/runs", json=body)
            latencies.append((clock() - start) * 1000)
            if response.status_code != 200 or EXPECTED not in response.json()["text"]:
                raise SystemExit(f"{url}/runs answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        start = clock()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = clock() - start
    return {"rps": total / elapsed, "p50": _project.percentile(latencies, 50)}


def _in_process(settings: dict[str, Any], token: str, calls: int) -> dict[str, float]:
    """Microseconds per `Authenticator.authenticate` call, per mode (medians of 5 batches)."""
    import asyncio

    from agents_core.auth import Authenticator, AuthSettings, Credential

    async def per_call(auth: Authenticator, credential: Credential | None) -> float:
        await auth.authenticate(credential)  # warm: JWKS fetched, keys built
        batches = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(calls):
                await auth.authenticate(credential)
            batches.append((time.perf_counter() - start) / calls * 1e6)
        return _project.median(batches)

    async def measure() -> dict[str, float]:
        return {
            "none": await per_call(Authenticator(AuthSettings()), None),
            "api_key": await per_call(
                Authenticator(AuthSettings(api_keys=settings["API_KEYS"])),
                Credential(KEY, bearer=True),
            ),
            "jwt": await per_call(
                Authenticator(
                    AuthSettings(jwt_jwks_url=settings["JWT_JWKS_URL"], jwt_audience=AUDIENCE)
                ),
                Credential(token, bearer=True),
            ),
        }

    return asyncio.run(measure())


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    for name in ("requests", "concurrency", "repeats", "warmup"):
        parser.add_argument(f"--{name}", type=int, required=True)
    args = parser.parse_args(argv)

    jwks, token = _signing()
    jwks_server, jwks_url = _jwks_server(jwks)
    env = dict(os.environ)
    settings = {"API_KEYS": f"alice:{KEY},bob:other-key-0123456789", "JWT_JWKS_URL": jwks_url}
    envs = {
        "none": env,
        "api_key": dict(env, API_KEYS=settings["API_KEYS"]),
        "jwt": dict(env, JWT_JWKS_URL=jwks_url, JWT_AUDIENCE=AUDIENCE),
    }
    headers = {
        "none": {},
        "api_key": {"Authorization": f"Bearer {KEY}"},
        "jwt": {"Authorization": f"Bearer {token}"},
    }
    servers = {mode: _start_server(["api:create_app", "--factory"], envs[mode]) for mode in MODES}
    try:
        for proc, url in servers.values():
            _wait_ready(url, proc)

        async def measure() -> dict[str, list[dict[str, Any]]]:
            for mode, (_, url) in servers.items():  # warm-up: imports, first runs, JWKS fetch
                await _load(url, headers[mode], args.warmup, args.concurrency)
            results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
            for repeat in range(args.repeats):
                # A different server first each repeat: the machine's drift is spread evenly.
                shift = repeat % len(MODES)
                for mode in (*MODES[shift:], *MODES[:shift]):
                    url = servers[mode][1]
                    load = await _load(url, headers[mode], args.requests, args.concurrency)
                    results[mode].append(load)
            return results

        result: dict[str, Any] = asyncio.run(measure())
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(30)
    result["in_process_us"] = _in_process(settings, token, calls=2000)
    jwks_server.shutdown()
    print(json.dumps(result))


# --- the parent: render, sync the project's environment, report -------------------------------


def report(result: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    rows: list[list[object]] = []
    rps = {mode: _project.median([r["rps"] for r in result[mode]]) for mode in MODES}
    p50 = {mode: _project.median([r["p50"] for r in result[mode]]) for mode in MODES}
    for mode in MODES:
        summary[mode] = {
            "rps": rps[mode],
            "p50": p50[mode],
            "overhead": _project.ratio(rps["none"], rps[mode]),
            "p50_ratio": _project.ratio(p50[mode], p50["none"]),
            "authenticate_us": result["in_process_us"][mode],
        }
        rows.append(
            [
                mode,
                rps[mode],
                p50[mode],
                summary[mode]["overhead"],
                summary[mode]["p50_ratio"],
                result["in_process_us"][mode],
            ]
        )
    headers = [
        "auth (median over repeats)",
        "requests/s",
        "p50 ms",
        "rps(none)/rps",
        "p50/p50(none)",
        "authenticate() us",
    ]
    print(_project.table(headers, rows))
    worst = max(summary[mode]["overhead"] for mode in ("api_key", "jwt"))
    verdict = "within" if worst <= TARGET else "ABOVE"
    print(f"worst overhead {worst:.3f}x: {verdict} the {TARGET:.2f}x target")
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="POST /runs per repeat")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per server (default 3)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per server")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    print(f"== auth_overhead: {_project.machine_line()}")
    project = _project.render_project()
    python = project_python(project)
    start = time.perf_counter()
    worker_args = [
        f"--requests={args.requests}",
        f"--concurrency={args.concurrency}",
        f"--repeats={args.repeats}",
        f"--warmup={args.warmup}",
    ]
    # Authentication variables of the caller's environment must not leak into "none".
    unset: dict[str, str | None] = {
        name: None
        for name in os.environ
        if name.startswith("JWT_") or name in ("API_KEY", "API_KEYS", "API_KEYS_FILE")
    }
    result = _project.run_worker(
        Path(__file__).resolve(), worker_args, project, python=python, timeout=1800, **unset
    )
    print(
        f"input {INPUT!r} (a calculator call), {args.concurrency} concurrent clients, "
        f"{args.requests} requests per repeat, {args.repeats} repeats"
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"auth_overhead": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
