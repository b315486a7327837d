"""Starting a run: the idempotency decision, and the batch that starts one.

Temporal's rules: a running id refuses a second start unless the conflict policy is
USE_EXISTING; a repeated request id returns the run it started; a closed id may start
again as its reuse policy allows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch, memo
from legato_operator.store import rows

DEFAULT_WORKFLOW_TASK_TIMEOUT = 10.0
# Failed, canceled, terminated or timed out: what ALLOW_DUPLICATE_FAILED_ONLY may reuse.
_UNSUCCESSFUL = frozenset(
    {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.CANCELED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
    }
)


@dataclass(frozen=True)
class Existing:
    """Answer with this run, which the request did not start (``started=False``)."""

    run_id: str


def decide(request: api.StartWorkflowRequest, latest: rows.Execution | None) -> Existing | None:
    """Whether ``request`` starts a new run given the id's latest run.

    Returns None to start one, ``Existing`` to answer with a run already there, or raises
    ``AlreadyStarted``.
    """
    if latest is None:
        return None
    # A retried call: the same request already started this run.
    if request.request_id is not None and request.request_id == latest.request_id:
        return Existing(latest.run_id)
    if latest.status == WorkflowExecutionStatus.RUNNING:
        if request.id_conflict_policy == api.IdConflictPolicy.USE_EXISTING:
            return Existing(latest.run_id)
        raise errors.AlreadyStarted(workflow_id=latest.workflow_id, run_id=latest.run_id)
    _check_reuse(request, latest)
    return None


def _check_reuse(request: api.StartWorkflowRequest, latest: rows.Execution) -> None:
    policy = request.id_reuse_policy
    allowed = policy == api.IdReusePolicy.ALLOW_DUPLICATE or (
        policy == api.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY and latest.status in _UNSUCCESSFUL
    )
    if not allowed:
        raise errors.AlreadyStarted(
            workflow_id=latest.workflow_id,
            run_id=latest.run_id,
            message=f"Workflow '{latest.workflow_id}' already ran (run {latest.run_id}, {latest.status}) "
            f"and its id reuse policy is {policy.value}",
        )


def new_run(namespace: str, request: api.StartWorkflowRequest, now: datetime) -> batch.Batch:
    """The batch that starts a run: WorkflowExecutionStarted, the first workflow task, and
    the execution timeout's timer. Its ``execution`` is the row to insert."""
    execution = _execution(namespace, request, now)
    b = batch.Batch(execution=execution, now=now)
    b.append(
        wire.WorkflowExecutionStarted(
            workflow_type=request.workflow_type,
            task_queue=request.task_queue,
            input=request.args,
            workflow_execution_timeout=request.execution_timeout,
            # As Temporal records it: the run's limit is the shorter of the two.
            workflow_run_timeout=_run_timeout(request),
            workflow_task_timeout=execution.workflow_task_timeout,
            retry_policy=request.retry_policy,
            identity=request.identity,
            randomness_seed=execution.randomness_seed,
            header=request.header,
            memo=request.memo,
        )
    )
    b.schedule_workflow_task()
    # The run timeout of a run without continue-as-new is the same limit, whichever is shorter.
    limits = [t for t in (request.execution_timeout, request.run_timeout) if t is not None]
    if limits:
        b.arm(rows.TimerKind.WORKFLOW_EXECUTION_TIMEOUT, now + timedelta(seconds=min(limits)))
    return b


def _run_timeout(request: api.StartWorkflowRequest) -> float | None:
    limits = [t for t in (request.execution_timeout, request.run_timeout) if t is not None]
    return min(limits) if limits else None


def _execution(namespace: str, request: api.StartWorkflowRequest, now: datetime) -> rows.Execution:
    run_id = str(uuid.uuid4())
    # Seeds workflow.random(); from the run id so it is fixed for the run's life.
    seed = uuid.UUID(run_id).int & 0x7FFF_FFFF_FFFF_FFFF
    return rows.Execution(
        run_id=run_id,
        namespace=namespace,
        workflow_id=request.workflow_id,
        workflow_type=request.workflow_type,
        task_queue=request.task_queue,
        status=WorkflowExecutionStatus.RUNNING,
        start_time=now,
        next_event_id=1,
        version=1,
        workflow_task_timeout=request.task_timeout or DEFAULT_WORKFLOW_TASK_TIMEOUT,
        randomness_seed=seed,
        execution_timeout=request.execution_timeout,
        request_id=request.request_id,
        memo=memo.stored(request.memo),
    )
