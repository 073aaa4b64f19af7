"""The next steps printed after `copier copy` name what `docker compose up` really starts.

For every combination of the answers that change compose.yaml, the message (copier.yml's
`_message_after_copy`) and the generated README's `docker compose up` line are rendered with the
compose file, and each service the text names must be one compose runs (issue 24: the all-off
project said "the whole stack" of a compose file holding one `cli` service).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = REPO_ROOT / "template"
COMPOSE = TEMPLATE / "{% if include_docker %}compose.yaml{% endif %}.jinja"

# What the text says for each service compose may run.
NAMED = {
    "api": "the API on http://localhost:8000",
    "cli": "the demo (once)",
    "redis": "Redis",
    "postgres": "PostgreSQL",
    "prefect-server": "a Prefect server and worker",
}

COMBOS = [
    {"include_api": api, "include_workflows": wf, "session_backend": backend}
    for api, wf, backend in itertools.product(
        (False, True), (False, True), ("sqlite", "redis", "postgres")
    )
]


def _render(source: str, answers: dict[str, Any]) -> str:
    env = jinja2.Environment(keep_trailing_newline=True)
    context = {
        "project_name": "My Agents",
        "project_slug": "my-agents",
        "package_name": "my_agents",
        "include_samples": True,
        "include_docker": True,
        "_copier_conf": {"dst_path": "my-agents", "answers_file": ".copier-answers.yml"},
        **answers,
    }
    return env.from_string(source).render(**context)


@pytest.mark.parametrize("answers", COMBOS, ids=lambda a: "-".join(str(v) for v in a.values()))
def test_the_next_steps_name_what_compose_starts(answers: dict[str, Any]) -> None:
    compose = yaml.safe_load(_render(COMPOSE.read_text("utf-8"), answers))
    services = set(compose["services"])
    message = yaml.safe_load((REPO_ROOT / "copier.yml").read_text("utf-8"))["_message_after_copy"]
    [line] = [x for x in _render(message, answers).splitlines() if "docker compose up" in x]
    said = line.split("# in containers: ", 1)[1]
    expected = [text for service, text in NAMED.items() if service in services]
    assert said == ", ".join(expected)
    assert "whole stack" not in line
    readme = _render((TEMPLATE / "README.md.jinja").read_text("utf-8"), answers)
    [up] = [x for x in readme.splitlines() if x.startswith("docker compose up ")]
    if services <= {"cli"}:
        assert "runs the demo once" in up
    else:
        assert "starts the services below" in up


@pytest.mark.parametrize("slug", ["a", "my-agents", "customer-support-agents"])
def test_the_next_steps_comments_line_up_whatever_the_slug(slug: str) -> None:
    message = yaml.safe_load((REPO_ROOT / "copier.yml").read_text("utf-8"))["_message_after_copy"]
    answers = {"include_api": True, "include_workflows": True, "session_backend": "sqlite"}
    text = (
        jinja2.Environment()
        .from_string(message)
        .render(
            project_name="X",
            project_slug=slug,
            include_docker=True,
            _copier_conf={"dst_path": slug},
            **answers,
        )
    )
    commented = [line for line in text.splitlines() if " # " in line]
    assert [line.split()[0:2] for line in commented] == [
        ["uv", "run"],
        ["uv", "run"],
        ["git", "add"],
        ["docker", "compose"],
    ]
    assert len({line.index(" # ") for line in commented}) == 1, "\n".join(commented)
