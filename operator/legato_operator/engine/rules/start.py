"""Starting a run: the idempotency decision, and the batch that starts one.

Temporal's rules, checked against its server: a running id refuses a second start
(FAIL), answers with the running run (USE_EXISTING) or terminates it first
(TERMINATE_EXISTING, or the deprecated reuse policy TERMINATE_IF_RUNNING, which no
conflict policy may accompany; REJECT_DUPLICATE refuses TERMINATE_EXISTING); a repeated
request id returns the run it started; a closed id may start again as its reuse policy
allows. A signal-with-start signals a running run (its default is USE_EXISTING; FAIL is
refused). A run chained to another (continue-as-new, a retry) starts through ``new_run``
too, with its ``Chain``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from legato.api.common.v1 import Failure, Payload, WorkflowExecution, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch, cron
from legato_operator.engine.rules import memo as memo_rules
from legato_operator.engine.rules import search_attributes as search_attribute_rules
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


@dataclass(frozen=True)
class TerminateFirst:
    """Terminate the running ``run_id``, then start the new run (TERMINATE_EXISTING)."""

    run_id: str


# Temporal's reason and identity on the WorkflowExecutionTerminated of a run a start replaced.
TERMINATED_BY_START_REASON = "TerminateIfRunning WorkflowIdReusePolicy"
TERMINATED_BY_START_IDENTITY = "history-service"


@dataclass(frozen=True)
class Chain:
    """How a run continues another: its chain's first run, the run before it, why
    (``CONTINUE_AS_NEW`` or ``RETRY``), its attempt, the chain's execution deadline and,
    for a retry, how the run before failed."""

    first_execution_run_id: str
    continued_run_id: str
    initiator: str
    attempt: int = 1
    expiration: datetime | None = None
    failure: Failure | None = None
    # A cron run's: the result of the run before (workflow.get_last_completion_result()).
    last_completion_result: Payload | None = None


@dataclass(frozen=True)
class Parent:
    """The run that starts a child: its ids, the StartChildWorkflowExecutionInitiated, the
    close policy, and the root of its tree."""

    namespace: str
    workflow_id: str
    run_id: str
    initiated_event_id: int
    close_policy: str
    root_workflow_id: str
    root_run_id: str


def conflict_policy(request: api.StartWorkflowRequest, *, signal: bool = False) -> api.IdConflictPolicy:
    """The request's conflict policy, its policies checked together as Temporal checks them.

    Raises:
        InvalidArgument: A combination Temporal refuses, naming the field.
    """
    conflict, reuse = request.id_conflict_policy, request.id_reuse_policy
    if reuse == api.IdReusePolicy.TERMINATE_IF_RUNNING:
        if conflict != api.IdConflictPolicy.UNSPECIFIED:
            raise errors.InvalidArgument(
                "id_reuse_policy",
                "Invalid WorkflowIDReusePolicy: TERMINATE_IF_RUNNING cannot be used together with a"
                " WorkflowIDConflictPolicy",
            )
        conflict = api.IdConflictPolicy.TERMINATE_EXISTING
    if reuse == api.IdReusePolicy.REJECT_DUPLICATE and conflict == api.IdConflictPolicy.TERMINATE_EXISTING:
        raise errors.InvalidArgument(
            "id_reuse_policy",
            "Invalid WorkflowIDReusePolicy: REJECT_DUPLICATE cannot be used together with WorkflowIDConflictPolicy"
            " TERMINATE_EXISTING",
        )
    if signal and conflict == api.IdConflictPolicy.FAIL:
        raise errors.InvalidArgument(
            "id_conflict_policy",
            "Invalid WorkflowIDConflictPolicy: FAIL is not supported for signal-with-start",
        )
    if conflict == api.IdConflictPolicy.UNSPECIFIED:
        return api.IdConflictPolicy.USE_EXISTING if signal else api.IdConflictPolicy.FAIL
    return conflict


def decide(
    request: api.StartWorkflowRequest, latest: rows.Execution | None, *, signal: bool = False
) -> Existing | TerminateFirst | None:
    """Whether ``request`` starts a new run given the id's latest run.

    Returns None to start one, ``Existing`` to answer with a run already there,
    ``TerminateFirst`` to replace the running one, or raises ``AlreadyStarted`` (or
    ``InvalidArgument`` for policies Temporal refuses together).
    """
    conflict = conflict_policy(request, signal=signal)
    check_cron(request.cron_schedule, start_delay=request.start_delay)
    if latest is None:
        return None
    # A retried call: the same request already started this run.
    if request.request_id is not None and request.request_id == latest.request_id:
        return Existing(latest.run_id)
    if latest.status == WorkflowExecutionStatus.RUNNING:
        if conflict == api.IdConflictPolicy.USE_EXISTING:
            return Existing(latest.run_id)
        if conflict == api.IdConflictPolicy.TERMINATE_EXISTING:
            return TerminateFirst(latest.run_id)
        raise errors.AlreadyStarted(workflow_id=latest.workflow_id, run_id=latest.run_id)
    _check_reuse(request, latest)
    return None


def _check_reuse(request: api.StartWorkflowRequest, latest: rows.Execution) -> None:
    policy = request.id_reuse_policy
    allowed = policy in (api.IdReusePolicy.ALLOW_DUPLICATE, api.IdReusePolicy.TERMINATE_IF_RUNNING) or (
        policy == api.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY and latest.status in _UNSUCCESSFUL
    )
    if not allowed:
        raise errors.AlreadyStarted(
            workflow_id=latest.workflow_id,
            run_id=latest.run_id,
            message=f"Workflow '{latest.workflow_id}' already ran (run {latest.run_id}, {latest.status}) "
            f"and its id reuse policy is {policy.value}",
        )


def new_run(
    namespace: str,
    request: api.StartWorkflowRequest,
    now: datetime,
    *,
    chain: Chain | None = None,
    backoff: float | None = None,
    signal: wire.WorkflowExecutionSignaled | None = None,
    memo: dict[str, Payload] | None = None,
    search_attributes: dict[str, Payload] | None = None,
    parent: Parent | None = None,
) -> batch.Batch:
    """The batch that starts a run: WorkflowExecutionStarted, a signal delivered with the
    start, the first workflow task (or, after a ``backoff`` — ``start_delay`` by default —
    its timer), and the run's timeout. Its ``execution`` is the row to insert."""
    # A continued run's memo is the one its command carried; a started run's, its request's.
    # So for search attributes, which the caller has checked (``search_attributes.checked``).
    run_memo = request.memo if memo is None else memo
    run_attributes = request.search_attributes if search_attributes is None else search_attributes
    delay = request.start_delay if backoff is None else backoff
    if backoff is None and request.cron_schedule:
        delay = cron_backoff(request.cron_schedule, now)
    execution_time = now + timedelta(seconds=delay or 0.0)
    execution = _execution(namespace, request, now, chain, run_memo, execution_time)
    execution = _with_parent(
        replace(execution, search_attributes=search_attribute_rules.stored(run_attributes)), parent
    )
    b = batch.Batch(execution=execution, now=now)
    expiration = _expiration(request, now, chain)
    started = _started_event(request, execution, chain, expiration, delay, run_memo, execution.search_attributes)
    b.append(started if parent is None else _child_started(started, parent))
    if signal is not None:
        b.append(signal)
    if delay:
        b.update(first_task_backoff=True)
        b.arm(rows.TimerKind.WORKFLOW_START_BACKOFF, now + timedelta(seconds=delay))
    else:
        b.schedule_workflow_task()
    # The run ends at its run timeout or the chain's deadline, whichever comes first.
    limits = [d for d in (expiration, _run_deadline(request, now, delay)) if d is not None]
    if limits:
        b.arm(rows.TimerKind.WORKFLOW_EXECUTION_TIMEOUT, min(limits))
    return b


CRON_SCHEDULE = "CRON_SCHEDULE"


def check_cron(schedule: str, *, start_delay: float | None = None, field: str = "cron_schedule") -> None:
    """Refuse a cron schedule robfig/cron (Temporal's reader of it) would refuse, and one with
    a start delay, as Temporal does."""
    if not schedule:
        return
    try:
        cron.parse(schedule)
    except cron.SpecError as e:
        raise errors.InvalidArgument(field, f"invalid CronSchedule: {e}") from None
    if start_delay:
        raise errors.InvalidArgument(field, "CronSchedule and WorkflowStartDelay may not be used together.")


def cron_backoff(schedule: str, now: datetime) -> float:
    """Seconds from ``now`` to the schedule's next fire time (0 when it has none left)."""
    following = cron.cron_next(schedule, now)
    return 0.0 if following is None else (following - now).total_seconds()


def kept_parent(ex: rows.Execution) -> Parent | None:
    """The parent a run of a child's chain hands on to the next run: every run of the chain
    (continue-as-new, a retry) is the parent's child, as in Temporal, and the last one's
    close is what the parent is told."""
    if ex.parent_workflow_id is None or ex.parent_run_id is None or ex.parent_initiated_event_id is None:
        return None
    return Parent(
        namespace=ex.namespace,
        workflow_id=ex.parent_workflow_id,
        run_id=ex.parent_run_id,
        initiated_event_id=ex.parent_initiated_event_id,
        close_policy=ex.parent_close_policy or "TERMINATE",
        root_workflow_id=ex.root_workflow_id or ex.parent_workflow_id,
        root_run_id=ex.root_run_id or ex.parent_run_id,
    )


def _with_parent(execution: rows.Execution, parent: Parent | None) -> rows.Execution:
    if parent is None:
        return execution
    return replace(
        execution,
        parent_run_id=parent.run_id,
        parent_workflow_id=parent.workflow_id,
        parent_initiated_event_id=parent.initiated_event_id,
        parent_close_policy=parent.close_policy,
        root_run_id=parent.root_run_id,
        root_workflow_id=parent.root_workflow_id,
    )


def _child_started(started: wire.WorkflowExecutionStarted, parent: Parent) -> wire.WorkflowExecutionStarted:
    return started.model_copy(
        update={
            "parent_workflow_namespace": parent.namespace,
            "parent_workflow_execution": WorkflowExecution(workflow_id=parent.workflow_id, run_id=parent.run_id),
            "parent_initiated_event_id": parent.initiated_event_id,
            "root_workflow_execution": WorkflowExecution(
                workflow_id=parent.root_workflow_id, run_id=parent.root_run_id
            ),
        }
    )


def _run_timeout(request: api.StartWorkflowRequest) -> float | None:
    limits = [t for t in (request.execution_timeout, request.run_timeout) if t is not None]
    return min(limits) if limits else None


def _expiration(request: api.StartWorkflowRequest, now: datetime, chain: Chain | None) -> datetime | None:
    # The execution timeout spans the whole chain: its deadline is the first run's.
    if chain is not None:
        return chain.expiration
    return None if request.execution_timeout is None else now + timedelta(seconds=request.execution_timeout)


def _run_deadline(request: api.StartWorkflowRequest, now: datetime, delay: float | None) -> datetime | None:
    # A run's own limit counts from its first workflow task, as Temporal counts it.
    if request.run_timeout is None:
        return None
    return now + timedelta(seconds=(delay or 0.0) + request.run_timeout)


def _started_event(
    request: api.StartWorkflowRequest,
    execution: rows.Execution,
    chain: Chain | None,
    expiration: datetime | None,
    delay: float | None,
    memo: dict[str, Payload],
    search_attributes: dict[str, Any] | None,
) -> wire.WorkflowExecutionStarted:
    return wire.WorkflowExecutionStarted(
        workflow_type=request.workflow_type,
        task_queue=request.task_queue,
        input=request.args,
        workflow_execution_timeout=request.execution_timeout,
        # As Temporal records it: the run's limit is the shorter of the two.
        workflow_run_timeout=_run_timeout(request),
        workflow_task_timeout=execution.workflow_task_timeout,
        retry_policy=request.retry_policy,
        attempt=execution.attempt,
        identity=request.identity,
        randomness_seed=execution.randomness_seed,
        continued_execution_run_id=None if chain is None else chain.continued_run_id,
        first_execution_run_id=execution.first_execution_run_id,
        original_execution_run_id=execution.run_id,
        initiator=CRON_SCHEDULE if chain is None and request.cron_schedule else chain.initiator if chain else None,
        continued_failure=None if chain is None else chain.failure,
        cron_schedule=request.cron_schedule,
        last_completion_result=[chain.last_completion_result] if chain and chain.last_completion_result else [],
        workflow_execution_expiration_time=expiration,
        first_workflow_task_backoff=delay or None,
        memo=memo,
        search_attributes=search_attribute_rules.payloads(search_attributes),
        header=request.header,
    )


def _execution(
    namespace: str,
    request: api.StartWorkflowRequest,
    now: datetime,
    chain: Chain | None,
    run_memo: dict[str, Payload],
    execution_time: datetime,
) -> rows.Execution:
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
        memo=memo_rules.stored(run_memo),
        first_execution_run_id=run_id if chain is None else chain.first_execution_run_id,
        continued_run_id=None if chain is None else chain.continued_run_id,
        attempt=1 if chain is None else chain.attempt,
        execution_time=execution_time,
        cron_schedule=request.cron_schedule or None,
    )
