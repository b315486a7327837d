"""ttlAfterFinished against a real kube-apiserver and operator: a finished Workflow is
deleted once its TTL has passed (its run's history stays), one without a TTL is kept, and
the operator's default applies to Workflows whose spec gives none."""

from __future__ import annotations

from pathlib import Path

from legato.client import Client, WorkflowExecutionStatus
from tests.k8s import harness
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import workflow_manifest
from tests.k8s.test_workflow_resource import apply_workflow, gone, phase_is, resource, runs_of, worker
from tests.support.deadline import eventually

WITHIN = 30.0


async def test_a_finished_workflow_goes_after_its_ttl_and_its_history_stays(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    await apply_workflow(apiserver, workflow_manifest("kept", namespace, workflowType="Greeter", args=["Ada"]))
    short = workflow_manifest("short", namespace, workflowType="Greeter", args=["Bo"], ttlAfterFinished="2s")
    await apply_workflow(apiserver, short)
    async with worker(client):
        await phase_is(apiserver, "kept", namespace, "Completed")
        await eventually(lambda: gone(apiserver, "short", namespace), within=WITHIN, what="short deleted")
    assert await resource(apiserver, "kept", namespace) is not None
    assert await runs_of(pg_dsn, namespace, "short") == 1
    description = await client.get_workflow_handle("short").describe()
    assert description.status is WorkflowExecutionStatus.COMPLETED


async def test_the_operators_default_ttl_applies_when_the_spec_gives_none(
    apiserver: APIServer, namespace: str, pg_dsn: str, tmp_path: Path
) -> None:
    proc = harness.start_operator(pg_dsn, apiserver, tmp_path, extra_args=("--workflow-ttl-after-finished", "1s"))
    try:
        async with await Client.connect(proc.address, namespace=namespace) as client, worker(client):
            await apply_workflow(apiserver, workflow_manifest("dflt", namespace, workflowType="Greeter", args=["Cy"]))
            long = workflow_manifest("long", namespace, workflowType="Greeter", args=["Di"], ttlAfterFinished="1h")
            await apply_workflow(apiserver, long)
            await eventually(lambda: gone(apiserver, "dflt", namespace), within=WITHIN, what="dflt deleted")
            await phase_is(apiserver, "long", namespace, "Completed")
    finally:
        proc.stop()
