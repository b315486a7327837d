"""The command tree and one run of it: parse, connect, call the command, explain a failure.

Every leaf command takes the connection flags and ``--output`` after its name
(``legato workflow list -n shop -o json``); a failure is printed to stderr as one line,
``legato: error: ...``, and the exit code says what kind it was (``errors``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from legato._cli import completion, connection, errors, operator, schedule, task_queue, workflow
from legato._cli.command import Context
from legato._cli.output import FORMATS, Output

DESCRIPTION = "Start, follow and change Legato workflows, schedules, task queues and namespaces."


def build_parser(prog: str = "legato") -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.set_defaults(handler=None, parser=parser)
    group = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = [_common_flags()]
    workflow.register(group, common)
    schedule.register(group, common)
    task_queue.register(group, common)
    operator.register(group, common)
    completion.register(group, parser)
    return parser


def _common_flags() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--output", "-o", choices=FORMATS, default="table", help="output format (default: table)")
    connection.add_flags(parser)
    return parser


def _version() -> str:
    try:
        return metadata.version("legato")
    except metadata.PackageNotFoundError:
        return "unknown"


def run(argv: Sequence[str] | None, prog: str = "legato", *, kubectl_plugin: bool = False) -> int:
    """Run one command line; its exit code.

    ``kubectl_plugin``: run as ``kubectl legato``, whose default credentials are the
    kubeconfig's (``connection.resolve``).
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    # --help and --version exit 0; a usage error exits 2 after argparse printed it.
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else errors.USAGE
    # A command that needs no server (completion).
    if getattr(args, "offline", None) is not None:
        return int(args.offline(args, sys.stdout))
    # A group without its command: show what it holds.
    if args.handler is None:
        args.parser.print_help(sys.stderr)
        return errors.USAGE
    return _connected(args, kubectl_plugin)


def _connected(args: argparse.Namespace, kubectl_plugin: bool) -> int:
    # Until the settings are resolved, a failure (a bad profile) names the flag's address.
    settings = connection.Settings(address=args.address or connection.DEFAULT_ADDRESS, namespace="")
    try:
        settings = connection.resolve(args, os.environ, kubectl_plugin=kubectl_plugin)
        return asyncio.run(_call(args, settings))
    # Ctrl-C (a followed history, a long result): no traceback, the shell's code.
    except KeyboardInterrupt:
        return 130
    # The reader went away (`| head`): nothing more to print, and nothing failed.
    except BrokenPipeError:
        _silence_stdout()
        return errors.OK
    except Exception as e:
        error = errors.explain(
            e, address=settings.shown_address, credentials=settings.credentials, token_hint=settings.token_hint
        )
        print(f"legato: error: {error.message}", file=sys.stderr)
        return error.code


def _silence_stdout() -> None:
    # Python flushes stdout at exit, which would fail on the closed pipe once more.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


async def _call(args: argparse.Namespace, settings: connection.Settings) -> int:
    client = await connection.connect(settings)
    try:
        return int(await args.handler(Context(args, client, Output(args.output, sys.stdout), settings)))
    finally:
        await client.close()
