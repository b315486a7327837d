"""An in-process server on a private Postgres, for ``legato.testing.WorkflowEnvironment``.

The SDK finds ``start`` through the ``legato.testing`` entry point named ``server``, so it
never imports the server. The server runs in a thread with its own event loop: a test's
loop may block, end or be replaced without the server noticing. ``stop`` leaves no thread,
port, process or folder behind.

Each server gets its own Postgres cluster, copied from a template made once per user and
schema (initdb and the migrations take seconds; a copy, a fraction of one) in the
temporary folder. The template's name carries a digest of the Postgres binaries and the
migrations, so a new schema makes a new template.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from legato_operator import postgres
from legato_operator.main import process
from legato_operator.store import db

log = logging.getLogger(__name__)

DATABASE = "legato"
# Long enough for a slow machine's Postgres start and migrations; a failure says why sooner.
START_TIMEOUT = 60.0


class EmbeddedServer:
    """A Legato server and its Postgres, both this process's, until ``stop``."""

    def __init__(self, *, time_skipping: bool, ip: str, port: int | None, namespaces: Sequence[str] = ()) -> None:
        self._options = (time_skipping, ip, port or 0)
        self._namespaces = tuple(namespaces)
        self._folder = Path(tempfile.mkdtemp(prefix="server-", dir=_root()))
        # As root, Postgres runs as another user: it must reach the folder (mkdtemp gives 700).
        self._folder.chmod(0o755)
        self._postgres = postgres.EmbeddedPostgres(self._folder / "data")
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="legato-testing-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.address = ""

    def start(self) -> None:
        """Copy and start Postgres, then the server; returns once it listens."""
        try:
            self._postgres.copy_from(_template())
            self._postgres.start()
            self._thread.start()
            if not self._started.wait(START_TIMEOUT):
                raise RuntimeError(f"the embedded Legato server did not start within {START_TIMEOUT:.0f}s")
            if self._error is not None:
                raise RuntimeError(f"the embedded Legato server failed to start: {self._error!r}") from self._error
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server and its Postgres, and remove their folder (idempotent)."""
        if self._loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread.is_alive():
            self._thread.join(START_TIMEOUT)
        try:
            self._postgres.stop()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        # Reported to start(); after a start, the log is the only place left to say it.
        except BaseException as e:
            self._error = e
            log.exception("The embedded Legato server stopped with an error")
        finally:
            self._started.set()

    async def _serve(self) -> None:
        time_skipping, ip, port = self._options
        options = process.Options(
            database_url=self._postgres.dsn_for(DATABASE),
            host=ip,
            port=port,
            time_skipping=time_skipping,
            migrate=False,
            namespaces=self._namespaces,
        )
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        async with process.serve(options) as server:
            self.address = server.address
            self._started.set()
            await self._stopping.wait()


def start(
    *, time_skipping: bool = False, ip: str = "127.0.0.1", port: int | None = None, namespaces: Sequence[str] = ()
) -> EmbeddedServer:
    """A started server (``time_skipping``: its clock jumps to the next timer when nothing runs)
    with ``namespaces`` registered besides ``default``."""
    server = EmbeddedServer(time_skipping=time_skipping, ip=ip, port=port, namespaces=namespaces)
    server.start()
    return server


def _root() -> Path:
    root = Path(tempfile.gettempdir()) / f"legato-testing-{os.getuid()}"
    root.mkdir(exist_ok=True)
    root.chmod(0o755)
    return root


def _template() -> Path:
    """The template cluster of this Postgres and schema, made now if it is not there yet."""
    template = _root() / f"template-{_fingerprint()}"
    if (template / "PG_VERSION").exists():
        return template
    # Made aside and renamed into place, so that nobody copies a half-made template.
    partial = Path(tempfile.mkdtemp(prefix="partial-", dir=_root()))
    partial.chmod(0o755)
    cluster = postgres.EmbeddedPostgres(partial / "data")
    try:
        with cluster:
            asyncio.run(_migrated(cluster))
        with contextlib.suppress(OSError):  # another process made it first: use theirs
            (partial / "data").rename(template)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return template


async def _migrated(cluster: postgres.EmbeddedPostgres) -> None:
    await db.ensure_database(cluster.dsn, DATABASE)
    pool = await db.connect(cluster.dsn_for(DATABASE), min_size=1, max_size=1)
    try:
        await db.migrate(pool)
    finally:
        await pool.close()


def _fingerprint() -> str:
    digest = hashlib.sha256(str(postgres.find_bindir()).encode())
    for migration in db.migrations():
        digest.update(migration.name.encode() + migration.sql.encode())
    return digest.hexdigest()[:16]
