"""History events of child workflows and of signals and cancels sent to other runs.

Temporal's names and fields. Re-exported by ``legato.api.history.v1``, which holds them in
its ``EventAttributes`` union; kept apart so the events of one feature read together.
``cause`` and ``parent_close_policy`` carry Temporal's enum names without their prefix
(``WORKFLOW_ALREADY_EXISTS``, ``EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND``, ``TERMINATE``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from legato.api.common.v1 import Failure, Header, Payload, Payloads, RetryPolicy, RetryState, WireModel
from legato.api.common.v1 import WorkflowExecution as Execution


class StartChildWorkflowExecutionInitiated(WireModel):
    type: Literal["StartChildWorkflowExecutionInitiated"] = "StartChildWorkflowExecutionInitiated"
    namespace: str = ""
    workflow_id: str
    workflow_type: str
    task_queue: str
    input: Payloads = Field(default_factory=list)
    workflow_execution_timeout: float | None = None
    workflow_run_timeout: float | None = None
    workflow_task_timeout: float | None = None
    parent_close_policy: str = "TERMINATE"
    workflow_id_reuse_policy: str = "ALLOW_DUPLICATE"
    retry_policy: RetryPolicy | None = None
    header: Header = Field(default_factory=dict)
    memo: dict[str, Payload] = Field(default_factory=dict)
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    cron_schedule: str = ""
    workflow_task_completed_event_id: int


class StartChildWorkflowExecutionFailed(WireModel):
    type: Literal["StartChildWorkflowExecutionFailed"] = "StartChildWorkflowExecutionFailed"
    namespace: str = ""
    workflow_id: str
    workflow_type: str
    cause: str
    initiated_event_id: int
    workflow_task_completed_event_id: int = 0


class ChildWorkflowExecutionStarted(WireModel):
    type: Literal["ChildWorkflowExecutionStarted"] = "ChildWorkflowExecutionStarted"
    namespace: str = ""
    initiated_event_id: int
    workflow_execution: Execution
    workflow_type: str
    header: Header = Field(default_factory=dict)


class _ChildClosed(WireModel):
    namespace: str = ""
    workflow_execution: Execution
    workflow_type: str
    initiated_event_id: int
    started_event_id: int


class ChildWorkflowExecutionCompleted(_ChildClosed):
    type: Literal["ChildWorkflowExecutionCompleted"] = "ChildWorkflowExecutionCompleted"
    result: Payload | None = None


class ChildWorkflowExecutionFailed(_ChildClosed):
    type: Literal["ChildWorkflowExecutionFailed"] = "ChildWorkflowExecutionFailed"
    failure: Failure
    retry_state: RetryState = RetryState.RETRY_POLICY_NOT_SET


class ChildWorkflowExecutionCanceled(_ChildClosed):
    type: Literal["ChildWorkflowExecutionCanceled"] = "ChildWorkflowExecutionCanceled"
    details: Payloads = Field(default_factory=list)


class ChildWorkflowExecutionTimedOut(_ChildClosed):
    type: Literal["ChildWorkflowExecutionTimedOut"] = "ChildWorkflowExecutionTimedOut"
    retry_state: RetryState = RetryState.TIMEOUT


class ChildWorkflowExecutionTerminated(_ChildClosed):
    type: Literal["ChildWorkflowExecutionTerminated"] = "ChildWorkflowExecutionTerminated"


class SignalExternalWorkflowExecutionInitiated(WireModel):
    type: Literal["SignalExternalWorkflowExecutionInitiated"] = "SignalExternalWorkflowExecutionInitiated"
    namespace: str = ""
    workflow_execution: Execution
    signal_name: str
    input: Payloads = Field(default_factory=list)
    child_workflow_only: bool = False
    header: Header = Field(default_factory=dict)
    workflow_task_completed_event_id: int


class SignalExternalWorkflowExecutionFailed(WireModel):
    type: Literal["SignalExternalWorkflowExecutionFailed"] = "SignalExternalWorkflowExecutionFailed"
    namespace: str = ""
    workflow_execution: Execution
    cause: str
    initiated_event_id: int
    workflow_task_completed_event_id: int = 0


class ExternalWorkflowExecutionSignaled(WireModel):
    type: Literal["ExternalWorkflowExecutionSignaled"] = "ExternalWorkflowExecutionSignaled"
    namespace: str = ""
    workflow_execution: Execution
    initiated_event_id: int


class RequestCancelExternalWorkflowExecutionInitiated(WireModel):
    type: Literal["RequestCancelExternalWorkflowExecutionInitiated"] = "RequestCancelExternalWorkflowExecutionInitiated"
    namespace: str = ""
    workflow_execution: Execution
    child_workflow_only: bool = False
    reason: str = ""
    workflow_task_completed_event_id: int


class RequestCancelExternalWorkflowExecutionFailed(WireModel):
    type: Literal["RequestCancelExternalWorkflowExecutionFailed"] = "RequestCancelExternalWorkflowExecutionFailed"
    namespace: str = ""
    workflow_execution: Execution
    cause: str
    initiated_event_id: int
    workflow_task_completed_event_id: int = 0


class ExternalWorkflowExecutionCancelRequested(WireModel):
    type: Literal["ExternalWorkflowExecutionCancelRequested"] = "ExternalWorkflowExecutionCancelRequested"
    namespace: str = ""
    workflow_execution: Execution
    initiated_event_id: int


CHILD_EVENTS = (
    StartChildWorkflowExecutionInitiated,
    StartChildWorkflowExecutionFailed,
    ChildWorkflowExecutionStarted,
    ChildWorkflowExecutionCompleted,
    ChildWorkflowExecutionFailed,
    ChildWorkflowExecutionCanceled,
    ChildWorkflowExecutionTimedOut,
    ChildWorkflowExecutionTerminated,
    SignalExternalWorkflowExecutionInitiated,
    SignalExternalWorkflowExecutionFailed,
    ExternalWorkflowExecutionSignaled,
    RequestCancelExternalWorkflowExecutionInitiated,
    RequestCancelExternalWorkflowExecutionFailed,
    ExternalWorkflowExecutionCancelRequested,
)
