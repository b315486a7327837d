"""fetch_history_events pages as temporalio's iterator does; fetch_history filters to the close event."""

from __future__ import annotations

import asyncio

from legato.client import Client, WorkflowHistoryEventFilterType
from tests.support.deadline import eventually


async def test_history_is_paged_and_resumes_from_a_token(client: Client) -> None:
    handle = await client.start_workflow("Nobody", id="paged-1", task_queue="nobody-polls")
    await handle.terminate(reason="enough")
    everything = [e.attributes.type async for e in handle.fetch_history_events()]
    pages = handle.fetch_history_events(page_size=2)
    await pages.fetch_next_page()
    first = [e.attributes.type for e in pages.current_page or []]
    rest = [e.attributes.type async for e in handle.fetch_history_events(next_page_token=pages.next_page_token)]
    assert everything == ["WorkflowExecutionStarted", "WorkflowTaskScheduled", "WorkflowExecutionTerminated"]
    assert (first, rest) == (everything[:2], everything[2:])


async def test_close_event_filter_returns_only_the_close_event(client: Client) -> None:
    handle = await client.start_workflow("Nobody", id="closed-1", task_queue="nobody-polls")
    running = await handle.fetch_history(event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT)
    await handle.terminate(reason="enough")
    closed = await handle.fetch_history(event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT)
    assert running.events == []
    assert [e.attributes.type for e in closed.events] == ["WorkflowExecutionTerminated"]


async def test_following_a_history_waits_for_new_events_until_the_run_closes(client: Client) -> None:
    handle = await client.start_workflow("Nobody", id="followed-1", task_queue="nobody-polls")
    seen: list[str] = []

    async def follow() -> None:
        async for event in handle.fetch_history_events(wait_new_event=True):
            seen.append(event.attributes.type)

    follower = asyncio.ensure_future(follow())
    await eventually(lambda: len(seen) == 2, within=10, what="the history so far")
    await handle.signal("poke")
    await eventually(lambda: "WorkflowExecutionSignaled" in seen, within=10, what="the signal, as it comes")
    assert not follower.done()
    await handle.terminate(reason="enough")
    await asyncio.wait_for(follower, 10)
    assert seen == [
        "WorkflowExecutionStarted",
        "WorkflowTaskScheduled",
        "WorkflowExecutionSignaled",
        "WorkflowExecutionTerminated",
    ]
