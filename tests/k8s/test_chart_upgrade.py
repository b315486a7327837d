"""The chart's CRDs through a release's life on a real API server: upgraded with it, kept after it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.k8s import testbin
from tests.k8s.apiserver import APIServer
from tests.k8s.chart import CHART, RELEASE
from tests.k8s.chart import RELEASE_NAMESPACE as NAMESPACE
from tests.k8s.harness import apply

pytestmark = pytest.mark.realapi

CRD = "workflows.legato.dev"


@pytest.fixture(scope="module")
def cluster(binaries: testbin.TestBin) -> Iterator[APIServer]:
    # A control plane of its own: the release is installed, upgraded and uninstalled here.
    with APIServer(binaries) as server:
        yield server


def helm(binaries: testbin.TestBin, cluster: APIServer, *args: str) -> None:
    command = [str(binaries.helm), *args, "--kubeconfig", str(cluster.kubeconfig), "-n", NAMESPACE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def crd(cluster: APIServer) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(cluster.kubectl("get", "crd", CRD, "-o", "json").stdout)
    return found


def columns(found: dict[str, Any]) -> list[str]:
    return [c["name"] for c in found["spec"]["versions"][0]["additionalPrinterColumns"]]


def changed_chart(tmp_path: Path) -> Path:
    """The chart with one more printer column on the Workflow CRD: what a new version ships."""
    copy = tmp_path / "legato"
    shutil.copytree(CHART, copy)
    path = copy / "files" / "crds" / f"{CRD}.yaml"
    document = yaml.safe_load(path.read_text())
    document["spec"]["versions"][0]["additionalPrinterColumns"].append(
        {"name": "Run", "type": "string", "jsonPath": ".status.runId", "priority": 1}
    )
    path.write_text(yaml.safe_dump(document))
    return copy


def test_helm_upgrade_updates_the_crds_and_uninstall_keeps_them_and_their_resources(
    binaries: testbin.TestBin, cluster: APIServer, tmp_path: Path
) -> None:
    database = "database.url=postgresql://legato:pw@db:5432/legato"
    helm(binaries, cluster, "install", RELEASE, str(CHART), "--create-namespace", "--set", database)
    assert "Run" not in columns(crd(cluster))
    cluster.kubectl("create", "namespace", "shop")
    workflow = {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "order-1", "namespace": "shop"},
        "spec": {"workflowType": "OrderWorkflow", "taskQueue": "orders"},
    }
    code, out = apply(cluster, workflow)
    assert code == 0, out

    helm(binaries, cluster, "upgrade", RELEASE, str(changed_chart(tmp_path)), "--reuse-values")
    assert columns(crd(cluster))[-1] == "Run"

    helm(binaries, cluster, "uninstall", RELEASE)
    kept = crd(cluster)
    assert kept["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert cluster.kubectl("get", "lwf", "order-1", "-n", "shop", check=False).returncode == 0
