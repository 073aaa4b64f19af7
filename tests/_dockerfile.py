"""A small Dockerfile reader: stages and instructions, as the tests need them (not a full parser).

Handles comments, line continuations, `FROM image AS name`, exec-form (JSON) CMD/HEALTHCHECK, ENV
`KEY=value` pairs and RUN flags such as `--mount=...`. The image-equivalent test runs what it
reads here, so the Dockerfile and the test cannot drift apart.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, ...
    args: str  # the rest of the instruction, continuations joined
    line: int

    def flags_and_rest(self) -> tuple[list[str], str]:
        """Leading `--flag=value` options (RUN --mount, COPY --from) and the remaining text."""
        flags: list[str] = []
        rest = self.args
        while match := re.match(r"(--\S+)\s+", rest):
            flags.append(match.group(1))
            rest = rest[match.end() :]
        return flags, rest

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD/ENTRYPOINT (HEALTHCHECK: after its options)."""
        _, rest = self.flags_and_rest()
        if self.keyword == "HEALTHCHECK":
            assert rest.startswith("CMD "), f"line {self.line}: HEALTHCHECK without CMD"
            rest = rest[len("CMD ") :]
        value = json.loads(rest)
        assert isinstance(value, list), f"line {self.line}: not exec form: {rest}"
        return [str(v) for v in value]


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Every ENV of the stage, in order (values may hold `$NAME`, left as written)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                key, sep, value = pair.partition("=")
                assert sep, f"line {instruction.line}: write ENV as KEY=value"
                values[key] = value
        return values

    @property
    def workdir(self) -> str:
        found = self.last("WORKDIR")
        return found.args if found else "/"


def parse(path: Path) -> list[Stage]:
    """The stages of a Dockerfile, each with its instructions in order."""
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append((start, pending + stripped))
        pending = ""
    stages: list[Stage] = []
    for number, text in logical:
        keyword, _, args = text.partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(args.split()), number)
        if instruction.keyword == "FROM":
            parts = instruction.args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def ignored(rel: str, patterns: list[str]) -> bool:
    """Whether a `.dockerignore` excludes the context path `rel` (the subset of its syntax we use:
    plain names, `*` globs, `**/` prefixes, trailing slashes; no `!` exceptions)."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        anywhere = pattern.startswith("**/")
        pattern = pattern.removeprefix("**/")
        for prefix in prefixes:
            candidate = prefix.rsplit("/", 1)[-1] if anywhere else prefix
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
    return False


def dockerignore_patterns(path: Path) -> list[str]:
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "ignored() does not handle ! patterns"
    return patterns
