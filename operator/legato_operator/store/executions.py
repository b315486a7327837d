"""Queries on ``executions``: insert, load (locked or not), conditional update, lookups."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from legato_operator import errors
from legato_operator.store import db, rows

_COLUMNS = [f.name for f in fields(rows.Execution)]
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM executions"
# Every column but the key and the version is rewritten by an update.
_MUTABLE = [c for c in _COLUMNS if c not in ("run_id", "version")]


def _row(record: Any) -> rows.Execution:
    values = dict(record)
    values["run_id"] = str(values["run_id"])
    return rows.Execution(**values)


def _maybe(record: Any) -> rows.Execution | None:
    return None if record is None else _row(record)


async def insert(conn: db.Connection, execution: rows.Execution) -> None:
    """Insert a new run; a second running run of the id violates ``executions_one_running``."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
    sql = f"INSERT INTO executions ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
    await conn.execute(sql, *(getattr(execution, c) for c in _COLUMNS))


async def load(conn: db.Connection, run_id: str, *, lock: bool = False) -> rows.Execution | None:
    """One run by id; ``lock`` holds its row until the transaction ends (writers serialize)."""
    suffix = " FOR UPDATE" if lock else ""
    return _maybe(await conn.fetchrow(f"{_SELECT} WHERE run_id = $1{suffix}", run_id))


async def latest(conn: db.Connection, namespace: str, workflow_id: str, *, lock: bool = False) -> rows.Execution | None:
    """The id's most recent run, running or closed."""
    suffix = " FOR UPDATE" if lock else ""
    sql = f"{_SELECT} WHERE namespace = $1 AND workflow_id = $2 ORDER BY start_time DESC LIMIT 1{suffix}"
    return _maybe(await conn.fetchrow(sql, namespace, workflow_id))


async def find(conn: db.Connection, namespace: str, workflow_id: str, run_id: str) -> rows.Execution | None:
    """A run by its workflow id and run id (both must match)."""
    sql = f"{_SELECT} WHERE run_id = $1 AND namespace = $2 AND workflow_id = $3"
    return _maybe(await conn.fetchrow(sql, run_id, namespace, workflow_id))


async def update(conn: db.Connection, new: rows.Execution, *, expected_version: int) -> None:
    """Write ``new`` if the row is still at ``expected_version``; else ``StaleVersion``.

    ``new.version`` must be ``expected_version + 1``.
    """
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(_MUTABLE, start=3))
    sql = f"UPDATE executions SET version = version + 1, {sets} WHERE run_id = $1 AND version = $2"
    status = await conn.execute(sql, new.run_id, expected_version, *(getattr(new, c) for c in _MUTABLE))
    if status != "UPDATE 1":
        raise errors.StaleVersion(new.run_id, expected_version)


async def remember_signal(conn: db.Connection, run_id: str, request_id: str) -> bool:
    """Record a signal's request id; False when the run already had it (a repeat)."""
    sql = "INSERT INTO signal_requests (run_id, request_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    return bool(await conn.execute(sql, run_id, request_id) == "INSERT 0 1")
