"""The process lifecycles: ``run`` (server, plus the reconcilers unless ``--no-kubernetes``),
``dev`` (an embedded Postgres first, and ``--then``'s command), ``migrate``; the signals
that stop them; the authenticator ``--auth`` and ``--tokens-file`` ask for, and the refusal
to serve every caller on an address others can reach unless told to.

SIGTERM and SIGINT stop the process cleanly; all state is in Postgres, so ``kill -9`` at
any moment loses nothing either.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import NoReturn

from legato_operator import postgres
from legato_operator.api import auth
from legato_operator.engine.rules.retention import Retention
from legato_operator.k8s import context, kube, leader, reconcilers, token_review
from legato_operator.k8s.scope import Scope
from legato_operator.main import admin, process
from legato_operator.store import db

log = logging.getLogger("legato_operator")

DEV_DATABASE = "legato"


async def main(args: argparse.Namespace) -> int:
    """Run the command ``args`` name; returns the exit status."""
    if args.command == "migrate":
        return await _migrate(args.database_url)
    if args.command in admin.COMMANDS:
        return await admin.main(args)
    _refuse_unauthenticated_exposure(args)
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


def _options(args: argparse.Namespace, database_url: str, kube_client: kube.Kube | None = None) -> process.Options:
    return process.Options(
        database_url=database_url,
        host=args.host,
        port=args.port,
        max_payload_bytes=args.max_payload_bytes,
        clock_offset=args.clock_offset,
        time_skipping=args.time_skipping,
        retention=Retention(default=args.retention, namespaces=args.namespace_retention),
        namespaces=args.namespaces,
        authenticator=_authenticator(args, kube_client),
    )


def _auth_mode(args: argparse.Namespace) -> str:
    if args.auth is not None:
        return str(args.auth)
    # `run` talks to Kubernetes unless told not to; without it only a tokens file can say who calls.
    if args.command == "run" and not args.no_kubernetes:
        return "kubernetes"
    return "tokens" if args.tokens_file else "none"


def _refuse_unauthenticated_exposure(args: argparse.Namespace) -> None:
    """Exit 2 rather than let anyone who reaches the port act in every namespace, unless told to."""
    # Said explicitly (--auth / LEGATO_AUTH), or not unauthenticated, or only this machine can call.
    if args.auth is not None or _auth_mode(args) != "none" or _is_loopback(args.host):
        return
    _exit_usage(
        f"refusing to serve without authentication on {args.host}, which is not a loopback address: anyone "
        f"who can reach port {args.port} could act in every namespace. Give --tokens-file PATH (or "
        "LEGATO_TOKENS_FILE) to require static tokens, listen on 127.0.0.1 (--host), or pass --auth none "
        "(LEGATO_AUTH=none) to serve without authentication on purpose"
    )


def _is_loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback one (127.0.0.0/8, ::1)."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    # Unresolvable: binding will fail anyway; refuse rather than guess.
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def _auth_summary(args: argparse.Namespace) -> str:
    """Which authentication is in force, for the startup line."""
    mode = _auth_mode(args)
    tokens = f"static tokens from {args.tokens_file}" if args.tokens_file else ""
    if mode == "none" and args.auth is None:
        return "authentication off (loopback only): every caller on this machine may act in every namespace"
    if mode == "none":
        return "authentication off (--auth none): every caller may act in every namespace"
    if mode == "tokens":
        return f"authentication: {tokens}"
    return "authentication: Kubernetes ServiceAccount tokens (TokenReview)" + (f" and {tokens}" if tokens else "")


def _authenticator(args: argparse.Namespace, kube_client: kube.Kube | None) -> auth.Authenticator | None:
    """The authenticator of ``--auth`` and ``--tokens-file``; exits 2 on a bad tokens file or kubeconfig."""
    mode = _auth_mode(args)
    if mode == "tokens" and not args.tokens_file:
        _exit_usage("--auth tokens needs --tokens-file PATH (or LEGATO_TOKENS_FILE)")
    if mode == "none":
        if args.tokens_file:
            _exit_usage("--tokens-file needs --auth tokens or --auth kubernetes")
        return None
    chain: list[auth.Authenticator] = []
    if args.tokens_file:
        try:
            chain.append(auth.StaticTokens.from_file(args.tokens_file))
        except auth.TokensFileError as e:
            _exit_usage(str(e))
    if mode == "kubernetes":
        watched = frozenset(getattr(args, "watch_namespaces", ())) or None
        chain.append(token_review.KubernetesAuthenticator(kube_client or _kube_client(args), watched=watched))
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


async def _run(options: process.Options, args: argparse.Namespace, client: kube.Kube | None) -> int:
    async with process.serve(options) as serving:
        level = logging.WARNING if _auth_mode(args) == "none" else logging.INFO
        log.log(level, "Legato server on %s; %s", serving.address, _auth_summary(args))
        if args.no_kubernetes or client is None:
            await _until_signal()
        else:
            await _operate(serving, args, client)
    return 0


async def _operate(serving: process.Server, args: argparse.Namespace, client: kube.Kube) -> None:
    """Reconcile while leading, until SIGTERM/SIGINT (or kopf stops by itself)."""
    ctx = context.OperatorContext(
        runtime=serving.runtime,
        kube=client,
        server_address=args.advertise_address or serving.address,
        status_interval=args.status_interval,
        cancel_grace=args.cancel_grace,
        scale_interval=args.scale_interval,
        stuck_after=args.stuck_after,
        ttl_after_finished=args.workflow_ttl_after_finished.total_seconds()
        if args.workflow_ttl_after_finished is not None
        else None,
        scope=Scope(namespaces=args.watch_namespaces, instance=args.instance),
    )
    log.info("Reconciling %s", ctx.scope.describe())
    elector = leader.LeaderElector(client, namespace=args.lease_namespace, name=args.lease_name, identity=args.identity)
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    reconciling = asyncio.create_task(reconcilers.run(ctx, elector, on_ready=lambda: _install_signal_handlers(stop)))
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
    try:
        async with postgres.EmbeddedPostgres(data_dir / "postgres") as pg:
            await db.ensure_database(pg.dsn, DEV_DATABASE)
            return await _serve_dev(args, pg.dsn_for(DEV_DATABASE))
    # No binaries, or a cluster that cannot be created or started: the message says why.
    except postgres.PostgresError as e:
        print(f"legato-operator: {e}", file=sys.stderr)
        return 1


async def _serve_dev(args: argparse.Namespace, database_url: str) -> int:
    async with process.serve(_options(args, database_url)) as serving:
        print(f"Legato dev server on {serving.address} (Postgres {database_url}); {_auth_summary(args)}", flush=True)
        # A wildcard host listens on loopback too, the address a browser here can open.
        ui_host = "127.0.0.1" if serving.host in ("", "0.0.0.0", "::") else serving.host
        ui = f"http://{ui_host}:{serving.port}/ui/"
        if args.then is None:
            print(f"UI: {ui}", flush=True)
            await _until_signal()
            return 0
        until = "" if args.keep_running else " (until the command ends; --keep-running to keep it)"
        print(f"UI: {ui}{until}", flush=True)
        status = await _then(args.then, serving.address)
        if args.keep_running:
            print(f"Still serving; UI: {ui} (Ctrl-C stops)", flush=True)
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
