"""Which principal a flow run is for: a `principal:<id>` tag on the run (the API adds it).

A flow run started through the API is its caller's: the API tags it, refuses to show it to
another principal, and the agents it runs act for that principal (its sessions). A run without
the tag (the CLI, a schedule, Prefect's UI) is `local`'s. A subflow carries no tags of its own:
its principal is its nearest tagged parent's.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents_core.principals import LOCAL, Principal

PRINCIPAL_TAG_PREFIX = "principal:"
_MAX_PARENTS = 16
"""Subflow depth searched for the tag (deeper nesting is `local`'s)."""


def principal_tag(principal: Principal) -> str:
    """The tag that marks a flow run as `principal`'s."""
    return f"{PRINCIPAL_TAG_PREFIX}{principal.id}"


def owner_of_tags(tags: Iterable[str] | None) -> str | None:
    """The principal id a run's tags name, or None (a run started without the API)."""
    for tag in tags or ():
        if tag.startswith(PRINCIPAL_TAG_PREFIX):
            return tag[len(PRINCIPAL_TAG_PREFIX) :]
    return None


def may_read(principal: Principal, tags: Iterable[str] | None) -> bool:
    """True when `principal` may see a flow run with `tags` (its owner, or role admin)."""
    return principal.may_access(owner_of_tags(tags))


async def flow_run_principal() -> Principal:
    """The principal of the flow run this code runs in (`local` outside one or untagged)."""
    from prefect import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return LOCAL
    flow_run = context.flow_run
    owner = owner_of_tags(flow_run.tags)
    if owner is not None or flow_run.parent_task_run_id is None:
        return Principal(owner) if owner is not None else LOCAL
    async with get_client() as client:  # a subflow: look up its parents
        for _ in range(_MAX_PARENTS):
            if flow_run.parent_task_run_id is None:
                break
            task_run = await client.read_task_run(flow_run.parent_task_run_id)
            if task_run.flow_run_id is None:
                break
            flow_run = await client.read_flow_run(task_run.flow_run_id)
            owner = owner_of_tags(flow_run.tags)
            if owner is not None:
                return Principal(owner)
    return LOCAL
