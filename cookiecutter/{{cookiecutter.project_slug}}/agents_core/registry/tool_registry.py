"""Tools: `ToolDefinition`, the tool registry and the `@register_tool` decorator."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

from agents import FunctionTool, ModelBehaviorError, RunContextWrapper, Tool, function_tool
from agents.tool import (
    ToolOutputFileContent,
    ToolOutputImage,
    ToolOutputText,
    resolve_function_tool_failure_error_function,
    set_function_tool_failure_error_function,
)
from agents.tool import default_tool_error_function as _sdk_default_error

from agents_core.registry._base import Registry

F = TypeVar("F", bound=Callable[..., Any])
ToolT = TypeVar("ToolT", bound=Tool)

ApprovalPredicate = Callable[[dict[str, Any]], bool | Awaitable[bool]]
"""Decides from a call's arguments whether it needs a human's approval (sync or async)."""
NeedsApproval = bool | ApprovalPredicate


@dataclass(frozen=True)
class ToolDefinition:
    """A registered tool and what is known about it."""

    name: str
    """Name the model calls the tool by."""
    tool: Tool
    """The SDK tool handed to agents."""
    description: str = ""
    """What the tool does (the model reads the SDK tool's own description)."""
    category: str = "general"
    """Free-form group, e.g. "api" or "database"; the CLI lists tools by it."""
    parameters_description: str = ""
    """Human notes on the parameters (the JSON schema comes from the function signature)."""
    returns_description: str = ""
    """Human notes on the result."""
    needs_approval: NeedsApproval = False
    """True, or a predicate on the call's arguments: a run that reaches such a call pauses
    until a human approves or rejects it (see docs/approvals.md)."""


class ToolRegistry(Registry[ToolDefinition]):
    """Registered tools by name."""

    kind = "tool"

    def register(self, definition: ToolDefinition, *, replace: bool = False) -> ToolDefinition:
        return self.add(definition.name, definition, replace=replace)

    def get_tool_functions(self, names: list[str] | tuple[str, ...]) -> list[Tool]:
        """The SDK tools for these names, in order; an unknown name raises and lists the known."""
        return [definition.tool for definition in self.get_many(names)]

    def by_category(self, category: str) -> list[ToolDefinition]:
        return [definition for definition in self.all() if definition.category == category]


_tool_registry = ToolRegistry(discover="agents_core.tools")


def get_tool_registry() -> ToolRegistry:
    """The default tool registry; it imports `agents_core.tools` on first lookup."""
    return _tool_registry


def sdk_needs_approval(
    needs_approval: NeedsApproval,
) -> bool | Callable[[RunContextWrapper[Any], dict[str, Any], str], Awaitable[bool]]:
    """`needs_approval` in the SDK's form: a bool, or `(context, arguments, call_id) -> bool`."""
    if isinstance(needs_approval, bool):
        return needs_approval
    if not callable(needs_approval):
        raise TypeError(
            "needs_approval is True, False or a function of the call's arguments (a dict) "
            f"returning a bool, got {type(needs_approval).__name__}."
        )
    predicate = needs_approval

    async def decide(_context: RunContextWrapper[Any], arguments: dict[str, Any], _id: str) -> bool:
        verdict = predicate(dict(arguments))
        if inspect.isawaitable(verdict):
            verdict = await verdict
        return bool(verdict)

    return decide


logger = logging.getLogger("agents_core.tools")


class JsonText(str):
    """A tool's result as the JSON text the model and the session get; `value` is the result
    itself (stream events show it structured)."""

    value: Any

    def __new__(cls, value: Any) -> JsonText:
        text = super().__new__(cls, json.dumps(value, ensure_ascii=False, default=str))
        text.value = value
        return text


def tool_result_text(result: Any) -> Any:
    """What the SDK gets from a tool: its own string (or the SDK's structured outputs) as is,
    anything else as JSON (the SDK would send Python's repr: `{'a': 1}`)."""
    if result is None or isinstance(result, str):
        return result
    structured = (ToolOutputText, ToolOutputImage, ToolOutputFileContent)
    if isinstance(result, structured) or (
        isinstance(result, dict) and isinstance(result.get("type"), str)
    ):
        return result
    if (
        isinstance(result, list | tuple)
        and result
        and all(isinstance(item, structured) for item in result)
    ):
        return result
    dump = getattr(result, "model_dump", None)
    return JsonText(dump(mode="json") if callable(dump) else result)


def tool_error_message(context: RunContextWrapper[Any], error: Exception) -> str:
    """What the model reads when a tool call fails: the tool's name and what was wrong, so it
    can correct the call (the SDK's default names neither)."""
    name = str(getattr(context, "tool_name", "") or "the tool")
    text = " ".join(str(error).split())
    if isinstance(error, ModelBehaviorError) and text.startswith("Invalid JSON input for tool"):
        problem = text.split(":", 1)[1].strip() if ":" in text else "not a JSON object"
        message = f"Tool {name!r} was called with invalid arguments: {problem[:600]}"
        logger.info("tool %s: invalid arguments from the model", name)
    else:
        message = f"Tool {name!r} failed: {type(error).__name__}: {text[:600]}"
        logger.info("tool %s failed: %s", name, type(error).__name__)
    return f"{message}. Fix the arguments or try another way."


class _JsonResults:
    """The SDK's invoker of a function tool, with results as `tool_result_text` makes them.

    Everything else (argument preparation, markers, rebinding on copies) is the SDK's own.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __call__(self, context: Any, arguments: str) -> Any:
        return tool_result_text(await self._inner(context, arguments))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __agents_bind_function_tool__(self, function_tool: FunctionTool) -> _JsonResults:
        bind = getattr(self._inner, "__agents_bind_function_tool__", None)
        return _JsonResults(bind(function_tool)) if callable(bind) else self


def _checked(tool: FunctionTool) -> FunctionTool:
    """A function tool whose results are JSON and whose errors name the tool and the problem."""
    if isinstance(tool.on_invoke_tool, _JsonResults):
        return tool
    tool.on_invoke_tool = _JsonResults(tool.on_invoke_tool)  # in place: the tool stays itself
    if resolve_function_tool_failure_error_function(tool) is _sdk_default_error:
        set_function_tool_failure_error_function(tool, tool_error_message)
    return tool


def _as_tool(
    target: Any, name: str | None, description: str | None, needs_approval: NeedsApproval = False
) -> Tool:
    approval = sdk_needs_approval(needs_approval)
    if isinstance(target, FunctionTool):
        changes: dict[str, Any] = {}
        if name and name != target.name:
            changes["name"] = name
        if description and description != target.description:
            changes["description"] = description
        if approval is not False:
            changes["needs_approval"] = approval
        return _checked(dataclasses.replace(target, **changes) if changes else target)
    if inspect.isfunction(target) or inspect.ismethod(target):
        return _checked(
            function_tool(
                target,
                name_override=name,
                description_override=description,
                needs_approval=approval,
                failure_error_function=tool_error_message,
            )
        )
    if isinstance(getattr(target, "name", None), str) and not callable(target):
        if approval is not False:
            raise TypeError(
                "needs_approval applies to function tools (a plain function or @function_tool); "
                f"{type(target).__name__} decides approvals with its own settings."
            )
        return cast(Tool, target)  # hosted tools (web search...) keep their own names
    raise TypeError(
        "@register_tool decorates a plain function or an SDK tool (e.g. @function_tool), "
        f"got {type(target).__name__}."
    )


@overload
def register_tool(target: F, /) -> F: ...
@overload
def register_tool(target: FunctionTool, /) -> FunctionTool: ...
@overload
def register_tool(target: ToolT, /) -> ToolT: ...
@overload
def register_tool(
    target: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    category: str = "general",
    parameters_description: str = "",
    returns_description: str = "",
    replace: bool = False,
    needs_approval: NeedsApproval = False,
) -> Callable[[Any], Any]: ...


def register_tool(
    target: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    category: str = "general",
    parameters_description: str = "",
    returns_description: str = "",
    replace: bool = False,
    needs_approval: NeedsApproval = False,
) -> Any:
    """Register a tool in the default registry; usable with or without arguments.

    Decorates an SDK `FunctionTool` (``@register_tool(...)`` above ``@function_tool``), which it
    returns, possibly renamed; or a plain function, which it wraps with `function_tool` and
    returns unchanged, so the function stays callable in tests.

    `needs_approval`: True, or a predicate on the call's arguments (a dict; sync or async),
    makes a run that reaches the call pause for a human's approval (the SDK's own
    `needs_approval`; see docs/approvals.md).
    """

    def decorate(obj: Any) -> Any:
        tool = _as_tool(obj, name, description, needs_approval)
        tool_name = str(getattr(tool, "name", name or getattr(obj, "__name__", "")))
        _tool_registry.register(
            ToolDefinition(
                name=tool_name,
                tool=tool,
                description=description or str(getattr(tool, "description", "") or ""),
                category=category,
                parameters_description=parameters_description,
                returns_description=returns_description,
                needs_approval=needs_approval,
            ),
            replace=replace,
        )
        return tool if isinstance(obj, FunctionTool) else obj

    if target is not None:
        return decorate(target)
    return decorate
