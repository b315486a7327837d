"""Pure builders: manifests and decisions from a resource's spec, with no I/O.

Everything the reconcilers send to the Kubernetes API is built here, so it is tested in
milliseconds without a cluster.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato_operator.k8s import models

LABEL_QUEUE = "legato.dev/task-queue"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
TOKEN_AUDIENCE = "legato"
TOKEN_PATH = "/var/run/secrets/legato/token"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta:
    """`1h30m` → 5400 s. The CRD's pattern has already checked the shape."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h30m, 2d)")
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))


def format_duration(seconds: float) -> str:
    """Whole seconds as the largest units that fit: 3725 → `1h2m5s`."""
    remaining, out = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if remaining >= size:
            out += f"{remaining // size}{unit}"
            remaining %= size
    return out + (f"{remaining}s" if remaining or not out else "")


def worker_deployment_name(queue_name: str) -> str:
    return f"{queue_name}-worker"


def worker_deployment(
    *, name: str, namespace: str, queue: models.TaskQueueSpec, address: str, replicas: int | None
) -> dict[str, Any]:
    """The worker Deployment of a TaskQueue; ``replicas`` None leaves scaling to others."""
    labels = {LABEL_QUEUE: name, LABEL_COMPONENT: "worker", LABEL_MANAGED_BY: "legato"}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {LABEL_QUEUE: name, LABEL_COMPONENT: "worker"}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [worker_container(name=name, namespace=namespace, worker=queue.worker, address=address)],
                "volumes": [token_volume()],
            },
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": worker_deployment_name(name), "namespace": namespace, "labels": labels},
        "spec": spec,
    }


def worker_container(*, name: str, namespace: str, worker: models.WorkerSpec, address: str) -> dict[str, Any]:
    """The user's container fields, plus what the SDK reads to find its server and queue."""
    container: dict[str, Any] = {"name": "worker", **worker.model_dump(by_alias=True, exclude_none=True)}
    container.pop("replicasHint", None)
    ours = [
        {"name": "LEGATO_ADDRESS", "value": address},
        {"name": "LEGATO_NAMESPACE", "value": namespace},
        {"name": "LEGATO_TASK_QUEUE", "value": name},
        {"name": "LEGATO_TOKEN_FILE", "value": TOKEN_PATH},
    ]
    theirs = [e for e in container.get("env", []) if e.get("name") not in {o["name"] for o in ours}]
    container["env"] = ours + theirs
    mounts = container.get("volumeMounts", [])
    token_mount = {"name": "legato-token", "mountPath": "/var/run/secrets/legato", "readOnly": True}
    container["volumeMounts"] = [*mounts, token_mount]
    return container


def token_volume() -> dict[str, Any]:
    """A projected ServiceAccount token for the server's TokenReview, bound to our audience."""
    source = {"serviceAccountToken": {"audience": TOKEN_AUDIENCE, "expirationSeconds": 3600, "path": "token"}}
    return {"name": "legato-token", "projected": {"sources": [source]}}


@dataclass(frozen=True)
class ScaleInput:
    backlog: int
    pollers: int
    current_replicas: int
    idle_for: timedelta


def desired_replicas(scaling: models.ScalingSpec, observed: ScaleInput) -> int:
    """clamp(ceil(backlog / target), min, max), holding replicas until idle for scaleDownDelay."""
    wanted = math.ceil(observed.backlog / scaling.target_backlog_per_replica)
    # Work that is running has no backlog; keep the workers that hold it until the queue
    # has been idle long enough.
    if wanted < observed.current_replicas and observed.idle_for < parse_duration(scaling.scale_down_delay):
        wanted = observed.current_replicas
    return max(scaling.min_replicas, min(scaling.max_replicas, wanted))
