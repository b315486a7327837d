"""What the workflow-task and activity-task workers share: the registry of definitions,
the poll, and sending an answer through a server restart.

A subclass says how to poll its queue (``_poll``), how to turn a task into an answer
(``handle``) and how to send that answer (``_answer``); ``process`` ties them together.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from legato import _service, _transport
from legato.api.common.v1 import Failure
from legato.api.workflowservice import v1 as api
from legato.converter import DataConverter
from legato.converter._data_converter import decode_wire, encode_wire
from legato.exceptions import RPCError
from legato.service import RetryConfig

logger = logging.getLogger(__name__)

Task = TypeVar("Task", api.WorkflowTask, api.ActivityTask)
Answer = TypeVar("Answer", bound=BaseModel)
Definition = TypeVar("Definition")

HTTP_TOO_LARGE = 413
# Types a worker was asked for and does not have are warned about once each, up to this
# many (a queue shared by many kinds of worker must not grow the set without end).
MAX_WARNED_TYPES = 1000
# How long a worker's long poll may be held open by the server.
POLL_WAIT = 30.0


def registry(items: Iterable[Definition], name_of: Callable[[Definition], str], kind: str) -> dict[str, Definition]:
    """Definitions by name; ``ValueError`` when two share a name."""
    found: dict[str, Definition] = {}
    for item in items:
        name = name_of(item)
        if name in found:
            raise ValueError(f"More than one {kind} named {name!r}")
        found[name] = item
    return found


@dataclass(frozen=True)
class WorkerContext:
    """What both task workers of one worker share."""

    # The calls to the server.
    service: _service.ServiceClient
    # The queue to poll.
    task_queue: str
    # Recorded with each task this worker handles.
    identity: str
    # Converts arguments, results and failures.
    data_converter: DataConverter


class TaskWorker(ABC, Generic[Task, Answer]):
    """Polls one kind of task on a task queue and answers each one."""

    kind: ClassVar[str]
    # How long an answer is retried while the server is unreachable.
    respond_within: ClassVar[float]

    def __init__(self, context: WorkerContext) -> None:
        self._service = context.service
        # Answers ride through a server restart for ``respond_within`` (one second apart at
        # most), whatever the client's own retry config says.
        answer_retry = RetryConfig(
            max_interval_millis=1000, max_elapsed_time_millis=int(self.respond_within * 1000), max_retries=0
        )
        self._answers = context.service.with_retry_config(answer_retry)
        self._task_queue = context.task_queue
        self._identity = context.identity
        self._converter = context.data_converter
        self._unknown_types: set[str] = set()
        worker_type = "WorkflowWorker" if self.kind == "workflow" else "ActivityWorker"
        context.service.metrics.count(
            "worker_start", namespace=context.service.namespace, task_queue=self._task_queue, worker_type=worker_type
        )

    @property
    def task_queue(self) -> str:
        """The queue this worker polls."""
        return self._task_queue

    async def poll(self) -> Task | None:
        """One long poll; None when nothing came."""
        request = api.PollRequest(task_queue=self._task_queue, identity=self._identity, wait=POLL_WAIT)
        task = await self._poll(request)
        self._service.metrics.polled(self._service.namespace, self._task_queue, task, workflow=self.kind == "workflow")
        return task

    async def process(self, task: Task) -> None:
        """Handle a task and send its answer; an answer the server no longer wants is dropped."""
        started = time.monotonic()
        handled = await self._decoded_and_handled(task)
        metrics = self._service.metrics
        metrics.handled(self._service.namespace, self._task_queue, task, handled, time.monotonic() - started)
        # Answered later by someone else (an activity completed asynchronously).
        if handled is None:
            return
        answer = await encode_wire(self._converter, handled)
        try:
            await self._deliver(task, answer)
        # Timed out, retried elsewhere or answered already: the server recorded nothing.
        except _transport.TaskNotFoundError as e:
            self._dropped(task)
            logger.info("%s task of %r was no longer current (%s); dropped", self.kind, task.workflow_id, e.message)
        except RPCError as e:
            self._dropped(task)
            logger.warning("Could not answer the %s task of %r: %s", self.kind, task.workflow_id, e.message)

    async def _decoded_and_handled(self, task: Task) -> Answer | None:
        # The codec runs here, around the task as a whole: what the worker's code sees is
        # decoded, and everything it answers is encoded, field by field, whatever the field.
        try:
            decoded = await decode_wire(self._converter, task)
        except Exception as e:
            logger.warning("Could not decode the %s task of %r: %s", self.kind, task.workflow_id, e)
            return self._undecodable(task, e)
        return await self.handle(decoded)

    async def _deliver(self, task: Task, answer: Answer) -> None:
        try:
            await self._answer(task, answer)
        # Too large for the server even to read: fail the task rather than let it time out
        # and run again (an oversized answer the server can read, it fails by itself).
        except RPCError as e:
            if e.http_status != HTTP_TOO_LARGE:
                raise
            logger.warning("The answer to the %s task of %r is too large: %s", self.kind, task.workflow_id, e.message)
            await self._answer(task, self._too_large(task, e))

    @abstractmethod
    def _undecodable(self, task: Task, error: Exception) -> Answer:
        """The answer that fails ``task`` because the payload codec could not decode it."""

    @abstractmethod
    def _too_large(self, task: Task, error: RPCError) -> Answer:
        """The answer that fails ``task`` because its own answer was too large to send."""

    @abstractmethod
    async def _poll(self, request: api.PollRequest) -> Task | None:
        """Poll the queue for this worker's kind of task."""

    @abstractmethod
    async def handle(self, task: Task) -> Answer | None:
        """The answer to ``task``; None when the worker does not answer it itself."""

    @abstractmethod
    async def _answer(self, task: Task, answer: Answer) -> None:
        """Send ``answer`` to ``task`` to the server through ``self._answers`` (which retries it)."""

    def _dropped(self, task: Task) -> None:
        """The answer to ``task`` did not reach the server (a hook for the workflow cache)."""

    def _failure(self, error: BaseException) -> Failure:
        return self._converter.failure_converter.to_failure(error, self._converter.payload_converter)

    def _registered(self, names: Iterable[str]) -> str:
        return ", ".join(sorted(names)) or "none"

    def _warn_not_registered(self, type_name: str, registered: Iterable[str]) -> None:
        """Say once per type (not per retry of its task) that this worker lacks it."""
        if type_name in self._unknown_types or len(self._unknown_types) >= MAX_WARNED_TYPES:
            return
        self._unknown_types.add(type_name)
        logger.warning(
            "This worker of task queue %r was given a %s task of type %r, which it does not have "
            "(registered: %s); its tasks fail until a worker that has it polls the queue",
            self._task_queue,
            self.kind,
            type_name,
            self._registered(registered),
        )
