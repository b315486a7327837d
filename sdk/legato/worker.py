"""Running workflows and activities, as ``temporalio.worker``.

A ``Worker`` long-polls one task queue for workflow tasks and activity tasks and runs
them. ``async with Worker(...)`` runs it for the block; ``await worker.run()`` runs it
until ``shutdown()``. Shutdown is graceful: polling stops, workflow tasks in flight
finish, and activities get ``graceful_shutdown_timeout`` before they are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato._runtime import replay
from legato._runtime.definitions import ActivityDefinition, WorkflowDefinition
from legato._runtime.instance import new_instance
from legato._worker.activities import ActivityWorker
from legato._worker.polling import Poller
from legato._worker.workflows import WorkflowWorker
from legato.api.history import WorkflowExecutionStarted
from legato.client import Client, WorkflowHistory
from legato.converter import DataConverter

__all__ = ["Replayer", "Worker", "WorkflowReplayResult"]

logger = logging.getLogger(__name__)


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
    ) -> None:
        if not workflows and not activities:
            raise ValueError("At least one workflow or activity must be specified")
        self._client = client
        task_queue = task_queue or os.environ.get("LEGATO_TASK_QUEUE")
        if not task_queue:
            raise ValueError("Worker needs task_queue= (or LEGATO_TASK_QUEUE in the environment)")
        self._task_queue = task_queue
        self._identity = identity or f"{os.getpid()}@{socket.gethostname()}"
        self._grace = graceful_shutdown_timeout.total_seconds()
        self._own_executors: list[ThreadPoolExecutor] = []
        transport = client._transport
        self._workflows = (
            WorkflowWorker(
                transport,
                task_queue=task_queue,
                workflows=workflows,
                identity=self._identity,
                data_converter=client.data_converter,
                max_cached_workflows=max_cached_workflows,
                executor=workflow_task_executor or self._own(max_concurrent_workflow_tasks, "legato-workflow"),
                failure_exception_types=workflow_failure_exception_types,
            )
            if workflows
            else None
        )
        needs_threads = any(not ActivityDefinition.must_from_callable(fn).is_async for fn in activities)
        if needs_threads and activity_executor is None:
            activity_executor = self._own(max_concurrent_activities, "legato-activity")
        self._activities = (
            ActivityWorker(
                transport,
                task_queue=task_queue,
                activities=activities,
                identity=self._identity,
                data_converter=client.data_converter,
                executor=activity_executor,
            )
            if activities
            else None
        )
        if self._workflows is not None:
            self._workflow_poller: Poller[Any] | None = Poller(
                name=f"workflow task queue {task_queue!r}",
                poll=self._workflows.poll,
                handle=self._workflows.process,
                slots=max_concurrent_workflow_tasks,
                pollers=max_concurrent_workflow_task_polls,
            )
        else:
            self._workflow_poller = None
        if self._activities is not None:
            self._activity_poller: Poller[Any] | None = Poller(
                name=f"activity task queue {task_queue!r}",
                poll=self._activities.poll,
                handle=self._activities.process,
                slots=max_concurrent_activities,
                pollers=max_concurrent_activity_task_polls,
            )
        else:
            self._activity_poller = None
        self._started = False
        self._stop = asyncio.Event()
        self._done = asyncio.Event()
        self._run_task: asyncio.Task[None] | None = None

    def _own(self, workers: int, prefix: str) -> ThreadPoolExecutor:
        executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=prefix)
        self._own_executors.append(executor)
        return executor

    @property
    def client(self) -> Client:
        """The worker's client."""
        return self._client

    @property
    def task_queue(self) -> str:
        """The task queue the worker polls."""
        return self._task_queue

    @property
    def is_running(self) -> bool:
        """Whether the worker is polling."""
        return self._started and not self._done.is_set()

    @property
    def is_shutdown(self) -> bool:
        """Whether the worker has shut down."""
        return self._done.is_set()

    async def run(self) -> None:
        """Poll and run tasks until ``shutdown()``; then shut down gracefully.

        Raises:
            RuntimeError: The worker already ran.
        """
        if self._started:
            raise RuntimeError("Worker already started")
        self._started = True
        pollers = [p for p in (self._workflow_poller, self._activity_poller) if p is not None]
        for poller in pollers:
            poller.start()
        logger.info("Worker %s polling task queue %r", self._identity, self._task_queue)
        try:
            await self._stop.wait()
        finally:
            await self._finish(pollers)

    async def _finish(self, pollers: list[Poller[Any]]) -> None:
        for poller in pollers:
            await poller.stop_polling()
        if self._workflow_poller is not None:
            await self._workflow_poller.wait_running()
        if self._activity_poller is not None and self._activities is not None:
            await self._drain_activities(self._activity_poller, self._activities)
        for executor in self._own_executors:
            executor.shutdown(wait=False, cancel_futures=True)
        self._done.set()
        logger.info("Worker %s shut down", self._identity)

    async def _drain_activities(self, poller: Poller[Any], activities: ActivityWorker) -> None:
        running = list(poller.running)
        if running and self._grace > 0:
            await asyncio.wait(running, timeout=self._grace)
        # Past the grace period: cancel, and report them failed so the server retries them.
        activities.shutting_down = True
        activities.cancel_all()
        await poller.wait_running()

    async def shutdown(self) -> None:
        """Stop polling, let running work finish (see graceful_shutdown_timeout), and wait."""
        self._stop.set()
        if not self._started:
            self._done.set()
        await self._done.wait()
        if self._run_task is not None:
            await asyncio.gather(self._run_task, return_exceptions=True)

    async def __aenter__(self) -> Worker:
        self._run_task = asyncio.create_task(self.run(), name=f"worker {self._task_queue}")
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


class Replayer:
    """Replays recorded histories against workflow code, as ``temporalio.worker.Replayer``.

    Used for golden-history tests: a change to a workflow that would break its running
    runs raises ``NondeterminismError`` here instead of in production.
    """

    def __init__(
        self,
        *,
        workflows: Sequence[type],
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
    ) -> None:
        self._definitions = {d.name: d for d in map(WorkflowDefinition.must_from_class, workflows)}
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
            self._replay(history)
        except Exception as e:
            if raise_on_replay_failure:
                raise
            return WorkflowReplayResult(history, e)
        return WorkflowReplayResult(history, None)

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
        )
        for activation in replay.split(history.events):
            instance.activate(activation, replaying=True)
