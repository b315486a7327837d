"""Workflow resources with large specs against a real kube-apiserver.

kopf keeps only digests in the resource's annotations (which are limited to 256 KiB in
all), so a large input runs and its resource can always be deleted; a spec too large to
leave room for its status is refused with a reason, and one too large for the API server
is refused by it when it is applied.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any, cast

import kopf
import pytest

from legato import activity, workflow
from legato.client import Client, WorkflowExecutionStatus
from legato_operator.k8s import workflows
from tests.k8s import test_workflow_resource as wr
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply, workflow_manifest
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

KiB = 1024
KUBECTL_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KOPF_LAST_HANDLED = "legato.dev/last-handled-configuration"


@activity.defn
async def count_lines(lines: list[dict[str, Any]]) -> int:
    return len(lines)


@workflow.defn(name="BigOrder")
class BigOrder:
    """Hands its (large) input to an activity and returns what the activity counted."""

    @workflow.run
    async def run(self, order: dict[str, Any]) -> dict[str, Any]:
        counted = await workflow.execute_activity(
            count_lines, order["lines"], start_to_close_timeout=timedelta(seconds=10)
        )
        return {"order": order["id"], "lines": counted}


def large_order(size: int) -> dict[str, Any]:
    """An order whose JSON is a little over ``size`` bytes."""
    line = {"sku": "espresso-beans-1kg", "quantity": 2, "note": "x" * 64}
    per_line = len(json.dumps({**line, "n": 0}))
    order = {"id": "big-order", "lines": [{**line, "n": i} for i in range(size // per_line + 1)]}
    assert len(json.dumps(order)) > size
    return order


def big_workflow(name: str, namespace: str, size: int, **spec: Any) -> dict[str, Any]:
    return workflow_manifest(name, namespace, workflowType="BigOrder", args=[large_order(size)], **spec)


async def apply_workflow(apiserver: APIServer, manifest: dict[str, Any], *flags: str) -> str:
    code, output = await asyncio.to_thread(apply, apiserver, manifest, *flags)
    assert code == 0, output[:2000]
    return output


async def delete_and_wait_gone(apiserver: APIServer, name: str, namespace: str) -> None:
    await wr.kubectl(apiserver, "delete", "lwf", name, "-n", namespace, "--wait=false")
    await eventually(lambda: wr.gone(apiserver, name, namespace), within=wr.WITHIN, what=f"{name} gone")


async def annotations_of(apiserver: APIServer, name: str, namespace: str) -> dict[str, str]:
    found = await wr.resource(apiserver, name, namespace)
    assert found is not None
    annotations: dict[str, str] = found["metadata"].get("annotations") or {}
    return annotations


def weight(annotations: dict[str, str], *, but: str) -> int:
    """Bytes of the annotations, keys and values, leaving out ``but``."""
    return sum(len(k) + len(v.encode()) for k, v in annotations.items() if k != but)


async def test_a_workflow_with_200_kib_of_args_runs_keeps_its_annotations_small_and_is_deleted(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    manifest = big_workflow("big-1", namespace, 200 * KiB)
    # Client-side apply, as most people do: kubectl copies the whole object into an annotation.
    await apply_workflow(apiserver, manifest)
    async with running_worker(client, task_queue=wr.QUEUE, workflows=[BigOrder], activities=[count_lines]):
        done = await wr.phase_is(apiserver, "big-1", namespace, "Completed")
    lines = len(manifest["spec"]["args"][0]["lines"])
    assert json.loads(done["result"]) == {"order": "big-order", "lines": lines}
    annotations = await annotations_of(apiserver, "big-1", namespace)
    # kopf recorded its handling (before the fix its patch was refused), and none of the input.
    assert len(annotations[KOPF_LAST_HANDLED]) < 1024
    assert "espresso" not in annotations[KOPF_LAST_HANDLED]
    assert weight(annotations, but=KUBECTL_LAST_APPLIED) < 4 * KiB
    await delete_and_wait_gone(apiserver, "big-1", namespace)


async def test_a_running_workflow_with_large_args_and_a_large_signal_can_be_deleted(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    await apply_workflow(apiserver, big_workflow("big-2", namespace, 200 * KiB, onDelete="Terminate"))
    running = await wr.status_when(apiserver, "big-2", namespace, lambda s: bool(s.get("runId")), "a run id")
    signal = {"id": "notes", "name": "notes", "args": ["y" * (100 * KiB)]}
    patch = json.dumps([{"op": "add", "path": "/spec/signals/-", "value": signal}])
    await wr.kubectl(apiserver, "patch", "lwf", "big-2", "-n", namespace, "--type=json", "-p", patch)
    await wr.status_when(apiserver, "big-2", namespace, lambda s: s.get("deliveredSignals") == ["notes"], "delivery")
    annotations = await annotations_of(apiserver, "big-2", namespace)
    assert weight(annotations, but=KUBECTL_LAST_APPLIED) < 4 * KiB
    await delete_and_wait_gone(apiserver, "big-2", namespace)
    described = await client.get_workflow_handle("big-2", run_id=running["runId"]).describe()
    assert described.status == WorkflowExecutionStatus.TERMINATED


async def test_a_spec_past_kubectls_annotation_limit_is_refused_by_apply_and_runs_when_applied_server_side(
    apiserver: APIServer, namespace: str, client: Client
) -> None:
    manifest = big_workflow("big-3", namespace, 900 * KiB)
    code, output = await asyncio.to_thread(apply, apiserver, manifest)
    assert code != 0
    assert "metadata.annotations: Too long" in output
    assert await wr.gone(apiserver, "big-3", namespace)
    # Server-side apply keeps no copy in an annotation.
    await apply_workflow(apiserver, manifest, "--server-side")
    async with running_worker(client, task_queue=wr.QUEUE, workflows=[BigOrder], activities=[count_lines]):
        done = await wr.phase_is(apiserver, "big-3", namespace, "Completed")
    assert json.loads(done["result"])["lines"] == len(manifest["spec"]["args"][0]["lines"])
    await delete_and_wait_gone(apiserver, "big-3", namespace)


async def test_a_spec_over_the_start_limit_is_refused_with_a_reason_and_deleted_at_once(
    apiserver: APIServer, namespace: str, operator_process: ServerProcess
) -> None:
    await apply_workflow(apiserver, big_workflow("big-4", namespace, 1200 * KiB), "--server-side")

    def refused(s: dict[str, Any]) -> bool:
        return bool(wr.condition(s, "Started"))

    pending = await wr.status_when(apiserver, "big-4", namespace, refused, "a refusal")
    assert pending["phase"] == "Pending"
    assert (wr.condition(pending, "Started") or {}).get("reason") == "InvalidSpec"
    assert f"over the limit of {workflows.MAX_SPEC_BYTES} bytes" in pending["message"]
    assert "InvalidSpec" in await wr.events_of(apiserver, "big-4", namespace)
    # No run to stop, so no finalizer: near etcd's limit one would keep it from being deleted.
    found = await wr.resource(apiserver, "big-4", namespace)
    assert not (found or {})["metadata"].get("finalizers")
    await delete_and_wait_gone(apiserver, "big-4", namespace)


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        # The API server's limit on a request (3 MiB): client-side apply sends the object
        # twice, once in its annotation.
        ((), "Request entity too large"),
        # etcd's limit on one object (1.5 MiB).
        (("--server-side",), "etcdserver: request is too large"),
    ],
    ids=["client-side", "server-side"],
)
async def test_a_spec_too_large_for_the_api_server_is_refused_by_kubectl_apply(
    apiserver: APIServer, namespace: str, flags: tuple[str, ...], error: str
) -> None:
    code, output = await asyncio.to_thread(apply, apiserver, big_workflow("big-5", namespace, 1600 * KiB), *flags)
    assert code != 0
    assert error in output
    assert await wr.gone(apiserver, "big-5", namespace)


def may_have_run(spec: dict[str, Any], status: dict[str, Any]) -> bool:
    body = kopf.Body(cast(kopf.RawBody, {"spec": spec, "status": status}))
    return workflows.may_have_run(body.spec, body.status)


def test_only_a_resource_that_may_have_a_run_is_held_by_the_finalizer() -> None:
    small = workflow_manifest("w", "shop", args=["x" * 1000])["spec"]
    large = workflow_manifest("w", "shop", args=["x" * workflows.MAX_SPEC_BYTES])["spec"]
    assert workflows.spec_bytes(small) < 1100
    assert may_have_run(small, {})
    assert not may_have_run(large, {})
    # Started before its spec grew: its run must still be stopped on deletion.
    assert may_have_run(large, {"runId": "r-1"})
