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
from agents.tracing import get_current_span
from openai import APIStatusError, AsyncOpenAI, DefaultAsyncHttpxClient

from agents_core.config import Settings
from agents_core.observability.model_responses import note_model_call
from agents_core.utils.tls import openai_tls_context

TRUNCATED_STREAM_MESSAGE = (
    "The model's stream ended before its finish marker (no finish_reason): the answer is "
    "incomplete and was not kept."
)


class StreamInterrupted(ConnectionError):
    """The server answered, then the stream broke off (its cause is the transport's error).

    A `ConnectionError` whose cause is an httpx error: the SDK's runner sees a network fault and
    asks the retry policy, which retries it while no token has been shown.
    """


class MalformedResponse(ValueError):
    """The server's body or a stream chunk is not what the API defines (e.g. not JSON)."""


def openai_model(name: str, settings: Settings) -> Model:
    """The SDK model `name` on the server and API that the settings name."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    client = openai_client(key, settings.openai_base_url, settings.model_timeout_seconds)
    if settings.openai_api == "chat_completions":
        return FinishCheckedChatCompletionsModel(model=name, openai_client=client)
    return CheckedResponsesModel(model=name, openai_client=client)


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
            # The client's default HTTP client, on the process's one TLS context (utils.tls).
            http_client=DefaultAsyncHttpxClient(timeout=timeout, verify=openai_tls_context()),
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
    A stream that breaks off or sends a chunk that is not JSON raises `StreamInterrupted` or
    `MalformedResponse` (`agents_core.llm.faults` names them). The answer's model and id go to
    the call's span (`agents_core.observability.model_responses`).
    """

    async def _fetch_response(self, *args: Any, **kwargs: Any) -> Any:
        span_id = _current_span_id()
        note_model_call(span_id, request_model=str(self.model))
        try:
            result = await super()._fetch_response(*args, **kwargs)
        except ValueError as error:  # an unparseable body (JSONDecodeError is a ValueError)
            _note_fault(span_id, error)
            raise MalformedResponse(f"the body is not JSON ({error})") from error
        except Exception as error:
            _note_fault(span_id, error)
            raise
        if kwargs.get("stream"):
            response, stream = result
            return response, _CheckedStream(stream, span_id, require_finish=True)
        _note_answer(span_id, result)
        return result


class CheckedResponsesModel(OpenAIResponsesModel):
    """The Responses API, with a broken stream or body named as `agents_core.llm.faults` does,
    and the answer's model and id on the call's span, as on Chat Completions."""

    async def _fetch_response(self, *args: Any, **kwargs: Any) -> Any:
        span_id = _current_span_id()
        note_model_call(span_id, request_model=str(self.model))
        try:
            result = await super()._fetch_response(*args, **kwargs)
        except ValueError as error:
            _note_fault(span_id, error)
            raise MalformedResponse(f"the body is not JSON ({error})") from error
        except Exception as error:
            _note_fault(span_id, error)
            raise
        if kwargs.get("stream"):
            return _CheckedStream(result, span_id, require_finish=False)
        _note_answer(span_id, result)
        return result


def _current_span_id() -> str | None:
    span = get_current_span()
    return getattr(span, "span_id", None) if span is not None else None


def _note_fault(span_id: str | None, error: BaseException) -> None:
    from agents_core.llm.faults import fault_name  # faults imports this module

    name = fault_name(error) if span_id else None
    note_model_call(span_id, fault=f"model_{name}" if name else None)


def _note_answer(span_id: str | None, answer: Any) -> None:
    """A chat completion (chunk) or a response (or its completed event) names its model and id."""
    answer = getattr(answer, "response", None) or answer
    model, response_id = getattr(answer, "model", None), getattr(answer, "id", None)
    if isinstance(model, str) or isinstance(response_id, str):
        note_model_call(
            span_id,
            response_model=model if isinstance(model, str) else None,
            response_id=response_id if isinstance(response_id, str) else None,
        )


class _CheckedStream:
    """Passes events through; names a stream that breaks off or carries a chunk that is not
    JSON; with `require_finish`, raises at the end when choice 0 never got a finish reason."""

    def __init__(self, stream: Any, span_id: str | None, *, require_finish: bool) -> None:
        self._stream = stream
        self._span_id = span_id
        self._require_finish = require_finish
        self._noted = False
        self.response = getattr(stream, "response", None)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[Any]:
        try:
            finished = False
            iterator = self._stream.__aiter__()
            while True:
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except ValueError as error:  # json.JSONDecodeError of a chunk
                    raise MalformedResponse(f"a stream chunk is not JSON ({error})") from error
                except (APIStatusError, ModelBehaviorError):
                    raise
                except Exception as error:
                    if _is_transport_error(error) and not _is_timeout(error):
                        raise StreamInterrupted(f"{type(error).__name__}: {error}") from error
                    raise
                if not self._noted or getattr(chunk, "type", "") == "response.completed":
                    _note_answer(self._span_id, chunk)
                    self._noted = True
                choices = getattr(chunk, "choices", None) or ()
                if any(c.index == 0 and c.finish_reason is not None for c in choices):
                    finished = True
                yield chunk
            if self._require_finish and not finished:
                raise ModelBehaviorError(TRUNCATED_STREAM_MESSAGE)
        except Exception as error:
            _note_fault(self._span_id, error)
            raise

    async def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            await close()


def _is_timeout(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, TimeoutError) or "Timeout" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_transport_error(error: BaseException) -> bool:
    """An httpx transport error or the OpenAI client's wrapper of one (connection lost)."""
    seen: BaseException | None = error
    while seen is not None:
        module = type(seen).__module__
        if module.startswith(("httpx", "httpcore", "h11")) or type(seen).__name__ in (
            "APIConnectionError",
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
