"""The A2A door with `@a2a-js/sdk` (Node), a client nobody here wrote, over a real uvicorn:
the card, a streamed answer, an approval through `input-required` answered in words, get,
cancel, and another principal's task refused as not found.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from api import ApiSettings, create_app
from tests.api_server import serve
from tests.node_clients import run_node

pytestmark = pytest.mark.slow

A2A_JS = "@a2a-js/sdk@1.3.0"
PATH = "delete file /srv/notes.txt"

SCRIPT = r"""
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory } from "@a2a-js/sdk/client";

const url = process.env.A2A_URL;
const auth = (key) => (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set("Authorization", `Bearer ${key}`);
  return fetch(input, { ...init, headers });
};
const clientOf = (key) => new ClientFactory(ClientFactoryOptions.createFrom(
  ClientFactoryOptions.default,
  { transports: [new JsonRpcTransportFactory({ fetchImpl: auth(key) })] },
)).createFromUrl(url);
const message = (text, extra = {}) => ({
  message: {
    messageId: crypto.randomUUID(), role: 1, contextId: "", taskId: "",
    parts: [{ content: { $case: "text", value: text } }], metadata: undefined,
    extensions: [], referenceTaskIds: [], ...extra,
  },
  configuration: undefined, metadata: undefined, tenant: "",
});
const textOf = (task) => (task.artifacts || [])
  .flatMap((a) => a.parts).map((p) => p.content?.value ?? "").join("\n");

const card = await (await fetch(`${url}/.well-known/agent-card.json`)).json();
const alice = await clientOf(process.env.ALICE_KEY);
const bob = await clientOf(process.env.BOB_KEY);

const kinds = [];
let streamedText = "";
for await (const event of alice.sendMessageStream(message("What is 2 + 2?"))) {
  const kind = event.payload?.$case;
  kinds.push(kind);
  if (kind === "artifactUpdate") {
    streamedText += event.payload.value.artifact.parts.map((p) => p.content.value).join("");
  }
}

const janitor = () => message(process.env.PATH_TO_DELETE, { metadata: { agent: "janitor" } });
const paused = await alice.sendMessage(janitor());
const pausedTask = paused.payload?.value ?? paused;
const onTask = { taskId: pausedTask.id, contextId: pausedTask.contextId };
const done = await alice.sendMessage(message("approve", onTask));
const doneTask = done.payload?.value ?? done;
const got = await alice.getTask({ id: pausedTask.id, tenant: "", historyLength: undefined });

const second = await alice.sendMessage(janitor());
const secondTask = second.payload?.value ?? second;
let bobError = null;
try { await bob.getTask({ id: secondTask.id, tenant: "", historyLength: undefined }); }
catch (error) { bobError = `${error.constructor.name}: ${error.message}`; }
const cancelled = await alice.cancelTask({ id: secondTask.id, tenant: "", metadata: undefined });

console.log(JSON.stringify({
  skills: card.skills.map((s) => s.id),
  kinds,
  streamedText,
  pausedState: pausedTask.status.state,
  pausedSays: pausedTask.status.message.parts
    .map((p) => p.content?.value).filter((v) => typeof v === "string").join(" "),
  doneState: doneTask.status.state,
  doneText: textOf(doneTask),
  gotState: got.status.state,
  bobError,
  cancelledState: cancelled.status.state,
}));
"""


def test_a2a_js_client_drives_the_agents() -> None:
    deleted: list[str] = []

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
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
    keys = "alice:key-alice-0123456789,bob:key-bob-0123456789"
    app = create_app(ApiSettings(api_keys=SecretStr(keys)))
    with serve(app) as url:
        env = {
            "A2A_URL": url,
            "ALICE_KEY": "key-alice-0123456789",
            "BOB_KEY": "key-bob-0123456789",
            "PATH_TO_DELETE": PATH,
        }
        result = run_node(SCRIPT, packages=(A2A_JS,), env=env, timeout=120)
    assert {"router", "janitor"} <= set(result["skills"])
    assert result["kinds"][0] == "task"
    assert "artifactUpdate" in result["kinds"]
    assert "4" in result["streamedText"]
    assert result["pausedState"] == 6  # TASK_STATE_INPUT_REQUIRED
    assert "delete_file" in result["pausedSays"]
    assert result["doneState"] == 3  # TASK_STATE_COMPLETED
    assert "deleted" in result["doneText"]
    assert result["gotState"] == 3
    assert deleted == [PATH]
    assert "not found" in result["bobError"].lower()
    assert result["cancelledState"] == 5  # TASK_STATE_CANCELED
