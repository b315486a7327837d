"""The web UI in a real headless Chromium against a real server and worker: the list and
its filter, a workflow's page with its history and timeline, and the actions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from legato.client import Client, WorkflowExecutionStatus
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker
from tests.ui import browser
from tests.ui.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Approval, Checkout

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = browser.playwright_api().expect
pytestmark = pytest.mark.e2e


async def test_the_list_shows_started_workflows_and_the_filter_narrows_it(
    client: Client, server: ServerProcess, page: Page
) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        await client.execute_workflow(Checkout.run, "TEA-1KG", id="checkout-1", task_queue=TASK_QUEUE)
        for i in (1, 2):
            await client.start_workflow(Approval.run, id=f"approval-{i}", task_queue=TASK_QUEUE)
        await page.goto(browser.ui_url(server.url))
        rows = page.get_by_role("table", name="Workflows").locator("tbody tr")
        await expect(rows).to_have_count(3)
        for workflow_id in ("checkout-1", "approval-1", "approval-2"):
            await expect(page.get_by_role("link", name=workflow_id, exact=True)).to_be_visible()
        counts = page.get_by_role("group", name="Counts by status")
        await expect(counts).to_contain_text("3 total")
        await expect(counts).to_contain_text("2 Running")
        await expect(counts).to_contain_text("1 Completed")
        await browser.screenshot(page, "list")

        await page.get_by_role("searchbox", name="Filter").fill("WorkflowType = 'Approval'")
        await page.get_by_role("button", name="Apply").click()
        await expect(rows).to_have_count(2)
        await expect(page.get_by_role("link", name="checkout-1")).to_have_count(0)
        assert "query=WorkflowType" in page.url
        await expect(counts).to_contain_text("2 total")

        await page.get_by_role("searchbox", name="Filter").fill("WorkflowType = 'Approval' AND")
        await page.get_by_role("button", name="Apply").click()
        await expect(page.get_by_role("alert")).to_contain_text("syntax error at position")


async def test_live_refresh_shows_a_workflow_started_after_the_page_opened(
    client: Client, server: ServerProcess, page: Page
) -> None:
    await page.goto(browser.ui_url(server.url))
    await expect(page.get_by_role("table", name="Workflows")).to_contain_text("No workflow matches.")
    await client.start_workflow(Approval.run, id="late", task_queue=TASK_QUEUE)
    await expect(page.get_by_role("link", name="late", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Pause live refresh").click()
    await expect(page.get_by_role("button", name="Resume live refresh")).to_be_visible()
    await page.get_by_role("button", name="Resume live refresh").click()


async def test_a_workflow_page_shows_its_summary_history_and_timeline(
    client: Client, server: ServerProcess, page: Page
) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        await client.execute_workflow(Checkout.run, "TEA-1KG", id="checkout-7", task_queue=TASK_QUEUE)
    await page.goto(browser.ui_url(server.url))
    await page.get_by_role("link", name="checkout-7", exact=True).click()

    facts = page.locator("dl[aria-label=Summary]")
    await expect(facts).to_contain_text("Checkout")
    await expect(facts).to_contain_text("checkout-7")
    await expect(facts).to_contain_text("Completed")
    await expect(facts.get_by_role("link", name=TASK_QUEUE)).to_be_visible()
    result = page.get_by_role("region", name="Input and result")
    await expect(result).to_contain_text('"TEA-1KG"')
    await expect(result).to_contain_text('"charged": "charged 2400"')

    history = page.get_by_role("table", name="History")
    await expect(history).to_contain_text("WorkflowExecutionStarted")
    await expect(history).to_contain_text("TimerFired")
    await expect(history).to_contain_text("attempt 2 (previous attempt failed: payment gateway timed out)")
    described = await client.get_workflow_handle("checkout-7").describe()
    await expect(history.locator("tbody tr")).to_have_count(described.history_length)
    # An event's payloads open decoded.
    completed = history.locator("tr", has_text="WorkflowExecutionCompleted")
    await completed.locator("summary").click()
    await expect(completed.locator("pre")).to_contain_text('"reserved": "reserved TEA-1KG"')
    await page.get_by_label("Hide workflow task events").check()
    await expect(history).not_to_contain_text("WorkflowTaskStarted")

    timeline = page.get_by_role("img", name="Timeline")
    activities = timeline.locator("g.bar[data-kind=activity]")
    await expect(activities).to_have_count(2)
    await expect(activities.nth(0)).to_have_attribute("aria-label", "reserve · completed")
    await expect(activities.nth(1)).to_have_attribute("aria-label", "charge · completed · 2 attempts")
    await expect(activities.nth(1).locator("circle.attempt")).to_have_count(1)
    timers = timeline.locator("g.bar[data-kind=timer]")
    await expect(timers).to_have_count(1)
    await expect(timers).to_have_attribute("aria-label", re.compile(r"^timer \S+ · fired$"))
    await expect(timeline.locator("g.bar[data-kind=workflow]")).to_have_attribute("aria-label", "Checkout · completed")
    await page.get_by_label("Hide workflow task events").uncheck()
    await browser.screenshot(page, "detail")
    await browser.screenshot(page, "timeline", selector="section[aria-labelledby=h-timeline]")


async def test_signal_query_and_update_from_the_page_reach_the_workflow(
    client: Client, server: ServerProcess, page: Page
) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await client.start_workflow(Approval.run, id="approval-s", task_queue=TASK_QUEUE)
        await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/approval-s"))
        await page.get_by_role("button", name="Signal").click()
        dialog = page.get_by_role("dialog", name="Signal approval-s?")
        await dialog.get_by_label("Signal name").fill("approve")
        await dialog.get_by_label("Arguments (JSON)").fill('"alice"')
        await dialog.get_by_role("button", name="Send signal").click()
        await expect(dialog).to_have_count(0)

        async def approved() -> bool:
            answer: list[str] = await handle.query(Approval.approved)
            return answer == ["alice"]

        await eventually(approved, within=15, what="the workflow's handler to see the signal")
        await expect(page.get_by_role("table", name="History")).to_contain_text('approve ["alice"]')

        await page.get_by_role("button", name="Query").click()
        dialog = page.get_by_role("dialog", name="Query approval-s")
        await dialog.get_by_label("Query name").fill("approved")
        await dialog.get_by_role("button", name="Run query").click()
        await expect(dialog.get_by_role("status", name="Answer")).to_contain_text('"alice"')
        await dialog.get_by_role("button", name="Close").click()

        await page.get_by_role("button", name="Update").click()
        dialog = page.get_by_role("dialog", name="Update approval-s?")
        await dialog.get_by_label("Update name").fill("approve_now")
        await dialog.get_by_label("Arguments (JSON)").fill('["bob"]')
        await dialog.get_by_role("button", name="Send update").click()
        await expect(dialog.get_by_role("status", name="Update completed")).to_contain_text('"bob"')
        await dialog.get_by_role("button", name="Close").click()

        # A refusal shows the server's own words, and the dialog stays open to fix it.
        await page.get_by_role("button", name="Signal").click()
        dialog = page.get_by_role("dialog", name="Signal approval-s?")
        await dialog.get_by_role("button", name="Send signal").click()
        await expect(dialog.get_by_role("alert")).to_contain_text("signal_name")
        await dialog.get_by_label("Signal name").fill("approve")
        await dialog.get_by_label("Arguments (JSON)").fill("{not json")
        await dialog.get_by_role("button", name="Send signal").click()
        await expect(dialog.get_by_role("alert")).to_contain_text("The arguments are not JSON")
        await dialog.get_by_role("button", name="Close").click()
        await handle.signal(Approval.approve, "done")
        assert await handle.result() == ["alice", "bob", "done"]


async def test_terminate_from_the_page_closes_the_run(client: Client, server: ServerProcess, page: Page) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await client.start_workflow(Approval.run, id="approval-t", task_queue=TASK_QUEUE)
        await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/approval-t"))
        title = page.locator(".title-row")
        await expect(title).to_contain_text("Running")
        await page.get_by_role("toolbar", name="Actions").get_by_role("button", name="Terminate").click()
        dialog = page.get_by_role("dialog", name="Terminate approval-t?")
        await dialog.get_by_label("Reason").fill("stuck in review")
        await dialog.get_by_role("button", name="Terminate").click()
        await expect(title).to_contain_text("Terminated")
        await expect(page.get_by_role("table", name="History")).to_contain_text("reason: stuck in review")
        await expect(page.get_by_role("toolbar", name="Actions").get_by_role("button", name="Signal")).to_be_disabled()
    assert (await handle.describe()).status is WorkflowExecutionStatus.TERMINATED


async def test_cancel_from_the_page_cancels_the_run(client: Client, server: ServerProcess, page: Page) -> None:
    async with running_worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        handle = await client.start_workflow(Approval.run, id="approval-c", task_queue=TASK_QUEUE)
        await page.goto(browser.ui_url(server.url, "/namespaces/default/workflows/approval-c"))
        await page.get_by_role("toolbar", name="Actions").get_by_role("button", name="Cancel").click()
        dialog = page.get_by_role("dialog", name="Cancel approval-c?")
        await dialog.get_by_role("button", name="Request cancellation").click()
        await expect(page.locator(".title-row")).to_contain_text("Canceled", timeout=15_000)
    assert (await handle.describe()).status is WorkflowExecutionStatus.CANCELED


async def test_the_list_pages_forward_and_back(client: Client, server: ServerProcess, page: Page) -> None:
    for i in range(23):
        await client.start_workflow(Approval.run, id=f"many-{i:02}", task_queue=TASK_QUEUE)
    await page.goto(browser.ui_url(server.url))
    rows = page.get_by_role("table", name="Workflows").locator("tbody tr")
    await expect(rows).to_have_count(20)
    await page.get_by_role("link", name="Next page").click()
    await expect(rows).to_have_count(3)
    await expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 2")
    await expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    await page.get_by_role("link", name="Previous page").click()
    await expect(rows).to_have_count(20)
