"""Each example runs to completion against a real server, as a user would run it."""

from __future__ import annotations

import asyncio
import os
import re
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


def history(out: str) -> list[tuple[str, str]]:
    """The printed history's (event type, detail) pairs, in order."""
    lines = (re.fullmatch(r"\s+\d+\s+(\w+)\s*(.*)", line) for line in out.splitlines())
    return [(m[1], m[2]) for m in lines if m]


def details(out: str, event_type: str) -> list[str]:
    return [detail for type_, detail in history(out) if type_ == event_type]


async def test_order_example_completes_after_retrying_payment(server: ServerProcess) -> None:
    out = await run_example(server, "orders")
    assert "completed with result: Receipt(" in out
    assert "attempt 2 (previous attempt failed: payment gateway timed out)" in out
    assert "WorkflowExecutionCompleted" in out
    assert "Query 'stage' -> 'shipped'" in out
    # The note sent with the start is on the receipt and in the status.
    assert details(out, "WorkflowExecutionSignaled") == ["add_note ['Please leave it with the neighbours']"]
    assert "notes=['Please leave it with the neighbours']" in out
    assert "'notes': ['Please leave it with the neighbours']" in out


async def test_order_example_refunds_then_releases_the_stock_when_shipping_fails(server: ServerProcess) -> None:
    out = await run_example(server, "orders", "shipping-fails")
    assert "failed: " in out
    assert "no carrier delivers to Atlantis" in out
    # The saga: each done step undone, last first.
    assert details(out, "ActivityTaskScheduled") == [
        "check_inventory",
        "process_payment",
        "ship_order",
        "refund_payment",
        "release_inventory",
    ]
    assert details(out, "WorkflowExecutionFailed") == ["Activity task failed: activity 'ship_order' (id '3')"]
    assert "Query 'stage' -> 'compensated'" in out


async def test_order_example_waits_for_a_restock_when_backordered(server: ServerProcess) -> None:
    out = await run_example(server, "orders", "backorder")
    assert "The order is backordered; signalling restock" in out
    events = history(out)
    waited = [t for t, _ in events].index("TimerStarted")
    # The restock ended the week-long wait: its timer was cancelled, not fired.
    assert events[waited : waited + 3] == [
        ("TimerStarted", "604800s"),
        ("WorkflowExecutionSignaled", "restock []"),
        ("TimerCanceled", ""),
    ]
    assert "status='shipped'" in out
    assert "Query 'stage' -> 'shipped'" in out


async def test_order_example_is_cancelled_when_no_restock_comes_in_time(server: ServerProcess) -> None:
    out = await run_example(server, "orders", "backorder-expires")
    assert details(out, "TimerStarted") == ["2s"]
    assert details(out, "TimerFired") == [""]
    assert "payment_id=None, tracking_number=None, status='cancelled'" in out
    # Never charged, so nothing to refund.
    assert details(out, "ActivityTaskScheduled") == ["check_inventory"]
    assert "Query 'stage' -> 'cancelled'" in out


async def test_greeting_example_greets_by_name(server: ServerProcess) -> None:
    out = await run_example(server, "greeting", "Grace")
    assert "completed with result: 'Hello, Grace!'" in out


async def test_pricing_example_sums_item_prices(server: ServerProcess) -> None:
    out = await run_example(server, "pricing", "tea", "kettle")
    assert "completed with result: 5199" in out
    assert out.count("ActivityTaskScheduled") == 2


async def test_subscription_example_charges_each_short_period_in_its_own_run(server: ServerProcess) -> None:
    out = await run_example(server, "subscription", "--periods", "3", "--period-seconds", "0.5")
    assert "periods_charged=3, reason='completed')" in out
    # The history shown is the last run's: started by continue-as-new with two periods done.
    assert "'periods_charged': 2" in details(out, "WorkflowExecutionStarted")[0]
    assert details(out, "TimerStarted") == ["0.5s"]
    assert details(out, "ActivityTaskCompleted") == [f"-> 'charge-{customer(out)}-3'"]


def customer(out: str) -> str:
    found = re.search(r"customer_id='(customer-\w+)'", out)
    assert found, out
    return found[1]


async def test_file_processing_example_heartbeats_through_its_chunks(server: ServerProcess) -> None:
    out = await run_example(server, "file_processing", "--chunks", "4")
    assert "chunks=4, attempt=1, resumed_from=0)" in out


async def test_nightly_report_example_creates_triggers_and_deletes_its_schedule(server: ServerProcess) -> None:
    out = await run_example(server, "nightly_report")
    assert "0 2 * * * (Europe/Berlin); triggering it now" in out
    assert re.search(r"Workflow nightly-report-\w+-\d{4}-\d\d-\d\dT[\d:]+Z completed with result: Report\(", out)
    assert details(out, "ActivityTaskScheduled") == ["gather_figures", "write_report"]
    assert re.search(r"text='Nightly sales \d{4}-\d\d-\d\d: \d+ orders, [\d.]+ EUR'", out)
    assert "Deleted schedule nightly-report-" in out
