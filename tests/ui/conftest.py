"""Fixtures of the browser tests: a headless Chromium for the session, a page per test,
and a server process per test (as the end-to-end tests have) whose UI the page opens.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``LEGATO_CHROMIUM``) driven
by Python Playwright (``scripts/requirements-ui.txt``). Without either the tests skip,
saying which is missing, unless ``LEGATO_REQUIRE_BROWSER`` is set: then they fail, so a
CI run that should have run them cannot pass by skipping them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.support.server_fixtures import client, server
from tests.ui.browser import CHROMIUM_FLAGS, chromium_path

# The server process and client of the end-to-end tests: the page opens that server's UI.
__all__ = ["browser", "client", "page", "server"]

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


def _missing(reason: str) -> NoReturn:
    if os.environ.get("LEGATO_REQUIRE_BROWSER"):
        pytest.fail(f"LEGATO_REQUIRE_BROWSER is set, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the session."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _missing("Python playwright is not installed (pip install -r scripts/requirements-ui.txt)")
    executable = chromium_path()
    if executable is None:
        _missing("no Chromium found (apt-get install chromium, or set LEGATO_CHROMIUM)")
    # Playwright gives each launch a fresh profile in a temporary folder of its own.
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS))
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page of its own for the test; a script error on it fails the test."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        await context.close()
    assert not errors, f"script errors on the page: {errors}"
