"""Credentials in OPENAI_BASE_URL and the OpenAI key never show in the CLI's output.

The model server's URL carries a user and a password, and nothing listens at its port: a chat
fails to reach it, and says where (host and port), without the secrets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agents_core._defaults import PROJECT_SLUG

pytestmark = pytest.mark.slow  # the CLI in a new process

PASSWORD = "s3cr3t-token"
OPENAI_KEY = "sk-leak-check-0123456789abcdef"
COMMAND = str(Path(sys.executable).with_name(PROJECT_SLUG))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port  # released when the block ends: nothing listens there


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_failed_chat_names_the_server_without_its_secrets(
    api: str, as_json: bool, tmp_path: Path
) -> None:
    port = closed_port()
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://user:{PASSWORD}@127.0.0.1:{port}/v1",
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_API": api,
        "MODEL_MAX_RETRIES": "0",
        "LOG_LEVEL": "DEBUG",
    }
    done = subprocess.run(
        [COMMAND, "chat", "--agent", "assistant", *(["--json"] if as_json else []), "2 + 2?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"cannot reach the model server at http://***@127.0.0.1:{port}/v1" in output
    assert PASSWORD not in output
    assert OPENAI_KEY not in output
