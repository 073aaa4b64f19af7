"""The A2A door (JSON-RPC `POST /a2a`) against the project's own routes, on the same run.

One real uvicorn (the project's app, `uvicorn api:create_app --factory`, one worker), the
offline model, tracing off; the same input to the same agent ("assistant", named in the
message's metadata as a skill id) through both doors:

  requests/s   A2A `message/send` (a new task in a new context per request, read to its
               `completed` task) vs **baseline** POST /runs (a new session per request),
               N concurrent clients, the doors taking turns every 25 requests
  first token  A2A `message/stream` (first SSE event carrying text of the answer: an
               `artifact-update`) vs **baseline** POST /runs/stream (first `token` event),
               one stream at a time, alternating door by door

Printed: medians over repeats (the two doors measured alternately in each repeat) and the ratios
door / baseline. The issue's targets: requests/s ratio >= 0.95, first-token ratio <= 1.1.

    python bench/a2a_door.py [--requests 300] [--concurrency 8] [--repeats 3]
                             [--task-store shared|memory]

`--task-store` sets the server's A2A_TASK_STORE (default: the project's, `shared`: the tasks in
a SQLite file beside the sessions; `memory`: in the process).
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import _doors


def _request(stream: bool) -> tuple[str, dict[str, Any]]:
    """A JSON-RPC request with a new message (so a new task and a new context), A2A 0.3 names."""
    message = {
        "messageId": uuid.uuid4().hex,
        "role": "user",
        "parts": [{"kind": "text", "text": _doors.INPUT}],
        "metadata": {"agent": "assistant"},
    }
    method = "message/stream" if stream else "message/send"
    return "/a2a", {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"message": message}}


def _answer(body: dict[str, Any]) -> str:
    task = body["result"]
    if task["status"]["state"] != "completed":
        return ""
    return "".join(part.get("text", "") for part in task["artifacts"][0]["parts"])


def _is_token(data: str) -> bool:
    """An `artifact-update` carrying text of the answer."""
    result = json.loads(data).get("result") or {}
    if result.get("kind") != "artifact-update":
        return False
    return any(part.get("text") for part in result["artifact"]["parts"])


A2A = _doors.Door("a2a", _request, _answer, _is_token)
COLUMNS = ("/a2a", "/runs (/runs/stream)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _doors.worker(A2A, argv[1:])
        return 0
    parser = _doors.parser(__doc__.split("\n")[0])
    parser.add_argument(
        "--task-store", choices=["shared", "memory"], help="A2A_TASK_STORE of the server"
    )
    args = parser.parse_args(argv)
    return _doors.run(__file__, A2A, args, COLUMNS, A2A_TASK_STORE=args.task_store)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
