"""History events, named and shaped as Temporal's.

A run's history is a dense sequence of events from id 1. Each event's ``attributes`` carry a
``type`` field naming the event; ``HistoryEvent.event_type`` is that name as Temporal's
``EventType``. Events written while
a workflow task is in flight are buffered by the server and appended after that task's
``WorkflowTaskCompleted`` (or failure), so a workflow task's events always end with
``WorkflowTaskStarted`` and nothing but the task's own outcome stands between it and the
next task's events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from legato.api.common.v1 import (
    Failure,
    Header,
    Payload,
    Payloads,
    RetryPolicy,
    RetryState,
    TimeoutType,
    WireModel,
    WorkflowExecution,
)
from legato.api.enums.v1 import EventType
from legato.api.history._children import CHILD_EVENTS as CHILD_EVENTS
from legato.api.history._children import (
    ChildWorkflowExecutionCanceled as ChildWorkflowExecutionCanceled,
)
from legato.api.history._children import (
    ChildWorkflowExecutionCompleted as ChildWorkflowExecutionCompleted,
)
from legato.api.history._children import (
    ChildWorkflowExecutionFailed as ChildWorkflowExecutionFailed,
)
from legato.api.history._children import (
    ChildWorkflowExecutionStarted as ChildWorkflowExecutionStarted,
)
from legato.api.history._children import (
    ChildWorkflowExecutionTerminated as ChildWorkflowExecutionTerminated,
)
from legato.api.history._children import (
    ChildWorkflowExecutionTimedOut as ChildWorkflowExecutionTimedOut,
)
from legato.api.history._children import (
    ExternalWorkflowExecutionCancelRequested as ExternalWorkflowExecutionCancelRequested,
)
from legato.api.history._children import (
    ExternalWorkflowExecutionSignaled as ExternalWorkflowExecutionSignaled,
)
from legato.api.history._children import (
    RequestCancelExternalWorkflowExecutionFailed as RequestCancelExternalWorkflowExecutionFailed,
)
from legato.api.history._children import (
    RequestCancelExternalWorkflowExecutionInitiated as RequestCancelExternalWorkflowExecutionInitiated,
)
from legato.api.history._children import (
    SignalExternalWorkflowExecutionFailed as SignalExternalWorkflowExecutionFailed,
)
from legato.api.history._children import (
    SignalExternalWorkflowExecutionInitiated as SignalExternalWorkflowExecutionInitiated,
)
from legato.api.history._children import (
    StartChildWorkflowExecutionFailed as StartChildWorkflowExecutionFailed,
)
from legato.api.history._children import (
    StartChildWorkflowExecutionInitiated as StartChildWorkflowExecutionInitiated,
)
from legato.api.history._view import AttributesOf as _Of


class WorkflowExecutionStarted(WireModel):
    type: Literal["WorkflowExecutionStarted"] = "WorkflowExecutionStarted"
    workflow_type: str
    task_queue: str
    input: Payloads = Field(default_factory=list)
    workflow_execution_timeout: float | None = None
    workflow_run_timeout: float | None = None
    workflow_task_timeout: float = 10.0
    retry_policy: RetryPolicy | None = None
    attempt: int = 1
    identity: str = ""
    # The chain of runs (continue-as-new, retries, cron): Temporal's fields.
    continued_execution_run_id: str | None = None
    first_execution_run_id: str | None = None
    original_execution_run_id: str | None = None
    # CONTINUE_AS_NEW | RETRY | CRON_SCHEDULE when this run continues another (CRON_SCHEDULE
    # on a cron chain's first run too, as Temporal records it).
    initiator: str | None = None
    # A retry's: how the run before it failed (workflow.get_last_failure()).
    continued_failure: Failure | None = None
    # When the whole chain's execution timeout runs out.
    workflow_execution_expiration_time: datetime | None = None
    # The first workflow task waits this long (start_delay, a retry's backoff, a cron's
    # wait for its next fire time).
    first_workflow_task_backoff: float | None = None
    # Temporal's older cron feature: the chain's schedule, and the last run's result.
    cron_schedule: str = ""
    last_completion_result: Payloads = Field(default_factory=list)
    memo: dict[str, Payload] = Field(default_factory=dict)
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    # A child's parent (the run and its StartChildWorkflowExecutionInitiated) and the tree's root.
    parent_workflow_namespace: str | None = None
    parent_workflow_execution: WorkflowExecution | None = None
    parent_initiated_event_id: int | None = None
    root_workflow_execution: WorkflowExecution | None = None
    # Seeds workflow.random() and workflow.uuid4(), the same on every replay.
    randomness_seed: int = 0
    header: Header = Field(default_factory=dict)


class WorkflowTaskScheduled(WireModel):
    type: Literal["WorkflowTaskScheduled"] = "WorkflowTaskScheduled"
    task_queue: str
    start_to_close_timeout: float
    attempt: int = 1


class WorkflowTaskStarted(WireModel):
    type: Literal["WorkflowTaskStarted"] = "WorkflowTaskStarted"
    scheduled_event_id: int
    identity: str = ""
    # The history's size so far and whether the server suggests continue-as-new (Temporal's).
    history_size_bytes: int = 0
    suggest_continue_as_new: bool = False


class WorkflowTaskCompleted(WireModel):
    type: Literal["WorkflowTaskCompleted"] = "WorkflowTaskCompleted"
    scheduled_event_id: int
    started_event_id: int
    identity: str = ""


class WorkflowTaskFailed(WireModel):
    type: Literal["WorkflowTaskFailed"] = "WorkflowTaskFailed"
    scheduled_event_id: int
    started_event_id: int
    cause: str
    failure: Failure | None = None
    identity: str = ""


class WorkflowTaskTimedOut(WireModel):
    type: Literal["WorkflowTaskTimedOut"] = "WorkflowTaskTimedOut"
    scheduled_event_id: int
    started_event_id: int
    timeout_type: TimeoutType = TimeoutType.START_TO_CLOSE


class ActivityTaskScheduled(WireModel):
    type: Literal["ActivityTaskScheduled"] = "ActivityTaskScheduled"
    activity_id: str
    activity_type: str
    task_queue: str
    input: Payloads = Field(default_factory=list)
    schedule_to_close_timeout: float | None = None
    schedule_to_start_timeout: float | None = None
    start_to_close_timeout: float | None = None
    heartbeat_timeout: float | None = None
    retry_policy: RetryPolicy
    workflow_task_completed_event_id: int
    header: Header = Field(default_factory=dict)


class ActivityTaskStarted(WireModel):
    """Written when the attempt closes, as Temporal does: ``attempt`` is the last one."""

    type: Literal["ActivityTaskStarted"] = "ActivityTaskStarted"
    scheduled_event_id: int
    attempt: int
    identity: str = ""
    last_failure: Failure | None = None


class ActivityTaskCompleted(WireModel):
    type: Literal["ActivityTaskCompleted"] = "ActivityTaskCompleted"
    scheduled_event_id: int
    started_event_id: int
    result: Payload | None = None
    identity: str = ""


class ActivityTaskFailed(WireModel):
    type: Literal["ActivityTaskFailed"] = "ActivityTaskFailed"
    scheduled_event_id: int
    started_event_id: int
    failure: Failure
    retry_state: RetryState
    identity: str = ""


class ActivityTaskTimedOut(WireModel):
    type: Literal["ActivityTaskTimedOut"] = "ActivityTaskTimedOut"
    scheduled_event_id: int
    started_event_id: int
    failure: Failure
    retry_state: RetryState


class ActivityTaskCancelRequested(WireModel):
    type: Literal["ActivityTaskCancelRequested"] = "ActivityTaskCancelRequested"
    scheduled_event_id: int
    workflow_task_completed_event_id: int


class ActivityTaskCanceled(WireModel):
    type: Literal["ActivityTaskCanceled"] = "ActivityTaskCanceled"
    scheduled_event_id: int
    started_event_id: int = 0
    details: Payloads = Field(default_factory=list)


class TimerStarted(WireModel):
    type: Literal["TimerStarted"] = "TimerStarted"
    timer_id: str
    start_to_fire_timeout: float
    workflow_task_completed_event_id: int


class TimerFired(WireModel):
    type: Literal["TimerFired"] = "TimerFired"
    timer_id: str
    started_event_id: int


class TimerCanceled(WireModel):
    type: Literal["TimerCanceled"] = "TimerCanceled"
    timer_id: str
    started_event_id: int
    workflow_task_completed_event_id: int


class WorkflowExecutionCompleted(WireModel):
    type: Literal["WorkflowExecutionCompleted"] = "WorkflowExecutionCompleted"
    result: Payload | None = None
    workflow_task_completed_event_id: int
    # A cron run's: the chain's next run, waiting for its fire time.
    new_execution_run_id: str | None = None


class WorkflowExecutionFailed(WireModel):
    type: Literal["WorkflowExecutionFailed"] = "WorkflowExecutionFailed"
    failure: Failure
    retry_state: RetryState = RetryState.RETRY_POLICY_NOT_SET
    workflow_task_completed_event_id: int
    # The retry's run, when the retry policy starts one.
    new_execution_run_id: str | None = None


class WorkflowExecutionTimedOut(WireModel):
    type: Literal["WorkflowExecutionTimedOut"] = "WorkflowExecutionTimedOut"
    retry_state: RetryState = RetryState.TIMEOUT
    new_execution_run_id: str | None = None


# --- continue-as-new ---


class WorkflowExecutionContinuedAsNew(WireModel):
    """The run closed and ``new_execution_run_id`` goes on from here (Temporal's event)."""

    type: Literal["WorkflowExecutionContinuedAsNew"] = "WorkflowExecutionContinuedAsNew"
    new_execution_run_id: str
    workflow_type: str
    task_queue: str
    input: Payloads = Field(default_factory=list)
    workflow_run_timeout: float | None = None
    workflow_task_timeout: float = 10.0
    backoff_start_interval: float | None = None
    initiator: str = "WORKFLOW"
    workflow_task_completed_event_id: int


class WorkflowExecutionSignaled(WireModel):
    type: Literal["WorkflowExecutionSignaled"] = "WorkflowExecutionSignaled"
    signal_name: str
    input: Payloads = Field(default_factory=list)
    identity: str = ""
    header: Header = Field(default_factory=dict)


class WorkflowExecutionCancelRequested(WireModel):
    type: Literal["WorkflowExecutionCancelRequested"] = "WorkflowExecutionCancelRequested"
    cause: str = ""
    identity: str = ""
    # Set when another run asked (a RequestCancelExternalWorkflowExecution, or a parent's
    # close policy REQUEST_CANCEL): that run, and its initiated event (0 for a policy).
    external_initiated_event_id: int = 0
    external_workflow_execution: WorkflowExecution | None = None


class WorkflowExecutionCanceled(WireModel):
    type: Literal["WorkflowExecutionCanceled"] = "WorkflowExecutionCanceled"
    details: Payloads = Field(default_factory=list)
    workflow_task_completed_event_id: int


class WorkflowExecutionTerminated(WireModel):
    type: Literal["WorkflowExecutionTerminated"] = "WorkflowExecutionTerminated"
    reason: str = ""
    details: Payloads = Field(default_factory=list)
    identity: str = ""


# --- markers (workflow.patched) and workflow properties (memo) ---


class MarkerRecorded(WireModel):
    type: Literal["MarkerRecorded"] = "MarkerRecorded"
    marker_name: str
    details: dict[str, Payloads] = Field(default_factory=dict)
    workflow_task_completed_event_id: int
    # A local activity's failure (marker core_local_activity), as Temporal records it.
    failure: Failure | None = None


class WorkflowPropertiesModified(WireModel):
    type: Literal["WorkflowPropertiesModified"] = "WorkflowPropertiesModified"
    upserted_memo: dict[str, Payload] = Field(default_factory=dict)
    workflow_task_completed_event_id: int


class UpsertWorkflowSearchAttributes(WireModel):
    """Custom search attributes set or unset (``binary/null``) by the workflow; read from
    Temporal's histories too (the ``TemporalChangeVersion`` its patches record)."""

    type: Literal["UpsertWorkflowSearchAttributes"] = "UpsertWorkflowSearchAttributes"
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    workflow_task_completed_event_id: int


# --- workflow updates (Temporal's update.v1 messages, flattened to what Legato uses) ---


class UpdateMeta(WireModel):
    """Who asked for an update, and its id (unique within the run)."""

    update_id: str
    identity: str = ""


class UpdateInput(WireModel):
    """The handler's name and arguments."""

    name: str
    args: Payloads = Field(default_factory=list)
    header: Header = Field(default_factory=dict)


class UpdateRequest(WireModel):
    """An update as the client sent it."""

    meta: UpdateMeta
    input: UpdateInput


class UpdateOutcome(WireModel):
    """How the handler finished: ``success`` (its result), or ``failure``."""

    success: Payloads | None = None
    failure: Failure | None = None


class WorkflowExecutionUpdateAccepted(WireModel):
    """The validator accepted the update; the handler runs from here (on replay too)."""

    type: Literal["WorkflowExecutionUpdateAccepted"] = "WorkflowExecutionUpdateAccepted"
    protocol_instance_id: str
    accepted_request_message_id: str = ""
    accepted_request_sequencing_event_id: int = 0
    accepted_request: UpdateRequest


class WorkflowExecutionUpdateCompleted(WireModel):
    """The handler finished; the client's result is ``outcome``."""

    type: Literal["WorkflowExecutionUpdateCompleted"] = "WorkflowExecutionUpdateCompleted"
    meta: UpdateMeta
    accepted_event_id: int = 0
    outcome: UpdateOutcome


EventAttributes = Annotated[
    WorkflowExecutionStarted
    | WorkflowTaskScheduled
    | WorkflowTaskStarted
    | WorkflowTaskCompleted
    | WorkflowTaskFailed
    | WorkflowTaskTimedOut
    | ActivityTaskScheduled
    | ActivityTaskStarted
    | ActivityTaskCompleted
    | ActivityTaskFailed
    | ActivityTaskTimedOut
    | ActivityTaskCancelRequested
    | ActivityTaskCanceled
    | TimerStarted
    | TimerFired
    | TimerCanceled
    | WorkflowExecutionCompleted
    | WorkflowExecutionFailed
    | WorkflowExecutionTimedOut
    | WorkflowExecutionSignaled
    | WorkflowExecutionCancelRequested
    | WorkflowExecutionCanceled
    | WorkflowExecutionTerminated
    | MarkerRecorded
    | WorkflowPropertiesModified
    | UpsertWorkflowSearchAttributes
    | WorkflowExecutionContinuedAsNew
    | WorkflowExecutionUpdateAccepted
    | WorkflowExecutionUpdateCompleted
    | StartChildWorkflowExecutionInitiated
    | StartChildWorkflowExecutionFailed
    | ChildWorkflowExecutionStarted
    | ChildWorkflowExecutionCompleted
    | ChildWorkflowExecutionFailed
    | ChildWorkflowExecutionCanceled
    | ChildWorkflowExecutionTimedOut
    | ChildWorkflowExecutionTerminated
    | SignalExternalWorkflowExecutionInitiated
    | SignalExternalWorkflowExecutionFailed
    | ExternalWorkflowExecutionSignaled
    | RequestCancelExternalWorkflowExecutionInitiated
    | RequestCancelExternalWorkflowExecutionFailed
    | ExternalWorkflowExecutionCancelRequested,
    Field(discriminator="type"),
]

# Events that close a run; nothing may follow them.
CLOSE_EVENT_TYPES = frozenset(
    {
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionTimedOut",
        "WorkflowExecutionCanceled",
        "WorkflowExecutionTerminated",
        "WorkflowExecutionContinuedAsNew",
    }
)


class HistoryEvent(WireModel):
    """One event of a run's history.

    On the wire, ``attributes`` carries the event's fields and its ``type`` (the event's
    name). For code written against temporalio, the event also reads as Temporal's:
    ``event_type`` is an ``EventType``, and ``<name>_event_attributes`` is the attributes
    under Temporal's field names when the event is of that type (None otherwise).
    """

    event_id: int = Field(ge=1)
    event_time: datetime
    attributes: EventAttributes

    @property
    def event_type(self) -> EventType:
        """The event's type, as Temporal's ``EventType`` (``attributes.type`` is its name)."""
        return EventType.from_event_name(self.attributes.type)

    def HasField(self, name: str) -> bool:  # protobuf's name
        """Whether the field is set, as protobuf's: ``HasField("timer_fired_event_attributes")``."""
        return getattr(self, name, None) is not None

    # Temporal's per-type attribute fields.
    workflow_execution_started_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionStarted")
    workflow_task_scheduled_event_attributes: ClassVar[_Of] = _Of("WorkflowTaskScheduled")
    workflow_task_started_event_attributes: ClassVar[_Of] = _Of("WorkflowTaskStarted")
    workflow_task_completed_event_attributes: ClassVar[_Of] = _Of("WorkflowTaskCompleted")
    workflow_task_failed_event_attributes: ClassVar[_Of] = _Of("WorkflowTaskFailed")
    workflow_task_timed_out_event_attributes: ClassVar[_Of] = _Of("WorkflowTaskTimedOut")
    activity_task_scheduled_event_attributes: ClassVar[_Of] = _Of("ActivityTaskScheduled")
    activity_task_started_event_attributes: ClassVar[_Of] = _Of("ActivityTaskStarted")
    activity_task_completed_event_attributes: ClassVar[_Of] = _Of("ActivityTaskCompleted")
    activity_task_failed_event_attributes: ClassVar[_Of] = _Of("ActivityTaskFailed")
    activity_task_timed_out_event_attributes: ClassVar[_Of] = _Of("ActivityTaskTimedOut")
    activity_task_cancel_requested_event_attributes: ClassVar[_Of] = _Of("ActivityTaskCancelRequested")
    activity_task_canceled_event_attributes: ClassVar[_Of] = _Of("ActivityTaskCanceled")
    timer_started_event_attributes: ClassVar[_Of] = _Of("TimerStarted")
    timer_fired_event_attributes: ClassVar[_Of] = _Of("TimerFired")
    timer_canceled_event_attributes: ClassVar[_Of] = _Of("TimerCanceled")
    workflow_execution_completed_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionCompleted")
    workflow_execution_failed_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionFailed")
    workflow_execution_timed_out_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionTimedOut")
    workflow_execution_signaled_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionSignaled")
    workflow_execution_cancel_requested_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionCancelRequested")
    workflow_execution_canceled_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionCanceled")
    workflow_execution_terminated_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionTerminated")
    marker_recorded_event_attributes: ClassVar[_Of] = _Of("MarkerRecorded")
    workflow_properties_modified_event_attributes: ClassVar[_Of] = _Of("WorkflowPropertiesModified")
    upsert_workflow_search_attributes_event_attributes: ClassVar[_Of] = _Of("UpsertWorkflowSearchAttributes")
    workflow_execution_continued_as_new_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionContinuedAsNew")
    workflow_execution_update_accepted_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionUpdateAccepted")
    workflow_execution_update_completed_event_attributes: ClassVar[_Of] = _Of("WorkflowExecutionUpdateCompleted")
    start_child_workflow_execution_initiated_event_attributes: ClassVar[_Of] = _Of(
        "StartChildWorkflowExecutionInitiated"
    )
    start_child_workflow_execution_failed_event_attributes: ClassVar[_Of] = _Of("StartChildWorkflowExecutionFailed")
    child_workflow_execution_started_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionStarted")
    child_workflow_execution_completed_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionCompleted")
    child_workflow_execution_failed_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionFailed")
    child_workflow_execution_canceled_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionCanceled")
    child_workflow_execution_timed_out_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionTimedOut")
    child_workflow_execution_terminated_event_attributes: ClassVar[_Of] = _Of("ChildWorkflowExecutionTerminated")
    signal_external_workflow_execution_initiated_event_attributes: ClassVar[_Of] = _Of(
        "SignalExternalWorkflowExecutionInitiated"
    )
    signal_external_workflow_execution_failed_event_attributes: ClassVar[_Of] = _Of(
        "SignalExternalWorkflowExecutionFailed"
    )
    external_workflow_execution_signaled_event_attributes: ClassVar[_Of] = _Of("ExternalWorkflowExecutionSignaled")
    request_cancel_external_workflow_execution_initiated_event_attributes: ClassVar[_Of] = _Of(
        "RequestCancelExternalWorkflowExecutionInitiated"
    )
    request_cancel_external_workflow_execution_failed_event_attributes: ClassVar[_Of] = _Of(
        "RequestCancelExternalWorkflowExecutionFailed"
    )
    external_workflow_execution_cancel_requested_event_attributes: ClassVar[_Of] = _Of(
        "ExternalWorkflowExecutionCancelRequested"
    )
