"""Sample: a weather assistant over a real HTTP weather API (Open-Meteo, no key)."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

weather_assistant = register_agent(
    AgentDefinition(
        name="weather_assistant",
        description=(
            "Weather: current temperature, conditions, humidity and wind in a city, or the "
            "forecast for tomorrow or a weekday"
        ),
        instructions=compose_instructions(
            "You help users with the weather. Call get_weather with the city the user names "
            "and the day they ask about (today unless they name another: tomorrow, a weekday "
            "or a date); report what it returns. If the weather service fails, say so and do "
            "not guess.",
            "tool_use",
        ),
        tools=["get_weather"],
        guardrails=["no_secrets"],
        metadata={"intent": "weather"},
    )
)
