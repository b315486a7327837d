"""Running workflows and activities, as ``temporalio.worker``.

A ``Worker`` long-polls one task queue for workflow tasks and activity tasks and runs
them. ``async with Worker(...)`` runs it for the block; ``await worker.run()`` runs it
until ``shutdown()``. Shutdown is graceful: polling stops, workflow tasks in flight
finish, and activities get ``graceful_shutdown_timeout`` before they are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato._runtime import definitions, guard, replay
from legato._runtime.definitions import WorkflowDefinition
from legato._runtime.info import PatchActivationInput
from legato._runtime.instance import new_instance
from legato._runtime.interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from legato._worker import runner
from legato.api.history.v1 import WorkflowExecutionStarted
from legato.client import Client, WorkflowHistory
from legato.converter import DataConverter
from legato.converter._data_converter import decode_wire
from legato.worker.workflow_sandbox import SandboxedWorkflowRunner, UnsandboxedWorkflowRunner, WorkflowRunner

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ContinueAsNewInput",
    "ExecuteActivityInput",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "Interceptor",
    "PatchActivationInput",
    "PollerBehavior",
    "PollerBehaviorAutoscaling",
    "PollerBehaviorSimpleMaximum",
    "Replayer",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "UnsandboxedWorkflowRunner",
    "Worker",
    "WorkflowInboundInterceptor",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowRunner",
]

logger = logging.getLogger(__name__)

# temporalio's defaults, shared: the guard's policy is built once.
_SANDBOXED = SandboxedWorkflowRunner()
_UNSANDBOXED = UnsandboxedWorkflowRunner()


@dataclass(frozen=True)
class PollerBehaviorSimpleMaximum:
    """Keep up to ``maximum`` long polls open (Temporal's default poller behaviour)."""

    maximum: int = 5
    """Long polls open at once."""


@dataclass(frozen=True)
class PollerBehaviorAutoscaling:
    """Temporal's autoscaling pollers; Legato keeps ``maximum`` polls open instead of scaling."""

    minimum: int = 1
    """Fewest polls."""
    maximum: int = 100
    """Most polls; the number Legato keeps open."""
    initial: int = 5
    """Polls to start with."""


PollerBehavior = PollerBehaviorSimpleMaximum | PollerBehaviorAutoscaling
"""How a worker polls a task queue."""

# Temporal's defaults for the limits it leaves to its tuner when they are None.
_DEFAULT_SLOTS = 100


class Worker:
    """Polls a task queue and runs the workflows and activities registered on it.

    Accepts every parameter of ``temporalio.worker.Worker``, in its order. Those marked
    *unused* below change nothing a workflow can observe and are ignored; those marked
    *not supported* raise NotImplementedError when given a value other than the default,
    since ignoring them would change what the worker does.

    Args:
        client: The client whose server, namespace and converter the worker uses.
        task_queue: The task queue to poll; ``LEGATO_TASK_QUEUE`` (set by the operator) when None.
        activities: ``@activity.defn`` functions (async, or sync for the thread pool).
        nexus_service_handlers: Not supported (Legato has no Nexus).
        workflows: ``@workflow.defn`` classes.
        activity_executor: Runs sync activities; a thread pool of
            ``max_concurrent_activities`` threads by default.
        workflow_task_executor: Runs workflow activations off the event loop; a thread
            pool by default.
        nexus_task_executor: Unused (no Nexus).
        workflow_runner: How workflow code runs: under the determinism guard
            (``SandboxedWorkflowRunner``, the default) or without it
            (``UnsandboxedWorkflowRunner``).
        unsandboxed_workflow_runner: The runner for workflows defined with
            ``@workflow.defn(sandboxed=False)``; they run unguarded whatever it is.
        plugins: Not supported (no plugins yet).
        interceptors: Worker interceptors, first outermost, after those of the client
            that are also worker interceptors (as Temporal orders them).
        build_id: Unused (no worker versioning).
        identity: Recorded with each task this worker handles; the client's by default.
        max_cached_workflows: Runs kept in memory between their tasks (LRU).
        max_concurrent_workflow_tasks: Workflow tasks handled at once; 100 when None.
        max_concurrent_activities: Activities running at once; 100 when None.
        max_concurrent_local_activities: Unused (no local activities).
        max_concurrent_nexus_tasks: Unused (no Nexus).
        tuner: Not supported (slot tuners).
        max_concurrent_workflow_task_polls: Open workflow-task long polls; from
            ``workflow_task_poller_behavior`` when None.
        nonsticky_to_sticky_poll_ratio: Unused (no sticky queues: the worker's cache is
            kept without them).
        max_concurrent_activity_task_polls: Open activity-task long polls; from
            ``activity_task_poller_behavior`` when None.
        no_remote_activities: Do not poll for activity tasks.
        sticky_queue_schedule_to_start_timeout: Unused (no sticky queues).
        max_heartbeat_throttle_interval: Longest time between heartbeats sent to the server.
        default_heartbeat_throttle_interval: Time between heartbeats sent to the server
            for activities without a heartbeat timeout.
        max_activities_per_second: Not supported (rate limits).
        max_task_queue_activities_per_second: Not supported (rate limits).
        max_eager_activity_reservations_per_workflow_task: At most this many of the
            activities one workflow task schedules on this worker's queue come back
            started in the completion's answer, each in a free activity slot, instead of
            being polled for.
        graceful_shutdown_timeout: How long running activities may finish after
            ``shutdown()`` before they are cancelled (Temporal's default: none).
        plugin_shutdown_timeout: Unused (no plugins).
        workflow_failure_exception_types: Exception types that fail a run rather than
            its workflow task, for every workflow of this worker.
        shared_state_manager: Unused (for Temporal's multi-process activities).
        debug_mode: Unused (Legato has no deadlock timer to turn off).
        disable_eager_activity_execution: Poll for every activity instead (eager
            execution needs the activity registered here and a free slot).
        on_fatal_error: Unused: a Legato worker has no fatal errors of its own; its
            ``run()`` raises what stops it.
        use_worker_versioning: Not supported (worker versioning).
        disable_safe_workflow_eviction: Unused.
        deployment_config: Not supported (worker deployments).
        patch_activation_callback: Asked, with a ``PatchActivationInput``, whether a
            ``workflow.patched`` id met for the first time (not replaying) activates; False
            leaves the old branch and records no marker.
        workflow_task_poller_behavior: How many workflow-task polls to keep open.
        activity_task_poller_behavior: How many activity-task polls to keep open.
        nexus_task_poller_behavior: Unused (no Nexus).
        disable_payload_error_limit: Unused (the server enforces its limits).
        max_workflow_task_external_storage_concurrency: Unused (no external payload storage).

    Raises:
        NotImplementedError: A *not supported* parameter was given.
        ValueError: No workflows and no activities, or no task queue.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str | None = None,
        activities: Sequence[Callable[..., Any]] = [],  # Temporal's default; never mutated
        nexus_service_handlers: Sequence[Any] = [],  # Temporal's default; never mutated
        workflows: Sequence[type] = [],  # Temporal's default; never mutated
        activity_executor: Executor | None = None,
        workflow_task_executor: Executor | None = None,
        nexus_task_executor: Executor | None = None,
        workflow_runner: WorkflowRunner = _SANDBOXED,
        unsandboxed_workflow_runner: WorkflowRunner = _UNSANDBOXED,
        plugins: Sequence[Any] = [],  # Temporal's default; never mutated
        interceptors: Sequence[Interceptor] = [],  # Temporal's default; never mutated
        build_id: str | None = None,
        identity: str | None = None,
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: int | None = None,
        max_concurrent_activities: int | None = None,
        max_concurrent_local_activities: int | None = None,
        max_concurrent_nexus_tasks: int | None = None,
        tuner: Any = None,
        max_concurrent_workflow_task_polls: int | None = None,
        nonsticky_to_sticky_poll_ratio: float = 0.2,
        max_concurrent_activity_task_polls: int | None = None,
        no_remote_activities: bool = False,
        sticky_queue_schedule_to_start_timeout: timedelta = timedelta(seconds=10),
        max_heartbeat_throttle_interval: timedelta = timedelta(seconds=60),
        default_heartbeat_throttle_interval: timedelta = timedelta(seconds=30),
        max_activities_per_second: float | None = None,
        max_task_queue_activities_per_second: float | None = None,
        max_eager_activity_reservations_per_workflow_task: int = 3,
        graceful_shutdown_timeout: timedelta = timedelta(),
        plugin_shutdown_timeout: timedelta | None = timedelta(seconds=60),
        workflow_failure_exception_types: Sequence[type[BaseException]] = [],  # never mutated
        shared_state_manager: Any = None,
        debug_mode: bool = False,
        disable_eager_activity_execution: bool = False,
        on_fatal_error: Callable[[BaseException], Awaitable[None]] | None = None,
        use_worker_versioning: bool = False,
        disable_safe_workflow_eviction: bool = False,
        deployment_config: Any = None,
        patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
        workflow_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # frozen
        activity_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # frozen
        nexus_task_poller_behavior: PollerBehavior = PollerBehaviorSimpleMaximum(maximum=5),  # frozen
        disable_payload_error_limit: bool = False,
        max_workflow_task_external_storage_concurrency: int = 3,
    ) -> None:
        _refuse_unsupported(
            nexus_service_handlers=bool(nexus_service_handlers),
            plugins=bool(plugins),
            tuner=tuner is not None,
            max_activities_per_second=max_activities_per_second is not None,
            max_task_queue_activities_per_second=max_task_queue_activities_per_second is not None,
            use_worker_versioning=use_worker_versioning,
            deployment_config=deployment_config is not None,
        )
        self.workflow_runner = workflow_runner
        self.unsandboxed_workflow_runner = unsandboxed_workflow_runner
        options = runner.Options(
            task_queue=task_queue,
            workflows=workflows,
            activities=() if no_remote_activities else activities,
            activity_executor=activity_executor,
            workflow_task_executor=workflow_task_executor,
            max_concurrent_activities=max_concurrent_activities or _DEFAULT_SLOTS,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks or _DEFAULT_SLOTS,
            max_cached_workflows=max_cached_workflows,
            max_concurrent_workflow_task_polls=max_concurrent_workflow_task_polls
            or workflow_task_poller_behavior.maximum,
            max_concurrent_activity_task_polls=max_concurrent_activity_task_polls
            or activity_task_poller_behavior.maximum,
            identity=identity or client.identity,
            graceful_shutdown_timeout=graceful_shutdown_timeout,
            workflow_failure_exception_types=workflow_failure_exception_types,
            interceptors=_worker_interceptors(client, interceptors),
            max_heartbeat_throttle_interval=max_heartbeat_throttle_interval.total_seconds(),
            default_heartbeat_throttle_interval=default_heartbeat_throttle_interval.total_seconds(),
            guard_policy=workflow_runner._guard_policy(),
            client=client,
            patch_activation_callback=patch_activation_callback,
            max_eager_activity_reservations_per_workflow_task=max_eager_activity_reservations_per_workflow_task,
            disable_eager_activity_execution=disable_eager_activity_execution,
        )
        self._client = client
        self._runner = runner.Runner(client.service_client, client.data_converter, options)

    @property
    def client(self) -> Client:
        """The worker's client."""
        return self._client

    @property
    def task_queue(self) -> str:
        """The task queue the worker polls."""
        return self._runner.task_queue

    @property
    def is_running(self) -> bool:
        """Whether the worker is polling."""
        return self._runner.is_running

    @property
    def is_shutdown(self) -> bool:
        """Whether the worker has shut down."""
        return self._runner.is_shutdown

    async def run(self) -> None:
        """Poll and run tasks until ``shutdown()``; then shut down gracefully.

        Raises:
            RuntimeError: The worker already ran.
        """
        await self._runner.run()

    async def shutdown(self) -> None:
        """Stop polling, let running work finish (see graceful_shutdown_timeout), and wait."""
        await self._runner.shutdown()

    async def __aenter__(self) -> Worker:
        self._runner.run_in_background()
        # Let run() start its pollers before the block starts work.
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()


def _refuse_unsupported(**given: bool) -> None:
    for name, is_given in given.items():
        if is_given:
            raise NotImplementedError(f"Worker({name}=...) is not supported by Legato yet")


def _worker_interceptors(client: Client, interceptors: Sequence[Interceptor]) -> list[Interceptor]:
    """The client's interceptors that are worker interceptors too, then the worker's own."""
    from_client = [i for i in client.config().get("interceptors", []) if isinstance(i, Interceptor)]
    return [*from_client, *interceptors]


@dataclass(frozen=True)
class WorkflowReplayResult:
    """The outcome of replaying one history."""

    history: WorkflowHistory
    replay_failure: Exception | None


@dataclass(frozen=True)
class WorkflowReplayResults:
    """The outcome of replaying several histories."""

    # Keyed by the history's workflow id (Temporal keys by run id, which Legato's histories do not carry).
    replay_failures: Mapping[str, Exception]


class Replayer:
    """Replays recorded histories against workflow code, as ``temporalio.worker.Replayer``.

    Used for golden-history tests: a change to a workflow that would break its running
    runs raises ``NondeterminismError`` here instead of in production. Histories exported
    by Temporal replay too (``WorkflowHistory.from_json``).

    Args:
        workflows: The ``@workflow.defn`` classes the histories run.
        workflow_runner: Runs them under the determinism guard by default, as a worker does.
        unsandboxed_workflow_runner: Runs ``@workflow.defn(sandboxed=False)`` classes.
        namespace: The namespace ``workflow.info()`` reports.
        data_converter: Decodes the histories' payloads.
    """

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        workflow_runner: WorkflowRunner = _SANDBOXED,
        unsandboxed_workflow_runner: WorkflowRunner = _UNSANDBOXED,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
    ) -> None:
        self._definitions = {d.name: d for d in map(WorkflowDefinition.must_from_class, workflows)}
        self._guard_policy = workflow_runner._guard_policy()
        # Serves @workflow.defn(sandboxed=False) classes, as in temporalio.
        self._unsandboxed_policy = unsandboxed_workflow_runner._guard_policy()
        self._namespace = namespace
        self._converter = data_converter

    async def replay_workflow(
        self, history: WorkflowHistory, *, raise_on_replay_failure: bool = True
    ) -> WorkflowReplayResult:
        """Replay one history.

        Raises:
            NondeterminismError: The code decides differently from the history.
            Exception: The code fails its workflow task (when raise_on_replay_failure).
        """
        try:
            # Histories are stored encoded: the codec decodes them first, as a worker's does.
            events = [await decode_wire(self._converter, e) for e in history.events]
            self._replay(WorkflowHistory(history.workflow_id, events))
        except Exception as e:
            if raise_on_replay_failure:
                raise
            return WorkflowReplayResult(history, e)
        return WorkflowReplayResult(history, None)

    async def replay_workflows(
        self,
        histories: AsyncIterable[WorkflowHistory] | Iterable[WorkflowHistory],
        *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResults:
        """Replay several histories (an async iterator, as Temporal's, or a plain iterable).

        Raises:
            Exception: The first replay failure (when raise_on_replay_failure).
        """
        failures: dict[str, Exception] = {}
        async for history in _aiter(histories):
            result = await self.replay_workflow(history, raise_on_replay_failure=raise_on_replay_failure)
            if result.replay_failure is not None:
                failures[history.workflow_id] = result.replay_failure
        return WorkflowReplayResults(failures)

    def _replay(self, history: WorkflowHistory) -> None:
        started = history.events[0].attributes if history.events else None
        if not isinstance(started, WorkflowExecutionStarted):
            raise ValueError("A history must begin with WorkflowExecutionStarted")
        defn = self._definitions.get(started.workflow_type) or self._definitions.get(definitions.DYNAMIC_WORKFLOW)
        if defn is None:
            raise ValueError(f"Workflow type {started.workflow_type!r} is not registered on this replayer")
        instance = new_instance(
            defn,
            namespace=self._namespace,
            workflow_id=history.workflow_id,
            run_id="replay",
            data_converter=self._converter,
            guard_policy=guard.policy_for(defn.cls, self._guard_policy) or self._unsandboxed_policy,
        )
        for activation in replay.split(history.events):
            instance.activate(activation, replaying=True)


async def _aiter(
    histories: AsyncIterable[WorkflowHistory] | Iterable[WorkflowHistory],
) -> AsyncIterator[WorkflowHistory]:
    if isinstance(histories, AsyncIterable):
        async for history in histories:
            yield history
    else:
        for history in histories:
            yield history
