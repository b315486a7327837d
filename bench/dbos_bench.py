"""The benchmark's DBOS Transact half, run by bench/run.py in a process of its own.

The same workload as Legato's: a workflow of three trivial async steps in sequence,
N started at once in one process, each timed from the start call to its result. DBOS runs
workflows in the process that starts them, with its state in its own Postgres database.

Prints one line ``BENCH_RESULT <json>`` for run.py to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

import benchlib
from dbos import DBOS, DBOSConfig


@DBOS.step()
async def step_one(value: int) -> int:
    return value + 1


@DBOS.step()
async def step_two(value: int) -> int:
    return value * 2


@DBOS.step()
async def step_three(value: int) -> int:
    return value - 1


@DBOS.workflow()
async def bench_workflow(value: int) -> int:
    value = await step_one(value)
    value = await step_two(value)
    return await step_three(value)


async def start_and_wait(value: int) -> int:
    handle = await DBOS.start_workflow_async(bench_workflow, value)
    result: int = await handle.get_result()
    if result != (value + 1) * 2 - 1:
        raise AssertionError(f"workflow {value} returned {result}")
    return result


async def main(admin_dsn: str, database: str, n: int) -> benchlib.Result:
    dsn = admin_dsn.rsplit("/", 1)[0] + "/" + database
    config: DBOSConfig = {"name": "legato-bench", "system_database_url": dsn, "log_level": "WARNING"}
    DBOS(config=config)
    try:
        DBOS.launch()
        await start_and_wait(-1)  # warm-up: connections, prepared statements
        await asyncio.sleep(benchlib.STATS_SETTLE_SECONDS)
        before = await benchlib.committed_transactions(admin_dsn, database)
        seconds, latencies = await benchlib.run_concurrently(n, start_and_wait)
    finally:
        # Closing the pool ends its backends, which flushes their statistics.
        DBOS.destroy()
    await asyncio.sleep(0.5)
    after = await benchlib.committed_transactions(admin_dsn, database)
    return benchlib.summarize("dbos", seconds, latencies, after - before)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-dsn", required=True, help="DSN of the cluster's postgres database")
    parser.add_argument("--database", required=True, help="an empty database for DBOS's system tables")
    parser.add_argument("-n", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(main(args.admin_dsn, args.database, args.n))
    print("BENCH_RESULT " + json.dumps(result.as_dict()), flush=True)
