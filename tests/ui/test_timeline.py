"""The history → timeline bars module (static/timeline.js), on histories written here.

Pure functions, run in the browser as the page runs them; the page comes from the UI's
own routes in this test's loop, with no database or server process behind it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from legato_operator import postgres
from legato_operator.api import ui
from tests.ui import browser

if TYPE_CHECKING:
    from playwright.async_api import Page

browser.playwright_api()

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """The UI's files served on a free port of 127.0.0.1."""
    app = web.Application()
    ui.add_to(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = postgres.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def event(event_id: int, at_ms: int, type_: str, **attributes: Any) -> dict[str, Any]:
    """A history event as the API gives it, ``at_ms`` after T0."""
    at = (T0 + timedelta(milliseconds=at_ms)).isoformat().replace("+00:00", "Z")
    return {"event_id": event_id, "event_time": at, "attributes": {"type": type_, **attributes}}


async def timeline(page: Page, site: str, events: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    await page.goto(site + "/ui/static/index.html")
    result: dict[str, Any] = await page.evaluate(
        """async ([events, options]) => {
            const m = await import("/ui/static/timeline.js");
            return m.timelineOf(events, options);
        }""",
        [events, options],
    )
    return result


def started(event_id: int = 1) -> dict[str, Any]:
    return event(event_id, 0, "WorkflowExecutionStarted", workflow_type="Orders", task_queue="q")


async def test_an_activity_retried_then_completed_is_one_bar_with_its_attempts(page: Page, site: str) -> None:
    model = await timeline(
        page,
        site,
        [
            started(),
            event(5, 100, "ActivityTaskScheduled", activity_id="1", activity_type="charge"),
            event(6, 900, "ActivityTaskStarted", scheduled_event_id=5, attempt=3, last_failure={"message": "declined"}),
            event(7, 900, "ActivityTaskCompleted", scheduled_event_id=5, started_event_id=6),
            event(10, 1000, "WorkflowExecutionCompleted", workflow_task_completed_event_id=9),
        ],
    )
    run, charge = model["bars"]
    assert (run["kind"], run["label"], run["open"]) == ("workflow", "Orders · completed", False)
    assert charge["kind"] == "activity"
    assert charge["label"] == "charge · completed · 3 attempts"
    assert (charge["start"] - T0_MS, charge["end"] - T0_MS, charge["attempts"]) == (100, 900, 3)
    assert charge["failure"] == {"message": "declined"}
    assert charge["eventIds"] == [5, 6, 7]
    assert (model["start"] - T0_MS, model["end"] - T0_MS) == (0, 1000)


async def test_an_open_activity_waiting_for_its_retry_ends_now(page: Page, site: str) -> None:
    pending = [{"scheduled_event_id": 5, "attempt": 2, "state": "BACKOFF", "last_failure": {"message": "timeout"}}]
    model = await timeline(
        page,
        site,
        [started(), event(5, 100, "ActivityTaskScheduled", activity_id="1", activity_type="ship")],
        now=T0_MS + 5000,
        pending=pending,
    )
    run, ship = model["bars"]
    assert (run["open"], run["end"] - T0_MS) == (True, 5000)
    assert (ship["outcome"], ship["attempts"], ship["open"], ship["end"] - T0_MS) == ("retrying", 2, True, 5000)
    assert ship["label"] == "ship · retrying · attempt 2"


async def test_timers_and_children_are_bars_and_a_closed_run_ends_its_open_ones(page: Page, site: str) -> None:
    model = await timeline(
        page,
        site,
        [
            started(),
            event(5, 100, "TimerStarted", timer_id="t1", start_to_fire_timeout=1, workflow_task_completed_event_id=4),
            event(6, 200, "TimerStarted", timer_id="t2", start_to_fire_timeout=60, workflow_task_completed_event_id=4),
            event(
                7,
                300,
                "StartChildWorkflowExecutionInitiated",
                workflow_id="kid",
                workflow_type="Kid",
                task_queue="q",
                workflow_task_completed_event_id=4,
            ),
            event(
                8,
                350,
                "ChildWorkflowExecutionStarted",
                initiated_event_id=7,
                workflow_type="Kid",
                workflow_execution={"workflow_id": "kid", "run_id": "r1"},
            ),
            event(9, 1100, "TimerFired", timer_id="t1", started_event_id=5),
            event(
                10,
                1500,
                "ChildWorkflowExecutionFailed",
                initiated_event_id=7,
                started_event_id=8,
                workflow_type="Kid",
                workflow_execution={"workflow_id": "kid", "run_id": "r1"},
                failure={"message": "boom"},
            ),
            event(11, 2000, "WorkflowExecutionTerminated", reason="stop"),
        ],
        now=T0_MS + 60_000,
    )
    labels = [(b["kind"], b["label"]) for b in model["bars"]]
    assert labels == [
        ("workflow", "Orders · terminated"),
        ("timer", "timer t1 · fired"),
        ("timer", "timer t2 · waiting"),
        ("child", "Kid · failed"),
    ]
    t1, t2, kid = model["bars"][1:]
    assert (t1["start"] - T0_MS, t1["end"] - T0_MS) == (100, 1100)
    # Still open when the run was terminated: drawn up to the run's close, not to now.
    assert (t2["open"], t2["end"] - T0_MS) == (True, 2000)
    assert (kid["started"] - T0_MS, kid["runId"], kid["failure"]) == (350, "r1", {"message": "boom"})


async def test_ticks_are_round_and_the_scale_maps_the_span(page: Page, site: str) -> None:
    await page.goto(site + "/ui/static/index.html")
    ticks, points = await page.evaluate(
        """async () => {
            const m = await import("/ui/static/timeline.js");
            const x = m.scale(1000, 3000, 100, 500);
            return [m.ticks(0, 2500), [x(1000), x(2000), x(3000), m.scale(5, 5, 7, 9)(5)]];
        }"""
    )
    assert ticks == [0, 500, 1000, 1500, 2000, 2500]
    assert points == [100, 300, 500, 7]
