"""An embedded Postgres for `legato-operator dev`, the tests and the benchmark.

Starts a private cluster from the machine's server binaries (``LEGATO_PG_BINDIR``, then
``pg_config --bindir``, Debian's ``/usr/lib/postgresql/<v>/bin``, ``initdb`` on PATH) or,
where there are none, from the binaries the ``pgserver`` wheel carries. It listens on
127.0.0.1 only, with trust authentication: it is for one machine's development and tests,
never for production, where the chart points the server at a real database.

Postgres refuses to run as root, so when we are root the server runs as the ``postgres``
user (or ``nobody``), which then owns the data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


class PostgresNotFoundError(RuntimeError):
    """No Postgres server binaries on this machine, and no pgserver wheel."""


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres, searched in the documented order."""
    for candidate in _candidate_bindirs():
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresNotFoundError(
        "No Postgres server binaries found: set LEGATO_PG_BINDIR, install Debian's "
        "'postgresql' package, or `pip install pgserver`."
    )


def _candidate_bindirs() -> list[Path]:
    found: list[Path] = []
    if env := os.environ.get("LEGATO_PG_BINDIR"):
        found.append(Path(env))
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        found.append(Path(out.stdout.strip()))
    # Newest Debian major version first.
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major_version, reverse=True)
    found.extend(Path(p) for p in debian)
    if initdb := shutil.which("initdb"):
        found.append(Path(initdb).resolve().parent)
    found.extend(_pgserver_bindirs())
    return found


def _major_version(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def _pgserver_bindirs() -> list[Path]:
    try:
        import pgserver  # optional: the "embedded" extra
    except ImportError:
        return []
    return [Path(pgserver.__file__).parent / "pginstall" / "bin"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedPostgres:
    """A private Postgres cluster in ``data_dir``; a context manager, sync or async.

    The cluster is created on first use and kept: starting again on the same folder
    reuses its databases, which is what `legato-operator dev` wants across restarts.
    """

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port or free_port()
        self.bindir = find_bindir()
        self._user = _server_user()

    @property
    def dsn(self) -> str:
        """Connection string of the cluster's ``postgres`` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """Connection string of one database of the cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Create the cluster if needed and start it; returns once it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale",
                "C",
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        log_file = self.data_dir / "server.log"
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(log_file), "-w", "start")
        log.info("Postgres started on 127.0.0.1:%d (data in %s)", self.port, self.data_dir)

    def stop(self) -> None:
        """Stop the cluster quickly, rolling back open transactions (``-m fast``)."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, preexec_fn=self._demote())
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr or result.stdout}")

    def _demote(self) -> Callable[[], None] | None:
        if self._user is None:
            return None
        uid, gid = self._user

        def demote() -> None:
            os.setgid(gid)
            os.setuid(uid)

        return demote

    def _chown(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, *self._user)
            path.chmod(0o700)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedPostgres:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("Running as root and no 'postgres' or 'nobody' user to run Postgres as")
