"""A sample MCP server over stdio: a small notebook, on the official `mcp` SDK.

`mcp_servers.toml` declares it as the `notes` server and the `notes_keeper` agent uses it, so
the whole MCP path (start the server, list its tools, call them) runs offline. Run it alone
with `python -m agents_core.mcp.notes_server` (it speaks MCP on stdin/stdout). The notes live
in memory: each server process starts from the same two.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

MAX_NOTE_CHARS = 2_000
MAX_NOTES = 100

server = MCPServer("notes", instructions="A notebook: list, read and add short notes.")
_notes: dict[str, str] = {
    "welcome": "This project runs agents on the OpenAI Agents SDK.",
    "mcp": "MCP servers give agents tools that live in another process.",
}


@server.tool()
def list_notes() -> list[str]:
    """List the titles of all notes in the notebook."""
    return sorted(_notes)


@server.tool()
def read_note(title: str) -> str:
    """Read the text of the note with this title."""
    key = title.strip().lower()
    if key not in _notes:
        raise ValueError(f"No note titled {title!r}. Notes: {', '.join(sorted(_notes))}.")
    return _notes[key]


@server.tool()
def add_note(title: str, text: str) -> str:
    """Add (or replace) a note with a short title and its text."""
    key = title.strip().lower()
    if not key or len(key) > 80:
        raise ValueError("A note title must be 1 to 80 characters.")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"A note must be at most {MAX_NOTE_CHARS} characters.")
    if key not in _notes and len(_notes) >= MAX_NOTES:
        raise ValueError(f"The notebook is full ({MAX_NOTES} notes).")
    _notes[key] = text
    return f"Saved note {key!r}."


if __name__ == "__main__":
    server.run("stdio")
