"""``legato-operator search-attributes`` and ``namespaces``: the administrator's commands.

They act on the database straight (``--database-url``), through the same engine functions
as the API, so what they refuse and how is the API's: an unknown type, a reserved name or
a name registered with another type exits 1 with the server's message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

from legato.api.namespace import v1 as namespace_api
from legato.api.operatorservice import v1 as operator_api
from legato_operator import clock, errors
from legato_operator.engine.rules import retention
from legato_operator.engine.services import namespaces, runner
from legato_operator.store import db

SEARCH_ATTRIBUTES, NAMESPACES = "search-attributes", "namespaces"
COMMANDS = {
    SEARCH_ATTRIBUTES: "add, remove or list a namespace's custom search attributes",
    NAMESPACES: "register, describe or list namespaces",
}
_TYPES = ", ".join(t.value for t in operator_api.SearchAttributeType)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], database_url: str | None) -> None:
    """The two commands' parsers (``database_url``: the environment's default)."""
    attributes = commands.add_parser(SEARCH_ATTRIBUTES, help=COMMANDS[SEARCH_ATTRIBUTES])
    attributes.add_argument("action", choices=("add", "remove", "list"))
    attributes.add_argument("items", nargs="*", metavar="NAME[=TYPE]", help=f"for add, NAME=TYPE; TYPE one of {_TYPES}")
    attributes.add_argument("--namespace", default="default")
    spaces = commands.add_parser(NAMESPACES, help=COMMANDS[NAMESPACES])
    spaces.add_argument("action", choices=("register", "describe", "list"))
    spaces.add_argument("name", nargs="?")
    spaces.add_argument("--retention", type=retention.parse_duration, help="as 7d or 72h (unset: the server's)")
    spaces.add_argument("--description", default="")
    for sub in (attributes, spaces):
        sub.add_argument("--database-url", default=database_url, help="the Postgres DSN [$LEGATO_DATABASE_URL]")


async def main(args: argparse.Namespace) -> int:
    """Run an administrator's command; 2 for a usage error, 1 for a refusal."""
    if not args.database_url:
        print("legato-operator: --database-url or LEGATO_DATABASE_URL is required", file=sys.stderr)
        return 2
    act = _search_attributes if args.command == SEARCH_ATTRIBUTES else _namespaces
    pool = await db.connect(args.database_url, min_size=1, max_size=2)
    try:
        await act(runner.Runtime(pool=pool, clock=clock.Clock()), args)
    except (errors.OperatorError, ValueError) as e:
        print(f"legato-operator: {e}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    return 0


async def _search_attributes(rt: runner.Runtime, args: argparse.Namespace) -> None:
    await namespaces.require(rt, args.namespace)
    if args.action == "add":
        pairs = dict(_pair(item) for item in args.items)
        await namespaces.add_search_attributes(
            rt, args.namespace, operator_api.AddSearchAttributesRequest(search_attributes=pairs)
        )
    elif args.action == "remove":
        await namespaces.remove_search_attributes(
            rt, args.namespace, operator_api.RemoveSearchAttributesRequest(search_attributes=args.items)
        )
    listed = await namespaces.list_search_attributes(rt, args.namespace, operator_api.ListSearchAttributesRequest())
    for name, type_ in sorted(listed.custom_attributes.items()):
        print(f"{name}\t{type_.value}")


def _pair(item: str) -> tuple[str, operator_api.SearchAttributeType]:
    name, sep, type_ = item.partition("=")
    if not sep:
        raise ValueError(f"{item!r}: write NAME=TYPE, TYPE one of {_TYPES}")
    try:
        return name, operator_api.SearchAttributeType(type_)
    except ValueError:
        raise ValueError(f"{item!r}: {type_!r} is not a search attribute type ({_TYPES})") from None


async def _namespaces(rt: runner.Runtime, args: argparse.Namespace) -> None:
    actions: dict[str, Callable[[runner.Runtime, argparse.Namespace], Awaitable[None]]] = {
        "register": _register,
        "describe": _describe,
        "list": _list,
    }
    await actions[args.action](rt, args)


async def _register(rt: runner.Runtime, args: argparse.Namespace) -> None:
    period: timedelta | None = args.retention
    request = namespace_api.RegisterNamespaceRequest(
        description=args.description,
        workflow_execution_retention_period=None if period is None else period.total_seconds(),
    )
    _print(await namespaces.register_namespace(rt, _named(args), request))


async def _describe(rt: runner.Runtime, args: argparse.Namespace) -> None:
    _print(await namespaces.describe_namespace(rt, _named(args), namespace_api.DescribeNamespaceRequest()))


async def _list(rt: runner.Runtime, args: argparse.Namespace) -> None:
    token = None
    while True:
        page = await namespaces.list_namespaces(rt, "", namespace_api.ListNamespacesRequest(next_page_token=token))
        for ns in page.namespaces:
            _print(ns)
        if (token := page.next_page_token) is None:
            return


def _named(args: argparse.Namespace) -> str:
    if not args.name:
        raise ValueError(f"namespaces {args.action} needs the namespace's name")
    name: str = args.name
    return name


def _print(ns: namespace_api.DescribeNamespaceResponse) -> None:
    days = ns.config.workflow_execution_retention_ttl / 86400
    print(f"{ns.namespace_info.name}\tretention {days:g}d\t{ns.namespace_info.description}")
