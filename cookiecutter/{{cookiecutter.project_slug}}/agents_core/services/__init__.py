"""Services: streaming events, routing, planning and the safety guard."""

from agents_core.services.planning import ExecutionPlan, validate_plan
from agents_core.services.routing import IntentRouter, read_structured_output
from agents_core.services.safety import SafetyGuard
from agents_core.services.streaming import EventType, StreamEvent, StreamingHelper

__all__ = [
    "EventType",
    "ExecutionPlan",
    "IntentRouter",
    "SafetyGuard",
    "StreamEvent",
    "StreamingHelper",
    "read_structured_output",
    "validate_plan",
]
