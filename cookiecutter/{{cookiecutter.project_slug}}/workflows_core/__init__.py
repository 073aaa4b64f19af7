"""workflows_core: Prefect 3 flows and tasks that run this project's agents.

Importing this package sets Prefect's defaults for the project *before* Prefect is first
imported (state under ``<DATA_DIR>/prefect``, no telemetry; your own ``PREFECT_*`` variables
win): Prefect reads its settings, and creates its home folder, at import time. See
`workflows_core._environment` and docs/workflows.md.
"""

from workflows_core._environment import configure_prefect_environment

configure_prefect_environment()

# Prefect is imported from here on (by the modules below).
from workflows_core.catalog import (  # noqa: E402
    FlowInfo,
    FlowParameter,
    InvalidParametersError,
    UnknownFlowError,
    get_flow,
    list_flows,
)
from workflows_core.datasets import DatasetError  # noqa: E402
from workflows_core.flows import (  # noqa: E402
    agent_analysis_flow,
    analyze_flow,
    parallel_agent_analysis_flow,
    process_flow,
    upload_flow,
)
from workflows_core.flows.orchestration import (  # noqa: E402
    TRIGGER_SOURCES,
    UnknownTriggerSourceError,
    orchestrate_data_workflow,
)
from workflows_core.runs import FlowRunOutcome, run_flow  # noqa: E402
from workflows_core.tasks import run_agent_analysis_task  # noqa: E402

__all__ = [
    "TRIGGER_SOURCES",
    "DatasetError",
    "FlowInfo",
    "FlowParameter",
    "FlowRunOutcome",
    "InvalidParametersError",
    "UnknownFlowError",
    "UnknownTriggerSourceError",
    "agent_analysis_flow",
    "analyze_flow",
    "configure_prefect_environment",
    "get_flow",
    "list_flows",
    "orchestrate_data_workflow",
    "parallel_agent_analysis_flow",
    "process_flow",
    "run_agent_analysis_task",
    "run_flow",
    "upload_flow",
]
