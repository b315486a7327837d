"""Queries on ``workflow_resources``: the link from a `Workflow` resource to its run.

The reconciler writes the link when it starts the run and records what it does to it
(signals, a refused spec change); the status writer finds the links whose status is
behind the run and marks them synced once the status is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from legato.api.common.v1 import WorkflowExecutionStatus
from legato_operator.store import db, rows

_KEY = "namespace = $1 AND name = $2 AND uid = $3"
_COLUMNS = (
    "namespace, name, uid, workflow_id, run_id, identity, generation, delivered_signals, undelivered_signals,"
    " refused_fields, change, synced_change, synced_version, synced_status, final, conditions, ttl_after_finished"
)


def _row(record: asyncpg.Record | dict[str, Any]) -> rows.WorkflowResource:
    values = dict(record)
    key = rows.ResourceKey(values.pop("namespace"), values.pop("name"), values.pop("uid"))
    values["run_id"] = str(values["run_id"])
    if values["synced_status"] is not None:
        values["synced_status"] = WorkflowExecutionStatus(values["synced_status"])
    values["delivered_signals"] = list(values["delivered_signals"])
    values["refused_fields"] = list(values["refused_fields"])
    return rows.WorkflowResource(key=key, **values)


def _key(key: rows.ResourceKey) -> tuple[str, str, str]:
    return key.namespace, key.name, key.uid


async def insert(conn: db.Connection, link: rows.WorkflowResource) -> None:
    """Record the link of a resource whose run just started."""
    sql = (
        "INSERT INTO workflow_resources (namespace, name, uid, workflow_id, run_id, identity, generation)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    await conn.execute(sql, *_key(link.key), link.workflow_id, link.run_id, link.identity, link.generation)


async def load(conn: db.Connection, key: rows.ResourceKey) -> rows.WorkflowResource | None:
    """The resource's link, or None when its run was never started."""
    record = await conn.fetchrow(f"SELECT {_COLUMNS} FROM workflow_resources WHERE {_KEY}", *_key(key))
    return None if record is None else _row(record)


async def of_run(conn: db.Connection, run_id: str) -> rows.ResourceKey | None:
    """The `Workflow` resource linked to the run, if one is."""
    record = await conn.fetchrow("SELECT namespace, name, uid FROM workflow_resources WHERE run_id = $1", run_id)
    return None if record is None else rows.ResourceKey(record["namespace"], record["name"], record["uid"])


async def set_ttl(conn: db.Connection, key: rows.ResourceKey, seconds: float | None) -> None:
    """Record the resource's ttlAfterFinished (as Jobs', it may change at any time)."""
    sql = (
        f"UPDATE workflow_resources SET ttl_after_finished = $4 WHERE {_KEY} AND ttl_after_finished IS DISTINCT FROM $4"
    )
    await conn.execute(sql, *_key(key), seconds)


async def expired(conn: db.Connection, now: datetime, limit: int) -> list[rows.ResourceKey]:
    """Resources whose final status is written and whose run closed longer ago than their
    ttlAfterFinished, oldest close first."""
    sql = (
        "SELECT w.namespace, w.name, w.uid FROM workflow_resources w JOIN executions e ON e.run_id = w.run_id"
        " WHERE w.final AND w.ttl_after_finished IS NOT NULL"
        " AND e.close_time + make_interval(secs => w.ttl_after_finished) <= $1"
        " ORDER BY e.close_time LIMIT $2"
    )
    return [rows.ResourceKey(r["namespace"], r["name"], r["uid"]) for r in await conn.fetch(sql, now, limit)]


async def observe(conn: db.Connection, key: rows.ResourceKey, generation: int, refused_fields: list[str]) -> None:
    """Record the generation handled and the identity fields it would change."""
    sql = (
        "UPDATE workflow_resources SET generation = $4, refused_fields = $5, change = change + 1, final = false"
        f" WHERE {_KEY} AND (generation <> $4 OR refused_fields <> $5)"
    )
    await conn.execute(sql, *_key(key), generation, refused_fields)


async def record_signal(conn: db.Connection, key: rows.ResourceKey, signal_id: str, refusal: str | None) -> None:
    """Record a signal as delivered (``refusal`` None) or as not deliverable, and why."""
    if refusal is None:
        change = "delivered_signals = array_append(delivered_signals, $4)"
        args: tuple[Any, ...] = (signal_id,)
    else:
        change = "undelivered_signals = undelivered_signals || jsonb_build_object($4::text, $5::text)"
        args = (signal_id, refusal)
    # Already recorded (a retried reconcile): nothing changes.
    sql = (
        f"UPDATE workflow_resources SET {change}, change = change + 1, final = false WHERE {_KEY}"
        " AND NOT ($4 = ANY (delivered_signals)) AND NOT undelivered_signals ? $4"
    )
    await conn.execute(sql, *_key(key), *args)


# Since when the run's workflow task has waited, ready and unclaimed, for a worker (at most
# one workflow task per run; found by ``tasks_by_run``).
_WAITING_SINCE = (
    "(SELECT min(t.visible_at) FROM tasks t WHERE t.run_id = r.run_id AND t.kind = 'workflow'"
    " AND t.state = 'ready') AS waiting_since"
)


def _link_columns() -> str:
    return ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))


def _unsynced(record: asyncpg.Record) -> rows.UnsyncedResource:
    values = dict(record)
    version, status = values.pop("execution_version"), values.pop("execution_status")
    queue, since = values.pop("execution_task_queue"), values.pop("waiting_since")
    return rows.UnsyncedResource(_row(values), version, WorkflowExecutionStatus(status), queue, since)


async def unsynced(conn: db.Connection, *, include_running: bool, limit: int) -> list[rows.UnsyncedResource]:
    """Links whose status is behind: the reconciler changed them, or their run moved on.

    With ``include_running`` False, only runs that closed (and links the reconciler
    changed): the status writer's prompt pass between its coalesced ones.
    """
    sql = (
        f"SELECT {_link_columns()}, e.version AS execution_version, e.status AS execution_status,"
        f" e.task_queue AS execution_task_queue, {_WAITING_SINCE}"
        " FROM workflow_resources r JOIN executions e ON e.run_id = r.run_id"
        " WHERE NOT r.final AND (r.change <> r.synced_change"
        " OR (e.version <> r.synced_version AND ($1 OR e.status <> 'RUNNING'))) LIMIT $2"
    )
    return [_unsynced(record) for record in await conn.fetch(sql, include_running, limit)]


async def waiting(
    conn: db.Connection, *, since: datetime, after_run_id: str | None, limit: int
) -> list[rows.UnsyncedResource]:
    """Links whose run's workflow task has waited, ready and unclaimed, since before ``since``.

    Their status may need rewriting though the run did not change (nobody polls its
    queue). In run id order from after ``after_run_id``, so that a caller going round in
    batches rechecks every such link in turn however many there are.
    """
    sql = (
        f"SELECT {_link_columns()}, e.version AS execution_version, e.status AS execution_status,"
        " e.task_queue AS execution_task_queue, t.visible_at AS waiting_since"
        " FROM workflow_resources r JOIN executions e ON e.run_id = r.run_id"
        " JOIN tasks t ON t.run_id = r.run_id AND t.kind = 'workflow' AND t.state = 'ready'"
        " WHERE NOT r.final AND e.status = 'RUNNING' AND t.visible_at <= $1"
        " AND ($2::uuid IS NULL OR r.run_id > $2::uuid) ORDER BY r.run_id LIMIT $3"
    )
    return [_unsynced(record) for record in await conn.fetch(sql, since, after_run_id, limit)]


async def mark_synced(
    conn: db.Connection,
    link: rows.WorkflowResource,
    *,
    version: int,
    status: WorkflowExecutionStatus,
    closed: bool,
    conditions: list[dict[str, Any]],
) -> None:
    """Record that the status written shows ``link`` as read and the run at ``version``.

    The link is final only if the reconciler changed nothing since it was read: a change
    in between must still be written.
    """
    sql = (
        "UPDATE workflow_resources SET synced_change = $4, synced_version = $5, synced_status = $6,"
        f" final = ($7 AND change = $4), conditions = $8 WHERE {_KEY}"
    )
    await conn.execute(sql, *_key(link.key), link.change, version, status, closed, conditions)


async def delete(conn: db.Connection, key: rows.ResourceKey) -> None:
    """Forget the link (the resource is gone; its run and history stay)."""
    await conn.execute(f"DELETE FROM workflow_resources WHERE {_KEY}", *_key(key))


async def follow(conn: db.Connection, run_id: str, next_run_id: str) -> None:
    """Move the links of ``run_id`` to the run that continues it (continue-as-new, a retry):
    a resource follows its chain, and its status is written again from the next run."""
    sql = "UPDATE workflow_resources SET run_id = $2, change = change + 1, final = false WHERE run_id = $1"
    await conn.execute(sql, run_id, next_run_id)
