"""Chains of runs: continue-as-new, the retry of a failed or timed-out run, and cron.

Both close one run and start the next in the same batch (``Batch.successor``), so the
close and the new run commit together or not at all. The next run's
WorkflowExecutionStarted names the run it continues and the chain's first run; the
execution timeout spans the whole chain, the run timeout each run. As in Temporal, a run
is retried by its retry policy when it fails (not when it is canceled or terminated) or
when its run timeout (not the chain's execution timeout) runs out. A run started with a
``cron_schedule`` starts the chain's next run when it completes, fails past its retries or
times out (its run timeout), waiting for the schedule's next fire time; cancel and
terminate end the chain.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, Payload, RetryState, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import batch, retry, search_attributes, start
from legato_operator.store import rows

CONTINUE_AS_NEW = "CONTINUE_AS_NEW"
RETRY = "RETRY"
CRON_SCHEDULE = start.CRON_SCHEDULE


def next_request(
    ex: rows.Execution, started: wire.WorkflowExecutionStarted, c: cmd.ContinueAsNewWorkflowExecution | None = None
) -> api.StartWorkflowRequest:
    """What the next run starts with: the command's fields where set, else this run's."""
    return api.StartWorkflowRequest(
        workflow_id=ex.workflow_id,
        workflow_type=(c.workflow_type if c else "") or started.workflow_type,
        task_queue=(c.task_queue if c else "") or started.task_queue,
        args=started.input if c is None else c.input,
        execution_timeout=started.workflow_execution_timeout,
        run_timeout=(c.workflow_run_timeout if c else None) or started.workflow_run_timeout,
        task_timeout=(c.workflow_task_timeout if c else None) or started.workflow_task_timeout,
        retry_policy=(c.retry_policy if c else None) or started.retry_policy,
        request_id=ex.request_id,
        identity=started.identity,
        cron_schedule=started.cron_schedule,
    )


def _chain(
    ex: rows.Execution,
    started: wire.WorkflowExecutionStarted,
    initiator: str,
    attempt: int,
    failure: Failure | None = None,
) -> start.Chain:
    return start.Chain(
        first_execution_run_id=ex.first_execution_run_id or ex.run_id,
        continued_run_id=ex.run_id,
        initiator=initiator,
        attempt=attempt,
        expiration=started.workflow_execution_expiration_time,
        failure=failure,
    )


def continue_as_new(
    b: batch.Batch, started: wire.WorkflowExecutionStarted, c: cmd.ContinueAsNewWorkflowExecution, completed_id: int
) -> None:
    """Close the run as continued-as-new and start its next run (attempt 1 again)."""
    ex = b.execution
    request = next_request(ex, started, c)
    successor = start.new_run(
        ex.namespace,
        request,
        b.now,
        chain=_chain(ex, started, CONTINUE_AS_NEW, attempt=1),
        backoff=c.backoff_start_interval or 0.0,
        memo=c.memo,
        search_attributes=c.search_attributes,
        parent=start.kept_parent(ex),
    )
    new_run_id = successor.execution.run_id
    b.append(
        wire.WorkflowExecutionContinuedAsNew(
            new_execution_run_id=new_run_id,
            workflow_type=request.workflow_type,
            task_queue=request.task_queue,
            input=request.args,
            workflow_run_timeout=request.run_timeout,
            workflow_task_timeout=successor.execution.workflow_task_timeout,
            backoff_start_interval=c.backoff_start_interval,
            workflow_task_completed_event_id=completed_id,
        )
    )
    b.close(WorkflowExecutionStatus.CONTINUED_AS_NEW)
    b.update(new_run_id=new_run_id)
    b.successor = successor


def retry_decision(
    ex: rows.Execution, started: wire.WorkflowExecutionStarted | None, failure: Failure | None, now: datetime
) -> retry.RetryDecision:
    """Whether the run's retry policy starts another attempt, and after how long."""
    if started is None or started.retry_policy is None:
        return retry.RetryDecision(None, RetryState.RETRY_POLICY_NOT_SET)
    policy = retry.effective_policy(started.retry_policy)
    decision = retry.decide(
        policy, ex.attempt, failure or Failure(message="timed out"), now=now, scheduled_at=now, schedule_to_close=None
    )
    expiration = started.workflow_execution_expiration_time
    # The next attempt would begin after the chain's execution timeout: no point.
    if decision.delay is not None and expiration is not None and now + timedelta(seconds=decision.delay) >= expiration:
        return retry.RetryDecision(None, RetryState.TIMEOUT)
    return decision


def start_retry(b: batch.Batch, started: wire.WorkflowExecutionStarted, delay: float, failure: Failure) -> str:
    """Start the run's next attempt after ``delay`` seconds, told how this one failed;
    returns its run id."""
    ex = b.execution
    successor = start.new_run(
        ex.namespace,
        next_request(ex, started),
        b.now,
        chain=_chain(ex, started, RETRY, attempt=ex.attempt + 1, failure=failure),
        backoff=delay,
        memo=started.memo,
        search_attributes=started.search_attributes,
        parent=start.kept_parent(ex),
    )
    b.successor = successor
    b.update(new_run_id=successor.execution.run_id)
    return successor.execution.run_id


def start_cron(
    b: batch.Batch, started: wire.WorkflowExecutionStarted, *, result: Payload | None, failure: Failure | None
) -> str | None:
    """Start a cron chain's next run, waiting for the schedule's next fire time; None when
    there is none before the chain's execution timeout. The run gets this one's result (or,
    after a failure, the last result before it) and how it failed."""
    ex = b.execution
    backoff = start.cron_backoff(started.cron_schedule, b.now)
    expiration = started.workflow_execution_expiration_time
    if expiration is not None and b.now + timedelta(seconds=backoff) >= expiration:
        return None
    last = result if failure is None else next(iter(started.last_completion_result), None)
    chain = _chain(ex, started, CRON_SCHEDULE, attempt=1, failure=failure)
    successor = start.new_run(
        ex.namespace,
        next_request(ex, started),
        b.now,
        chain=replace(chain, last_completion_result=last),
        backoff=backoff,
        memo=started.memo,
        search_attributes=search_attributes.payloads(ex.search_attributes),
        parent=start.kept_parent(ex),
    )
    b.successor = successor
    b.update(new_run_id=successor.execution.run_id)
    return successor.execution.run_id


def fail(b: batch.Batch, started: wire.WorkflowExecutionStarted | None, failure: Failure, completed_id: int) -> None:
    """WorkflowExecutionFailed, and the next attempt when the retry policy allows one."""
    decision = retry_decision(b.execution, started, failure, b.now)
    new_run_id = None
    if decision.delay is not None and started is not None:
        new_run_id = start_retry(b, started, decision.delay, failure)
    elif started is not None and started.cron_schedule:
        new_run_id = start_cron(b, started, result=None, failure=failure)
    b.append(
        wire.WorkflowExecutionFailed(
            failure=failure,
            retry_state=decision.state,
            workflow_task_completed_event_id=completed_id,
            new_execution_run_id=new_run_id,
        )
    )
    b.close(WorkflowExecutionStatus.FAILED, failure=failure)


def is_run_timeout(started: wire.WorkflowExecutionStarted | None, now: datetime) -> bool:
    """Whether a firing run timeout is the run's own limit, not the chain's deadline."""
    expiration = None if started is None else started.workflow_execution_expiration_time
    return expiration is None or now < expiration


def backoff_ended(execution: rows.Execution, now: datetime) -> batch.Batch | None:
    """The first workflow task's backoff ran out: schedule it (with what arrived meanwhile)."""
    if execution.status != WorkflowExecutionStatus.RUNNING or not execution.first_task_backoff:
        return None
    b = batch.Batch(execution=execution, now=now)
    b.update(first_task_backoff=False)
    b.schedule_workflow_task()
    return b
