"""Pure: a `Workflow` resource's status from its run, and the identity a started run keeps.

The status is a bounded summary — phase, times, counts, a truncated result, a one-line
message and conditions — however long the history grows. Nothing here does I/O: the
status writer reads the run and the resource's bookkeeping and hands them in.

A running run that makes no progress says why (condition ``Progressing=False``): its
workflow task keeps failing, or it waits on a queue no worker polls (and maybe no
`TaskQueue` exists for). The first comes from the run itself; the second from how long
its workflow task has waited and who polls its queue, which the writer reads for the few
runs whose task has waited past ``stuck_after``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from legato.api.common.v1 import Failure, FailureKind, Payload, WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import payloads
from legato_operator.k8s import builders, models

# Condition types.
STARTED = "Started"
READY = "Ready"
SIGNALS_DELIVERED = "SignalsDelivered"
SPEC_CHANGE_REFUSED = "SpecChangeRefused"
PROGRESSING = "Progressing"

# Why a running run makes no progress (reasons of Progressing=False).
WORKFLOW_TASK_FAILING = "WorkflowTaskFailing"
NO_POLLERS = "NoPollers"
TASK_QUEUE_MISSING = "TaskQueueMissing"
# Reasons that come from the run's queue rather than from the run: time and workers
# change them, not the run's version.
QUEUE_REASONS = (NO_POLLERS, TASK_QUEUE_MISSING)
# A workflow task counts as failing once this many attempts in a row failed: one failure
# that the next attempt heals (a worker killed mid-task, a deploy) is not a stuck run.
FAILED_ATTEMPTS_STUCK = 2
# How long a workflow task may wait for a worker, on a queue nobody polls, before the run
# counts as stuck (``run --stuck-after``).
STUCK_AFTER = timedelta(seconds=60)

# The spec fields a run is started from: changing one after the start is refused.
IDENTITY_FIELDS = ("workflowType", "taskQueue", "args", "workflowId", "executionTimeout")
# `kubectl get` shows the message in a column: one short line.
MESSAGE_CHARS = 200
CONDITION_MESSAGE_CHARS = 1024
# A failure's cause chain is followed this deep for its one-line summary.
FAILURE_DEPTH = 4

PHASES = {
    WorkflowExecutionStatus.RUNNING: models.Phase.RUNNING,
    WorkflowExecutionStatus.COMPLETED: models.Phase.COMPLETED,
    WorkflowExecutionStatus.FAILED: models.Phase.FAILED,
    WorkflowExecutionStatus.CANCELED: models.Phase.CANCELED,
    WorkflowExecutionStatus.TERMINATED: models.Phase.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT: models.Phase.TIMED_OUT,
    WorkflowExecutionStatus.CONTINUED_AS_NEW: models.Phase.CONTINUED_AS_NEW,
}


@dataclass(frozen=True)
class Bookkeeping:
    """What the reconciler did to the resource's run, kept beside the link in Postgres."""

    generation: int | None = None
    delivered_signals: Sequence[str] = ()
    undelivered_signals: Mapping[str, str] = field(default_factory=dict)
    refused_fields: Sequence[str] = ()


@dataclass(frozen=True)
class Queue:
    """The run's task queue as the status writer found it."""

    # Workers that polled it for workflow tasks within ``window`` seconds.
    pollers: int
    window: float
    # Whether a TaskQueue resource of the queue's name exists in the run's namespace.
    resource: bool


@dataclass(frozen=True)
class Waiting:
    """The run's workflow task waits, ready and unclaimed, for a worker."""

    since: datetime
    # Read only once the task has waited for ``stuck_after`` (see `queue_due`).
    queue: Queue | None = None


@dataclass(frozen=True)
class Stuck:
    """Why a running run makes no progress: the condition's reason and message, and the
    status message's line."""

    reason: str
    detail: str
    line: str


@dataclass(frozen=True)
class Event:
    """An Event to post about the resource."""

    reason: str
    message: str
    warning: bool


def of_run(
    run: api.DescribeWorkflowResponse,
    book: Bookkeeping,
    previous: Sequence[models.Condition],
    now: datetime,
    *,
    waiting: Waiting | None = None,
    stuck_after: timedelta = STUCK_AFTER,
) -> models.WorkflowStatus:
    """The status of a resource whose run exists.

    ``waiting`` says since when the run's workflow task has waited for a worker (None:
    none waits) and, once past ``stuck_after``, who polls its queue.
    """
    phase = PHASES[run.status]
    result, truncated = result_text(run.result) if phase is models.Phase.COMPLETED else (None, False)
    blocked = stuck(run, waiting, now, stuck_after)
    conditions = [
        _condition(STARTED, "True", "Started", f"Run {run.run_id} of {run.workflow_type} on {run.task_queue}"),
        _ready(phase, run),
        _progressing(phase, blocked),
        *_signals_condition(book),
        *_refusal_condition(book, was_refused=any(c.type == SPEC_CHANGE_REFUSED for c in previous)),
    ]
    return models.WorkflowStatus(
        phase=phase,
        workflow_id=run.workflow_id,
        run_id=run.run_id,
        start_time=timestamp(run.start_time),
        close_time=timestamp(run.close_time) if run.close_time else None,
        history_length=run.history_length,
        pending_activities=len(run.pending_activities),
        pending_children=len(run.pending_children),
        result=result,
        result_truncated=truncated,
        failure=_failure_summary(run.failure) if run.failure and phase is not models.Phase.COMPLETED else None,
        message=_message(phase, run, book, blocked),
        delivered_signals=list(book.delivered_signals),
        undelivered_signals=list(book.undelivered_signals),
        conditions=merge_conditions(previous, conditions, now),
        observed_generation=book.generation,
    )


def not_started(
    *, reason: str, message: str, generation: int | None, previous: Sequence[models.Condition], now: datetime
) -> models.WorkflowStatus:
    """The status of a resource whose run could not be started (``reason`` says why)."""
    line = one_line(message)
    conditions = [
        _condition(STARTED, "False", reason, message),
        _condition(READY, "False", reason, message),
    ]
    return models.WorkflowStatus(
        phase=models.Phase.PENDING,
        message=line,
        conditions=merge_conditions(previous, conditions, now),
        observed_generation=generation,
    )


def merge_conditions(
    previous: Sequence[models.Condition], current: Sequence[models.Condition], now: datetime
) -> list[models.Condition]:
    """``current``, each keeping its previous lastTransitionTime unless its status changed."""
    before = {c.type: c for c in previous}
    merged = []
    for condition in current:
        old = before.get(condition.type)
        since = old.last_transition_time if old is not None and old.status == condition.status else None
        merged.append(condition.model_copy(update={"last_transition_time": since or timestamp(now)}))
    return merged


def _condition(kind: str, status: str, reason: str, message: str) -> models.Condition:
    return models.Condition(type=kind, status=status, reason=reason, message=_clip(message, CONDITION_MESSAGE_CHARS))


def _ready(phase: models.Phase, run: api.DescribeWorkflowResponse) -> models.Condition:
    # Ready means "done as asked": True once the run completed, False if it closed otherwise.
    if phase is models.Phase.RUNNING:
        return _condition(READY, "Unknown", "Running", "The run has not closed yet")
    if phase is models.Phase.COMPLETED:
        return _condition(READY, "True", "Completed", "The run completed")
    detail = failure_line(run.failure) if run.failure else phase.value
    return _condition(READY, "False", phase.value, detail)


def stuck(
    run: api.DescribeWorkflowResponse, waiting: Waiting | None, now: datetime, stuck_after: timedelta
) -> Stuck | None:
    """Why the run makes no progress, or None when nothing says it does not (or it closed).

    Waiting on a queue nobody polls comes first: while no worker is there, a failing task
    is not even retried.
    """
    if run.status is not WorkflowExecutionStatus.RUNNING:
        return None
    pending = run.pending_workflow_task
    # The run read after the queue: a worker that took the task since is no missing poller.
    scheduled = pending is not None and pending.state == "SCHEDULED"
    return (queue_stuck(run.task_queue, waiting, now, stuck_after) if scheduled else None) or _failing(pending)


def queue_due(waiting_since: datetime | None, now: datetime, stuck_after: timedelta) -> bool:
    """Whether a workflow task waiting since ``waiting_since`` has waited long enough for its
    queue's pollers to matter."""
    return waiting_since is not None and now - waiting_since >= stuck_after


def queue_stuck(task_queue: str, waiting: Waiting | None, now: datetime, stuck_after: timedelta) -> Stuck | None:
    """Stuck because the workflow task has waited past ``stuck_after`` on a queue no worker polls."""
    if waiting is None or waiting.queue is None or waiting.queue.pollers > 0:
        return None
    if not queue_due(waiting.since, now, stuck_after):
        return None
    since, window = timestamp(waiting.since), f"{waiting.queue.window:g}s"
    unpolled = f"worker polled task queue {task_queue} for workflow tasks in the last {window}"
    waited = f"a workflow task has waited for a worker since {since}"
    if not waiting.queue.resource:
        return Stuck(
            TASK_QUEUE_MISSING,
            f"There is no TaskQueue {task_queue} in this namespace and no {unpolled}; {waited}. "
            f"Create the TaskQueue {task_queue}, or run workers that poll {task_queue}",
            f"stuck: no TaskQueue {task_queue} and no worker polls it (workflow task waiting since {since})",
        )
    deployment = builders.worker_deployment_name(task_queue)
    return Stuck(
        NO_POLLERS,
        f"No {unpolled}; {waited}. The TaskQueue {task_queue} exists: check that its worker "
        f"Deployment {deployment} has pods running and that they reach the server",
        f"stuck: no worker polls task queue {task_queue} (workflow task waiting since {since})",
    )


def _failing(pending: api.PendingWorkflowTask | None) -> Stuck | None:
    if pending is None or pending.last_failure_cause is None or pending.attempt - 1 < FAILED_ATTEMPTS_STUCK:
        return None
    cause = pending.last_failure_cause
    what = failure_line(pending.last_failure) if pending.last_failure is not None else ""
    detail = f"{cause}: {what}" if what and what != cause else cause
    last = f", the last at {timestamp(pending.last_failure_time)}" if pending.last_failure_time else ""
    return Stuck(
        WORKFLOW_TASK_FAILING,
        f"The workflow task failed {pending.attempt - 1} attempts in a row{last}, and is retried "
        f"(attempt {pending.attempt}): {detail}",
        f"workflow task failing (attempt {pending.attempt}): {detail}",
    )


def _progressing(phase: models.Phase, blocked: Stuck | None) -> models.Condition:
    if blocked is not None:
        return _condition(PROGRESSING, "False", blocked.reason, blocked.detail)
    if phase is models.Phase.RUNNING:
        return _condition(PROGRESSING, "True", "Running", "Workers take the run's workflow tasks and complete them")
    # Closed: nothing is stuck any more; Ready says how it ended.
    return _condition(PROGRESSING, "True", "Closed", f"The run closed ({phase.value})")


def recheck_changes(
    previous: Sequence[models.Condition], task_queue: str, waiting: Waiting, now: datetime, stuck_after: timedelta
) -> bool:
    """Whether a run that did not change since its status was written needs it written again:
    what its queue says (nobody polls it, no TaskQueue) is not what the status says."""
    verdict = queue_stuck(task_queue, waiting, now, stuck_after)
    old = _find(previous, PROGRESSING)
    shown = old if old is not None and old.status == "False" and old.reason in QUEUE_REASONS else None
    if verdict is None or shown is None:
        return (verdict is None) != (shown is None)
    return (shown.reason, shown.message) != (verdict.reason, _clip(verdict.detail, CONDITION_MESSAGE_CHARS))


def progress_event(previous: Sequence[models.Condition], current: Sequence[models.Condition]) -> Event | None:
    """The Event a status write owes: a Warning when the run becomes stuck (or stuck for
    another reason), a Normal one when it moves again; None for every other write."""
    old, new = _find(previous, PROGRESSING), _find(current, PROGRESSING)
    if new is None:
        return None
    was_stuck = old is not None and old.status == "False"
    if new.status == "False":
        if was_stuck and old is not None and old.reason == new.reason:
            return None
        return Event(new.reason, new.message or new.reason, warning=True)
    # A close after being stuck has its own event (Completed, Terminated, ...).
    if was_stuck and new.reason == "Running":
        return Event("Progressing", "The run makes progress again", warning=False)
    return None


def _find(conditions: Sequence[models.Condition], kind: str) -> models.Condition | None:
    return next((c for c in conditions if c.type == kind), None)


def _signals_condition(book: Bookkeeping) -> list[models.Condition]:
    if book.undelivered_signals:
        ids = ", ".join(book.undelivered_signals)
        first = next(iter(book.undelivered_signals.values()))
        return [_condition(SIGNALS_DELIVERED, "False", "NotDelivered", f"Signals not delivered: {ids} ({first})")]
    if book.delivered_signals:
        return [_condition(SIGNALS_DELIVERED, "True", "Delivered", f"{len(book.delivered_signals)} delivered")]
    return []


def _refusal_condition(book: Bookkeeping, *, was_refused: bool) -> list[models.Condition]:
    if book.refused_fields:
        return [_condition(SPEC_CHANGE_REFUSED, "True", "IdentityChanged", refusal_message(book.refused_fields))]
    # Reverted: say so rather than drop the condition, so the transition is visible.
    if was_refused:
        return [_condition(SPEC_CHANGE_REFUSED, "False", "SpecMatchesRun", "The spec matches the started run")]
    return []


def refusal_message(fields: Sequence[str]) -> str:
    """Why a spec change is refused, naming the fields."""
    return (
        f"spec.{', spec.'.join(fields)} changed after the run started; the run keeps its original spec. "
        "Revert the change, or delete and re-create the Workflow for a new run"
    )


def _message(phase: models.Phase, run: api.DescribeWorkflowResponse, book: Bookkeeping, blocked: Stuck | None) -> str:
    # A stuck run says so first: it is what a person must act on.
    if blocked is not None:
        return one_line(blocked.line)
    if book.refused_fields:
        return one_line(f"spec change refused: {', '.join(book.refused_fields)} (the run keeps its start spec)")
    if phase is models.Phase.RUNNING:
        return one_line(_running_message(run.pending_activities, run.pending_children))
    if phase is models.Phase.COMPLETED:
        return "completed"
    if run.failure is None:
        return phase.value.lower()
    return one_line(f"{_CLOSED_WORDS.get(phase, phase.value.lower())}: {failure_line(run.failure)}")


_CLOSED_WORDS = {models.Phase.TIMED_OUT: "timed out"}


def _children_message(kids: Sequence[api.PendingChildExecution]) -> str:
    # A child is not a resource of its own: the parent says what it waits on.
    if not kids:
        return "running"
    more = f" (+{len(kids) - 1} more)" if len(kids) > 1 else ""
    return f"waiting on child workflow {kids[0].workflow_type_name} {kids[0].workflow_id}{more}"


def _running_message(pending: Sequence[api.PendingActivity], kids: Sequence[api.PendingChildExecution]) -> str:
    if not pending:
        return _children_message(kids)
    # The activity in trouble (the latest attempt that failed) says most about a stuck run.
    failing = [p for p in pending if p.last_failure is not None]
    if failing:
        worst = max(failing, key=lambda p: p.attempt)
        assert worst.last_failure is not None
        return f"activity {worst.activity_type} attempt {worst.attempt}: {failure_line(worst.last_failure)}"
    first = pending[0]
    more = f" (+{len(pending) - 1} more)" if len(pending) > 1 else ""
    return f"running activity {first.activity_type}{more}"


def failure_line(failure: Failure) -> str:
    """A failure and its causes as one line: `activity charge_card: card declined`."""
    parts: list[str] = []
    current: Failure | None = failure
    for _ in range(FAILURE_DEPTH):
        if current is None:
            break
        text = current.message
        if current.kind is FailureKind.ACTIVITY and current.activity is not None:
            text = f"activity {current.activity.activity_type}"
        if text and text not in parts:
            parts.append(text)
        current = current.cause
    return ": ".join(parts) or failure.kind.value


def _failure_summary(failure: Failure) -> models.FailureSummary:
    # The innermost typed cause names the error a person can look up (e.g. CardDeclined).
    kind, current = failure.kind.value, failure
    for _ in range(FAILURE_DEPTH):
        if current.type:
            kind = current.type
        if current.cause is None:
            break
        current = current.cause
    return models.FailureSummary(message=_clip(failure_line(failure), models.MAX_RESULT_CHARS), type=kind[:1000])


def result_text(result: Payload | None) -> tuple[str, bool]:
    """A result as a status shows it, and whether it was cut to ``MAX_RESULT_CHARS``:
    decoded when json/plain; an encoded one (a codec's) as its encoding and size."""
    text = payloads.text_for_people(result)
    if len(text) <= models.MAX_RESULT_CHARS:
        return text, False
    return text[: models.MAX_RESULT_CHARS], True


def one_line(text: str) -> str:
    """``text`` with its whitespace collapsed, cut to ``MESSAGE_CHARS``."""
    return _clip(" ".join(text.split()), MESSAGE_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timestamp(moment: datetime) -> str:
    """A time as Kubernetes writes it: RFC 3339, UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity(spec: models.WorkflowSpec, name: str) -> dict[str, Any]:
    """The spec fields the run starts from, as compared after the start (JSON)."""
    timeout = models.parse_duration(spec.execution_timeout).total_seconds() if spec.execution_timeout else None
    return {
        "workflowType": spec.workflow_type,
        "taskQueue": spec.task_queue,
        "args": spec.args,
        "workflowId": spec.workflow_id or name,
        "executionTimeout": timeout,
    }


def changed_fields(started: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The identity fields that differ between the started run and the current spec."""
    return [f for f in IDENTITY_FIELDS if _canonical(started.get(f)) != _canonical(current.get(f))]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
