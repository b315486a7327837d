import asyncpg


async def test_fresh_database_accepts_queries(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    assert await conn.fetchval("select 1") == 1
    await conn.close()
