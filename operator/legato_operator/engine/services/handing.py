"""A ready workflow task handed to a poll already waiting in this process (a sync match).

The transaction that makes a run's workflow task ready — a start, a signal, a fired timer,
an activity result that no worker asked to continue from — looks here for an idle poller
of the run's queue. When one waits, the task is started for it in that same transaction and
the poll is answered after the commit, with the events it would have read: the claim
transaction the poll would have run after its wake-up is never needed.

Only this process's pollers are handed tasks; other replicas' are woken by NOTIFY as
before. A poll that goes away between its reservation and the commit leaves its task
started, and the task's timeout retries it, as for a worker that died holding it.
"""

from __future__ import annotations

from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import batch, eager, keys, tokens, workflow_tasks
from legato_operator.engine.services import runner, wakeup
from legato_operator.store import history, rows


def reserve(tx: runner.Tx, b: batch.Batch) -> wakeup.Poller | None:
    """Start the workflow task ``b`` makes ready for an idle poller of its queue, if one waits."""
    index = eager.ready_workflow_task(b) if tx.hub is not None else None
    if tx.hub is None or index is None:
        return None
    ex = b.execution
    poller = tx.hub.take_poller(keys.task_key(ex.namespace, ex.task_queue, rows.TaskKind.WORKFLOW))
    if poller is not None:
        tx.handing[poller] = None
        eager.start_workflow_task(b, index, poller.identity)
    return poller


async def prepare(tx: runner.Tx, b: batch.Batch, poller: wakeup.Poller) -> None:
    """Read, after ``b`` is written, the task the poller gets at commit."""
    tx.handing[poller] = await wire_task(tx, b.execution, None, poller.identity)


async def wire_task(tx: runner.Tx, ex: rows.Execution, task: rows.Task | None, identity: str) -> api.WorkflowTask:
    """The run's started workflow task as a worker gets it: the events since the last completed one."""
    first = workflow_tasks.first_event_id(ex)
    events = await history.read(tx.conn, ex.run_id, first_event_id=first)
    # A transient attempt shows the worker the Scheduled and Started it would write.
    if task is not None and workflow_tasks.is_transient(ex):
        events.extend(workflow_tasks.transient_events(ex, task, identity))
    return api.WorkflowTask(
        task_token=tokens.encode(workflow_tasks.token_for(ex)),
        workflow_id=ex.workflow_id,
        run_id=ex.run_id,
        workflow_type=ex.workflow_type,
        attempt=ex.wft_attempt,
        first_event_id=first,
        history=events,
    )
