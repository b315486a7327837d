"""Pure builders: manifests and decisions from a resource's spec, with no I/O.

Everything the reconcilers send to the Kubernetes API is built here, so it is tested in
milliseconds without a cluster.
"""

from __future__ import annotations

from typing import Any

from legato_operator.k8s import models
from legato_operator.k8s.scope import INSTANCE_LABEL

LABEL_QUEUE = "legato.dev/task-queue"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
TOKEN_AUDIENCE = "legato"
TOKEN_VOLUME = "legato-token"
TOKEN_DIR = "/var/run/secrets/legato"
TOKEN_PATH = f"{TOKEN_DIR}/token"
GROUP = "legato.dev"
VERSION = "v1alpha1"


def format_duration(seconds: float) -> str:
    """Whole seconds as the largest units that fit: 3725 → `1h2m5s`."""
    remaining, out = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if remaining >= size:
            out += f"{remaining // size}{unit}"
            remaining %= size
    return out + (f"{remaining}s" if remaining or not out else "")


def worker_deployment_name(queue_name: str) -> str:
    """The Deployment of a TaskQueue's workers: ``<queue>-worker``."""
    return f"{queue_name}-worker"


def worker_selector(queue_name: str) -> dict[str, str]:
    """Labels that select a TaskQueue's worker pods (the Deployment's immutable selector)."""
    return {LABEL_QUEUE: queue_name, LABEL_COMPONENT: "worker"}


def selector_string(labels: dict[str, str]) -> str:
    """``a=b,c=d``: a label selector as the scale subresource's status reports it."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def owner_reference(*, name: str, uid: str) -> dict[str, Any]:
    """The TaskQueue as the controlling owner: deleting it deletes its Deployment."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "TaskQueue",
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def worker_deployment(
    *,
    name: str,
    namespace: str,
    uid: str,
    queue: models.TaskQueueSpec,
    address: str,
    replicas: int | None,
    instance: str = "",
) -> dict[str, Any]:
    """The worker Deployment of a TaskQueue; ``replicas`` None leaves them to others (HPA, KEDA).

    The object is complete on every apply: it is sent by server-side apply, where a field
    left out is a field given up. An operator's ``instance`` labels it, as its TaskQueue is.
    """
    labels = {**worker_selector(name), LABEL_MANAGED_BY: "legato"}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": worker_selector(name)},
        "template": {
            "metadata": _pod_metadata(queue.worker, labels),
            "spec": worker_pod_spec(name=name, namespace=namespace, worker=queue.worker, address=address),
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    metadata = {
        "name": worker_deployment_name(name),
        "namespace": namespace,
        "labels": {**labels, **instance_label(instance)},
        "ownerReferences": [owner_reference(name=name, uid=uid)],
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def instance_label(instance: str) -> dict[str, str]:
    """The label of an object made for a resource of operator ``instance`` ("" for none)."""
    return {INSTANCE_LABEL: instance} if instance else {}


def worker_service_account(*, name: str, namespace: str, uid: str, instance: str = "") -> dict[str, Any]:
    """The ServiceAccount the operator makes for a TaskQueue that names none: ``<queue>-worker``.

    Its workers' identity is then theirs alone (not the namespace's ``default``, which other
    pods share), and it goes with the TaskQueue.
    """
    metadata = {
        "name": worker_deployment_name(name),
        "namespace": namespace,
        "labels": {**worker_selector(name), LABEL_MANAGED_BY: "legato", **instance_label(instance)},
        "ownerReferences": [owner_reference(name=name, uid=uid)],
    }
    # Legato's token is projected into the pod (token_volume); the API server's is not needed.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": False}


def service_account_of(name: str, worker: models.WorkerSpec) -> str:
    """The ServiceAccount a TaskQueue's workers run as: the one it names, else ``<queue>-worker``."""
    return worker.service_account_name or worker_deployment_name(name)


def _pod_metadata(worker: models.WorkerSpec, labels: dict[str, str]) -> dict[str, Any]:
    # Ours last: the selector's labels cannot be overridden.
    metadata: dict[str, Any] = {"labels": {**(worker.labels or {}), **labels}}
    if worker.annotations:
        metadata["annotations"] = dict(worker.annotations)
    return metadata


# WorkerSpec fields that belong to the pod, by their pod-spec name.
_POD_FIELDS = {
    "serviceAccountName": "serviceAccountName",
    "imagePullSecrets": "imagePullSecrets",
    "nodeSelector": "nodeSelector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "topologySpreadConstraints": "topologySpreadConstraints",
    "priorityClassName": "priorityClassName",
    "podSecurityContext": "securityContext",
    "terminationGracePeriodSeconds": "terminationGracePeriodSeconds",
}
_CONTAINER_FIELDS = (
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "envFrom",
    "resources",
    "securityContext",
    "livenessProbe",
    "readinessProbe",
)


# Kubernetes' `restricted` Pod Security Standard, as defaults under what the user gives: a
# worker runs in a namespace that enforces it unless spec.worker says otherwise field by field.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def restricted(defaults: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """``defaults`` with ``given`` over them, key by key (a key given wins whole)."""
    return {**defaults, **(given or {})}


def worker_pod_spec(*, name: str, namespace: str, worker: models.WorkerSpec, address: str) -> dict[str, Any]:
    """The pod: the user's pod fields, one worker container, their volumes and our token volume."""
    given = worker.model_dump(by_alias=True, exclude_none=True, mode="json")
    pod: dict[str, Any] = {ours: given[theirs] for theirs, ours in _POD_FIELDS.items() if theirs in given}
    pod["securityContext"] = restricted(RESTRICTED_POD, pod.get("securityContext"))
    pod["serviceAccountName"] = service_account_of(name, worker)
    pod["containers"] = [worker_container(name=name, namespace=namespace, worker=worker, address=address)]
    volumes = [v for v in given.get("volumes", []) if v.get("name") != TOKEN_VOLUME]
    pod["volumes"] = [*volumes, token_volume()]
    return pod


def worker_container(*, name: str, namespace: str, worker: models.WorkerSpec, address: str) -> dict[str, Any]:
    """The user's container fields, plus what the SDK reads to find its server, queue and token."""
    given = worker.model_dump(by_alias=True, exclude_none=True, mode="json")
    container: dict[str, Any] = {"name": "worker", **{k: given[k] for k in _CONTAINER_FIELDS if k in given}}
    container["securityContext"] = restricted(RESTRICTED_CONTAINER, container.get("securityContext"))
    ours = worker_env(name=name, namespace=namespace, address=address)
    taken = {e["name"] for e in ours}
    # Ours first and theirs never under the same name: the LEGATO_* values are the operator's.
    container["env"] = ours + [e for e in given.get("env", []) if e["name"] not in taken]
    mounts = [m for m in given.get("volumeMounts", []) if m.get("name") != TOKEN_VOLUME]
    container["volumeMounts"] = [*mounts, {"name": TOKEN_VOLUME, "mountPath": TOKEN_DIR, "readOnly": True}]
    return container


def worker_env(*, name: str, namespace: str, address: str) -> list[dict[str, str]]:
    """What a worker needs to find its server, namespace, queue and credentials."""
    return [
        {"name": "LEGATO_ADDRESS", "value": address},
        {"name": "LEGATO_NAMESPACE", "value": namespace},
        {"name": "LEGATO_TASK_QUEUE", "value": name},
        {"name": "LEGATO_TOKEN_FILE", "value": TOKEN_PATH},
    ]


def token_volume() -> dict[str, Any]:
    """A projected ServiceAccount token for the server's TokenReview, bound to our audience.

    The kubelet rotates it before it expires; the SDK re-reads the file when it changes.
    """
    source = {"serviceAccountToken": {"audience": TOKEN_AUDIENCE, "expirationSeconds": 3600, "path": "token"}}
    return {"name": TOKEN_VOLUME, "projected": {"sources": [source]}}
