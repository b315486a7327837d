"""Throwaway Postgres for tests: a cluster in a temporary folder, and fresh databases in it."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from legato_operator import postgres


@contextlib.contextmanager
def throwaway_cluster(prefix: str) -> Iterator[postgres.EmbeddedPostgres]:
    """A started cluster in a new temporary folder, stopped and removed after the block."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    # As root, Postgres runs as another user: let it reach the folder (mkdtemp makes it 700),
    # so the cluster stays here and goes with it, rather than being placed elsewhere.
    root.chmod(0o755)
    cluster = postgres.EmbeddedPostgres(root / "data")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def fresh_database(cluster: postgres.EmbeddedPostgres, name: str) -> str:
    """The DSN of database ``name`` of ``cluster``, created empty (dropped first if it exists)."""
    conn = await asyncpg.connect(cluster.dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return cluster.dsn_for(name)
