"""What every command is given, and how a command is added to the tree.

A command is a coroutine taking a ``Context`` and returning its exit code; it reaches the
server only through the public client (``legato.client``) it is handed.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from legato._cli.connection import Settings
from legato._cli.output import Output
from legato.client import Client

# argparse's sub-command group; its type is private to argparse.
Group = Any


@dataclass
class Context:
    """The parsed flags, the client, where to print, and the settings it connected with."""

    args: argparse.Namespace
    client: Client
    out: Output
    settings: Settings


Handler = Callable[[Context], Awaitable[int]]


def add_group(group: Group, name: str, summary: str) -> Group:
    """A command that only holds others (``workflow``, ``schedule``, ...)."""
    parser = group.add_parser(name, help=summary, description=summary)
    parser.set_defaults(handler=None, parser=parser)
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def add_command(
    group: Group, name: str, summary: str, handler: Handler, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    """A command that runs ``handler``, with the shared flags of ``parents``."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=summary, description=summary, parents=list(parents))
    parser.set_defaults(handler=handler, parser=parser)
    return parser
