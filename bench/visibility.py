"""`make bench-visibility`: list and count latency at 10^4, 10^5 and 10^6 runs.

One throwaway Postgres, Legato's schema, and runs seeded straight into ``executions``
(a tenth running, a tenth failed, the rest completed; four workflow types; one start a
second going back in time; two custom search attributes, ``CustomerId``, a Keyword of a
thousand values, and ``Amount``, an Int from 0 to 499). At each size the engine's own list and count calls are timed
(``engine.services.visibility``, no HTTP), each the median of BENCH_REPEAT calls (default
15) after one warm-up, for the filters a person or a UI uses most. A page is 100 runs.

Prints one line per size: ``visibility runs=.. list_ms=.. list_running_ms=..
list_type_ms=.. list_recent_ms=.. list_type_status_ms=.. page_10_ms=.. count_ms=..
count_by_status_ms=.. count_running_ms=.. list_customer_ms=.. list_amount_ms=..
count_customer_ms=..``. BENCH_VISIBILITY_SIZES=10000,100000 picks
other sizes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import benchlib

from legato.api.workflowservice import v1 as api
from legato_operator import clock, postgres
from legato_operator.engine.services import runner, visibility
from legato_operator.store import db, namespaces

DATABASE = "legato_visibility"
NAMESPACE = "default"
PAGE = 100
SEED_BATCH = 50_000
# Seeding writes what the engine would: only the columns a list reads differ per run.
SEED = """
INSERT INTO executions (run_id, namespace, workflow_id, workflow_type, task_queue, status,
    start_time, execution_time, close_time, next_event_id, version, workflow_task_timeout,
    randomness_seed, search_attributes)
SELECT gen_random_uuid(), $1, 'wf-' || i,
    (ARRAY['Orders', 'Refunds', 'Invoices', 'Reports'])[1 + i % 4], 'queue',
    CASE i % 10 WHEN 0 THEN 'RUNNING' WHEN 1 THEN 'FAILED' ELSE 'COMPLETED' END,
    $2::timestamptz - make_interval(secs => i), $2::timestamptz - make_interval(secs => i),
    CASE WHEN i % 10 = 0 THEN NULL ELSE $2::timestamptz - make_interval(secs => i - 5) END,
    12, 1, 10, i,
    jsonb_build_object('CustomerId', jsonb_build_object('type', 'Keyword', 'value', 'c-' || i % 1000),
                       'Amount', jsonb_build_object('type', 'Int', 'value', i % 500))
FROM generate_series($3::bigint, $4::bigint) AS i
"""
CUSTOM = {"CustomerId": "Keyword", "Amount": "Int"}


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_VISIBILITY_SIZES", "10000,100000,1000000").split(",")]
    repeat = int(os.environ.get("BENCH_REPEAT", "15"))
    with tempfile.TemporaryDirectory(prefix="legato-bench-visibility-") as tmp:
        Path(tmp).chmod(0o755)  # Postgres runs as another user when we are root
        asyncio.run(bench(Path(tmp) / "pg", sizes, repeat))
    return 0


async def bench(data_dir: Path, sizes: list[int], repeat: int) -> None:
    async with postgres.EmbeddedPostgres(data_dir) as pg:
        await benchlib.create_database(pg.dsn, DATABASE)
        pool = await db.connect(pg.dsn_for(DATABASE), min_size=1, max_size=4)
        try:
            await db.migrate(pool)
            async with pool.acquire() as conn:
                await namespaces.add_search_attributes(conn, NAMESPACE, CUSTOM)
            rt = runner.Runtime(pool=pool, clock=clock.Clock())
            seeded = 0
            now = datetime.now(UTC)
            for size in sorted(sizes):
                started = time.perf_counter()
                seeded = await seed(pool, now, seeded, size)
                print(f"seeded {size} runs in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
                print(await measure(rt, size, now, repeat), flush=True)
        finally:
            await pool.close()


async def seed(pool: db.Pool, now: datetime, start: int, end: int) -> int:
    async with pool.acquire() as conn:
        for first in range(start + 1, end + 1, SEED_BATCH):
            await conn.execute(SEED, NAMESPACE, now, first, min(first + SEED_BATCH - 1, end))
        await conn.execute("VACUUM ANALYZE executions")
    return end


async def measure(rt: runner.Runtime, size: int, now: datetime, repeat: int) -> str:
    recent = (now - timedelta(minutes=10)).isoformat()

    def listing(query: str) -> Callable[[], Awaitable[object]]:
        request = api.ListWorkflowsRequest(query=query, page_size=PAGE)
        return lambda: visibility.list_workflows(rt, NAMESPACE, request)

    def counting(query: str) -> Callable[[], Awaitable[object]]:
        return lambda: visibility.count_workflows(rt, NAMESPACE, api.CountWorkflowsRequest(query=query))

    calls = {
        "list_ms": listing(""),
        "list_running_ms": listing("ExecutionStatus = 'Running'"),
        "list_type_ms": listing("WorkflowType = 'Refunds'"),
        "list_recent_ms": listing(f"StartTime > '{recent}'"),
        "list_type_status_ms": listing("WorkflowType = 'Refunds' AND ExecutionStatus = 'Failed'"),
        "page_10_ms": await tenth_page(rt),
        "count_ms": counting(""),
        "count_by_status_ms": counting("GROUP BY ExecutionStatus"),
        "count_running_ms": counting("ExecutionStatus = 'Running'"),
        "list_customer_ms": listing("CustomerId = 'c-42'"),
        "list_amount_ms": listing("Amount >= 498"),
        "count_customer_ms": counting("CustomerId = 'c-42'"),
    }
    figures = [f"{name}={await median_ms(call, repeat):.1f}" for name, call in calls.items()]
    return f"visibility runs={size} " + " ".join(figures)


async def tenth_page(rt: runner.Runtime) -> Callable[[], Awaitable[object]]:
    """The call for page 10 of the default listing: keyset pages cost what page 1 does."""
    token = None
    for _ in range(9):
        page = await visibility.list_workflows(
            rt, NAMESPACE, api.ListWorkflowsRequest(page_size=PAGE, next_page_token=token)
        )
        token = page.next_page_token
    request = api.ListWorkflowsRequest(page_size=PAGE, next_page_token=token)
    return lambda: visibility.list_workflows(rt, NAMESPACE, request)


async def median_ms(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    await call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
