"""`OfflineModel`: a deterministic SDK `Model` that runs agents with no API key and no network.

It drives tools, handoffs, structured outputs and streaming through the real Agents SDK
runner, so the demo and the tests exercise the same code paths as a hosted model. Its
decisions come from the rules of `offline_rules.toml` (`_offline_intents`) for the tools they
describe, from word overlap and JSON schemas for the others (`_offline_tools`,
`_offline_schema`); see the docs' "Offline model" page. It is for development and tests; it
never stands in for a real model silently (see `agents_core.llm.selection`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

from agents import FunctionTool, Handoff, Model, ModelResponse, ModelSettings, ModelTracing, Tool
from agents.agent_output import AgentOutputSchemaBase
from agents.items import TResponseInputItem, TResponseOutputItem, TResponseStreamEvent
from agents.tracing import GenerationSpanData, generation_span
from agents.usage import Usage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_prompt_param import ResponsePromptParam
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from agents_core.llm._offline_answers import compose_answer
from agents_core.llm._offline_intents import answer_from_results, understand
from agents_core.llm._offline_schema import fill_schema
from agents_core.llm._offline_tools import ToolSpec, choose_tools
from agents_core.llm._offline_turn import read_turn
from agents_core.utils.messages import item_text

OFFLINE_MODEL_NAME = "offline"
_TOKEN = re.compile(r"\S+\s*|\s+")


def _new_id(prefix: str) -> str:
    # Call ids must be unique across a session's whole history (the SDK de-duplicates by id).
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class OfflineModel(Model):
    """A deterministic, rule-based model for development and tests.

    Per call it: hands off when the user names a handoff target; else calls the agent's
    best-matching tools (arguments taken from the message, valid for the tool schemas); once
    its tools have answered, replies from their results, or fills the output type's schema.
    """

    def __init__(self, name: str = OFFLINE_MODEL_NAME) -> None:
        self.name = name
        self.calls = 0

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        with generation_span(model=self.name, disabled=tracing.is_disabled()) as span:
            output = self.decide(system_instructions, input, tools, output_schema, handoffs)
            usage = _usage(input, output)
            _describe(span.span_data, tracing, input, output, usage)
        return ModelResponse(output=output, usage=usage, response_id=_new_id("resp"))

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        with generation_span(model=self.name, disabled=tracing.is_disabled()) as span:
            output = self.decide(system_instructions, input, tools, output_schema, handoffs)
            usage = _usage(input, output)
            _describe(span.span_data, tracing, input, output, usage)
        for event in stream_events(output, usage):
            yield event

    def decide(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
    ) -> list[TResponseOutputItem]:
        """The output items of one model call (pure: same input, same decisions)."""
        self.calls += 1
        items: list[Any] = [{"role": "user", "content": input}] if isinstance(input, str) else input
        specs = [
            ToolSpec(tool.name, tool.description, tool.params_json_schema)
            for tool in tools
            if isinstance(tool, FunctionTool)
        ]
        turn = read_turn(system_instructions, items, {spec.name for spec in specs})

        if not turn.tool_results:
            target = None if turn.handed_off else _handoff_target(turn.user_text, handoffs)
            if target is not None:
                return [_function_call(target.tool_name, {})]
            understood = (
                understand(turn, specs)
                if output_schema is None or output_schema.is_plain_text()
                else None
            )
            if understood is not None:
                if understood.answer is not None:
                    return [_message(understood.answer)]
                return [_function_call(plan.name, plan.arguments) for plan in understood.plans]
            plans = choose_tools(turn, specs)
            if plans:
                return [_function_call(plan.name, plan.arguments) for plan in plans]

        if output_schema is not None and not output_schema.is_plain_text():
            schema = output_schema.json_schema()
            value = fill_schema(schema, schema, turn, "response")
            if _is_wrapped(output_schema):
                value = value.get("response", value) if isinstance(value, dict) else value
                value = {"response": value}
            return [_message(json.dumps(value, ensure_ascii=False))]
        return [_message(answer_from_results(turn) or compose_answer(turn))]


def _is_wrapped(output_schema: AgentOutputSchemaBase) -> bool:
    # The SDK wraps non-object output types (list[str], int...) in {"response": ...}.
    return bool(getattr(output_schema, "_is_wrapped", False))


def _handoff_target(user_text: str, handoffs: list[Handoff]) -> Handoff | None:
    lowered = user_text.lower()
    for handoff in handoffs:
        name = handoff.agent_name.lower()
        spoken = name.replace("_", " ")
        if re.search(rf"\b({re.escape(name)}|{re.escape(spoken)})\b", lowered):
            return handoff
    return None


def _function_call(name: str, arguments: dict[str, Any]) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(
        id=_new_id("fc"),
        call_id=_new_id("call"),
        type="function_call",
        name=name,
        arguments=json.dumps(arguments, ensure_ascii=False),
        status="completed",
    )


def _message(text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=_new_id("msg"),
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )


def _count_tokens(text: str) -> int:
    return len(text.split())


def _describe(
    data: GenerationSpanData,
    tracing: ModelTracing,
    input: str | list[TResponseInputItem],
    output: list[TResponseOutputItem],
    usage: Usage,
) -> None:
    """Fill the generation span as the SDK's own models do (content only if tracing asks)."""
    data.usage = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if tracing.include_data():
        data.input = [{"role": "user", "content": input}] if isinstance(input, str) else input
        data.output = [item.model_dump() for item in output]


def _usage(input: str | list[TResponseInputItem], output: list[TResponseOutputItem]) -> Usage:
    items = [input] if isinstance(input, str) else input
    input_tokens = sum(
        _count_tokens(item if isinstance(item, str) else item_text(item)) for item in items
    )
    output_tokens = sum(
        _count_tokens(
            item_text(item)
            if isinstance(item, ResponseOutputMessage)
            else getattr(item, "arguments", "")
        )
        for item in output
    )
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


def stream_events(output: list[TResponseOutputItem], usage: Usage) -> list[TResponseStreamEvent]:
    """The Responses stream events of `output`: text arrives one word at a time."""
    response = Response(
        id=_new_id("resp"),
        created_at=0,
        model=OFFLINE_MODEL_NAME,
        object="response",
        output=output,
        tool_choice="auto",
        tools=[],
        top_p=None,
        parallel_tool_calls=True,
        status="completed",
        usage=ResponseUsage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            input_tokens_details=InputTokensDetails.model_validate(
                {"cached_tokens": 0, "cache_write_tokens": 0}
            ),
            output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
        ),
    )
    events: list[Any] = []
    seq = 0

    def add(event: Any) -> None:
        nonlocal seq
        events.append(event)
        seq += 1

    add(
        ResponseCreatedEvent(
            type="response.created",
            response=response.model_copy(update={"output": [], "status": "in_progress"}),
            sequence_number=seq,
        )
    )
    for index, item in enumerate(output):
        if isinstance(item, ResponseFunctionToolCall):
            add(
                ResponseOutputItemAddedEvent(
                    type="response.output_item.added",
                    item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
                    output_index=index,
                    sequence_number=seq,
                )
            )
            add(
                ResponseFunctionCallArgumentsDeltaEvent(
                    type="response.function_call_arguments.delta",
                    item_id=item.id or item.call_id,
                    output_index=index,
                    delta=item.arguments,
                    sequence_number=seq,
                )
            )
            add(
                ResponseFunctionCallArgumentsDoneEvent.model_validate(
                    {
                        "type": "response.function_call_arguments.done",
                        "item_id": item.id or item.call_id,
                        "output_index": index,
                        "arguments": item.arguments,
                        "name": item.name,
                        "sequence_number": seq,
                    }
                )
            )
        elif isinstance(item, ResponseOutputMessage):
            part = cast(ResponseOutputText, item.content[0])
            add(
                ResponseOutputItemAddedEvent(
                    type="response.output_item.added",
                    item=item.model_copy(update={"content": [], "status": "in_progress"}),
                    output_index=index,
                    sequence_number=seq,
                )
            )
            add(
                ResponseContentPartAddedEvent(
                    type="response.content_part.added",
                    item_id=item.id,
                    output_index=index,
                    content_index=0,
                    part=part.model_copy(update={"text": ""}),
                    sequence_number=seq,
                )
            )
            for token in _TOKEN.findall(part.text):
                add(
                    ResponseTextDeltaEvent(
                        type="response.output_text.delta",
                        item_id=item.id,
                        output_index=index,
                        content_index=0,
                        delta=token,
                        logprobs=[],
                        sequence_number=seq,
                    )
                )
            add(
                ResponseTextDoneEvent(
                    type="response.output_text.done",
                    item_id=item.id,
                    output_index=index,
                    content_index=0,
                    text=part.text,
                    logprobs=[],
                    sequence_number=seq,
                )
            )
            add(
                ResponseContentPartDoneEvent(
                    type="response.content_part.done",
                    item_id=item.id,
                    output_index=index,
                    content_index=0,
                    part=part,
                    sequence_number=seq,
                )
            )
        add(
            ResponseOutputItemDoneEvent(
                type="response.output_item.done",
                item=item,
                output_index=index,
                sequence_number=seq,
            )
        )
    add(ResponseCompletedEvent(type="response.completed", response=response, sequence_number=seq))
    return cast(list[TResponseStreamEvent], events)
