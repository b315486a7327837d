"""Listing and counting workflows: ``Client.list_workflows`` and ``Client.count_workflows``.

The query is Temporal's list filter; the server parses it and answers a syntax error with
``RPCError`` (INVALID_ARGUMENT) whose message points at the position. As temporalio's
iterator, ``async for`` fetches pages as it goes and stops after ``limit`` runs, and
``fetch_next_page()`` / ``current_page`` / ``next_page_token`` page by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato import _service
from legato._client.history import WorkflowHistoryEventFilterType
from legato.api.workflowservice import v1 as api

if TYPE_CHECKING:
    from legato.client import Client, WorkflowExecution, WorkflowHistory


@dataclass
class ListWorkflowsInput:
    """What ``Client.list_workflows`` sends down the chain."""

    query: str | None
    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    limit: int | None


@dataclass
class CountWorkflowsInput:
    """What ``Client.count_workflows`` sends down the chain."""

    query: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class WorkflowExecutionCountAggregationGroup:
    """The count of one group (``group_values``: the status's name, as ``'Running'``)."""

    count: int
    group_values: Sequence[Any]


@dataclass
class WorkflowExecutionCount:
    """How many runs matched; with ``GROUP BY ExecutionStatus``, per status too."""

    count: int
    groups: Sequence[WorkflowExecutionCountAggregationGroup]

    @staticmethod
    def _from_raw(raw: api.CountWorkflowsResponse) -> WorkflowExecutionCount:
        groups = [WorkflowExecutionCountAggregationGroup(g.count, list(g.group_values)) for g in raw.groups]
        return WorkflowExecutionCount(count=raw.count, groups=groups)


class WorkflowExecutionAsyncIterator:
    """The runs a list filter matches, fetched a page at a time."""

    def __init__(self, client: Client, input: ListWorkflowsInput) -> None:
        """Page through the runs ``input`` asks for, with ``client``'s calls."""
        self._client = client
        self._input = input
        self._next_page_token = input.next_page_token
        self._current_page: Sequence[WorkflowExecution] | None = None
        self._current_page_index = 0
        self._yielded = 0

    @property
    def current_page_index(self) -> int:
        """Index of the next run of the current page."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[WorkflowExecution] | None:
        """The page fetched last; None before the first fetch."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """The token of the next page; None when the last page was fetched."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page into ``current_page``."""
        from legato.client import WorkflowExecution

        input = self._input
        size = page_size or input.page_size
        if input.limit is not None:  # no more than the limit still wants
            size = max(1, min(size, input.limit - self._yielded))
        request = api.ListWorkflowsRequest(
            query=input.query or "",
            page_size=min(size, api.MAX_LIST_PAGE_SIZE),
            next_page_token=self._next_page_token.decode() if self._next_page_token else None,
        )
        options = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
        page = await self._client.service_client.list_workflows(request, options)
        namespace, converter = self._client.namespace, self._client.data_converter
        self._current_page = [WorkflowExecution._from_raw_info(e, namespace, converter) for e in page.executions]
        self._current_page_index = 0
        self._next_page_token = page.next_page_token.encode() if page.next_page_token else None

    def __aiter__(self) -> WorkflowExecutionAsyncIterator:
        return self

    async def __anext__(self) -> WorkflowExecution:
        if self._input.limit is not None and self._yielded >= self._input.limit:
            raise StopAsyncIteration
        while True:
            page = self._current_page
            if page is not None and self._current_page_index < len(page):
                self._current_page_index += 1
                self._yielded += 1
                return page[self._current_page_index - 1]
            if page is not None and self._next_page_token is None:
                raise StopAsyncIteration
            await self.fetch_next_page()

    async def map_histories(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},
        rpc_timeout: timedelta | None = None,
    ) -> AsyncIterator[WorkflowHistory]:
        """Each listed run's whole history, as the Replayer takes it."""
        async for execution in self:
            handle = self._client.get_workflow_handle(execution.id, run_id=execution.run_id)
            yield await handle.fetch_history(
                event_filter_type=event_filter_type,
                skip_archival=skip_archival,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )


async def count_workflows(client: Client, input: CountWorkflowsInput) -> WorkflowExecutionCount:
    """Ask the server to count."""
    request = api.CountWorkflowsRequest(query=input.query or "")
    options = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
    return WorkflowExecutionCount._from_raw(await client.service_client.count_workflows(request, options))
