"""One worker's life: its task workers, pollers and thread pools, from start to graceful stop.

``legato.worker.Worker`` is the public face; this is what it runs. Shutdown is in three
steps: polling stops (an open long poll is abandoned; the server keeps its task), the
workflow tasks in flight finish, and running activities get the grace period before they
are cancelled and reported failed so that the server retries them elsewhere.
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

from legato import _service
from legato._runtime import guard
from legato._runtime.definitions import ActivityDefinition
from legato._runtime.info import PatchActivationInput
from legato.converter import DataConverter

from .activities import ActivityWorker
from .base import TaskWorker, WorkerContext
from .eager import EagerActivities, EagerWorkflowTasks
from .local_activities import LocalActivityRunner
from .polling import Poller
from .workflows import WorkflowWorker

logger = logging.getLogger(__name__)

TASK_QUEUE_ENV = "LEGATO_TASK_QUEUE"


@dataclass(frozen=True)
class Options:
    """A worker's options, as ``legato.worker.Worker`` takes them (documented there)."""

    task_queue: str | None = None
    workflows: Sequence[type] = ()
    activities: Sequence[Callable[..., Any]] = ()
    activity_executor: Executor | None = None
    workflow_task_executor: Executor | None = None
    max_concurrent_activities: int = 100
    max_concurrent_workflow_tasks: int = 100
    max_cached_workflows: int = 1000
    max_concurrent_workflow_task_polls: int = 5
    max_concurrent_activity_task_polls: int = 5
    identity: str | None = None
    graceful_shutdown_timeout: timedelta = timedelta()
    workflow_failure_exception_types: Sequence[type[BaseException]] = ()
    # The determinism guard of workflow activations; None runs them unguarded.
    guard_policy: guard.Policy | None = None
    # legato.worker.Interceptor instances, first outermost.
    interceptors: Sequence[Any] = ()
    max_heartbeat_throttle_interval: float = 60.0
    default_heartbeat_throttle_interval: float = 30.0
    # The legato.client.Client that async activities get from activity.client().
    client: Any = None
    # Asked whether a patch met for the first time activates (temporalio's, experimental).
    patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None
    max_eager_activity_reservations_per_workflow_task: int = 3
    disable_eager_activity_execution: bool = False


class Runner:
    """Builds a worker's parts from its options and runs them until shut down."""

    def __init__(self, service: _service.ServiceClient, converter: DataConverter, options: Options) -> None:
        if not options.workflows and not options.activities:
            raise ValueError("At least one workflow or activity must be specified")
        task_queue = options.task_queue or os.environ.get(TASK_QUEUE_ENV)
        if not task_queue:
            raise ValueError(f"Worker needs task_queue= (or {TASK_QUEUE_ENV} in the environment)")
        self.task_queue = task_queue
        self.identity = options.identity or f"{os.getpid()}@{socket.gethostname()}"
        self._grace = options.graceful_shutdown_timeout.total_seconds()
        self._own_executors: list[ThreadPoolExecutor] = []
        context = WorkerContext(service, self.task_queue, self.identity, converter)
        self._workflows = self._workflow_worker(context, options)
        self._activities = self._activity_worker(context, options)
        # Local activities run with this worker's activities, on the workflow worker's side.
        if self._workflows is not None:
            self._workflows.local_activities = LocalActivityRunner(self._activities, context.data_converter)
        self._pollers = self._make_pollers(options)
        self._eager = self._connect_eager(options)
        self._started = False
        self._stop = asyncio.Event()
        self._done = asyncio.Event()
        self._background: asyncio.Task[None] | None = None

    def _workflow_worker(self, context: WorkerContext, options: Options) -> WorkflowWorker | None:
        if not options.workflows:
            return None
        executor = options.workflow_task_executor or self._own(options.max_concurrent_workflow_tasks, "legato-workflow")
        return WorkflowWorker(
            context,
            workflows=options.workflows,
            max_cached_workflows=options.max_cached_workflows,
            executor=executor,
            failure_exception_types=options.workflow_failure_exception_types,
            guard_policy=options.guard_policy,
            interceptors=options.interceptors,
            patch_activation_callback=options.patch_activation_callback,
        )

    def _activity_worker(self, context: WorkerContext, options: Options) -> ActivityWorker | None:
        if not options.activities:
            return None
        executor = options.activity_executor
        needs_threads = any(not ActivityDefinition.must_from_callable(fn).is_async for fn in options.activities)
        if needs_threads and executor is None:
            executor = self._own(options.max_concurrent_activities, "legato-activity")
        return ActivityWorker(
            context,
            activities=options.activities,
            executor=executor,
            interceptors=options.interceptors,
            throttle=(options.max_heartbeat_throttle_interval, options.default_heartbeat_throttle_interval),
            client=options.client,
        )

    def _make_pollers(self, options: Options) -> tuple[Poller[Any] | None, Poller[Any] | None]:
        workflows, activities = self._workflows, self._activities
        return (
            None
            if workflows is None
            else _poller(workflows, options.max_concurrent_workflow_tasks, options.max_concurrent_workflow_task_polls),
            None
            if activities is None
            else _poller(activities, options.max_concurrent_activities, options.max_concurrent_activity_task_polls),
        )

    def _connect_eager(self, options: Options) -> list[EagerActivities | EagerWorkflowTasks]:
        """Let each task worker take tasks that come back in the other's answers."""
        (workflow_poller, activity_poller), workflows, activities = self._pollers, self._workflows, self._activities
        if workflow_poller is None or activity_poller is None or workflows is None or activities is None:
            return []
        activities.eager_workflow_tasks = EagerWorkflowTasks(workflow_poller, workflows.holds)
        bridges: list[EagerActivities | EagerWorkflowTasks] = [activities.eager_workflow_tasks]
        if not options.disable_eager_activity_execution:
            limit = options.max_eager_activity_reservations_per_workflow_task
            runs = activities.definition
            workflows.eager_activities = EagerActivities(
                activity_poller, self.task_queue, lambda name: runs(name) is not None, limit
            )
            bridges.append(workflows.eager_activities)
        return bridges

    def _own(self, workers: int, prefix: str) -> ThreadPoolExecutor:
        executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=prefix)
        self._own_executors.append(executor)
        return executor

    @property
    def is_running(self) -> bool:
        """Whether the worker is polling."""
        return self._started and not self._done.is_set()

    @property
    def is_shutdown(self) -> bool:
        """Whether the worker has shut down."""
        return self._done.is_set()

    async def run(self) -> None:
        """Poll and run tasks until ``shutdown()``; then shut down gracefully."""
        if self._started:
            raise RuntimeError("Worker already started")
        self._started = True
        for poller in self._active_pollers():
            poller.start()
        logger.info("Worker %s polling task queue %r", self.identity, self.task_queue)
        try:
            await self._stop.wait()
        finally:
            await self._finish()

    def run_in_background(self) -> None:
        """Start ``run()`` as a task (for ``async with``); ``shutdown()`` waits for it."""
        self._background = asyncio.create_task(self.run(), name=f"worker {self.task_queue}")

    async def shutdown(self) -> None:
        """Stop polling, let running work finish (within the grace period), and wait."""
        self._stop.set()
        if not self._started:
            self._done.set()
        await self._done.wait()
        if self._background is not None:
            await asyncio.gather(self._background, return_exceptions=True)

    def _active_pollers(self) -> list[Poller[Any]]:
        return [p for p in self._pollers if p is not None]

    async def _finish(self) -> None:
        # Tasks in flight are waited for below: no answer may bring in new ones.
        for bridge in self._eager:
            bridge.stopped = True
        for poller in self._active_pollers():
            await poller.stop_polling()
        workflow_poller, activity_poller = self._pollers
        if workflow_poller is not None:
            await workflow_poller.wait_running()
        if activity_poller is not None and self._activities is not None:
            await self._drain_activities(activity_poller, self._activities)
        for executor in self._own_executors:
            executor.shutdown(wait=False, cancel_futures=True)
        self._done.set()
        logger.info("Worker %s shut down", self.identity)

    async def _drain_activities(self, poller: Poller[Any], activities: ActivityWorker) -> None:
        # Running activities learn of the shutdown at once (activity.is_worker_shutdown()).
        activities.announce_shutdown()
        running = list(poller.running)
        if running and self._grace > 0:
            await asyncio.wait(running, timeout=self._grace)
        # Past the grace period: cancel, and report them failed so the server retries them.
        activities.shutting_down = True
        activities.cancel_all()
        await poller.wait_running()


def _poller(worker: TaskWorker[Any, Any], slots: int, pollers: int) -> Poller[Any]:
    return Poller(
        name=f"{worker.kind} task queue {worker.task_queue!r}",
        poll=worker.poll,
        handle=worker.process,
        slots=slots,
        pollers=pollers,
    )
