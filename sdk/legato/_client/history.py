"""Paging through a run's history for ``WorkflowHandle.fetch_history_events``.

As temporalio's iterator: ``async for`` fetches pages as it goes, and
``fetch_next_page()`` / ``current_page`` / ``next_page_token`` let a caller page by hand
and resume later from a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

from legato import _service
from legato._client.interceptor import FetchWorkflowHistoryEventsInput
from legato.api.history.v1 import HistoryEvent
from legato.api.workflowservice import v1 as api

if TYPE_CHECKING:
    from legato.client import Client


class WorkflowHistoryEventFilterType(IntEnum):
    """Which events ``fetch_history`` returns (Temporal's values)."""

    ALL_EVENT = 1
    CLOSE_EVENT = 2


# How long one page of a followed history waits for new events (a long poll).
HISTORY_WAIT = 20.0

# The events that close a run; a history has at most one, its last.
CLOSE_EVENTS = frozenset(
    f"WorkflowExecution{outcome}"
    for outcome in ("Completed", "Failed", "Canceled", "Terminated", "TimedOut", "ContinuedAsNew")
)


class WorkflowHistoryEventAsyncIterator:
    """A run's history events, fetched a page at a time."""

    def __init__(self, client: Client, input: FetchWorkflowHistoryEventsInput) -> None:
        """Page through the history ``input`` names, with ``client``'s calls."""
        self._client = client
        self._input = input
        self._next_page_token = input.next_page_token
        self._current_page: Sequence[HistoryEvent] | None = None
        self._current_page_index = 0

    @property
    def current_page_index(self) -> int:
        """Index of the next event of the current page."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[HistoryEvent] | None:
        """The page fetched last; None before the first fetch."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """The token of the next page; None when the last page was fetched."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page into ``current_page``."""
        input = self._input
        size = page_size or input.page_size
        request = api.WorkflowHistoryRequest(
            workflow_id=input.id,
            run_id=input.run_id,
            page_token=self._next_page_token.decode() if self._next_page_token else None,
            **({"page_size": size} if size else {}),
            # Following an open run: each page waits for what comes next, as Temporal's.
            wait=HISTORY_WAIT if input.wait_new_event else 0.0,
        )
        options = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
        page = await self._client.service_client.workflow_history(request, options)
        close_only = input.event_filter_type is WorkflowHistoryEventFilterType.CLOSE_EVENT
        self._current_page = (
            [e for e in page.events if e.attributes.type in CLOSE_EVENTS] if close_only else page.events
        )
        self._current_page_index = 0
        self._next_page_token = page.next_page_token.encode() if page.next_page_token else None

    def __aiter__(self) -> WorkflowHistoryEventAsyncIterator:
        return self

    async def __anext__(self) -> HistoryEvent:
        while True:
            page = self._current_page
            if page is not None and self._current_page_index < len(page):
                self._current_page_index += 1
                return page[self._current_page_index - 1]
            # The last page is used up: nothing after it.
            if page is not None and self._next_page_token is None:
                raise StopAsyncIteration
            await self.fetch_next_page()
