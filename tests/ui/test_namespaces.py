"""The namespace picker: it offers the server's namespaces and switches every page to the one picked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from legato.client import Client
from tests.support.server_process import ServerProcess
from tests.ui import browser
from tests.ui.workflows import TASK_QUEUE, Approval

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = browser.playwright_api().expect
pytestmark = pytest.mark.e2e

SERVER_ARGS = ("--namespaces", "team-a")


async def test_picking_a_namespace_shows_its_workflows(server: ServerProcess, page: Page) -> None:
    team = await Client.connect(server.address, namespace="team-a")
    try:
        await team.start_workflow(Approval.run, id="team-a-run", task_queue=TASK_QUEUE)
    finally:
        await team.close()
    await page.goto(browser.ui_url(server.url))
    await expect(page.get_by_role("table", name="Workflows")).to_contain_text("No workflow matches.")
    await expect(page.locator("#namespace-list option")).to_have_count(2)
    picker = page.get_by_role("combobox", name="Namespace")
    await picker.fill("team-a")
    await picker.press("Enter")
    await expect(page.get_by_role("link", name="team-a-run")).to_be_visible()
    assert "#/namespaces/team-a/workflows" in page.url
    await page.get_by_role("navigation", name="Sections").get_by_role("link", name="Schedules").click()
    assert "#/namespaces/team-a/schedules" in page.url
