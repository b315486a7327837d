"""Queries on ``executions``: load (locked or not), lookups; a run is written by ``changes``."""

from __future__ import annotations

from dataclasses import fields

import asyncpg

from legato.api.common.v1 import WorkflowExecutionStatus
from legato_operator.store import db, rows

COLUMNS = [f.name for f in fields(rows.Execution)]
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM executions"
# Every column but the key and the version is rewritten by an update.
MUTABLE = [c for c in COLUMNS if c not in ("run_id", "version")]


def _row(record: asyncpg.Record) -> rows.Execution:
    values = {c: record[c] for c in COLUMNS}
    values["run_id"] = str(values["run_id"])
    values["status"] = WorkflowExecutionStatus(values["status"])
    return rows.Execution(**values)


def from_record(record: asyncpg.Record) -> rows.Execution:
    """The run a record of ``executions`` (with any other columns) holds."""
    return _row(record)


def _maybe(record: asyncpg.Record | None) -> rows.Execution | None:
    return None if record is None else _row(record)


async def load(conn: db.Connection, run_id: str, *, lock: bool = False) -> rows.Execution | None:
    """One run by id; ``lock`` holds its row until the transaction ends (writers serialize)."""
    suffix = " FOR UPDATE" if lock else ""
    return _maybe(await conn.fetchrow(f"{_SELECT} WHERE run_id = $1{suffix}", run_id))


async def load_locked(conn: db.Connection, run_ids: list[str]) -> dict[str, rows.Execution]:
    """The runs of ``run_ids`` that exist, each locked, in one statement; the rows are
    locked in run-id order, so two such calls never wait on each other in a cycle."""
    sql = f"{_SELECT} WHERE run_id = ANY($1::uuid[]) ORDER BY run_id FOR UPDATE"
    return {ex.run_id: ex for ex in map(_row, await conn.fetch(sql, run_ids))}


async def statuses(conn: db.Connection, run_ids: list[str]) -> dict[str, WorkflowExecutionStatus]:
    """The status of each of ``run_ids`` that exists, in one statement."""
    records = await conn.fetch("SELECT run_id, status FROM executions WHERE run_id = ANY($1::uuid[])", run_ids)
    return {str(r["run_id"]): WorkflowExecutionStatus(r["status"]) for r in records}


async def latest(conn: db.Connection, namespace: str, workflow_id: str, *, lock: bool = False) -> rows.Execution | None:
    """The id's most recent run, running or closed."""
    suffix = " FOR UPDATE" if lock else ""
    sql = f"{_SELECT} WHERE namespace = $1 AND workflow_id = $2 ORDER BY start_time DESC LIMIT 1{suffix}"
    return _maybe(await conn.fetchrow(sql, namespace, workflow_id))


async def find(conn: db.Connection, namespace: str, workflow_id: str, run_id: str) -> rows.Execution | None:
    """A run by its workflow id and run id (both must match)."""
    sql = f"{_SELECT} WHERE run_id = $1 AND namespace = $2 AND workflow_id = $3"
    return _maybe(await conn.fetchrow(sql, run_id, namespace, workflow_id))


async def remember_signal(conn: db.Connection, run_id: str, request_id: str) -> bool:
    """Record a signal's request id; False when the run already had it (a repeat)."""
    sql = "INSERT INTO signal_requests (run_id, request_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    return bool(await conn.execute(sql, run_id, request_id) == "INSERT 0 1")


async def running_children(conn: db.Connection, parent_run_id: str) -> list[rows.Execution]:
    """The runs this run started as children that are still running (its close policy's targets)."""
    sql = f"{_SELECT} WHERE parent_run_id = $1 AND status = $2"
    return [_row(r) for r in await conn.fetch(sql, parent_run_id, WorkflowExecutionStatus.RUNNING)]
