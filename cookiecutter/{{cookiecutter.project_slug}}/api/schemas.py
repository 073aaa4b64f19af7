"""Request and response bodies (the wire format; OpenAPI shows them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.limits import MAX_NAME_CHARS


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. 'unknown_agent'.")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class AgentInfo(BaseModel):
    name: str
    description: str
    tools: list[str]
    guardrails: list[str]
    structured_output: str | None = Field(description="Name of the output type, if structured.")


def utf8_text(value: str) -> str:
    """`value` if UTF-8 encodes it: JSON may carry a lone surrogate (`"\\ud800"`), text may not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogate such as \\ud800)") from None
    return value


class RunRequest(BaseModel):
    input: str = Field(min_length=1, description="The user's message.")
    agent: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="Agent to run; omit it to let the intent router choose.",
    )
    session_id: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="Continue this conversation; omit it to start a new one.",
    )
    context: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Data for the run's context (the orchestrator's context_data): the JSON-typed fields "
            "of its context class, by default `filters` (an object) and `schema` (text). Other "
            "keys are refused with 422 naming the allowed ones; size limit MAX_CONTEXT_CHARS."
        ),
        examples=[{"filters": {"region": "EU"}}],
    )

    @field_validator("input")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the input must not be blank")
        return utf8_text(value)

    @field_validator("agent", "session_id")
    @classmethod
    def _utf8(cls, value: str | None) -> str | None:
        return None if value is None else utf8_text(value)


class PendingApprovalInfo(BaseModel):
    """A tool call the run waits on: decide it with POST /runs/{run_id}/approve or /reject."""

    approval_id: str
    run_id: str
    session_id: str | None
    agent: str
    tool: str
    arguments: str = Field(description="The call's arguments as the model wrote them (JSON).")
    expires_at: float = Field(description="Seconds since the epoch; later decisions get 410.")


class RunResponse(BaseModel):
    run_id: str = Field(
        description="The run's id (also the X-Run-Id header): its log lines and trace carry it."
    )
    session_id: str
    agent: str | None = Field(description="The agent that produced the answer.")
    intent: str | None = None
    output: Any = Field(description="The final output: text, or a JSON object when structured.")
    text: str = Field(description="The final output as text.")
    status: Literal["completed", "pending_approval"] = Field(
        default="completed",
        description="pending_approval: the run is paused on `approval` (output is null).",
    )
    approval: PendingApprovalInfo | None = None


class ApproveRequest(BaseModel):
    approval_id: str = Field(
        min_length=1, max_length=64, description="The `approval.approval_id` to approve."
    )


class RejectRequest(ApproveRequest):
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why: the model reads it with the SDK's refusal of the call.",
    )


class SessionInfo(BaseModel):
    session_id: str
    created_at: float
    updated_at: float
    title: str | None = None
    user_id: str | None = None
    owner: str = Field(
        default="local", description="Id of the principal the session belongs to (admins see all)."
    )


class SessionHistory(BaseModel):
    session_id: str
    items: list[dict[str, Any]]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


class Me(BaseModel):
    """Who the caller is (`GET /me`)."""

    principal: str = Field(description="The caller's principal id ('local' without credentials).")
    roles: list[str] = Field(description="The caller's roles, sorted ('admin' sees everything).")
    auth: Literal["none", "api_key", "jwt"] = Field(
        description="How the caller authenticated: none (no credentials configured), an API "
        "key, or a JWT bearer token."
    )


class UsageWindow(BaseModel):
    used: int = Field(description="Counted in the current window.")
    limit: int | None = Field(description="The limit of the window; null: unlimited.")
    window: str = Field(description="`minute`, or `day (UTC)`.")
    resets_at: str = Field(description="When the window ends (ISO 8601, UTC).")


class UsageResponse(BaseModel):
    """The caller's own usage (RATE_LIMIT_PER_MINUTE, TOKEN_BUDGET_PER_DAY)."""

    principal: str
    requests: UsageWindow = Field(description="Runs and approval decisions this minute.")
    tokens: UsageWindow = Field(description="Model tokens (input + output) today (UTC).")
