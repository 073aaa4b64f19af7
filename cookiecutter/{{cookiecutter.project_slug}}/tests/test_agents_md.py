"""AGENTS.md stays true: its commands run, and its snippets register what they say.

Each `uv run ...` line of its bash blocks is run (the whole-suite `pytest` only collects this file,
so that the suite does not run inside itself; `mypy` checks the snippets, strictly, with the
project's settings); each Python snippet is executed and what it registers is looked up; the
MCP server table is read by the project's own loader. A command this test does not know fails
it: AGENTS.md names nothing that is not checked here.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agents_core import get_agent_registry, get_guardrail_registry, get_tool_registry
from agents_core.mcp.servers_file import load_servers_file

PROJECT_ROOT = Path(__file__).resolve().parents[1]
AGENTS_MD = PROJECT_ROOT / "AGENTS.md"
SLUG = next(
    line.split('"')[1]
    for line in (PROJECT_ROOT / "pyproject.toml").read_text("utf-8").splitlines()
    if line.startswith("name = ")
)


def blocks(language: str) -> list[str]:
    text = AGENTS_MD.read_text("utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def commands() -> list[list[str]]:
    """The argv of each `uv run` command of the bash blocks (`&&` splits a line)."""
    found: list[list[str]] = []
    for block in blocks("bash"):
        for line in block.splitlines():
            for part in line.split("#")[0].split("&&"):
                argv = shlex.split(part)
                assert argv[:2] == ["uv", "run"], f"AGENTS.md: not a `uv run` command: {part!r}"
                found.append(argv[2:])
    return found


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / argv[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run(
        [str(executable), *argv[1:]],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_agents_md_names_the_checks_tests_and_commands() -> None:
    names = [argv[0] for argv in commands()]
    assert {"ruff", "mypy", "pytest", SLUG} <= set(names)


@pytest.mark.parametrize("argv", commands(), ids=" ".join)
@pytest.mark.slow
def test_each_command_of_agents_md_works(argv: list[str], tmp_path: Path) -> None:
    tool, args = argv[0], argv[1:]
    if tool == "pytest":
        # A named file runs. The whole suite would run this test again: the bare command starts
        # with the project's settings and collects this file only.
        args = args if args else ["--collect-only", "-q", "tests/test_agents_md.py"]
        args = [*args, "-p", "no:cacheprovider"]
    elif tool == "mypy":
        # The snippets, with the project's settings (the project itself: CI's `mypy` step).
        assert args == [], "AGENTS.md: `uv run mypy` takes its files from pyproject.toml"
        files = []
        for number, code in enumerate(blocks("python")):
            snippet = tmp_path / f"agents_md_snippet_{number}.py"
            snippet.write_text(code, "utf-8")
            files.append(str(snippet))
        args = ["--config-file", str(PROJECT_ROOT / "pyproject.toml"), *files]
    elif tool not in ("ruff", SLUG):
        pytest.fail(f"AGENTS.md names `uv run {' '.join(argv)}`, which this test does not check")
    done = run([tool, *args])
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    if tool == SLUG and args[:1] == ["chat"]:
        assert done.stdout.strip() == "2 + 2 = 4."


def test_the_snippets_register_what_they_say() -> None:
    namespace: dict[str, Any] = {}
    for code in blocks("python"):
        exec(compile(code, str(AGENTS_MD), "exec"), namespace)
    translator = get_agent_registry().get("translator")
    assert translator.metadata == {"intent": "translation"}
    assert get_tool_registry().get("word_count").category == "text"
    assert namespace["word_count"]("three small words") == 3
    check = get_guardrail_registry().get("no_shouting").check
    assert check(None, "HELLO") == (False, "Please write in lower case.")
    assert check(None, "hello") == (True, "ok")
    flows = [value for name, value in namespace.items() if name.endswith("_flow")]
    if (PROJECT_ROOT / "workflows_core").is_dir():
        from workflows_core.catalog import describe

        [flow] = flows
        assert describe(flow).name == "word-count"
        outcome = flow.fn("three small words")
        if inspect.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        assert outcome == {"words": 3}
    else:
        assert flows == []


def test_the_mcp_server_table_is_valid(tmp_path: Path) -> None:
    [table] = blocks("toml")
    servers_file = tmp_path / "mcp_servers.toml"
    servers_file.write_text(table, "utf-8")
    [server] = load_servers_file(servers_file)
    assert (server.name, server.transport, server.optional) == ("time", "stdio", True)
