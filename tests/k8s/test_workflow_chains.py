"""A Workflow resource whose run continues as new, against a real kube-apiserver and a real
operator: the resource follows the chain, and its status shows the run that goes on."""

from __future__ import annotations

from legato import workflow
from legato.client import Client
from tests.k8s.apiserver import APIServer
from tests.k8s.harness import workflow_manifest
from tests.k8s.test_workflow_resource import QUEUE, apply_workflow, kubectl, phase_is, runs_of
from tests.support.server_process import running_worker


@workflow.defn(name="Relay")
class Relay:
    """Continues as new ``legs`` times, then completes with how many runs it took."""

    @workflow.run
    async def run(self, legs: int, run: int = 1) -> int:
        if legs > 0:
            workflow.continue_as_new(args=[legs - 1, run + 1])
        return run


async def test_a_resource_follows_its_run_through_continue_as_new_to_the_end(
    apiserver: APIServer, namespace: str, client: Client, pg_dsn: str
) -> None:
    await apply_workflow(apiserver, workflow_manifest("relay-1", namespace, workflowType="Relay", args=[2]))
    async with running_worker(client, task_queue=QUEUE, workflows=[Relay]):
        done = await phase_is(apiserver, "relay-1", namespace, "Completed")
    assert done["result"] == "3"
    assert await runs_of(pg_dsn, namespace, "relay-1") == 3
    latest = await client.get_workflow_handle("relay-1").describe()
    assert done["runId"] == latest.run_id
    row = (await kubectl(apiserver, "get", "lwf", "relay-1", "-n", namespace)).splitlines()[1]
    assert row.split()[:4] == ["relay-1", "Relay", QUEUE, "Completed"]
