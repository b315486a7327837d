"""Listing and counting a namespace's runs with Temporal's list filter."""

from __future__ import annotations

from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.workflow.v1 import WorkflowExecutionInfo
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import children, list_filter, memo, search_attributes
from legato_operator.engine.services import namespaces, runner
from legato_operator.store import rows, visibility
from legato_operator.store.filters import Filter

# Count groups come in the order of Temporal's status enum.
_STATUS_ORDER = list(WorkflowExecutionStatus)


async def list_workflows(
    rt: runner.Runtime, namespace: str, request: api.ListWorkflowsRequest
) -> api.ListWorkflowsResponse:
    """A page of the runs the request's filter matches, in its order (Temporal's by default)."""
    f = await _parse(rt, namespace, request.query)
    if f.group_by is not None:
        raise errors.InvalidArgument(list_filter.FIELD, "invalid query: 'GROUP BY' is only for counting workflows")
    async with rt.pool.acquire() as conn:
        try:
            page = await visibility.list_page(
                conn, namespace, f, page_size=request.page_size, page_token=request.next_page_token
            )
        except visibility.BadPageToken as e:
            raise errors.InvalidArgument("next_page_token", str(e)) from None
    return api.ListWorkflowsResponse(
        executions=[info(ex) for ex in page.executions], next_page_token=page.next_page_token
    )


async def count_workflows(
    rt: runner.Runtime, namespace: str, request: api.CountWorkflowsRequest
) -> api.CountWorkflowsResponse:
    """How many runs the filter matches, and per status with ``GROUP BY ExecutionStatus``."""
    f = await _parse(rt, namespace, request.query)
    if f.order_by:
        raise errors.InvalidArgument(list_filter.FIELD, "invalid query: 'ORDER BY' is only for listing workflows")
    async with rt.pool.acquire() as conn:
        if f.group_by is None:
            return api.CountWorkflowsResponse(count=await visibility.count(conn, namespace, f))
        counts = await visibility.count_by_status(conn, namespace, f)
    statuses = sorted(counts, key=lambda s: _STATUS_ORDER.index(WorkflowExecutionStatus(s)))
    groups = [api.CountGroup(group_values=[list_filter.status_name(s)], count=counts[s]) for s in statuses]
    return api.CountWorkflowsResponse(count=sum(counts.values()), groups=groups)


async def _parse(rt: runner.Runtime, namespace: str, query: str) -> Filter:
    """The query parsed over the system attributes and the namespace's custom ones."""
    if not query.strip():
        return Filter()
    async with rt.pool.acquire() as conn:
        return list_filter.parse(query, await namespaces.registered(conn, namespace))


def info(ex: rows.Execution) -> WorkflowExecutionInfo:
    """A run as a list shows it."""
    parent, root = children.lineage(ex)
    return WorkflowExecutionInfo(
        workflow_id=ex.workflow_id,
        run_id=ex.run_id,
        workflow_type=ex.workflow_type,
        task_queue=ex.task_queue,
        status=ex.status,
        start_time=ex.start_time,
        execution_time=ex.execution_time or ex.start_time,
        close_time=ex.close_time,
        history_length=ex.next_event_id - 1,
        history_size_bytes=ex.history_size,
        first_execution_run_id=ex.first_execution_run_id or ex.run_id,
        memo=memo.payloads(ex.memo),
        search_attributes=search_attributes.payloads(ex.search_attributes),
        parent_execution=parent,
        root_execution=root,
    )
