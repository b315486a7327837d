"""Stuck runs are visible on their Workflow resource, against a real kube-apiserver, a real
operator process and real SDK workers: a workflow type no worker has, a queue nobody polls
and a missing TaskQueue each show `Progressing=False` with the reason, a message for
`kubectl get` and one Warning event; the run recovers once a worker that can run it comes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from legato import workflow
from legato.client import Client
from tests.k8s import harness
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import apply, workflow_manifest
from tests.k8s.test_workflow_resource import (
    ALL_WORKFLOWS,
    apply_workflow,
    condition,
    greet,
    kubectl,
    phase_is,
    status_when,
)
from tests.support.server_process import ServerProcess, running_worker

QUEUE = "orders"


@workflow.defn(name="Invoice")
class Invoice:
    @workflow.run
    async def run(self, number: str) -> str:
        return f"invoice {number} sent"


@pytest.fixture
def quick_operator(pg_dsn: str, apiserver: APIServer, tmp_path: Path) -> Iterator[ServerProcess]:
    """An operator that counts a workflow task waiting 1 s on an unpolled queue as stuck."""
    proc = harness.start_operator(pg_dsn, apiserver, tmp_path, extra_args=("--stuck-after", "1"))
    try:
        yield proc
    finally:
        proc.stop()


@contextlib.asynccontextmanager
async def client_of(operator: ServerProcess, namespace: str) -> AsyncIterator[Client]:
    c = await Client.connect(operator.address, namespace=namespace)
    try:
        yield c
    finally:
        with contextlib.suppress(Exception):
            await c.close()


async def events(apiserver: APIServer, name: str, namespace: str) -> list[dict[str, Any]]:
    selector = f"involvedObject.name={name},involvedObject.kind=Workflow"
    out = await kubectl(apiserver, "get", "events", "-n", namespace, "--field-selector", selector, "-o", "json")
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


async def events_named(apiserver: APIServer, name: str, namespace: str, reason: str) -> list[dict[str, Any]]:
    return [e for e in await events(apiserver, name, namespace) if e["reason"] == reason]


def progressing(current: dict[str, Any]) -> dict[str, Any]:
    return condition(current, "Progressing") or {}


def attempt_shown(current: dict[str, Any]) -> int:
    found = re.search(r"\(attempt (\d+)\)", progressing(current).get("message", ""))
    return int(found.group(1)) if found else 0


async def get_row(apiserver: APIServer, name: str, namespace: str) -> str:
    return (await kubectl(apiserver, "get", "lwf", name, "-n", namespace, "--no-headers")).strip()


async def test_a_workflow_type_no_worker_has_shows_its_failing_workflow_task_until_a_worker_has_it(
    apiserver: APIServer, namespace: str, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    await apply_workflow(apiserver, workflow_manifest("invoice-1", namespace, workflowType="Invoice", args=["7"]))
    with caplog.at_level(logging.WARNING, logger="legato"):
        async with running_worker(client, task_queue=QUEUE, workflows=ALL_WORKFLOWS, activities=[greet]):

            def failing(current: dict[str, Any]) -> bool:
                return progressing(current).get("reason") == "WorkflowTaskFailing"

            first = await status_when(apiserver, "invoice-1", namespace, failing, "WorkflowTaskFailing")
            # A later status write of the same episode: the attempt moved on, the event did not repeat.
            later = await status_when(
                apiserver,
                "invoice-1",
                namespace,
                lambda s: failing(s) and attempt_shown(s) > attempt_shown(first),
                "a later attempt shown",
            )
    assert (later["phase"], progressing(later)["status"]) == ("Running", "False")
    assert (
        "WORKFLOW_WORKER_UNHANDLED_FAILURE: Workflow class Invoice is not registered" in progressing(later)["message"]
    )
    assert "available workflows: Collector, Greeter, Stubborn" in progressing(later)["message"]
    assert later["message"].startswith(f"workflow task failing (attempt {attempt_shown(later)}):")
    row = await get_row(apiserver, "invoice-1", namespace)
    assert row.split()[:4] == ["invoice-1", "Invoice", QUEUE, "Running"]
    assert "workflow task failing (attempt" in row
    (warning,) = await events_named(apiserver, "invoice-1", namespace, "WorkflowTaskFailing")
    assert warning["type"] == "Warning"
    assert "Workflow class Invoice is not registered" in warning["message"]
    # The worker said so once, however often the task came back to it.
    said = [r.getMessage() for r in caplog.records if "'Invoice'" in r.getMessage() and r.levelno == logging.WARNING]
    assert len(said) == 1, said
    assert f"task queue {QUEUE!r}" in said[0]

    async with running_worker(client, task_queue=QUEUE, workflows=[Invoice]):
        done = await phase_is(apiserver, "invoice-1", namespace, "Completed")
    assert done["result"] == json.dumps("invoice 7 sent")
    assert (progressing(done)["status"], progressing(done)["reason"]) == ("True", "Closed")
    assert done["message"] == "completed"
    assert len(await events_named(apiserver, "invoice-1", namespace, "WorkflowTaskFailing")) == 1


async def test_a_workflow_on_a_queue_nobody_polls_shows_why_until_a_worker_polls_it(
    apiserver: APIServer, namespace: str, quick_operator: ServerProcess
) -> None:
    await apply_workflow(apiserver, workflow_manifest("invoice-2", namespace, workflowType="Invoice", args=["8"]))

    def reason_is(reason: str) -> Any:
        return lambda current: progressing(current).get("reason") == reason

    missing = await status_when(apiserver, "invoice-2", namespace, reason_is("TaskQueueMissing"), "TaskQueueMissing")
    assert progressing(missing)["status"] == "False"
    assert f"There is no TaskQueue {QUEUE} in this namespace" in progressing(missing)["message"]
    assert missing["message"].startswith(f"stuck: no TaskQueue {QUEUE} and no worker polls it")
    assert "stuck: no TaskQueue" in await get_row(apiserver, "invoice-2", namespace)

    # The TaskQueue comes, but its workers never run here (no kubelet): still nobody polls.
    task_queue = {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "TaskQueue",
        "metadata": {"name": QUEUE, "namespace": namespace},
        "spec": {"worker": {"image": "shop/orders-worker:1.0"}},
    }
    code, output = await asyncio.to_thread(apply, apiserver, task_queue)
    assert code == 0, output
    unpolled = await status_when(apiserver, "invoice-2", namespace, reason_is("NoPollers"), "NoPollers")
    assert f"No worker polled task queue {QUEUE} for workflow tasks" in progressing(unpolled)["message"]
    assert unpolled["message"].startswith(f"stuck: no worker polls task queue {QUEUE}")
    # A second run shown stuck takes the writer a start and two full passes, each of which
    # rechecked the first run too: its status stood and its event did not repeat.
    await apply_workflow(apiserver, workflow_manifest("invoice-3", namespace, workflowType="Invoice", args=["9"]))
    await status_when(apiserver, "invoice-3", namespace, reason_is("NoPollers"), "the second run NoPollers")
    reasons = [(e["reason"], e["type"]) for e in await events(apiserver, "invoice-2", namespace)]
    assert reasons.count(("TaskQueueMissing", "Warning")) == 1
    assert reasons.count(("NoPollers", "Warning")) == 1
    assert progressing(unpolled) == progressing(
        await status_when(apiserver, "invoice-2", namespace, reason_is("NoPollers"), "NoPollers still")
    )

    async with client_of(quick_operator, namespace) as c, running_worker(c, task_queue=QUEUE, workflows=[Invoice]):
        done = await phase_is(apiserver, "invoice-2", namespace, "Completed")
        await phase_is(apiserver, "invoice-3", namespace, "Completed")
    assert (progressing(done)["status"], done["message"]) == ("True", "completed")
