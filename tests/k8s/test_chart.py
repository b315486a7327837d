"""The Helm chart: it lints, renders, refuses unknown values, and installs least-privilege RBAC.

Rendering tests run `helm` from `make testbin` (skipped without it); the install test puts
the chart into a fresh kube-apiserver of its own, so that Helm itself creates the CRDs, and
asks the API server what the operator's ServiceAccount may do (`kubectl auth can-i`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from legato_operator import metrics
from legato_operator.k8s import kube
from legato_operator.k8s.token_review import KubernetesAuthenticator
from tests.k8s import testbin
from tests.k8s.apiserver import APIServer
from tests.k8s.chart import CHART, RELEASE, RELEASE_NAMESPACE, find, helm, render

REPO = Path(__file__).resolve().parents[2]
OPERATOR = f"system:serviceaccount:{RELEASE_NAMESPACE}:legato"


# --- lint and render -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sets",
    [
        [],
        ["postgresql.enabled=true"],
        ["auth.tokensSecret=legato-tokens"],
        [
            "metrics.dashboard.enabled=true",
            "metrics.prometheusRule.enabled=true",
            "metrics.serviceMonitor.enabled=true",
        ],
    ],
)
def test_the_chart_lints(binaries: testbin.TestBin, sets: list[str]) -> None:
    flags = [f for s in sets for f in ("--set", s)]
    done = helm(binaries, "lint", "--strict", str(CHART), *flags, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_default_values_render_the_operator_and_least_privilege_rbac(binaries: testbin.TestBin) -> None:
    objects = render(binaries)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(
        [
            "ClusterRole",
            "ClusterRole",
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "Deployment",
            "Pod",  # the `helm test` hook
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount",
        ]
    )
    assert find(objects, "Service")["spec"]["ports"][0]["port"] == 7233


def test_the_operator_runs_hardened_with_probes_and_its_namespace(binaries: testbin.TestBin) -> None:
    deployment = find(render(binaries), "Deployment")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 7233
    assert container["args"][:2] == ["run", "--database-url=$(LEGATO_DATABASE_URL)"]
    assert "--auth=kubernetes" in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert env["LEGATO_OPERATOR_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["LEGATO_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "legato-database", "key": "url"}
    assert env["LEGATO_ADVERTISE_ADDRESS"]["value"] == f"legato.{RELEASE_NAMESPACE}.svc:7233"


def test_the_quickstart_postgres_renders_a_statefulset_and_the_url_secret(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "postgresql.enabled=true")
    statefulset = find(objects, "StatefulSet", "legato-postgresql")
    assert statefulset["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "8Gi"
    secret = find(objects, "Secret", "legato-database")["stringData"]
    assert secret["url"].startswith("postgresql://legato:")
    assert secret["url"].endswith(f"@legato-postgresql.{RELEASE_NAMESPACE}.svc:5432/legato")
    assert secret["password"] in secret["url"]


def test_a_database_url_value_goes_into_a_secret_not_the_pod(binaries: testbin.TestBin) -> None:
    url = "postgresql://legato:s3cret@db.example:5432/legato"
    objects = render(binaries, f"database.url={url}")
    assert find(objects, "Secret", "legato-database")["stringData"]["url"] == url
    assert "s3cret" not in json.dumps(find(objects, "Deployment"))


def test_an_existing_database_secret_is_used_as_is(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "database.existingSecret=pg", "database.existingSecretKey=dsn")
    assert not [o for o in objects if o["kind"] == "Secret"]
    container = find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["LEGATO_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "pg", "key": "dsn"}


def test_a_tokens_secret_is_mounted_whole_and_passed_as_tokens_file(binaries: testbin.TestBin) -> None:
    deployment = find(render(binaries, "auth.tokensSecret=legato-tokens"), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "--tokens-file=/etc/legato/tokens/tokens.yaml" in container["args"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "tokens")
    assert "subPath" not in mount  # a subPath mount never sees the Secret's updates
    assert {"name": "tokens", "secret": {"secretName": "legato-tokens"}} in pod["volumes"]


def test_the_service_monitor_scrapes_metrics_when_enabled(binaries: testbin.TestBin) -> None:
    monitor = find(render(binaries, "metrics.serviceMonitor.enabled=true"), "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_the_dashboard_and_the_alerts_are_left_out_by_default(binaries: testbin.TestBin) -> None:
    objects = render(binaries)
    assert not [o for o in objects if o["kind"] in ("PrometheusRule", "ConfigMap")]


def test_the_dashboard_renders_into_a_configmap_grafanas_sidecar_loads(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "metrics.dashboard.enabled=true", "metrics.dashboard.annotations.grafana_folder=Legato")
    configmap = find(objects, "ConfigMap", "legato-dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Legato"}
    dashboard = json.loads(configmap["data"]["legato.json"])
    assert dashboard == json.loads((CHART / "dashboards" / "legato.json").read_text())
    titles = {p["title"] for p in dashboard["panels"]}
    assert {"Workflows closed by status", "Task backlog", "HTTP p99 latency by operation", "Leader", "Memory"} <= titles


def test_the_dashboard_queries_only_metrics_the_server_exports() -> None:
    dashboard = json.loads((CHART / "dashboards" / "legato.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    queries += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    assert len(queries) > 20
    named = {name for query in queries for name in promql_metrics(query)}
    assert named <= exported_metrics(), f"not exported: {named - exported_metrics()}"
    assert {"legato_http_requests_total", "legato_reconcile_total", "legato_leader"} <= named


def test_the_alerts_name_only_metrics_the_server_exports_and_point_to_a_runbook(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "metrics.prometheusRule.enabled=true", "metrics.prometheusRule.labels.release=kps")
    rule = find(objects, "PrometheusRule", "legato")
    assert rule["metadata"]["labels"]["release"] == "kps"
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(alerts) == {
        "LegatoNoLeader",
        "LegatoReconcileErrors",
        "LegatoHTTPErrors",
        "LegatoTaskBacklogGrowing",
        "LegatoScheduleToStartSlow",
        "LegatoProcessingFailures",
        "LegatoStoreUnavailable",
    }
    operations = (REPO / "docs" / "operations.md").read_text().lower()
    for name, alert in alerts.items():
        assert promql_metrics(alert["expr"]) <= exported_metrics(), name
        assert 'job="legato",namespace="legato-system"' in alert["expr"], name
        assert alert["annotations"]["summary"], name
        assert alert["annotations"]["description"], name
        runbook = alert["annotations"]["runbook_url"]
        assert runbook == f"docs/operations.md#{name.lower()}"
        assert f"#### {name.lower()}" in operations, f"docs/operations.md has no section {name}"
    assert alerts["LegatoNoLeader"]["for"] == "5m"


def test_the_alerts_take_the_thresholds_and_selector_given(binaries: testbin.TestBin) -> None:
    objects = render(
        binaries,
        "metrics.prometheusRule.enabled=true",
        'metrics.prometheusRule.selector=cluster="eu-1"',
        "metrics.prometheusRule.httpErrorRatio=0.2",
    )
    alerts = {r["alert"]: r for g in find(objects, "PrometheusRule")["spec"]["groups"] for r in g["rules"]}
    assert 'legato_leader{cluster="eu-1"}' in alerts["LegatoNoLeader"]["expr"]
    assert alerts["LegatoHTTPErrors"]["expr"].endswith("> 0.2")


# PromQL's functions, aggregations and keywords: every other name in a query is a metric.
_PROMQL_WORDS = frozenset(
    {
        "sum",
        "max",
        "min",
        "avg",
        "count",
        "rate",
        "irate",
        "increase",
        "deriv",
        "delta",
        "histogram_quantile",
        "clamp_min",
        "clamp_max",
        "vector",
        "absent",
        "and",
        "or",
        "unless",
        "bool",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "topk",
        "bottomk",
        "label_values",
    }
)


def promql_metrics(query: str) -> set[str]:
    """The metric names a PromQL query (or a Grafana ``label_values(...)``) reads."""
    query = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    query = re.sub(r"\{[^}]*\}", "", query)
    query = re.sub(r"\[[^\]]*\]", "", query)
    query = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", query)
    query = re.sub(r"\$\w+", "", query)
    query = re.sub(r",\s*\w+\)", ")", query) if query.startswith("label_values") else query
    words = set(re.findall(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", query))
    return words - _PROMQL_WORDS


def exported_metrics() -> set[str]:
    """Every series name the server's registry exposes (process and Python ones included)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {
        family.name + suffix for family in metrics.REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))
    }


def test_one_replica_gets_no_disruption_budget_that_would_block_drains(binaries: testbin.TestBin) -> None:
    assert not [o for o in render(binaries, "replicaCount=1") if o["kind"] == "PodDisruptionBudget"]


@pytest.mark.parametrize("key", ["replicas=3", "image.registry=ghcr.io", "postgresql.auth.user=x", "auth.mode=open"])
def test_the_values_schema_refuses_an_unknown_key_or_value(binaries: testbin.TestBin, key: str) -> None:
    done = helm(binaries, "template", RELEASE, str(CHART), "--set", key, check=False)
    assert done.returncode != 0
    assert "schema" in done.stderr


def test_rbac_grants_no_wildcards_secrets_or_pods(binaries: testbin.TestBin) -> None:
    rules = [r for o in render(binaries) if o["kind"] in ("ClusterRole", "Role") for r in o["rules"]]
    for rule in rules:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field], rule
        assert not {"secrets", "pods", "configmaps"} & set(rule["resources"]), rule
    leases = [r for r in rules if "leases" in r["resources"]]
    assert leases
    assert all(r["apiGroups"] == ["coordination.k8s.io"] for r in leases)


def test_the_roles_for_people_aggregate_into_view_edit_and_admin(binaries: testbin.TestBin) -> None:
    objects = render(binaries)
    aggregated = {
        name: find(objects, "ClusterRole", f"legato-system-legato-data-{name}")["metadata"]["labels"]
        for name in ("viewer", "operator", "admin")
    }
    assert aggregated["viewer"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert aggregated["operator"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert aggregated["admin"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    viewer = find(objects, "ClusterRole", "legato-system-legato-data-viewer")["rules"]
    assert {v for r in viewer for v in r["verbs"]} == {"get", "list", "watch"}
    without = render(binaries, "rbac.people=false")
    assert not [o for o in without if o["metadata"]["name"].startswith("legato-system-legato-data-")]


CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_each_ci_scenario_lints_and_renders(binaries: testbin.TestBin, values: Path) -> None:
    done = helm(binaries, "lint", "--strict", str(CHART), "-f", str(values), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rendered = helm(binaries, "template", RELEASE, str(CHART), "-n", RELEASE_NAMESPACE, "-f", str(values), check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert [d for d in yaml.safe_load_all(rendered.stdout) if d and d["kind"] == "Deployment"]


def test_the_ci_scenarios_cover_the_installs_the_docs_describe() -> None:
    names = {p.name.removesuffix("-values.yaml") for p in CI_VALUES}
    assert {"default", "external-database", "quickstart-database", "ha-metrics", "namespace-scoped"} <= names


def test_network_policies_admit_workers_and_the_given_peers_and_are_off_by_default(
    binaries: testbin.TestBin,
) -> None:
    assert not [o for o in render(binaries) if o["kind"] == "NetworkPolicy"]
    objects = render(binaries, "networkPolicy.enabled=true", "postgresql.enabled=true")
    operator = find(objects, "NetworkPolicy", "legato")
    [rule] = operator["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    workers, tests = rule["from"]
    assert workers["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
    assert workers["namespaceSelector"] == {}
    assert tests["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test"
    database = find(objects, "NetworkPolicy", "legato-postgresql")
    [db_rule] = database["spec"]["ingress"]
    assert db_rule["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "operator"


def test_the_chart_refuses_a_kubernetes_older_than_it_supports(binaries: testbin.TestBin) -> None:
    old = helm(binaries, "template", RELEASE, str(CHART), "--kube-version", "1.26.0", check=False)
    assert old.returncode != 0
    assert "kubeVersion" in old.stderr or "incompatible" in old.stderr
    assert helm(binaries, "template", RELEASE, str(CHART), "--kube-version", "1.27.0", check=False).returncode == 0


# --- the chart's files ----------------------------------------------------------------------


def test_the_chart_crds_are_copies_of_the_generated_ones() -> None:
    generated = {p.name: p.read_text() for p in (REPO / "crds").glob("*.yaml")}
    copies = {p.name: p.read_text() for p in (CHART / "files" / "crds").glob("*.yaml")}
    assert generated, "crds/ is empty"
    assert copies == generated, "charts/legato/files/crds/ differs from crds/: run `make crds`"


def test_the_crds_are_templates_kept_on_uninstall_unless_told_otherwise(binaries: testbin.TestBin) -> None:
    # Not in the chart's crds/ folder, which Helm never upgrades.
    assert not (CHART / "crds").exists()
    crds = [o for o in render(binaries) if o["kind"] == "CustomResourceDefinition"]
    assert sorted(c["metadata"]["name"] for c in crds) == [
        "schedules.legato.dev",
        "taskqueues.legato.dev",
        "workflows.legato.dev",
    ]
    assert all(c["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"} for c in crds)
    assert all(c["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm" for c in crds)
    unkept = [o for o in render(binaries, "crds.keep=false") if o["kind"] == "CustomResourceDefinition"]
    assert all("annotations" not in c["metadata"] for c in unkept)
    assert not [o for o in render(binaries, "crds.enabled=false") if o["kind"] == "CustomResourceDefinition"]


def test_the_chart_readme_is_generated_from_the_values_comments() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "chart_readme.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    readme = (CHART / "README.md").read_text()
    assert "| `networkPolicy.enabled` | `false` |" in readme
    assert "| `crds.keep` | `true` |" in readme


def test_every_value_has_a_doc_comment() -> None:
    """helm-docs style: a `# --` comment above each value, or above a map documented whole."""
    key = re.compile(r"^(\s*)([A-Za-z0-9_]+):(.*)$")
    lines = (CHART / "values.yaml").read_text().splitlines()
    stack: list[tuple[int, bool]] = []
    undocumented = []
    for n, line in enumerate(lines):
        match = key.match(line)
        if match is None:
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        covered = any(documented for _, documented in stack)
        own = _doc_comment_above(lines, n)
        is_leaf = match.group(3).strip() != ""
        if is_leaf and not (own or covered):
            undocumented.append(match.group(2))
        stack.append((indent, own or covered))
    assert not undocumented, f"values without a `# --` comment: {undocumented}"


def _doc_comment_above(lines: list[str], n: int) -> bool:
    i = n - 1
    while i >= 0 and lines[i].strip().startswith("#"):
        if lines[i].strip().startswith("# --"):
            return True
        i -= 1
    return False


def test_the_values_schema_refuses_unknown_keys_at_every_level() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    open_objects: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                open_objects.append(path or "(root)")
            for name, child in node.get("properties", {}).items():
                walk(child, f"{path}.{name}")
            walk(node.get("items"), f"{path}[]")

    walk(schema, "")
    assert not open_objects


def test_every_value_is_in_the_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def missing(value: Any, node: dict[str, Any], path: str) -> Iterator[str]:
        if not (isinstance(value, dict) and "properties" in node):
            return
        for name, child in value.items():
            if name not in node["properties"]:
                yield f"{path}.{name}"
            else:
                yield from missing(child, node["properties"][name], f"{path}.{name}")

    assert not list(missing(values, schema, ""))


# --- install into a real API server -------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(binaries: testbin.TestBin) -> Iterator[APIServer]:
    """A kube-apiserver of this module's own, without the CRDs: Helm must create them."""
    with APIServer(binaries) as server:
        yield server


@pytest.fixture(scope="module")
def installed(binaries: testbin.TestBin, cluster: APIServer) -> APIServer:
    done = helm(
        binaries,
        "install",
        RELEASE,
        str(CHART),
        "--kubeconfig",
        str(cluster.kubeconfig),
        "-n",
        RELEASE_NAMESPACE,
        "--create-namespace",
        "--set",
        "database.url=postgresql://legato:pw@db:5432/legato",
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return cluster


def can_i(cluster: APIServer, *args: str) -> bool:
    done = cluster.kubectl("auth", "can-i", f"--as={OPERATOR}", *args, check=False)
    assert done.stdout.strip() in ("yes", "no"), done.stdout + done.stderr
    return done.stdout.strip() == "yes"


@pytest.mark.realapi
def test_helm_install_creates_the_operator_rbac_and_crds(installed: APIServer) -> None:
    for kind, name in [
        ("crd", "workflows.legato.dev"),
        ("crd", "taskqueues.legato.dev"),
        ("crd", "schedules.legato.dev"),
        ("clusterrole", "legato-system-legato-operator"),
        ("clusterrolebinding", "legato-system-legato-operator"),
    ]:
        installed.kubectl("get", kind, name)
    for kind, name in [
        ("deployment", "legato"),
        ("service", "legato"),
        ("serviceaccount", "legato"),
        ("role", "legato-leader-election"),
        ("rolebinding", "legato-leader-election"),
        ("secret", "legato-database"),
        ("poddisruptionbudget", "legato"),
    ]:
        installed.kubectl("get", kind, name, "-n", RELEASE_NAMESPACE)
    deployment = json.loads(
        installed.kubectl("get", "deployment", "legato", "-n", RELEASE_NAMESPACE, "-o", "json").stdout
    )
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "legato"


@pytest.mark.realapi
@pytest.mark.parametrize(
    "request_args",
    [
        ("patch", "workflows.legato.dev", "--subresource=status", "-n", "shop"),
        ("update", "taskqueues.legato.dev", "--subresource=status", "-n", "shop"),
        ("watch", "workflows.legato.dev", "--all-namespaces"),
        ("patch", "taskqueues.legato.dev", "-n", "shop"),
        ("update", "taskqueues.legato.dev", "--subresource=finalizers", "-n", "shop"),
        ("watch", "schedules.legato.dev", "--all-namespaces"),
        ("patch", "schedules.legato.dev", "-n", "shop"),
        ("patch", "schedules.legato.dev", "--subresource=status", "-n", "shop"),
        ("update", "schedules.legato.dev", "--subresource=finalizers", "-n", "shop"),
        ("create", "deployments.apps", "-n", "shop"),
        ("create", "serviceaccounts", "-n", "shop"),
        ("patch", "serviceaccounts", "-n", "shop"),
        ("delete", "deployments.apps", "-n", "shop"),
        ("create", "events", "-n", "shop"),
        ("create", "events.events.k8s.io", "-n", "shop"),
        ("create", "tokenreviews.authentication.k8s.io"),
        ("create", "subjectaccessreviews.authorization.k8s.io"),
        ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
        ("list", "namespaces"),
        ("create", "leases.coordination.k8s.io", "-n", RELEASE_NAMESPACE),
        ("update", "leases.coordination.k8s.io/legato-operator", "-n", RELEASE_NAMESPACE),
        ("delete", "workflows.legato.dev", "-n", "shop"),
    ],
)
def test_the_operator_may_do_what_it_needs(installed: APIServer, request_args: tuple[str, ...]) -> None:
    assert can_i(installed, *request_args)


@pytest.mark.realapi
@pytest.mark.parametrize(
    "request_args",
    [
        ("get", "secrets", "-n", RELEASE_NAMESPACE),
        ("list", "secrets", "--all-namespaces"),
        ("delete", "pods", "-n", "shop"),
        ("get", "pods", "-n", "shop"),
        ("create", "workflows.legato.dev", "-n", "shop"),
        ("delete", "taskqueues.legato.dev", "-n", "shop"),
        ("create", "schedules.legato.dev", "-n", "shop"),
        ("delete", "schedules.legato.dev", "-n", "shop"),
        ("delete", "customresourcedefinitions.apiextensions.k8s.io"),
        ("create", "leases.coordination.k8s.io", "-n", "shop"),
        ("update", "leases.coordination.k8s.io/someone-else", "-n", RELEASE_NAMESPACE),
        ("create", "serviceaccounts", "--subresource=token", "-n", "shop"),
        ("delete", "serviceaccounts", "-n", "shop"),
        ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
        ("*", "*"),
    ],
)
def test_the_operator_may_not_do_anything_else(installed: APIServer, request_args: tuple[str, ...]) -> None:
    assert not can_i(installed, *request_args)


@pytest.mark.realapi
async def test_the_operator_service_account_can_review_worker_tokens(installed: APIServer, tmp_path: Path) -> None:
    operator_token = installed.kubectl("create", "token", "legato", "-n", RELEASE_NAMESPACE).stdout.strip()
    installed.kubectl("create", "namespace", "shop", check=False)
    installed.kubectl("create", "serviceaccount", "worker", "-n", "shop", check=False)
    worker_token = installed.kubectl("create", "token", "worker", "-n", "shop", "--audience", "legato").stdout.strip()
    config = json.loads(installed.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = operator_token
    kubeconfig = tmp_path / "operator-kubeconfig"
    kubeconfig.write_text(json.dumps(config))
    calls = kube.Kube(kube.load_api_client(str(kubeconfig)))
    try:
        who = await KubernetesAuthenticator(calls).authenticate(worker_token)
    finally:
        calls.close()
    assert who is not None
    assert who.namespaces == frozenset({"shop"})
