"""The Schedule reconciler against a real kube-apiserver and a real operator process: a
Schedule resource creates, updates, pauses and deletes its engine schedule, and its status
shows what the schedule will do and did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from legato import workflow
from legato.client import Client, ScheduleActionStartWorkflow
from legato_operator.store import db
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply, get
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

WITHIN = 30.0


def schedule_manifest(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "workflow": {"workflowType": "ReportWorkflow", "taskQueue": "reports", "args": [{"kind": "nightly"}]},
        "schedule": {"intervals": [{"every": "1h"}]},
        **spec,
    }
    return {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "Schedule",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


async def kubectl(apiserver: APIServer, *args: str) -> str:
    result = await asyncio.to_thread(apiserver.kubectl, *args)
    return result.stdout


async def apply_schedule(apiserver: APIServer, manifest: dict[str, Any]) -> None:
    code, output = await asyncio.to_thread(apply, apiserver, manifest)
    assert code == 0, output


async def status_when(
    apiserver: APIServer, name: str, namespace: str, ok: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        found = await asyncio.to_thread(get, apiserver, "schedule", name, namespace)
        current = (found or {}).get("status") or {}
        return current if current and ok(current) else None

    return await eventually(check, within=WITHIN, what=what)


def ready(current: dict[str, Any]) -> dict[str, Any]:
    return next((c for c in current.get("conditions", []) if c["type"] == "Ready"), {})


async def schedules_in(pg_dsn: str, namespace: str) -> list[str]:
    pool = await db.connect(pg_dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            sql = "SELECT schedule_id FROM schedules WHERE namespace = $1 ORDER BY schedule_id"
            return [r["schedule_id"] for r in await conn.fetch(sql, namespace)]
    finally:
        await pool.close()


async def events_of(apiserver: APIServer, name: str, namespace: str) -> list[tuple[str, str]]:
    selector = f"involvedObject.name={name},involvedObject.kind=Schedule"
    out = await kubectl(apiserver, "get", "events", "-n", namespace, "--field-selector", selector, "-o", "json")
    return [(e["type"], e["reason"]) for e in json.loads(out)["items"]]


async def test_an_applied_schedule_creates_its_schedule_and_shows_its_next_actions(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_schedule(apiserver, schedule_manifest("nightly", namespace, policy={"overlap": "BufferOne"}))
    current = await status_when(apiserver, "nightly", namespace, lambda s: ready(s).get("status") == "True", "Ready")
    assert ready(current)["reason"] == "Scheduled"
    assert current["observedGeneration"] == 1
    assert (current["scheduleId"], current["summary"], current["paused"]) == ("nightly", "every 1h", False)
    described = await client.get_schedule_handle("nightly").describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id, action.task_queue) == ("ReportWorkflow", "nightly", "reports")
    assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
    assert described.schedule.policy.overlap.name == "BUFFER_ONE"
    upcoming = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in described.info.next_action_times]
    assert current["nextActionTimes"] == upcoming
    assert current["nextActionTime"] == upcoming[0]
    table = await kubectl(apiserver, "get", "lsched", "nightly", "-n", namespace)
    header, row = table.splitlines()
    assert header.split() == ["NAME", "SCHEDULE", "NEXT", "LAST", "PAUSED", "AGE"]
    # No action yet: kubectl leaves an empty date column (Last) blank.
    assert row.split()[:5] == ["nightly", "every", "1h", upcoming[0], "false"]
    assert ("Normal", "Created") in await events_of(apiserver, "nightly", namespace)


async def test_a_schedule_with_an_invalid_cron_is_refused_naming_the_field_and_creates_nothing(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    manifest = schedule_manifest("broken", namespace, schedule={"cronExpressions": ["61 * * * *"]})
    await apply_schedule(apiserver, manifest)
    current = await status_when(apiserver, "broken", namespace, lambda s: bool(ready(s)), "a Ready condition")
    assert (ready(current)["status"], ready(current)["reason"]) == ("False", "InvalidSpec")
    assert "cron_expressions" in ready(current)["message"]
    assert await schedules_in(pg_dsn, namespace) == []
    assert ("Warning", "InvalidSpec") in await events_of(apiserver, "broken", namespace)
    # Fixing the spec creates it.
    fixed = schedule_manifest("broken", namespace, schedule={"cronExpressions": ["0 2 * * *"]})
    await apply_schedule(apiserver, fixed)
    current = await status_when(apiserver, "broken", namespace, lambda s: ready(s).get("status") == "True", "fixed")
    assert current["summary"] == "0 2 * * *"
    assert current["nextActionTime"].endswith("T02:00:00Z")
    assert await schedules_in(pg_dsn, namespace) == ["broken"]


async def test_kubectl_patch_paused_pauses_and_unpauses_the_schedule(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_schedule(apiserver, schedule_manifest("pausable", namespace))
    await status_when(apiserver, "pausable", namespace, lambda s: ready(s).get("status") == "True", "Ready")
    handle = client.get_schedule_handle("pausable")
    patch = json.dumps({"spec": {"paused": True, "note": "maintenance"}})
    await kubectl(apiserver, "patch", "lsched", "pausable", "-n", namespace, "--type=merge", "-p", patch)
    paused = await status_when(apiserver, "pausable", namespace, lambda s: s.get("paused") is True, "paused")
    assert (ready(paused)["reason"], ready(paused)["message"]) == ("Paused", "Paused: maintenance")
    assert paused["nextActionTimes"] == []
    state = (await handle.describe()).schedule.state
    assert (state.paused, state.note) == (True, "maintenance")
    table = await kubectl(apiserver, "get", "lsched", "pausable", "-n", namespace, "--no-headers")
    assert "true" in table.split()
    await kubectl(
        apiserver, "patch", "lsched", "pausable", "-n", namespace, "--type=merge", "-p", '{"spec":{"paused":false}}'
    )
    await status_when(apiserver, "pausable", namespace, lambda s: s.get("paused") is False, "unpaused")
    assert (await handle.describe()).schedule.state.paused is False
    reasons = [reason for _type, reason in await events_of(apiserver, "pausable", namespace)]
    assert {"Paused", "Unpaused"} <= set(reasons)


async def test_a_spec_change_updates_the_schedule(apiserver: APIServer, namespace: str, client: Client) -> None:
    await apply_schedule(apiserver, schedule_manifest("report", namespace))
    await status_when(apiserver, "report", namespace, lambda s: ready(s).get("status") == "True", "Ready")
    changed = schedule_manifest(
        "report",
        namespace,
        workflow={"workflowType": "WeeklyReport", "taskQueue": "reports", "workflowId": "weekly"},
        schedule={"intervals": [{"every": "2h", "offset": "30m"}]},
    )
    await apply_schedule(apiserver, changed)
    current = await status_when(apiserver, "report", namespace, lambda s: s.get("observedGeneration") == 2, "gen 2")
    assert current["summary"] == "every 2h offset 30m"
    described = await client.get_schedule_handle("report").describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id) == ("WeeklyReport", "weekly")
    interval = described.schedule.spec.intervals[0]
    assert (interval.every, interval.offset) == (timedelta(hours=2), timedelta(minutes=30))
    assert ("Normal", "Updated") in await events_of(apiserver, "report", namespace)


async def test_deleting_the_resource_deletes_the_schedule(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    await apply_schedule(apiserver, schedule_manifest("doomed", namespace))
    await status_when(apiserver, "doomed", namespace, lambda s: ready(s).get("status") == "True", "Ready")
    assert await schedules_in(pg_dsn, namespace) == ["doomed"]
    found = await asyncio.to_thread(get, apiserver, "schedule", "doomed", namespace)
    assert "legato.dev/finalizer" in (found or {})["metadata"].get("finalizers", [])
    await kubectl(apiserver, "delete", "lsched", "doomed", "-n", namespace, "--timeout=30s")

    async def deleted() -> bool:
        return await schedules_in(pg_dsn, namespace) == []

    await eventually(deleted, within=WITHIN, what="the schedule deleted")


async def test_a_firing_schedule_shows_its_recent_actions_and_running_workflows(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    manifest = schedule_manifest("ticker", namespace, schedule={"intervals": [{"every": "2s"}]})
    await apply_schedule(apiserver, manifest)
    current = await status_when(apiserver, "ticker", namespace, lambda s: s.get("actionCount", 0) >= 1, "an action")
    action = current["recentActions"][0]
    assert action["workflowId"].startswith("ticker-")
    assert action["runId"]
    assert action["status"] == "Running"
    assert current["lastActionTime"] == current["recentActions"][-1]["actualTime"]
    # Nobody works the queue, so the first run still runs and the rest are skipped (overlap Skip).
    assert current["runningWorkflows"] == [{"workflowId": action["workflowId"], "runId": action["runId"]}]


async def test_a_refused_spec_change_keeps_the_schedule_on_its_last_spec(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_schedule(apiserver, schedule_manifest("steady", namespace))
    await status_when(apiserver, "steady", namespace, lambda s: ready(s).get("status") == "True", "Ready")
    bad = schedule_manifest("steady", namespace, schedule={"calendars": [{"hour": [{"start": 25}]}]})
    await apply_schedule(apiserver, bad)
    current = await status_when(apiserver, "steady", namespace, lambda s: ready(s).get("status") == "False", "refused")
    assert ready(current)["reason"] == "InvalidSpec"
    assert "calendars" in ready(current)["message"]
    assert current["observedGeneration"] == 2
    described = await client.get_schedule_handle("steady").describe()
    assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
    assert not described.schedule.spec.calendars


@workflow.defn(name="ReportWorkflow")
class Report:
    @workflow.run
    async def run(self, request: dict[str, str]) -> dict[str, str]:
        return {"report": request["kind"]}


async def test_the_status_shows_the_last_completed_actions_result(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    manifest = schedule_manifest("reports", namespace, schedule={"intervals": [{"every": "2s"}]})
    async with running_worker(client, task_queue="reports", workflows=[Report]):
        await apply_schedule(apiserver, manifest)
        current = await status_when(
            apiserver, "reports", namespace, lambda s: s.get("lastResult") is not None, "a last result"
        )
    assert json.loads(current["lastResult"]) == {"report": "nightly"}
    assert current["lastResultTruncated"] is False
    assert "Completed" in [a["status"] for a in current["recentActions"]]
