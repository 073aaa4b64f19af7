"""The flows this project offers by name, with a description and the parameters of each.

The CLI (``<slug> flows``, ``<slug> flow run NAME``) and the API read this catalog. A flow is in it
when it is exported (`__all__`) by `workflows_core.flows` or `workflows_core.flows.orchestration`;
its catalog name is its Prefect name in lowercase words joined by dashes ("Agent Analysis" ->
``agent-analysis``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from prefect import Flow
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema

from agents_core.exceptions import InvalidSessionIdError
from agents_core.registry.agent_registry import get_agent_registry
from agents_core.session.agent_session import validate_session_id
from workflows_core import flows
from workflows_core.datasets import DatasetError, validate_data_id
from workflows_core.flows import orchestration

_MODULES: tuple[ModuleType, ...] = (flows, orchestration)


class UnknownFlowError(ValueError):
    """No flow of the catalog has this name."""


class InvalidParametersError(ValueError):
    """Parameters that the flow does not take, lacks, or cannot convert."""


@dataclass(frozen=True)
class FlowParameter:
    """One parameter of a flow."""

    name: str
    type: str
    """The annotation as written, e.g. ``str | None``."""
    required: bool
    default: Any
    """The default value (None when required)."""
    description: str
    """From the flow's docstring (``Args:`` section)."""


@dataclass(frozen=True)
class FlowInfo:
    """A flow of the catalog."""

    name: str
    """Catalog name, e.g. ``agent-analysis``."""
    flow: Flow[..., Any]
    description: str
    """First line of the flow's docstring."""
    parameters: tuple[FlowParameter, ...]

    @property
    def title(self) -> str:
        """Prefect's name of the flow (shown in Prefect's UI and logs)."""
        return self.flow.name

    @property
    def entrypoint(self) -> str:
        """``path/to/module.py:function``, as `prefect.yaml` deployments name a flow."""
        module = inspect.getmodule(self.flow.fn)
        path = module.__name__.replace(".", "/") if module else "?"
        return f"{path}.py:{self.flow.fn.__name__}"

    def parameter_schema(self) -> dict[str, Any]:
        """The parameters as an OpenAPI schema (Prefect's own, as deployments record it)."""
        return parameter_schema(self.flow.fn).model_dump_for_openapi()

    def check_parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` converted to the flow's parameter types; `InvalidParametersError` otherwise.

        The error lists the parameters the flow takes.
        """
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(values) - set(known))
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        problems = []
        if unknown:
            problems.append(f"unknown parameter(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing required parameter(s) {', '.join(missing)}")
        if problems:
            raise InvalidParametersError(
                f"Flow {self.name!r}: {'; '.join(problems)}. {self.usage()}"
            )
        try:
            converted = self.flow.validate_parameters(dict(values))
        except ParameterTypeError as error:
            raise InvalidParametersError(f"Flow {self.name!r}: {error} {self.usage()}") from None
        _check_values(self.name, converted)
        return converted

    def usage(self) -> str:
        """One line naming every parameter, e.g. ``Parameters: query (str, required), ...``."""
        if not self.parameters:
            return "It takes no parameters."
        described = ", ".join(
            f"{p.name} ({p.type}, {'required' if p.required else f'default {p.default!r}'})"
            for p in self.parameters
        )
        return f"Parameters: {described}."

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "entrypoint": self.entrypoint,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": p.default,
                    "description": p.description,
                }
                for p in self.parameters
            ],
        }


def _check_values(flow: str, values: Mapping[str, Any]) -> None:
    """What can be known before the flow starts: agent names, data ids and session ids."""
    agent = values.get("agent")
    registry = get_agent_registry()
    if isinstance(agent, str) and agent and agent not in registry:
        raise InvalidParametersError(
            f"Flow {flow!r}: unknown agent {agent!r}. Agents: {', '.join(registry.names())} "
            "(or leave agent empty to route by intent)."
        )
    try:
        if isinstance(values.get("data_id"), str):
            validate_data_id(values["data_id"])
        if isinstance(values.get("session_id"), str):
            validate_session_id(values["session_id"])
    except (DatasetError, InvalidSessionIdError) as error:
        raise InvalidParametersError(f"Flow {flow!r}: {error}") from None


def catalog_name(flow: Flow[..., Any]) -> str:
    """``Master Data Orchestration`` -> ``master-data-orchestration``."""
    return re.sub(r"[^a-z0-9]+", "-", flow.name.lower()).strip("-")


def describe(flow: Flow[..., Any]) -> FlowInfo:
    """The catalog entry of any flow."""
    schema = parameter_schema(flow.fn)
    parameters = tuple(
        FlowParameter(
            name=name,
            type=_annotation(parameter.annotation),
            required=parameter.default is inspect.Parameter.empty,
            default=None if parameter.default is inspect.Parameter.empty else parameter.default,
            description=" ".join(
                str(schema.properties.get(name, {}).get("description", "")).split()
            ),
        )
        for name, parameter in inspect.signature(flow.fn).parameters.items()
    )
    doc = inspect.getdoc(flow.fn) or flow.description or ""
    return FlowInfo(
        name=catalog_name(flow),
        flow=flow,
        description=doc.strip().splitlines()[0] if doc.strip() else "",
        parameters=parameters,
    )


def _annotation(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any"
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


@cache
def _catalog() -> dict[str, FlowInfo]:
    found: dict[str, FlowInfo] = {}
    for module in _MODULES:
        for attribute in module.__all__:
            value = getattr(module, attribute)
            if isinstance(value, Flow):
                info = describe(value)
                if info.name in found:
                    raise RuntimeError(f"Two flows are named {info.name!r}: rename one.")
                found[info.name] = info
    return dict(sorted(found.items()))


def list_flows() -> list[FlowInfo]:
    """Every flow of the catalog, by name."""
    return list(_catalog().values())


def get_flow(name: str) -> FlowInfo:
    """The flow named `name`; `UnknownFlowError` lists the known names otherwise."""
    try:
        return _catalog()[name]
    except KeyError:
        raise UnknownFlowError(
            f"Unknown flow {name!r}; known flows: {', '.join(_catalog())}."
        ) from None
