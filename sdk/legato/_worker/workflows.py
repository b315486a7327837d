"""Workflow tasks: find or rebuild the run's instance, activate it, answer with commands.

The instance of each run is cached (LRU). A task that continues exactly where the cached
instance stopped applies only its new events; anything else (a miss, a gap, a task after
a failed one) replays the full history from scratch. A nondeterminism or a bug in workflow
code fails the *task* and evicts the instance; the server retries the task, so the run
and its history stay intact until fixed code picks it up.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from legato._runtime import definitions, guard, queries, replay, updates
from legato._runtime.definitions import WorkflowDefinition
from legato._runtime.info import PatchActivationInput
from legato._runtime.instance import WorkflowInstance, new_instance
from legato._runtime.interceptor import Interceptor
from legato._runtime.local_activities import Outcome
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure
from legato.api.history.v1 import HistoryEvent
from legato.api.workflowservice import v1 as api
from legato.converter._data_converter import decode_wire, encode_wire
from legato.exceptions import NondeterminismError, RPCError

from .base import TaskWorker, WorkerContext, registry
from .eager import EagerActivities, without_eager
from .local_activities import LocalActivityRunner

logger = logging.getLogger(__name__)
T = TypeVar("T")

WorkflowTaskAnswer = (
    api.CompleteWorkflowTaskRequest
    | api.FailWorkflowTaskRequest
    | api.RespondQueryTaskRequest
    | api.RespondUpdateValidationRequest
)


class WorkflowWorker(TaskWorker[api.WorkflowTask, WorkflowTaskAnswer]):
    """Polls a task queue's workflow tasks and answers them."""

    kind = "workflow"
    # Past this the task has timed out on the server anyway, and is offered again.
    respond_within = 10.0

    def __init__(
        self,
        context: WorkerContext,
        *,
        workflows: Sequence[type],
        max_cached_workflows: int,
        executor: Executor | None,
        failure_exception_types: Sequence[type[BaseException]] = (),
        guard_policy: guard.Policy | None = None,
        interceptors: Sequence[Interceptor] = (),
        patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
    ) -> None:
        super().__init__(context)
        self._patch_activation = patch_activation_callback
        self._guard_policy = guard_policy
        self._interceptors = interceptors
        self._max_cached = max_cached_workflows
        self._executor = executor
        self._failure_types = tuple(failure_exception_types)
        # Runs local activities; the runner gives it the activity worker's registrations.
        self.local_activities = LocalActivityRunner(None, context.data_converter)
        found = map(WorkflowDefinition.must_from_class, workflows)
        self._definitions = registry(found, lambda d: d.name, "workflow")
        self.cache: collections.OrderedDict[str, WorkflowInstance] = collections.OrderedDict()
        # Set by the runner when this worker's activities may come back in completions.
        self.eager_activities: EagerActivities | None = None
        # One task at a time per run: a query may arrive while the run's workflow task is handled.
        self._run_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def _poll(self, request: api.PollRequest) -> api.WorkflowTask | None:
        return await self._service.poll_workflow_task(request)

    def _dropped(self, task: api.WorkflowTask) -> None:
        # The server did not take the commands: the cached instance is ahead of history.
        if task.query is None and task.update is None:
            self._evict(task.run_id)

    async def handle(self, task: api.WorkflowTask) -> WorkflowTaskAnswer | None:
        """The answer to a workflow task (its commands, or a task failure) or to a query task;
        None when the task was lost while its local activities ran."""
        # A dynamic workflow, if registered, runs every type nothing else does.
        defn = self._definitions.get(task.workflow_type) or self._definitions.get(definitions.DYNAMIC_WORKFLOW)
        if defn is None:
            self._warn_not_registered(task.workflow_type, self._definitions)
            return self._fail(task, "WORKFLOW_WORKER_UNHANDLED_FAILURE", self._not_registered(task))
        lock = self._run_locks.setdefault(task.run_id, asyncio.Lock())
        async with lock:
            if task.query is not None:
                return await self._answer_query(task, task.query, defn)
            if task.update is not None:
                return await self._validate_update(task, task.update, defn)
            return await self._handle_workflow_task(task, defn)

    async def _handle_workflow_task(
        self, task: api.WorkflowTask, defn: WorkflowDefinition
    ) -> WorkflowTaskAnswer | None:
        instance, events = await self._instance_and_events(task, defn)
        held = _Held(task)
        try:
            commands = await self._activate(instance, events)
            commands = await self._run_local_activities(held, instance, commands)
        except _TaskLost as e:
            self._evict(task.run_id)
            logger.info("Workflow task of %r was lost while its local activities ran: %s", task.workflow_id, e)
            return None
        # The guard's refusal is a bug in workflow code; Temporal reports it as one, not as a mismatch.
        except guard.RestrictedWorkflowAccessError as e:
            self._evict(task.run_id)
            logger.error("%s", e.message)
            return self._fail(held.task, "WORKFLOW_WORKER_UNHANDLED_FAILURE", self._failure(e))
        except NondeterminismError as e:
            self._evict(task.run_id)
            logger.error("%s", e.message)
            return self._fail(held.task, "NON_DETERMINISTIC_ERROR", self._failure(e))
        except Exception as e:
            self._evict(task.run_id)
            logger.exception("Workflow %r (id %r) failed its task", task.workflow_type, task.workflow_id)
            return self._fail(held.task, "WORKFLOW_WORKER_UNHANDLED_FAILURE", self._failure(e))
        self._keep(task.run_id, instance)
        return api.CompleteWorkflowTaskRequest(
            task_token=held.task.task_token, commands=commands, identity=self._identity
        )

    async def _run_local_activities(
        self, held: _Held, instance: WorkflowInstance, commands: list[cmd.Command]
    ) -> list[cmd.Command]:
        """Run the local activities the code asked for, then the code on with their results,
        until it asks for none; the task's commands, markers included. Each round's results
        reach the code together, as on replay."""
        runs: dict[int, asyncio.Future[Outcome]] = {}
        try:
            while instance.local_requests and not instance.completed:
                states = list(instance.local_requests.values())
                for state in states:
                    if state.seq not in runs:
                        runs[state.seq] = asyncio.ensure_future(self.local_activities.run(instance, state))
                commands = await self._round(held, instance, commands, runs)
                # Schedules the code cancelled without waiting were recorded already.
                resolved = [(s.seq, runs.pop(s.seq).result()) for s in states if s.seq in instance.local_requests]
                if resolved:
                    commands = await self._in_thread(instance.resolve_locals, resolved)
        finally:
            for run in runs.values():
                run.cancel()
        return commands

    async def _round(
        self,
        held: _Held,
        instance: WorkflowInstance,
        commands: list[cmd.Command],
        runs: dict[int, asyncio.Future[Outcome]],
    ) -> list[cmd.Command]:
        """Wait for the schedules the code still waits on; at 80% of the workflow task
        timeout, as Temporal's core does, complete the task with the commands so far and go
        on in the new one the server hands back (the task's "heartbeat"). The commands to
        send then."""
        share = HEARTBEAT_SHARE * instance.info().task_timeout.total_seconds()
        while not instance.completed:
            self._stop_cancelled(instance, runs)
            waited = [runs[seq] for seq in instance.local_requests if seq in runs]
            if not waited:
                break
            _, pending = await asyncio.wait(waited, timeout=share)
            if not pending:
                break
            commands = await self._heartbeat(held, instance, commands)
        return commands

    def _stop_cancelled(self, instance: WorkflowInstance, runs: dict[int, asyncio.Future[Outcome]]) -> None:
        """Stop the attempts of schedules the code cancelled (whatever their cancellation
        type, as core does); one the code no longer waits for ends unseen."""
        for state in instance.cancelled_locals():
            self.local_activities.cancel(state)
            run = runs.get(state.seq)
            if run is not None and state.seq not in instance.local_requests:
                run.add_done_callback(lambda f: f.cancelled() or f.exception())
                del runs[state.seq]

    async def _heartbeat(
        self, held: _Held, instance: WorkflowInstance, commands: list[cmd.Command]
    ) -> list[cmd.Command]:
        # No slot is reserved here: activities scheduled mid-task are polled for.
        request = api.CompleteWorkflowTaskRequest(
            task_token=held.task.task_token,
            commands=without_eager(commands),
            identity=self._identity,
            force_new_workflow_task=True,
        )
        try:
            answer = await self._answers.complete_workflow_task(await encode_wire(self._converter, request))
        except RPCError as e:
            raise _TaskLost(str(e)) from e
        if answer.workflow_task is None:
            raise _TaskLost("the run closed")
        held.task = await decode_wire(self._converter, answer.workflow_task)
        return await self._activate(instance, list(held.task.history))

    # --- queries ---

    async def _answer_query(
        self, task: api.WorkflowTask, query: api.WorkflowQuery, defn: WorkflowDefinition
    ) -> api.RespondQueryTaskRequest:
        """Answer from the cached run when it is where the server says the run is (or
        ahead: its next task's completion is on its way), else from a replay of its history
        up to its last completed workflow task."""
        try:
            instance = self.cache.get(task.run_id)
            if instance is None or instance.last_event_id + 1 < task.first_event_id:
                instance = await self._replayed(task, defn)
            payload = await self._in_thread(
                queries.answer, instance, task.task_token, query.query_type, query.args, query.header
            )
        except Exception as e:
            return api.RespondQueryTaskRequest(
                task_token=task.task_token, failure=self._failure(e), identity=self._identity
            )
        return api.RespondQueryTaskRequest(task_token=task.task_token, result=payload, identity=self._identity)

    async def _validate_update(
        self, task: api.WorkflowTask, update: api.WorkflowUpdate, defn: WorkflowDefinition
    ) -> api.RespondUpdateValidationRequest:
        """Run the update's validator on the run's state, as a query is answered."""
        try:
            instance = self.cache.get(task.run_id)
            if instance is None or instance.last_event_id + 1 < task.first_event_id:
                instance = await self._replayed(task, defn)
            rejection = await self._in_thread(updates.validate, instance, update)
        except Exception as e:
            rejection = self._failure(e)
        return api.RespondUpdateValidationRequest(
            task_token=task.task_token, rejection=rejection, identity=self._identity
        )

    async def _replayed(self, task: api.WorkflowTask, defn: WorkflowDefinition) -> WorkflowInstance:
        self._evict(task.run_id)
        instance = self._new_instance(task, defn)
        fetched = self._service.history(task.workflow_id, task.run_id)
        events = [await decode_wire(self._converter, e) async for e in fetched]
        await self._in_thread(replay_completed, instance, events)
        # Where the run's next workflow task goes on from (unless it closed).
        self._keep(task.run_id, instance)
        return instance

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        # Replaying a long history is CPU work; a thread keeps the worker's loop responsive.
        if self._executor is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    async def _instance_and_events(
        self, task: api.WorkflowTask, defn: WorkflowDefinition
    ) -> tuple[WorkflowInstance, list[HistoryEvent]]:
        instance = self.cache.get(task.run_id)
        if instance is not None and _continues(instance, task):
            return instance, list(task.history)
        # A miss or a gap: start over from the whole history.
        self._evict(task.run_id)
        return self._new_instance(task, defn), await self._full_history(task)

    def _new_instance(self, task: api.WorkflowTask, defn: WorkflowDefinition) -> WorkflowInstance:
        return new_instance(
            defn,
            namespace=self._service.namespace,
            workflow_id=task.workflow_id,
            run_id=task.run_id,
            data_converter=self._converter,
            failure_exception_types=self._failure_types,
            guard_policy=guard.policy_for(defn.cls, self._guard_policy),
            interceptors=self._interceptors,
            patch_activation=self._patch_activation,
        )

    async def _full_history(self, task: api.WorkflowTask) -> list[HistoryEvent]:
        if task.first_event_id <= 1:
            return list(task.history)
        fetched = self._service.history(task.workflow_id, task.run_id)
        earlier = [e async for e in fetched if e.event_id < task.first_event_id]
        # The task itself was decoded on arrival; the earlier events come raw from the server.
        return [await decode_wire(self._converter, e) for e in earlier] + list(task.history)

    async def _activate(self, instance: WorkflowInstance, events: list[HistoryEvent]) -> list[cmd.Command]:
        # Replaying a long history is CPU work; a thread keeps the worker's loop responsive.
        if self._executor is None:
            return activate(instance, events)
        return await asyncio.get_running_loop().run_in_executor(self._executor, activate, instance, events)

    def _keep(self, run_id: str, instance: WorkflowInstance) -> None:
        if instance.completed:
            self._evict(run_id)
            return
        self.cache[run_id] = instance
        self.cache.move_to_end(run_id)
        while len(self.cache) > self._max_cached:
            self.cache.popitem(last=False)

    def _evict(self, run_id: str) -> None:
        self.cache.pop(run_id, None)

    def holds(self, run_id: str) -> bool:
        """Whether the run's instance is in the cache (its next task applies only new events)."""
        return run_id in self.cache

    def _not_registered(self, task: api.WorkflowTask) -> Failure:
        return Failure(
            message=f"Workflow class {task.workflow_type} is not registered on this worker "
            f"(task queue {self._task_queue!r}), available workflows: {self._registered(self._definitions)}",
            type="NotFoundError",
        )

    def _undecodable(self, task: api.WorkflowTask, error: Exception) -> WorkflowTaskAnswer:
        # Failed, not timed out: the server retries the task (a codec fixed by then decodes it).
        return self._fail(task, "WORKFLOW_WORKER_UNHANDLED_FAILURE", self._failure(error))

    def _too_large(self, task: api.WorkflowTask, error: RPCError) -> WorkflowTaskAnswer:
        failure = Failure(message=f"Workflow task completion too large for the server: {error.message}")
        return self._fail(task, "WORKFLOW_WORKER_UNHANDLED_FAILURE", failure)

    def _fail(self, task: api.WorkflowTask, cause: str, failure: Failure) -> WorkflowTaskAnswer:
        # A query fails alone: its run's workflow task is not touched.
        if task.query is not None:
            return api.RespondQueryTaskRequest(task_token=task.task_token, failure=failure, identity=self._identity)
        if task.update is not None:
            return api.RespondUpdateValidationRequest(
                task_token=task.task_token, rejection=failure, identity=self._identity
            )
        return api.FailWorkflowTaskRequest(
            task_token=task.task_token, cause=cause, failure=failure, identity=self._identity
        )

    async def _answer(self, task: api.WorkflowTask, answer: WorkflowTaskAnswer) -> None:
        if isinstance(answer, api.RespondQueryTaskRequest):
            await self._answers.respond_query_task(answer)
        elif isinstance(answer, api.RespondUpdateValidationRequest):
            await self._answers.respond_update_validation(answer)
        elif isinstance(answer, api.CompleteWorkflowTaskRequest):
            await self._complete(answer)
        else:
            await self._answers.fail_workflow_task(answer)

    async def _complete(self, request: api.CompleteWorkflowTaskRequest) -> None:
        """Send the commands, with slots reserved for the activities asked to run eagerly."""
        eager = self.eager_activities
        if eager is None:
            commands, reserved = without_eager(request.commands), 0
        else:
            commands, reserved = eager.reserve(request.commands)
        try:
            answer = await self._answers.complete_workflow_task(request.model_copy(update={"commands": commands}))
        except BaseException:
            if eager is not None:
                eager.deliver([], reserved)
            raise
        if eager is not None:
            eager.deliver(answer.activity_tasks, reserved)


# Temporal's core heartbeats a workflow task whose local activities run at 80% of its timeout.
HEARTBEAT_SHARE = 0.8


@dataclass
class _Held:
    """The workflow task a worker holds for a run; a heartbeat swaps it for the next one."""

    task: api.WorkflowTask


class _TaskLost(Exception):
    """The workflow task was taken away while local activities ran (timed out, run closed)."""


def _continues(instance: WorkflowInstance, task: api.WorkflowTask) -> bool:
    """Whether the task starts right after what the instance applied, with its own completion."""
    first = task.history[0] if task.history else None
    return (
        task.first_event_id == instance.last_event_id + 1
        and first is not None
        and first.event_id == task.first_event_id
        and first.attributes.type == "WorkflowTaskCompleted"
    )


def activate(instance: WorkflowInstance, events: Sequence[HistoryEvent]) -> list[cmd.Command]:
    """Apply events to an instance; the last activation is live, the earlier ones replay."""
    activations = replay.split(events)
    commands: list[cmd.Command] = []
    for i, activation in enumerate(activations):
        commands = instance.activate(activation, replaying=i < len(activations) - 1)
    return commands


def replay_completed(instance: WorkflowInstance, events: Sequence[HistoryEvent]) -> None:
    """Replay the history up to its last completed workflow task: the state a query sees.

    Events after that task's ``WorkflowTaskStarted`` (a task in flight, results not yet
    given to the code) are left for the run's next workflow task, as Temporal does.
    """
    completed = [i for i, e in enumerate(events) if e.attributes.type == "WorkflowTaskCompleted"]
    if not completed:
        return
    for activation in replay.split(events[: completed[-1]]):
        instance.activate(activation, replaying=True)
