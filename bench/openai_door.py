"""The OpenAI-compatible door against the project's own routes, on the same run.

One real uvicorn (the project's app, `uvicorn api:create_app --factory`, one worker), the
offline model, tracing off; the same input to the same agent ("assistant") through both doors:

  requests/s   POST /v1/chat/completions vs **baseline** POST /runs, N concurrent clients,
               each request a new conversation (a new session, as /runs without session_id),
               the doors taking turns every 25 requests
  first token  POST /v1/chat/completions with stream=true (first chunk with content) vs
               **baseline** POST /runs/stream (first `token` event), one stream at a time,
               alternating door by door

Printed: medians over repeats (the two doors measured alternately in each repeat) and the ratios
door / baseline. The issue's targets: requests/s ratio >= 0.95, first-token ratio <= 1.1.

    python bench/openai_door.py [--requests 300] [--concurrency 8] [--repeats 3]
"""

from __future__ import annotations

import json
import sys
from typing import Any

import _doors


def _request(stream: bool) -> tuple[str, dict[str, Any]]:
    body = {"model": "assistant", "messages": [{"role": "user", "content": _doors.INPUT}]}
    return "/v1/chat/completions", {**body, "stream": True} if stream else body


def _is_token(data: str) -> bool:
    """A chunk with content."""
    choices = json.loads(data).get("choices") or []
    return bool(choices and choices[0]["delta"].get("content"))


OPENAI = _doors.Door(
    "openai",
    _request,
    lambda body: str(body["choices"][0]["message"]["content"]),
    _is_token,
)


def main(argv: list[str] | None = None) -> int:
    return _doors.main(__file__, OPENAI, ("/v1/chat/completions", "/runs"), argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
