"""An embedded Postgres for `legato-operator dev`, the tests and the benchmark.

Starts a private cluster from the machine's server binaries (``LEGATO_PG_BINDIR``, then
``pg_config --bindir``, Debian's ``/usr/lib/postgresql/<v>/bin``, ``initdb`` on PATH) or,
where there are none, from the binaries the ``pgserver`` wheel carries. It listens on
127.0.0.1 only, with trust authentication: it is for one machine's development and tests,
never for production, where the chart points the server at a real database.

Postgres refuses to run as root, so when we are root the server runs as the ``postgres``
user (or ``nobody``), which then owns the data directory and must be able to reach it.
Where it cannot -- a clone in root's home (mode 700) or in a ``mktemp -d`` folder -- the
cluster lives in a folder of its own under ``/var/lib/legato-dev`` (else
``/var/tmp/legato-dev``), owned by that user, and the data directory asked for becomes a
link to it; the folders on the way stay as private as they were. Binaries that user cannot
run (the pgserver wheel in a venv under root's home) are copied there once, likewise.
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
import stat
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)


# Where, as root, a cluster goes that the server user cannot reach where it was asked for:
# the first of these that is (or can be made) a folder of root's that nobody else may write.
RELOCATION_ROOTS = (Path("/var/lib/legato-dev"), Path("/var/tmp/legato-dev"))


class PostgresError(RuntimeError):
    """The embedded Postgres cannot be set up or started; the message says why."""


class PostgresNotFoundError(PostgresError):
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
    reuses its databases, which is what `legato-operator dev` wants across restarts. As
    root, ``data_dir`` may be a link to the folder the cluster really lives in (see the
    module's docstring); ``cluster_dir`` is that folder.
    """

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port or free_port()
        self.bindir = find_bindir()
        self._user = _server_user()

    @property
    def cluster_dir(self) -> Path:
        """The folder the cluster lives in: ``data_dir``, or where it links to."""
        return self.data_dir.resolve()

    @property
    def dsn(self) -> str:
        """Connection string of the cluster's ``postgres`` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """Connection string of one database of the cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Create the cluster if needed and start it; returns once it accepts connections.

        Raises:
            PostgresError: the cluster could not be placed, created or started.
        """
        cluster = self.initialize()
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        log_file = cluster / "server.log"
        self._run("pg_ctl", "-D", str(cluster), "-o", options, "-l", str(log_file), "-w", "start")
        where = str(cluster) if cluster == self.data_dir else f"{cluster}, linked from {self.data_dir}"
        log.info("Postgres started on 127.0.0.1:%d (data in %s)", self.port, where)

    def initialize(self) -> Path:
        """Create the cluster if there is none yet (initdb), without starting it; its folder.

        Raises:
            PostgresError: the cluster could not be placed or created.
        """
        cluster = self._place_cluster()
        if self._user is not None and not self._reaches(self.bindir / "initdb"):
            self.bindir = self._staged_bindir()
        if not (cluster / "PG_VERSION").exists():
            self._run("initdb", "-D", str(cluster), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale", "C")
        return cluster

    def copy_from(self, source: Path) -> None:
        """Make this (not yet created) cluster a copy of the stopped cluster in ``source``.

        Copying a cluster made once is much quicker than initdb, for servers started often
        (``legato.testing``); the copy belongs to the user Postgres runs as.
        """
        if self.data_dir.exists():
            raise PostgresError(f"{self.data_dir} exists: a cluster is copied only into a new folder")
        left_out = shutil.ignore_patterns("postmaster.pid", "server.log")
        shutil.copytree(source, self.data_dir, symlinks=True, ignore=left_out)
        if self._user is not None:
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                os.lchown(path, *self._user)
        self.data_dir.chmod(0o700)

    def stop(self) -> None:
        """Stop the cluster quickly, rolling back open transactions (``-m fast``)."""
        if (self.cluster_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.cluster_dir), "-m", "fast", "-w", "stop")

    def _place_cluster(self) -> Path:
        """The folder to keep the cluster in, created and owned by the server's user."""
        # Not root: Postgres runs as us, and what we may create we may reach.
        if self._user is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return self.data_dir
        # Placed elsewhere on an earlier start (or linked by hand): follow the link.
        if self.data_dir.is_symlink():
            if not self.cluster_dir.is_dir():
                raise PostgresError(f"{self.data_dir} links to {self.cluster_dir}, which is not a folder")
            cluster = self.cluster_dir
        # A cluster here already, or a place the server's user can reach: keep it here.
        elif (self.data_dir / "PG_VERSION").exists() or self._reachable_parent():
            self.data_dir.mkdir(exist_ok=True)
            cluster = self.data_dir
        # Out of the server user's reach (a folder of mode 700 on the way): a folder of its own.
        else:
            cluster = self._relocate()
        os.chown(cluster, *self._user)
        cluster.chmod(0o700)
        return cluster

    def _reachable_parent(self) -> bool:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        return self._reaches(self.data_dir.parent)

    def _relocate(self) -> Path:
        """A new folder for the cluster under a relocation root, and ``data_dir`` a link to it."""
        # An empty folder here is what an earlier, failed start left behind.
        with contextlib.suppress(OSError):
            self.data_dir.rmdir()
        if self.data_dir.exists():
            raise PostgresError(
                f"{self.data_dir} holds no Postgres cluster and is not empty, and the '{_user_name(self._user)}' "
                "user Postgres runs as (we are root) cannot reach it: give another --data-dir"
            )
        root = self._relocation_root()
        cluster = Path(tempfile.mkdtemp(prefix=f"{self.data_dir.parent.name.lstrip('.')}-", dir=root))
        self.data_dir.symlink_to(cluster, target_is_directory=True)
        log.info(
            "Postgres runs as '%s' (we are root), which cannot reach %s: its cluster is in %s, linked from there",
            _user_name(self._user),
            self.data_dir,
            cluster,
        )
        return cluster

    def _relocation_root(self) -> Path:
        """The first of ``RELOCATION_ROOTS`` that is root's alone and the server's user can reach."""
        for root in RELOCATION_ROOTS:
            with contextlib.suppress(OSError):
                root.mkdir(exist_ok=True)
                status = os.lstat(root)
                # Not a link, nor a folder someone else made or may write into.
                if stat.S_ISDIR(status.st_mode) and status.st_uid == 0 and not status.st_mode & 0o022:
                    root.chmod(0o755)
                    if self._reaches(root):
                        return root
        raise PostgresError(
            f"Postgres runs as '{_user_name(self._user)}' (we are root), which cannot reach {self.data_dir}, and "
            f"none of {', '.join(map(str, RELOCATION_ROOTS))} can hold its cluster instead: give a --data-dir "
            "that user can reach, or run as another user"
        )

    def _staged_bindir(self) -> Path:
        """A copy of the pgserver wheel's binaries that the server's user can run."""
        if self.bindir not in _pgserver_bindirs():
            raise PostgresError(
                f"Postgres runs as '{_user_name(self._user)}' (we are root), which cannot run the binaries in "
                f"{self.bindir}: set LEGATO_PG_BINDIR to binaries it can reach"
            )
        # The wheel's layout, kept: the binaries find their libraries at $ORIGIN/../../../pgserver.libs.
        package = self.bindir.parent.parent
        staged = self._relocation_root() / f"pgserver-{metadata.version('pgserver')}"
        if not (staged / "pgserver" / "pginstall" / "bin" / "initdb").exists():
            # Copied aside and renamed, so that a half-finished copy is never used.
            partial = Path(tempfile.mkdtemp(prefix="pgserver-", dir=staged.parent))
            shutil.copytree(package / "pginstall", partial / "pgserver" / "pginstall", symlinks=True)
            if (package.parent / "pgserver.libs").is_dir():
                shutil.copytree(package.parent / "pgserver.libs", partial / "pgserver.libs", symlinks=True)
            for folder in (partial, partial / "pgserver"):
                folder.chmod(0o755)
            with contextlib.suppress(OSError):
                partial.rename(staged)
            shutil.rmtree(partial, ignore_errors=True)
            log.info("Copied the pgserver binaries to %s, where '%s' can run them", staged, _user_name(self._user))
        return staged / "pgserver" / "pginstall" / "bin"

    def _reaches(self, path: Path) -> bool:
        """Whether the server's user may get to ``path``: asked of the system, as that user."""
        probe = ["/bin/sh", "-c", 'test -x "$1"', "sh", str(path)]
        return subprocess.run(probe, cwd="/", capture_output=True, **self._as_server_user()).returncode == 0

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        # The cwd, too, must be somewhere the server's user can reach: initdb changes back to it.
        cwd = self.cluster_dir
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, **self._as_server_user())
        if result.returncode != 0:
            raise PostgresError(f"{program} failed ({result.returncode}): {result.stderr or result.stdout}")

    def _as_server_user(self) -> dict[str, Any]:
        """subprocess arguments that run a child as the server's user, without root's groups."""
        if self._user is None:
            return {}
        uid, gid = self._user
        return {"user": uid, "group": gid, "extra_groups": []}

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
    raise PostgresError("Running as root and no 'postgres' or 'nobody' user to run Postgres as")


def _user_name(user: tuple[int, int] | None) -> str:
    if user is None:
        return pwd.getpwuid(os.geteuid()).pw_name
    return pwd.getpwuid(user[0]).pw_name
