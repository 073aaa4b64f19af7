"""Sample: a data analyst over the project's SQLite sales database."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.models.context import AgentContext
from agents_core.registry.agent_registry import AgentDefinition, register_agent
from agents_core.tools.sales_database import schema_text


def analyst_instructions(context: AgentContext, definition: AgentDefinition) -> str:
    """The analyst's prompt with the live database schema injected at run time."""
    schema = context.schema or schema_text()
    filters = ""
    if context.filters:
        filters = f"\nApply these user filters when relevant: {context.filters}"
    return compose_instructions(
        "You are a data analyst for a sales database. Answer with figures computed by your "
        "tools: prefer sales_report for totals by region, product, month or channel; use "
        "run_sql_query for anything else, with a single read-only SELECT statement.",
        f"Database schema:\n{schema}{filters}",
        "tool_use",
        "answer_style",
    )


data_analyst = register_agent(
    AgentDefinition(
        name="data_analyst",
        description=(
            "Sales data: revenue, units and orders by region, product, month or channel, "
            "computed from the sales database"
        ),
        instructions=analyst_instructions,
        tools=["sales_report", "run_sql_query"],
        guardrails=["no_secrets", "sql_read_only"],
        requires_schema_injection=True,
        metadata={"intent": "data"},
    )
)
