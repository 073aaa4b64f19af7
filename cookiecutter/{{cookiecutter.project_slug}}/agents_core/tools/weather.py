"""Sample tool: the weather of a city today or on a coming day, from Open-Meteo (free, no key).

Open-Meteo's geocoding API turns the city name into coordinates, then its forecast API gives
the current conditions there, or the daily forecast of a coming day (tomorrow, a weekday, a
date within `FORECAST_DAYS`). Every failure (network, timeout, HTTP error, unreadable answer,
unknown city) becomes ``{"error": ...}``: the model learns that no data is available instead of
getting an exception, or a half-filled result it could paper over with invented numbers.
"""

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Self

import httpx
from agents import RunContextWrapper, function_tool

from agents_core.config import get_settings
from agents_core.models.context import AgentContext
from agents_core.registry import register_tool
from agents_core.utils.tls import tls_context

HTTP_CLIENT_METADATA_KEY = "http_client"
"""Key of `AgentContext.metadata` under which a shared `httpx.AsyncClient` may be passed."""

CURRENT_VARIABLES = ("temperature_2m", "relative_humidity_2m", "wind_speed_10m", "weather_code")
"""Variables asked from the forecast API (`current=`); the answer repeats them by these names."""

MAX_CITY_LENGTH = 100
FORECAST_DAYS = 7
"""Days of daily forecast asked for (today first): a `day` further away is refused."""
DAILY_VARIABLES = (
    "weather_code",
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_sum",
    "precipitation_probability_max",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The WMO weather interpretation codes Open-Meteo documents for `weather_code`.
WMO_WEATHER_CODES: dict[int, str] = {
    0: "clear sky",
    1: "mainly clear",
    2: "partly cloudy",
    3: "overcast",
    45: "fog",
    48: "depositing rime fog",
    51: "light drizzle",
    53: "moderate drizzle",
    55: "dense drizzle",
    56: "light freezing drizzle",
    57: "dense freezing drizzle",
    61: "slight rain",
    63: "moderate rain",
    65: "heavy rain",
    66: "light freezing rain",
    67: "heavy freezing rain",
    71: "slight snowfall",
    73: "moderate snowfall",
    75: "heavy snowfall",
    77: "snow grains",
    80: "slight rain showers",
    81: "moderate rain showers",
    82: "violent rain showers",
    85: "slight snow showers",
    86: "heavy snow showers",
    95: "thunderstorm",
    96: "thunderstorm with slight hail",
    99: "thunderstorm with heavy hail",
}

# Units the parser relies on; Open-Meteo states them in `current_units`. A different unit
# (e.g. someone adds temperature_unit=fahrenheit) must not be reported as Celsius.
_EXPECTED_UNITS = {"temperature_2m": "°C", "relative_humidity_2m": "%", "wind_speed_10m": "km/h"}


def describe_weather_code(code: int) -> str:
    """Words for a WMO weather code, e.g. 3 -> "overcast"."""
    return WMO_WEATHER_CODES.get(code, f"unknown conditions (WMO code {code})")


class WeatherServiceError(Exception):
    """A failure to hand to the model as ``{"error": str(exc)}``."""


class OpenMeteoClient:
    """Current weather by city name from Open-Meteo; usable without the Agents SDK."""

    def __init__(
        self,
        *,
        geocoding_url: str,
        forecast_url: str,
        timeout_seconds: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Create a client.

        Args:
            geocoding_url: Open-Meteo geocoding search endpoint.
            forecast_url: Open-Meteo forecast endpoint.
            timeout_seconds: Limit of each HTTP request, connection included.
            http_client: Shared client to use (it is not closed); None opens one per call.
        """
        self._geocoding_url = geocoding_url
        self._forecast_url = forecast_url
        self._timeout = timeout_seconds
        self._http_client = http_client

    @classmethod
    def from_settings(cls, http_client: httpx.AsyncClient | None = None) -> Self:
        """A client configured by the `WEATHER_*` settings, read now (not at import)."""
        settings = get_settings()
        return cls(
            geocoding_url=settings.weather_geocoding_url,
            forecast_url=settings.weather_forecast_url,
            timeout_seconds=settings.weather_timeout_seconds,
            http_client=http_client,
        )

    async def current_weather(self, city: str) -> dict[str, Any]:
        """The current weather of `city`, or ``{"error": ...}``; never raises for bad input.

        Args:
            city: City name, e.g. "Paris".

        Returns:
            city, country, latitude, longitude, temperature_c, humidity_pct, wind_kmh,
            weather_code, conditions, observed_at, timezone and source; or error.
        """
        name = " ".join(city.split())
        if not name:
            return {"error": "No city was given. Ask for a city name, e.g. Paris."}
        if len(name) > MAX_CITY_LENGTH:
            return {"error": f"The city name is longer than {MAX_CITY_LENGTH} characters."}
        try:
            if self._http_client is not None:
                return await self._fetch(self._http_client, name)
            async with httpx.AsyncClient(timeout=self._timeout, verify=tls_context()) as client:
                return await self._fetch(client, name)
        except WeatherServiceError as exc:
            return {"error": str(exc)}

    async def daily_forecast(self, city: str, day: str) -> dict[str, Any]:
        """The forecast of `city` on `day` (tomorrow, a weekday or YYYY-MM-DD), or an error.

        Returns:
            city, country, date, day, conditions, temperature_max_c, temperature_min_c,
            precipitation_mm, precipitation_probability_pct, timezone and source; or error.
        """
        name = " ".join(city.split())
        if not name:
            return {"error": "No city was given. Ask for a city name, e.g. Paris."}
        if len(name) > MAX_CITY_LENGTH:
            return {"error": f"The city name is longer than {MAX_CITY_LENGTH} characters."}
        try:
            if self._http_client is not None:
                return await self._fetch_daily(self._http_client, name, day)
            async with httpx.AsyncClient(timeout=self._timeout, verify=tls_context()) as client:
                return await self._fetch_daily(client, name, day)
        except WeatherServiceError as exc:
            return {"error": str(exc)}

    async def _fetch_daily(self, client: httpx.AsyncClient, city: str, day: str) -> dict[str, Any]:
        place = _parse_place(
            city,
            await self._get_json(
                client,
                self._geocoding_url,
                {"name": city, "count": 1, "language": "en", "format": "json"},
                city=city,
            ),
        )
        forecast = await self._get_json(
            client,
            self._forecast_url,
            {
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "daily": ",".join(DAILY_VARIABLES),
                "forecast_days": FORECAST_DAYS,
                "timezone": "auto",
            },
            city=city,
        )
        return _parse_daily(place, forecast, day, city=city)

    async def _fetch(self, client: httpx.AsyncClient, city: str) -> dict[str, Any]:
        place = _parse_place(
            city,
            await self._get_json(
                client,
                self._geocoding_url,
                {"name": city, "count": 1, "language": "en", "format": "json"},
                city=city,
            ),
        )
        forecast = await self._get_json(
            client,
            self._forecast_url,
            {
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "current": ",".join(CURRENT_VARIABLES),
                "timezone": "auto",
            },
            city=city,
        )
        return _parse_current(place, forecast, city=city)

    async def _get_json(
        self,
        client: httpx.AsyncClient,
        url: str,
        params: dict[str, str | int | float],
        *,
        city: str,
    ) -> Any:
        no_data = _no_data(city)
        try:
            # httpx limits each phase (connect, read...); asyncio.timeout also bounds a server
            # that drips bytes slowly, so `timeout_seconds` really is the longest wait.
            async with asyncio.timeout(self._timeout):
                response = await client.get(url, params=params, timeout=self._timeout)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise WeatherServiceError(
                f"The weather service did not answer within {self._timeout:g} seconds. {no_data}"
            ) from exc
        except httpx.HTTPError as exc:
            raise WeatherServiceError(
                f"The weather service could not be reached ({type(exc).__name__}). {no_data}"
            ) from exc
        if response.status_code != httpx.codes.OK:
            raise WeatherServiceError(
                f"The weather service answered with HTTP error {response.status_code}"
                f"{_reason(response)}. {no_data}"
            )
        try:
            return response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise WeatherServiceError(
                f"The weather service sent an unreadable (not JSON) answer. {no_data}"
            ) from exc


def _no_data(city: str) -> str:
    return f"No weather data was retrieved for {city}; say so instead of guessing."


def _reason(response: httpx.Response) -> str:
    """Open-Meteo explains 4xx errors as {"error": true, "reason": "..."}: keep the reason."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return ""
    return f" ({reason[:200]})" if isinstance(reason, str) and reason else ""


def _malformed(city: str, detail: str) -> WeatherServiceError:
    return WeatherServiceError(
        f"The weather service sent an unexpected answer ({detail}). {_no_data(city)}"
    )


def _number(data: dict[str, Any], key: str, city: str) -> float:
    value = data.get(key)
    # bool is an int subclass; null marks a value Open-Meteo does not have.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _malformed(city, f"{key} is missing or not a number")
    return value


def _parse_place(city: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _malformed(city, "the geocoding answer is not an object")
    results = payload.get("results")
    # Open-Meteo omits `results` altogether when nothing matches.
    if results is None or results == []:
        raise WeatherServiceError(
            f"The city {city!r} was not found by the weather service. Check the spelling or "
            f"try a nearby larger city. No weather data was retrieved."
        )
    if not isinstance(results, list) or not isinstance(results[0], dict):
        raise _malformed(city, "the geocoding results are not a list of places")
    first = results[0]
    name = first.get("name")
    country = first.get("country")
    return {
        "city": name if isinstance(name, str) and name else city,
        "country": country if isinstance(country, str) else "",
        "latitude": _number(first, "latitude", city),
        "longitude": _number(first, "longitude", city),
    }


def _parse_current(place: dict[str, Any], payload: Any, *, city: str) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("current"), dict):
        raise _malformed(city, "no current conditions in the forecast")
    current: dict[str, Any] = payload["current"]
    units = payload.get("current_units")
    if isinstance(units, dict):
        for key, expected in _EXPECTED_UNITS.items():
            if units.get(key, expected) != expected:
                raise _malformed(city, f"{key} is in {units.get(key)!r}, not {expected!r}")
    code = _number(current, "weather_code", city)
    if code != int(code):
        raise _malformed(city, "weather_code is not a whole number")
    observed = current.get("time")
    if not isinstance(observed, str):
        raise _malformed(city, "the observation time is missing")
    zone = payload.get("timezone")
    return {
        **place,
        "temperature_c": _number(current, "temperature_2m", city),
        "humidity_pct": _number(current, "relative_humidity_2m", city),
        "wind_kmh": _number(current, "wind_speed_10m", city),
        "weather_code": int(code),
        "conditions": describe_weather_code(int(code)),
        "observed_at": _with_offset(observed, payload.get("utc_offset_seconds")),
        "timezone": zone if isinstance(zone, str) else "",
        "source": "Open-Meteo",
    }


def pick_day(dates: list[str], day: str) -> int | None:
    """The index in `dates` (the forecast's days, today first) of `day`, or None."""
    wanted = day.strip().lower()
    if wanted in ("", "today", "now"):
        return 0 if dates else None
    if wanted == "tomorrow":
        return 1 if len(dates) > 1 else None
    if wanted in WEEKDAYS:
        for index, text in enumerate(dates):
            if datetime.fromisoformat(text).weekday() == WEEKDAYS.index(wanted):
                return index
        return None
    return dates.index(wanted) if wanted in dates else None


def _parse_daily(place: dict[str, Any], payload: Any, day: str, *, city: str) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("daily"), dict):
        raise _malformed(city, "no daily forecast")
    daily: dict[str, Any] = payload["daily"]
    dates = daily.get("time")
    if not isinstance(dates, list) or not all(isinstance(d, str) for d in dates):
        raise _malformed(city, "the forecast's dates are missing")
    index = pick_day(dates, day)
    if index is None:
        return {
            "error": f"There is no forecast for {day!r}: ask for today, tomorrow, a weekday or "
            f"a date from {dates[0] if dates else '?'} to {dates[-1] if dates else '?'}."
        }

    def value(key: str) -> float:
        series = daily.get(key)
        if not isinstance(series, list) or len(series) <= index:
            raise _malformed(city, f"{key} is missing")
        return _number({key: series[index]}, key, city)

    code = int(value("weather_code"))
    result = {
        **place,
        "date": dates[index],
        "day": day.strip().lower() or "today",
        "conditions": describe_weather_code(code),
        "temperature_max_c": value("temperature_2m_max"),
        "temperature_min_c": value("temperature_2m_min"),
        "precipitation_mm": value("precipitation_sum"),
        "timezone": payload.get("timezone") if isinstance(payload.get("timezone"), str) else "",
        "source": "Open-Meteo",
    }
    probabilities = daily.get("precipitation_probability_max")
    chance = (
        probabilities[index]
        if isinstance(probabilities, list) and len(probabilities) > index
        else None
    )
    if isinstance(chance, int | float) and not isinstance(chance, bool):
        result["precipitation_probability_pct"] = chance
    return result


def _with_offset(local_time: str, utc_offset_seconds: Any) -> str:
    """'2025-11-24T14:45' + 3600 -> '2025-11-24T14:45:00+01:00' (unambiguous for the model)."""
    if isinstance(utc_offset_seconds, bool) or not isinstance(utc_offset_seconds, int):
        return local_time
    try:
        moment = datetime.fromisoformat(local_time)
        offset = timezone(timedelta(seconds=utc_offset_seconds))
    except ValueError:
        return local_time
    return moment.replace(tzinfo=offset).isoformat()


def _injected_client(context: Any) -> httpx.AsyncClient | None:
    """The shared client in ``context.metadata["http_client"]``, if any (tests inject one)."""
    metadata = getattr(context, "metadata", None)
    if isinstance(metadata, dict):
        client = metadata.get(HTTP_CLIENT_METADATA_KEY)
        if isinstance(client, httpx.AsyncClient):
            return client
    return None


@register_tool(
    name="get_weather",
    description=(
        "Get the weather for a city: now (temperature, conditions, humidity, wind), or the "
        "forecast of a coming day (conditions, high and low, rain)"
    ),
    category="api",
    parameters_description=(
        "city (str): city name, e.g. Paris; day (str): today (default), tomorrow, a weekday "
        f"or a date YYYY-MM-DD within {FORECAST_DAYS} days"
    ),
    returns_description=(
        "dict with city, country, temperature_c, humidity_pct, wind_kmh, conditions, "
        "observed_at (today); or date, conditions, temperature_max_c, temperature_min_c, "
        "precipitation_mm, precipitation_probability_pct (another day); or {'error': ...}"
    ),
)
@function_tool
async def get_weather(
    ctx: RunContextWrapper[AgentContext], city: str, day: str = "today"
) -> dict[str, Any]:
    """Get the weather for a city from Open-Meteo: now, or the forecast of a coming day.

    Args:
        city: City name, e.g. Paris.
        day: today (the current weather), tomorrow, a weekday such as friday, or YYYY-MM-DD.
    """
    client = OpenMeteoClient.from_settings(http_client=_injected_client(ctx.context))
    if day.strip().lower() in ("", "today", "now"):
        return await client.current_weather(city)
    return await client.daily_forecast(city, day)
