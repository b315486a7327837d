"""The UI of a server that requires tokens: the page itself is open, every call it makes
carries the token the person signed in with, and refusals read plainly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from legato.client import Client
from tests.support.server_process import ServerProcess
from tests.ui import browser
from tests.ui.workflows import TASK_QUEUE, Approval

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = browser.playwright_api().expect
pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "admin-token-0123456789"
TEAM_TOKEN = "team-a-token-0123456789"
# Read by the server fixture: the client gets the first.
TOKENS = [
    {"name": "admin", "token": ADMIN_TOKEN, "namespaces": ["*"]},
    {"name": "team-a", "token": TEAM_TOKEN, "namespaces": ["team-a"]},
]


async def test_the_page_is_open_but_its_calls_need_a_token(server: ServerProcess) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/ui/", "/ui/static/app.js", "/ui/static/app.css"):
            async with session.get(server.url + path) as r:
                assert r.status == 200, path
        async with session.get(server.url + "/", allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (302, "/ui/")
        async with session.get(server.url + "/ui/static/../../api/v1/namespaces/default/workflows") as r:
            assert r.status in (401, 404)
        async with session.get(server.url + "/api/v1/namespaces/default/workflows") as r:
            assert r.status == 401


async def test_signing_in_shows_what_the_token_may_see(client: Client, server: ServerProcess, page: Page) -> None:
    await client.start_workflow(Approval.run, id="needs-token", task_queue=TASK_QUEUE)
    await page.goto(browser.ui_url(server.url))
    await expect(page.get_by_role("alert")).to_contain_text("sign in with a token")

    await page.get_by_label("Bearer token").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("link", name="needs-token")).to_be_visible()
    await expect(page.get_by_text("Signed in")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Bearer token").fill(TEAM_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Not allowed: 'team-a' may not act in namespace 'default'")
