"""Limits per principal (RATE_LIMIT_PER_MINUTE, TOKEN_BUDGET_PER_DAY) and the usage they count.

The orchestrator calls `admit()` before a run or a resume calls any model, and
`record_tokens()` after it; `usage_of()` reads one principal's usage (see docs/authentication.md,
"Limits").
"""

from __future__ import annotations

from agents_core.limits.limiter import Usage, admit, record_tokens, usage_of
from agents_core.limits.usage_store import UsageStore, open_usage_store

__all__ = ["Usage", "UsageStore", "admit", "open_usage_store", "record_tokens", "usage_of"]
