"""What the browser tests share: how Chromium is found and started, and where screenshots go."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Page

# As root, Chromium needs --no-sandbox; the rest stop it calling hosts it cannot reach.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """The Chromium binary to drive (``LEGATO_CHROMIUM``, else ``chromium`` on the PATH), or None."""
    configured = os.environ.get("LEGATO_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ui_url(base: str, fragment: str = "") -> str:
    """The page of the UI at ``fragment`` (``/namespaces/default/workflows``) on server ``base``."""
    return f"{base}/ui/" + (f"#{fragment}" if fragment else "")


async def screenshot(page: Page, name: str, *, selector: str | None = None) -> None:
    """Save ``name``.png for the docs when ``LEGATO_UI_SCREENSHOTS`` names a folder (``docs/ui``)."""
    folder = os.environ.get("LEGATO_UI_SCREENSHOTS", "")
    if not folder:
        return
    # Playwright makes the folder; a PNG there replaces the last one.
    path = os.path.join(folder, f"{name}.png")
    if selector is None:
        await page.screenshot(path=path, full_page=True)
    else:
        await page.locator(selector).screenshot(path=path)


def playwright_api() -> ModuleType:
    """``playwright.async_api``; a test module without it is skipped, saying why (failed
    when ``LEGATO_REQUIRE_BROWSER`` is set)."""
    try:
        return importlib.import_module("playwright.async_api")
    except ImportError:
        reason = "Python playwright is not installed (pip install -r scripts/requirements-ui.txt)"
        if os.environ.get("LEGATO_REQUIRE_BROWSER"):
            pytest.fail(f"LEGATO_REQUIRE_BROWSER is set, but {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
