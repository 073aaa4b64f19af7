"""Settings: defaults, environment and `.env`, and errors that say what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import agents_core
from agents_core._defaults import DEFAULT_MODEL
from agents_core.config import Settings, default_data_dir, get_settings

PROJECT_ROOT = Path(agents_core.__file__).resolve().parent.parent


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Also clear the variables the shared guard leaves alone."""
    for var in ("LOG_LEVEL", "DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.llm_provider == "auto"
    assert settings.default_model == DEFAULT_MODEL
    assert settings.openai_api_key is None
    assert settings.has_openai_key is False
    assert settings.openai_base_url is None
    assert settings.session_url == ""
    assert settings.session_max_items == 200
    assert settings.max_turns == 10
    assert settings.max_input_chars == 8_000
    assert settings.tracing == "auto"
    assert settings.log_level == "WARNING"
    assert settings.data_dir == default_data_dir()


def test_default_data_dir_is_beside_the_project(clean_env: pytest.MonkeyPatch) -> None:
    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    assert default_data_dir() == PROJECT_ROOT / "data"
    assert Settings().data_dir == PROJECT_ROOT / "data"


def test_the_default_model_is_the_generated_answer() -> None:
    assert DEFAULT_MODEL
    assert not any(ch.isspace() for ch in DEFAULT_MODEL)
    assert "{" not in DEFAULT_MODEL  # rendered, not a template marker


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {
        "LLM_PROVIDER": "offline",
        "DEFAULT_MODEL": "litellm/anthropic/claude-x",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
        "DATA_DIR": str(tmp_path / "state"),
        "SESSION_URL": "sqlite:///:memory:",
        "SESSION_MAX_ITEMS": "50",
        "MAX_TURNS": "3",
        "MAX_INPUT_CHARS": "100",
        "TRACING": "off",
        "LOG_LEVEL": "DEBUG",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.llm_provider == "offline"
    assert settings.default_model == "litellm/anthropic/claude-x"
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test-not-a-real-key"
    assert settings.has_openai_key is True
    assert settings.openai_base_url == "http://127.0.0.1:8000/v1"
    assert settings.data_dir == tmp_path / "state"
    assert settings.resolved_session_url == "sqlite:///:memory:"
    assert settings.session_max_items == 50
    assert settings.max_turns == 3
    assert settings.max_input_chars == 100
    assert settings.tracing == "off"
    assert settings.log_level == "DEBUG"


def test_environment_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("max_turns", "4")
    assert Settings().max_turns == 4


def test_the_key_never_shows_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    settings = Settings()
    assert "sk-test-secret-value" not in repr(settings)
    assert "sk-test-secret-value" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "field", "allowed"),
    [
        ("LLM_PROVIDER", "banana", "llm_provider", r"should be 'auto', 'openai' or 'offline'"),
        ("MAX_TURNS", "0", "max_turns", r"greater than or equal to 1"),
        ("MAX_TURNS", "101", "max_turns", r"less than or equal to 100"),
        ("MAX_TURNS", "ten", "max_turns", r"valid integer"),
        ("DEFAULT_MODEL", "gpt 4", "default_model", r"single model name without spaces"),
        ("DEFAULT_MODEL", "", "default_model", r"at least 1 character"),
        ("SESSION_MAX_ITEMS", "1", "session_max_items", r"greater than or equal to 2"),
        ("SESSION_LOCK_TIMEOUT_SECONDS", "0", "session_lock_timeout_seconds", r"greater than 0"),
        ("SESSION_LOCK_TIMEOUT_SECONDS", "soon", "session_lock_timeout_seconds", r"valid number"),
        ("MAX_INPUT_CHARS", "0", "max_input_chars", r"greater than or equal to 1"),
        ("TRACING", "maybe", "tracing", r"Input should be 'auto', 'on' or 'off'"),
        ("LOG_LEVEL", "LOUD", "log_level", r"'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("OPENAI_API", "grpc", "openai_api", r"'responses' or 'chat_completions'"),
        ("MODEL_TIMEOUT_SECONDS", "0", "model_timeout_seconds", r"greater than 0"),
        ("MODEL_TIMEOUT_SECONDS", "601", "model_timeout_seconds", r"less than or equal to 600"),
        ("MODEL_MAX_RETRIES", "-1", "model_max_retries", r"greater than or equal to 0"),
        ("MODEL_MAX_RETRIES", "11", "model_max_retries", r"less than or equal to 10"),
        ("MODEL_RETRY_DELAY_SECONDS", "-1", "model_retry_delay_seconds", r"greater than or"),
        ("MODEL_RETRY_DELAY_SECONDS", "9", "model_retry_delay_seconds", r"less than or equal to 8"),
        ("OPENAI_BASE_URL", "localhost:11434", "openai_base_url", r"http:// or https:// URL"),
    ],
)
def test_invalid_values_name_the_field_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=allowed) as raised:
        Settings()
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]
    assert f"\n{field}\n" in str(raised.value)


def test_get_settings_reports_invalid_values_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_TURNS", "0")
    with pytest.raises(ValidationError, match="max_turns"):
        get_settings()


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_key_means_no_key(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is not None:
        monkeypatch.setenv("OPENAI_API_KEY", value)
    settings = Settings()
    assert settings.openai_api_key is None
    assert settings.has_openai_key is False


def test_dotenv_in_the_working_directory_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Path.cwd() == tmp_path
    (tmp_path / ".env").write_text(
        "# local settings\nMAX_TURNS=7\nLLM_PROVIDER=offline\nSOMETHING_ELSE=ignored\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.max_turns == 7
    assert settings.llm_provider == "offline"

    monkeypatch.setenv("MAX_TURNS", "3")  # the environment wins over .env
    assert Settings().max_turns == 3


def test_invalid_values_in_dotenv_are_reported(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LLM_PROVIDER=banana\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="llm_provider"):
        Settings()


def test_resolved_session_url_defaults_into_the_data_dir(data_dir: Path) -> None:
    settings = Settings()
    assert settings.data_dir == data_dir
    assert settings.resolved_session_url == f"sqlite:///{data_dir / 'sessions.db'}"


def test_an_explicit_session_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_URL", "sqlite:///relative/chat.db")
    assert Settings().resolved_session_url == "sqlite:///relative/chat.db"


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("MAX_TURNS", "9")
    assert get_settings().max_turns == first.max_turns
    get_settings.cache_clear()
    assert get_settings().max_turns == 9


def test_model_call_defaults_are_short() -> None:
    settings = Settings()
    assert settings.openai_api == "responses"
    assert settings.model_timeout_seconds == 30.0  # well under a minute
    assert settings.model_max_retries == 2


def test_a_base_url_without_a_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    with pytest.raises(ValidationError, match="OPENAI_BASE_URL is set") as raised:
        Settings()
    assert "OPENAI_API_KEY=local" in str(raised.value)
    monkeypatch.setenv("OPENAI_API_KEY", "local")  # any value for servers that need none
    assert Settings().has_openai_key
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("LLM_PROVIDER", "offline")  # deliberately offline: the URL is unused
    assert Settings().openai_base_url == "http://127.0.0.1:11434/v1"
