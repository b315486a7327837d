"""The chart's `helm test` hook: a restricted pod that asks the Service whether the API answers.

No kubelet runs here, so `helm test` itself cannot: the rendering tests check what the pod
would do, and the realapi test has the API server's PodSecurity admission judge the pod
(a server-side dry run goes through admission and stores nothing). scripts/e2e-kind.sh
runs `helm test` on a real cluster.
"""

from __future__ import annotations

from typing import Any

from tests.k8s import testbin
from tests.k8s.apiserver import APIServer
from tests.k8s.chart import find, render
from tests.k8s.harness import apply

HOOK = "legato-test-api"


def test_the_api_test_is_a_helm_test_hook_replaced_on_rerun_and_kept_when_it_fails(
    binaries: testbin.TestBin,
) -> None:
    pod = find(render(binaries), "Pod", HOOK)
    assert pod["metadata"]["annotations"] == {
        "helm.sh/hook": "test",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
    }
    assert pod["spec"]["restartPolicy"] == "Never"


def test_the_api_test_asks_the_service_for_readiness_and_the_api_routes(binaries: testbin.TestBin) -> None:
    (container,) = find(render(binaries, "service.port=8080"), "Pod", HOOK)["spec"]["containers"]
    assert container["image"] == "docker.io/curlimages/curl:8.11.1"
    assert container["command"] == ["curl"]
    assert {"--fail", "--fail-early", "--retry-connrefused"} <= set(container["args"])
    urls = [a for a in container["args"] if a.startswith("http://")]
    assert urls == ["http://legato.legato-system.svc:8080/readyz", "http://legato.legato-system.svc:8080/openapi.json"]


def test_the_api_test_runs_restricted_without_a_token_and_with_resources(binaries: testbin.TestBin) -> None:
    spec = find(render(binaries), "Pod", HOOK)["spec"]
    (container,) = spec["containers"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]["memory"]


def test_the_api_test_takes_its_image_from_the_values(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "tests.image.repository=mirror.example/curl", "tests.image.tag=8.12.0")
    assert find(objects, "Pod", HOOK)["spec"]["containers"][0]["image"] == "mirror.example/curl:8.12.0"


def test_tests_disabled_leave_out_the_pod_and_its_network_policy_peer(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "tests.enabled=false", "networkPolicy.enabled=true")
    assert not [o for o in objects if o["kind"] == "Pod"]
    [rule] = find(objects, "NetworkPolicy", "legato")["spec"]["ingress"]
    assert [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in rule["from"]] == ["worker"]


def test_the_network_policy_lets_the_api_test_reach_the_api(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "networkPolicy.enabled=true")
    labels = find(objects, "Pod", HOOK)["metadata"]["labels"]
    [rule] = find(objects, "NetworkPolicy", "legato")["spec"]["ingress"]
    # Same namespace (no namespaceSelector), and every label the peer asks for is the pod's.
    admitted = [p for p in rule["from"] if "namespaceSelector" not in p]
    assert any(p["podSelector"]["matchLabels"].items() <= labels.items() for p in admitted)
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]


# --- admitted by the API server -------------------------------------------------------------


def in_namespace(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}


def test_the_api_test_pod_is_admitted_where_restricted_is_enforced(
    binaries: testbin.TestBin, apiserver: APIServer, namespace: str
) -> None:
    apiserver.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    pod = in_namespace(find(render(binaries), "Pod", HOOK), namespace)
    code, out = apply(apiserver, pod, "--dry-run=server")
    assert code == 0, out
    assert "created (server dry run)" in out
