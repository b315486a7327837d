"""Commands a worker returns when it completes a workflow task, as Temporal's.

Each command becomes one history event when the server applies it; on replay the SDK
matches the commands the code produces against those events, in order.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from legato.api.common.v1 import (
    MAX_NAME_LENGTH,
    Failure,
    Header,
    Name,
    Payload,
    Payloads,
    RetryPolicy,
    Seconds,
    Text,
    WireModel,
)

__all__ = ["MAX_NAME_LENGTH", "Command"]


class ScheduleActivityTask(WireModel):
    """Schedule an activity. At least one of start_to_close or schedule_to_close is set."""

    type: Literal["ScheduleActivityTask"] = "ScheduleActivityTask"
    activity_id: Name
    activity_type: Name
    task_queue: Text = ""
    input: Payloads = Field(default_factory=list)
    schedule_to_close_timeout: Seconds | None = None
    schedule_to_start_timeout: Seconds | None = None
    start_to_close_timeout: Seconds | None = None
    heartbeat_timeout: Seconds | None = None
    retry_policy: RetryPolicy | None = None
    header: Header = Field(default_factory=dict)
    # The completing worker has a free activity slot and runs this activity's type on the
    # run's own task queue: the completion's answer carries the task, already started.
    request_eager_execution: bool = False


class RequestCancelActivityTask(WireModel):
    type: Literal["RequestCancelActivityTask"] = "RequestCancelActivityTask"
    scheduled_event_id: int = Field(ge=1, le=2**31 - 1)


class StartTimer(WireModel):
    type: Literal["StartTimer"] = "StartTimer"
    timer_id: Name
    start_to_fire_timeout: Seconds


class CancelTimer(WireModel):
    type: Literal["CancelTimer"] = "CancelTimer"
    timer_id: Name


class CompleteWorkflowExecution(WireModel):
    type: Literal["CompleteWorkflowExecution"] = "CompleteWorkflowExecution"
    result: Payload | None = None


class FailWorkflowExecution(WireModel):
    type: Literal["FailWorkflowExecution"] = "FailWorkflowExecution"
    failure: Failure


class CancelWorkflowExecution(WireModel):
    type: Literal["CancelWorkflowExecution"] = "CancelWorkflowExecution"
    details: Payloads = Field(default_factory=list)


# --- markers (workflow.patched) and workflow properties (memo) ---


class RecordMarker(WireModel):
    """Record a marker: ``core_patch`` for ``workflow.patched``, details as Temporal's
    (``{"patch-data": [<{"id": ..., "deprecated": ...} as json/plain>]}``)."""

    type: Literal["RecordMarker"] = "RecordMarker"
    marker_name: Name
    details: dict[Name, Payloads] = Field(default_factory=dict)
    # A local activity's failure (marker ``core_local_activity``).
    failure: Failure | None = None


class ModifyWorkflowProperties(WireModel):
    """Upsert the run's memo; a ``binary/null`` payload removes its key (``workflow.upsert_memo``)."""

    type: Literal["ModifyWorkflowProperties"] = "ModifyWorkflowProperties"
    upserted_memo: dict[Name, Payload] = Field(default_factory=dict)


class UpsertWorkflowSearchAttributes(WireModel):
    """Set or unset (``binary/null``) custom search attributes (``workflow.upsert_search_attributes``)."""

    type: Literal["UpsertWorkflowSearchAttributes"] = "UpsertWorkflowSearchAttributes"
    search_attributes: dict[Name, Payload] = Field(default_factory=dict)


# --- continue-as-new ---


class ContinueAsNewWorkflowExecution(WireModel):
    """Close the run and start the next run of the chain in the same transaction.

    Unset fields take the closing run's values (type, task queue, run and task timeouts,
    retry policy). ``memo`` and ``search_attributes`` are carried to the next run's
    WorkflowExecutionStarted as they came.
    """

    type: Literal["ContinueAsNewWorkflowExecution"] = "ContinueAsNewWorkflowExecution"
    workflow_type: Text = ""
    task_queue: Text = ""
    input: Payloads = Field(default_factory=list)
    workflow_run_timeout: Seconds | None = None
    workflow_task_timeout: Seconds | None = None
    backoff_start_interval: Seconds | None = None
    retry_policy: RetryPolicy | None = None
    memo: dict[str, Payload] = Field(default_factory=dict)
    search_attributes: dict[str, Payload] = Field(default_factory=dict)


# --- workflow updates ---


class CompleteWorkflowUpdate(WireModel):
    """An update's handler finished: ``WorkflowExecutionUpdateCompleted``.

    Temporal carries this as a protocol message (an update ``Response``) beside the
    commands; Legato makes it a command so it is applied and matched on replay in order.
    """

    type: Literal["CompleteWorkflowUpdate"] = "CompleteWorkflowUpdate"
    update_id: Name
    success: Payloads | None = None
    failure: Failure | None = None


# --- child workflows and external workflows ---


class StartChildWorkflowExecution(WireModel):
    """Start a child run (Temporal's command); the policies are Temporal's enum names."""

    type: Literal["StartChildWorkflowExecution"] = "StartChildWorkflowExecution"
    workflow_id: Name
    workflow_type: Name
    task_queue: Text = ""
    input: Payloads = Field(default_factory=list)
    workflow_execution_timeout: Seconds | None = None
    workflow_run_timeout: Seconds | None = None
    workflow_task_timeout: Seconds | None = None
    parent_close_policy: Text = "TERMINATE"
    workflow_id_reuse_policy: Text = "ALLOW_DUPLICATE"
    retry_policy: RetryPolicy | None = None
    header: Header = Field(default_factory=dict)
    memo: dict[Name, Payload] = Field(default_factory=dict)
    search_attributes: dict[Name, Payload] = Field(default_factory=dict)
    cron_schedule: Text = ""


class SignalExternalWorkflowExecution(WireModel):
    """Signal another run; ``child_workflow_only`` when sent through a child's handle."""

    type: Literal["SignalExternalWorkflowExecution"] = "SignalExternalWorkflowExecution"
    workflow_id: Name
    run_id: Text = ""
    signal_name: Name
    input: Payloads = Field(default_factory=list)
    child_workflow_only: bool = False
    header: Header = Field(default_factory=dict)


class RequestCancelExternalWorkflowExecution(WireModel):
    """Ask another run (or a child) to cancel."""

    type: Literal["RequestCancelExternalWorkflowExecution"] = "RequestCancelExternalWorkflowExecution"
    workflow_id: Name
    run_id: Text = ""
    child_workflow_only: bool = False
    reason: Text = ""


Command = Annotated[
    ScheduleActivityTask
    | RequestCancelActivityTask
    | StartTimer
    | CancelTimer
    | CompleteWorkflowExecution
    | FailWorkflowExecution
    | CancelWorkflowExecution
    | RecordMarker
    | ModifyWorkflowProperties
    | UpsertWorkflowSearchAttributes
    | ContinueAsNewWorkflowExecution
    | CompleteWorkflowUpdate
    | StartChildWorkflowExecution
    | SignalExternalWorkflowExecution
    | RequestCancelExternalWorkflowExecution,
    Field(discriminator="type"),
]
