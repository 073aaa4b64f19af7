"""Master flows: compose the atomic flows of `workflows_core.flows`."""

from workflows_core.flows.orchestration.master_workflow import (
    TRIGGER_SOURCES,
    TriggerSource,
    UnknownTriggerSourceError,
    orchestrate_data_workflow,
)

__all__ = [
    "TRIGGER_SOURCES",
    "TriggerSource",
    "UnknownTriggerSourceError",
    "orchestrate_data_workflow",
]
