"""Deleting one run on request (Temporal's DeleteWorkflowExecution).

A running run is terminated first, in the same transaction, so its children's close
policies and the waiters of its result see a close; then the run and everything it owns
(history, tasks, timers, buffered events, requests) are deleted. Two runs are kept, with
an error saying what to do instead:

* one a `Workflow` resource links to: its status and ``kubectl describe`` read it, so the
  resource is what to delete;
* a child whose parent still runs and has not yet recorded its close: the parent learns
  of it from the child's row, which must still be there when it does.
"""

from __future__ import annotations

from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import termination
from legato_operator.engine.services import runner, workflows, writer
from legato_operator.store import executions, history, resource_links, retention, rows, timers


async def delete_workflow(rt: runner.Runtime, namespace: str, request: api.DeleteWorkflowRequest) -> None:
    """Delete the run (the latest without a run id), terminating it first if it runs."""

    async def change(tx: runner.Tx) -> None:
        ex = await workflows.resolve(tx.conn, namespace, request.workflow_id, request.run_id, lock=True)
        await _require_deletable(tx, ex)
        if ex.status == WorkflowExecutionStatus.RUNNING:
            buffered = await history.buffered(tx.conn, ex)
            reason = "deleted" + (f": {request.reason}" if request.reason else "")
            await writer.write(tx, termination.terminate(ex, buffered, reason, request.identity, rt.clock.now(), []))
        await retention.delete_run(tx.conn, ex.run_id)

    await rt.run("delete_workflow", change)


async def _require_deletable(tx: runner.Tx, ex: rows.Execution) -> None:
    linked = await resource_links.of_run(tx.conn, ex.run_id)
    if linked is not None:
        raise errors.FailedPrecondition(
            f"workflow '{ex.workflow_id}' belongs to the Workflow resource {linked.namespace}/{linked.name}: "
            "delete that resource instead (kubectl delete workflow)"
        )
    if await _parent_waits_for(tx, ex):
        raise errors.FailedPrecondition(
            f"workflow '{ex.workflow_id}' is a child whose parent still runs and has not yet recorded its "
            "close: terminate the child first, then delete it once its parent has"
        )


async def _parent_waits_for(tx: runner.Tx, ex: rows.Execution) -> bool:
    """Whether a running parent will still read this child's row to learn of its close."""
    if ex.parent_run_id is None:
        return False
    parent = await executions.load(tx.conn, ex.parent_run_id)
    if parent is None or parent.status != WorkflowExecutionStatus.RUNNING:
        return False
    running = ex.status == WorkflowExecutionStatus.RUNNING
    return running or await timers.reports_pending(tx.conn, ex.parent_run_id, ex.run_id)
