"""Retention on a real Postgres: a closed run is deleted with everything it owns once its
namespace's period has passed on the server's clock, in bounded batches shared by
replicas; running runs, recent ones and runs a Workflow resource links to stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from legato.api.workflowservice import v1 as api
from legato_operator import metrics
from legato_operator.engine.rules.retention import Retention, parse_duration, parse_overrides
from legato_operator.engine.services import resources, retention, runner, workflows
from legato_operator.store import db, rows
from tests.server import flows

DAY = 86400.0
TABLES = ("executions", "history_events", "tasks", "timers", "buffered_events", "signal_requests")


async def start(rt: runner.Runtime, workflow_id: str, namespace: str = flows.NS) -> str:
    request = api.StartWorkflowRequest(workflow_id=workflow_id, workflow_type="Orders", task_queue=flows.QUEUE)
    return (await workflows.start_workflow(rt, namespace, request)).run_id


async def close(rt: runner.Runtime, workflow_id: str, namespace: str = flows.NS) -> None:
    await workflows.terminate_workflow(rt, namespace, api.TerminateWorkflowRequest(workflow_id=workflow_id))


async def rows_of(pool: db.Pool, run_id: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t} WHERE run_id = $1", run_id)) for t in TABLES}


async def surviving(pool: db.Pool) -> set[str]:
    async with pool.acquire() as conn:
        return {r["workflow_id"] for r in await conn.fetch("SELECT workflow_id FROM executions")}


async def test_a_closed_run_goes_with_all_it_owns_after_the_period(rt: runner.Runtime) -> None:
    run_id = await start(rt, "old")
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="old", signal_name="s"))
    await close(rt, "old")
    await start(rt, "running")
    loop = retention.RetentionLoop(rt, Retention())
    rt.clock.advance(6 * DAY)
    assert await loop.delete_batch() == 0
    assert (await rows_of(rt.pool, run_id))["history_events"] > 0
    before = metrics.RUNS_DELETED.labels(namespace=flows.NS)._value.get()
    rt.clock.advance(1.1 * DAY)
    assert await loop.delete_batch() == 1
    assert set((await rows_of(rt.pool, run_id)).values()) == {0}
    assert await surviving(rt.pool) == {"running"}
    assert metrics.RUNS_DELETED.labels(namespace=flows.NS)._value.get() == before + 1


async def test_a_namespace_override_keeps_its_runs_longer_or_shorter(rt: runner.Runtime) -> None:
    for namespace in ("default", "audit", "ci"):
        await start(rt, f"{namespace}-run", namespace)
        await close(rt, f"{namespace}-run", namespace)
    policy = Retention(default=timedelta(days=7), namespaces={"audit": timedelta(days=30), "ci": timedelta(hours=2)})
    loop = retention.RetentionLoop(rt, policy)
    rt.clock.advance(3 * 3600)
    assert await loop.delete_batch() == 1
    assert await surviving(rt.pool) == {"default-run", "audit-run"}
    rt.clock.advance(8 * DAY)
    assert await loop.delete_batch() == 1
    assert await surviving(rt.pool) == {"audit-run"}


async def test_batches_are_bounded_and_replicas_share_them(rt: runner.Runtime) -> None:
    for i in range(25):
        await start(rt, f"wf-{i}")
        await close(rt, f"wf-{i}")
    rt.clock.advance(8 * DAY)
    replicas = [retention.RetentionLoop(rt, Retention(), batch_size=10) for _ in range(2)]
    first = await asyncio.gather(*(r.delete_batch() for r in replicas))
    assert sum(first) <= 20
    assert all(n <= 10 for n in first)
    while await replicas[0].delete_batch():
        pass
    assert await surviving(rt.pool) == set()


async def test_a_run_a_workflow_resource_links_to_is_kept(rt: runner.Runtime) -> None:
    key = rows.ResourceKey(flows.NS, "order-1", "uid-1")
    request = api.StartWorkflowRequest(workflow_id="order-1", workflow_type="Orders", task_queue=flows.QUEUE)
    await resources.start(rt, key, request, identity={"workflowType": "Orders"}, generation=1)
    await close(rt, "order-1")
    rt.clock.advance(30 * DAY)
    assert await retention.RetentionLoop(rt, Retention()).delete_batch() == 0
    assert await surviving(rt.pool) == {"order-1"}


def test_durations_and_overrides_parse_or_say_why_not() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("3600") == timedelta(hours=1)
    assert parse_overrides(" a=30d, b=2h ") == {"a": timedelta(days=30), "b": timedelta(hours=2)}
    assert parse_overrides("") == {}
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("a week")
    with pytest.raises(ValueError, match="NAMESPACE=DURATION"):
        parse_overrides("a=1d,b")
    with pytest.raises(ValueError, match="under the minimum"):
        Retention(default=timedelta(minutes=5))
