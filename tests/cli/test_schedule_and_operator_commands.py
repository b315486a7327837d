"""``legato schedule``, ``legato task-queue`` and ``legato operator`` against a real server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import TASK_QUEUE, Cli
from tests.support.deadline import eventually

pytestmark = pytest.mark.e2e


async def test_a_schedule_is_created_triggered_changed_paused_and_deleted(cli: Cli) -> None:
    flags = ["-s", "cli-nightly", "-w", "cli-nightly", "--type", "Order", "-t", TASK_QUEUE]
    created = await cli("schedule", "create", *flags, "--cron", "0 2 * * *", "-i", '"nightly"')
    await cli("schedule", "trigger", "-s", "cli-nightly")

    async def acted() -> Any:
        ran = await cli("schedule", "describe", "-s", "cli-nightly", "-o", "json")
        return ran.json() if ran.json()["info"]["action_count"] else None  # type: ignore[index]

    described = await eventually(acted, within=10, what="the triggered action")
    await cli("schedule", "update", "-s", "cli-nightly", "--cron", "30 3 * * *", "-i", '"later"')
    await cli("schedule", "pause", "-s", "cli-nightly", "--reason", "maintenance")
    table = await cli("schedule", "describe", "-s", "cli-nightly")
    listed = await cli("schedule", "list")
    deleted = await cli("schedule", "delete", "-s", "cli-nightly")
    gone = await cli("schedule", "describe", "-s", "cli-nightly")

    assert created.out.strip() == "Schedule 'cli-nightly' created."
    assert described["schedule"]["action"]["args"] == ["nightly"]
    assert described["info"]["recent_actions"][0]["start_workflow_result"]["workflow_id"].startswith("cli-nightly-")
    assert "Calendars       30 3 * * *" in table.out
    assert 'Input           ["later"]' in table.out
    assert "Paused          yes" in table.out
    assert "Notes           maintenance" in table.out
    assert any(line.split()[:3] == ["cli-nightly", "Order", "yes"] for line in listed.out.splitlines())
    assert deleted.out.strip() == "Schedule 'cli-nightly' deleted."
    assert gone.code == 3


async def test_a_schedule_needs_a_time_to_act_at(cli: Cli) -> None:
    ran = await cli("schedule", "create", "-s", "cli-never", "-w", "x", "--type", "Order", "-t", TASK_QUEUE)

    assert (ran.code, ran.err.strip()) == (2, "legato: error: a schedule needs --cron or --interval")


async def test_task_queue_describe_shows_the_workers_poller(cli: Cli) -> None:
    table = await cli("task-queue", "describe", "-t", TASK_QUEUE)
    as_json = await cli("task-queue", "describe", "-t", TASK_QUEUE, "-o", "json")

    assert table.out.splitlines()[0].split() == ["Task", "Queue", TASK_QUEUE]
    assert "Oldest Task Age" in table.out
    assert as_json.json()["pollers"] >= 1  # type: ignore[index]


async def test_a_namespace_is_created_described_updated_and_listed(cli: Cli) -> None:
    created = await cli("operator", "namespace", "create", "-n", "cli-team", "--retention", "3d", "--data", "team=b")
    updated = await cli("operator", "namespace", "update", "-n", "cli-team", "--description", "Team B")
    described = await cli("operator", "namespace", "describe", "-n", "cli-team", "-o", "json")
    listed = await cli("operator", "namespace", "list")

    assert created.out.strip() == "Namespace 'cli-team' registered."
    assert "Description  Team B" in updated.out
    assert "Retention    3d" in updated.out
    info = described.json()["namespace_info"]  # type: ignore[index]
    assert (info["description"], info["data"]) == ("Team B", {"team": "b"})
    names = [line.split()[0] for line in listed.out.splitlines()[1:]]
    assert {"cli-team", "default", "team-a"} <= set(names)


async def test_an_unknown_namespace_exits_3(cli: Cli) -> None:
    ran = await cli("operator", "namespace", "describe", "-n", "no-such-team")

    assert ran.code == 3
    assert "no-such-team" in ran.err


async def test_search_attributes_are_created_listed_and_removed(cli: Cli) -> None:
    created = await cli(
        "operator", "search-attribute", "create", "--name", "CliCustomer", "--type", "Keyword",
        "--name", "CliAmount", "--type", "Int",
    )  # fmt: skip
    listed = await cli("operator", "search-attribute", "list")
    removed = await cli("operator", "search-attribute", "remove", "--name", "CliAmount", "--yes")
    after = await cli("operator", "search-attribute", "list", "-o", "json")

    assert created.out.strip() == "Search attributes added: CliCustomer, CliAmount."
    rows = [line.split() for line in listed.out.splitlines()]
    assert ["CliAmount", "Int", "custom"] in rows
    assert ["WorkflowType", "Keyword", "system"] in rows
    assert removed.code == 0
    assert after.json()["custom_attributes"] == {"CliCustomer": "Keyword"}  # type: ignore[index]


async def test_removing_search_attributes_without_a_terminal_needs_yes(cli: Cli) -> None:
    ran = await cli("operator", "search-attribute", "remove", "--name", "CliCustomer")

    assert ran.code == 2
    assert "--yes" in ran.err
