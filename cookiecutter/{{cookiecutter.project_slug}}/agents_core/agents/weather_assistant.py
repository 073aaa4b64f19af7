"""Sample: a weather assistant over a real HTTP weather API (Open-Meteo, no key)."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

weather_assistant = register_agent(
    AgentDefinition(
        name="weather_assistant",
        description="Weather: current temperature, conditions, humidity and wind in a city",
        instructions=compose_instructions(
            "You help users with the current weather. Call get_weather with the city the user "
            "names; report temperature, conditions, humidity and wind. If the weather service "
            "fails, say so and do not guess.",
            "tool_use",
        ),
        tools=["get_weather"],
        guardrails=["no_secrets"],
        metadata={"intent": "weather"},
    )
)
