"""What the benchmark's halves share: timing N concurrent workflows and counting commits."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

# Idle backends flush their statistics within this long (PG 15: at most once a second while
# busy, PGSTAT_IDLE_INTERVAL = 10 s when idle; exiting backends flush at once).
STATS_SETTLE_SECONDS = 1.5


@dataclass(frozen=True)
class Result:
    """One system's figures for one run of N workflows."""

    system: str
    workflows: int
    seconds: float
    wf_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    commits: int
    commits_per_wf: float
    # Legato's only: one workflow at a time on an idle system, and the server's CPU.
    solo_p50_ms: float = math.nan
    server_cpu_ms_per_wf: float = math.nan

    def line(self) -> str:
        """A human-readable one-line summary."""
        return (
            f"{self.system}: {self.workflows} workflows in {self.seconds:.2f}s = {self.wf_per_s:.1f} wf/s; "
            f"latency p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms; "
            f"{self.commits} commits = {self.commits_per_wf:.1f} per workflow"
        )

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        return asdict(self)


async def run_concurrently(n: int, one: Callable[[int], Awaitable[object]]) -> tuple[float, list[float]]:
    """Run ``one(i)`` for i in 0..n-1 all at once; (wall seconds, per-call latencies in ms)."""

    async def timed(i: int) -> float:
        began = time.perf_counter()
        await one(i)
        return (time.perf_counter() - began) * 1000

    began = time.perf_counter()
    latencies = await asyncio.gather(*(timed(i) for i in range(n)))
    return time.perf_counter() - began, list(latencies)


async def run_one_by_one(n: int, one: Callable[[int], Awaitable[object]]) -> list[float]:
    """Run ``one(i)`` for i in 0..n-1, each after the last; per-call latencies in ms."""
    latencies = []
    for i in range(n):
        began = time.perf_counter()
        await one(i)
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids(cluster_dir: Path) -> list[int]:
    """The postmaster of the cluster and its children (backends, checkpointer, ...) now."""
    postmaster = int((cluster_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
    return [postmaster, *children]


def cpu_seconds(processes: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far per named group of processes (a process gone since counts 0)."""
    totals = {}
    for name, pids in processes.items():
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError):
                total += process_cpu_seconds(pid)
        totals[name] = total
    return totals


def summarize(system: str, seconds: float, latencies_ms: list[float], commits: int) -> Result:
    """Throughput, nearest-rank percentiles and commits per workflow."""
    n = len(latencies_ms)
    ordered = sorted(latencies_ms)
    return Result(
        system=system,
        workflows=n,
        seconds=seconds,
        wf_per_s=n / seconds,
        p50_ms=percentile(ordered, 50),
        p99_ms=percentile(ordered, 99),
        max_ms=ordered[-1],
        commits=commits,
        commits_per_wf=commits / n,
    )


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def committed_transactions(admin_dsn: str, database: str) -> int:
    """``xact_commit`` of one database, read from another so the reading does not count.

    Every transaction counts, read-only ones included: pollers' SELECTs are part of a
    system's cost on the database.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        value = await conn.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database)
        return int(value or 0)
    finally:
        await conn.close()


async def create_database(admin_dsn: str, database: str) -> None:
    """Create an empty database (dropping an old one of that name)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
