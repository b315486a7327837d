"""Worker interceptors, as ``temporalio.worker.Interceptor`` and its inbound/outbound classes.

A worker's interceptors wrap what it does, as in Temporal:

- activities: ``intercept_activity(next)`` wraps the inbound chain that executes an
  activity; each inbound link's ``init(outbound)`` may wrap the outbound chain that the
  activity's ``activity.info()`` and ``activity.heartbeat()`` go through.
- workflows: ``workflow_interceptor_class(input)`` names a ``WorkflowInboundInterceptor``
  class, instantiated per run around the run's own inbound link; its ``init(outbound)``
  may wrap the outbound chain that ``workflow.start_activity`` and ``workflow.info()``
  go through. Execute and signals come in through the inbound chain.

Headers cross the wire as in Temporal: what a client interceptor sets on a start or a
signal reaches the workflow's ``execute_workflow`` and ``handle_signal`` (and
``workflow.info().headers``), and what a workflow outbound interceptor sets on
``start_activity`` reaches the activity's ``execute_activity``; values are ``Payload``s,
recorded in the history, and not passed through the payload codec.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from legato.common import Priority, RetryPolicy

if TYPE_CHECKING:
    from legato._runtime.activities import ActivityCancellationType, ActivityHandle
    from legato._runtime.child_workflows import ChildWorkflowHandle
    from legato._runtime.children import ChildWorkflowCancellationType, ParentClosePolicy
    from legato._runtime.info import ActivityInfo, WorkflowInfo
    from legato.common import WorkflowIDReusePolicy


@dataclass(frozen=True)
class WorkflowInterceptorClassInput:
    """What ``Interceptor.workflow_interceptor_class`` is given (Temporal's fields)."""

    unsafe_extern_functions: Mapping[str, Callable[..., Any]]


@dataclass
class ExecuteWorkflowInput:
    """The run method's call, going down the workflow inbound chain."""

    type: type
    run_fn: Callable[..., Awaitable[Any]]
    args: Sequence[Any]
    headers: Mapping[str, Any]


@dataclass
class HandleSignalInput:
    """One signal's delivery, going down the workflow inbound chain."""

    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Any]


@dataclass
class HandleQueryInput:
    """One query, going down the workflow inbound chain (read-only: no commands)."""

    id: str
    query: str
    args: Sequence[Any]
    headers: Mapping[str, Any]


@dataclass
class HandleUpdateInput:
    """One update, going down the workflow inbound chain: to its validator (read-only),
    then, once accepted, to its handler."""

    id: str
    update: str
    args: Sequence[Any]
    headers: Mapping[str, Any]


@dataclass
class StartActivityInput:
    """``workflow.start_activity``'s call, going down the workflow outbound chain."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: ActivityCancellationType
    headers: Mapping[str, Any]
    disable_eager_execution: bool
    versioning_intent: Any
    summary: str | None
    priority: Priority
    arg_types: list[type] | None
    ret_type: type | None
    event_groups: Any = field(default=None, kw_only=True)


@dataclass
class StartChildWorkflowInput:
    """``workflow.start_child_workflow``'s call, going down the workflow outbound chain."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str | None
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: Mapping[str, Any]
    versioning_intent: Any
    static_summary: str | None
    static_details: str | None
    versioning_override: Any = field(default=None, kw_only=True)
    event_groups: Any = field(default=None, kw_only=True)
    priority: Priority
    arg_types: list[type] | None
    ret_type: type | None


@dataclass
class SignalChildWorkflowInput:
    """A child handle's ``signal``, going down the workflow outbound chain."""

    signal: str
    args: Sequence[Any]
    child_workflow_id: str
    headers: Mapping[str, Any]
    event_groups: Any = None


@dataclass
class SignalExternalWorkflowInput:
    """An external workflow handle's ``signal``, going down the workflow outbound chain."""

    signal: str
    args: Sequence[Any]
    namespace: str
    workflow_id: str
    workflow_run_id: str | None
    headers: Mapping[str, Any]
    event_groups: Any = None


@dataclass
class StartLocalActivityInput:
    """``workflow.start_local_activity``'s call, going down the workflow outbound chain."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    local_retry_threshold: timedelta | None
    cancellation_type: ActivityCancellationType
    headers: Mapping[str, Any]
    summary: str | None
    event_groups: Any = None
    arg_types: list[type] | None = None
    ret_type: type | None = None


@dataclass
class ExecuteActivityInput:
    """An activity's call, going down the activity inbound chain."""

    fn: Callable[..., Any]
    args: Sequence[Any]
    executor: Executor | None
    headers: Mapping[str, Any]


class ActivityOutboundInterceptor:
    """What activity code calls out through: ``info()`` and ``heartbeat()``."""

    def __init__(self, next: ActivityOutboundInterceptor) -> None:
        """Wrap ``next``."""
        self.next = next

    def info(self) -> ActivityInfo:
        """The attempt's information (``activity.info()``)."""
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        """Record progress (``activity.heartbeat()``)."""
        self.next.heartbeat(*details)


class ActivityInboundInterceptor:
    """What comes into an activity: its execution."""

    def __init__(self, next: ActivityInboundInterceptor) -> None:
        """Wrap ``next``."""
        self.next = next

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Given the outbound chain; wrap it and pass the wrapper on to change it."""
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity and return its result."""
        return await self.next.execute_activity(input)


# --- continue-as-new ---


@dataclass
class ContinueAsNewInput:
    """``workflow.continue_as_new``'s call, going down the workflow outbound chain (Temporal's fields)."""

    workflow: str | None
    args: Sequence[Any]
    task_queue: str | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    backoff_start_interval: timedelta | None
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: Mapping[str, Any]
    versioning_intent: Any
    initial_versioning_behavior: Any
    event_groups: Any = None
    arg_types: list[type] | None = None


class WorkflowOutboundInterceptor:
    """What workflow code calls out through: ``info()``, activities, children, signals to
    other runs and ``continue_as_new``."""

    def __init__(self, next: WorkflowOutboundInterceptor) -> None:
        """Wrap ``next``."""
        self.next = next

    def info(self) -> WorkflowInfo:
        """The run's information (``workflow.info()``)."""
        return self.next.info()

    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Schedule an activity (``workflow.start_activity`` and ``execute_activity``)."""
        return self.next.start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
        """Run an activity in this worker (``workflow.start_local_activity``)."""
        return self.next.start_local_activity(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> ChildWorkflowHandle[Any, Any]:
        """Start a child workflow (``workflow.start_child_workflow`` and ``execute_child_workflow``)."""
        return await self.next.start_child_workflow(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        """Signal a child through its handle (``ChildWorkflowHandle.signal``)."""
        await self.next.signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        """Signal another run (``ExternalWorkflowHandle.signal``)."""
        await self.next.signal_external_workflow(input)

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        """Close the run and start its next one (``workflow.continue_as_new``); raises
        ``ContinueAsNewError``."""
        self.next.continue_as_new(input)


class WorkflowInboundInterceptor:
    """What comes into a workflow run: its execution and its signals."""

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        """Wrap ``next``."""
        self.next = next

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Given the outbound chain; wrap it and pass the wrapper on to change it."""
        self.next.init(outbound)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Run the workflow's run method and return its result."""
        return await self.next.execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Run one signal's handler."""
        await self.next.handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        """Run one query's handler and return its answer."""
        return await self.next.handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """Run one update's validator; raising rejects the update."""
        self.next.handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Run one accepted update's handler and return its result."""
        return await self.next.handle_update_handler(input)


class Interceptor:
    """Intercepts a worker's activities and workflows; the default intercepts nothing."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap the activity inbound chain; ``next`` itself by default."""
        return next

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """The inbound interceptor class to put around each run; None for none."""
        return None


def activity_chain(interceptors: Sequence[Interceptor], last: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
    """The activity inbound chain, the first interceptor outermost."""
    link = last
    for interceptor in reversed(interceptors):
        link = interceptor.intercept_activity(link)
    return link


def workflow_chain(interceptors: Sequence[Interceptor], last: WorkflowInboundInterceptor) -> WorkflowInboundInterceptor:
    """A run's workflow inbound chain, the first interceptor's class outermost."""
    input = WorkflowInterceptorClassInput(unsafe_extern_functions={})
    link = last
    for interceptor in reversed(interceptors):
        cls = interceptor.workflow_interceptor_class(input)
        if cls is not None:
            link = cls(link)
    return link


def refuse_unsupported_activity_options(input: StartActivityInput) -> None:
    """Refuse, by name, the activity options Legato does not have yet (ignoring them would change behaviour)."""
    if input.versioning_intent is not None:
        raise NotImplementedError("workflow.start_activity(versioning_intent=...) is not supported by Legato")
    if input.priority != Priority.default:
        raise NotImplementedError("workflow.start_activity(priority=...) is not supported by Legato yet")
