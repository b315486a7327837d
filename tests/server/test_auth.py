"""Authentication and the namespace rule, on a real server with a real database.

The server runs in the test's loop (`server.serve`, port 0) with either the tokens-file
authenticator or a stub `Authenticator` that says which namespaces each token may act in;
one test runs the real `legato-operator run --auth tokens` process.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from legato.api.workflowservice import v1 as api
from legato.client import Client
from legato.exceptions import RPCError, RPCStatusCode
from legato_operator.api import auth
from legato_operator.main import process as server
from tests.support.payloads import wire
from tests.support.server_process import SERVER_BIN, ServerProcess

SHOP_TOKEN = "shop-token-0123456789"
ADMIN_TOKEN = "admin-token-0123456789"
START = {"workflow_id": "order-1", "workflow_type": "OrderWorkflow", "task_queue": "orders"}


class NamespaceStub:
    """A stub authenticator: each known token acts in the namespaces given for it."""

    def __init__(self, grants: dict[str, auth.Principal]) -> None:
        self.grants = grants

    async def authenticate(self, token: str) -> auth.Principal | None:
        return self.grants.get(token)


STUB = NamespaceStub(
    {
        SHOP_TOKEN: auth.Principal("system:serviceaccount:shop:worker", frozenset({"shop"})),
        ADMIN_TOKEN: auth.Principal("admin", None),
    }
)


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    """A server whose callers are told apart by `STUB`."""
    options = server.Options(database_url=pg_dsn, port=0, authenticator=STUB, namespaces=("shop", "billing"))
    async with server.serve(options) as serving:
        yield f"http://{serving.address}"


async def call(method: str, url: str, body: Any = None, *, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json=body, headers=headers) as response,
    ):
        text = await response.text()
        is_json = response.content_type == "application/json" and text
        return response.status, (json.loads(text) if is_json else text)


def ns(base: str, namespace: str) -> str:
    return f"{base}/api/v1/namespaces/{namespace}"


async def assert_not_started(base: str, namespace: str, workflow_id: str = "order-1") -> None:
    status, body = await call("GET", f"{ns(base, namespace)}/workflows/{workflow_id}", token=ADMIN_TOKEN)
    assert (status, body["error"]) == (404, "NotFound")


# --- the middleware ------------------------------------------------------------------------


async def test_a_call_without_a_token_gets_401_and_starts_nothing(base_url: str) -> None:
    status, body = await call("POST", ns(base_url, "shop") + "/workflows", START)
    assert (status, body["error"]) == (401, "Unauthenticated")
    assert "Authorization: Bearer" in body["message"]
    await assert_not_started(base_url, "shop")


async def test_a_call_with_an_unknown_token_gets_401_and_starts_nothing(base_url: str) -> None:
    status, body = await call("POST", ns(base_url, "shop") + "/workflows", START, token="guessed-token-000000")
    assert (status, body["error"]) == (401, "Unauthenticated")
    await assert_not_started(base_url, "shop")


async def test_a_call_with_another_scheme_gets_401(base_url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(ns(base_url, "shop") + "/workflows/x", headers={"Authorization": f"Basic {SHOP_TOKEN}"}) as r,
    ):
        assert r.status == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_token_of_one_namespace_gets_403_in_another_naming_both_and_starts_nothing(base_url: str) -> None:
    status, body = await call("POST", ns(base_url, "billing") + "/workflows", START, token=SHOP_TOKEN)
    assert (status, body["error"]) == (403, "PermissionDenied")
    assert "system:serviceaccount:shop:worker" in body["message"]
    assert "'billing'" in body["message"]
    await assert_not_started(base_url, "billing")


async def test_a_token_acts_in_its_own_namespace(base_url: str) -> None:
    status, body = await call("POST", ns(base_url, "shop") + "/workflows", START, token=SHOP_TOKEN)
    assert status == 200
    assert body["started"] is True
    status, body = await call("GET", ns(base_url, "shop") + "/workflows/order-1", token=SHOP_TOKEN)
    assert (status, body["workflow_id"]) == (200, "order-1")


async def test_a_token_for_every_namespace_acts_anywhere(base_url: str) -> None:
    for namespace in ("shop", "billing"):
        status, _ = await call("POST", ns(base_url, namespace) + "/workflows", START, token=ADMIN_TOKEN)
        assert status == 200


async def test_health_readiness_metrics_and_openapi_need_no_token(base_url: str) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        status, _ = await call("GET", base_url + path)
        assert status == 200, path


async def test_an_unknown_path_needs_a_token_before_it_says_404(base_url: str) -> None:
    status, _ = await call("GET", base_url + "/api/v1/nothing-here")
    assert status == 401
    status, _ = await call("GET", base_url + "/api/v1/nothing-here", token=ADMIN_TOKEN)
    assert status == 404


async def test_the_sdk_client_sends_its_api_key(base_url: str) -> None:
    async with await Client.connect(base_url, namespace="shop", api_key=SHOP_TOKEN) as client:
        handle = await client.start_workflow("OrderWorkflow", id="order-sdk", task_queue="orders")
        assert (await handle.describe()).id == "order-sdk"
    async with await Client.connect(base_url, namespace="billing", api_key=SHOP_TOKEN) as client:
        with pytest.raises(RPCError) as refused:
            await client.start_workflow("OrderWorkflow", id="order-sdk", task_queue="orders")
    assert refused.value.status == RPCStatusCode.PERMISSION_DENIED


# --- task tokens are scoped to the namespace of the URL ----------------------------------------


async def poll(base: str, namespace: str, kind: str) -> dict[str, Any]:
    url = f"{ns(base, namespace)}/task-queues/orders/{kind}-tasks/poll"
    status, task = await call("POST", url, {"wait": 5}, token=ADMIN_TOKEN)
    assert status == 200, task
    return dict(task)


SCHEDULE = {
    "type": "ScheduleActivityTask",
    "activity_id": "1",
    "activity_type": "charge",
    "start_to_close_timeout": 60,
}


async def test_a_workflow_task_token_from_one_namespace_is_refused_in_another(base_url: str) -> None:
    await call("POST", ns(base_url, "shop") + "/workflows", START, token=ADMIN_TOKEN)
    task = await poll(base_url, "shop", "workflow")
    complete = {"task_token": task["task_token"], "commands": [SCHEDULE]}
    status, body = await call("POST", ns(base_url, "billing") + "/workflow-tasks/complete", complete, token=ADMIN_TOKEN)
    assert (status, body["error"]) == (410, "TaskNotFound")
    fail = {"task_token": task["task_token"], "failure": {"message": "boom"}}
    status, _ = await call("POST", ns(base_url, "billing") + "/workflow-tasks/fail", fail, token=ADMIN_TOKEN)
    assert status == 410
    # Nothing moved: the task still completes in its own namespace.
    status, _ = await call("POST", ns(base_url, "shop") + "/workflow-tasks/complete", complete, token=ADMIN_TOKEN)
    assert status == 200


async def test_an_activity_task_token_from_one_namespace_is_refused_in_another(base_url: str) -> None:
    await call("POST", ns(base_url, "shop") + "/workflows", START, token=ADMIN_TOKEN)
    task = await poll(base_url, "shop", "workflow")
    complete = {"task_token": task["task_token"], "commands": [SCHEDULE]}
    await call("POST", ns(base_url, "shop") + "/workflow-tasks/complete", complete, token=ADMIN_TOKEN)
    activity = await poll(base_url, "shop", "activity")
    token = activity["task_token"]
    billing = ns(base_url, "billing")
    answers = [
        ("heartbeat", {"task_token": token, "details": [wire("50%")]}),
        ("fail", {"task_token": token, "failure": {"message": "boom"}}),
        ("complete", {"task_token": token, "result": wire("stolen")}),
    ]
    for name, body in answers:
        status, answer = await call("POST", f"{billing}/activity-tasks/{name}", body, token=ADMIN_TOKEN)
        assert (status, answer["error"]) == (410, "TaskNotFound"), name
    status, _ = await call("POST", ns(base_url, "shop") + "/activity-tasks/complete", answers[2][1], token=ADMIN_TOKEN)
    assert status == 200
    status, history = await call("GET", ns(base_url, "shop") + "/workflows/order-1/history", token=ADMIN_TOKEN)
    types = [e["attributes"]["type"] for e in history["events"]]
    assert types.count("ActivityTaskCompleted") == 1
    assert "ActivityTaskFailed" not in types


# --- the tokens file -------------------------------------------------------------------------


def tokens_file(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"tokens": entries}))
    return path


CI_TOKEN = "ci-token-0123456789abcdef"
CI_ENTRY: dict[str, Any] = {"name": "ci", "token": CI_TOKEN, "namespaces": ["shop"]}


async def test_static_tokens_accept_their_token_only(tmp_path: Path) -> None:
    tokens = auth.StaticTokens.from_file(tokens_file(tmp_path / "tokens.json", [CI_ENTRY]))
    assert await tokens.authenticate(CI_TOKEN) == auth.Principal("ci", frozenset({"shop"}))
    assert await tokens.authenticate(CI_TOKEN + "x") is None
    assert await tokens.authenticate("") is None


async def test_a_star_grants_every_namespace(tmp_path: Path) -> None:
    entry = {**CI_ENTRY, "namespaces": ["*"]}
    tokens = auth.StaticTokens.from_file(tokens_file(tmp_path / "tokens.json", [entry]))
    who = await tokens.authenticate(CI_TOKEN)
    assert who is not None
    assert who.namespaces is None


async def test_static_tokens_follow_a_rewritten_file(tmp_path: Path) -> None:
    path = tokens_file(tmp_path / "tokens.yaml", [CI_ENTRY])
    tokens = auth.StaticTokens.from_file(path)
    rotated = {**CI_ENTRY, "token": "rotated-token-0123456789"}
    # As a Secret volume does: a new file swapped in.
    tokens_file(tmp_path / "next.yaml", [rotated]).replace(path)
    assert await tokens.authenticate(rotated["token"]) is not None
    assert await tokens.authenticate(CI_TOKEN) is None
    # A broken update keeps the last good tokens.
    (tmp_path / "broken.yaml").write_text("tokens: [{name: x}]")
    (tmp_path / "broken.yaml").replace(path)
    assert await tokens.authenticate(rotated["token"]) is not None


def test_the_tokens_file_may_be_yaml() -> None:
    text = "tokens:\n  - name: ci\n    token: ci-token-0123456789abcdef\n    namespaces: [shop, billing]\n"
    (entry,) = auth.parse_tokens(text, "tokens.yaml")
    assert entry.principal() == auth.Principal("ci", frozenset({"shop", "billing"}))


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ([{**CI_ENTRY, "role": "admin"}], "tokens.0.role"),
        ([{**CI_ENTRY, "token": "short"}], "tokens.0.token"),
        ([{**CI_ENTRY, "namespaces": []}], "tokens.0.namespaces"),
        ([{**CI_ENTRY, "namespaces": ["*", "shop"]}], "must be the only entry"),
        ([CI_ENTRY, {**CI_ENTRY, "name": "again"}], "listed twice"),
    ],
)
def test_a_malformed_tokens_file_is_refused_naming_the_field(entries: list[dict[str, Any]], says: str) -> None:
    with pytest.raises(auth.TokensFileError, match=says):
        auth.parse_tokens(json.dumps({"tokens": entries}), "tokens.json")


def test_run_with_a_malformed_tokens_file_exits_2_naming_it(tmp_path: Path) -> None:
    bad = tokens_file(tmp_path / "tokens.json", [{"name": "ci"}])
    args = ["run", "--no-kubernetes", "--database-url", "postgresql://unused", "--auth", "tokens"]
    done = subprocess.run(
        [str(SERVER_BIN), *args, "--tokens-file", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "tokens.0.token" in done.stderr


def test_run_with_auth_tokens_but_no_file_exits_2_saying_why() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEGATO_TOKENS_FILE"}
    args = ["run", "--no-kubernetes", "--database-url", "postgresql://unused", "--auth", "tokens"]
    done = subprocess.run([str(SERVER_BIN), *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "--tokens-file" in done.stderr


async def test_a_server_process_with_auth_tokens_serves_only_its_tokens(pg_dsn: str, tmp_path: Path) -> None:
    path = tokens_file(tmp_path / "tokens.json", [CI_ENTRY])
    process = ServerProcess(
        pg_dsn,
        tmp_path / "server.log",
        extra_args=["--auth", "tokens", "--tokens-file", str(path), "--namespaces", "shop"],
    )
    process.start()
    try:
        status, _ = await call("POST", ns(process.url, "shop") + "/workflows", START)
        assert status == 401
        status, _ = await call("POST", ns(process.url, "billing") + "/workflows", START, token=CI_TOKEN)
        assert status == 403
        status, body = await call("POST", ns(process.url, "shop") + "/workflows", START, token=CI_TOKEN)
        assert status == 200, body
        assert api.StartWorkflowResponse.model_validate(body).started
    finally:
        process.stop()
