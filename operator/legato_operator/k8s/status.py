"""Pure: a `Workflow` resource's status from its run, and the identity a started run keeps.

The status is a bounded summary — phase, times, counts, a truncated result, a one-line
message and conditions — however long the history grows. Nothing here does I/O: the
status writer reads the run and the resource's bookkeeping and hands them in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from legato.api import service as api
from legato.api.common import Failure, FailureKind, WorkflowExecutionStatus
from legato_operator.k8s import models

# Condition types.
STARTED = "Started"
READY = "Ready"
SIGNALS_DELIVERED = "SignalsDelivered"
SPEC_CHANGE_REFUSED = "SpecChangeRefused"

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


def of_run(
    run: api.DescribeWorkflowResponse,
    book: Bookkeeping,
    previous: Sequence[models.Condition],
    now: datetime,
) -> models.WorkflowStatus:
    """The status of a resource whose run exists."""
    phase = PHASES[run.status]
    result, truncated = _result(run.result) if phase is models.Phase.COMPLETED else (None, False)
    conditions = [
        _condition(STARTED, "True", "Started", f"Run {run.run_id} of {run.workflow_type} on {run.task_queue}"),
        _ready(phase, run),
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
        result=result,
        result_truncated=truncated,
        failure=_failure_summary(run.failure) if run.failure and phase is not models.Phase.COMPLETED else None,
        message=_message(phase, run, book),
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


def _message(phase: models.Phase, run: api.DescribeWorkflowResponse, book: Bookkeeping) -> str:
    if book.refused_fields:
        return one_line(f"spec change refused: {', '.join(book.refused_fields)} (the run keeps its start spec)")
    if phase is models.Phase.RUNNING:
        return one_line(_running_message(run.pending_activities))
    if phase is models.Phase.COMPLETED:
        return "completed"
    if run.failure is None:
        return phase.value.lower()
    return one_line(f"{_CLOSED_WORDS.get(phase, phase.value.lower())}: {failure_line(run.failure)}")


_CLOSED_WORDS = {models.Phase.TIMED_OUT: "timed out"}


def _running_message(pending: Sequence[api.PendingActivity]) -> str:
    if not pending:
        return "running"
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


def _result(value: Any) -> tuple[str, bool]:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
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
