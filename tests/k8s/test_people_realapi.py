"""People's Kubernetes tokens (what kubectl sends), authorized by SubjectAccessReview.

The session's kube-apiserver knows a few people by static token (`APIServer.people`) and
RBAC decides what they may do; the roles are the chart's own (`templates/rbac-people.yaml`,
rendered with helm and applied). The Legato server runs in the test's loop with
`KubernetesAuthenticator` on that API server.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from legato.api.namespace import v1 as namespace_api
from legato.api.operatorservice import v1 as operator_api
from legato.client import Client, WorkflowExecutionStatus
from legato.exceptions import RPCError, RPCStatusCode
from legato.service import RetryConfig
from legato_operator.k8s import kube
from legato_operator.k8s.token_review import KubernetesAuthenticator
from legato_operator.main import process as server
from tests.k8s import testbin
from tests.k8s.apiserver import APIServer
from tests.k8s.chart import CHART, RELEASE, RELEASE_NAMESPACE, helm

QUEUE = "orders"


@pytest.fixture(scope="module")
def people_roles(apiserver: APIServer, binaries: testbin.TestBin, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The chart's ClusterRoles for people, on the API server."""
    rendered = tmp_path_factory.mktemp("roles") / "rbac-people.yaml"
    out = helm(binaries, "template", RELEASE, str(CHART), "-n", RELEASE_NAMESPACE, "-s", "templates/rbac-people.yaml")
    rendered.write_text(out.stdout)
    apiserver.kubectl("apply", "-f", str(rendered))


def bind(apiserver: APIServer, person: str, role: str, namespace: str) -> None:
    apiserver.kubectl(
        "create",
        "rolebinding",
        f"{person}-{role}",
        f"--clusterrole=legato-system-legato-data-{role}",
        f"--user={person}",
        "-n",
        namespace,
    )


@pytest.fixture
async def base_url(pg_dsn: str, kube_client: kube.Kube, namespace: str, people_roles: None) -> AsyncIterator[str]:
    options = server.Options(
        database_url=pg_dsn, port=0, authenticator=KubernetesAuthenticator(kube_client), namespaces=(namespace,)
    )
    async with server.serve(options) as serving:
        yield f"http://{serving.address}"


async def started(base_url: str, namespace: str, apiserver: APIServer, workflow_id: str = "order-1") -> None:
    async with await Client.connect(base_url, namespace=namespace, api_key=apiserver.token) as admin:
        await admin.start_workflow("OrderWorkflow", id=workflow_id, task_queue=QUEUE)


async def test_a_kubectl_administrators_token_reads_a_history(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    # system:masters, as `kubectl` of a cluster administrator sends it.
    await started(base_url, namespace, apiserver)
    async with await Client.connect(base_url, namespace=namespace, api_key=apiserver.token) as admin:
        history = await admin.get_workflow_handle("order-1").fetch_history()
    assert history.events[0].event_type.name == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"


async def test_a_viewer_reads_a_workflow_but_may_not_terminate_it(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    bind(apiserver, "alice", "viewer", namespace)
    await started(base_url, namespace, apiserver)
    async with await Client.connect(
        base_url, namespace=namespace, api_key=apiserver.people["alice"], retry_config=RetryConfig(max_retries=1)
    ) as alice:
        handle = alice.get_workflow_handle("order-1")
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert [w.id async for w in alice.list_workflows()] == ["order-1"]
        with pytest.raises(RPCError) as refused:
            await handle.terminate(reason="not mine to end")
        assert refused.value.status == RPCStatusCode.PERMISSION_DENIED
        assert "'alice' may not call terminate_workflow" in refused.value.message
        assert f"delete workflows.legato.dev in namespace '{namespace}'" in refused.value.message
        # Refused before anything changed.
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def test_an_operator_of_legato_data_signals_and_terminates(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    bind(apiserver, "bob", "operator", namespace)
    await started(base_url, namespace, apiserver)
    async with await Client.connect(
        base_url, namespace=namespace, api_key=apiserver.people["bob"], retry_config=RetryConfig(max_retries=1)
    ) as bob:
        handle = bob.get_workflow_handle("order-1")
        await handle.signal("note", "gift wrap")
        await handle.terminate(reason="duplicate order")
        assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
        # Namespace-wide settings are the admin role's, not the operator's.
        with pytest.raises(RPCError) as refused:
            await bob.operator_service.add_search_attributes(
                operator_api.AddSearchAttributesRequest(
                    search_attributes={"Region": operator_api.SearchAttributeType.KEYWORD}
                )
            )
        assert refused.value.status == RPCStatusCode.PERMISSION_DENIED


async def test_a_person_without_a_role_gets_403_naming_what_to_grant(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    await started(base_url, namespace, apiserver)
    async with await Client.connect(
        base_url, namespace=namespace, api_key=apiserver.people["carol"], retry_config=RetryConfig(max_retries=1)
    ) as carol:
        with pytest.raises(RPCError) as refused:
            await carol.get_workflow_handle("order-1").describe()
    assert refused.value.status == RPCStatusCode.PERMISSION_DENIED
    assert f"get workflows.legato.dev in namespace '{namespace}'" in refused.value.message


async def test_a_role_in_one_namespace_gives_nothing_in_another(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    other = f"{namespace}-b"
    apiserver.kubectl("create", "namespace", other)
    bind(apiserver, "alice", "admin", other)
    async with await Client.connect(
        base_url, namespace=namespace, api_key=apiserver.people["alice"], retry_config=RetryConfig(max_retries=1)
    ) as alice:
        with pytest.raises(RPCError) as refused:
            await alice.start_workflow("OrderWorkflow", id="order-9", task_queue=QUEUE)
    assert refused.value.status == RPCStatusCode.PERMISSION_DENIED
    async with await Client.connect(base_url, namespace=namespace, api_key=apiserver.token) as admin:
        assert [w.id async for w in admin.list_workflows()] == []


async def test_registering_a_namespace_needs_the_right_in_every_namespace(
    apiserver: APIServer, namespace: str, base_url: str
) -> None:
    bind(apiserver, "bob", "admin", namespace)
    async with await Client.connect(
        base_url, namespace="elsewhere", api_key=apiserver.people["bob"], retry_config=RetryConfig(max_retries=1)
    ) as bob:
        with pytest.raises(RPCError) as refused:
            await bob.workflow_service.register_namespace(namespace_api.RegisterNamespaceRequest())
    assert refused.value.status == RPCStatusCode.PERMISSION_DENIED
    assert "in every namespace" in refused.value.message


async def test_the_command_line_acts_as_the_kubeconfigs_user(
    apiserver: APIServer, namespace: str, base_url: str, tmp_path: Path
) -> None:
    bind(apiserver, "alice", "viewer", namespace)
    await started(base_url, namespace, apiserver)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": {"server": apiserver.url}}],
                "users": [{"name": "alice", "user": {"token": apiserver.people["alice"]}}],
                "contexts": [{"name": "alice", "context": {"cluster": "test", "user": "alice"}}],
                "current-context": "alice",
            }
        )
    )
    legato = str(Path(sys.executable).with_name("legato"))
    flags = ["--kube", "--kubeconfig", str(kubeconfig), "--address", base_url, "-n", namespace]
    # Without kubectl on the PATH the CLI reads the (JSON) kubeconfig itself.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}

    def legato_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([legato, *args, *flags], capture_output=True, text=True, timeout=60, env=env)

    described = await asyncio.to_thread(legato_cli, "workflow", "describe", "-w", "order-1")
    assert described.returncode == 0, described.stderr
    assert "order-1" in described.stdout
    refused = await asyncio.to_thread(legato_cli, "workflow", "terminate", "-w", "order-1")
    assert refused.returncode != 0
    assert "delete workflows.legato.dev" in refused.stderr
