"""ServiceAccount tokens checked by real TokenReviews, on a real server and database.

Tokens are minted by the real API server (`kubectl create token --audience legato`, the
TokenRequest a kubelet makes for a projected volume); the Legato server runs in the
test's loop with `KubernetesAuthenticator` on the session's kube-apiserver. People's
tokens and their RBAC are in `test_people_realapi`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from legato.client import Client
from legato.exceptions import RPCError, RPCStatusCode
from legato.service import RetryConfig
from legato_operator.api import auth
from legato_operator.k8s import kube
from legato_operator.k8s.token_review import KubernetesAuthenticator, principal_of
from legato_operator.main import process as server
from tests.k8s.apiserver import APIServer

START = {"workflow_id": "order-1", "workflow_type": "OrderWorkflow", "task_queue": "orders"}


def service_account_token(apiserver: APIServer, namespace: str, *, audience: str = "legato") -> str:
    """A fresh token of the ServiceAccount ``worker`` in ``namespace`` (created if missing)."""
    if apiserver.kubectl("get", "serviceaccount", "worker", "-n", namespace, check=False).returncode != 0:
        apiserver.kubectl("create", "serviceaccount", "worker", "-n", namespace)
    minted = apiserver.kubectl("create", "token", "worker", "-n", namespace, "--audience", audience)
    return minted.stdout.strip()


@pytest.fixture
def other_namespace(apiserver: APIServer, namespace: str) -> str:
    name = f"{namespace}-other"
    apiserver.kubectl("create", "namespace", name)
    return name


@pytest.fixture
def authenticator(kube_client: kube.Kube) -> KubernetesAuthenticator:
    return KubernetesAuthenticator(kube_client)


@pytest.fixture
async def base_url(
    pg_dsn: str, authenticator: KubernetesAuthenticator, namespace: str, other_namespace: str
) -> AsyncIterator[str]:
    options = server.Options(
        database_url=pg_dsn, port=0, authenticator=authenticator, namespaces=(namespace, other_namespace)
    )
    async with server.serve(options) as serving:
        yield f"http://{serving.address}"


async def start(base: str, namespace: str, token: str) -> tuple[int, Any]:
    url = f"{base}/api/v1/namespaces/{namespace}/workflows"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=START, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status, json.loads(await response.text())


async def test_a_service_account_token_acts_in_its_own_namespace(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    status, body = await start(base_url, namespace, service_account_token(apiserver, namespace))
    assert status == 200, body
    assert body["started"] is True


async def test_a_service_account_token_gets_403_in_another_namespace_and_starts_nothing(
    apiserver: APIServer, namespace: str, other_namespace: str, base_url: str
) -> None:
    intruder = service_account_token(apiserver, other_namespace)
    status, body = await start(base_url, namespace, intruder)
    assert (status, body["error"]) == (403, "PermissionDenied")
    assert f"system:serviceaccount:{other_namespace}:worker" in body["message"]
    assert f"'{namespace}'" in body["message"]
    # The namespace's own worker then starts the id afresh: nothing was started before.
    status, body = await start(base_url, namespace, service_account_token(apiserver, namespace))
    assert (status, body["started"]) == (200, True)


async def test_a_garbage_token_gets_401(apiserver: APIServer, namespace: str, base_url: str) -> None:
    status, body = await start(base_url, namespace, "not-a-jwt")
    assert (status, body["error"]) == (401, "Unauthenticated")


async def test_a_token_for_the_api_server_is_judged_by_its_rbac_not_its_namespace(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    # A token for the API server itself does not make its ServiceAccount a worker of its
    # namespace: it is a user like a person, and this one has no role.
    token = service_account_token(apiserver, namespace, audience="https://kubernetes.default.svc.cluster.local")
    status, body = await start(base_url, namespace, token)
    assert (status, body["error"]) == (403, "PermissionDenied")
    assert "create workflows.legato.dev" in body["message"]


async def test_a_token_is_reviewed_once_while_cached(
    apiserver: APIServer, namespace: str, base_url: str, authenticator: KubernetesAuthenticator
) -> None:
    token = service_account_token(apiserver, namespace)
    await start(base_url, namespace, token)
    reviews = authenticator.reviews
    for _ in range(3):
        await start(base_url, namespace, token)
    assert authenticator.reviews == reviews


async def test_a_cached_answer_expires(apiserver: APIServer, namespace: str, kube_client: kube.Kube) -> None:
    now = [0.0]
    authenticator = KubernetesAuthenticator(kube_client, clock=lambda: now[0])
    token = service_account_token(apiserver, namespace)
    assert await authenticator.authenticate(token) is not None
    now[0] = 59.0
    assert await authenticator.authenticate(token) is not None
    assert authenticator.reviews == 1
    now[0] = 61.0
    assert await authenticator.authenticate(token) is not None
    assert authenticator.reviews == 2


async def test_the_cache_is_bounded(apiserver: APIServer, namespace: str, kube_client: kube.Kube) -> None:
    authenticator = KubernetesAuthenticator(kube_client, max_entries=2)
    tokens = [service_account_token(apiserver, namespace) for _ in range(3)]
    for token in tokens:
        await authenticator.authenticate(token)
    # The oldest entry was evicted: asking again reviews again.
    await authenticator.authenticate(tokens[0])
    assert authenticator.reviews == 4


async def test_a_worker_reads_its_projected_token_from_legato_token_file(
    apiserver: APIServer,
    namespace: str,
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(service_account_token(apiserver, namespace))
    monkeypatch.setenv("LEGATO_TOKEN_FILE", str(token_file))
    async with await Client.connect(base_url, namespace=namespace) as client:
        handle = await client.start_workflow("OrderWorkflow", id="order-env", task_queue="orders")
        assert (await handle.describe()).id == "order-env"


async def test_an_unreachable_api_server_answers_503_unavailable(pg_dsn: str, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
                "current-context": "gone",
            }
        )
    )
    calls = kube.Kube(kube.load_api_client(str(kubeconfig)))
    try:
        options = server.Options(database_url=pg_dsn, port=0, authenticator=KubernetesAuthenticator(calls))
        async with (
            server.serve(options) as serving,
            # One try: the client would otherwise retry the 503 for its default 10 s.
            await Client.connect(
                f"http://{serving.address}", api_key="some-token", retry_config=RetryConfig(max_retries=1)
            ) as client,
        ):
            with pytest.raises(RPCError) as unavailable:
                await client.get_workflow_handle("x").describe()
    finally:
        calls.close()
    assert unavailable.value.status == RPCStatusCode.UNAVAILABLE
    assert unavailable.value.http_status == 503


def test_only_a_service_account_gets_a_namespace() -> None:
    worker = principal_of(kube.TokenIdentity("system:serviceaccount:shop:worker", ()))
    assert worker == auth.Principal("system:serviceaccount:shop:worker", frozenset({"shop"}))
    person = principal_of(kube.TokenIdentity("alice@example.com", ("system:authenticated",)))
    assert not person.may_act_in("shop")


async def test_a_worker_of_a_namespace_the_operator_does_not_watch_gets_403_even_in_its_own(
    apiserver: APIServer, kube_client: kube.Kube, pg_dsn: str, namespace: str, other_namespace: str
) -> None:
    watching_one = KubernetesAuthenticator(kube_client, watched=frozenset({namespace}))
    options = server.Options(
        database_url=pg_dsn, port=0, authenticator=watching_one, namespaces=(namespace, other_namespace)
    )
    async with server.serve(options) as serving:
        base = f"http://{serving.address}"
        status, body = await start(base, other_namespace, service_account_token(apiserver, other_namespace))
        assert (status, body["error"]) == (403, "PermissionDenied")
        status, body = await start(base, namespace, service_account_token(apiserver, namespace))
        assert (status, body["started"]) == (200, True)
