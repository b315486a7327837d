"""A workflow's page for runs with more in them: an activity waiting for its retry, a child."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from legato.client import Client
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker
from tests.ui import browser
from tests.ui.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Parent, Stuck

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = browser.playwright_api().expect
pytestmark = pytest.mark.e2e


async def test_an_activity_waiting_for_its_retry_shows_its_attempt_and_failure(
    client: Client, server: ServerProcess, page: Page
) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await client.start_workflow(Stuck.run, "order-9", id="stuck", task_queue=TASK_QUEUE)

        async def backing_off() -> bool:
            pending = (await handle.describe()).pending_activities
            return bool(pending) and pending[0].state == "BACKOFF"

        await eventually(backing_off, within=15, what="the activity to wait for its retry")
        await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/stuck"))
        pending = page.get_by_role("table", name="Pending activities")
        await expect(pending).to_contain_text("flaky_gateway")
        await expect(pending).to_contain_text("BACKOFF")
        await expect(pending).to_contain_text("gateway down for order-9")
        bar = page.get_by_role("img", name="Timeline").locator("g.bar[data-kind=activity]")
        await expect(bar).to_have_attribute("data-outcome", "retrying")
        await expect(bar).to_have_attribute("aria-label", "flaky_gateway · retrying · attempt 2")
        await browser.screenshot(page, "pending")
        await handle.terminate(reason="test over")


async def test_a_parent_links_its_child_and_draws_it(client: Client, server: ServerProcess, page: Page) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        assert await client.execute_workflow(Parent.run, id="parent", task_queue=TASK_QUEUE) == "hi"
    await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/parent"))
    child = page.get_by_role("img", name="Timeline").locator("g.bar[data-kind=child]")
    await expect(child).to_have_attribute("aria-label", "Echo · completed")
    await page.locator("dl[aria-label=Summary]").get_by_role("link", name="parent-child").click()
    summary = page.locator("dl[aria-label=Summary]")
    await expect(summary).to_contain_text("Echo")
    await summary.get_by_role("link", name="parent", exact=True).click()
    await expect(page.get_by_role("heading", name="parent", exact=True)).to_be_visible()
