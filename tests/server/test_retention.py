"""Retention on a real Postgres: a closed run is deleted with everything it owns once its
namespace's period has passed on the server's clock, in bounded batches shared by
replicas; running runs, recent ones and runs a Workflow resource links to stay."""

from __future__ import annotations

import asyncio
import uuid
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


# --- at scale: 10,000 closed runs go while new ones run, and the space comes back ---

CLONES = 10_000
# Slack over the first size for the new runs and for index pages VACUUM FULL rebuilds.
SIZE_SLACK = 2 * 1024 * 1024


async def _columns(conn: db.Connection, table: str) -> list[str]:
    records = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = 'public'"
        " ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in records]


async def clone_closed_run(pool: db.Pool, run_id: str, copies: int) -> None:
    """``copies`` copies of a closed run, its row and its history, each under a run and
    workflow id of its own: the database as 10,000 finished workflows leave it, quickly."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE clones ON COMMIT DROP AS"
            " SELECT gen_random_uuid() AS run_id, i FROM generate_series(1, $1) i",
            copies,
        )
        for table in ("executions", "history_events"):
            columns = await _columns(conn, table)
            picked = [
                "c.run_id" if c == "run_id" else "t.workflow_id || '-' || c.i" if c == "workflow_id" else f"t.{c}"
                for c in columns
            ]
            await conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(picked)}"
                f" FROM {table} t CROSS JOIN clones c WHERE t.run_id = $1",
                uuid.UUID(run_id),
            )


async def database_size(pool: db.Pool) -> int:
    async with pool.acquire() as conn:
        await conn.execute("VACUUM FULL")
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))


async def test_ten_thousand_closed_runs_go_while_new_ones_run_and_vacuum_gives_the_space_back(
    rt: runner.Runtime,
) -> None:
    before = await database_size(rt.pool)
    template = await start(rt, "finished")
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="finished", signal_name="s"))
    await close(rt, "finished")
    await clone_closed_run(rt.pool, template, CLONES)
    grown = await database_size(rt.pool)
    assert grown > before + 4 * SIZE_SLACK, (before, grown)
    rt.clock.advance(8 * DAY)
    loop = retention.RetentionLoop(rt, Retention())

    async def delete_all() -> int:
        total = 0
        while deleted := await loop.delete_batch():
            total += deleted
        return total

    async def keep_working() -> None:
        # New workflows start, take their first workflow task and get signals meanwhile.
        for i in range(20):
            await start(rt, f"new-{i}")
            await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(f"a-{i}"))
            await workflows.signal_workflow(
                rt, flows.NS, api.SignalWorkflowRequest(workflow_id=f"new-{i}", signal_name="s")
            )

    deleted, _ = await asyncio.gather(delete_all(), keep_working())
    assert deleted == CLONES + 1
    assert await surviving(rt.pool) == {f"new-{i}" for i in range(20)}
    after = await database_size(rt.pool)
    assert after <= before + SIZE_SLACK, (before, grown, after)
