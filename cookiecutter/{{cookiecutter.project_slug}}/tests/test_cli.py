"""The command-line interface, as a user types it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from agents_core import AgentDefinition, AgentSession, register_agent, register_tool
from {{ cookiecutter.package_name }}.cli import (
    RESULT_LINES,
    RESULT_WIDTH,
    build_parser,
    has_api,
    has_workflows,
    main,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_agents_lists_every_agent_with_its_tools(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents"]) == 0
    out = capsys.readouterr().out
    assert "assistant\n" in out
    assert "tools: calculator" in out
    assert "intent_router" in out


def test_tools_lists_every_tool_with_its_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools"]) == 0
    assert "calculator  [math]" in capsys.readouterr().out


def test_chat_once_prints_only_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "What is 12 * (3 + 4)?"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "12 * (3 + 4) = 84.\n"
    # No routing, steps, tool calls or timings: just the line naming the session.
    assert [line.split(":")[0] for line in captured.err.splitlines()] == ["session"]


@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_chat_verbose_shows_routing_tool_calls_and_timings(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", flag, "What is 12 * (3 + 4)?"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "12 * (3 + 4) = 84.\n"
    err = captured.err.splitlines()
{%- if cookiecutter.include_samples %}
    # Several agents: the router decides, and its decision is shown.
    assert "… intent_router" in err
    assert any(line.startswith("  → {") and '"category"' in line for line in err)
{%- endif %}
    assert "… assistant" in err
    assert '  ⚙ calculator(expression="12 * (3 + 4)")' in err
    # The result, pretty-printed over a few lines, with the call's time on its first line.
    result = err.index('  ⚙ calculator(expression="12 * (3 + 4)")') + 1
    assert re.fullmatch(r"  ↳ \(\d+\.\d\d s\)", err[result])
    assert '"value": 84' in [line.strip() for line in err[result + 1 : result + 6]]
    assert re.fullmatch(r"  ⏱ \d+\.\d\d s", err[-2])  # then the session line


def test_verbose_cuts_a_long_tool_result_to_a_few_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @register_tool
    def list_rows(table: str) -> list[dict[str, object]]:
        """List the rows of a table."""
        return [{"row": n, "text": "x" * 300} for n in range(50)]

    register_agent(
        AgentDefinition(
            name="lister", description="Lists rows", instructions="", tools=["list_rows"]
        )
    )
    assert main(["chat", "-v", "--agent", "lister", "list the rows of t"]) == 0
    err = capsys.readouterr().err.splitlines()
    start = next(i for i, line in enumerate(err) if line.startswith("  ↳"))
    shown = err[start + 1 : start + 1 + RESULT_LINES + 1]
    assert all(line.startswith("    ") for line in shown)
    assert all(len(line) <= 4 + RESULT_WIDTH for line in shown)
    assert re.fullmatch(r"    … \(\d+ more lines\)", shown[-1])
    assert not err[start + 2 + RESULT_LINES].startswith("    ")


def test_chat_once_prints_the_session_it_used_so_it_can_continue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["chat", "What is 2 + 2?"]) == 0
    err = capsys.readouterr().err
    [session] = [line.split()[1] for line in err.splitlines() if line.startswith("session: ")]
    assert f"--session {session}" in err
    assert main(["chat", "--session", session, "and 3 + 3?"]) == 0
    assert capsys.readouterr().out == "3 + 3 = 6.\n"
    items = asyncio.run(AgentSession(session).get_items())
    users = [
        item.get("content")
        for item in cast(list[dict[str, object]], items)
        if item.get("role") == "user"
    ]
    assert users == ["What is 2 + 2?", "and 3 + 3?"]


def test_chat_json_prints_one_event_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--json", "--agent", "assistant", "What is 2 + 2?"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "run_start"
    assert kinds[-1] == "done"
    assert "tool_call" in kinds
    assert "token" in kinds


def test_interactive_chat_keeps_one_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("What is 1 + 1?\nAnd 2 + 2?\n\n"))
    assert main(["chat", "--agent", "assistant", "--session", "cli-session"]) == 0
    out = capsys.readouterr().out
    assert "1 + 1 = 2." in out
    assert "2 + 2 = 4." in out


def _janitor(deleted: list[str]) -> None:
    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        deleted.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("y", "The delete file tool returned: deleted delete file /srv/x."),
        ("", "I did not run the delete file tool: the call was not approved (reason: rejected"),
    ],
)
def test_chat_asks_to_approve_a_tool_call_and_resumes(
    typed: str,
    answer: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deleted: list[str] = []
    _janitor(deleted)
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"delete file /srv/x\n{typed}\n\n"))

    assert main(["chat", "--agent", "janitor"]) == 0

    captured = capsys.readouterr()
    assert 'Approve delete_file({"path": "delete file /srv/x"})? [y/N] ' in captured.out
    assert answer in captured.out
    assert "delete_file waits for your approval" in captured.err
    assert deleted == (["delete file /srv/x"] if typed else [])


def test_a_refused_message_exits_2_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--agent", "assistant", "key sk-abcdefghijklmnopqrstuvwx"]) == 2
    assert "no_secrets" in capsys.readouterr().err


def test_unknown_agent_is_an_error_listing_agents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--agent", "nobody", "hi"]) == 1
    assert "Registered agents: " in capsys.readouterr().err


def test_usage_errors_exit_64(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fly"])
    assert exited.value.code == 64
    assert "invalid choice: 'fly'" in capsys.readouterr().err


# What `--help` and a usage error may not import: they answer before any of it is needed.
_HEAVY_MODULES = ("agents", "openai", "prefect", "fastapi", "litellm", "uvicorn")
_PARSE_ONLY = """
import sys
from {{ cookiecutter.package_name }}.cli import main
for argv in (["--help"], ["chat", "--help"], ["fly"], ["chat", "--json", "--nope"]):
    try:
        main(argv)
    except SystemExit as exited:
        print(exited.code, file=sys.stderr)
print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
"""


@pytest.mark.slow
def test_help_and_usage_errors_import_no_sdk(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_ONLY],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # --help prints to stdout and exits 0; a usage error prints to stderr and exits 64.
    assert (done.stdout + done.stderr).count("usage: {{ cookiecutter.project_slug }}") == 4
    assert done.stderr.splitlines().count("64") == 2
    assert done.stderr.splitlines().count("0") == 2
    loaded = set(done.stdout.splitlines()[-1].split())
    assert "argparse" in loaded
    assert not loaded & set(_HEAVY_MODULES)


# What the console script does with the garbage collector (commands/_common.py): no full
# collection while a command loads; an interactive chat, once ready, collects as usual again.
_COLLECTIONS = """
import gc, io, json, sys
from {{ cookiecutter.package_name }}.cli import run
full = gc.get_stats()[2]["collections"]
code = run(["chat", "What is 2 + 2?"])
print("GC", json.dumps([code, gc.get_stats()[2]["collections"] - full, "agents" in sys.modules,
                       gc.get_freeze_count(), gc.get_threshold()]), file=sys.stderr)
sys.stdin = io.StringIO("")
code = run(["chat"])
print("GC", json.dumps([code, gc.get_freeze_count() > 0, gc.get_threshold()]), file=sys.stderr)
"""


@pytest.mark.slow
def test_commands_load_without_full_collections_and_a_chat_then_collects(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTIONS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    found = [line.removeprefix("GC ") for line in done.stderr.splitlines() if line[:3] == "GC "]
    one_shot, interactive = [json.loads(line) for line in found]
    # The one-shot chat loaded the SDK (Python's defaults run several full collections for
    # that) and ran none; nothing frozen before exit, full collections still put off.
    assert one_shot == [0, 0, True, 0, [700, 10, 1000]]
    # The interactive chat, ready for its first message, froze what loading made and restored
    # Python's default thresholds.
    assert interactive == [0, True, [700, 10, 10]]


def test_bad_session_id_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--session", "no spaces allowed", "hi"]) == 64
    assert "Invalid session id" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) in (0, 1)
    captured = capsys.readouterr()
    assert "demo on the offline model" in captured.err
    answers = captured.out.splitlines()
    # The wording of the demo's answers: sentences from the tools' figures (issue 10).
{%- if cookiecutter.include_samples %}
    assert answers[0] == (
        "North had the highest revenue: 373,041.00 (38.5% of the 969,538.00 total over 4 regions)."
    )
    # No network in tests: the weather service cannot be reached, and the answer says so
    # without repeating the tool's advice to the model.
    assert answers[1].startswith("I could not get that from the weather tool: ")
    assert "say so" not in answers[1]
    # The notes keeper's tool lives in the sample MCP server, a child process of the demo.
    assert answers[2] == "The list notes tool returned: mcp, welcome."
{%- endif %}
    assert answers[-1] == "12 * (3 + 4) = 84."
    assert "category" not in captured.out
    # The questions and the answers only: no step, routing decision, tool call or timing.
    assert captured.err.count("you › ") == len(answers)
    for mark in ("… ", "  → ", "  ⚙ ", "  ↳", "  ⏱ "):
        assert mark not in captured.err


@pytest.mark.slow
def test_console_script_runs_as_a_module(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    done = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "chat", "What is 3 * 3?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "3 * 3 = 9.\n"


@pytest.mark.slow
def test_ctrl_c_at_the_prompt_exits_at_once_with_130(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    # A terminal's Ctrl-C: the chat must not inherit an ignored SIGINT (a test run started in
    # the background by a non-interactive shell has one, and Python would keep ignoring it).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        chat = subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    finally:
        signal.signal(signal.SIGINT, inherited)
    with chat:
        assert chat.stderr is not None
        assert b"chat with your agents" in chat.stderr.readline()  # the prompt is next
        chat.send_signal(signal.SIGINT)
        assert chat.wait(timeout=10) == 130
{%- if cookiecutter.include_api %}


def test_serve_prints_the_url_the_playground_and_the_key_policy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api import server_thread

    served: dict[str, object] = {}
    monkeypatch.setattr(server_thread, "serve", lambda app, **options: served.update(options))
    assert main(["serve", "--port", "8123"]) == 0
    err = capsys.readouterr().err
    assert "API on http://127.0.0.1:8123" in err
    assert "playground: http://127.0.0.1:8123/" in err
    assert "auth:       none, every caller is 'local'" in err
    assert served["port"] == 8123

    monkeypatch.setenv("API_KEY", "a-long-enough-test-key-0123456789")
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "auth:       API keys (header Authorization: Bearer" in capsys.readouterr().err
{%- endif %}


def test_serve_is_a_command_exactly_when_the_api_exists() -> None:
    assert has_api() is {{ cookiecutter.include_api }}
    assert ("\n    serve " in build_parser().format_help()) is has_api()


{%- if cookiecutter.include_api %}


def test_serve_takes_port_and_workers_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The names container platforms (PORT) and uvicorn (WEB_CONCURRENCY) use; the Dockerfile's
    # CMD passes neither flag.
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    args = build_parser().parse_args(["serve"])
    assert (args.port, args.workers) == (8000, 1)
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    args = build_parser().parse_args(["serve"])
    assert (args.port, args.workers) == (9123, 4)
    assert build_parser().parse_args(["serve", "--workers", "2"]).workers == 2


@pytest.mark.parametrize(("name", "value"), [("PORT", "http"), ("WEB_CONCURRENCY", "0")])
def test_serve_refuses_a_bad_port_or_worker_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve"])
    assert exit_info.value.code == 64
    assert f"expected a whole number of at least 1, got {value!r}" in capsys.readouterr().err
{%- endif %}


def test_flow_commands_exist_exactly_when_workflows_do() -> None:
    assert has_workflows() is {{ cookiecutter.include_workflows }}
    commands = build_parser().format_help()
    assert ("\n    flows " in commands) is has_workflows()
    assert ("\n    flow " in commands) is has_workflows()
