"""`make bench`: Legato and DBOS Transact side by side on one throwaway Postgres.

The workload (docs/benchmarks.md): N workflows (BENCH_N, default 200) started at once,
each running three trivial async activities/steps in sequence; every workflow is timed
from its start call to its result. Per system: throughput (N / wall time), latency
percentiles, and Postgres commits per workflow (``xact_commit`` of its database).

- Legato: `legato-operator run --no-kubernetes` as a subprocess, one worker process
  (bench/legato_worker.py), and the driver here using the public client API.
- DBOS: bench/dbos_bench.py in a subprocess, on a separate database of the same cluster.

Then Legato runs SOLO_RUNS workflows one after another on the idle system (solo_p50_ms),
and the server's CPU time over the concurrent run is divided by N (server_cpu_ms_per_wf,
from /proc, so a regression shows even on a noisy machine). BENCH_PROFILE=1 samples the
server with py-spy during the concurrent run and prints where its time goes.

Ends with one line: ``legato_wf_per_s=.. dbos_wf_per_s=.. ratio=.. p50_ms=.. p99_ms=..
commits_per_wf=.. solo_p50_ms=.. server_cpu_ms_per_wf=..`` (all but dbos_wf_per_s are
Legato's). BENCH_SYSTEMS=dbos or =legato runs one half only; the other's figures print
as nan. Every process it starts is stopped, also on failure; logs stay in .bench/logs/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import benchlib
import profile_summary as profile

from legato_operator import postgres

HERE = Path(__file__).resolve().parent
LOGS = HERE.parent / ".bench" / "logs"
VENV_BIN = Path(sys.executable).parent
LEGATO_DB = "legato_bench"
DBOS_DB = "dbos_bench"
# One workflow at a time after the concurrent run, on an idle system: solo_p50_ms.
SOLO_RUNS = 50


def main(n: int, systems: set[str]) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp:
        # Postgres runs as another user when we are root: it must reach its data folder.
        Path(tmp).chmod(0o755)
        return asyncio.run(bench(Path(tmp) / "pg", n, systems))


async def bench(data_dir: Path, n: int, systems: set[str]) -> int:
    results: dict[str, benchlib.Result] = {}
    failed: list[str] = []
    async with postgres.EmbeddedPostgres(data_dir) as pg:
        print(f"Postgres {pg.bindir} on port {pg.port}; {n} workflows per system", flush=True)
        for system, run in (("dbos", run_dbos), ("legato", run_legato)):
            if system not in systems:
                continue
            try:
                results[system] = await run(pg, n)
            # One half failing (e.g. the SDK not written yet) still reports the other.
            except Exception as e:
                failed.append(system)
                print(f"{system}: FAILED: {type(e).__name__}: {e} (logs in {LOGS})", file=sys.stderr)
            else:
                print(results[system].line(), flush=True)
    print(final_line(results.get("legato"), results.get("dbos")), flush=True)
    return 1 if failed else 0


async def run_dbos(pg: postgres.EmbeddedPostgres, n: int) -> benchlib.Result:
    await benchlib.create_database(pg.dsn, DBOS_DB)
    command = [sys.executable, str(HERE / "dbos_bench.py"), "--admin-dsn", pg.dsn]
    command += ["--database", DBOS_DB, "-n", str(n)]
    async with child(command, LOGS / "dbos.log") as process:
        code = await process.wait()
    output = await asyncio.to_thread((LOGS / "dbos.log").read_text)
    lines = [line for line in output.splitlines() if line.startswith("BENCH_RESULT ")]
    if code != 0 or not lines:
        raise RuntimeError(f"dbos_bench.py exited with {code}:\n{tail(output)}")
    return benchlib.Result(**json.loads(lines[-1].removeprefix("BENCH_RESULT ")))


async def run_legato(pg: postgres.EmbeddedPostgres, n: int) -> benchlib.Result:
    # Imported here so that the DBOS half runs on a machine where the SDK does not yet.
    from legato_worker import TASK_QUEUE, BenchWorkflow

    from legato.client import Client

    await benchlib.create_database(pg.dsn, LEGATO_DB)
    port = postgres.free_port()
    target = f"127.0.0.1:{port}"
    server = [str(VENV_BIN / "legato-operator"), "run", "--no-kubernetes"]
    server += ["--database-url", pg.dsn_for(LEGATO_DB), "--host", "127.0.0.1", "--port", str(port)]
    worker = [sys.executable, str(HERE / "legato_worker.py"), target]
    async with child(server, LOGS / "legato-server.log") as server_process:
        await wait_for_http(f"http://{target}/readyz", server_process, LOGS / "legato-server.log")
        async with child(worker, LOGS / "legato-worker.log") as worker_process:
            client = await Client.connect(target)
            run_id = int(time.time())

            async def one(i: int) -> None:
                handle = await client.start_workflow(
                    BenchWorkflow.run, i, id=f"bench-{run_id}-{i}", task_queue=TASK_QUEUE
                )
                result = await handle.result()
                if result != (i + 1) * 2 - 1:
                    raise AssertionError(f"workflow {i} returned {result!r}")

            await one(-1)  # warm-up: the worker is polling, connections are open
            await asyncio.sleep(benchlib.STATS_SETTLE_SECONDS)
            before = await benchlib.committed_transactions(pg.dsn, LEGATO_DB)
            before_ops = transactions_by_operation(f"http://{target}/metrics")
            processes = {"server": [server_process.pid], "worker": [worker_process.pid], "driver": [os.getpid()]}
            processes["postgres"] = benchlib.postgres_pids(pg.cluster_dir)
            cpu_before = benchlib.cpu_seconds(processes)
            async with profiled(server_process.pid):
                seconds, latencies = await benchlib.run_concurrently(n, one)
            cpu_used = {name: used - cpu_before[name] for name, used in benchlib.cpu_seconds(processes).items()}
            cpu = cpu_used["server"]
            print_transactions_per_workflow(before_ops, transactions_by_operation(f"http://{target}/metrics"), n)
            shown = ", ".join(f"{name} {1000 * used / n:.1f}" for name, used in cpu_used.items())
            print(f"legato: CPU ms per workflow: {shown}")
            # Counted before the solo runs, which would add their own commits.
            await asyncio.sleep(benchlib.STATS_SETTLE_SECONDS)
            after = await benchlib.committed_transactions(pg.dsn, LEGATO_DB)
            solo = await benchlib.run_one_by_one(SOLO_RUNS, lambda i: one(n + i))
    result = benchlib.summarize("legato", seconds, latencies, after - before)
    return dataclasses.replace(
        result, solo_p50_ms=benchlib.percentile(sorted(solo), 50), server_cpu_ms_per_wf=cpu * 1000 / n
    )


@contextlib.asynccontextmanager
async def profiled(pid: int) -> AsyncIterator[None]:
    """With BENCH_PROFILE=1 (or =gil), sample the server with py-spy while the block runs
    and print the functions where its time goes (raw stacks in .bench/server-profile.txt)."""
    mode = os.environ.get("BENCH_PROFILE", "")
    if mode not in ("1", "gil"):
        yield
        return
    out = LOGS.parent / "server-profile.txt"
    command = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--rate", "250", "--format", "raw"]
    # "gil": only samples holding the GIL, i.e. Python's own CPU, without waits in syscalls.
    command += ["--output", str(out), "--nonblocking", *(["--gil"] if mode == "gil" else [])]
    spy = await asyncio.create_subprocess_exec(*command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    print(profile.summary(out.read_text()), flush=True)


def transactions_by_operation(metrics_url: str) -> dict[str, float]:
    """The server's store transactions so far, by operation, from its /metrics."""
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        text = response.read().decode()
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("legato_store_transaction_seconds_count{"):
            labels, value = line.rsplit(" ", 1)
            operation = labels.split('operation="', 1)[1].split('"', 1)[0]
            counts[operation] = counts.get(operation, 0.0) + float(value)
    return counts


def print_transactions_per_workflow(before: dict[str, float], after: dict[str, float], n: int) -> None:
    """Where the commits go: the server's transactions per workflow, by operation."""
    per_workflow = {op: (after[op] - before.get(op, 0.0)) / n for op in after}
    shown = ", ".join(f"{op} {v:.1f}" for op, v in sorted(per_workflow.items(), key=lambda kv: -kv[1]) if v)
    print(f"legato: store transactions per workflow: {shown}")


@contextlib.asynccontextmanager
async def child(command: list[str], log_file: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A subprocess (own process group, output to ``log_file``), stopped on the way out."""
    out = await asyncio.to_thread(log_file.open, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        out.close()
    try:
        yield process
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process's group, then SIGKILL after 10 s."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def wait_for_http(url: str, process: asyncio.subprocess.Process, log_file: Path, within: float = 60) -> None:
    """Poll ``url`` until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{log_file.stem} exited with {process.returncode}:\n{read_tail(log_file)}")
        with contextlib.suppress(OSError):
            if await asyncio.to_thread(http_status, url) == 200:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {within:.0f}s:\n{read_tail(log_file)}")


def http_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:
        return int(response.status)


def final_line(legato: benchlib.Result | None, dbos: benchlib.Result | None) -> str:
    nan = float("nan")
    x = legato.wf_per_s if legato else nan
    y = dbos.wf_per_s if dbos else nan
    ratio = x / y if legato and dbos else nan
    p50, p99 = (legato.p50_ms, legato.p99_ms) if legato else (nan, nan)
    commits = legato.commits_per_wf if legato else nan
    solo, cpu = (legato.solo_p50_ms, legato.server_cpu_ms_per_wf) if legato else (nan, nan)
    return (
        f"legato_wf_per_s={x:.1f} dbos_wf_per_s={y:.1f} ratio={ratio:.2f} "
        f"p50_ms={p50:.0f} p99_ms={p99:.0f} commits_per_wf={commits:.1f} "
        f"solo_p50_ms={solo:.1f} server_cpu_ms_per_wf={cpu:.2f}"
    )


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def read_tail(path: Path) -> str:
    return tail(path.read_text(errors="replace"))


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so every context manager above stops its process.
    raise KeyboardInterrupt


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=int(os.environ.get("BENCH_N", "200")))
    systems = os.environ.get("BENCH_SYSTEMS", "legato,dbos")
    parser.add_argument("--systems", default=systems, help="comma-separated: legato,dbos")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main(args.n, set(args.systems.split(","))))
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started has been stopped", file=sys.stderr)
        sys.exit(130)
