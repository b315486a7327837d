"""One server process wired together: pool, migrations, engine runtime, LISTEN connection,
timer loop and HTTP site.

All state is in Postgres, so the process may be killed at any moment; ``serve`` only
makes a clean exit (SIGTERM) quick: long polls are cancelled and answered by the client's
next poll elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from legato_operator import clock, limits
from legato_operator.api import app, auth
from legato_operator.engine.rules.retention import Retention
from legato_operator.engine.services import namespaces, retention, runner, schedules, time_skipping, timer_loop
from legato_operator.store import availability, db, listener

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """How to run the server."""

    database_url: str
    host: str = "127.0.0.1"
    port: int = 7233
    max_payload_bytes: int = limits.DEFAULT_MAX_PAYLOAD_BYTES
    clock_offset: float = 0.0
    # A test server whose clock jumps to the next timer when nothing runs (one replica only).
    time_skipping: bool = False
    migrate: bool = True
    # How long closed runs are kept before the retention loop deletes them.
    retention: Retention = field(default_factory=Retention)
    # Namespaces registered at start (if absent), besides ``default``.
    namespaces: tuple[str, ...] = ()
    # None serves every caller (dev mode); see `auth`.
    authenticator: auth.Authenticator | None = None


@dataclass(frozen=True)
class Server:
    """A serving process: its engine runtime and the address it listens on."""

    runtime: runner.Runtime
    host: str
    port: int

    @property
    def address(self) -> str:
        """host:port, as workers and clients are given it (LEGATO_ADDRESS)."""
        return f"{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def serve(options: Options) -> AsyncIterator[Server]:
    """Serve until the block exits; then stop the site, the timer loop and the pool."""
    # One view of the database's availability for the pool, the loops and the API.
    outage = availability.Outage()
    pool = await db.connect(options.database_url, outage=outage)
    try:
        if options.migrate:
            applied = await db.migrate(pool)
            log.info("Migrations applied now: %s", applied or "none (up to date)")
        server_clock = clock.Clock(options.clock_offset)
        rt = runner.Runtime(
            pool=pool,
            clock=server_clock,
            limits=limits.Limits(max_payload_bytes=options.max_payload_bytes),
            outage=outage,
            time_skipper=time_skipping.TimeSkipper(server_clock) if options.time_skipping else None,
            retention=options.retention,
        )
        for name in options.namespaces:
            await namespaces.ensure(rt, name)
        async with _listening(options.database_url, rt), _loops(rt, options), _site(rt, options) as port:
            yield Server(rt, options.host, port)
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def _listening(dsn: str, rt: runner.Runtime) -> AsyncIterator[None]:
    notifications = listener.Listener(dsn, rt.on_notify, rt.on_reconnect, rt.outage)
    rt.listening = notifications.connected
    await notifications.start()
    try:
        yield
    finally:
        await notifications.stop()


@contextlib.asynccontextmanager
async def _loops(rt: runner.Runtime, options: Options) -> AsyncIterator[None]:
    loops = [
        asyncio.create_task(timer_loop.TimerLoop(rt).run(), name="legato-timers"),
        asyncio.create_task(retention.RetentionLoop(rt, options.retention).run(), name="legato-retention"),
        asyncio.create_task(schedules.ScheduleLoop(rt).run(), name="legato-schedules"),
    ]
    if rt.time_skipper is not None:
        loops.append(asyncio.create_task(time_skipping.run(rt, rt.time_skipper), name="legato-time-skipping"))
    try:
        yield
    finally:
        for task in loops:
            task.cancel()
        for task in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def _site(rt: runner.Runtime, options: Options) -> AsyncIterator[int]:
    # Long polls are cut at shutdown rather than waited for: their clients just poll again.
    # A poll whose client went away is cancelled, so it cannot claim a task nobody receives.
    application = app.create(rt, options.authenticator)
    runner = web.AppRunner(application, shutdown_timeout=1.0, access_log=None, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, options.host, options.port)
        await site.start()
        yield _bound_port(runner, options.port)
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    # Port 0 asks the OS for a free one (tests); report the one it gave.
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
