"""The store against a real Postgres: migrations, dense append-only history, claims."""

from __future__ import annotations

import re

import asyncpg
import pytest

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api
from legato_operator.engine.services import runner, workers
from legato_operator.store import db, rows
from tests.server import flows
from tests.support.payloads import payload


def _allowed(migration: str, column: str) -> set[str]:
    """The values a migration's ``CHECK (column IN (...))`` allows."""
    sql = next(m.sql for m in db.migrations() if m.name == migration)
    match = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    assert match is not None, f"{migration} has no CHECK on {column}"
    return set(re.findall(r"'([^']*)'", match.group(1)))


def test_the_task_enums_are_the_text_the_schema_allows() -> None:
    assert _allowed("0003_tasks.sql", "kind") == {k.value for k in rows.TaskKind}
    assert _allowed("0003_tasks.sql", "state") == {s.value for s in rows.TaskState}
    assert _allowed("0008_task_queue_pollers.sql", "kind") == {k.value for k in rows.TaskKind}


async def test_migrations_apply_once_and_readiness_sees_them(pg_dsn: str) -> None:
    pool = await db.connect(pg_dsn, min_size=1, max_size=2)
    try:
        assert len(await db.pending_migrations(pool)) == len(db.migrations())
        assert await db.migrate(pool) == [m.name for m in db.migrations()]
        assert await db.migrate(pool) == []
        assert await db.pending_migrations(pool) == []
    finally:
        await pool.close()


async def test_event_ids_are_dense_from_one_through_a_whole_run(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    activity = await flows.activity_task(rt)
    await workers.complete_activity_task(rt, flows.NS, api.CompleteActivityTaskRequest(task_token=activity.task_token))
    await flows.answer(rt, await flows.workflow_task(rt), cmd.CompleteWorkflowExecution(result=payload(1)))
    ids = [e.event_id for e in await flows.events(rt, run.run_id)]
    assert ids == list(range(1, len(ids) + 1))
    assert (await flows.event_types(rt, run.run_id))[-1] == "WorkflowExecutionCompleted"


async def test_history_refuses_updates_and_deletes(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    async with rt.pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE history_events SET event_type = 'x' WHERE run_id = $1", run.run_id)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM history_events WHERE run_id = $1", run.run_id)


async def test_the_database_refuses_a_second_running_run_of_an_id(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    async with rt.pool.acquire() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO executions (run_id, namespace, workflow_id, workflow_type, task_queue, status,"
                " start_time, next_event_id, version, workflow_task_timeout, randomness_seed)"
                " SELECT gen_random_uuid(), namespace, workflow_id, workflow_type, task_queue, status,"
                " start_time, 1, 1, 10, 0 FROM executions WHERE run_id = $1",
                run.run_id,
            )
