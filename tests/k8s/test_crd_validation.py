"""The CRDs as a real API server enforces them: what `kubectl apply` accepts and refuses."""

from __future__ import annotations

import json

from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply


def workflow(namespace: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "order-1", "namespace": namespace},
        "spec": {"workflowType": "OrderWorkflow", "taskQueue": "orders", **spec},
    }


def test_a_valid_workflow_is_stored_with_defaults(apiserver: APIServer, namespace: str) -> None:
    code, out = apply(apiserver, workflow(namespace, args=["order-1", {"qty": 2}]))
    assert code == 0, out
    stored = json.loads(apiserver.kubectl("get", "lwf", "order-1", "-n", namespace, "-o", "json").stdout)
    assert stored["spec"]["onDelete"] == "Cancel"
    assert stored["spec"]["args"] == ["order-1", {"qty": 2}]


def test_a_workflow_without_type_is_rejected_naming_the_field(apiserver: APIServer, namespace: str) -> None:
    manifest = workflow(namespace)
    del manifest["spec"]["workflowType"]  # type: ignore[attr-defined]
    code, out = apply(apiserver, manifest)
    assert code != 0
    assert "spec.workflowType: Required value" in out


def test_a_bad_task_queue_name_and_on_delete_policy_are_rejected(apiserver: APIServer, namespace: str) -> None:
    code, out = apply(apiserver, workflow(namespace, taskQueue="Orders_Queue", onDelete="Explode"))
    assert code != 0
    assert "spec.taskQueue" in out
    assert 'spec.onDelete: Unsupported value: "Explode"' in out


def test_a_malformed_duration_is_rejected(apiserver: APIServer, namespace: str) -> None:
    code, out = apply(apiserver, workflow(namespace, executionTimeout="one day"))
    assert code != 0
    assert "spec.executionTimeout" in out


def test_get_shows_the_printer_columns_and_short_names_work(apiserver: APIServer, namespace: str) -> None:
    apply(apiserver, workflow(namespace))
    out = apiserver.kubectl("get", "lwf", "-n", namespace).stdout
    assert out.split()[:6] == ["NAME", "TYPE", "QUEUE", "PHASE", "AGE", "MESSAGE"]
    assert "OrderWorkflow" in out
    assert apiserver.kubectl("get", "legato", "-n", namespace).returncode == 0


ARGO_WORKFLOWS = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "workflows.argoproj.io"},
    "spec": {
        "group": "argoproj.io",
        "scope": "Namespaced",
        "names": {"kind": "Workflow", "plural": "workflows", "singular": "workflow", "shortNames": ["wf"]},
        "versions": [
            {
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}


def test_beside_argo_wf_is_argos_workflow_and_lwf_legatos(apiserver: APIServer, namespace: str) -> None:
    # Argo's CRD as Argo installs it: the same kind and plural, short name wf. Removed after:
    # the session's other tests share this API server.
    code, out = apply(apiserver, ARGO_WORKFLOWS)
    assert code == 0, out
    try:
        apiserver.kubectl("wait", "--for=condition=Established", "crd/workflows.argoproj.io", "--timeout=60s")
        argo = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"name": "argo-1", "namespace": namespace},
        }
        assert apply(apiserver, argo)[0] == 0
        assert apply(apiserver, workflow(namespace))[0] == 0
        found = apiserver.kubectl("get", "wf", "-n", namespace, "-o", "name").stdout.split()
        assert found == ["workflow.argoproj.io/argo-1"]
        ours = apiserver.kubectl("get", "lwf", "-n", namespace, "-o", "name").stdout.split()
        assert ours == ["workflow.legato.dev/order-1"]
        assert "order-1" in apiserver.kubectl("get", "legato", "-n", namespace).stdout
    finally:
        apiserver.kubectl("delete", "crd", "workflows.argoproj.io", "--wait=true", check=False)
