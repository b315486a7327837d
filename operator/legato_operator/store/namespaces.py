"""Queries on ``namespaces`` and ``namespace_search_attributes`` (migration 0020)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import asyncpg

from legato_operator.store import db, rows

_COLUMNS = "name, id, description, owner_email, data, retention, created_at, updated_at"


def _row(record: asyncpg.Record) -> rows.Namespace:
    return rows.Namespace(
        name=record["name"],
        id=str(record["id"]),
        description=record["description"],
        owner_email=record["owner_email"],
        data=dict(record["data"]),
        retention=record["retention"],
        created_at=record["created_at"],
        updated_at=record["updated_at"],
    )


async def insert(conn: db.Connection, ns: rows.Namespace) -> bool:
    """Register ``ns``; False (and nothing changed) when the name is taken."""
    record = await conn.fetchrow(
        f"INSERT INTO namespaces ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)"
        " ON CONFLICT (name) DO NOTHING RETURNING name",
        ns.name,
        uuid.UUID(ns.id),
        ns.description,
        ns.owner_email,
        ns.data,
        ns.retention,
        ns.created_at,
        ns.updated_at,
    )
    return record is not None


async def ensure(conn: db.Connection, name: str, now: datetime) -> None:
    """Register ``name`` with the server's retention unless it exists (one statement)."""
    await conn.execute(
        "INSERT INTO namespaces (name, id, created_at, updated_at) VALUES ($1, $2, $3, $3)"
        " ON CONFLICT (name) DO NOTHING",
        name,
        uuid.uuid4(),
        now,
    )


async def get(conn: db.Connection, name: str, *, lock: bool = False) -> rows.Namespace | None:
    """One namespace by name; ``lock`` holds its row until the transaction ends."""
    suffix = " FOR UPDATE" if lock else ""
    record = await conn.fetchrow(f"SELECT {_COLUMNS} FROM namespaces WHERE name = $1{suffix}", name)
    return None if record is None else _row(record)


async def page(conn: db.Connection, after: str, limit: int) -> list[rows.Namespace]:
    """Up to ``limit`` namespaces named after ``after``, by name."""
    records = await conn.fetch(
        f"SELECT {_COLUMNS} FROM namespaces WHERE name > $1 ORDER BY name LIMIT $2", after, limit
    )
    return [_row(r) for r in records]


async def update(conn: db.Connection, ns: rows.Namespace) -> None:
    """Rewrite a namespace's description, owner, data and retention."""
    await conn.execute(
        "UPDATE namespaces SET description = $2, owner_email = $3, data = $4::jsonb, retention = $5,"
        " updated_at = $6 WHERE name = $1",
        ns.name,
        ns.description,
        ns.owner_email,
        ns.data,
        ns.retention,
        ns.updated_at,
    )


async def retentions(conn: db.Connection) -> dict[str, timedelta]:
    """The namespaces that set their own retention, with it."""
    records = await conn.fetch("SELECT name, retention FROM namespaces WHERE retention IS NOT NULL")
    return {r["name"]: r["retention"] for r in records}


# --- search attributes -------------------------------------------------------------------


async def search_attributes(conn: db.Connection, namespace: str) -> dict[str, str]:
    """The custom search attributes registered in ``namespace``: name -> type."""
    records = await conn.fetch(
        "SELECT name, type FROM namespace_search_attributes WHERE namespace = $1 ORDER BY name", namespace
    )
    return {r["name"]: r["type"] for r in records}


async def add_search_attributes(conn: db.Connection, namespace: str, added: Mapping[str, str]) -> None:
    """Register ``added`` (name -> type) in ``namespace``; names already there are left as they are."""
    await conn.execute(
        "INSERT INTO namespace_search_attributes (namespace, name, type)"
        " SELECT $1, n, t FROM unnest($2::text[], $3::text[]) AS a(n, t) ON CONFLICT DO NOTHING",
        namespace,
        list(added),
        list(added.values()),
    )


async def remove_search_attributes(conn: db.Connection, namespace: str, names: list[str]) -> None:
    """Unregister ``names`` in ``namespace`` (values runs already hold stay in their rows)."""
    await conn.execute(
        "DELETE FROM namespace_search_attributes WHERE namespace = $1 AND name = ANY($2::text[])", namespace, names
    )
