"""Worker pods under the API server's PodSecurity admission, in a namespace enforcing `restricted`.

No controller-manager runs here, so no ReplicaSet makes pods from the Deployment: the
test asks the API server to admit the pod the Deployment's template makes (a server-side
dry run goes through admission and stores nothing).
"""

from __future__ import annotations

from typing import Any

from legato_operator.k8s import builders, models
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply


def restricted_namespace(apiserver: APIServer, namespace: str) -> None:
    apiserver.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")


def pod_of(namespace: str, worker: dict[str, Any]) -> dict[str, Any]:
    queue = models.TaskQueueSpec.model_validate({"worker": worker})
    deployment = builders.worker_deployment(
        name="orders", namespace=namespace, uid="u-1", queue=queue, address="legato:7233", replicas=1
    )
    template = deployment["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "orders-worker-0", "namespace": namespace, **template["metadata"]},
        "spec": template["spec"],
    }


def test_a_default_worker_pod_is_admitted_where_restricted_is_enforced(apiserver: APIServer, namespace: str) -> None:
    restricted_namespace(apiserver, namespace)
    code, out = apply(apiserver, pod_of(namespace, {"image": "shop/orders-worker:1"}), "--dry-run=server")
    assert code == 0, out


def test_a_worker_that_asks_for_privilege_escalation_is_refused_naming_the_field(
    apiserver: APIServer, namespace: str
) -> None:
    restricted_namespace(apiserver, namespace)
    worker = {"image": "shop/orders-worker:1", "securityContext": {"allowPrivilegeEscalation": True}}
    code, out = apply(apiserver, pod_of(namespace, worker), "--dry-run=server")
    assert code != 0
    assert "violates PodSecurity" in out
    assert "allowPrivilegeEscalation" in out
