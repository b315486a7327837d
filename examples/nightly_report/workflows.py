"""The nightly report: gather the day's figures, then write the report from them.

A Schedule starts it every night (schedule.yaml, or the SDK's `client.create_schedule`
in run.py); each start is a workflow of its own, `nightly-report-<time>`, so a failed
night is retried and shown on its own. Without a `day`, the report covers yesterday.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from legato import activity, workflow

TASK_QUEUE = "reports"
STEP_TIMEOUT = timedelta(minutes=5)


@dataclass
class ReportRequest:
    title: str = "Nightly sales"
    # An ISO date; yesterday (by the workflow's clock, UTC) when None.
    day: str | None = None


@dataclass
class Figures:
    day: str
    orders: int
    revenue_cents: int


@dataclass
class Report:
    title: str
    day: str
    text: str


@activity.defn
async def gather_figures(day: str) -> Figures:
    """The day's figures; pretend ones here, derived from the date so a rerun agrees."""
    ordinal = date.fromisoformat(day).toordinal()
    orders = 40 + ordinal % 23
    return Figures(day, orders, orders * 1850)


@activity.defn
async def write_report(request: ReportRequest, figures: Figures) -> str:
    """Render the report; a real one would also store or mail it, which is why this is an activity."""
    activity.logger.info("Writing %r for %s", request.title, figures.day)
    return f"{request.title} {figures.day}: {figures.orders} orders, {figures.revenue_cents / 100:.2f} EUR"


@workflow.defn
class NightlyReportWorkflow:
    """One night's report, from figures to text."""

    @workflow.run
    async def run(self, request: ReportRequest) -> Report:
        day = request.day or (workflow.now() - timedelta(days=1)).date().isoformat()
        figures = await workflow.execute_activity(gather_figures, day, start_to_close_timeout=STEP_TIMEOUT)
        text = await workflow.execute_activity(
            write_report, args=[request, figures], start_to_close_timeout=STEP_TIMEOUT
        )
        return Report(request.title, day, text)


ACTIVITIES: list[Callable[..., Any]] = [gather_figures, write_report]
WORKFLOWS: list[type] = [NightlyReportWorkflow]
