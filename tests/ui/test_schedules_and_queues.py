"""The schedules pages and the task queue page, against a real server and worker."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from legato.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleState,
)
from tests.support.server_process import ServerProcess, running_worker
from tests.ui import browser
from tests.ui.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Approval, Checkout

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = browser.playwright_api().expect
pytestmark = pytest.mark.e2e


async def test_schedules_are_listed_and_described(client: Client, server: ServerProcess, page: Page) -> None:
    await client.create_schedule(
        "nightly-checkout",
        Schedule(
            action=ScheduleActionStartWorkflow(Checkout.run, "TEA-1KG", id="nightly", task_queue=TASK_QUEUE),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
            state=ScheduleState(paused=True, note="made by a test"),
        ),
    )
    await page.goto(browser.ui_url(server.url))
    await page.get_by_role("navigation", name="Sections").get_by_role("link", name="Schedules").click()
    table = page.get_by_role("table", name="Schedules")
    await expect(table).to_contain_text("Checkout")
    await expect(table).to_contain_text("every 1 h")
    await expect(table).to_contain_text("Paused")
    await page.get_by_role("link", name="nightly-checkout").click()
    details = page.locator("dl[aria-label=Schedule]")
    await expect(details).to_contain_text("made by a test")
    await expect(page.locator("dl[aria-label=Action]")).to_contain_text('"TEA-1KG"')
    await expect(page.get_by_role("region", name="Runs")).to_contain_text("None while paused.")
    await browser.screenshot(page, "schedule")


async def test_a_task_queue_shows_its_backlog_and_pollers(client: Client, server: ServerProcess, page: Page) -> None:
    await client.start_workflow(Approval.run, id="queued", task_queue=TASK_QUEUE)
    await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/queued"))
    await page.locator("dl[aria-label=Summary]").get_by_role("link", name=TASK_QUEUE).click()
    backlog = page.locator("dl[aria-label=Backlog]")
    await expect(backlog).to_contain_text("Workflow tasks waiting1")
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        # Live refresh picks up the worker's polls and the task it took.
        await expect(backlog).to_contain_text("Workflow tasks waiting0", timeout=15_000)
        await expect(backlog).not_to_contain_text("Pollers (last minute)0", timeout=15_000)
    await page.get_by_label("Task queue name").fill("nobody-polls")
    await page.get_by_role("button", name="Show").click()
    await expect(page.get_by_role("heading", name="Task queue nobody-polls")).to_be_visible()
    await expect(backlog).to_contain_text("Pollers (last minute)0")
