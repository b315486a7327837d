"""Helpers of the realapi tests: operator processes and resources on the API server."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from tests.k8s.apiserver import APIServer
from tests.support.server_process import ServerProcess


def apply(apiserver: APIServer, manifest: dict[str, Any], *flags: str) -> tuple[int, str]:
    """`kubectl apply` one manifest (with ``flags``, e.g. ``--server-side``); (exit code, output)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(manifest, f)
        f.flush()
        result = apiserver.kubectl("apply", *flags, "-f", f.name, check=False)
    return result.returncode, result.stdout + result.stderr


def get(apiserver: APIServer, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    """The object as JSON, or None when it does not exist."""
    result = apiserver.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    found: dict[str, Any] = json.loads(result.stdout)
    return found


# What the realapi tests run the operator with: short intervals, and no API auth because
# the test itself plays the workers (auth has tests of its own).
TEST_OPERATOR_ARGS = (
    "--lease-namespace",
    "legato-system",
    "--auth",
    "none",
    "--status-interval",
    "1",
    "--scale-interval",
    "1",
    "--cancel-grace",
    "3",
)


def start_operator(
    pg_dsn: str,
    apiserver: APIServer,
    log_dir: Path,
    identity: str = "replica-0",
    extra_args: tuple[str, ...] = (),
    kubeconfig: Path | None = None,
) -> ServerProcess:
    """A started `legato-operator run` replica on the test's database and the API server
    (with the test's admin credentials, unless ``kubeconfig`` gives others)."""
    apiserver.kubectl("create", "namespace", "legato-system", check=False)
    proc = ServerProcess(
        dsn=pg_dsn,
        log_path=log_dir / f"operator-{identity}.log",
        kubeconfig=kubeconfig or apiserver.kubeconfig,
        identity=identity,
        extra_args=TEST_OPERATOR_ARGS + extra_args,
    )
    proc.start()
    return proc


def workflow_manifest(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"workflowType": "OrderWorkflow", "taskQueue": "orders", **spec},
    }
