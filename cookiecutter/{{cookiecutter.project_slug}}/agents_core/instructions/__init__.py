"""Reusable prompt snippets (markdown files in `shared/`), loaded as package resources."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_instruction(name: str) -> str:
    """The text of `shared/<name>.md`; an unknown name lists the snippets that exist."""
    folder = resources.files("agents_core.instructions") / "shared"
    file = folder / f"{name}.md"
    if not file.is_file():
        known = sorted(
            p.name.removesuffix(".md") for p in folder.iterdir() if p.name.endswith(".md")
        )
        raise KeyError(f"No instruction snippet {name!r}. Available: {', '.join(known)}.")
    return file.read_text(encoding="utf-8").strip()


def compose_instructions(*parts: str) -> str:
    """Join an agent's own text with snippets: `compose_instructions("You are...", "tool_use")`.

    A part that names a snippet is replaced by it; anything else is kept as written.
    """
    texts = [load_instruction(part) if _is_snippet(part) else part.strip() for part in parts]
    return "\n\n".join(text for text in texts if text)


def _is_snippet(part: str) -> bool:
    if not part.replace("_", "").isalnum():
        return False
    return (resources.files("agents_core.instructions") / "shared" / f"{part}.md").is_file()


__all__ = ["compose_instructions", "load_instruction"]
