"""`eval` end to end, in-process: the shipped suites pass offline; a wrong case fails."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from agents_core.evals import default_evals_dir
from {{ cookiecutter.package_name }}.cli import main


def test_the_shipped_evals_pass_offline_with_a_table_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = main(
        [
            "eval",
            "--dir",
            str(default_evals_dir()),
            "--json",
            str(out / "r.json"),
            "--junit",
            str(out / "r.xml"),
            "--html",
            str(out / "r.html"),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.out
    assert "assistant on offline:" in printed.out
    assert "score 100%" in printed.out
    assert "multiply" in printed.out
    assert "not run assistant/multiply (offline): judge" in printed.out  # reported, not hidden
    assert "[1/" in printed.err  # progress
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert {suite["suite"] for suite in report} >= {"assistant"}
    assert all(case["passed"] for suite in report for case in suite["cases"])
    assert all(case["input_tokens"] > 0 for suite in report for case in suite["cases"])
    junit = ElementTree.parse(out / "r.xml").getroot()
    assert junit.tag == "testsuites"
    assert not junit.findall(".//failure")
    assert "<table>" in (out / "r.html").read_text(encoding="utf-8")


def test_a_failing_case_is_reported_and_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "assistant.yaml").write_text(
        "agent: assistant\n"
        "threshold: 0.5\n"
        "cases:\n"
        "  - id: right\n"
        "    input: What is 2 + 2?\n"
        "    checks: [{number: 4}]\n"
        "  - id: wrong\n"
        "    input: What is 2 + 2?\n"
        "    tool_calls: [{name: calculator, arguments: {expression: '3 + 3'}}]\n"
        "    checks: [{number: 5}]\n"
        "  - id: wrong-agent\n"
        "    input: What is 2 + 2?\n"
        "    expected_agent: billing\n",
        encoding="utf-8",
    )
    junit = tmp_path / "r.xml"
    code = main(["eval", "--dir", str(tmp_path), "--junit", str(junit), "--repeat", "1"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "1/3 passed, score 33% (threshold 50%) BELOW THRESHOLD" in printed
    assert "FAIL assistant/wrong (offline): tool calculator: argument 'expression'" in printed
    assert "FAIL assistant/wrong (offline): number: no number within 0 of 5" in printed
    assert "FAIL assistant/wrong-agent (offline): agent: expected billing, got assistant" in printed
    failures = ElementTree.parse(junit).getroot().findall(".//failure")
    assert len(failures) == 2


def test_two_models_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "assistant.yaml").write_text(
        "agent: assistant\ncases:\n  - {id: add, input: 'What is 2 + 2?', checks: [{number: 4}]}\n",
        encoding="utf-8",
    )
    # Without a key any OpenAI model name runs on the offline model: two columns, same answers.
    code = main(["eval", "--dir", str(tmp_path), "--model", "offline", "--model", "gpt-x"])
    printed = capsys.readouterr().out
    assert code == 0
    header = printed.splitlines()[0]
    assert "result (offline)" in header
    assert "result (gpt-x)" in header
    assert "assistant on gpt-x: 1/1 passed" in printed


def test_an_unknown_agent_and_a_bad_repeat_are_refused(tmp_path: Path) -> None:
    assert main(["eval", "--dir", str(default_evals_dir()), "--agent", "nobody"]) == 64
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--repeat", "0"])
    assert exit_info.value.code == 64
