"""Generate `cookiecutter/`, the cookiecutter and cruft form of this template, from copier.yml.

    python scripts/export_cookiecutter.py          # (re)write cookiecutter/
    python scripts/export_cookiecutter.py --check  # exit 1, listing the differences, if stale

Copier stays the source: `copier.yml` and `template/`. This script turns them into what
cookiecutter reads, so cookiecutter and cruft users get the same project byte for byte (apart from
the answers file, the README's "Update from the template" section and the template-update CI job,
which name their tool):

- `cookiecutter/cookiecutter.json`: every question with its default (choices with the default
  first, booleans as booleans), its help and choice labels as `__prompts__`, the computed answers
  (copier's `when: false`) as private `__` variables, and the files copier copies verbatim as
  `_copy_without_render`.
- `cookiecutter/{{cookiecutter.project_slug}}/`: the tree, `.jinja` suffixes dropped, every answer
  in the `cookiecutter.` namespace. A conditional path segment (`{% if x %}name{% endif %}`)
  becomes its plain name; `hooks/post_gen_project.py` deletes it when the condition is false.
- `hooks/pre_gen_project.py` checks the answers with copier.yml's own validators and messages,
  before anything is written (cookiecutter then removes the half-made project directory).

Only what the template uses is translated; anything else (a copier-only filter, a `when:` other
than false) fails here, loudly, rather than producing a template that differs. Needs the standard
library, Jinja2 and PyYAML (copier.yml is YAML).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
OUT = ROOT / "cookiecutter"
PROJECT_DIR = "{{cookiecutter.project_slug}}"
SUFFIX = ".jinja"

# Computed answers whose value differs for cookiecutter users (everything else is translated).
COMPUTED_FOR_COOKIECUTTER: dict[str, str] = {"update_tool": "cruft"}

# Copier question defaults that use filters cookiecutter does not have, in plain Jinja. The
# export fails if copier.yml's default changes and this table does not (see _default()).
PLAIN_JINJA_DEFAULTS: dict[str, tuple[str, str]] = {
    "project_slug": (
        "{{ project_name | lower | regex_replace('[^a-z0-9]+', '-') | trim('-') }}",
        # lower, then each run of characters other than a-z0-9 becomes one dash, then trim.
        "{% set ns = namespace(s='') %}"
        "{% for c in cookiecutter.project_name | lower %}"
        "{% if c in 'abcdefghijklmnopqrstuvwxyz0123456789' %}{% set ns.s = ns.s ~ c %}"
        "{% elif not ns.s.endswith('-') %}{% set ns.s = ns.s ~ '-' %}{% endif %}"
        "{% endfor %}{{ ns.s | trim('-') }}",
    ),
}

# Names only copier defines, or filters only its environment has: none may reach the export.
COPIER_ONLY = re.compile(r"\b(_copier_\w+|regex_\w+|to_nice_yaml|to_yaml|to_json|from_yaml)\b")
CONDITIONAL_SEGMENT = re.compile(
    r"^\{%-?\s*if\s+(?P<cond>.+?)\s*-?%\}(?P<name>.*?)\{%-?\s*endif\s*-?%\}(?P<rest>.*)$"
)
JINJA_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
RAW_BLOCK = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.DOTALL)
STRING_LITERAL = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"")


class ExportError(Exception):
    """The template uses something this export cannot translate faithfully."""


# -- questions -----------------------------------------------------------------------------------


def load_copier_yml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    return data


def questions(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in config.items() if not k.startswith("_") and isinstance(v, dict)}


def namespace_map(qs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Copier answer name -> its cookiecutter expression."""
    return {
        name: f"cookiecutter.__{name}" if q.get("when") is False else f"cookiecutter.{name}"
        for name, q in qs.items()
    }


def translate_expression(text: str, names: Mapping[str, str]) -> str:
    """Rename the answers inside one Jinja tag, leaving string literals and attributes alone."""
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")\b")
    out: list[str] = []
    pos = 0
    for literal in STRING_LITERAL.finditer(text):
        out.append(pattern.sub(lambda m: names[m.group(1)], text[pos : literal.start()]))
        out.append(literal.group())
        pos = literal.end()
    out.append(pattern.sub(lambda m: names[m.group(1)], text[pos:]))
    return "".join(out)


def translate_template(text: str, names: Mapping[str, str], where: str) -> str:
    """A copier Jinja text with every answer in the `cookiecutter.` namespace."""
    out: list[str] = []
    pos = 0
    for raw in RAW_BLOCK.finditer(text):
        out.append(_translate_spans(text[pos : raw.start()], names, where))
        out.append(raw.group())
        pos = raw.end()
    out.append(_translate_spans(text[pos:], names, where))
    return "".join(out)


def _translate_spans(text: str, names: Mapping[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        tag = match.group()
        if COPIER_ONLY.search(tag):
            raise ExportError(f"{where}: {tag!r} uses a copier-only name or filter")
        return translate_expression(tag, names)

    return JINJA_SPAN.sub(one, text)


def _default(name: str, question: Mapping[str, Any], names: Mapping[str, str]) -> Any:
    default = question.get("default")
    if name in PLAIN_JINJA_DEFAULTS:
        expected, plain = PLAIN_JINJA_DEFAULTS[name]
        if default != expected:
            raise ExportError(
                f"copier.yml's default of {name} changed; update PLAIN_JINJA_DEFAULTS "
                f"(expected {expected!r}, found {default!r})"
            )
        return plain
    if isinstance(default, str):
        return translate_template(default, names, f"copier.yml: {name}.default")
    return default


def cookiecutter_json(config: Mapping[str, Any], copy_only: list[str]) -> dict[str, Any]:
    qs = questions(config)
    names = namespace_map(qs)
    context: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    for name, q in qs.items():
        when = q.get("when", True)
        if when is False:
            value = COMPUTED_FOR_COOKIECUTTER.get(name, _default(name, q, names))
            context[f"__{name}"] = value
            continue
        if when is not True:
            raise ExportError(f"copier.yml: {name} has `when: {when}`; only false is exported")
        if q.get("secret"):
            raise ExportError(f"copier.yml: {name} is secret; cookiecutter would record it")
        default = _default(name, q, names)
        choices = q.get("choices")
        if choices:
            if not isinstance(choices, dict):
                raise ExportError(f"copier.yml: {name}.choices must be a label: value mapping")
            values = list(choices.values())
            if default not in values:
                raise ExportError(f"copier.yml: {name}'s default {default!r} is not a choice")
            context[name] = [default, *[v for v in values if v != default]]
            prompts[name] = {"__prompt__": q.get("help", name)} | {
                str(v): label for label, v in choices.items()
            }
            continue
        if q.get("type") == "bool":
            context[name] = bool(default)
        else:
            context[name] = default
        prompts[name] = q.get("help", name)
    context["__prompts__"] = prompts
    context["_copy_without_render"] = copy_only
    return context


# -- the tree ------------------------------------------------------------------------------------


def template_files(config: Mapping[str, Any]) -> Iterator[Path]:
    source = ROOT / str(config["_subdirectory"])
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(source)


def export_path(rel: Path, names: Mapping[str, str]) -> tuple[str, list[tuple[str, str]], bool]:
    """(exported path, [(path prefix, condition)], rendered?) of one template file."""
    parts: list[str] = []
    conditions: list[tuple[str, str]] = []
    rendered = False
    for index, segment in enumerate(rel.parts):
        last = index == len(rel.parts) - 1
        match = CONDITIONAL_SEGMENT.match(segment)
        if match:
            if "{" in match.group("name") or "{" in match.group("rest"):
                raise ExportError(f"template/{rel}: nested Jinja in a conditional name")
            segment = match.group("name") + match.group("rest")
            condition = translate_expression(match.group("cond"), names)
            conditions.append(
                ("/".join([*parts, _strip_suffix(segment) if last else segment]), condition)
            )
        elif "{" in segment:
            segment = translate_template(segment, names, f"template/{rel}")
        if last and segment.endswith(SUFFIX):
            segment = _strip_suffix(segment)
            rendered = True
        parts.append(segment)
    return "/".join(parts), conditions, rendered


def _strip_suffix(name: str) -> str:
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name


def export(dest: Path) -> None:
    config = load_copier_yml()
    if config.get("_templates_suffix", SUFFIX) != SUFFIX:
        raise ExportError("copier.yml: _templates_suffix must be .jinja")
    qs = questions(config)
    names = namespace_map(qs)
    answers_file = "{{_copier_conf.answers_file}}" + SUFFIX
    source = ROOT / str(config["_subdirectory"])
    tree = dest / PROJECT_DIR
    copy_only: list[str] = []
    removals: dict[str, str] = {}
    seen: dict[str, Path] = {}
    for rel in template_files(config):
        if rel.as_posix() == answers_file:
            continue  # cruft writes .cruft.json itself
        exported, conditions, rendered = export_path(rel, names)
        if exported in seen:
            raise ExportError(
                f"template/{rel} and template/{seen[exported]} both export {exported}"
            )
        seen[exported] = rel
        for prefix, condition in conditions:
            if removals.setdefault(prefix, condition) != condition:
                raise ExportError(f"{prefix}: two conditions ({removals[prefix]} / {condition})")
        target = tree / exported
        target.parent.mkdir(parents=True, exist_ok=True)
        if rendered:
            text = (source / rel).read_text(encoding="utf-8")
            target.write_text(translate_template(text, names, f"template/{rel}"), encoding="utf-8")
        else:
            copy_only.append(exported)
            shutil.copyfile(source / rel, target)
        shutil.copymode(source / rel, target)
    context = cookiecutter_json(config, sorted(copy_only))
    (dest / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n", encoding="utf-8")
    hooks = dest / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "pre_gen_project.py").write_text(pre_gen_hook(qs, names), encoding="utf-8")
    message = translate_template(
        str(config.get("_message_after_copy", "")).replace(
            "{{ _copier_conf.dst_path }}", "{{ cookiecutter.project_slug }}"
        ),
        names,
        "copier.yml: _message_after_copy",
    )
    (hooks / "post_gen_project.py").write_text(post_gen_hook(removals, message), encoding="utf-8")
    (dest / "README.md").write_text(README, encoding="utf-8")


# -- hooks ---------------------------------------------------------------------------------------

README = """\
# The agents-core template for cookiecutter and cruft

Generated by `scripts/export_cookiecutter.py` from `copier.yml` and `template/`: do not edit by
hand (a test fails when this folder differs from a fresh export). Use it with

    cookiecutter gh:<org>/<repo> --directory cookiecutter
    cruft create https://github.com/<org>/<repo> --directory cookiecutter

See the template's docs/cookiecutter.md.
"""

_HOOK_HEADER = '''\
"""{doc}

Generated by scripts/export_cookiecutter.py (the template's repository); do not edit.
"""

from __future__ import annotations
'''


def pre_gen_hook(qs: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> str:
    validators = {name: q["validator"] for name, q in qs.items() if q.get("validator")}
    doc = "Refuse a bad answer before anything is written, with copier.yml's own message."
    return (
        _HOOK_HEADER.format(doc=doc)
        + """
import json
import re
import sys
from typing import Any

import jinja2

# The answers, as cookiecutter rendered this file (JSON inside a string literal).
ANSWERS: dict[str, Any] = json.loads({{ cookiecutter | jsonify | tojson }})
{% raw %}
# Each question's validator from copier.yml: a Jinja template that renders a message when the
# answer is bad, and nothing when it is good.
VALIDATORS: dict[str, str] = json.loads("""
        + repr(json.dumps(validators))
        + """)


def regex_search(value: Any, pattern: str) -> str | None:
    match = re.search(pattern, str(value))
    return match.group() if match else None


def regex_replace(value: Any, pattern: str = "", replacement: str = "") -> str:
    return re.sub(pattern, replacement, str(value))


def problems(answers: dict[str, Any]) -> list[str]:
    env = jinja2.Environment(keep_trailing_newline=True)
    env.filters["regex_search"] = regex_search
    env.filters["regex_replace"] = regex_replace
    found = []
    for name, validator in VALIDATORS.items():
        message = env.from_string(validator).render(**answers).strip()
        if message:
            found.append(f"Validation error for question '{name}': {message}")
    return found


def main() -> int:
    found = problems({k: v for k, v in ANSWERS.items() if not k.startswith("_")})
    for message in found:
        print(message, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
{% endraw %}"""
    )


def post_gen_hook(removals: Mapping[str, str], message: str) -> str:
    doc = "Delete what the answers switched off, then say what to do next."
    rows = "\n".join(
        f"    ({path!r}, {{{{ 'True' if ({condition}) else 'False' }}}}),"
        for path, condition in sorted(removals.items())
    )
    return (
        _HOOK_HEADER.format(doc=doc)
        + f"""
import shutil
from pathlib import Path

# (path, keep?) for each path copier names conditionally.
PATHS: list[tuple[str, bool]] = [
{rows}
]

MESSAGE = \"\"\"{message}\"\"\"


def main() -> None:
    for path, keep in PATHS:
        target = Path(path)
        if keep or not (target.exists() or target.is_symlink()):
            continue
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    print(MESSAGE.strip())


if __name__ == "__main__":
    main()
"""
    )


# -- command -------------------------------------------------------------------------------------


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between two trees, or exist in only one (relative paths)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(f"{prefix}{name}" for name in cmp.left_only + cmp.right_only + cmp.funny_files)
        for name in cmp.common_files:
            if (Path(cmp.left) / name).read_bytes() != (Path(cmp.right) / name).read_bytes():
                found.append(f"{prefix}{name}")
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b), "")
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if cookiecutter/ is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "cookiecutter"
        try:
            export(fresh)
        except ExportError as error:
            print(f"export_cookiecutter: {error}", file=sys.stderr)
            return 2
        if args.check:
            stale = differences(fresh, OUT) if OUT.exists() else ["cookiecutter/ (missing)"]
            for path in stale:
                print(f"stale: cookiecutter/{path}", file=sys.stderr)
            if stale:
                print("Run: python scripts/export_cookiecutter.py", file=sys.stderr)
            return 1 if stale else 0
        if OUT.exists():
            shutil.rmtree(OUT)
        shutil.copytree(fresh, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
