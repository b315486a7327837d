"""Namespaces as objects, on a real server and database: registered, described, listed and
updated with Temporal's fields and messages; a call in an unknown namespace is a clear 404
that changes nothing; only a caller of every namespace registers or changes one; a
namespace's own retention is what the retention loop applies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from legato.api.namespace import v1 as api
from legato_operator.api import auth
from legato_operator.engine.rules.retention import Retention
from legato_operator.engine.services import retention
from legato_operator.main import process as server
from legato_operator.store import db

ADMIN_TOKEN = "admin-token-0123456789"
SHOP_TOKEN = "shop-token-0123456789"
START = {"workflow_id": "order-1", "workflow_type": "OrderWorkflow", "task_queue": "orders"}
DAY = 86400.0
NAMESPACES_MIGRATION = 20


class Grants:
    """Each known token acts in the namespaces given for it."""

    async def authenticate(self, token: str) -> auth.Principal | None:
        return {
            ADMIN_TOKEN: auth.Principal("admin", None),
            SHOP_TOKEN: auth.Principal("shop-worker", frozenset({"shop"})),
        }.get(token)


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    policy = Retention(default=timedelta(days=7), namespaces={"audit": timedelta(days=30)})
    options = server.Options(database_url=pg_dsn, port=0, authenticator=Grants(), retention=policy)
    async with server.serve(options) as serving:
        yield f"http://{serving.address}/api/v1/namespaces"


async def call(method: str, url: str, body: Any = None, *, token: str = ADMIN_TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body, headers=headers) as r:
        return r.status, await r.json() if r.content_type == "application/json" else await r.text()


async def test_the_default_namespace_exists_with_the_servers_retention(base_url: str) -> None:
    status, body = await call("GET", f"{base_url}/default")
    assert status == 200, body
    described = api.DescribeNamespaceResponse.model_validate(body)
    assert described.namespace_info.name == "default"
    assert described.namespace_info.state == "REGISTERED"
    assert described.config.workflow_execution_retention_ttl == 7 * DAY
    assert described.config.retention_from_server


async def test_a_call_in_an_unknown_namespace_is_not_found_and_starts_nothing(base_url: str) -> None:
    status, body = await call("POST", f"{base_url}/nowhere/workflows", START)
    assert (status, body["error"], body["message"]) == (404, "NotFound", "Namespace nowhere is not found.")
    status, body = await call("GET", f"{base_url}/nowhere")
    assert (status, body["message"]) == (404, "Namespace nowhere is not found.")
    await call("POST", f"{base_url}/nowhere", {})
    status, body = await call("GET", f"{base_url}/nowhere/workflows/order-1")
    assert (status, body["error"]) == (404, "NotFound")


async def test_a_registered_namespace_is_described_with_what_it_was_given(base_url: str) -> None:
    given = {
        "description": "the shop",
        "owner_email": "shop@example.com",
        "workflow_execution_retention_period": 3 * DAY,
        "data": {"team": "orders"},
    }
    status, body = await call("POST", f"{base_url}/shop", given)
    assert status == 200, body
    status, body = await call("GET", f"{base_url}/shop")
    described = api.DescribeNamespaceResponse.model_validate(body)
    info = described.namespace_info
    assert (info.description, info.owner_email, info.data) == ("the shop", "shop@example.com", {"team": "orders"})
    assert described.config.workflow_execution_retention_ttl == 3 * DAY
    assert not described.config.retention_from_server
    status, body = await call("POST", f"{base_url}/shop/workflows", START)
    assert status == 200, body


async def test_registering_a_namespace_twice_is_refused_and_keeps_the_first(base_url: str) -> None:
    await call("POST", f"{base_url}/shop", {"description": "first"})
    status, body = await call("POST", f"{base_url}/shop", {"description": "second"})
    assert (status, body["error"], body["message"]) == (409, "AlreadyExists", 'Namespace "shop" already exists')
    _, body = await call("GET", f"{base_url}/shop")
    assert body["namespace_info"]["description"] == "first"


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("bad%20name", {}, "namespace"),
        ("-leading-dash", {}, "namespace"),
        ("short", {"workflow_execution_retention_period": 60}, "workflow_execution_retention_period"),
        ("negative", {"workflow_execution_retention_period": -1}, "workflow_execution_retention_period"),
    ],
)
async def test_a_bad_registration_names_the_field_and_registers_nothing(
    base_url: str, name: str, body: dict[str, Any], field: str
) -> None:
    status, answer = await call("POST", f"{base_url}/{name}", body)
    assert (status, answer["error"], answer["field"]) == (400, "InvalidArgument", field)
    status, _ = await call("GET", f"{base_url}/{name}")
    assert status in (400, 404)


async def test_an_update_changes_only_what_it_gives(base_url: str) -> None:
    await call("POST", f"{base_url}/shop", {"description": "d", "data": {"a": "1"}})
    status, body = await call(
        "POST", f"{base_url}/shop/update", {"workflow_execution_retention_ttl": 2 * DAY, "data": {"b": "2"}}
    )
    assert status == 200, body
    described = api.DescribeNamespaceResponse.model_validate(body)
    assert described.namespace_info.description == "d"
    assert described.namespace_info.data == {"a": "1", "b": "2"}
    assert described.config.workflow_execution_retention_ttl == 2 * DAY
    assert described.updated_time >= described.created_time


async def test_namespaces_are_listed_by_name_a_page_at_a_time(base_url: str) -> None:
    for name in ("c-ns", "a-ns", "b-ns"):
        await call("POST", f"{base_url}/{name}", {})
    names: list[str] = []
    token: str | None = None
    while True:
        query = f"?page_size=2&next_page_token={token}" if token else "?page_size=2"
        status, body = await call("GET", base_url + query)
        assert status == 200, body
        page = api.ListNamespacesResponse.model_validate(body)
        names += [n.namespace_info.name for n in page.namespaces]
        if (token := page.next_page_token) is None:
            break
    assert names == ["a-ns", "b-ns", "c-ns", "default"]


async def test_a_namespace_token_describes_its_own_but_registers_and_lists_nothing(base_url: str) -> None:
    await call("POST", f"{base_url}/shop", {})
    status, _ = await call("GET", f"{base_url}/shop", token=SHOP_TOKEN)
    assert status == 200
    status, body = await call("POST", f"{base_url}/shop", {}, token=SHOP_TOKEN)
    assert (status, body["message"]) == (403, "'shop-worker' may not call register_namespace: it needs every namespace")
    status, _ = await call("POST", f"{base_url}/other", {}, token=SHOP_TOKEN)
    assert status == 403
    status, _ = await call("POST", f"{base_url}/shop/update", {"description": "mine"}, token=SHOP_TOKEN)
    assert status == 403
    status, _ = await call("GET", base_url, token=SHOP_TOKEN)
    assert status == 403
    status, _ = await call("GET", f"{base_url}/other", token=ADMIN_TOKEN)
    assert status == 404


async def test_the_retention_loop_applies_a_namespaces_own_period_over_the_servers(pg_dsn: str) -> None:
    options = server.Options(
        database_url=pg_dsn,
        port=0,
        retention=Retention(default=timedelta(days=7), namespaces={"shop": timedelta(days=30)}),
    )
    async with server.serve(options) as serving:
        base = f"http://{serving.address}/api/v1/namespaces"
        await call("POST", f"{base}/shop", {"workflow_execution_retention_period": 2 * DAY})
        _, body = await call("GET", f"{base}/shop")
        assert body["config"]["workflow_execution_retention_ttl"] == 2 * DAY
        for namespace in ("shop", "default"):
            await call("POST", f"{base}/{namespace}/workflows", START)
            await call("POST", f"{base}/{namespace}/workflows/order-1/terminate", {"reason": "done"})
        rt = serving.runtime
        rt.clock.advance(3 * DAY)
        assert await retention.RetentionLoop(rt, options.retention).delete_batch() == 1
        async with rt.pool.acquire() as conn:
            left = await conn.fetch("SELECT namespace FROM executions")
        assert [r["namespace"] for r in left] == ["default"]


async def test_an_upgraded_database_keeps_every_namespace_it_has_runs_in(pg_dsn: str) -> None:
    pool = await db.connect(pg_dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for migration in [m for m in db.migrations() if m.version < NAMESPACES_MIGRATION]:
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", migration.version, migration.name)
            await conn.execute(
                "INSERT INTO executions (run_id, namespace, workflow_id, workflow_type, task_queue, status,"
                " start_time, next_event_id, version, workflow_task_timeout, randomness_seed)"
                " VALUES (gen_random_uuid(), 'legacy', 'w', 'W', 'q', 'RUNNING', now(), 1, 1, 10, 0)"
            )
        assert await db.migrate(pool) == [m.name for m in db.migrations() if m.version >= NAMESPACES_MIGRATION]
        async with pool.acquire() as conn:
            names = [r["name"] for r in await conn.fetch("SELECT name FROM namespaces ORDER BY name")]
        assert names == ["default", "legacy"]
    finally:
        await pool.close()


async def test_search_attributes_are_registered_listed_and_removed_per_namespace(base_url: str) -> None:
    await call("POST", f"{base_url}/shop", {})
    status, _ = await call("POST", f"{base_url}/shop/search-attributes", {"search_attributes": {"Amount": "Int"}})
    assert status == 200
    status, body = await call("POST", f"{base_url}/shop/search-attributes", {"search_attributes": {"Amount": "Text"}})
    assert (status, body["error"]) == (409, "AlreadyExists")
    status, body = await call("POST", f"{base_url}/shop/search-attributes", {"search_attributes": {"RunId": "Keyword"}})
    assert (status, body["message"]) == (400, "Search attribute RunId is reserved by system.")
    status, body = await call("POST", f"{base_url}/shop/search-attributes", {"search_attributes": {"X": "Money"}})
    assert (status, body["field"]) == (400, "search_attributes")
    assert "Keyword" in body["message"]
    _, body = await call("GET", f"{base_url}/shop/search-attributes")
    assert body["custom_attributes"] == {"Amount": "Int"}
    _, body = await call("GET", f"{base_url}/default/search-attributes")
    assert body["custom_attributes"] == {}
    status, body = await call("POST", f"{base_url}/shop/search-attributes/remove", {"search_attributes": ["Nope"]})
    assert (status, body["message"]) == (404, "Search attribute Nope is not registered in namespace shop")
    status, _ = await call("POST", f"{base_url}/shop/search-attributes/remove", {"search_attributes": ["Amount"]})
    assert status == 200
    _, body = await call("GET", f"{base_url}/shop/search-attributes")
    assert body["custom_attributes"] == {}
