"""The workflow commands of the CLI: `flows` and `flow run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main, parse_param

MASTER = ["flow", "run", "master-data-orchestration"]


def test_flows_lists_names_descriptions_and_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["flows"]) == 0
    out = capsys.readouterr().out
    assert "agent-analysis  (Agent Analysis)" in out
    assert "--param query=<str>  (required): The question or instruction." in out
    assert main(["flows", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert "master-data-orchestration" in [flow["name"] for flow in listed]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("n=3", ("n", 3)),
        ('q=["a", "b"]', ("q", ["a", "b"])),
        ("q=What is 2 + 2?", ("q", "What is 2 + 2?")),
        ("q=", ("q", "")),
        ("q=null", ("q", None)),
    ],
)
def test_param_values_are_json_else_text(text: str, parsed: tuple[str, object]) -> None:
    assert parse_param(text) == parsed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["flow", "run", "nope"], "known flows: agent-analysis"),
        (["flow", "run", "agent-analysis", "-p", "qery=hi"], "unknown parameter(s) qery"),
        (["flow", "run", "agent-analysis"], "missing required parameter(s) query"),
        (["flow", "run", "agent-analysis", "-p", "query"], "--param takes key=value"),
        ([*MASTER, "-p", "data_id=x", "-p", "trigger_source=x"], "'upload', 'api' or 'scheduled'"),
        ([*MASTER, "-p", "data_id=../x", "-p", "trigger_source=api"], "Invalid data id '../x'"),
        (
            ["flow", "run", "agent-analysis", "-p", "query=q", "-p", "agent=nobody"],
            "unknown agent 'nobody'. Agents: ",
        ),
    ],
)
def test_bad_names_and_parameters_exit_64_saying_what_is_allowed(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert message in err
    # Refused before the run starts: `flow run` says "running flow" and which Prefect server
    # it uses just before it calls the engine (which may start a temporary server).
    assert "running flow" not in err
    assert "Prefect server" not in err


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.slow
def test_a_failed_flow_exits_1_with_the_tasks_error(capsys: pytest.CaptureFixture[str]) -> None:
    query = "query=my key is sk-abcdefghijklmnopqrstuvwx"
    assert main(["flow", "run", "agent-analysis", "-p", query]) == 1
    err = capsys.readouterr().err
    assert "Failed" in err
    assert "error: GuardrailTripped: Guardrail 'no_secrets' refused the input" in err


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.slow
def test_flow_run_json_prints_the_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["flow", "run", "parallel-agent-analysis", "--json"]
    assert main([*argv, "-p", 'queries=["What is 1 + 1?", "What is 2 + 2?"]']) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["state"] == "Completed"
    assert outcome["result"]["count"] == 2


@pytest.mark.slow
def test_flow_run_end_to_end_keeps_prefect_state_in_the_data_dir(
    tmp_path: Path, prefect_server: str
) -> None:
    """A real `flow run` in a fresh process, with its progress, result and Prefect home.

    It uses the session's Prefect server (PREFECT_API_URL) instead of starting its own: the same
    code path as ephemeral mode once a server answers, ~20 s faster.
    """
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENAI_", "PREFECT_HOME", "PREFECT_API_URL"))
    }
    env.update(HOME=str(home), DATA_DIR=str(data), PREFECT_API_URL=prefect_server)
    parameters = ["-p", "query=What is 3 * 3?", "-p", "agent=assistant"]
    done = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "flow", "run", "agent-analysis", *parameters],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["analysis"]["text"] == "3 * 3 = 9."
    # Progress while it ran: Prefect's lines for the flow and task runs.
    assert "Task run 'Run Agent Analysis" in done.stderr
    assert "Finished in state Completed()" in done.stderr
    # Prefect's home is under DATA_DIR, and nothing was written to the home directory.
    assert (data / "prefect").is_dir()
    assert not (home / ".prefect").exists()
