"""Two rendered projects, one calling the other's agent over A2A.

The callee (with the API) serves its agents with uvicorn; the caller (without the API: the A2A
client needs no FastAPI) registers the callee as a tool with `register_a2a_agent`, and its own
agent answers through it. Each project has its own environment, as two teams' projects would.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests._render import Renderer
from tests._tools import isolated_env, run, uv_executable

KEY = "key-caller-0123456789"
BASE = {"include_workflows": False, "include_samples": False, "include_docker": False, "ci": "none"}

CALLER_SCRIPT = """
import asyncio, json, os

from agents_core import AgentDefinition, register_a2a_agent, register_agent
from agents_core.runs import RunRequest, RunService

register_a2a_agent(
    "remote_math",
    os.environ["CALLEE_URL"],
    description="Ask the remote math agent a question about arithmetic.",
    api_key_env="CALLEE_KEY",
    skill="assistant",
    timeout_seconds=60,
)
register_agent(
    AgentDefinition(
        name="relay",
        description="Relays questions to the remote math agent",
        instructions="Ask the remote math agent.",
        tools=["remote_math"],
    )
)
outcome = asyncio.run(
    RunService().run(RunRequest(input="Ask the remote math agent: What is 2 + 2?", agent="relay"))
)
print(json.dumps({"status": outcome.status, "text": outcome.text}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.mark.generated
@pytest.mark.cost(60)
def test_a_project_calls_another_projects_agent_over_a2a(
    renderer: Renderer, tmp_path: Path
) -> None:
    callee = renderer.render_fresh(
        {**BASE, "project_name": "Callee", "include_api": True}, tmp_path / "callee"
    )
    caller = renderer.render_fresh(
        {**BASE, "project_name": "Caller", "include_api": False}, tmp_path / "caller"
    )
    uv = uv_executable()
    env = isolated_env()
    for project in (callee, caller):
        synced = run([uv, "sync"], cwd=project, env=env, timeout=1200)
        assert synced.ok, synced.describe()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    callee_env = {**env, "API_KEYS": f"caller:{KEY}", "DATA_DIR": str(tmp_path / "callee-data")}
    command = [uv, "run", "uvicorn", "api:create_app", "--factory", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--log-level", "warning"],
        cwd=callee,
        env=callee_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                error = server.stderr.read().decode() if server.stderr else ""
                pytest.fail(f"the callee's API did not start: {error[-2000:]}")
            try:
                if _get(f"{url}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the callee's API did not answer /health in 90 s"
            time.sleep(0.3)

        (caller / "call_callee.py").write_text(CALLER_SCRIPT, encoding="utf-8")
        caller_env = {
            **env,
            "CALLEE_URL": url,
            "CALLEE_KEY": KEY,
            "DATA_DIR": str(tmp_path / "caller-data"),
        }
        called = run([uv, "run", "python", "call_callee.py"], cwd=caller, env=caller_env)
        assert called.ok, called.describe()
        answer = json.loads(called.output.strip().splitlines()[-1])
        assert answer["status"] == "completed"
        assert "4" in str(answer["text"])
        # The callee ran the question, for the caller's principal.
        status, usage = _get(f"{url}/usage")
        assert status == 200
        assert usage["principal"] == "caller"
        requests = usage["requests"]
        assert isinstance(requests, dict)
        assert requests["used"] == 1
    finally:
        server.terminate()
        server.wait(15)
        if server.stderr:
            server.stderr.close()
