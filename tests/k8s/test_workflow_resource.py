"""The Workflow reconciler against a real kube-apiserver, a real operator process and real
SDK workers (in the test's loop; there is no kubelet): start, status, signals, deletion,
refused spec changes, restarts and failover."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from examples.orders import workflows as orders

from legato import activity, workflow
from legato.client import Client, WorkflowExecutionStatus
from legato_operator.k8s import kube
from legato_operator.store import db
from tests.k8s import harness
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply, get, workflow_manifest
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

QUEUE = "orders"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders" / "workflow.yaml"
# Kubernetes, the operator and a worker in one test: generous but bounded.
WITHIN = 30.0


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn(name="Greeter")
class Greeter:
    @workflow.run
    async def run(self, name: str) -> dict[str, str]:
        greeting = await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))
        return {"greeting": greeting}


@workflow.defn(name="Collector")
class Collector:
    """Records signals until `finish`; records its cleanup when cancelled."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        try:
            await workflow.wait_condition(lambda: self.done)
        except asyncio.CancelledError:
            self.items.append("cleaned up")
            raise
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn(name="Stubborn")
class Stubborn:
    """Ignores a cancel request: only termination stops it."""

    @workflow.run
    async def run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await workflow.wait_condition(lambda: False)


ALL_WORKFLOWS = [Greeter, Collector, Stubborn]


@contextlib.asynccontextmanager
async def worker(client: Client) -> AsyncIterator[None]:
    async with running_worker(client, task_queue=QUEUE, workflows=ALL_WORKFLOWS, activities=[greet]):
        yield


async def kubectl(apiserver: APIServer, *args: str) -> str:
    result = await asyncio.to_thread(apiserver.kubectl, *args)
    return result.stdout


async def resource(apiserver: APIServer, name: str, namespace: str) -> dict[str, Any] | None:
    return await asyncio.to_thread(get, apiserver, "workflows.legato.dev", name, namespace)


async def status_when(
    apiserver: APIServer, name: str, namespace: str, ok: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll the resource's status until ``ok`` holds."""

    async def check() -> dict[str, Any] | None:
        found = await resource(apiserver, name, namespace)
        current = (found or {}).get("status") or {}
        return current if current and ok(current) else None

    return await eventually(check, within=WITHIN, what=what)


async def phase_is(apiserver: APIServer, name: str, namespace: str, phase: str) -> dict[str, Any]:
    return await status_when(apiserver, name, namespace, lambda s: s.get("phase") == phase, f"{name} {phase}")


async def apply_workflow(apiserver: APIServer, manifest: dict[str, Any]) -> None:
    code, output = await asyncio.to_thread(apply, apiserver, manifest)
    assert code == 0, output


def condition(current: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in current.get("conditions", []) if c["type"] == kind), None)


async def runs_of(pg_dsn: str, namespace: str, workflow_id: str) -> int:
    pool = await db.connect(pg_dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            sql = "SELECT count(*) FROM executions WHERE namespace = $1 AND workflow_id = $2"
            return int(await conn.fetchval(sql, namespace, workflow_id))
    finally:
        await pool.close()


async def events_of(apiserver: APIServer, name: str, namespace: str) -> list[str]:
    selector = f"involvedObject.name={name},involvedObject.kind=Workflow"
    out = await kubectl(apiserver, "get", "events", "-n", namespace, "--field-selector", selector, "-o", "json")
    return [e["reason"] for e in json.loads(out)["items"]]


async def gone(apiserver: APIServer, name: str, namespace: str) -> bool:
    return await resource(apiserver, name, namespace) is None


async def test_an_applied_workflow_runs_on_a_worker_and_completes_with_its_result(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    manifest = workflow_manifest("greet-1", namespace, workflowType="Greeter", args=["Ada"])
    await apply_workflow(apiserver, manifest)
    async with worker(client):
        done = await phase_is(apiserver, "greet-1", namespace, "Completed")
    assert json.loads(done["result"]) == {"greeting": "Hello, Ada!"}
    assert (done["workflowId"], done["message"], done["historyLength"] > 5) == ("greet-1", "completed", True)
    assert done["startTime"]
    assert done["closeTime"]
    assert done["observedGeneration"] == 1
    assert condition(done, "Ready") == {**(condition(done, "Ready") or {}), "status": "True", "reason": "Completed"}
    table = await kubectl(apiserver, "get", "lwf", "greet-1", "-n", namespace)
    header, row = table.splitlines()
    assert header.split() == ["NAME", "TYPE", "QUEUE", "PHASE", "AGE", "MESSAGE"]
    assert row.split()[:4] == ["greet-1", "Greeter", QUEUE, "Completed"]
    assert row.endswith("completed")
    # Applying the same resource again starts nothing.
    await apply_workflow(apiserver, manifest)
    assert (await status_when(apiserver, "greet-1", namespace, bool, "status"))["runId"] == done["runId"]
    assert await runs_of(pg_dsn, namespace, "greet-1") == 1
    assert {"Started", "Completed"} <= set(await events_of(apiserver, "greet-1", namespace))


async def test_signals_added_by_patch_are_delivered_once_each_in_order(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_workflow(apiserver, workflow_manifest("collect-1", namespace, workflowType="Collector"))
    await status_when(apiserver, "collect-1", namespace, lambda s: bool(s.get("runId")), "a run id")

    async def send(signal: dict[str, Any]) -> None:
        patch = json.dumps([{"op": "add", "path": "/spec/signals/-", "value": signal}])
        await kubectl(apiserver, "patch", "lwf", "collect-1", "-n", namespace, "--type=json", "-p", patch)

    await send({"id": "1", "name": "add", "args": ["a"]})
    await send({"id": "2", "name": "add", "args": ["b"]})
    await status_when(apiserver, "collect-1", namespace, lambda s: s.get("deliveredSignals") == ["1", "2"], "2 sent")
    # An unrelated change reconciles again: nothing is delivered twice.
    await kubectl(apiserver, "annotate", "lwf", "collect-1", "-n", namespace, "touched=yes")
    async with worker(client):
        await send({"id": "3", "name": "finish"})
        done = await phase_is(apiserver, "collect-1", namespace, "Completed")
    assert json.loads(done["result"]) == ["a", "b"]
    assert done["deliveredSignals"] == ["1", "2", "3"]
    # After the close: recorded as not delivered, not an error.
    await send({"id": "4", "name": "add", "args": ["late"]})
    late = await status_when(apiserver, "collect-1", namespace, lambda s: bool(s.get("undeliveredSignals")), "refusal")
    assert late["undeliveredSignals"] == ["4"]
    assert late["phase"] == "Completed"
    assert (condition(late, "SignalsDelivered") or {}).get("reason") == "NotDelivered"


async def test_deleting_with_cancel_cancels_the_run_which_may_clean_up(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_workflow(apiserver, workflow_manifest("cancel-1", namespace, workflowType="Collector"))
    running = await status_when(apiserver, "cancel-1", namespace, lambda s: bool(s.get("runId")), "a run id")
    async with worker(client):
        await kubectl(apiserver, "delete", "lwf", "cancel-1", "-n", namespace, "--wait=false")
        await eventually(lambda: gone(apiserver, "cancel-1", namespace), within=WITHIN, what="resource gone")
    described = await client.get_workflow_handle("cancel-1", run_id=running["runId"]).describe()
    assert described.status == WorkflowExecutionStatus.CANCELED


async def test_deleting_with_cancel_terminates_a_run_that_ignores_it_after_the_grace(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_workflow(apiserver, workflow_manifest("stubborn-1", namespace, workflowType="Stubborn"))
    running = await status_when(apiserver, "stubborn-1", namespace, lambda s: bool(s.get("runId")), "a run id")
    async with worker(client):
        await kubectl(apiserver, "delete", "lwf", "stubborn-1", "-n", namespace, "--wait=false")
        await eventually(lambda: gone(apiserver, "stubborn-1", namespace), within=WITHIN, what="resource gone")
    described = await client.get_workflow_handle("stubborn-1", run_id=running["runId"]).describe()
    assert described.status == WorkflowExecutionStatus.TERMINATED


@pytest.mark.parametrize(("policy", "after"), [("Terminate", "TERMINATED"), ("Abandon", "RUNNING")])
async def test_deleting_follows_the_on_delete_policy(
    apiserver: APIServer, namespace: str, client: Client, policy: str, after: str
) -> None:
    name = f"delete-{policy.lower()}"
    await apply_workflow(apiserver, workflow_manifest(name, namespace, workflowType="Collector", onDelete=policy))
    running = await status_when(apiserver, name, namespace, lambda s: bool(s.get("runId")), "a run id")
    await kubectl(apiserver, "delete", "lwf", name, "-n", namespace, "--wait=false")
    await eventually(lambda: gone(apiserver, name, namespace), within=WITHIN, what="resource gone")
    described = await client.get_workflow_handle(name, run_id=running["runId"]).describe()
    assert described.status == WorkflowExecutionStatus[after]


async def test_a_change_to_the_spec_identity_is_refused_and_clears_when_reverted(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    manifest = workflow_manifest("ident-1", namespace, workflowType="Collector", args=[])
    await apply_workflow(apiserver, manifest)
    running = await status_when(apiserver, "ident-1", namespace, lambda s: bool(s.get("runId")), "a run id")
    changed = workflow_manifest("ident-1", namespace, workflowType="Greeter", args=["other"])
    await apply_workflow(apiserver, changed)

    def refused(s: dict[str, Any]) -> bool:
        return (condition(s, "SpecChangeRefused") or {}).get("status") == "True"

    current = await status_when(apiserver, "ident-1", namespace, refused, "SpecChangeRefused")
    message = (condition(current, "SpecChangeRefused") or {})["message"]
    assert "spec.workflowType" in message
    assert "spec.args" in message
    assert current["runId"] == running["runId"]
    assert current["phase"] == "Running"
    assert "SpecChangeRefused" in await events_of(apiserver, "ident-1", namespace)
    await apply_workflow(apiserver, manifest)
    await status_when(apiserver, "ident-1", namespace, lambda s: not refused(s), "the refusal cleared")
    assert await runs_of(pg_dsn, namespace, "ident-1") == 1


async def test_a_spec_the_engine_refuses_is_reported_and_deleted_at_once(
    apiserver: APIServer, namespace: str, operator_process: ServerProcess
) -> None:
    await apply_workflow(apiserver, workflow_manifest("bad-1", namespace, executionTimeout="0s"))
    pending = await status_when(apiserver, "bad-1", namespace, lambda s: bool(condition(s, "Started")), "a refusal")
    assert pending["phase"] == "Pending"
    assert (condition(pending, "Started") or {}).get("reason") == "InvalidSpec"
    assert "spec.executionTimeout" in pending["message"]
    await kubectl(apiserver, "delete", "lwf", "bad-1", "-n", namespace, "--wait=false")
    await eventually(lambda: gone(apiserver, "bad-1", namespace), within=WITHIN, what="resource gone")


async def test_workflow_resources_and_their_signals_get_the_operators_payload_limit(
    apiserver: APIServer, namespace: str, pg_dsn: str, tmp_path: Path
) -> None:
    proc = harness.start_operator(pg_dsn, apiserver, tmp_path, extra_args=("--max-payload-bytes", "1000"))
    try:
        await apply_workflow(apiserver, workflow_manifest("big-1", namespace, args=["x" * 2000]))
        refused = await status_when(apiserver, "big-1", namespace, lambda s: bool(condition(s, "Started")), "refusal")
        assert (condition(refused, "Started") or {}).get("reason") == "InvalidSpec"
        assert "'args'" in refused["message"]
        assert "limit of 1000 bytes" in refused["message"]
        await apply_workflow(apiserver, workflow_manifest("small-1", namespace, workflowType="Collector"))
        await status_when(apiserver, "small-1", namespace, lambda s: bool(s.get("runId")), "a run id")
        big = {"op": "add", "path": "/spec/signals/-", "value": {"id": "s1", "name": "add", "args": ["y" * 2000]}}
        await kubectl(apiserver, "patch", "lwf", "small-1", "-n", namespace, "--type=json", "-p", json.dumps([big]))
        await eventually(
            lambda: _has("SignalNotDelivered", events_of(apiserver, "small-1", namespace)),
            within=WITHIN,
            what="the oversized signal refused",
        )
    finally:
        proc.stop()


async def _has(reason: str, reasons: Awaitable[list[str]]) -> bool:
    return reason in await reasons


async def test_an_operator_restart_mid_run_changes_nothing(
    apiserver: APIServer, namespace: str, client: Client, operator_process: ServerProcess, pg_dsn: str
) -> None:
    await apply_workflow(apiserver, workflow_manifest("restart-1", namespace, workflowType="Collector"))
    running = await status_when(apiserver, "restart-1", namespace, lambda s: bool(s.get("runId")), "a run id")
    operator_process.kill()
    operator_process.start()
    patch = json.dumps([{"op": "add", "path": "/spec/signals/-", "value": {"id": "f", "name": "finish"}}])
    await kubectl(apiserver, "patch", "lwf", "restart-1", "-n", namespace, "--type=json", "-p", patch)
    async with worker(client):
        done = await phase_is(apiserver, "restart-1", namespace, "Completed")
    assert done["runId"] == running["runId"]
    assert await runs_of(pg_dsn, namespace, "restart-1") == 1


async def test_with_two_replicas_killing_the_active_one_leaves_the_other_reconciling(
    apiserver: APIServer, namespace: str, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGATO_AUTH", "none")
    first = harness.start_operator(pg_dsn, apiserver, tmp_path, "replica-a")
    second = harness.start_operator(pg_dsn, apiserver, tmp_path, "replica-b")
    try:
        await apply_workflow(apiserver, workflow_manifest("before-1", namespace, workflowType="Greeter", args=["A"]))
        await status_when(apiserver, "before-1", namespace, lambda s: bool(s.get("runId")), "a first run")
        holder = json.loads(
            await kubectl(apiserver, "get", "lease", "legato-operator", "-n", "legato-system", "-o", "json")
        )
        active, standby = (first, second) if holder["spec"]["holderIdentity"] == "replica-a" else (second, first)
        active.kill()
        await apply_workflow(apiserver, workflow_manifest("after-1", namespace, workflowType="Greeter", args=["B"]))
        client = await Client.connect(standby.address, namespace=namespace)
        try:
            async with worker(client):
                done = await phase_is(apiserver, "after-1", namespace, "Completed")
                await phase_is(apiserver, "before-1", namespace, "Completed")
        finally:
            await client.close()
        assert json.loads(done["result"]) == {"greeting": "Hello, B!"}
    finally:
        first.stop()
        second.stop()


async def test_a_status_is_written_only_to_the_resource_of_its_uid(
    apiserver: APIServer, namespace: str, kube_client: kube.Kube
) -> None:
    await apply_workflow(apiserver, workflow_manifest("uid-1", namespace))
    found = await resource(apiserver, "uid-1", namespace)
    assert found is not None
    uid = found["metadata"]["uid"]
    other = "00000000-0000-4000-8000-000000000000"
    assert not await kube_client.patch_custom_status("workflows", namespace, "uid-1", {"message": "x"}, uid=other)
    assert await kube_client.patch_custom_status("workflows", namespace, "uid-1", {"message": "mine"}, uid=uid)
    assert not await kube_client.patch_custom_status("workflows", namespace, "nope", {"message": "x"}, uid=uid)
    assert ((await resource(apiserver, "uid-1", namespace)) or {})["status"]["message"] == "mine"


async def test_two_signals_with_one_id_are_refused_by_the_api_server(apiserver: APIServer, namespace: str) -> None:
    signals = [{"id": "1", "name": "add"}, {"id": "1", "name": "finish"}]
    code, output = await asyncio.to_thread(apply, apiserver, workflow_manifest("dup-1", namespace, signals=signals))
    assert code != 0
    assert "spec.signals[1]: Duplicate value" in output


async def test_the_orders_example_runs_from_its_manifest(apiserver: APIServer, namespace: str, client: Client) -> None:
    await kubectl(apiserver, "apply", "-n", namespace, "-f", str(EXAMPLE))
    async with running_worker(
        client, task_queue=orders.TASK_QUEUE, workflows=orders.WORKFLOWS, activities=orders.ACTIVITIES
    ):
        done = await phase_is(apiserver, "order-123", namespace, "Completed")
    receipt = json.loads(done["result"])
    assert receipt["order_id"] == "order-123"
    assert receipt["tracking_number"] == "TRACK-ORDER-123"
