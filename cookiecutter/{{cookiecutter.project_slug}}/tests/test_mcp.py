"""MCP: declared servers (file and code), their SDK connections, and `mcp serve` over stdio."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from agents.items import ToolCallOutputItem
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent

from agents_core import AgentDefinition, AgentRunner, OfflineModel, register_agent
from agents_core.exceptions import ConfigurationError, MCPServerUnavailable
from agents_core.mcp import close_mcp_servers, load_servers_file
from agents_core.mcp.connections import connections
from agents_core.registry import (
    MCPServerDefinition,
    register_mcp_server,
)

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
async def _close_servers() -> AsyncIterator[None]:
    yield
    await close_mcp_servers()  # before this test's event loop ends


def text(result: CallToolResult) -> str:
    return " ".join(part.text for part in result.content if isinstance(part, TextContent))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "servers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_declares_servers_with_their_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCH_TOKEN", "s3cret")
    path = write(
        tmp_path,
        """
[servers.files]
transport = "stdio"
command = "npx"
args = ["-y", "server-filesystem"]
cwd = "data"
blocked_tools = ["write_file"]
optional = true

[servers.search]
transport = "streamable_http"
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer ${SEARCH_TOKEN}" }
require_approval = ["delete_index"]
call_timeout_seconds = 5
""",
    )
    files, search = load_servers_file(path)
    assert (files.name, files.command, files.blocked_tools, files.optional) == (
        "files",
        "npx",
        ["write_file"],
        True,
    )
    assert files.cwd == str((tmp_path / "data").resolve())  # relative to the file
    assert search.headers == {"Authorization": "Bearer s3cret"}
    assert search.require_approval == ["delete_index"]
    assert load_servers_file(tmp_path / "missing.toml") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[servers.x]\ntransport = "ftp"\ncommand = "a"', "transport 'ftp' is not one of stdio"),
        ('[servers.x]\ntransport = "stdio"', "transport stdio needs a command"),
        ('[servers.x]\ntransport = "sse"\nurl = "file:///etc"', "needs an http:// or https:// url"),
        ('[servers.x]\ntransport = "stdio"\ncommand = "a"\ncolour = 1', "unknown key(s) colour"),
        ('[servers.x]\ncommand = "a"', "transport is required"),
        (
            '[servers.x]\ntransport = "stdio"\ncommand = "a"\nconnect_timeout_seconds = 0',
            "connect_timeout_seconds must be a positive number",
        ),
        (
            '[servers.x]\ntransport = "stdio"\ncommand = "a"\nrequire_approval = "sometimes"',
            "require_approval must be 'always', 'never' or a list",
        ),
        (
            '[servers.x]\ntransport = "streamable_http"\nurl = "https://h/${NOPE_UNSET}"',
            "environment variable NOPE_UNSET is not set",
        ),
        ("[servers]\nx = 1", "must be a table"),
        ("servers = [", "not a readable TOML file"),
    ],
)
def test_a_bad_declaration_names_the_server_and_what_is_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match="servers") as caught:
        load_servers_file(write(tmp_path, text))
    assert message in str(caught.value)


def test_the_registry_reads_the_file_of_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents_core.registry.mcp_server_registry import MCPServerRegistry

    path = write(tmp_path, '[servers.clock]\ntransport = "stdio"\ncommand = "clock-mcp"')
    monkeypatch.setenv("MCP_SERVERS_FILE", str(path))
    registry = MCPServerRegistry(load_file=True)
    registry.register(MCPServerDefinition("web", "sse", url="http://127.0.0.1:9/sse"))
    assert registry.names() == ["clock", "web"]


async def test_an_agent_naming_an_undeclared_server_is_refused() -> None:
    register_agent(AgentDefinition("lost", "d", "i", mcp_servers=["nowhere"]))
    with pytest.raises(ConfigurationError, match="Agent 'lost' uses undeclared MCP server"):
        await AgentRunner(model=OfflineModel()).run("lost", "hello")


@pytest.mark.slow
async def test_a_server_whose_command_does_not_exist_fails_naming_it() -> None:
    register_mcp_server(
        MCPServerDefinition("ghost", "stdio", command="no-such-mcp-server-here", args=["--x"])
    )
    register_agent(AgentDefinition("haunted", "d", "i", mcp_servers=["ghost"]))
    with pytest.raises(MCPServerUnavailable) as caught:
        await AgentRunner(model=OfflineModel()).run("haunted", "list the notes")
    message = str(caught.value)
    assert "MCP server 'ghost' is unavailable: command not found" in message
    assert "no-such-mcp-server-here --x" in message
    assert "TaskGroup" not in message


@pytest.mark.slow
async def test_a_server_that_hangs_at_start_times_out() -> None:
    # A process that never answers the MCP handshake.
    hang = ["-c", "import time; time.sleep(60)"]
    register_mcp_server(
        MCPServerDefinition(
            "sleepy", "stdio", command=sys.executable, args=hang, connect_timeout_seconds=0.5
        )
    )
    register_agent(AgentDefinition("waiting", "d", "i", mcp_servers=["sleepy"]))
    with pytest.raises(
        MCPServerUnavailable, match=r"'sleepy' .* did not answer the MCP handshake within 0.5s"
    ):
        await AgentRunner(model=OfflineModel()).run("waiting", "hi")


@pytest.mark.slow
async def test_a_server_that_exits_at_once_says_its_status_and_last_words(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # A real process that fails the way a misconfigured `uvx`/`npx` server does.
    script = (
        "import sys; print('starting up', file=sys.stderr); "
        "print('error: invalid peer certificate: UnknownIssuer', file=sys.stderr); sys.exit(3)"
    )
    register_mcp_server(
        MCPServerDefinition("clock", "stdio", command=sys.executable, args=["-c", script])
    )
    register_agent(AgentDefinition("timely", "d", "i", mcp_servers=["clock"]))
    caplog.set_level(logging.INFO, logger="agents_core.mcp.stderr")
    with pytest.raises(MCPServerUnavailable) as caught:
        await AgentRunner(model=OfflineModel()).run("timely", "hi")
    message = str(caught.value)
    assert "exited with status 3 before the MCP handshake" in message
    assert "starting up | error: invalid peer certificate: UnknownIssuer" in message
    assert "TaskGroup" not in message
    # The server's stderr went to the log, not to the terminal.
    out, err = capfd.readouterr()
    printed = (out + err).splitlines()  # log records may quote them; the raw lines never show
    assert "starting up" not in printed
    assert "error: invalid peer certificate: UnknownIssuer" not in printed
    logged = [r.getMessage() for r in caplog.records if r.name == "agents_core.mcp.stderr"]
    assert "MCP server 'clock': error: invalid peer certificate: UnknownIssuer" in logged
    # And the SDK's own traceback of it is not printed at ERROR.
    assert not [r for r in caplog.records if r.name.startswith("openai") and r.levelno >= 40]


ENV_SERVER = """
import os
from mcp.server.mcpserver import MCPServer

server = MCPServer("envy")


@server.tool()
def read_env(name: str) -> str:
    \"\"\"The value of an environment variable, or '<unset>'.\"\"\"
    return os.environ.get(name, "<unset>")


server.run("stdio")
"""


@pytest.mark.parametrize(
    ("inherit_env", "expected"),
    [
        (None, {"SSL_CERT_FILE": "/etc/company-ca.pem", "https_proxy": "http://proxy:3128"}),
        (["SSL_CERT_FILE"], {"SSL_CERT_FILE": "/etc/company-ca.pem", "https_proxy": "<unset>"}),
        ([], {"SSL_CERT_FILE": "<unset>", "https_proxy": "<unset>"}),
    ],
    ids=["default", "only-one", "none"],
)
@pytest.mark.slow
async def test_stdio_servers_inherit_certificate_and_proxy_variables(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    inherit_env: list[str] | None,
    expected: dict[str, str],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/company-ca.pem")
    monkeypatch.setenv("https_proxy", "http://proxy:3128")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-inherited")
    script = tmp_path / "envy.py"
    script.write_text(ENV_SERVER, encoding="utf-8")
    definition = MCPServerDefinition(
        "envy", "stdio", command=sys.executable, args=[str(script)], inherit_env=inherit_env
    )
    server = await connections().connect(definition)
    assert server is not None
    for name in [*expected, "OPENAI_API_KEY"]:
        result = await server.call_tool("read_env", {"name": name})
        assert text(result) == expected.get(name, "<unset>"), name


FRAGILE_SERVER = """
import os
from mcp.server.mcpserver import MCPServer

server = MCPServer("fragile")


@server.tool()
def crash_server(reason: str) -> str:
    \"\"\"Crash the server process.\"\"\"
    os._exit(3)


@server.tool()
def ping_server() -> str:
    \"\"\"Answer pong.\"\"\"
    return "pong"


server.run("stdio")
"""


@pytest.mark.slow
async def test_a_server_that_exits_mid_call_fails_that_call_and_restarts(tmp_path: Path) -> None:
    script = tmp_path / "fragile.py"
    script.write_text(FRAGILE_SERVER, encoding="utf-8")
    register_mcp_server(
        MCPServerDefinition("fragile", "stdio", command=sys.executable, args=[str(script)])
    )
    register_agent(AgentDefinition("brittle", "d", "i", mcp_servers=["fragile"]))
    runner = AgentRunner(model=OfflineModel())
    crashed = await runner.run("brittle", "crash the server")
    outputs = [item.output for item in crashed.new_items if isinstance(item, ToolCallOutputItem)]
    (output,) = outputs
    assert output.startswith("Tool 'crash_server' failed: ")  # names the tool for the model
    pinged = await runner.run("brittle", "ping the server")
    assert "pong" in str(pinged.final_output)


async def test_an_optional_server_that_is_down_leaves_the_agent_its_other_tools() -> None:
    register_mcp_server(
        MCPServerDefinition("maybe", "stdio", command="no-such-mcp-server-here", optional=True)
    )
    register_agent(AgentDefinition("sturdy", "d", "i", tools=["calculator"], mcp_servers=["maybe"]))
    result = await AgentRunner(model=OfflineModel()).run("sturdy", "what is 6 * 7?")
    outputs = [item.output for item in result.new_items if isinstance(item, ToolCallOutputItem)]
    assert outputs
    assert "42" in str(outputs[0])
    assert "42" in str(result.final_output)


@pytest.mark.slow
async def test_mcp_serve_offers_the_agents_over_stdio(data_dir: Path) -> None:
    # The process boundary is the point: a real MCP client starts `<cli> mcp serve`.
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", "import sys, my_agents.cli as c; sys.exit(c.main(['mcp', 'serve']))"],
        cwd=str(PROJECT),
        env={"LLM_PROVIDER": "offline", "DATA_DIR": str(data_dir)},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert "assistant" in tools
        assert "intent_router" not in tools
        assert set(tools["assistant"].input_schema["properties"]) == {"query", "session_id"}
        answer = await session.call_tool("assistant", {"query": "what is 6 * 7?"})
        assert not answer.is_error
        assert "42" in text(answer)
        unknown = await session.call_tool("nobody", {"query": "hi"})
        assert unknown.is_error
        assert "nobody" in text(unknown)
        bad = await session.call_tool("assistant", {"query": 3, "extra": True})
        assert bad.is_error
        refused = await session.call_tool(
            "assistant", {"query": "hi", "session_id": "../../etc/passwd"}
        )
        assert refused.is_error
        assert "session" in text(refused).lower()


def test_building_the_mcp_server_leaves_the_process_logging_alone() -> None:
    # The mcp SDK's server calls logging.basicConfig(INFO, Rich handler) when the root logger has
    # no handler (an app under `uvicorn --factory`): LOG_LEVEL and LOG_FORMAT must still rule.
    import logging

    from agents_core.mcp.exposure import agents_mcp_server

    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    for handler in saved_handlers:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        agents_mcp_server()
        assert root.handlers == []
        assert root.level == logging.WARNING
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


def test_a_variable_with_a_default_may_be_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    monkeypatch.setenv("SET_ONE", "here")
    path = tmp_path / "mcp_servers.toml"
    path.write_text(
        '[servers.x]\ntransport = "stdio"\ncommand = "python"\n'
        'env = { A = "${NOPE_UNSET:-}", B = "${NOPE_UNSET:-fallback}", C = "${SET_ONE:-no}" }\n',
        encoding="utf-8",
    )
    (server,) = load_servers_file(path)
    assert server.env == {"A": "", "B": "fallback", "C": "here"}


async def test_every_tool_call_names_the_principal_in_its_meta() -> None:
    from agents import RunContextWrapper
    from agents.mcp import MCPToolMetaContext

    from agents_core import AgentContext, Principal
    from agents_core.mcp.connections import PRINCIPAL_META_KEY, principal_meta

    context = AgentContext()
    context.principal = Principal("alice")
    meta = principal_meta(
        MCPToolMetaContext(
            run_context=RunContextWrapper(context), server_name="s", tool_name="t", arguments={}
        )
    )
    assert meta == {PRINCIPAL_META_KEY: "alice"}
    assert (
        principal_meta(
            MCPToolMetaContext(
                run_context=RunContextWrapper(None), server_name="s", tool_name="t", arguments={}
            )
        )
        is None
    )
