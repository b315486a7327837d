"""Each example runs to completion against a real server, as a user would run it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def run_example(server: ServerProcess, name: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name / "run.py"),
        *args,
        env={**os.environ, "LEGATO_ADDRESS": server.address},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = out.decode()
    assert proc.returncode == 0, text
    return text


async def test_order_example_completes_after_retrying_payment(server: ServerProcess) -> None:
    out = await run_example(server, "orders")
    assert "completed with result: Receipt(" in out
    assert "attempt 2 (previous attempt failed: payment gateway timed out)" in out
    assert "WorkflowExecutionCompleted" in out
    assert "Query 'stage' -> 'shipped'" in out


async def test_greeting_example_greets_by_name(server: ServerProcess) -> None:
    out = await run_example(server, "greeting", "Grace")
    assert "completed with result: 'Hello, Grace!'" in out


async def test_pricing_example_sums_item_prices(server: ServerProcess) -> None:
    out = await run_example(server, "pricing", "tea", "kettle")
    assert "completed with result: 5199" in out
    assert out.count("ActivityTaskScheduled") == 2
