"""Running workflows and activities, as ``temporalio.worker``.

A ``Worker`` long-polls one task queue for workflow tasks and activity tasks and runs
them. ``async with Worker(...)`` runs it for the block; ``await worker.run()`` runs it
until ``shutdown()``. Shutdown is graceful: polling stops, workflow tasks in flight
finish, and activities get ``graceful_shutdown_timeout`` before they are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato._runtime import guard, replay
from legato._runtime.definitions import WorkflowDefinition
from legato._runtime.instance import new_instance
from legato._worker import runner
from legato.api.history.v1 import WorkflowExecutionStarted
from legato.client import Client, WorkflowHistory
from legato.converter import DataConverter
from legato.converter._data_converter import decode_wire
from legato.worker.workflow_sandbox import SandboxedWorkflowRunner, UnsandboxedWorkflowRunner, WorkflowRunner

__all__ = [
    "Replayer",
    "UnsandboxedWorkflowRunner",
    "Worker",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowRunner",
]

logger = logging.getLogger(__name__)

# temporalio's defaults, shared: the guard's policy is built once.
_SANDBOXED = SandboxedWorkflowRunner()
_UNSANDBOXED = UnsandboxedWorkflowRunner()


class Worker:
    """Polls a task queue and runs the workflows and activities registered on it.

    Args:
        client: The client whose server, namespace and converter the worker uses.
        task_queue: The task queue to poll; ``LEGATO_TASK_QUEUE`` (set by the operator) when None.
        workflows: ``@workflow.defn`` classes.
        activities: ``@activity.defn`` functions (async, or sync for the thread pool).
        activity_executor: Runs sync activities; a thread pool of
            ``max_concurrent_activities`` threads by default.
        workflow_task_executor: Runs workflow activations off the event loop; a thread
            pool by default.
        max_concurrent_activities: Activities running at once.
        max_concurrent_workflow_tasks: Workflow tasks handled at once.
        max_cached_workflows: Runs kept in memory between their tasks (LRU).
        max_concurrent_workflow_task_polls: Open workflow-task long polls.
        max_concurrent_activity_task_polls: Open activity-task long polls.
        identity: Recorded with each task this worker handles; ``pid@host`` by default.
        graceful_shutdown_timeout: How long running activities may finish after
            ``shutdown()`` before they are cancelled (Temporal's default: none).
        workflow_failure_exception_types: Exception types that fail a run rather than
            its workflow task, for every workflow of this worker.
        workflow_runner: How workflow code runs: under the determinism guard
            (``SandboxedWorkflowRunner``, the default) or without it
            (``UnsandboxedWorkflowRunner``).
    """

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str | None = None,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        activity_executor: Executor | None = None,
        workflow_task_executor: Executor | None = None,
        max_concurrent_activities: int = 100,
        max_concurrent_workflow_tasks: int = 100,
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_task_polls: int = 5,
        max_concurrent_activity_task_polls: int = 5,
        identity: str | None = None,
        graceful_shutdown_timeout: timedelta = timedelta(),
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        workflow_runner: WorkflowRunner = _SANDBOXED,
    ) -> None:
        options = runner.Options(
            task_queue=task_queue,
            workflows=workflows,
            activities=activities,
            activity_executor=activity_executor,
            workflow_task_executor=workflow_task_executor,
            max_concurrent_activities=max_concurrent_activities,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
            max_cached_workflows=max_cached_workflows,
            max_concurrent_workflow_task_polls=max_concurrent_workflow_task_polls,
            max_concurrent_activity_task_polls=max_concurrent_activity_task_polls,
            identity=identity,
            graceful_shutdown_timeout=graceful_shutdown_timeout,
            workflow_failure_exception_types=workflow_failure_exception_types,
            guard_policy=workflow_runner._guard_policy(),
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
        defn = self._definitions.get(started.workflow_type)
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
