"""Reusable Prefect tasks: thin wrappers over the services of agents_core and workflows_core."""

from workflows_core.tasks.agent_tasks import analysis_query, run_agent_analysis_task
from workflows_core.tasks.dataset_tasks import (
    fetch_records_task,
    load_records_task,
    load_summary_task,
    save_dataset_task,
    save_report_task,
    summarize_records_task,
)
{%- if cookiecutter.include_samples %}
from workflows_core.tasks.sales_tasks import (
    build_sales_report_task,
    ensure_sales_database_task,
    fetch_sales_summary_task,
)
{%- endif %}

__all__ = [
    "analysis_query",
{%- if cookiecutter.include_samples %}
    "build_sales_report_task",
    "ensure_sales_database_task",
{%- endif %}
    "fetch_records_task",
{%- if cookiecutter.include_samples %}
    "fetch_sales_summary_task",
{%- endif %}
    "load_records_task",
    "load_summary_task",
    "run_agent_analysis_task",
    "save_dataset_task",
    "save_report_task",
    "summarize_records_task",
]
