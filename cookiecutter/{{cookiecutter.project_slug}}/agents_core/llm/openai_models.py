"""Models on the OpenAI protocol: OpenAI itself or any compatible server, on either API.

The client never retries (`max_retries=0`): retries belong to the SDK's runner, configured by
`agents_core.llm.model_calls.call_settings`, so exactly one layer retries a model call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents import Model, ModelBehaviorError
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.openai_responses import OpenAIResponsesModel
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk

from agents_core.config import Settings

TRUNCATED_STREAM_MESSAGE = (
    "The model's stream ended before its finish marker (no finish_reason): the answer is "
    "incomplete and was not kept."
)


def openai_model(name: str, settings: Settings) -> Model:
    """The SDK model `name` on the server and API that the settings name."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    client = openai_client(key, settings.openai_base_url, settings.model_timeout_seconds)
    if settings.openai_api == "chat_completions":
        return FinishCheckedChatCompletionsModel(model=name, openai_client=client)
    return OpenAIResponsesModel(model=name, openai_client=client)


_clients: dict[tuple[str | None, str | None, float], AsyncOpenAI] = {}


def openai_client(api_key: str | None, base_url: str | None, timeout: float) -> AsyncOpenAI:
    """The client of one server and key, shared by every model on it."""
    client = _clients.get((api_key, base_url, timeout))
    if client is None:
        client = _clients[(api_key, base_url, timeout)] = AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            # Bounds each phase (connect, each read); the SDK's runner bounds the whole attempt.
            timeout=timeout,
            max_retries=0,
        )
    return client


async def close_openai_clients() -> None:
    """Close the shared clients' connections; call it before the event loop that used them ends
    (the CLI and the API do). Later models get new clients."""
    clients = list(_clients.values())
    _clients.clear()
    for client in clients:
        await client.close()


class FinishCheckedChatCompletionsModel(OpenAIChatCompletionsModel):
    """Chat Completions whose streams must end with a finish reason.

    The SDK checks that only on api.openai.com: elsewhere a stream cut short (a proxy timeout, a
    server restart) would pass for a whole answer. Here it fails the turn (`ModelBehaviorError`).
    """

    async def _fetch_response(self, *args: Any, **kwargs: Any) -> Any:
        result = await super()._fetch_response(*args, **kwargs)
        if kwargs.get("stream"):
            response, stream = result
            return response, _FinishCheckedStream(stream)
        return result


class _FinishCheckedStream:
    """Passes chunks through; raises at the end when choice 0 never got a finish reason."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.response = getattr(stream, "response", None)

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[ChatCompletionChunk]:
        finished = False
        async for chunk in self._stream:
            if any(c.index == 0 and c.finish_reason is not None for c in chunk.choices):
                finished = True
            yield chunk
        if not finished:
            raise ModelBehaviorError(TRUNCATED_STREAM_MESSAGE)

    async def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            await close()
