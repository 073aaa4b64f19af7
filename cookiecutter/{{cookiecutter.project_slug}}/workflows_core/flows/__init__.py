"""Atomic flows: one complete workflow each. Master flows are in `flows.orchestration`."""

from workflows_core.flows.agent_analysis_flow import agent_analysis_flow
from workflows_core.flows.analyze_flow import analyze_flow
from workflows_core.flows.parallel_analysis_flow import parallel_agent_analysis_flow
from workflows_core.flows.process_flow import process_flow
{%- if cookiecutter.include_samples %}
from workflows_core.flows.sales_report_flow import sales_report_flow
{%- endif %}
from workflows_core.flows.upload_flow import upload_flow

__all__ = [
    "agent_analysis_flow",
    "analyze_flow",
    "parallel_agent_analysis_flow",
    "process_flow",
{%- if cookiecutter.include_samples %}
    "sales_report_flow",
{%- endif %}
    "upload_flow",
]
