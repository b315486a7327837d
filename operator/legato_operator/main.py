"""The ``legato-operator`` command line: run, dev, migrate.

::

    legato-operator run [--no-kubernetes] [--database-url URL] [--host H] [--port P]
                        [--max-payload-bytes N] [--clock-offset SECONDS]
                        [--kubeconfig FILE] [--lease-namespace NS] [--advertise-address HOST:PORT]
                        [--scale-interval SECONDS]
                        [--status-interval SECONDS] [--cancel-grace SECONDS]
    legato-operator migrate [--database-url URL]
    legato-operator dev [--port P] [--host H] [--data-dir DIR] [--then CMD] [--keep-running]

Both `run` and `dev` take [--auth none|kubernetes|tokens] [--tokens-file PATH].

``--database-url`` defaults to ``LEGATO_DATABASE_URL`` and ``--port`` to ``LEGATO_PORT``
(else 7233). SIGTERM and SIGINT stop the process cleanly; all state is in Postgres, so
``kill -9`` at any moment loses nothing either.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from legato_operator import limits, postgres
from legato_operator.api import auth, server
from legato_operator.k8s import auth as k8s_auth
from legato_operator.k8s import context, kube, leader, operator
from legato_operator.store import db

log = logging.getLogger("legato_operator")

DEFAULT_PORT = 7233
DEV_DATABASE = "legato"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legato-operator", description="Legato's server and operator.")
    parser.add_argument("--log-level", default=os.environ.get("LEGATO_LOG_LEVEL", "INFO"))
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the API, fire timers and (unless --no-kubernetes) reconcile")
    _server_options(run, host="0.0.0.0", auth=None)
    run.add_argument("--no-kubernetes", action="store_true", help="serve without the Kubernetes operator")
    run.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"), help="default: in-cluster, else ~/.kube")
    run.add_argument(
        "--lease-namespace",
        default=os.environ.get("LEGATO_OPERATOR_NAMESPACE", "default"),
        help="namespace of the Lease that elects the replica running the reconcilers",
    )
    run.add_argument(
        "--advertise-address",
        default=os.environ.get("LEGATO_ADVERTISE_ADDRESS"),
        help="host:port workers are given as LEGATO_ADDRESS (default: --host:--port)",
    )
    run.add_argument("--identity", default=f"{socket.gethostname()}-{os.getpid()}", help="this replica's name")
    run.add_argument(
        "--scale-interval",
        type=float,
        default=float(os.environ.get("LEGATO_SCALE_INTERVAL", 5.0)),
        metavar="SECONDS",
        help="how often the leader reads every TaskQueue's backlog and scales its workers (default 5)",
    )
    run.add_argument(
        "--status-interval",
        type=float,
        default=float(os.environ.get("LEGATO_STATUS_INTERVAL", 2.0)),
        metavar="SECONDS",
        help="write a running Workflow's status back at most this often (a close is written at once)",
    )
    run.add_argument(
        "--cancel-grace",
        type=float,
        default=float(os.environ.get("LEGATO_CANCEL_GRACE", 30.0)),
        metavar="SECONDS",
        help="how long deleting a Workflow with onDelete: Cancel waits for its run to close before terminating it",
    )
    run.add_argument("--database-url", default=os.environ.get("LEGATO_DATABASE_URL"))
    migrate = commands.add_parser("migrate", help="apply the database migrations and exit")
    migrate.add_argument("--database-url", default=os.environ.get("LEGATO_DATABASE_URL"))
    dev = commands.add_parser("dev", help="embedded Postgres + server, for a laptop")
    _server_options(dev, host="127.0.0.1", auth="none")
    dev.add_argument("--data-dir", type=lambda p: Path(p).absolute(), default=Path(".legato-dev").absolute())
    dev.add_argument("--then", metavar="CMD", help="run this shell command with LEGATO_ADDRESS set, then exit")
    dev.add_argument("--keep-running", action="store_true", help="keep serving after --then's command ends")
    return parser


def _server_options(parser: argparse.ArgumentParser, *, host: str, auth: str | None) -> None:
    parser.add_argument("--host", default=host)
    parser.add_argument("--port", type=int, default=int(os.environ.get("LEGATO_PORT", DEFAULT_PORT)))
    parser.add_argument("--max-payload-bytes", type=int, default=limits.DEFAULT_MAX_PAYLOAD_BYTES)
    parser.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="run the server's clock ahead by this much (tests)",
    )
    _auth_options(parser, default=auth)


AUTH_MODES = ("none", "kubernetes", "tokens")


def _auth_options(parser: argparse.ArgumentParser, *, default: str | None) -> None:
    # default None (run): kubernetes, or with --no-kubernetes tokens/none (see _auth_mode).
    parser.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default=os.environ.get("LEGATO_AUTH", default),
        help="who may call the API: none (everyone: dev only), kubernetes (ServiceAccount tokens by "
        "TokenReview), tokens (only --tokens-file); default: "
        + (default or "kubernetes, or with --no-kubernetes tokens if --tokens-file is given, else none"),
    )
    parser.add_argument(
        "--tokens-file",
        metavar="PATH",
        default=os.environ.get("LEGATO_TOKENS_FILE"),
        help="YAML/JSON {tokens: [{name, token, namespaces}]} of static client tokens; with --auth kubernetes "
        "they are accepted besides ServiceAccount tokens",
    )


def cli(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``legato-operator`` script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(_main(args)))


async def _main(args: argparse.Namespace) -> int:
    if args.command == "migrate":
        return await _migrate(args.database_url)
    if args.command == "run":
        if not args.database_url:
            print("legato-operator: --database-url or LEGATO_DATABASE_URL is required", file=sys.stderr)
            return 2
        client = None if args.no_kubernetes and _auth_mode(args) != "kubernetes" else _kube_client(args)
        try:
            return await _run(_options(args, args.database_url, client), args, client)
        finally:
            if client is not None:
                client.close()
    return await _dev(args)


def _options(args: argparse.Namespace, database_url: str, kube_client: kube.Kube | None = None) -> server.Options:
    return server.Options(
        database_url=database_url,
        host=args.host,
        port=args.port,
        max_payload_bytes=args.max_payload_bytes,
        clock_offset=args.clock_offset,
        authenticator=_authenticator(args, kube_client),
    )


def _auth_mode(args: argparse.Namespace) -> str:
    if args.auth is not None:
        return str(args.auth)
    # `run` talks to Kubernetes unless told not to; without it only a tokens file can say who calls.
    if not getattr(args, "no_kubernetes", False):
        return "kubernetes"
    return "tokens" if args.tokens_file else "none"


def _authenticator(args: argparse.Namespace, kube_client: kube.Kube | None) -> auth.Authenticator | None:
    """The authenticator of ``--auth`` and ``--tokens-file``; exits 2 on a bad tokens file or kubeconfig."""
    mode = _auth_mode(args)
    if mode == "tokens" and not args.tokens_file:
        _exit_usage("--auth tokens needs --tokens-file PATH (or LEGATO_TOKENS_FILE)")
    if mode == "none":
        if args.tokens_file:
            _exit_usage("--tokens-file needs --auth tokens or --auth kubernetes")
        log.warning("Authentication is off (--auth none): every caller may act in every namespace")
        return None
    chain: list[auth.Authenticator] = []
    if args.tokens_file:
        try:
            chain.append(auth.StaticTokens.from_file(args.tokens_file))
        except auth.TokensFileError as e:
            _exit_usage(str(e))
    if mode == "kubernetes":
        chain.append(k8s_auth.KubernetesAuthenticator(kube_client or _kube_client(args)))
    log.info("Authentication: %s%s", mode, f" + tokens from {args.tokens_file}" if args.tokens_file else "")
    return chain[0] if len(chain) == 1 else auth.FirstOf(chain)


def _kube_client(args: argparse.Namespace) -> kube.Kube:
    """The one Kubernetes client of the process (reconcilers and TokenReview); exits 2 without config."""
    try:
        return kube.Kube(kube.load_api_client(getattr(args, "kubeconfig", None)))
    except Exception as e:
        _exit_usage(f"no access to the Kubernetes API (--kubeconfig, in-cluster or ~/.kube/config): {e}")


def _exit_usage(message: str) -> NoReturn:
    print(f"legato-operator: {message}", file=sys.stderr)
    raise SystemExit(2)


async def _migrate(database_url: str | None) -> int:
    if not database_url:
        print("legato-operator: --database-url or LEGATO_DATABASE_URL is required", file=sys.stderr)
        return 2
    pool = await db.connect(database_url, min_size=1, max_size=1)
    try:
        applied = await db.migrate(pool)
    finally:
        await pool.close()
    print(f"Applied {len(applied)} migration(s): {', '.join(applied) or 'none, up to date'}")
    return 0


async def _run(options: server.Options, args: argparse.Namespace, client: kube.Kube | None) -> int:
    async with server.serve(options) as serving:
        if args.no_kubernetes or client is None:
            await _until_signal()
        else:
            await _operate(serving, args, client)
    return 0


async def _operate(serving: server.Server, args: argparse.Namespace, client: kube.Kube) -> None:
    """Reconcile while leading, until SIGTERM/SIGINT (or kopf stops by itself)."""
    ctx = context.OperatorContext(
        runtime=serving.runtime,
        kube=client,
        server_address=args.advertise_address or serving.address,
        status_interval=args.status_interval,
        cancel_grace=args.cancel_grace,
        scale_interval=args.scale_interval,
    )
    elector = leader.LeaderElector(client, namespace=args.lease_namespace, identity=args.identity)
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    reconciling = asyncio.create_task(operator.run(ctx, elector, on_ready=lambda: _install_signal_handlers(stop)))
    await asyncio.wait({reconciling, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    log.info("Stopping")
    reconciling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reconciling


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _until_signal() -> None:
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    await stop.wait()
    log.info("Stopping")


async def _dev(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    async with postgres.EmbeddedPostgres(data_dir / "postgres") as pg:
        await db.ensure_database(pg.dsn, DEV_DATABASE)
        async with server.serve(_options(args, pg.dsn_for(DEV_DATABASE))) as serving:
            print(f"Legato dev server on {serving.address} (Postgres {pg.dsn_for(DEV_DATABASE)})", flush=True)
            if args.then is None:
                await _until_signal()
                return 0
            status = await _then(args.then, serving.address)
            if args.keep_running:
                await _until_signal()
            return status


async def _then(command: str, address: str) -> int:
    env = {**os.environ, "LEGATO_ADDRESS": address}
    child = await asyncio.create_subprocess_shell(command, env=env)
    waiting = asyncio.ensure_future(child.wait())
    stopping = asyncio.ensure_future(_until_signal())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    # Stopped before the command ended: take it down with us.
    if not waiting.done():
        with contextlib.suppress(ProcessLookupError):
            child.terminate()
        await waiting
    stopping.cancel()
    return child.returncode if child.returncode is not None else 1
