"""``legato operator namespace|search-attribute ...``: what an operator of the server sets up.

Namespace commands act on the namespace of ``--namespace`` (as every other call does);
``list`` and ``create`` need a caller allowed in every namespace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from legato._cli import errors, values
from legato._cli.command import Context, Group, add_command, add_group
from legato._cli.output import fields, table
from legato.api.namespace import v1 as namespaces
from legato.api.operatorservice import v1 as operator

TYPES = [t.value for t in operator.SearchAttributeType]


def register(root: Group, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``operator`` and its commands to the tree."""
    group = add_group(root, "operator", "Manage namespaces and search attributes.")
    ns = add_group(group, "namespace", "Register, describe and change namespaces.")
    add_command(ns, "list", "List the server's namespaces.", list_namespaces, parents)
    add_command(ns, "describe", "Show the namespace of --namespace.", describe_namespace, parents)
    _namespace_flags(add_command(ns, "create", "Register the namespace of --namespace.", create_namespace, parents))
    _namespace_flags(add_command(ns, "update", "Change the namespace of --namespace.", update_namespace, parents))
    sa = add_group(group, "search-attribute", "Register and remove custom search attributes.")
    add_command(sa, "list", "List the namespace's search attributes and their types.", list_attributes, parents)
    create = add_command(sa, "create", "Register custom search attributes.", create_attributes, parents)
    create.add_argument("--name", action="append", required=True, help="attribute name (repeatable)")
    create.add_argument("--type", action="append", required=True, choices=TYPES, help="its type, one per --name")
    remove = add_command(sa, "remove", "Unregister custom search attributes.", remove_attributes, parents)
    remove.add_argument("--name", action="append", required=True, help="attribute name (repeatable)")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _namespace_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description", help="what the namespace is for")
    parser.add_argument("--email", "--owner-email", dest="owner_email", help="who to ask about it")
    parser.add_argument("--retention", help="how long closed runs are kept, as 7d or 72h")
    parser.add_argument("--data", action="append", help="KEY=VALUE kept with the namespace (repeatable)")


def _namespace_lines(ns: namespaces.DescribeNamespaceResponse) -> list[str]:
    retention = values.seconds_text(ns.config.workflow_execution_retention_ttl)
    info = ns.namespace_info
    summary = {
        "Name": info.name,
        "ID": info.id,
        "State": info.state,
        "Description": info.description,
        "Owner": info.owner_email,
        "Retention": f"{retention} (the server's setting)" if ns.config.retention_from_server else retention,
        "Data": ", ".join(f"{k}={v}" for k, v in info.data.items()),
        "Created": values.time_text(ns.created_time),
        "Updated": values.time_text(ns.updated_time),
    }
    return fields(summary)


async def list_namespaces(ctx: Context) -> int:
    """Print every namespace, by name."""
    found: list[namespaces.DescribeNamespaceResponse] = []
    token: str | None = None
    while True:
        page = await ctx.client.workflow_service.list_namespaces(
            namespaces.ListNamespacesRequest(next_page_token=token)
        )
        found += page.namespaces
        token = page.next_page_token
        if not token:
            break
    rows = [[n.namespace_info.name, n.namespace_info.state, _retention(n), n.namespace_info.description] for n in found]
    ctx.out.emit(values.jsonable(found), table(rows, ["NAME", "STATE", "RETENTION", "DESCRIPTION"]))
    return errors.OK


def _retention(ns: namespaces.DescribeNamespaceResponse) -> str:
    return values.seconds_text(ns.config.workflow_execution_retention_ttl)


async def describe_namespace(ctx: Context) -> int:
    """Print the namespace."""
    ns = await ctx.client.workflow_service.describe_namespace()
    ctx.out.emit(values.jsonable(ns), _namespace_lines(ns))
    return errors.OK


def _retention_seconds(ctx: Context) -> float | None:
    return values.duration(ctx.args.retention).total_seconds() if ctx.args.retention else None


async def create_namespace(ctx: Context) -> int:
    """Register the namespace."""
    request = namespaces.RegisterNamespaceRequest(
        description=ctx.args.description or "",
        owner_email=ctx.args.owner_email or "",
        workflow_execution_retention_period=_retention_seconds(ctx),
        data=values.key_values(ctx.args.data, "--data", as_json=False),
    )
    ns = await ctx.client.workflow_service.register_namespace(request)
    ctx.out.emit(values.jsonable(ns), [f"Namespace {ns.namespace_info.name!r} registered."])
    return errors.OK


async def update_namespace(ctx: Context) -> int:
    """Change what the flags give; the rest stays."""
    request = namespaces.UpdateNamespaceRequest(
        description=ctx.args.description,
        owner_email=ctx.args.owner_email,
        workflow_execution_retention_ttl=_retention_seconds(ctx),
        data=values.key_values(ctx.args.data, "--data", as_json=False),
    )
    ns = await ctx.client.workflow_service.update_namespace(request)
    ctx.out.emit(values.jsonable(ns), _namespace_lines(ns))
    return errors.OK


async def list_attributes(ctx: Context) -> int:
    """Print the custom search attributes, then the system ones."""
    listed = await ctx.client.operator_service.list_search_attributes()
    rows = [[name, kind.value, "custom"] for name, kind in sorted(listed.custom_attributes.items())]
    rows += [[name, kind.value, "system"] for name, kind in sorted(listed.system_attributes.items())]
    ctx.out.emit(values.jsonable(listed), table(rows, ["NAME", "TYPE", "KIND"]))
    return errors.OK


async def create_attributes(ctx: Context) -> int:
    """Register each ``--name`` with the ``--type`` in its position."""
    names, types = ctx.args.name, ctx.args.type
    if len(names) != len(types):
        raise errors.UsageError(f"give one --type for each --name ({len(names)} names, {len(types)} types)")
    wanted = {name: operator.SearchAttributeType(kind) for name, kind in zip(names, types, strict=True)}
    await ctx.client.operator_service.add_search_attributes(
        operator.AddSearchAttributesRequest(search_attributes=wanted)
    )
    ctx.out.emit({"added": list(wanted)}, [f"Search attributes added: {', '.join(wanted)}."])
    return errors.OK


async def remove_attributes(ctx: Context) -> int:
    """Unregister the ``--name`` attributes, after a confirmation unless ``--yes``."""
    names = ctx.args.name
    if not ctx.args.yes and not _confirmed(f"Remove search attributes {', '.join(names)} from {ctx.client.namespace}?"):
        raise errors.CliError("not confirmed; nothing removed")
    request = operator.RemoveSearchAttributesRequest(search_attributes=names)
    await ctx.client.operator_service.remove_search_attributes(request)
    ctx.out.emit({"removed": names}, [f"Search attributes removed: {', '.join(names)}."])
    return errors.OK


def _confirmed(question: str) -> bool:
    # Nobody at a terminal to answer: a script must say --yes.
    if not sys.stdin.isatty():
        raise errors.UsageError("give --yes to remove search attributes without a terminal to confirm at")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
