"""Writing workflows, as ``temporalio.workflow``: decorators and the calls workflow code makes.

Each call here is a line or two into the running workflow instance (``legato._runtime``),
which is the asyncio event loop the code runs on: plain ``asyncio.sleep`` is a durable
timer, and ``asyncio.gather``/``wait``/``Event`` are deterministic.

Not yet supported: updates.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, NoReturn, TypedDict, TypeVar, overload

from typing_extensions import Unpack

from legato import _calls
from legato._runtime import definitions, waiting
from legato._runtime import guard as _guard
from legato._runtime import queries as _queries
from legato._runtime.activities import ActivityCancellationType, ActivityHandle
from legato._runtime.child_calls import execute_child_workflow, start_child_workflow
from legato._runtime.child_workflows import ChildWorkflowHandle
from legato._runtime.children import ChildWorkflowCancellationType, ParentClosePolicy
from legato._runtime.continue_as_new import ContinueAsNewError
from legato._runtime.external_workflows import (
    ExternalWorkflowHandle,
    get_external_workflow_handle,
    get_external_workflow_handle_for,
)
from legato._runtime.info import ParentInfo, RootInfo
from legato._runtime.info import WorkflowInfo as Info
from legato._runtime.instance import current_instance
from legato._runtime.interceptor import ContinueAsNewInput, StartActivityInput
from legato._runtime.local_api import (
    LocalActivityConfig,
    execute_local_activity,
    execute_local_activity_class,
    execute_local_activity_method,
    start_local_activity,
    start_local_activity_class,
    start_local_activity_method,
)
from legato._runtime.loop import NotInWorkflowEventLoopError
from legato._runtime.updates import (
    HandlerUnfinishedPolicy,
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
)
from legato._runtime.workflow_updates import (
    UpdateMethodMultiParam,
    all_handlers_finished,
    current_update_info,
    get_dynamic_update_handler,
    get_update_handler,
    set_dynamic_update_handler,
    set_update_handler,
    update,
)
from legato.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    SearchAttributeUpdate,
    VersioningBehavior,
    WorkflowIDReusePolicy,
)
from legato.converter import PayloadConverter
from legato.exceptions import NondeterminismError

__all__ = [
    "ActivityCancellationType",
    "ActivityConfig",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowConfig",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ContinueAsNewVersioningBehavior",
    "DynamicWorkflowConfig",
    "ExternalWorkflowHandle",
    "HandlerUnfinishedPolicy",
    "Info",
    "LocalActivityConfig",
    "LoggerAdapter",
    "NondeterminismError",
    "ParentClosePolicy",
    "ParentInfo",
    "ReadOnlyContextError",
    "RootInfo",
    "UnfinishedSignalHandlersWarning",
    "UnfinishedUpdateHandlersWarning",
    "UpdateInfo",
    "UpdateMethodMultiParam",
    "all_handlers_finished",
    "as_completed",
    "cancellation_reason",
    "continue_as_new",
    "current_update_info",
    "defn",
    "deprecate_patch",
    "dynamic_config",
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "execute_child_workflow",
    "execute_local_activity",
    "execute_local_activity_class",
    "execute_local_activity_method",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "get_last_completion_result",
    "get_last_failure",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "has_last_completion_result",
    "in_workflow",
    "info",
    "init",
    "instance",
    "is_failure_exception",
    "logger",
    "memo",
    "memo_value",
    "new_random",
    "now",
    "patched",
    "payload_converter",
    "query",
    "random",
    "random_seed",
    "register_random_seed_callback",
    "run",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "sleep",
    "start_activity",
    "start_activity_class",
    "start_activity_method",
    "start_child_workflow",
    "start_local_activity",
    "start_local_activity_class",
    "start_local_activity_method",
    "time",
    "time_ns",
    "unsafe",
    "update",
    "upsert_memo",
    "upsert_search_attributes",
    "uuid4",
    "uuid7",
    "wait",
    "wait_condition",
]

ClassType = TypeVar("ClassType", bound=type)
CallableType = TypeVar("CallableType", bound=Callable[..., Any])
ReturnType = TypeVar("ReturnType")
ParamType = TypeVar("ParamType")


# --- decorators ---


@overload
def defn(cls: ClassType) -> ClassType: ...


@overload
def defn(
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = [],  # Temporal's default; never mutated
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED,
) -> Callable[[ClassType], ClassType]: ...


def defn(
    cls: ClassType | None = None,
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = [],  # Temporal's default; never mutated
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED,
) -> ClassType | Callable[[ClassType], ClassType]:
    """Mark a class as a workflow; it needs exactly one ``@workflow.run`` method.

    Args:
        cls: The class (when used without parentheses).
        name: The workflow type name; the class name by default.
        sandboxed: False runs this workflow without the determinism guard, whatever
            the worker's runner.
        dynamic: Run every workflow type no other registered workflow has; the run method
            takes ``(self, args: Sequence[RawValue])`` and ``workflow.info().workflow_type``
            says which type it runs.
        failure_exception_types: Exception types that fail the run instead of the task.
        versioning_behavior: Not supported (worker versioning): raises unless UNSPECIFIED.
    """
    if versioning_behavior is not VersioningBehavior.UNSPECIFIED:
        raise NotImplementedError("workflow.defn(versioning_behavior=...) is not supported by Legato yet")

    def decorate(c: ClassType) -> ClassType:
        definitions.define_workflow(c, name, failure_exception_types, dynamic=dynamic)
        if not sandboxed:
            _guard.mark_unsandboxed(c)
        return c

    return decorate(cls) if cls is not None else decorate


def run(fn: CallableType) -> CallableType:
    """Mark the async method that runs the workflow."""
    definitions.mark_run(fn)
    return fn


def init(init_fn: CallableType) -> CallableType:
    """Mark ``__init__`` as taking the workflow's arguments, as the run method does."""
    definitions.mark_init(init_fn)
    return init_fn


@dataclass
class DynamicWorkflowConfig:
    """What a dynamic workflow's ``@workflow.dynamic_config`` method returns (temporalio's).

    ``failure_exception_types``, when set, replaces those given to ``@workflow.defn`` for
    this run (the worker's still apply). ``versioning_behavior`` other than UNSPECIFIED
    fails the workflow task: Legato has no worker versioning.
    """

    failure_exception_types: Sequence[type[BaseException]] | None = None
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED


def dynamic_config(fn: CallableType) -> CallableType:
    """Mark the method of a dynamic workflow that returns its ``DynamicWorkflowConfig``.

    It takes only ``self`` and is called after ``__init__``, before the run method, with
    the run read-only; what it returns overrides ``@workflow.defn``'s options.

    Raises:
        ValueError: ``fn`` is async or takes parameters besides ``self``.
    """
    definitions.mark_dynamic_config(fn)
    return fn


@overload
def signal(fn: CallableType) -> CallableType: ...


@overload
def signal(
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Callable[[CallableType], CallableType]: ...


def signal(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a method (sync or async) as the handler of a signal; the method name by default.

    ``dynamic=True`` makes it the handler of every signal no other handler takes: it is
    called as ``(self, name: str, args: Sequence[RawValue])``. With ``unfinished_policy``
    ``WARN_AND_ABANDON`` (the default) a run that closes while the handler runs warns
    (``UnfinishedSignalHandlersWarning``), as temporalio; ``description`` is accepted and
    not kept yet.
    """

    def decorate(f: CallableType) -> CallableType:
        definitions.mark_signal(f, name, dynamic=dynamic, unfinished_policy=unfinished_policy)
        return f

    return decorate(fn) if fn is not None else decorate


@overload
def query(fn: CallableType) -> CallableType: ...


@overload
def query(
    *, name: str | None = None, dynamic: bool = False, description: str | None = None
) -> Callable[[CallableType], CallableType]: ...


def query(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    description: str | None = None,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a method as a query handler: read-only, it answers from the run's current state.

    Args:
        fn: The method (when used without parentheses).
        name: The query's name; the method's name by default.
        dynamic: The handler of every name no other handler has; it takes
            ``(name: str, args: Sequence[RawValue])``.
        description: Shown in ``__temporal_workflow_metadata``.

    Anything that would change the run (an activity, a timer, a task, a wait) raises
    ``ReadOnlyContextError`` in a query handler.
    """

    def decorate(f: CallableType) -> CallableType:
        definitions.mark_query(f, name, dynamic=dynamic, description=description)
        return f

    return decorate(fn) if fn is not None else decorate


# --- queries: handlers set at run time ---

ReadOnlyContextError = _queries.ReadOnlyContextError


def get_query_handler(name: str) -> Callable[..., Any] | None:
    """The run's handler of query ``name`` (set, or a ``@workflow.query`` method); None if none."""
    return _queries.handler(current_instance(), name)


def set_query_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Answer query ``name`` with ``handler`` from now on (None removes it); wins over a method."""
    _set_query_handler(name, handler)


def get_dynamic_query_handler() -> Callable[..., Any] | None:
    """The run's dynamic query handler, if any."""
    return _queries.handler(current_instance(), None)


def set_dynamic_query_handler(handler: Callable[..., Any] | None) -> None:
    """Answer every query no other handler has with ``handler(name, args)`` (None removes it)."""
    _set_query_handler(None, handler)


def _set_query_handler(name: str | None, handler: Callable[..., Any] | None) -> None:
    instance = current_instance()
    _queries.assert_not_read_only(instance, "set query handler")
    if handler is None:
        instance.query_handlers.pop(name, None)
    else:
        instance.query_handlers[name] = handler


# --- activities ---


class ActivityConfig(TypedDict, total=False):
    """The options of ``start_activity`` and ``execute_activity`` as a dict (temporalio's)."""

    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    versioning_intent: Any
    summary: str | None
    event_groups: Any
    priority: Priority


class _ActivityOptions(ActivityConfig, total=False):
    """``ActivityConfig`` and what a call adds: the arguments and the result's type."""

    args: Sequence[Any]
    result_type: type | None


_UNSET: Any = _calls.UNSET


@overload
def start_activity(
    activity: Callable[..., Awaitable[ReturnType]], arg: Any = _UNSET, **options: Unpack[_ActivityOptions]
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[..., ReturnType], arg: Any = _UNSET, **options: Unpack[_ActivityOptions]
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(activity: str, arg: Any = _UNSET, **options: Unpack[_ActivityOptions]) -> ActivityHandle[Any]: ...


def start_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    event_groups: Any = None,
    priority: Priority = Priority.default,
) -> ActivityHandle[Any]:
    """Schedule an activity and return its handle (await it for the result, cancel() it).

    Args:
        activity: An ``@activity.defn`` function, or an activity type name.
        arg: The single argument (or use ``args``).
        args: The arguments.
        task_queue: Where the activity runs; the workflow's task queue by default.
        result_type: Type the result is decoded into; the function's return hint by default.
        schedule_to_close_timeout: Limit on the activity, retries included.
        schedule_to_start_timeout: Limit on waiting in the queue.
        start_to_close_timeout: Limit on one attempt.
        heartbeat_timeout: Longest time between heartbeats.
        retry_policy: How the server retries; its default policy when None.
        cancellation_type: What cancelling the handle does.
        activity_id: The activity's id; the next sequence number ("1", "2", ...) by default.
        versioning_intent: Not supported (worker versioning): raises unless None.
        summary: Accepted and dropped (a note for UIs).
        event_groups: Accepted and dropped (a grouping for UIs).
        priority: Not supported yet: raises unless the default.

    Raises:
        ValueError: Neither start_to_close_timeout nor schedule_to_close_timeout is set.
        NotImplementedError: ``versioning_intent`` or a priority given.
    """
    if start_to_close_timeout is None and schedule_to_close_timeout is None:
        raise ValueError("Activity must have start_to_close_timeout or schedule_to_close_timeout")
    name, hinted = definitions.activity_name_and_result_type(activity)
    input = StartActivityInput(
        activity=name,
        args=_calls.arg_or_args(arg, args),
        activity_id=activity_id,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        headers={},
        disable_eager_execution=False,
        versioning_intent=versioning_intent,
        summary=summary,
        priority=priority,
        arg_types=None,
        ret_type=result_type or hinted,
        event_groups=event_groups,
    )
    return current_instance().outbound.start_activity(input)


@overload
async def execute_activity(
    activity: Callable[..., Awaitable[ReturnType]], arg: Any = _UNSET, **options: Unpack[_ActivityOptions]
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[..., ReturnType], arg: Any = _UNSET, **options: Unpack[_ActivityOptions]
) -> ReturnType: ...


@overload
async def execute_activity(activity: str, arg: Any = _UNSET, **options: Unpack[_ActivityOptions]) -> Any: ...


async def execute_activity(
    activity: Any,
    arg: Any = _UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    event_groups: Any = None,
    priority: Priority = Priority.default,
) -> Any:
    """Run an activity and return its result; the arguments are ``start_activity``'s.

    Raises:
        ActivityError: The activity failed for good; ``cause`` says why.
    """
    return await start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        event_groups=event_groups,
        priority=priority,
    )


def start_activity_method(
    activity: Callable[..., Any],
    arg: Any = _UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    event_groups: Any = None,
    priority: Priority = Priority.default,
) -> ActivityHandle[Any]:
    """``start_activity`` for an activity that is a method (of an instance the worker holds)."""
    return start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        event_groups=event_groups,
        priority=priority,
    )


async def execute_activity_method(
    activity: Callable[..., Any],
    arg: Any = _UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    versioning_intent: Any = None,
    summary: str | None = None,
    event_groups: Any = None,
    priority: Priority = Priority.default,
) -> Any:
    """``execute_activity`` for an activity that is a method."""
    return await start_activity_method(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        versioning_intent=versioning_intent,
        summary=summary,
        event_groups=event_groups,
        priority=priority,
    )


# A callable class's activity (``@activity.defn`` on the class, an instance registered
# with the worker) is started the same way: its definition names it.
start_activity_class = start_activity_method
execute_activity_class = execute_activity_method


class ChildWorkflowConfig(TypedDict, total=False):
    """The options of ``start_child_workflow`` and ``execute_child_workflow`` as a dict (temporalio's)."""

    id: str | None
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
    versioning_intent: Any
    versioning_override: Any
    static_summary: str | None
    static_details: str | None
    event_groups: Any
    priority: Priority


# --- time, randomness and the run's information ---


def info() -> Info:
    """Information about the running workflow (through the outbound interceptors)."""
    return current_instance().outbound.info()


def now() -> datetime:
    """Current workflow time (UTC); the same value on every replay of this point."""
    return current_instance().now()


def time() -> float:
    """Current workflow time in seconds since the epoch, as ``loop.time()``."""
    return current_instance().time()


def time_ns() -> int:
    """Current workflow time in nanoseconds since the epoch."""
    return int(current_instance().time() * 1e9)


def random() -> _random.Random:
    """The run's random generator, seeded from its history: the same on every replay."""
    return current_instance().random()


def uuid4() -> uuid.UUID:
    """A version-4 UUID from the run's random generator: the same on every replay."""
    return uuid.UUID(int=random().getrandbits(128), version=4)


def uuid7() -> uuid.UUID:
    """A version-7 UUID (RFC 9562): the workflow time in milliseconds, then bits of the
    run's random generator; the same on every replay, sorting by the task that made it."""
    unix_ts_ms = (time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF
    rand = random()
    rand_a, rand_b = rand.getrandbits(12), rand.getrandbits(62)
    # uuid.UUID takes versions 1-5 only before Python 3.14: version and variant by hand.
    return uuid.UUID(int=(unix_ts_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


def random_seed() -> int:
    """The seed of the run's random generator (its history's ``randomness_seed``)."""
    return current_instance().randomness_seed


def register_random_seed_callback(callback: Callable[[int], None]) -> None:
    """Have ``callback`` told the new seed when the run's seed changes. Temporal changes
    it when a run is reset; Legato has no reset, so a seed stays the run's for its life."""
    run = current_instance()
    _queries.assert_not_read_only(run, "register random seed callback")
    run.seed_callbacks.append(callback)


def new_random(name: str | None = None) -> _random.Random:
    """A generator of its own, seeded from the run's seed (mixed with ``name`` when given,
    so differently named ones draw different sequences), as temporalio's."""

    def seed_for(seed: int) -> int | str:
        return seed if name is None else f"{seed}:{name}"

    generator = _random.Random(seed_for(random_seed()))
    register_random_seed_callback(lambda seed: generator.seed(seed_for(seed)))
    return generator


def instance() -> Any:
    """The running workflow's object (the instance of its class)."""
    return current_instance().workflow_object


def cancellation_reason() -> str | None:
    """The reason of the cancel request the run received (possibly empty), or None if
    none came: tells a workflow's cancellation from an inner task's."""
    return current_instance().cancel_reason


def is_failure_exception(err: BaseException) -> bool:
    """Whether ``err``, raised out of the run, fails it (rather than its workflow task)."""
    return current_instance().is_failure_exception(err)


def get_last_failure() -> BaseException | None:
    """How the run before this one failed, when this run is its retry; else None."""
    run = current_instance()
    if run.last_failure is None:
        return None
    return run.converter.failure_converter.from_failure(run.last_failure, run.converter.payload_converter)


def has_last_completion_result() -> bool:
    """Whether this run of a cron chain follows one that completed (with its result)."""
    return bool(current_instance().last_completion_result)


@overload
def get_last_completion_result() -> Any | None: ...


@overload
def get_last_completion_result(type_hint: type[ParamType]) -> ParamType | None: ...


def get_last_completion_result(type_hint: type | None = None) -> Any | None:
    """The result of the cron chain's last completed run; None when there is none (or it
    was None: ``has_last_completion_result()`` tells them apart)."""
    run = current_instance()
    if len(run.last_completion_result) != 1:
        return None
    return run.converter.payload_converter.from_payload(run.last_completion_result[0], type_hint)


def in_workflow() -> bool:
    """Whether the caller is workflow code."""
    try:
        current_instance()
    except NotInWorkflowEventLoopError:
        return False
    return True


async def sleep(duration: float | timedelta, *, summary: str | None = None, event_groups: Any = None) -> None:
    """Sleep durably (a server-side timer); the same as ``asyncio.sleep`` in a workflow.

    ``summary`` and ``event_groups`` are accepted and dropped (notes for UIs).
    """
    await asyncio.sleep(duration.total_seconds() if isinstance(duration, timedelta) else duration)


# Temporal's signature takes timeout=, so ported code keeps working.
async def wait_condition(
    fn: Callable[[], bool],
    *,
    timeout: timedelta | float | None = None,  # noqa: ASYNC109
    timeout_summary: str | None = None,
    event_groups: Any = None,
) -> None:
    """Wait until ``fn()`` is true; it is checked each time the workflow's tasks settle.

    Raises:
        asyncio.TimeoutError: ``timeout`` passed first (a durable timer).
    """
    future = current_instance().wait_condition(fn)
    if timeout is None:
        await future
        return
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    await asyncio.wait_for(future, seconds)


# --- waiting (deterministic asyncio.wait and as_completed) ---


async def wait(
    fs: Iterable[Any],
    *,
    timeout: float | None = None,  # noqa: ASYNC109  # temporalio's signature
    return_when: str = asyncio.ALL_COMPLETED,
) -> tuple[list[Any], list[Any]]:
    """``asyncio.wait`` for workflows: ``done`` and ``pending`` are lists in the order of ``fs``.

    The timeout is a durable timer.
    """
    return await waiting.wait(fs, timeout=timeout, return_when=return_when)


def as_completed(
    fs: Iterable[Awaitable[ReturnType]], *, timeout: float | None = None
) -> Iterator[Awaitable[ReturnType]]:
    """``asyncio.as_completed`` for workflows: tasks start in input order, results come as
    they finish (several in one step: in input order). The timeout is a durable timer."""
    return waiting.as_completed(fs, timeout=timeout)


# --- versioning ---
# --- continue-as-new ---


class ContinueAsNewVersioningBehavior(IntEnum):
    """Which worker version the next run starts on (Temporal's values; Legato has no worker
    versioning, so only UNSPECIFIED is accepted)."""

    UNSPECIFIED = 0
    AUTO_UPGRADE = 1
    USE_RAMPING_VERSION = 2


def continue_as_new(
    arg: Any = _UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    workflow: Callable[..., Any] | str | None = None,
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    backoff_start_interval: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    memo: Mapping[str, Any] | None = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    initial_versioning_behavior: ContinueAsNewVersioningBehavior | None = None,
    event_groups: Any = None,
) -> NoReturn:
    """Close this run and start the next run of the same workflow id with new arguments.

    Raises ``ContinueAsNewError``, which must leave the run method; the server closes the
    run (WorkflowExecutionContinuedAsNew) and starts the next one in one transaction. Unset
    options take this run's values; the workflow type defaults to this one's.

    Raises:
        ContinueAsNewError: Always.
        NotImplementedError: ``versioning_intent`` or ``initial_versioning_behavior`` given.
    """
    name = None if workflow is None else definitions.workflow_name_and_result_type(workflow)[0]
    current_instance().outbound.continue_as_new(
        ContinueAsNewInput(
            workflow=name,
            args=_calls.arg_or_args(arg, args),
            task_queue=task_queue,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            backoff_start_interval=backoff_start_interval,
            retry_policy=retry_policy,
            memo=memo,
            search_attributes=search_attributes,
            headers={},
            versioning_intent=versioning_intent,
            initial_versioning_behavior=initial_versioning_behavior or None,
            event_groups=event_groups,
        )
    )


def patched(id: str, *, event_groups: Any = None) -> bool:
    """Whether to run the new code of patch ``id``, as Temporal's: True (and a marker
    recorded) when the run gets here for the first time; on replay, True only where the
    history has the marker. The answer stays the same for the rest of the run.
    ``event_groups`` is accepted and dropped."""
    return current_instance().patch(id, deprecated=False)


def deprecate_patch(id: str, *, event_groups: Any = None) -> None:
    """Mark patch ``id`` as the only code path left: runs started before the patch are gone.

    It records a deprecated marker; a later version of the code may drop the call, and the
    runs this one recorded still replay. ``event_groups`` is accepted and dropped.
    """
    current_instance().patch(id, deprecated=True)


# --- memo ---


def memo() -> Mapping[str, Any]:
    """The run's memo, each value converted without a type hint."""
    instance = current_instance()
    convert = instance.converter.payload_converter.from_payload
    return {key: convert(payload) for key, payload in instance.memo().items()}


def memo_value(key: str, default: Any = _UNSET, *, type_hint: type | None = None) -> Any:
    """One memo value, converted into ``type_hint``.

    Raises:
        KeyError: The memo has no ``key`` and no default was given.
    """
    instance = current_instance()
    payload = instance.memo().get(key)
    if payload is None:
        if default is _UNSET:
            raise KeyError(f"Memo does not have a value for key {key}")
        return default
    return instance.converter.payload_converter.from_payload(payload, type_hint)


def upsert_search_attributes(
    attributes: SearchAttributes | Sequence[SearchAttributeUpdate[Any]], *, event_groups: Any = None
) -> None:
    """Set or unset search attributes (``key.value_set(v)``, ``key.value_unset()``); each must
    be registered in the namespace with its type. ``info().typed_search_attributes`` shows
    them at once; list filters once the workflow task completes. The mapping form is
    deprecated, as in temporalio. ``event_groups`` is accepted and dropped."""
    if attributes:
        current_instance().upsert_search_attributes(attributes)


def upsert_memo(updates: Mapping[str, Any], *, event_groups: Any = None) -> None:
    """Set memo values (a None value removes its key); describe shows them once the
    workflow task completes. ``event_groups`` is accepted and dropped."""
    current_instance().upsert_memo(updates)


# --- signal handlers set at run time, and raw values ---


def get_signal_handler(name: str) -> Callable[..., Any] | None:
    """The handler of signal ``name`` (a decorated method or one set at run time), if any."""
    return current_instance().signal_handler(name)


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Handle signal ``name`` with ``handler`` (None removes it). Signals of that name that
    came before any handler did are delivered to it now, in the order they came."""
    current_instance().set_signal_handler(name, handler)


def get_dynamic_signal_handler() -> Callable[..., Any] | None:
    """The handler of signals no named handler takes, if any."""
    return current_instance().signal_handler(None)


def set_dynamic_signal_handler(handler: Callable[..., Any] | None) -> None:
    """Handle every signal no named handler takes, as ``handler(name, args: Sequence[RawValue])``
    (None removes it). Signals waiting for a handler are delivered to it now."""
    current_instance().set_signal_handler(None, handler)


def payload_converter() -> PayloadConverter:
    """The worker's payload converter: ``payload_converter().from_payload(raw.payload, int)``
    turns a ``RawValue`` into a value."""
    return current_instance().converter.payload_converter


class unsafe:  # Temporal's name: ported code calls workflow.unsafe.is_replaying()
    """Escape hatches, as ``temporalio.workflow.unsafe``."""

    @staticmethod
    def is_replaying() -> bool:
        """Whether the code is replaying history rather than making progress."""
        return current_instance().replaying

    @staticmethod
    def is_replaying_history_events() -> bool:
        """Whether the code is replaying history events (the same as ``is_replaying``)."""
        return current_instance().replaying

    @staticmethod
    def in_sandbox() -> bool:
        """Whether the determinism guard watches the running code (an activation of a sandboxed runner)."""
        return _guard.is_active()

    @staticmethod
    def is_sandbox_unrestricted() -> bool:
        """Whether the running code is inside ``sandbox_unrestricted()``."""
        return _guard.is_unrestricted()

    @staticmethod
    def is_imports_passed_through() -> bool:
        """Whether the running code is inside ``imports_passed_through()``."""
        return _guard.is_importing()

    @staticmethod
    @contextmanager
    def imports_passed_through() -> Iterator[None]:
        """Trust the modules imported in the block: the guard lets their own calls through.

        Used around imports at the top of a workflow module (``from .activities import
        charge``), as in Temporal; the block itself runs unrestricted.
        """
        with _guard.imports_passed_through(_caller_globals()):
            yield

    @staticmethod
    @contextmanager
    def sandbox_unrestricted() -> Iterator[None]:
        """Let the block call what the determinism guard would refuse (the code must stay deterministic)."""
        with _guard.unrestricted():
            yield


def _caller_globals() -> dict[str, Any]:
    # The frame of the `with` statement: past this module's and contextlib's frames.
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") in (__name__, "contextlib"):
        frame = frame.f_back
    return frame.f_globals


# --- logging ---


class LoggerAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger for workflow code: silent while replaying, tagged with the run.

    Attributes:
        workflow_info_on_message: Append the run's ids to each message.
        workflow_info_on_extra: Put them in the record's ``legato_workflow`` extra.
        log_during_replay: Log while replaying too (off, so replays do not repeat logs).
    """

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        super().__init__(logger, extra or {})
        self.workflow_info_on_message = True
        self.workflow_info_on_extra = True
        self.log_during_replay = False

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Add the run's ids to the message and the record."""
        try:
            i = current_instance().info()
        except (NotInWorkflowEventLoopError, AssertionError):
            return msg, kwargs
        details = {
            "workflow_id": i.workflow_id,
            "run_id": i.run_id,
            "workflow_type": i.workflow_type,
            "namespace": i.namespace,
            "task_queue": i.task_queue,
            "attempt": i.attempt,
        }
        if self.workflow_info_on_extra:
            kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {}), "legato_workflow": details}
        if self.workflow_info_on_message:
            msg = f"{msg} ({details})"
        return msg, kwargs

    def isEnabledFor(self, level: int) -> bool:
        """False while replaying (unless log_during_replay), so a replay logs nothing twice."""
        if not self.log_during_replay and in_workflow() and current_instance().replaying:
            return False
        return super().isEnabledFor(level)

    @property
    def base_logger(self) -> logging.Logger:
        """The logger underneath."""
        return self.logger


logger = LoggerAdapter(logging.getLogger(__name__), None)
"""The logger for workflow code: silent while replaying, tagged with the run's ids."""
