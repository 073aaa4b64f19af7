"""The sample weather tool, against recorded Open-Meteo answers; no network is used."""

import asyncio
import json
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from agents import FunctionTool
from agents.tool_context import ToolContext

from agents_core.config import get_settings
from agents_core.models.context import AgentContext
from agents_core.registry import get_tool_registry
from agents_core.tools.weather import (
    CURRENT_VARIABLES,
    OpenMeteoClient,
    describe_weather_code,
    get_weather,
)
from tests.local_http import LocalHTTPServer, serving

FIXTURES = Path(__file__).parent / "fixtures"
GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"

# What the tool must report for the recorded Paris answers (values read off the fixtures).
PARIS = {
    "city": "Paris",
    "country": "France",
    "latitude": 48.85341,
    "longitude": 2.3488,
    "temperature_c": 9.4,
    "humidity_pct": 81,
    "wind_kmh": 14.3,
    "weather_code": 3,
    "conditions": "overcast",
    "observed_at": "2025-11-24T14:45:00+01:00",
    "timezone": "Europe/Paris",
    "source": "Open-Meteo",
}

SyncHandler = Callable[[httpx.Request], httpx.Response]
Handler = SyncHandler | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def recorded(name: str) -> bytes:
    return (FIXTURES / f"open_meteo_{name}.json").read_bytes()


def open_meteo(
    seen: list[httpx.Request],
    *,
    geocoding: httpx.Response | None = None,
    forecast: httpx.Response | None = None,
) -> SyncHandler:
    """A fake Open-Meteo: recorded Paris answers unless told otherwise; logs each request."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "geocoding-api.open-meteo.com":
            return geocoding or httpx.Response(200, content=recorded("geocoding_paris"))
        if request.url.host == "api.open-meteo.com":
            return forecast or httpx.Response(200, content=recorded("forecast_paris"))
        return httpx.Response(404)

    return handle


async def current_weather(
    handler: Handler, city: str, timeout_seconds: float = 5.0
) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = OpenMeteoClient(
            geocoding_url=GEOCODING_URL,
            forecast_url=FORECAST_URL,
            timeout_seconds=timeout_seconds,
            http_client=http,
        )
        return await client.current_weather(city)


def forecast_with(**changes: Any) -> httpx.Response:
    """The recorded forecast with some top-level or `current` fields replaced."""
    payload = json.loads(recorded("forecast_paris"))
    current = changes.pop("current", {})
    payload.update(changes)
    payload["current"].update(current)
    return httpx.Response(200, json=payload)


async def test_recorded_paris_answers_are_parsed() -> None:
    seen: list[httpx.Request] = []

    result = await current_weather(open_meteo(seen), "Paris")

    assert result == PARIS
    assert [request.url.host for request in seen] == [
        "geocoding-api.open-meteo.com",
        "api.open-meteo.com",
    ]


async def test_query_parameters_are_encoded_not_concatenated() -> None:
    seen: list[httpx.Request] = []

    await current_weather(open_meteo(seen), "  Paris&count=50 ")

    geocoding, forecast = seen
    assert dict(geocoding.url.params) == {
        "name": "Paris&count=50",
        "count": "1",
        "language": "en",
        "format": "json",
    }
    assert geocoding.url.params.get_list("count") == ["1"]
    assert dict(forecast.url.params) == {
        "latitude": "48.85341",
        "longitude": "2.3488",
        "current": ",".join(CURRENT_VARIABLES),
        "timezone": "auto",
    }


async def test_unknown_city_is_an_error_and_no_forecast_is_asked() -> None:
    seen: list[httpx.Request] = []
    not_found = httpx.Response(200, content=recorded("geocoding_not_found"))

    result = await current_weather(open_meteo(seen, geocoding=not_found), "Atlantis")

    assert list(result) == ["error"]
    assert "'Atlantis' was not found" in result["error"]
    assert "No weather data" in result["error"]
    assert len(seen) == 1


def _raise(error: Exception) -> SyncHandler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error

    return handle


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param(
            open_meteo([], forecast=httpx.Response(500, text="Internal Server Error")),
            "HTTP error 500",
            id="http-500",
        ),
        pytest.param(
            open_meteo(
                [],
                forecast=httpx.Response(
                    400, json={"error": True, "reason": "Latitude must be in range of -90 to 90"}
                ),
            ),
            "HTTP error 400 (Latitude must be in range of -90 to 90)",
            id="http-400-with-reason",
        ),
        pytest.param(
            _raise(httpx.ConnectTimeout("timed out")),
            "did not answer within 5 seconds",
            id="connect-timeout",
        ),
        pytest.param(
            _raise(httpx.ConnectError("connection refused")),
            "could not be reached (ConnectError)",
            id="connect-error",
        ),
        pytest.param(
            open_meteo([], geocoding=httpx.Response(200, text="<html>busy</html>")),
            "unreadable (not JSON)",
            id="geocoding-not-json",
        ),
        pytest.param(
            open_meteo([], forecast=httpx.Response(200, content=b'{"current": {"temp')),
            "unreadable (not JSON)",
            id="forecast-truncated-json",
        ),
        pytest.param(
            open_meteo([], geocoding=httpx.Response(200, json={"results": {"name": "Paris"}})),
            "geocoding results are not a list",
            id="geocoding-wrong-shape",
        ),
        pytest.param(
            open_meteo([], forecast=httpx.Response(200, json={"latitude": 48.86})),
            "no current conditions",
            id="forecast-without-current",
        ),
        pytest.param(
            open_meteo([], forecast=forecast_with(current={"temperature_2m": None})),
            "temperature_2m is missing or not a number",
            id="temperature-null",
        ),
        pytest.param(
            open_meteo(
                [],
                forecast=forecast_with(
                    current_units={"temperature_2m": "°F", "wind_speed_10m": "km/h"}
                ),
            ),
            "temperature_2m is in '°F'",
            id="fahrenheit-units",
        ),
    ],
)
async def test_failures_become_errors_without_invented_data(
    handler: Handler, expected: str
) -> None:
    result = await current_weather(handler, "Paris")

    assert list(result) == ["error"]
    assert expected in result["error"]
    assert "No weather data was retrieved for Paris" in result["error"]


async def test_a_slow_answer_is_cut_at_the_timeout() -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, content=recorded("geocoding_paris"))

    started = time.monotonic()
    result = await current_weather(stall, "Paris", timeout_seconds=0.05)

    assert "did not answer within 0.05 seconds" in result["error"]
    assert time.monotonic() - started < 2


async def test_blank_city_makes_no_request() -> None:
    seen: list[httpx.Request] = []

    result = await current_weather(open_meteo(seen), "   ")

    assert "No city was given" in result["error"]
    assert seen == []


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (0, "clear sky"),
        (2, "partly cloudy"),
        (3, "overcast"),
        (45, "fog"),
        (63, "moderate rain"),
        (75, "heavy snowfall"),
        (82, "violent rain showers"),
        (99, "thunderstorm with heavy hail"),
        (42, "unknown conditions (WMO code 42)"),
    ],
)
def test_weather_codes_in_words(code: int, words: str) -> None:
    assert describe_weather_code(code) == words


def tool_context(context: AgentContext, arguments: str) -> ToolContext[AgentContext]:
    return ToolContext(
        context=context,
        tool_name="get_weather",
        tool_call_id="call_weather_1",
        tool_arguments=arguments,
    )


async def test_sdk_tool_uses_the_client_in_the_context() -> None:
    seen: list[httpx.Request] = []
    arguments = '{"city": "Paris"}'
    async with httpx.AsyncClient(transport=httpx.MockTransport(open_meteo(seen))) as http:
        context = AgentContext(metadata={"http_client": http})

        result = json.loads(
            await get_weather.on_invoke_tool(tool_context(context, arguments), arguments)
        )  # tools answer JSON

    assert result == PARIS
    assert seen[0].url.params["name"] == "Paris"


def test_tool_is_registered_as_an_api_tool() -> None:
    definition = get_tool_registry().get("get_weather")

    assert isinstance(definition.tool, FunctionTool)
    assert definition.tool is get_weather
    assert definition.category == "api"
    assert definition.tool.params_json_schema["required"] == ["city", "day"]  # strict schema


class _RecordedOpenMeteo(BaseHTTPRequestHandler):
    """A local HTTP server that answers like Open-Meteo, to test the tool's own client."""

    paths: list[str] = []  # noqa: RUF012  # filled by the server thread, read by the test

    def do_GET(self) -> None:
        self.paths.append(self.path)
        name = "geocoding_paris" if self.path.startswith("/v1/search") else "forecast_paris"
        body = recorded(name)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def local_open_meteo(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Settings pointing at a local server; yields the paths it was asked for."""
    _RecordedOpenMeteo.paths = []
    with serving(LocalHTTPServer(_RecordedOpenMeteo)) as server:
        monkeypatch.setenv("WEATHER_GEOCODING_URL", f"{server.url}/v1/search")
        monkeypatch.setenv("WEATHER_FORECAST_URL", f"{server.url}/v1/forecast")
        get_settings.cache_clear()
        yield _RecordedOpenMeteo.paths


async def test_sdk_tool_reads_its_urls_from_settings(local_open_meteo: list[str]) -> None:
    arguments = '{"city": "Paris"}'

    result = json.loads(
        await get_weather.on_invoke_tool(tool_context(AgentContext(), arguments), arguments)
    )  # tools answer JSON

    assert result == PARIS
    assert [path.split("?")[0] for path in local_open_meteo] == ["/v1/search", "/v1/forecast"]


async def test_sdk_tool_reports_an_unreachable_service(monkeypatch: pytest.MonkeyPatch) -> None:
    # A port that was just free: nothing listens there, so the connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WEATHER_GEOCODING_URL", f"http://127.0.0.1:{port}/v1/search")
    monkeypatch.setenv("WEATHER_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    arguments = '{"city": "Paris"}'

    result = json.loads(
        await get_weather.on_invoke_tool(tool_context(AgentContext(), arguments), arguments)
    )  # tools answer JSON

    assert list(result) == ["error"]
    assert "could not be reached" in result["error"]
