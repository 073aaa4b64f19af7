"""A sample MCP server over stdio: a small notebook per user, on the official `mcp` SDK.

`mcp_servers.toml` declares it as the `notes` server and the `notes_keeper` agent uses it, so
the whole MCP path (start the server, list its tools, call them) runs offline. Run it alone
with `python -m agents_core.mcp.notes_server` (it speaks MCP on stdin/stdout).

Notes persist in ``<DATA_DIR>/notes/<principal>.json``, one file per user, so a note added in
one process is there in the next. The user is the run's principal: the framework sends its id
with every tool call in the MCP request's ``_meta`` (key `PRINCIPAL_META_KEY`, see
`agents_core.mcp.connections`); a call without it is the `local` principal's. A principal only
ever reads and changes its own file. A new notebook starts with two notes about the project.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from agents_core.config import get_settings
from agents_core.mcp.connections import PRINCIPAL_META_KEY
from agents_core.principals import LOCAL_PRINCIPAL_ID, validate_principal_id

MAX_NOTE_CHARS = 2_000
MAX_NOTES = 100
FIRST_NOTES: dict[str, str] = {
    "welcome": "This project runs agents on the OpenAI Agents SDK.",
    "mcp": "MCP servers give agents tools that live in another process.",
}

server = MCPServer("notes", instructions="A notebook: list, read, add and delete short notes.")


def principal_of(ctx: Context[Any, Any] | None) -> str:
    """The principal id the call is for (`local` when the client sent none)."""
    meta: Any = None
    if ctx is not None:
        try:
            meta = ctx.request_context.meta
        except ValueError:  # outside a request (a direct call)
            meta = None
    value: Any = None
    if isinstance(meta, dict):
        value = meta.get(PRINCIPAL_META_KEY)
    elif meta is not None:
        extra = getattr(meta, "model_extra", None) or {}
        value = extra.get(PRINCIPAL_META_KEY, getattr(meta, PRINCIPAL_META_KEY, None))
    if value is None:
        return LOCAL_PRINCIPAL_ID
    return validate_principal_id(str(value))


def notebook_path(principal: str) -> Path:
    """``<DATA_DIR>/notes/<principal>.json`` (the id percent-encoded: no two ids share a file)."""
    return get_settings().data_dir / "notes" / f"{quote(principal, safe='@.+-_')}.json"


def load_notes(principal: str) -> dict[str, str]:
    path = notebook_path(principal)
    if not path.exists():
        return dict(FIRST_NOTES)
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def save_notes(principal: str, notes: dict[str, str]) -> None:
    """Write the notebook atomically (a temporary file replaced in one step)."""
    path = notebook_path(principal)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
    ) as file:
        json.dump(notes, file, ensure_ascii=False, indent=2, sort_keys=True)
    os.replace(file.name, path)


def _key(title: str, notes: dict[str, str]) -> str:
    key = title.strip().strip("'\"").lower()
    if key not in notes:
        shown = ", ".join(sorted(notes)) or "none"
        raise ToolError(f"No note titled {title!r}. Notes: {shown}.")
    return key


@server.tool()
def list_notes(ctx: Context[Any, Any]) -> list[str]:
    """List the titles of all notes in the notebook."""
    return sorted(load_notes(principal_of(ctx)))


@server.tool()
def read_note(title: str, ctx: Context[Any, Any]) -> str:
    """Read the text of the note with this title."""
    notes = load_notes(principal_of(ctx))
    return notes[_key(title, notes)]


@server.tool()
def add_note(title: str, text: str, ctx: Context[Any, Any]) -> str:
    """Add (or replace) a note with a short title and its text."""
    principal = principal_of(ctx)
    notes = load_notes(principal)
    key = title.strip().lower()
    if not key or len(key) > 80:
        raise ToolError("A note title must be 1 to 80 characters.")
    if len(text) > MAX_NOTE_CHARS:
        raise ToolError(f"A note must be at most {MAX_NOTE_CHARS} characters.")
    if key not in notes and len(notes) >= MAX_NOTES:
        raise ToolError(f"The notebook is full ({MAX_NOTES} notes).")
    notes[key] = text
    save_notes(principal, notes)
    return f"Saved note {key!r}."


@server.tool()
def delete_note(title: str, ctx: Context[Any, Any]) -> str:
    """Delete the note with this title."""
    principal = principal_of(ctx)
    notes = load_notes(principal)
    key = _key(title, notes)
    del notes[key]
    save_notes(principal, notes)
    return f"Deleted note {key!r}."


if __name__ == "__main__":
    import gc

    if not os.environ.get("DATA_DIR"):  # mcp_servers.toml passes an empty value when unset
        os.environ.pop("DATA_DIR", None)
    server.run("stdio")
    # The client waits for this process to end: skip the exit's last garbage-collection walk
    # over everything loaded (~0.3 s of CPU; the same as the CLI's `run`).
    gc.freeze()
