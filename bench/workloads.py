"""`make bench-workloads`: five workloads beyond `make bench`, one figure line each.

All on one throwaway Postgres, each workload on a fresh database of its own, the server
started as `legato-operator run --no-kubernetes` as bench/run.py does:

- timers: BENCH_TIMERS (10000) workflows, started 200 at a time, each sleep until a due
  time; the due times spread over N / BENCH_TIMER_RATE (1000) seconds once all are asleep,
  so the timers fire at about that rate. lag = TimerFired event time - (TimerStarted event
  time + duration), from history_events.
  ``timers n=.. fired_per_s=.. p50_lag_ms=.. p99_lag_ms=.. max_lag_ms=.. late_starts=..``
- sleeping: BENCH_SLEEPERS (100000) workflows each sleep 30 days; server RSS and database
  bytes per sleeping workflow once every one has its TimerStarted.
  ``sleeping n=.. start_s=.. starts_per_s=.. rss_before_mb=.. rss_after_mb=.. db_bytes_per_wf=..``
- signals: one workflow receives BENCH_SIGNALS (1000) signals, 10 in flight at a time, each
  carrying its index and send time; latency = start of the first workflow task after the
  signal's WorkflowExecutionSignaled event - send time.
  ``signals n=.. signals_per_s=.. p99_latency_ms=.. p50_latency_ms=..``
- replicas: bench/run.py's workflow, BENCH_N (200) at once, with one server, then with two
  servers on one database (clients and one worker per server split across them).
  ``replicas n=.. one_server_wf_per_s=.. two_servers_wf_per_s=.. ratio=..``
- storage: BENCH_STORAGE (2000) runs of bench/run.py's 3-activity workflow, 200 at a time,
  all completed; the growth of the tables of the schema (pg_total_relation_size: heap,
  indexes, TOAST) per closed workflow and per history event, and of history_events alone
  per event. ``storage n=.. events_per_wf=.. db_bytes_per_wf=.. db_bytes_per_event=..
  history_bytes_per_event=..``

BENCH_WORKLOADS=timers,signals picks some. The workflows of the first three live here:
run as ``workloads.py --worker TARGET`` this file is their worker. Every process started
is stopped on the way out, also on failure or Ctrl-C; logs stay in .bench/logs/.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from legato import workflow

HERE = Path(__file__).resolve().parent
TASK_QUEUE = "workloads"
WORKLOADS = ("timers", "sleeping", "signals", "replicas", "storage")
START_CONCURRENCY = 200
SIGNAL_CONCURRENCY = 10
# How long a workload may take to reach its end state before it counts as failed.
DEADLINE_SECONDS = 1800


@workflow.defn
class TimerWorkflow:
    @workflow.run
    async def run(self, fire_at: float) -> None:
        # An absolute due time, so that the timers of runs started over a minute fall due
        # together, at the rate asked for; a run started late sleeps what is left.
        await workflow.sleep(timedelta(seconds=max(0.001, fire_at - workflow.now().timestamp())))


@workflow.defn
class SleepWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(days=30))


@workflow.defn
class SignalWorkflow:
    def __init__(self) -> None:
        self.seen: list[list[float]] = []

    @workflow.signal
    def tick(self, sent: list[float]) -> None:
        self.seen.append(sent)

    @workflow.run
    async def run(self, n: int) -> int:
        await workflow.wait_condition(lambda: len(self.seen) >= n)
        return len(self.seen)


async def worker_main(target: str) -> None:
    """This file's workflows on the ``workloads`` queue, until terminated."""
    from legato.client import Client
    from legato.worker import Worker

    client = await Client.connect(target)
    await Worker(client, task_queue=TASK_QUEUE, workflows=[TimerWorkflow, SleepWorkflow, SignalWorkflow]).run()


# --- driver ------------------------------------------------------------------------------


def sizes() -> dict[str, int]:
    """The sizes from the environment, defaults as documented above."""
    env = os.environ.get
    return {
        "timers": int(env("BENCH_TIMERS", "10000")),
        "sleeping": int(env("BENCH_SLEEPERS", "100000")),
        "signals": int(env("BENCH_SIGNALS", "1000")),
        "replicas": int(env("BENCH_N", "200")),
        "storage": int(env("BENCH_STORAGE", "2000")),
    }


def main() -> int:
    import tempfile

    import run

    chosen = [w.strip() for w in os.environ.get("BENCH_WORKLOADS", ",".join(WORKLOADS)).split(",") if w.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        print(f"unknown workloads: {', '.join(sorted(unknown))} (known: {', '.join(WORKLOADS)})", file=sys.stderr)
        return 2
    run.LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="legato-bench-workloads-") as tmp:
        Path(tmp).chmod(0o755)  # Postgres runs as another user when we are root
        return asyncio.run(bench(Path(tmp) / "pg", chosen, sizes()))


async def bench(data_dir: Path, chosen: list[str], size: dict[str, int]) -> int:
    from legato_operator import postgres

    runners: dict[str, Callable[[Any, int], Awaitable[str]]] = {
        "timers": timers,
        "sleeping": sleeping,
        "signals": signals,
        "replicas": replicas,
        "storage": storage,
    }
    failed = 0
    async with postgres.EmbeddedPostgres(data_dir) as pg:
        print(f"Postgres on port {pg.port}; sizes: " + " ".join(f"{w}={size[w]}" for w in chosen), flush=True)
        for name in chosen:
            began = time.perf_counter()
            try:
                line = await runners[name](pg, size[name])
            # One workload failing still runs and reports the others.
            except Exception as e:
                failed += 1
                print(f"{name}: FAILED: {type(e).__name__}: {e} (logs in .bench/logs/)", file=sys.stderr, flush=True)
            else:
                print(line, flush=True)
                print(f"  ({name} took {time.perf_counter() - began:.1f}s)", flush=True)
    return 1 if failed else 0


@contextlib.asynccontextmanager
async def stack(pg: Any, database: str, servers: int = 1, worker: list[str] | None = None) -> AsyncIterator[list[Any]]:
    """A fresh database, ``servers`` server processes on it and one worker per server.

    Yields (target, server process, connected client) per server; everything is closed
    and stopped on the way out, the clients first.
    """
    import benchlib
    import run

    from legato.client import Client
    from legato_operator import postgres

    await benchlib.create_database(pg.dsn, database)
    worker = worker or [sys.executable, str(HERE / "workloads.py"), "--worker"]
    started: list[Any] = []
    async with contextlib.AsyncExitStack() as exits:
        for k in range(servers):
            port = postgres.free_port()
            target = f"127.0.0.1:{port}"
            command = [str(run.VENV_BIN / "legato-operator"), "run", "--no-kubernetes"]
            command += ["--database-url", pg.dsn_for(database), "--host", "127.0.0.1", "--port", str(port)]
            log = run.LOGS / f"{database}-server-{k}.log"
            process = await exits.enter_async_context(run.child(command, log))
            # One after the other: the first migrates the database, the next finds it done.
            await run.wait_for_http(f"http://{target}/readyz", process, log)
            started.append((target, process))
        for k, (target, _) in enumerate(started):
            await exits.enter_async_context(run.child([*worker, target], run.LOGS / f"{database}-worker-{k}.log"))
        clients = [await exits.enter_async_context(await Client.connect(target)) for target, _ in started]
        yield [(target, process, client) for (target, process), client in zip(started, clients, strict=True)]


async def start_all(n: int, start: Callable[[int], Awaitable[object]], concurrency: int = START_CONCURRENCY) -> float:
    """Call ``start(i)`` for i in 0..n-1, ``concurrency`` at a time; the wall seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await start(i)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - began


async def wait_for_count(dsn: str, query: str, want: int, within: float = DEADLINE_SECONDS) -> float:
    """Poll ``query`` (one number) until it reaches ``want``; the seconds it took."""
    import asyncpg

    began = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            got = int(await conn.fetchval(query) or 0)
            if got >= want:
                return time.perf_counter() - began
            if time.perf_counter() - began > within:
                raise TimeoutError(f"{got} of {want} after {within:.0f}s: {query}")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def fetch(dsn: str, query: str, *args: object) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def ms_percentiles(values_ms: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max) of a list of milliseconds."""
    import benchlib

    ordered = sorted(values_ms)
    return benchlib.percentile(ordered, 50), benchlib.percentile(ordered, 99), ordered[-1]


# --- timers ------------------------------------------------------------------------------

COMPLETED = "SELECT count(*) FROM executions WHERE status = 'COMPLETED'"
TIMER_EVENTS = """
SELECT s.event_time AS started, f.event_time AS fired,
       (s.attributes->>'start_to_fire_timeout')::float8 AS seconds
FROM history_events s
JOIN history_events f ON f.run_id = s.run_id AND f.event_type = 'TimerFired'
WHERE s.event_type = 'TimerStarted'
"""
# The timers fall due over N / BENCH_TIMER_RATE seconds, after time for the starts and
# the first workflow tasks (the one worker answers some 140 a second).
TIMER_RATE = float(os.environ.get("BENCH_TIMER_RATE", "1000"))
FIRST_TASKS_PER_SECOND = 100.0
LEAD_SECONDS = 20.0


async def timers(pg: Any, n: int) -> str:
    """N timers falling due at about BENCH_TIMER_RATE a second; how late each one fires."""
    database = "legato_timers"
    window = n / TIMER_RATE
    first_due = time.time() + LEAD_SECONDS + n / FIRST_TASKS_PER_SECOND
    fire_at = {f"timer-{i}": first_due + random.uniform(0, window) for i in range(n)}
    async with stack(pg, database) as servers:
        client = servers[0][2]

        async def start(i: int) -> None:
            wid = f"timer-{i}"
            await client.start_workflow("TimerWorkflow", fire_at[wid], id=wid, task_queue=TASK_QUEUE)

        start_s = await start_all(n, start)
        print(f"  timers: {n} started in {start_s:.1f}s ({n / start_s:.0f}/s)", flush=True)
        await wait_for_count(pg.dsn_for(database), COMPLETED, n)
        rows = await fetch(pg.dsn_for(database), TIMER_EVENTS)
    if len(rows) != n:
        raise RuntimeError(f"{len(rows)} of {n} runs have both TimerStarted and TimerFired")
    # A run whose first task came after its due time: its timer is not part of the wave.
    late = sum(1 for r in rows if r["seconds"] <= 0.01)
    fired = sorted(r["fired"] for r in rows)
    span = (fired[-1] - fired[0]).total_seconds()
    print(f"  timers: fired over {span:.1f}s ({n / max(span, 0.001):.0f}/s); {late} started after their due time")
    lags = [((r["fired"] - r["started"]).total_seconds() - r["seconds"]) * 1000 for r in rows]
    p50, p99, top = ms_percentiles(lags)
    rate = n / max(span, 0.001)
    return (
        f"timers n={n} fired_per_s={rate:.0f} p50_lag_ms={p50:.0f} p99_lag_ms={p99:.0f} "
        f"max_lag_ms={top:.0f} late_starts={late}"
    )


# --- sleeping ----------------------------------------------------------------------------

TIMERS_STARTED = "SELECT count(*) FROM history_events WHERE event_type = 'TimerStarted'"
GC_SETTLE_SECONDS = 3


async def sleeping(pg: Any, n: int) -> str:
    """N workflows asleep for 30 days: what each costs the server's memory and the database."""
    database = "legato_sleeping"
    async with stack(pg, database) as servers:
        _, server, client = servers[0]
        rss_before = rss_mb(server.pid)
        db_before = await database_size(pg.dsn, database)

        async def start(i: int) -> None:
            await client.start_workflow("SleepWorkflow", id=f"sleep-{i}", task_queue=TASK_QUEUE)

        start_s = await start_all(n, start)
        asleep_s = await wait_for_count(pg.dsn_for(database), TIMERS_STARTED, n)
        print(f"  sleeping: {n} started in {start_s:.1f}s, all asleep {asleep_s:.1f}s later", flush=True)
        await asyncio.sleep(GC_SETTLE_SECONDS)  # the server's last tasks finish, memory settles
        rss_after = rss_mb(server.pid)
        db_after = await database_size(pg.dsn, database)
    return (
        f"sleeping n={n} start_s={start_s:.1f} starts_per_s={n / start_s:.0f} rss_before_mb={rss_before:.0f} "
        f"rss_after_mb={rss_after:.0f} db_bytes_per_wf={(db_after - db_before) / n:.0f}"
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def database_size(admin_dsn: str, database: str) -> int:
    rows = await fetch(admin_dsn, "SELECT pg_database_size($1) AS size", database)
    return int(rows[0]["size"])


# --- signals -----------------------------------------------------------------------------

RUN_EVENTS = """
SELECT h.event_type, h.event_time, h.attributes FROM history_events h
JOIN executions e ON e.run_id = h.run_id WHERE e.workflow_id = $1 ORDER BY h.event_id
"""


async def signals(pg: Any, n: int) -> str:
    """One workflow, N signals 10 at a time: delivery rate and when its handler saw each."""
    database = "legato_signals"
    async with stack(pg, database) as servers:
        client = servers[0][2]
        handle = await client.start_workflow("SignalWorkflow", n, id="signals", task_queue=TASK_QUEUE)
        sent: dict[int, float] = {}

        async def send(i: int) -> None:
            sent[i] = time.time()
            await handle.signal("tick", [i, sent[i]])

        began = time.perf_counter()
        await start_all(n, send, SIGNAL_CONCURRENCY)
        result = await asyncio.wait_for(handle.result(), DEADLINE_SECONDS)
        seconds = time.perf_counter() - began
        if result != n:
            raise RuntimeError(f"the workflow saw {result} signals of {n}")
        events = await fetch(pg.dsn_for(database), RUN_EVENTS, "signals")
    handled = handler_times(events)
    if len(handled) != n:
        raise RuntimeError(f"{len(handled)} of {n} signals found handled in history")
    p50, p99, _ = ms_percentiles([(handled[i] - sent[i]) * 1000 for i in handled])
    return f"signals n={n} signals_per_s={n / seconds:.0f} p99_latency_ms={p99:.0f} p50_latency_ms={p50:.0f}"


def handler_times(events: list[Any]) -> dict[int, float]:
    """Signal index -> epoch seconds of the first WorkflowTaskStarted after its Signaled event."""
    pending: list[int] = []
    handled: dict[int, float] = {}
    for event in events:
        if event["event_type"] == "WorkflowExecutionSignaled":
            pending.append(signal_index(event["attributes"]))
        elif event["event_type"] == "WorkflowTaskStarted":
            for i in pending:
                handled[i] = event["event_time"].timestamp()
            pending = []
    return handled


def signal_index(attributes: str | dict[str, Any]) -> int:
    """The index a signal carries, from its event's first input payload ([index, send time] as JSON)."""
    attrs = json.loads(attributes) if isinstance(attributes, str) else attributes
    return int(json.loads(base64.b64decode(attrs["input"][0]["data"]))[0])


# --- replicas ----------------------------------------------------------------------------


async def replicas(pg: Any, n: int) -> str:
    """bench/run.py's workload with one server, then two on one database."""
    one = await replicated_throughput(pg, n, 1)
    two = await replicated_throughput(pg, n, 2)
    return f"replicas n={n} one_server_wf_per_s={one:.1f} two_servers_wf_per_s={two:.1f} ratio={two / one:.2f}"


async def replicated_throughput(pg: Any, n: int, servers: int) -> float:
    """Workflows per second for N at once, the clients spread over ``servers`` servers."""
    import benchlib
    from legato_worker import TASK_QUEUE as BENCH_QUEUE
    from legato_worker import BenchWorkflow

    worker = [sys.executable, str(HERE / "legato_worker.py")]
    async with stack(pg, f"legato_replicas_{servers}", servers, worker) as started:
        clients = [client for _, _, client in started]

        async def one(i: int) -> None:
            client = clients[i % len(clients)]
            handle = await client.start_workflow(BenchWorkflow.run, i, id=f"replica-{i}", task_queue=BENCH_QUEUE)
            result = await handle.result()
            if result != (i + 1) * 2 - 1:
                raise AssertionError(f"workflow {i} returned {result!r}")

        for k in range(len(clients)):
            await one(-1 - k)  # warm-up: every worker polls, every connection is open
        seconds, _ = await benchlib.run_concurrently(n, one)
    print(f"  replicas: {servers} server(s): {n} workflows in {seconds:.2f}s", flush=True)
    return n / seconds


# --- storage -----------------------------------------------------------------------------

# Every table of the schema with its indexes and TOAST; history_events on its own.
TABLE_BYTES = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS total,
       coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'history_events'), 0)::bigint AS history
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""
EVENTS = "SELECT count(*) AS n FROM history_events"


async def storage(pg: Any, n: int) -> str:
    """N completed 3-activity runs: what a closed workflow and a history event cost Postgres."""
    from legato_worker import TASK_QUEUE as BENCH_QUEUE
    from legato_worker import BenchWorkflow

    database = "legato_storage"
    worker = [sys.executable, str(HERE / "legato_worker.py")]
    async with stack(pg, database, worker=worker) as servers:
        client = servers[0][2]
        before = await table_bytes(pg.dsn_for(database))

        async def run_one(i: int) -> None:
            await client.execute_workflow(BenchWorkflow.run, i, id=f"storage-{i}", task_queue=BENCH_QUEUE)

        seconds = await start_all(n, run_one)
        after = await table_bytes(pg.dsn_for(database))
        events = int((await fetch(pg.dsn_for(database), EVENTS))[0]["n"])
    print(f"  storage: {n} workflows completed in {seconds:.1f}s, {events} history events", flush=True)
    grown, history = after[0] - before[0], after[1] - before[1]
    return (
        f"storage n={n} events_per_wf={events / n:.1f} db_bytes_per_wf={grown / n:.0f} "
        f"db_bytes_per_event={grown / events:.0f} history_bytes_per_event={history / events:.0f}"
    )


async def table_bytes(dsn: str) -> tuple[int, int]:
    """(all the schema's tables, history_events alone), in bytes."""
    rows = await fetch(dsn, TABLE_BYTES)
    return int(rows[0]["total"]), int(rows[0]["history"])


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so every context manager above stops its process.
    raise KeyboardInterrupt


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", metavar="TARGET", help="run this file's workflows' worker against TARGET")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker_main(args.worker))
        sys.exit(0)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench-workloads: interrupted; every process it started has been stopped", file=sys.stderr)
        sys.exit(130)
