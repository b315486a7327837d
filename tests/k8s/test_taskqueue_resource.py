"""A TaskQueue against a real API server: its worker Deployment, scaling by backlog, status.

There is no kubelet: the Deployment is stored but never runs, so the test plays the
worker itself (an in-process `legato.worker.Worker` polling the operator's API) and
reads the Deployment's spec.replicas as the scaler's decision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from legato import workflow
from legato.client import Client
from legato_operator.k8s import kube
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, http_json, running_worker

QUEUE = "orders"
DEPLOYMENT = "orders-worker"


@workflow.defn
class Noop:
    """Done at its first workflow task: what a drained backlog is made of."""

    @workflow.run
    async def run(self) -> str:
        return "done"


def task_queue(namespace: str, **scaling: Any) -> dict[str, Any]:
    return {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "TaskQueue",
        "metadata": {"name": QUEUE, "namespace": namespace},
        "spec": {
            "worker": {"image": "shop/orders-worker:1.0", "env": [{"name": "MODE", "value": "test"}]},
            "scaling": {"minReplicas": 0, "maxReplicas": 10, "targetBacklogPerReplica": 5, **scaling},
        },
    }


def created(apiserver: APIServer, manifest: dict[str, Any]) -> None:
    code, output = apply(apiserver, manifest)
    assert code == 0, output


async def replicas(kube_client: kube.Kube, namespace: str) -> int | None:
    deployment = await kube_client.get_deployment(namespace, DEPLOYMENT)
    return None if deployment is None else deployment["spec"].get("replicas")


async def status(kube_client: kube.Kube, namespace: str) -> dict[str, Any]:
    found = await kube_client.get_custom("taskqueues", namespace, QUEUE)
    return (found or {}).get("status") or {}


async def replicas_become(kube_client: kube.Kube, namespace: str, expected: int, within: float = 30) -> None:
    async def check() -> bool:
        return await replicas(kube_client, namespace) == expected

    await eventually(check, within=within, what=f"the worker Deployment at {expected} replicas")


async def start_noops(client: Client, count: int, prefix: str = "noop") -> list[str]:
    ids = [f"{prefix}-{i}" for i in range(count)]
    for workflow_id in ids:
        await client.start_workflow(Noop.run, id=workflow_id, task_queue=QUEUE)
    return ids


async def test_a_task_queue_owns_a_worker_deployment_with_the_right_template(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube
) -> None:
    created(apiserver, task_queue(namespace))

    async def ready() -> dict[str, Any] | None:
        conditions = {c["type"]: c for c in (await status(kube_client, namespace)).get("conditions", [])}
        return conditions if conditions.get("Ready", {}).get("status") == "True" else None

    conditions = await eventually(ready, within=30, what="the TaskQueue Ready")
    assert conditions["Scaling"]["reason"] == "ScaledToZero"
    deployment = await kube_client.get_deployment(namespace, DEPLOYMENT)
    assert deployment is not None
    owner = await kube_client.get_custom("taskqueues", namespace, QUEUE)
    assert owner is not None
    [reference] = deployment["metadata"]["ownerReferences"]
    assert (reference["kind"], reference["name"], reference["uid"]) == ("TaskQueue", QUEUE, owner["metadata"]["uid"])
    assert deployment["metadata"]["labels"]["legato.dev/task-queue"] == QUEUE
    assert deployment["spec"]["replicas"] == 0
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["legato.dev/task-queue"] == QUEUE
    [container] = pod["spec"]["containers"]
    assert container["image"] == "shop/orders-worker:1.0"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LEGATO_ADDRESS"] == operator_process.address
    assert (env["LEGATO_NAMESPACE"], env["LEGATO_TASK_QUEUE"], env["MODE"]) == (namespace, QUEUE, "test")
    assert env["LEGATO_TOKEN_FILE"] == "/var/run/secrets/legato/token"
    [volume] = pod["spec"]["volumes"]
    assert volume["projected"]["sources"][0]["serviceAccountToken"]["audience"] == "legato"
    described = await status(kube_client, namespace)
    assert described["selector"] == f"app.kubernetes.io/component=worker,legato.dev/task-queue={QUEUE}"
    assert described["observedGeneration"] == owner["metadata"]["generation"]
    # The workers run as a ServiceAccount of their own, which goes with the TaskQueue.
    assert pod["spec"]["serviceAccountName"] == DEPLOYMENT
    account = json.loads(apiserver.kubectl("get", "serviceaccount", DEPLOYMENT, "-n", namespace, "-o", "json").stdout)
    [account_owner] = account["metadata"]["ownerReferences"]
    assert (account_owner["kind"], account_owner["uid"]) == ("TaskQueue", owner["metadata"]["uid"])
    assert account["automountServiceAccountToken"] is False


async def test_a_task_queue_naming_its_service_account_gets_no_account_of_the_operators(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube
) -> None:
    manifest = task_queue(namespace)
    manifest["spec"]["worker"]["serviceAccountName"] = "payments"
    created(apiserver, manifest)

    async def deployed() -> dict[str, Any] | None:
        return await kube_client.get_deployment(namespace, DEPLOYMENT)

    deployment = await eventually(deployed, within=30, what="the worker Deployment")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "payments"
    found = apiserver.kubectl("get", "serviceaccount", DEPLOYMENT, "-n", namespace, check=False)
    assert found.returncode != 0


async def test_replicas_follow_the_backlog_up_and_down_to_zero_and_up_again(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube, client: Client
) -> None:
    created(apiserver, task_queue(namespace, scaleDownDelay="2s"))
    await replicas_become(kube_client, namespace, 0)
    # Nobody polls: twelve workflow tasks wait, so ceil(12 / 5) = 3 workers.
    ids = await start_noops(client, 12)
    await replicas_become(kube_client, namespace, 3)

    async def reported() -> dict[str, Any] | None:
        found = await status(kube_client, namespace)
        return found if found.get("desiredReplicas") == 3 and found["backlog"]["total"] == 12 else None

    found = await eventually(reported, within=30, what="status with the backlog of 12")
    assert found["backlog"]["workflowTasks"] == 12
    # The tick that scales says BacklogGrowing, the ones after it Steady: either may be read here.
    [scaling] = [c for c in found["conditions"] if c["type"] == "Scaling"]
    assert scaling["reason"] in {"BacklogGrowing", "Steady"}
    assert scaling["message"] == "backlog 12 (12 waiting, 0 running), 5 per replica: 3 replicas"
    await _kubectl_get_shows_the_columns(apiserver, namespace)
    await _backlog_endpoint_answers(operator_process, namespace, backlog=12)

    async with running_worker(client, task_queue=QUEUE, workflows=[Noop]):
        for workflow_id in ids:
            assert await client.get_workflow_handle(workflow_id).result() == "done"

        async def polled() -> bool:
            return bool((await status(kube_client, namespace)).get("pollers", 0) >= 1)

        await eventually(polled, within=30, what="the worker counted as a poller")
    # Drained: after scaleDownDelay (2 s) of nothing waiting or running, no workers.
    await replicas_become(kube_client, namespace, 0)

    async def scaled_to_zero() -> bool:
        # The Deployment is scaled before the status says so: poll for the condition too.
        conditions = (await status(kube_client, namespace)).get("conditions", [])
        return {c["type"]: c["reason"] for c in conditions}.get("Scaling") == "ScaledToZero"

    await eventually(scaled_to_zero, within=15, what="the Scaling condition ScaledToZero")
    # One task waits: a worker again, within a scale interval or two.
    await start_noops(client, 1, prefix="again")
    await replicas_become(kube_client, namespace, 1, within=10)


async def _kubectl_get_shows_the_columns(apiserver: APIServer, namespace: str) -> None:
    table = apiserver.kubectl("get", "ltq", "-n", namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "DESIRED", "REPLICAS", "BACKLOG", "POLLERS", "AGE"]
    assert table[1].split()[:6] == [QUEUE, "True", "3", "0", "12", "0"]


async def _backlog_endpoint_answers(operator: ServerProcess, namespace: str, *, backlog: int) -> None:
    url = f"{operator.url}/api/v1/namespaces/{namespace}/task-queues/{QUEUE}/backlog"
    code, body = await http_json("GET", url)
    assert code == 200
    assert (body["backlog"], body["workflow_tasks"], body["activity_tasks"], body["running"]) == (
        backlog,
        backlog,
        0,
        0,
    )


async def test_external_mode_leaves_replicas_to_others_but_follows_the_scale_subresource(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube, client: Client
) -> None:
    created(apiserver, task_queue(namespace, mode="External"))

    async def external() -> bool:
        conditions = {c["type"]: c for c in (await status(kube_client, namespace)).get("conditions", [])}
        return bool(conditions.get("Scaling", {}).get("reason") == "External")

    await eventually(external, within=30, what="the Scaling condition External")
    # The operator sent no replicas; the API server defaulted them. An HPA now sets 4.
    assert await replicas(kube_client, namespace) == 1
    apiserver.kubectl("scale", "deployment", DEPLOYMENT, "-n", namespace, "--replicas", "4")
    await start_noops(client, 12)

    async def counted() -> bool:
        return bool((await status(kube_client, namespace)).get("backlog", {}).get("total") == 12)

    await eventually(counted, within=30, what="the backlog of 12 in the status")
    assert await replicas(kube_client, namespace) == 4
    # An HPA or KEDA targeting the TaskQueue writes spec.replicas through the scale subresource.
    apiserver.kubectl("scale", "ltq", QUEUE, "-n", namespace, "--replicas", "2")
    await replicas_become(kube_client, namespace, 2)
    scale = apiserver.kubectl(
        "get", "--raw", f"/apis/legato.dev/v1alpha1/namespaces/{namespace}/taskqueues/{QUEUE}/scale"
    )
    assert json.loads(scale.stdout)["status"]["selector"].endswith(f"legato.dev/task-queue={QUEUE}")


async def test_a_worker_spec_kubernetes_refuses_is_reported_not_retried(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube
) -> None:
    manifest = task_queue(namespace)
    # Free-form in our schema, refused by the Deployment's: the operator must say so.
    manifest["spec"]["worker"]["tolerations"] = [{"key": "spot", "operator": "Sometimes"}]
    created(apiserver, manifest)

    async def refused() -> dict[str, Any] | None:
        conditions = {c["type"]: c for c in (await status(kube_client, namespace)).get("conditions", [])}
        ready = conditions.get("Ready", {})
        return ready if ready.get("reason") == "DeploymentRefused" else None

    ready = await eventually(refused, within=30, what="the Ready condition DeploymentRefused")
    assert ready["status"] == "False"
    assert "tolerations" in ready["message"]
    assert await kube_client.get_deployment(namespace, DEPLOYMENT) is None


async def test_worker_pods_the_cluster_refuses_make_the_queue_not_ready_with_one_warning(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str, kube_client: kube.Kube
) -> None:
    created(apiserver, task_queue(namespace, minReplicas=1))
    await replicas_become(kube_client, namespace, 1)
    # What the Deployment controller reports when PodSecurity admission refuses its pods.
    refusal = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": 'pods "orders-worker-1" is forbidden: violates PodSecurity "restricted:latest"',
    }
    patch = json.dumps({"status": {"conditions": [refusal]}})
    apiserver.kubectl(
        "patch", "deployment", DEPLOYMENT, "-n", namespace, "--subresource=status", "--type=merge", "-p", patch
    )

    async def not_ready() -> dict[str, Any] | None:
        ready = {c["type"]: c for c in (await status(kube_client, namespace)).get("conditions", [])}.get("Ready", {})
        return ready if ready.get("reason") == "WorkerPodsRefused" else None

    ready = await eventually(not_ready, within=30, what="the Ready condition WorkerPodsRefused")
    assert ready["status"] == "False"
    assert "violates PodSecurity" in ready["message"]
    table = apiserver.kubectl("get", "ltq", "-n", namespace).stdout.splitlines()
    assert table[1].split()[:2] == [QUEUE, "False"]
    events = json.loads(apiserver.kubectl("get", "events", "-n", namespace, "-o", "json").stdout)["items"]
    warnings = [e for e in events if e["type"] == "Warning" and e["reason"] == "WorkerPodsRefused"]
    assert len(warnings) == 1
    assert warnings[0]["involvedObject"]["kind"] == "TaskQueue"


def test_a_task_queue_with_min_above_max_is_refused_by_the_api_server(apiserver: APIServer, namespace: str) -> None:
    code, output = apply(apiserver, task_queue(namespace, minReplicas=5, maxReplicas=2))
    assert code != 0
    assert "minReplicas must not exceed maxReplicas" in output


def test_the_example_task_queue_is_accepted_by_the_schema(apiserver: APIServer, namespace: str) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "orders" / "taskqueue.yaml"
    result = apiserver.kubectl("apply", "-n", namespace, "-f", str(example), check=False)
    assert result.returncode == 0, result.stderr


async def test_the_operator_counts_its_reconciles_and_reports_it_leads_on_metrics(
    apiserver: APIServer, operator_process: ServerProcess, namespace: str
) -> None:
    created(apiserver, task_queue(namespace))

    async def reconciled() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
        samples = await operator_metrics(operator_process)
        succeeded = samples.get(("legato_reconcile_total", frozenset({("kind", "TaskQueue"), ("outcome", "success")})))
        return samples if (succeeded or 0) >= 1 else None

    samples = await eventually(reconciled, within=30, what="a TaskQueue reconcile counted on /metrics")
    assert samples[("legato_leader", frozenset())] == 1
    assert samples[("legato_reconcile_duration_seconds_count", frozenset({("kind", "TaskQueue")}))] >= 1


async def operator_metrics(operator: ServerProcess) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the operator's /metrics, by name and labels."""
    async with aiohttp.ClientSession() as session, session.get(operator.url + "/metrics") as response:
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
