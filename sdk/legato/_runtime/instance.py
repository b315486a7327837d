"""One workflow run as an event loop: history in, commands out.

``activate`` takes one ``replay.Activation``: it first matches the command events that
open it against the commands the previous activation produced (a mismatch raises
``NondeterminismError``), then sets the workflow's time to the activation's
``WorkflowTaskStarted``, feeds the jobs to the code (start, signals, then results, fired
timers and cancellation), runs the loop until nothing is ready and returns the commands.

A signal for a name with no handler waits in the instance, in arrival order, until
``set_signal_handler`` (or the dynamic handler) takes it. ``patch`` answers
``workflow.patched``: true on first execution, and on replay only for the patch markers
that history holds where this activation's commands went (``Activation.patches``).

An exception from workflow code that is a ``FailureError`` (or a type the definition names
in ``failure_exception_types``) fails the run; any other one is raised out of ``activate``
so the worker fails the workflow *task*, which the server retries: a bug or a
nondeterminism never fails the run, as in Temporal.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVarTuple

from legato import converter as converters
from legato import exceptions
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, Payload
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent
from legato.common import Priority, RawValue, RetryPolicy, SearchAttributes, SearchAttributeUpdate
from legato.converter import DataConverter

from . import (
    activities,
    child_workflows,
    children,
    external_workflows,
    guard,
    links,
    local_activities,
    queries,
    replay,
    updates,
)
from .continue_as_new import ContinueAsNewError
from .definitions import SignalDefinition, WorkflowDefinition, param_types
from .info import PatchActivationInput, WorkflowInfo
from .interceptor import (
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
    workflow_chain,
)
from .loop import DeterministicLoop, NotInWorkflowEventLoopError, current_loop

logger = logging.getLogger(__name__)
_Ts = TypeVarTuple("_Ts")

# Jobs the code sees before the others, as Temporal orders them: start, then signals.
_FIRST_JOBS = frozenset({"WorkflowExecutionStarted", "WorkflowExecutionSignaled", "WorkflowExecutionUpdateAccepted"})


class _TimerHandle(asyncio.TimerHandle):
    """A durable timer: its id names it in StartTimer, TimerFired and CancelTimer."""

    def __init__(
        self,
        timer_id: str,
        when: float,
        callback: Callable[..., object],
        args: Sequence[Any],
        loop: WorkflowInstance,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context)
        self.timer_id = timer_id


class WorkflowInstance(DeterministicLoop):
    """The state of one run between workflow tasks (what the worker caches)."""

    def __init__(
        self,
        definition: WorkflowDefinition,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        data_converter: DataConverter | None = None,
        failure_exception_types: Sequence[type[BaseException]] = (),
        guard_policy: guard.Policy | None = None,
        interceptors: Sequence[Interceptor] = (),
        patch_activation: Callable[[PatchActivationInput], bool] | None = None,
    ) -> None:
        super().__init__()
        # The worker's patch_activation_callback, asked of a patch's first execution.
        self._patch_activation = patch_activation
        self._guard_policy = guard_policy
        self._guard: guard.Activation | None = None
        # The error that closed the run as failed, when a failure type named it.
        self._failed_with: BaseException | None = None
        self._interceptors = interceptors
        # What workflow code calls out through; the interceptors' chain once the run starts.
        self.outbound: WorkflowOutboundInterceptor = links.RootOutbound(self)
        self._inbound: WorkflowInboundInterceptor = links.RootInbound(self)
        self.definition = definition
        self.namespace, self.workflow_id, self.run_id = namespace, workflow_id, run_id
        self.converter = data_converter or DataConverter.default
        self._worker_failure_types = tuple(failure_exception_types)
        self._failure_types = tuple(definition.failure_exception_types) + self._worker_failure_types
        self.last_event_id = 0
        # The history's length when the current activation's workflow task started.
        self.history_length = 0
        # --- continue-as-new: the history's size and the server's suggestion at that point ---
        self.history_size = 0
        self.continue_as_new_suggested = False
        self.replaying = False
        self.completed = False
        self._info: WorkflowInfo | None = None
        self._object: Any = None
        self._args: list[Any] = []
        self._main: asyncio.Task[None] | None = None
        self._now = datetime.fromtimestamp(0, UTC)
        self._random = random.Random(0)
        self.randomness_seed = 0
        self.seed_callbacks: list[Callable[[int], None]] = []
        self._cancel_requested = False
        # The reason of the server's cancel request (None until one came): workflow.cancellation_reason().
        self.cancel_reason: str | None = None
        # How the run before this one failed, for a retry: workflow.get_last_failure().
        self.last_failure: Failure | None = None
        # A cron run's: the result of the chain's last completed run.
        self.last_completion_result: list[Payload] = []
        self._task_failure: BaseException | None = None
        self._commands: list[cmd.Command] = []
        self._sent: list[cmd.Command] = []
        self._seq = {"activity": 0, "timer": 0}
        self._activities_by_id: dict[str, activities.ActivityState] = {}
        self._activities_by_event: dict[int, activities.ActivityState] = {}
        self._timers: dict[str, _TimerHandle] = {}
        # Local activities asked for and not yet run (the worker runs them), by sequence number.
        self.local_requests: dict[int, local_activities.LocalActivityState] = {}
        # Schedules the code cancelled since the worker last looked: their attempts stop.
        self._cancelled_locals: list[local_activities.LocalActivityState] = []
        # --- child workflows: by workflow id, and by their StartChildWorkflowExecutionInitiated ---
        self._children_by_id: dict[str, child_workflows.ChildState] = {}
        self._children_by_event: dict[int, child_workflows.ChildState] = {}
        # --- signals and cancel requests to other runs: sent, by their command; matched, by their initiated event ---
        self._external_sent: dict[int, asyncio.Future[None]] = {}
        self._external_by_event: dict[int, asyncio.Future[None]] = {}
        # Queries (legato._runtime.queries): handlers set by workflow code, and whether one runs now.
        self.query_handlers: dict[str | None, Callable[..., Any]] = {}
        self.read_only = False
        # --- workflow API: patches, memo, signal handlers ---
        # Each patch id's answer, fixed at its first call in the run.
        self._patches_memo: dict[str, bool] = {}
        # Patch ids whose markers replayed history holds so far (Temporal's "notified" patches).
        self._patches_notified: set[str] = set()
        self._memo: dict[str, Payload] = {}
        self._signal_handlers: dict[str | None, SignalDefinition] = dict(definition.signals)
        # Signals for a name with no handler, in arrival order, until one is set.
        self._buffered_signals: list[hist.WorkflowExecutionSignaled] = []
        # --- updates (legato._runtime.updates) and the signal and update handlers running now ---
        self.update_handlers: dict[str | None, updates.UpdateDefinition] = dict(definition.updates)
        self.handlers_running: list[updates.HandlerExecution] = []

    # --- activation ---

    def activate(self, activation: replay.Activation, *, replaying: bool) -> list[cmd.Command]:
        """Apply one activation and return the commands the code produced.

        Raises:
            NondeterminismError: The code's previous commands differ from the history.
            Exception: Workflow code raised something that must fail the task, not the run.
        """
        self._match(activation)
        if activation.started is None:
            return []
        self._now = activation.started.event_time.astimezone(UTC)
        self._time = self._now.timestamp()
        self.history_length = activation.started.event_id
        started_attributes = activation.started.attributes
        if isinstance(started_attributes, hist.WorkflowTaskStarted):
            self.history_size = started_attributes.history_size_bytes
            self.continue_as_new_suggested = started_attributes.suggest_continue_as_new
        self.replaying = replaying
        first = [e for e in activation.jobs if e.attributes.type in _FIRST_JOBS]
        rest = [e for e in activation.jobs if e.attributes.type not in _FIRST_JOBS]
        with self.running(), guard.activation(self._guard_policy) as watched:
            self._guard = watched
            self._apply_first_jobs(first)
            self._run()
            for event in rest:
                self._apply_job(event)
            self._run()
            closing = self.completed and not replaying
        # As temporalio, at the end of the activation that closes the run: handlers still running are abandoned.
        if closing:
            updates.warn_unfinished(self.handlers_running)
        # Code that caught the guard's error still fails its task, unless it failed the run.
        if watched is not None and watched.violation is not None and watched.violation is not self._failed_with:
            raise watched.violation
        self.last_event_id = activation.started.event_id
        self._sent, self._commands = self._commands, []
        return list(self._sent)

    def _run(self) -> None:
        with guard.watching(self._guard):
            self.run_until_quiescent()
        if self._task_failure is not None:
            raise self._task_failure

    def _match(self, activation: replay.Activation) -> None:
        pending, self._sent = self._sent, []
        self._patches_notified |= activation.patches
        events = activation.command_events
        matched = 0
        # Local activities resolved from consecutive markers, which the code has not seen yet:
        # the worker gave it each round's results together, so replay does too.
        resolved = False
        for event in events:
            if matched == len(pending) and self._replays_local_marker(event):
                resolved = True
                continue
            if resolved:
                # What the code did with the results follows in this task's events.
                pending.extend(self._continue())
                resolved = False
                if matched == len(pending) and self._replays_local_marker(event):
                    resolved = True
                    continue
            command = pending[matched] if matched < len(pending) else None
            if command is not None and replay.matches(command, event):
                self._on_matched(command, event)
                matched += 1
            elif not self._skips_patch_marker(event):
                raise self._mismatch(event, command)
        if resolved:
            pending.extend(self._continue())
        # A local activity with no marker yet stays asked for: as in core, the worker runs it
        # at the first task that is not a replay (its first run may have died before recording it).
        # A task that never completed (failed, timed out, run terminated) recorded no commands.
        if activation.after_completed_task and len(pending) > matched:
            after = events[-1].event_id if events else self.last_event_id
            raise self._nondeterminism(
                f"the code produced {replay.describe_command(pending[matched])} "
                f"which history does not have after event {after}"
            )

    def _mismatch(self, event: HistoryEvent, command: cmd.Command | None) -> exceptions.NondeterminismError:
        if command is None:
            return self._nondeterminism(
                f"history has {replay.describe_event(event)} but the code produced no command for it"
            )
        return self._nondeterminism(
            f"history has {replay.describe_event(event)} where the code produced {replay.describe_command(command)}"
        )

    def _replays_local_marker(self, event: HistoryEvent) -> bool:
        """Resolve a local activity the code asked for from its marker in history."""
        data = local_activities.event_data(event)
        if data is None:
            return False
        state = self.local_requests.pop(int(data["seq"]), None)
        if state is None:
            return False
        if data.get("activity_type") != state.options.activity_type:
            raise self._nondeterminism(
                f"history has local activity {data.get('activity_type')!r} at event {event.event_id} "
                f"where the code ran {state.options.activity_type!r}"
            )
        state.future.set_result(local_activities.outcome_of(event))
        return True

    def _continue(self) -> list[cmd.Command]:
        """Run the code on after a local activity resolved; the commands it produced."""
        with self.running(), guard.activation(self._guard_policy) as watched:
            self._guard = watched
            self._run()
        if watched is not None and watched.violation is not None and watched.violation is not self._failed_with:
            raise watched.violation
        produced, self._commands = self._commands, []
        return produced

    def resolve_locals(self, outcomes: Sequence[tuple[int, local_activities.Outcome]]) -> list[cmd.Command]:
        """Record the outcomes of local activities the worker ran, run the code on, and
        return every command of the task so far (markers where the results came in)."""
        for seq, outcome in outcomes:
            state = self.local_requests.pop(seq)
            self.add_command(local_activities.marker(state, outcome))
            state.future.set_result(outcome)
        self._sent.extend(self._continue())
        return list(self._sent)

    def _skips_patch_marker(self, event: HistoryEvent) -> bool:
        """Whether a patch marker without its command is let pass (Temporal's rule: a
        deprecated one may have lost its call; a live one means the code lost its patch)."""
        patch = replay.patch_of(event)
        if patch is None:
            return False
        if not patch[1]:
            raise self._nondeterminism(
                f"history has {replay.describe_event(event)}, a patch marker that is not deprecated, "
                f"but the code did not call workflow.patched({patch[0]!r}) there"
            )
        return True

    def _nondeterminism(self, detail: str) -> exceptions.NondeterminismError:
        return exceptions.NondeterminismError(
            f"Workflow {self.type_name!r} (id {self.workflow_id!r}, run {self.run_id!r}) "
            f"replayed differently from its history: {detail}"
        )

    def _on_matched(self, command: cmd.Command, event: HistoryEvent) -> None:
        if isinstance(command, cmd.ScheduleActivityTask):
            state = self._activities_by_id[command.activity_id]
            state.scheduled_event_id = event.event_id
            self._activities_by_event[event.event_id] = state
        elif isinstance(command, cmd.StartChildWorkflowExecution):
            child = self._children_by_id[command.workflow_id]
            child.initiated_event_id = event.event_id
            self._children_by_event[event.event_id] = child
        elif isinstance(command, cmd.SignalExternalWorkflowExecution | cmd.RequestCancelExternalWorkflowExecution):
            self._external_by_event[event.event_id] = self._external_sent.pop(id(command))

    # --- jobs ---

    def _apply_first_jobs(self, jobs: list[HistoryEvent]) -> None:
        started = False
        for event in jobs:
            if isinstance(event.attributes, hist.WorkflowExecutionStarted):
                started = self._start(event, event.attributes)
            elif isinstance(event.attributes, hist.WorkflowExecutionSignaled):
                self._signal(event.attributes)
            elif isinstance(event.attributes, hist.WorkflowExecutionUpdateAccepted):
                updates.start(self, event.attributes)
        # After the signals: handlers delivered with the start run before the run method.
        if started:
            self._main = self.create_task(self._run_main(), name=f"workflow {self.type_name}")

    def _apply_job(self, event: HistoryEvent) -> None:
        a = event.attributes
        if isinstance(a, hist.WorkflowExecutionCancelRequested):
            self._cancel_requested = True
            self.cancel_reason = a.cause
            if self._main is not None and not self._main.done():
                self._main.cancel()
        elif isinstance(a, hist.TimerFired):
            handle = self._timers.pop(a.timer_id, None)
            if handle is not None and not handle.cancelled():
                self._ready.append(handle)
        elif isinstance(
            a,
            hist.ActivityTaskCompleted
            | hist.ActivityTaskFailed
            | hist.ActivityTaskTimedOut
            | hist.ActivityTaskCanceled,
        ):
            state = self._activities_by_event.get(a.scheduled_event_id)
            if state is None:
                raise self._nondeterminism(
                    f"{event.attributes.type} at event {event.event_id} is for scheduled event "
                    f"{a.scheduled_event_id}, which the code never scheduled"
                )
            activities.resolve(state, event, self.converter)
        elif a.type in child_workflows.START_EVENTS or a.type in child_workflows.CLOSE_EVENTS:
            self._resolve_child(event)
        elif a.type in external_workflows.OUTCOME_EVENTS:
            self._resolve_external_signal(event)

    def _resolve_external_signal(self, event: HistoryEvent) -> None:
        initiated_id = getattr(event.attributes, "initiated_event_id", 0)
        future = self._external_by_event.pop(initiated_id, None)
        if future is None:
            raise self._nondeterminism(
                f"{event.attributes.type} at event {event.event_id} is for initiated event "
                f"{initiated_id}, which the code never sent"
            )
        if future.done():
            return
        if event.attributes.type in external_workflows.FAILED_EVENTS:
            future.set_exception(external_workflows.not_found(event.attributes.type))
        else:
            future.set_result(None)

    def _resolve_child(self, event: HistoryEvent) -> None:
        initiated_id = getattr(event.attributes, "initiated_event_id", 0)
        child = self._children_by_event.get(initiated_id)
        if child is None:
            raise self._nondeterminism(
                f"{event.attributes.type} at event {event.event_id} is for initiated event "
                f"{initiated_id}, which the code never started"
            )
        if event.attributes.type in child_workflows.START_EVENTS:
            child_workflows.resolve_start(child, event)
        else:
            child_workflows.resolve_close(child, event, self.converter)

    def _start(self, event: HistoryEvent, a: hist.WorkflowExecutionStarted) -> bool:
        self._memo = dict(a.memo)
        self._search_attributes = dict(a.search_attributes)
        self._info = self._build_info(event, a)
        self._random = random.Random(a.randomness_seed)
        self.randomness_seed = a.randomness_seed
        self.last_failure = a.continued_failure
        self.last_completion_result = list(a.last_completion_result)
        try:
            self._args = self._run_args(a)
            # The chains are built before the object, so its __init__ already calls through them.
            self._inbound = workflow_chain(self._interceptors, links.RootInbound(self))
            self._inbound.init(links.RootOutbound(self))
            cls = self.definition.cls
            with guard.watching(self._guard):
                self._object = cls(*self._args) if self.definition.init_takes_args else cls()
        except Exception as e:
            self._on_top_level_error(e)
            return False
        return self._apply_dynamic_config()

    def _apply_dynamic_config(self) -> bool:
        """A dynamic workflow's ``@workflow.dynamic_config``, called read-only as temporalio
        does; whether the run may start (an error from it fails the task, not the run)."""
        fn = self.definition.dynamic_config_fn
        if fn is None:
            return True
        try:
            with guard.watching(self._guard), queries.read_only(self):
                config = fn(self._object)
        except Exception as e:
            self._task_failure = e
            return False
        if config is not None and config.failure_exception_types is not None:
            self._failure_types = tuple(config.failure_exception_types) + self._worker_failure_types
        if config is not None and config.versioning_behavior:
            self._task_failure = NotImplementedError("DynamicWorkflowConfig(versioning_behavior=...) is not supported")
            return False
        return True

    def _build_info(self, event: HistoryEvent, a: hist.WorkflowExecutionStarted) -> WorkflowInfo:
        def seconds(value: float | None) -> timedelta | None:
            return timedelta(seconds=value) if value is not None else None

        return WorkflowInfo(
            attempt=a.attempt,
            continued_run_id=a.continued_execution_run_id,
            cron_schedule=a.cron_schedule or None,
            execution_timeout=seconds(a.workflow_execution_timeout),
            first_execution_run_id=a.first_execution_run_id or self.run_id,
            headers=dict(a.header),
            namespace=self.namespace,
            original_execution_run_id=a.original_execution_run_id or self.run_id,
            parent=children.parent_info(a),
            root=children.root_info(a),
            priority=Priority.default,
            raw_memo=self._memo,
            retry_policy=RetryPolicy.from_api(a.retry_policy) if a.retry_policy else None,
            run_id=self.run_id,
            run_timeout=seconds(a.workflow_run_timeout),
            search_attributes=converters.decode_search_attributes(a.search_attributes),
            start_time=self._now,
            task_queue=a.task_queue,
            task_timeout=timedelta(seconds=a.workflow_task_timeout),
            typed_search_attributes=converters.decode_typed_search_attributes(a.search_attributes),
            workflow_id=self.workflow_id,
            workflow_start_time=event.event_time.astimezone(UTC),
            workflow_type=a.workflow_type,
        )

    def _run_args(self, a: hist.WorkflowExecutionStarted) -> list[Any]:
        # A dynamic workflow's run method takes the raw arguments as one sequence.
        if self.definition.dynamic:
            return [[RawValue(p) for p in a.input]]
        return self.converter.payload_converter.from_payloads(a.input, self.definition.arg_types)

    def _signal(self, a: hist.WorkflowExecutionSignaled) -> None:
        handler = self._signal_handlers.get(a.signal_name) or self._signal_handlers.get(None)
        # Temporal keeps a signal nobody handles yet until a handler for it is set.
        if handler is None:
            self._buffered_signals.append(a)
            return
        try:
            args = self._signal_args(handler, a)
        except Exception:
            logger.warning(
                "Signal %r to workflow %r has input that does not fit the handler; dropped it",
                a.signal_name,
                self.workflow_id,
                exc_info=True,
            )
            return
        running = updates.HandlerExecution("signal", a.signal_name, handler.unfinished_policy)
        coro = self._run_signal(a.signal_name, args, a.header, running)
        self.create_task(coro, name=f"signal {a.signal_name}")

    def _signal_args(self, handler: SignalDefinition, a: hist.WorkflowExecutionSignaled) -> list[Any]:
        # The dynamic handler takes the name and the raw arguments.
        if handler.name is None:
            return [a.signal_name, [RawValue(p) for p in a.input]]
        return self.converter.payload_converter.from_payloads(a.input, handler.arg_types)

    # --- top-level code ---

    async def _run_main(self) -> None:
        try:
            input = ExecuteWorkflowInput(
                type=self.definition.cls, run_fn=self.definition.run_fn, args=self._args, headers=self.info().headers
            )
            result = await self._inbound.execute_workflow(input)
        # Continue-as-new: the run closes with the command the error carries.
        except ContinueAsNewError as e:
            self._continue_as_new(e)
            return
        except (Exception, asyncio.CancelledError) as e:
            self._on_top_level_error(e)
            return
        try:
            payload = self.converter.payload_converter.to_payload(result)
        except TypeError as e:
            self._task_failure = e
            return
        self._close(cmd.CompleteWorkflowExecution(result=payload))

    async def _run_signal(
        self, name: str, args: list[Any], headers: Mapping[str, Payload], running: updates.HandlerExecution
    ) -> None:
        self.handlers_running.append(running)
        try:
            await self._inbound.handle_signal(HandleSignalInput(signal=name, args=args, headers=headers))
        except ContinueAsNewError as e:
            self._continue_as_new(e)
        except (Exception, asyncio.CancelledError) as e:
            self._on_top_level_error(e)
        finally:
            self.handlers_running.remove(running)

    def _continue_as_new(self, e: ContinueAsNewError) -> None:
        # A ContinueAsNewError raised by hand (not by workflow.continue_as_new) has no command.
        if e.command is None:
            self._task_failure = RuntimeError("ContinueAsNewError must be raised by workflow.continue_as_new()")
            return
        self._close(e.command)

    def _on_top_level_error(self, err: BaseException) -> None:
        # Every asyncio cancellation is a Temporal cancellation.
        if isinstance(err, asyncio.CancelledError):
            err = exceptions.CancelledError(str(err) or "Workflow cancelled")
        if self._cancel_requested and exceptions.is_cancelled_exception(err):
            self._close(cmd.CancelWorkflowExecution())
        elif self.is_failure_exception(err):
            failure = self.converter.failure_converter.to_failure(err, self.converter.payload_converter)
            self._failed_with = err
            self._close(cmd.FailWorkflowExecution(failure=failure))
        else:
            self._task_failure = err

    def is_failure_exception(self, err: BaseException) -> bool:
        """Whether ``err`` fails the run rather than its workflow task, as temporalio decides:
        a FailureError, a TimeoutError, or a failure type of the workflow's or the worker's."""
        return isinstance(err, (exceptions.FailureError, asyncio.TimeoutError, *self._failure_types))

    def _close(self, command: cmd.Command) -> None:
        self.add_command(command)
        self.completed = True

    def fail_task(self, error: BaseException) -> None:
        """Fail this workflow task (not the run) with ``error``: a bug in a handler."""
        self._task_failure = error

    @property
    def inbound(self) -> WorkflowInboundInterceptor:
        """The run's inbound interceptor chain."""
        return self._inbound

    # --- commands (activities.CommandSink) ---

    def add_command(self, command: cmd.Command) -> None:
        """Append a command to this activation's, unless the run already closed."""
        queries.assert_not_read_only(self, "add command")
        if self.completed:
            return
        self._commands.append(command)

    def remove_unsent(self, command: cmd.Command) -> bool:
        """Drop a command produced in this activation; False if it was sent earlier."""
        for i, c in enumerate(self._commands):
            if c is command:
                del self._commands[i]
                return True
        return False

    def next_seq(self, kind: str) -> int:
        """The next sequence number of ``kind`` ("activity", "timer") in this run."""
        self._seq[kind] += 1
        return self._seq[kind]

    # --- durable timers (the loop's call_later) ---

    def call_later(
        self,
        delay: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """A durable timer: a StartTimer command whose TimerFired runs ``callback``."""
        queries.assert_not_read_only(self, "schedule timer")
        if delay < 0:
            raise RuntimeError("Attempting to schedule timer with negative delay")
        timer_id = str(self.next_seq("timer"))
        handle = _TimerHandle(timer_id, self.time() + delay, callback, args, self, context)
        # A zero timer is a yield, not a durable timer: the server refuses zero durations.
        if delay == 0:
            self._ready.append(handle)
            return handle
        self._timers[timer_id] = handle
        command = cmd.StartTimer(timer_id=timer_id, start_to_fire_timeout=delay)
        handle.start_command = command  # type: ignore[attr-defined]  # found again on cancel
        self.add_command(command)
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        # asyncio.sleep cancels its handle even after it fired; only pending timers count.
        if not isinstance(handle, _TimerHandle) or self._timers.pop(handle.timer_id, None) is None:
            return
        if not self.remove_unsent(handle.start_command):  # type: ignore[attr-defined]
            self.add_command(cmd.CancelTimer(timer_id=handle.timer_id))

    # --- what workflow code asks of its instance (legato.workflow) ---

    @property
    def workflow_object(self) -> Any:
        """The instance of the workflow class."""
        return self._object

    def info(self) -> WorkflowInfo:
        """The run's information."""
        assert self._info is not None, "info is set by the first activation"
        return self._info

    def now(self) -> datetime:
        """The workflow's current time (UTC)."""
        return self._now

    def random(self) -> random.Random:
        """The run's deterministic random generator."""
        return self._random

    def start_activity(
        self,
        command: cmd.ScheduleActivityTask,
        *,
        result_type: Any,
        cancellation_type: activities.ActivityCancellationType,
    ) -> activities.ActivityHandle[Any]:
        """Schedule an activity and return its handle."""
        queries.assert_not_read_only(self, "start activity")
        if command.activity_id in self._activities_by_id:
            raise ValueError(f"Activity id {command.activity_id!r} is already used in this workflow")
        state = activities.ActivityState(command, result_type, cancellation_type, self.create_future())
        self._activities_by_id[command.activity_id] = state
        self.add_command(command)
        return activities.ActivityHandle(activities.run_handle(state, self), loop=self)

    def start_local_activity(
        self,
        seq: int,
        options: local_activities.LocalActivityOptions,
        *,
        result_type: Any,
        attempt: int = 1,
        original_schedule_time: datetime | None = None,
    ) -> activities.ActivityHandle[Any]:
        """Ask the worker to run a local activity; its handle."""
        state = self._schedule_local(seq, options, result_type, attempt, original_schedule_time or self._now)
        return activities.ActivityHandle(self._run_local(state), loop=self)

    def _schedule_local(
        self,
        seq: int,
        options: local_activities.LocalActivityOptions,
        result_type: Any,
        attempt: int,
        original_schedule_time: datetime,
    ) -> local_activities.LocalActivityState:
        queries.assert_not_read_only(self, "start local activity")
        state = local_activities.LocalActivityState(
            seq, options, attempt, original_schedule_time, self.create_future(), result_type
        )
        self.local_requests[seq] = state
        return state

    async def _run_local(self, state: local_activities.LocalActivityState) -> Any:
        # A backoff past the threshold: a durable timer, then the next attempt under a new seq.
        while (outcome := await self._local_outcome(state)).backoff is not None:
            await asyncio.sleep(outcome.backoff)
            seq = self.next_seq("activity")
            options = state.options
            # As temporalio: an id the code did not give is the new schedule's seq.
            if not options.id_given:
                options = dataclasses.replace(options, activity_id=str(seq))
            state = self._schedule_local(
                seq,
                options,
                state.result_type,
                outcome.attempt + 1,
                state.original_schedule_time,
            )
        if outcome.failure is not None:
            error = self.converter.failure_converter.from_failure(outcome.failure, self.converter.payload_converter)
            if state.cancel_requested and isinstance(error, exceptions.CancelledError):
                raise local_activities.cancelled_error(state, error)
            raise error
        if outcome.result is None:
            return None
        return self.converter.payload_converter.from_payload(outcome.result, state.result_type)

    async def _local_outcome(self, state: local_activities.LocalActivityState) -> local_activities.Outcome:
        """The schedule's outcome; a cancel of the handle cancels the schedule, as temporalio's."""
        while True:
            try:
                return await asyncio.shield(state.future)
            except asyncio.CancelledError:
                if state.future.done() or state.cancel_requested:
                    raise
                self._cancel_local(state)
                child_workflows.uncancel()

    def _cancel_local(self, state: local_activities.LocalActivityState) -> None:
        # Resolved at once (TRY_CANCEL, ABANDON): recorded now; the worker stops the attempt.
        outcome = local_activities.request_cancel(state)
        self._cancelled_locals.append(state)
        if outcome is not None:
            self.local_requests.pop(state.seq, None)
            self.add_command(local_activities.marker(state, outcome))
            state.future.set_result(outcome)

    def cancelled_locals(self) -> list[local_activities.LocalActivityState]:
        """The schedules cancelled since the last call, whose attempts the worker stops."""
        cancelled, self._cancelled_locals = self._cancelled_locals, []
        return cancelled

    async def start_child(
        self,
        command: cmd.StartChildWorkflowExecution,
        *,
        result_type: Any,
        cancellation_type: children.ChildWorkflowCancellationType,
    ) -> child_workflows.ChildWorkflowHandle[Any, Any]:
        """Start a child workflow; its handle once history says it started."""
        queries.assert_not_read_only(self, "start child workflow")
        if command.workflow_id in self._children_by_id:
            raise ValueError(f"Child workflow id {command.workflow_id!r} is already used in this workflow")
        state = child_workflows.ChildState(
            command, result_type, cancellation_type, self.create_future(), self.create_future(), self.namespace
        )
        self._children_by_id[command.workflow_id] = state
        self.add_command(command)
        # Made before the start resolves, as temporalio's, so it waits on the result by the
        # time the parent holds it: a cancel at once is the child's cancel, not the handle's.
        handle: child_workflows.ChildWorkflowHandle[Any, Any] = child_workflows.ChildWorkflowHandle(
            child_workflows.run_handle(state), loop=self
        )
        handle._child = state
        # A start that failed fails the handle too, which nobody awaits.
        handle.add_done_callback(lambda t: t.cancelled() or t.exception())
        while True:
            try:
                await asyncio.shield(state.started)
                return handle
            except asyncio.CancelledError as e:
                if state.started.done():
                    raise
                # As temporalio: the cancel acts on the child by its cancellation type, and
                # the start is waited on again, unless the run itself is being cancelled.
                if child_workflows.cancel_start(state, child_workflows.reason_of(e)):
                    del self._children_by_id[command.workflow_id]
                if self._cancel_requested:
                    raise
                child_workflows.uncancel()

    async def send_external(
        self, command: cmd.SignalExternalWorkflowExecution | cmd.RequestCancelExternalWorkflowExecution
    ) -> None:
        """Send a signal or cancel request to another run; returns once history says it was delivered."""
        await asyncio.shield(self.external_outcome(command))

    def external_outcome(
        self, command: cmd.SignalExternalWorkflowExecution | cmd.RequestCancelExternalWorkflowExecution
    ) -> asyncio.Future[None]:
        """Add the command; the future its outcome in history resolves."""
        what = "signal" if isinstance(command, cmd.SignalExternalWorkflowExecution) else "cancel"
        queries.assert_not_read_only(self, f"{what} external workflow")
        future: asyncio.Future[None] = self.create_future()
        self._external_sent[id(command)] = future
        self.add_command(command)
        return future

    # --- queries: read-only handlers (legato._runtime.queries) ---

    def answer_query(self, input: HandleQueryInput) -> Any:
        """Run a query's handler through the inbound chain, read-only; its return value.

        Raises:
            Exception: What the handler raised; ReadOnlyContextError for an attempt to
                change the run; the guard's error for a nondeterministic call.
        """
        with (
            self.running(),
            guard.activation(self._guard_policy) as watched,
            queries.read_only(self),
            guard.watching(watched),
        ):
            value = queries.run_at_once(self._inbound.handle_query(input))
        if watched is not None and watched.violation is not None:
            raise watched.violation
        return value

    def validate_update(self, input: HandleUpdateInput) -> None:
        """Run an update's validator through the inbound chain, read-only.

        Raises:
            Exception: What the validator raised (the rejection); ReadOnlyContextError for
                an attempt to change the run; the guard's error for a nondeterministic call.
        """
        with (
            self.running(),
            guard.activation(self._guard_policy) as watched,
            queries.read_only(self),
            guard.watching(watched),
        ):
            self._inbound.handle_update_validator(input)
        if watched is not None and watched.violation is not None:
            raise watched.violation

    def create_task(self, coro: Any, *, name: str | None = None, context: contextvars.Context | None = None) -> Any:
        """A task on this loop; refused while a query runs."""
        queries.assert_not_read_only(self, "create task")
        return super().create_task(coro, name=name, context=context)

    def wait_condition(self, fn: Callable[[], bool]) -> asyncio.Future[None]:
        """A future resolved once ``fn()`` is true; refused while a query runs."""
        queries.assert_not_read_only(self, "wait condition")
        return super().wait_condition(fn)

    # --- workflow API: patches, memo, signal handlers (legato.workflow) ---

    @property
    def type_name(self) -> str:
        """The run's workflow type (a dynamic workflow's definition has no name of its own)."""
        return self._info.workflow_type if self._info is not None else self.definition.name

    def patch(self, patch_id: str, *, deprecated: bool) -> bool:
        """``workflow.patched``/``deprecate_patch``: new code runs, and records a marker,
        unless this replays history recorded before the patch (no marker there)."""
        use = self._patches_memo.get(patch_id)
        if use is not None:
            return use
        if deprecated or self.replaying or patch_id in self._patches_notified:
            use = not self.replaying or patch_id in self._patches_notified
        else:
            # A patch met for the first time: the worker's callback may keep it off.
            use = self._activate_patch(patch_id)
        self._patches_memo[patch_id] = use
        if use:
            self.add_command(replay.patch_marker(patch_id, deprecated=deprecated))
        return use

    def _activate_patch(self, patch_id: str) -> bool:
        if self._patch_activation is None:
            return True
        with queries.read_only(self):
            use = self._patch_activation(PatchActivationInput(workflow_info=self.info(), patch_id=patch_id))
        if type(use) is not bool:
            raise TypeError("Patch activation callback must return true or false")
        return use

    def memo(self) -> Mapping[str, Payload]:
        """The run's memo as payloads: the start's, with this run's upserts applied."""
        return self._memo

    def upsert_search_attributes(self, attributes: SearchAttributes | Sequence[SearchAttributeUpdate[Any]]) -> None:
        """Set or unset search attributes with an UpsertWorkflowSearchAttributes command; the
        info shows them at once, as temporalio's does."""
        changes: dict[str, Payload] = {}
        if isinstance(attributes, Mapping):
            converters.encode_search_attributes(attributes, changes)
        else:
            for update in attributes:
                changes[update.key.name] = converters.encode_typed_search_attribute_value(update.key, update.value)
        if not changes:
            return
        self.add_command(cmd.UpsertWorkflowSearchAttributes(search_attributes=changes))
        for name, payload in changes.items():
            if payload.metadata.get("encoding") == b"binary/null" or payload.data == b"[]":
                self._search_attributes.pop(name, None)
            else:
                self._search_attributes[name] = payload
        assert self._info is not None, "info is set by the first activation"
        self._info = dataclasses.replace(
            self._info,
            search_attributes=converters.decode_search_attributes(self._search_attributes),
            typed_search_attributes=converters.decode_typed_search_attributes(self._search_attributes),
        )

    def search_attribute_payloads(self) -> Mapping[str, Payload]:
        """The run's search attributes as payloads (a continue-as-new hands them on)."""
        return self._search_attributes

    def upsert_memo(self, updates: Mapping[str, Any]) -> None:
        """Change the memo (a None value removes its key) with a ModifyWorkflowProperties command."""
        convert = self.converter.payload_converter.to_payload
        # Converted first, so a value that does not convert leaves no partial command.
        upserted = {key: convert(value) for key, value in updates.items()}
        if not upserted:
            return
        self.add_command(cmd.ModifyWorkflowProperties(upserted_memo=upserted))
        for key, value in updates.items():
            if value is None:
                self._memo.pop(key, None)
            else:
                self._memo[key] = upserted[key]

    def signal_handler(self, name: str | None) -> Callable[..., Any] | None:
        """The handler of a signal name (None: the dynamic one), bound to the workflow object."""
        handler = self._signal_handlers.get(name)
        if handler is None:
            return None
        return handler.fn.__get__(self._object) if handler.is_method else handler.fn

    def set_signal_handler(self, name: str | None, handler: Callable[..., Any] | None) -> None:
        """Set (or with None remove) a signal's handler; signals waiting for it are delivered now."""
        if handler is None:
            self._signal_handlers.pop(name, None)
            return
        arg_types = param_types(handler, skip_self=False) if name is not None else []
        self._signal_handlers[name] = SignalDefinition(name, handler, arg_types, is_method=False)
        waiting, self._buffered_signals = self._buffered_signals, []
        for a in waiting:
            if name is None or a.signal_name == name:
                self._signal(a)
            else:
                self._buffered_signals.append(a)

    def invoke_signal(self, name: str, args: Sequence[Any]) -> Any:
        """Call the handler of ``name`` (or the dynamic one) with decoded ``args``."""
        handler = self._signal_handlers.get(name) or self._signal_handlers.get(None)
        if handler is None:
            raise RuntimeError(f"Workflow {self.type_name!r} has no handler for signal {name!r}")
        return handler.fn(self._object, *args) if handler.is_method else handler.fn(*args)


def current_instance() -> WorkflowInstance:
    """The workflow instance whose code is running.

    Raises:
        NotInWorkflowEventLoopError: Not called from workflow code.
    """
    loop = current_loop()
    if not isinstance(loop, WorkflowInstance):
        raise NotInWorkflowEventLoopError("Not in workflow event loop")
    return loop


def new_instance(
    definition: WorkflowDefinition,
    *,
    namespace: str,
    workflow_id: str,
    run_id: str,
    data_converter: DataConverter | None = None,
    failure_exception_types: Sequence[type[BaseException]] = (),
    guard_policy: guard.Policy | None = None,
    interceptors: Sequence[Interceptor] = (),
    patch_activation: Callable[[PatchActivationInput], bool] | None = None,
) -> WorkflowInstance:
    """A fresh instance of a run, before its first activation."""
    # asyncio's stubs declare every loop method abstract; the ones a workflow never
    # calls (sockets, subprocesses, signals) stay unimplemented on purpose.
    return WorkflowInstance(  # type: ignore[abstract]
        definition,
        namespace=namespace,
        workflow_id=workflow_id,
        run_id=run_id,
        data_converter=data_converter,
        failure_exception_types=failure_exception_types,
        guard_policy=guard_policy,
        interceptors=interceptors,
        patch_activation=patch_activation,
    )
