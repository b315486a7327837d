"""Two Legato releases on one API server: their objects do not collide, and their operators
never handle the same resource (by the namespaces each watches, or by its instance label).

The operators are real `legato-operator run` processes, each on a database of its own; one
runs with nothing but the namespace-scoped RBAC the chart installs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from legato_operator import postgres
from legato_operator.k8s.context import FINALIZER
from legato_operator.k8s.scope import INSTANCE_LABEL
from tests.k8s import harness, testbin
from tests.k8s.apiserver import APIServer
from tests.k8s.chart import CHART, RELEASE, helm, render
from tests.k8s.harness import apply, get, workflow_manifest
from tests.support import databases
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess

WITHIN = 30.0
_numbers = itertools.count(1)


def rules_of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for o in objects if o["kind"] == kind for r in o["rules"]]


def fresh_namespace(apiserver: APIServer, prefix: str) -> str:
    name = f"{prefix}{next(_numbers)}"
    apiserver.kubectl("create", "namespace", name)
    return name


# --- rendered ----------------------------------------------------------------------------------


def test_two_releases_of_one_name_in_two_namespaces_share_no_cluster_scoped_object(binaries: testbin.TestBin) -> None:
    def cluster_scoped(namespace: str) -> set[tuple[str, str]]:
        objects = render(binaries, "crds.enabled=false", namespace=namespace)
        return {(o["kind"], o["metadata"]["name"]) for o in objects if "namespace" not in o["metadata"]}

    team_a, team_b = cluster_scoped("team-a"), cluster_scoped("team-b")
    assert ("ClusterRole", "team-a-legato-operator") in team_a
    assert ("ClusterRole", "team-a-legato-data-viewer") in team_a
    assert not team_a & team_b


def test_watch_namespaces_turn_the_operators_rights_into_roles_in_those_namespaces(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "watchNamespaces={team-a,team-a-ci}", namespace="team-a")
    operator_roles = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "legato-operator"]
    roles = {o["metadata"]["namespace"] for o in operator_roles}
    assert roles == {"team-a", "team-a-ci"}
    cluster_rules = [
        r
        for o in objects
        if o["kind"] == "ClusterRole" and o["metadata"]["name"] == "team-a-legato-operator"
        for r in o["rules"]
    ]
    granted = {resource for r in cluster_rules for resource in r["resources"]}
    assert granted == {"tokenreviews", "subjectaccessreviews"}
    role_resources = {res for r in rules_of(objects, "Role") for res in r["resources"]}
    assert {"workflows", "deployments", "serviceaccounts", "events"} <= role_resources
    env = {e["name"]: e.get("value") for e in _operator_container(objects)["env"]}
    assert env["LEGATO_WATCH_NAMESPACES"] == "team-a,team-a-ci"
    assert "LEGATO_INSTANCE" not in env


def test_the_instance_and_the_lease_are_the_releases_own(binaries: testbin.TestBin) -> None:
    objects = render(binaries, "instance=blue", "fullnameOverride=blue-legato", namespace="team-a")
    env = {e["name"]: e.get("value") for e in _operator_container(objects)["env"]}
    assert env["LEGATO_INSTANCE"] == "blue"
    assert env["LEGATO_LEASE_NAME"] == "blue-legato-operator"
    lease_rules = [r for r in rules_of(objects, "Role") if r.get("resourceNames")]
    assert lease_rules[0]["resourceNames"] == ["blue-legato-operator"]


@pytest.mark.parametrize(("key", "value"), [("watchNamespaces", "{Team_A}"), ("instance", "not a label!")])
def test_a_bad_scope_value_is_refused_naming_it(binaries: testbin.TestBin, key: str, value: str) -> None:
    done = helm(binaries, "template", RELEASE, str(CHART), "--set", f"{key}={value}", check=False)
    assert done.returncode != 0
    assert key in done.stderr


def _operator_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


# --- installed on the API server ---------------------------------------------------------------


def install(binaries: testbin.TestBin, apiserver: APIServer, release_namespace: str, *sets: str) -> None:
    flags = [f for s in ("crds.enabled=false", "database.url=postgresql://u:p@db/legato", *sets) for f in ("--set", s)]
    kubeconfig = str(apiserver.kubeconfig)
    done = helm(
        binaries,
        "install",
        RELEASE,
        str(CHART),
        "--kubeconfig",
        kubeconfig,
        "-n",
        release_namespace,
        *flags,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def can_i(apiserver: APIServer, release_namespace: str, *args: str) -> bool:
    who = f"--as=system:serviceaccount:{release_namespace}:legato"
    done = apiserver.kubectl("auth", "can-i", who, *args, check=False)
    assert done.stdout.strip() in ("yes", "no"), done.stdout + done.stderr
    return done.stdout.strip() == "yes"


def test_two_teams_install_the_chart_side_by_side_each_with_rights_in_its_namespaces_only(
    apiserver: APIServer, binaries: testbin.TestBin
) -> None:
    teams = {fresh_namespace(apiserver, "team-a-"): fresh_namespace(apiserver, "shop-a-")}
    teams[fresh_namespace(apiserver, "team-b-")] = fresh_namespace(apiserver, "shop-b-")
    for release_namespace, watched in teams.items():
        install(binaries, apiserver, release_namespace, f"watchNamespaces={{{watched}}}")
    (a, shop_a), (b, shop_b) = teams.items()
    assert can_i(apiserver, a, "patch", "workflows.legato.dev", "--subresource=status", "-n", shop_a)
    assert can_i(apiserver, a, "create", "deployments.apps", "-n", shop_a)
    assert not can_i(apiserver, a, "patch", "workflows.legato.dev", "-n", shop_b)
    assert not can_i(apiserver, a, "create", "deployments.apps", "-n", shop_b)
    assert not can_i(apiserver, a, "list", "namespaces")
    assert can_i(apiserver, b, "watch", "workflows.legato.dev", "-n", shop_b)
    assert not can_i(apiserver, b, "watch", "workflows.legato.dev", "-n", shop_a)
    assert can_i(apiserver, b, "create", "tokenreviews.authentication.k8s.io")


# --- two operators -----------------------------------------------------------------------------


@pytest.fixture
def operators(pg_cluster: postgres.EmbeddedPostgres, apiserver: APIServer, tmp_path: Path) -> Iterator[Operators]:
    started = Operators(pg_cluster, apiserver, tmp_path)
    try:
        yield started
    finally:
        started.stop()


class Operators:
    """Operator processes on one API server, each on its own database and Lease."""

    def __init__(self, pg_cluster: postgres.EmbeddedPostgres, apiserver: APIServer, log_dir: Path) -> None:
        self.pg_cluster, self.apiserver, self.log_dir = pg_cluster, apiserver, log_dir
        self.dsns: dict[str, str] = {}
        self.procs: list[ServerProcess] = []

    async def start(self, name: str, *args: str, kubeconfig: Path | None = None) -> ServerProcess:
        dsn = await databases.fresh_database(self.pg_cluster, f"two_releases_{name}_{next(_numbers)}")
        self.dsns[name] = dsn
        lease = ("--lease-name", f"legato-{name}")
        proc = harness.start_operator(
            dsn, self.apiserver, self.log_dir, identity=name, extra_args=(*lease, *args), kubeconfig=kubeconfig
        )
        self.procs.append(proc)
        return proc

    async def linked(self, name: str, namespace: str) -> set[str]:
        """The Workflow resources of ``namespace`` that operator ``name`` started a run for."""
        conn = await asyncpg.connect(self.dsns[name])
        try:
            rows = await conn.fetch("SELECT name FROM workflow_resources WHERE namespace = $1", namespace)
        finally:
            await conn.close()
        return {r["name"] for r in rows}

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()


async def run_id_of(apiserver: APIServer, name: str, namespace: str) -> str:
    async def check() -> str | None:
        found = await asyncio.to_thread(get, apiserver, "workflows.legato.dev", name, namespace)
        run_id = ((found or {}).get("status") or {}).get("runId")
        return str(run_id) if run_id else None

    return await eventually(check, within=WITHIN, what=f"a run id on {namespace}/{name}")


def finalizers(apiserver: APIServer, name: str, namespace: str) -> list[str]:
    found = get(apiserver, "workflows.legato.dev", name, namespace) or {}
    return list(found.get("metadata", {}).get("finalizers") or [])


def create_workflow(apiserver: APIServer, name: str, namespace: str, labels: dict[str, str] | None = None) -> None:
    manifest = workflow_manifest(name, namespace)
    manifest["metadata"]["labels"] = labels or {}
    code, out = apply(apiserver, manifest)
    assert code == 0, out


async def test_operators_watching_different_namespaces_each_start_only_their_own_runs(
    operators: Operators, apiserver: APIServer
) -> None:
    shop_a, shop_b = fresh_namespace(apiserver, "shop-a-"), fresh_namespace(apiserver, "shop-b-")
    await operators.start("a", "--watch-namespaces", shop_a)
    await operators.start("b", "--watch-namespaces", shop_b)
    for namespace in (shop_a, shop_b):
        create_workflow(apiserver, "order-1", namespace)
    await run_id_of(apiserver, "order-1", shop_a)
    await run_id_of(apiserver, "order-1", shop_b)
    assert await operators.linked("a", shop_a) == {"order-1"}
    assert await operators.linked("a", shop_b) == set()
    assert await operators.linked("b", shop_b) == {"order-1"}
    assert await operators.linked("b", shop_a) == set()
    assert finalizers(apiserver, "order-1", shop_a) == [FINALIZER]


async def test_operators_of_one_namespace_split_its_resources_by_their_instance_label(
    operators: Operators, apiserver: APIServer
) -> None:
    shop = fresh_namespace(apiserver, "shop-")
    await operators.start("blue", "--watch-namespaces", shop, "--instance", "blue")
    await operators.start("plain", "--watch-namespaces", shop)
    create_workflow(apiserver, "for-blue", shop, {INSTANCE_LABEL: "blue"})
    create_workflow(apiserver, "for-green", shop, {INSTANCE_LABEL: "green"})
    create_workflow(apiserver, "unlabelled", shop)
    await run_id_of(apiserver, "for-blue", shop)
    await run_id_of(apiserver, "unlabelled", shop)
    assert await operators.linked("blue", shop) == {"for-blue"}
    assert await operators.linked("plain", shop) == {"unlabelled"}
    # No operator is green's: it was never touched, not even by a finalizer.
    green = get(apiserver, "workflows.legato.dev", "for-green", shop) or {}
    assert not green.get("status")
    assert not green["metadata"].get("finalizers")


async def test_an_operator_with_the_charts_namespace_scoped_rbac_reconciles_its_namespace_only(
    operators: Operators, apiserver: APIServer, binaries: testbin.TestBin, tmp_path: Path
) -> None:
    release_namespace = fresh_namespace(apiserver, "team-")
    shop, elsewhere = fresh_namespace(apiserver, "shop-"), fresh_namespace(apiserver, "other-")
    install(binaries, apiserver, release_namespace, f"watchNamespaces={{{shop}}}")
    kubeconfig = _token_kubeconfig(apiserver, release_namespace, tmp_path)
    create_workflow(apiserver, "not-mine", elsewhere)
    proc = await operators.start(
        "scoped",
        "--watch-namespaces",
        shop,
        "--lease-namespace",
        release_namespace,
        "--lease-name",
        "legato-operator",
        kubeconfig=kubeconfig,
    )
    create_workflow(apiserver, "order-1", shop)
    await run_id_of(apiserver, "order-1", shop)
    assert finalizers(apiserver, "not-mine", elsewhere) == []
    assert "forbidden" not in proc.log_path.read_text().lower()


def _token_kubeconfig(apiserver: APIServer, release_namespace: str, tmp_path: Path) -> Path:
    """A kubeconfig that acts as the release's operator ServiceAccount."""
    token = apiserver.kubectl("create", "token", "legato", "-n", release_namespace).stdout.strip()
    config = json.loads(apiserver.kubeconfig.read_text())
    config["users"][0]["user"] = {"token": token}
    path = tmp_path / "operator-kubeconfig"
    path.write_text(json.dumps(config))
    return path
