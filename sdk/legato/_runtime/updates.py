"""Workflow updates inside a run: definitions, validation, handlers, and the handlers in flight.

An update reaches the worker twice. First to validate, as a query does: from the run's
state (cached, or replayed up to its last completed workflow task), read-only, through
the inbound chain's ``handle_update_validator``; raising rejects it and nothing reaches
history. Then, once accepted, as the job ``WorkflowExecutionUpdateAccepted`` of a workflow
task (on replay too): the handler runs as a task of the run's loop, and when it returns
(or raises a ``FailureError``) the run sends ``CompleteWorkflowUpdate``, which history
records as ``WorkflowExecutionUpdateCompleted``. Any other exception from the handler
fails the workflow task, as in temporalio.

Signal and update handlers still running are tracked for ``all_handlers_finished`` and
for temporalio's warnings when the run closes with some of them unfinished.
"""

from __future__ import annotations

import collections
import contextvars
import dataclasses
import inspect
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from legato import exceptions
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure
from legato.api.history import v1 as hist
from legato.api.workflowservice import v1 as api
from legato.common import RawValue

from .interceptor import HandleUpdateInput

if TYPE_CHECKING:
    from .instance import WorkflowInstance

UPDATE_ATTR = "__legato_update_definition"


class HandlerUnfinishedPolicy(IntEnum):
    """What to do about a signal or update handler still running when the run closes."""

    WARN_AND_ABANDON = 1
    ABANDON = 2


class UnfinishedUpdateHandlersWarning(RuntimeWarning):
    """The workflow exited before all update handlers had finished executing."""


class UnfinishedSignalHandlersWarning(RuntimeWarning):
    """The workflow exited before all signal handlers had finished executing."""


@dataclass(frozen=True)
class UpdateInfo:
    """The update whose handler (or validator) is running."""

    id: str
    name: str


_current: contextvars.ContextVar[UpdateInfo | None] = contextvars.ContextVar("legato_update", default=None)


def current_update_info() -> UpdateInfo | None:
    """The update of the running handler or validator; None outside one."""
    return _current.get()


@dataclass(frozen=True)
class UpdateDefinition:
    """An update handler; ``name`` None is the dynamic one, which takes ``(name, args)``."""

    name: str | None
    fn: Callable[..., Any]
    arg_types: list[Any] = field(default_factory=list)
    validator: Callable[..., Any] | None = None
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None
    is_method: bool = True


def mark_update(
    fn: Callable[..., Any],
    name: str | None,
    *,
    dynamic: bool,
    unfinished_policy: HandlerUnfinishedPolicy,
    description: str | None,
) -> None:
    """Attach an update definition to a method, and its ``.validator`` decorator."""
    if dynamic and name is not None:
        raise TypeError("A dynamic @workflow.update takes no name")
    defn = UpdateDefinition(None if dynamic else name or fn.__name__, fn, [], None, unfinished_policy, description)
    setattr(fn, UPDATE_ATTR, defn)

    def validator(vfn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, UPDATE_ATTR, dataclasses.replace(getattr(fn, UPDATE_ATTR), validator=vfn))
        return vfn

    fn.validator = validator  # type: ignore[attr-defined]  # temporalio's @my_update.validator


def update_name(update: str | Callable[..., Any]) -> str:
    """The name of an update given as a string or as a ``@workflow.update`` method.

    Raises:
        TypeError: A method without ``@workflow.update``, or the dynamic one.
    """
    if isinstance(update, str):
        return update
    defn = getattr(update, UPDATE_ATTR, None)
    if not isinstance(defn, UpdateDefinition) or defn.name is None:
        raise TypeError(f"{getattr(update, '__qualname__', update)!r} is not a named @workflow.update method")
    return defn.name


# --- handlers in flight ---


@dataclass(frozen=True)
class HandlerExecution:
    """A signal or update handler running now."""

    kind: str  # "signal" | "update"
    name: str
    unfinished_policy: HandlerUnfinishedPolicy
    id: str | None = None


def warn_unfinished(running: Sequence[HandlerExecution]) -> None:
    """temporalio's warnings for handlers a closing run abandons (unless ABANDON)."""
    warnable = [h for h in running if h.unfinished_policy is HandlerUnfinishedPolicy.WARN_AND_ABANDON]
    updates = [h for h in warnable if h.kind == "update"]
    signals = [h for h in warnable if h.kind == "signal"]
    if updates:
        warnings.warn(UnfinishedUpdateHandlersWarning(_update_message(updates)), stacklevel=1)
    if signals:
        warnings.warn(UnfinishedSignalHandlersWarning(_signal_message(signals)), stacklevel=1)


def _update_message(running: list[HandlerExecution]) -> str:
    message = (
        "[TMPRL1102] Workflow finished while update handlers are still running. This may have interrupted work "
        "that the update handler was doing, and the client that sent the update will receive a 'workflow "
        "execution already completed' RPCError instead of the update result. You can wait for all update and "
        "signal handlers to complete by using `await workflow.wait_condition(lambda: "
        "workflow.all_handlers_finished())`. Alternatively, if both you and the clients sending the update are "
        "okay with interrupting running handlers when the workflow finishes, and causing clients to receive "
        "errors, then you can disable this warning via the update handler decorator: "
        "`@workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)`."
    )
    return (
        f"{message} The following updates were unfinished (and warnings were not disabled for their handler): "
        + json.dumps([{"name": h.name, "id": h.id} for h in running])
    )


def _signal_message(running: list[HandlerExecution]) -> str:
    message = (
        "[TMPRL1102] Workflow finished while signal handlers are still running. This may have interrupted work "
        "that the signal handler was doing. You can wait for all update and signal handlers to complete by using "
        "`await workflow.wait_condition(lambda: workflow.all_handlers_finished())`. Alternatively, if both you "
        "and the clients sending the signal are okay with interrupting running handlers when the workflow "
        "finishes, then you can disable this warning via the signal handler decorator: "
        "`@workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)`."
    )
    names = collections.Counter(h.name for h in running)
    return (
        f"{message} The following signals were unfinished (and warnings were not disabled for their handler): "
        + json.dumps([{"name": name, "count": count} for name, count in names.most_common()])
    )


# --- finding handlers ---


def handler(instance: WorkflowInstance, name: str | None) -> UpdateDefinition | None:
    """The definition of ``name`` (None: the dynamic one): set at run time, else the class's."""
    return instance.update_handlers.get(name)


def known(instance: WorkflowInstance) -> list[str]:
    """Every update name the run handles, sorted."""
    return sorted(n for n in instance.update_handlers if n)


def _bound(instance: WorkflowInstance, fn: Callable[..., Any], is_method: bool) -> Callable[..., Any]:
    bound: Callable[..., Any] = fn.__get__(instance.workflow_object) if is_method else fn
    return bound


def _find(instance: WorkflowInstance, name: str) -> UpdateDefinition:
    defn = handler(instance, name) or handler(instance, None)
    if defn is None:
        raise RuntimeError(_not_found(instance, name))
    return defn


def _not_found(instance: WorkflowInstance, name: str) -> str:
    return (
        f"Update handler for '{name}' expected but not found, and there is no dynamic handler. "
        f"known updates: [{' '.join(known(instance))}]"
    )


def _arguments(instance: WorkflowInstance, name: str, defn: UpdateDefinition, payloads: Sequence[Any]) -> list[Any]:
    # The dynamic handler gets the raw values; its own name argument is added when called.
    if defn.name is None:
        return [RawValue(p) for p in payloads]
    return list(instance.converter.payload_converter.from_payloads(list(payloads), defn.arg_types))


# --- validation (a read-only visit, like a query) ---


def validate(instance: WorkflowInstance, update: api.WorkflowUpdate) -> Failure | None:
    """The rejection of an update, or None when its validator (if any) accepts it."""
    try:
        if instance.workflow_object is None:
            raise exceptions.ApplicationError(f"Workflow {instance.definition.name!r} has not started yet")
        defn = _find(instance, update.name)
        args = _arguments(instance, update.name, defn, update.args)
        input = HandleUpdateInput(id=update.update_id, update=update.name, args=args, headers=dict(update.header))
        instance.validate_update(input)
    except Exception as e:
        return instance.converter.failure_converter.to_failure(e, instance.converter.payload_converter)
    return None


def call_validator(instance: WorkflowInstance, input: HandleUpdateInput) -> None:
    """Run the update's validator with the chain's input (the inbound chain's last link)."""
    defn = _find(instance, input.update)
    if defn.validator is None:
        return
    validator = _bound(instance, defn.validator, defn.is_method)
    token = _current.set(UpdateInfo(input.id, input.update))
    try:
        outcome = validator(input.update, list(input.args)) if defn.name is None else validator(*input.args)
    finally:
        _current.reset(token)
    if inspect.isawaitable(outcome):
        raise RuntimeError("An update validator must not be async")


# --- the handler, from WorkflowExecutionUpdateAccepted ---


def start(instance: WorkflowInstance, a: hist.WorkflowExecutionUpdateAccepted) -> None:
    """Run the accepted update's handler as a task of the run."""
    request = a.accepted_request
    name, update_id = request.input.name, request.meta.update_id
    instance.create_task(_run(instance, update_id, name, request.input), name=f"update {name}")


async def _run(instance: WorkflowInstance, update_id: str, name: str, input: hist.UpdateInput) -> None:
    _current.set(UpdateInfo(update_id, name))
    defn = handler(instance, name) or handler(instance, None)
    policy = defn.unfinished_policy if defn is not None else HandlerUnfinishedPolicy.WARN_AND_ABANDON
    running = HandlerExecution("update", name, policy, update_id)
    instance.handlers_running.append(running)
    try:
        if defn is None:
            raise exceptions.ApplicationError(_not_found(instance, name))
        args = _arguments(instance, name, defn, input.args)
        result = await instance.inbound.handle_update_handler(
            HandleUpdateInput(id=update_id, update=name, args=args, headers=dict(input.header))
        )
        success = [instance.converter.payload_converter.to_payload(result)]
        instance.add_command(cmd.CompleteWorkflowUpdate(update_id=update_id, success=success))
    # The handler's failure is the update's outcome; the run goes on.
    except exceptions.FailureError as e:
        failure = instance.converter.failure_converter.to_failure(e, instance.converter.payload_converter)
        instance.add_command(cmd.CompleteWorkflowUpdate(update_id=update_id, failure=failure))
    # Anything else is a bug in the handler: it fails the workflow task, as in temporalio.
    except Exception as e:
        instance.fail_task(e)
    finally:
        instance.handlers_running.remove(running)


async def call_handler(instance: WorkflowInstance, input: HandleUpdateInput) -> Any:
    """Call the update's handler with the chain's input (the inbound chain's last link)."""
    defn = _find(instance, input.update)
    fn = _bound(instance, defn.fn, defn.is_method)
    outcome = fn(input.update, list(input.args)) if defn.name is None else fn(*input.args)
    if inspect.isawaitable(outcome):
        return await outcome
    return outcome


def set_handler(
    instance: WorkflowInstance,
    name: str | None,
    fn: Callable[..., Any] | None,
    validator: Callable[..., Any] | None,
    unfinished_policy: HandlerUnfinishedPolicy,
) -> None:
    """Set (or with None remove) an update's handler at run time."""
    if fn is None:
        instance.update_handlers.pop(name, None)
        return
    from .definitions import param_types

    arg_types = [] if name is None else param_types(fn, skip_self=False)
    instance.update_handlers[name] = UpdateDefinition(
        name, fn, arg_types, validator, unfinished_policy, None, is_method=False
    )


def get_handler(instance: WorkflowInstance, name: str | None) -> Callable[..., Any] | None:
    """The handler of an update name (None: the dynamic one), bound to the workflow object."""
    defn = handler(instance, name)
    return None if defn is None else _bound(instance, defn.fn, defn.is_method)
