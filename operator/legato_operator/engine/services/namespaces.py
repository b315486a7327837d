"""Namespaces as objects, and their custom search attributes.

Every call in a namespace first checks that it is registered (`require`): a name once seen
is remembered by this process (namespaces are never deleted), so the check costs a
database read only the first time. ``default`` exists from the first migration; in
Kubernetes the operator registers each namespace it reconciles resources in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import timedelta

from legato.api.namespace import v1 as api
from legato.api.operatorservice import v1 as op_api
from legato_operator import errors
from legato_operator.engine.rules import retention, search_attributes
from legato_operator.engine.services import runner
from legato_operator.store import db, namespaces, rows

# Temporal's rule for a namespace name, and a DNS label (a Kubernetes namespace) is one.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


async def require(rt: runner.Runtime, namespace: str) -> None:
    """Refuse a call in a namespace that is not registered (404, Temporal's message)."""
    if namespace in rt.known_namespaces:
        return
    if await rt.query(namespaces.get, namespace) is None:
        raise errors.NotFound(f"Namespace {namespace} is not found.")
    rt.known_namespaces.add(namespace)


async def ensure(rt: runner.Runtime, namespace: str) -> None:
    """Register ``namespace`` with the server's settings unless it exists (the operator's
    namespaces: each Kubernetes namespace it reconciles resources in)."""
    if namespace not in rt.known_namespaces:
        _check_name(namespace)
        await rt.query(namespaces.ensure, namespace, rt.clock.now())
        rt.known_namespaces.add(namespace)


async def register_namespace(
    rt: runner.Runtime, namespace: str, request: api.RegisterNamespaceRequest
) -> api.DescribeNamespaceResponse:
    """Register the namespace of the path; 409 when it exists."""
    _check_name(namespace)
    now = rt.clock.now()
    ns = rows.Namespace(
        name=namespace,
        id=str(uuid.uuid4()),
        description=request.description,
        owner_email=request.owner_email,
        data=dict(request.data),
        retention=_retention(request.workflow_execution_retention_period, "workflow_execution_retention_period"),
        created_at=now,
        updated_at=now,
    )
    if not await rt.query(namespaces.insert, ns):
        raise errors.AlreadyExists(f'Namespace "{namespace}" already exists')
    rt.known_namespaces.add(namespace)
    return _described(rt, ns)


async def describe_namespace(
    rt: runner.Runtime, namespace: str, request: api.DescribeNamespaceRequest
) -> api.DescribeNamespaceResponse:
    """The namespace, with the retention in force for it."""
    return _described(rt, _found(await rt.query(namespaces.get, namespace), namespace))


async def update_namespace(
    rt: runner.Runtime, namespace: str, request: api.UpdateNamespaceRequest
) -> api.DescribeNamespaceResponse:
    """Change what the request gives; ``data`` keys are upserted, as Temporal's update_info."""
    period = _retention(request.workflow_execution_retention_ttl, "workflow_execution_retention_ttl")

    async def change(tx: runner.Tx) -> rows.Namespace:
        ns = await _get(tx.conn, namespace, lock=True)
        updated = rows.Namespace(
            name=ns.name,
            id=ns.id,
            description=ns.description if request.description is None else request.description,
            owner_email=ns.owner_email if request.owner_email is None else request.owner_email,
            data={**ns.data, **request.data},
            retention=ns.retention if period is None else period,
            created_at=ns.created_at,
            updated_at=rt.clock.now(),
        )
        await namespaces.update(tx.conn, updated)
        return updated

    return _described(rt, await rt.run("update_namespace", change))


async def list_namespaces(
    rt: runner.Runtime, _namespace: str, request: api.ListNamespacesRequest
) -> api.ListNamespacesResponse:
    """A page of the namespaces, by name; the token is the last name of the page."""
    page = await rt.query(namespaces.page, request.next_page_token or "", request.page_size + 1)
    more = len(page) > request.page_size
    page = page[: request.page_size]
    return api.ListNamespacesResponse(
        namespaces=[_described(rt, ns) for ns in page], next_page_token=page[-1].name if more else None
    )


# --- search attributes -------------------------------------------------------------------


async def add_search_attributes(rt: runner.Runtime, namespace: str, request: op_api.AddSearchAttributesRequest) -> None:
    """Register custom attributes; one registered already with the same type is left as it is."""

    async def change(tx: runner.Tx) -> None:
        await _get(tx.conn, namespace, lock=True)  # serializes registrations in the namespace
        current = await namespaces.search_attributes(tx.conn, namespace)
        added = search_attributes.to_register(current, request.search_attributes)
        await namespaces.add_search_attributes(tx.conn, namespace, added)

    await rt.run("add_search_attributes", change)


async def remove_search_attributes(
    rt: runner.Runtime, namespace: str, request: op_api.RemoveSearchAttributesRequest
) -> None:
    """Unregister custom attributes; every name must be registered."""

    async def change(tx: runner.Tx) -> None:
        await _get(tx.conn, namespace, lock=True)
        current = await namespaces.search_attributes(tx.conn, namespace)
        for name in request.search_attributes:
            if name not in current:
                raise errors.NotFound(f"Search attribute {name} is not registered in namespace {namespace}")
        await namespaces.remove_search_attributes(tx.conn, namespace, request.search_attributes)

    await rt.run("remove_search_attributes", change)


async def list_search_attributes(
    rt: runner.Runtime, namespace: str, request: op_api.ListSearchAttributesRequest
) -> op_api.ListSearchAttributesResponse:
    """The namespace's custom attributes and the system ones, with their types."""
    custom = await rt.query(namespaces.search_attributes, namespace)
    return op_api.ListSearchAttributesResponse(
        custom_attributes={n: search_attributes.Type(t) for n, t in custom.items()},
        system_attributes=search_attributes.SYSTEM,
    )


async def registered(conn: db.Connection, namespace: str) -> Mapping[str, str]:
    """The namespace's custom attributes (name -> type), read in the caller's transaction."""
    return await namespaces.search_attributes(conn, namespace)


# --- helpers -----------------------------------------------------------------------------


async def _get(conn: db.Connection, namespace: str, *, lock: bool = False) -> rows.Namespace:
    return _found(await namespaces.get(conn, namespace, lock=lock), namespace)


def _found(ns: rows.Namespace | None, namespace: str) -> rows.Namespace:
    if ns is None:
        raise errors.NotFound(f"Namespace {namespace} is not found.")
    return ns


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise errors.InvalidArgument(
            "namespace",
            f"namespace {name!r} must start with a letter or digit and hold only letters, digits, '.', '_', '-'",
        )


def _retention(seconds: float | None, field: str) -> timedelta | None:
    if seconds is None:
        return None
    period = timedelta(seconds=seconds)
    if period < retention.MINIMUM_PERIOD:
        raise errors.InvalidArgument(
            field, f"{field}: {period} is under the minimum retention of {retention.MINIMUM_PERIOD}"
        )
    return period


def _described(rt: runner.Runtime, ns: rows.Namespace) -> api.DescribeNamespaceResponse:
    period = ns.retention or rt.retention.period(ns.name)
    return api.DescribeNamespaceResponse(
        namespace_info=api.NamespaceInfo(
            name=ns.name, id=ns.id, description=ns.description, owner_email=ns.owner_email, data=ns.data
        ),
        config=api.NamespaceConfig(
            workflow_execution_retention_ttl=period.total_seconds(), retention_from_server=ns.retention is None
        ),
        created_time=ns.created_at,
        updated_time=ns.updated_at,
    )
